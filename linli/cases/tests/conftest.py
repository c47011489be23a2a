"""Fixtures for the cases tests: the catalogue, people at every post, a department."""

from __future__ import annotations

import pytest

from linli.accounts.models import Role
from linli.accounts.sms import ConsoleSmsBackend
from linli.accounts.tests.factories import user_with_role
from linli.cases import selectors, services, worktime
from linli.orgs.models import Organisation


@pytest.fixture(autouse=True)
def _cases_environment(db, settings, tmp_path):
    # Photos go to a temporary folder; the per-process caches start empty for each test.
    settings.LINLI_CASE_MEDIA_DIR = str(tmp_path / "case-media")
    selectors.region_cache_reset()
    selectors.category_cache_reset()
    worktime.workday_overrides_reset()
    services.category_catalogue_load()
    ConsoleSmsBackend.outbox = []
    yield
    selectors.region_cache_reset()
    selectors.category_cache_reset()
    worktime.workday_overrides_reset()


@pytest.fixture
def department(two_towns) -> Organisation:
    return Organisation.objects.create(
        region=two_towns["county"], name="城管", kind=Organisation.Kind.DEPARTMENT
    )


@pytest.fixture
def helper_department(two_towns) -> Organisation:
    return Organisation.objects.create(
        region=two_towns["county"], name="住建", kind=Organisation.Kind.DEPARTMENT
    )


@pytest.fixture
def handler(two_towns, department):
    return user_with_role(
        Role.DEPARTMENT_HANDLER,
        two_towns["county"],
        username="chengguan",
        department="城管",
        phone="13900000002",
    )


@pytest.fixture
def helper_handler(two_towns, helper_department):
    return user_with_role(
        Role.DEPARTMENT_HANDLER, two_towns["county"], username="zhujian", department="住建"
    )


@pytest.fixture
def grid_worker(grid_a):
    return user_with_role(Role.GRID_WORKER, grid_a, username="grid", phone="13900000003")


@pytest.fixture
def community_worker(community_a):
    return user_with_role(
        Role.COMMUNITY_WORKER, community_a, username="lingyang", phone="13900000004"
    )


@pytest.fixture
def resident(community_a):
    return user_with_role(Role.RESIDENT, community_a, username="resident", phone="13800000001")


@pytest.fixture
def other_resident(community_a):
    return user_with_role(Role.RESIDENT, community_a, username="resident2", phone="13800000009")


@pytest.fixture
def town_staff_b(two_towns):
    return user_with_role(Role.TOWN_STAFF, two_towns["b"], username="town_b")
