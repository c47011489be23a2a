"""Shared fixtures: a small two-town county, users for every role, API clients."""

from __future__ import annotations

import pytest

from linli.accounts.models import Role
from linli.accounts.tests.factories import TEST_PASSWORD, user_with_role
from linli.regions.models import Region


@pytest.fixture
def county(db) -> Region:
    return Region.objects.create(code="340223000000", name="南陵县", level="county")


@pytest.fixture
def town_a(county) -> Region:
    return Region.objects.create(code="340223100000", name="籍山镇", level="town", parent=county)


@pytest.fixture
def town_b(county) -> Region:
    return Region.objects.create(code="340223106000", name="三里镇", level="town", parent=county)


@pytest.fixture
def community_a(town_a) -> Region:
    return Region.objects.create(
        code="340223100001",
        name="陵阳社区",
        level="community",
        parent=town_a,
        urban_rural_code="111",
    )


@pytest.fixture
def community_b(town_b) -> Region:
    return Region.objects.create(
        code="340223106201", name="澄桥村", level="community", parent=town_b, urban_rural_code="220"
    )


@pytest.fixture
def grid_a(community_a) -> Region:
    return Region.objects.create(
        code="340223100001001", name="陵阳社区第1网格", level="grid", parent=community_a
    )


@pytest.fixture
def grid_b(community_b) -> Region:
    return Region.objects.create(
        code="340223106201001", name="澄桥村第1网格", level="grid", parent=community_b
    )


@pytest.fixture
def two_towns(county, town_a, town_b, community_a, community_b, grid_a, grid_b):
    """County with two towns, one community and one grid each."""
    return {"county": county, "a": town_a, "b": town_b}


@pytest.fixture
def county_admin(two_towns):
    return user_with_role(Role.COUNTY_ADMIN, two_towns["county"], username="county_admin")


@pytest.fixture
def town_staff_a(two_towns):
    return user_with_role(Role.TOWN_STAFF, two_towns["a"], username="town_a")


@pytest.fixture
def leader(two_towns):
    return user_with_role(Role.LEADER, two_towns["county"], username="leader")


@pytest.fixture
def password() -> str:
    return TEST_PASSWORD
