"""Organisation reads: filters, departments for dispatch, 经常性参与 per community."""

import pytest

from linli.accounts.models import Role
from linli.accounts.tests.factories import user_with_role
from linli.orgs import selectors
from linli.orgs.tests.factories import OrganisationFactory

pytestmark = pytest.mark.django_db


def test_organisation_list_filters_by_kind_flags_and_text(community_a, community_b, county_admin):
    # given organisations of several kinds and flags
    regular = OrganisationFactory(
        region=community_a, name="夕阳红志愿队", kind="volunteer_team", is_regular_service=True
    )
    brand = OrganisationFactory(region=community_a, name="陵心聚力工作室", is_brand=True)
    OrganisationFactory(region=community_b, name="澄桥村红白理事会")
    OrganisationFactory(region=community_a, name="已注销的社", is_active=False)

    def names(**filters):
        return sorted(o.name for o in selectors.organisation_list(county_admin, **filters))

    # then each filter narrows the list
    assert names(kind="volunteer_team") == [regular.name]
    assert names(is_regular_service=True) == [regular.name]
    assert names(is_brand=True) == [brand.name]
    assert names(q="红白") == ["澄桥村红白理事会"]
    assert names(region_code=community_b.parent.code) == ["澄桥村红白理事会"]
    assert len(names(is_active=True)) == 3
    assert len(names()) == 4


def test_organisation_list_is_scoped(community_a, community_b, town_staff_a):
    OrganisationFactory(region=community_a, name="甲")
    OrganisationFactory(region=community_b, name="乙")
    assert [o.name for o in selectors.organisation_list(town_staff_a)] == ["甲"]


def test_departments_for_a_community_include_the_town_and_county_above(two_towns, community_a):
    # given departments at the county, at each town, and a social org at the county
    county, town_a, town_b = two_towns["county"], two_towns["a"], two_towns["b"]
    OrganisationFactory(region=county, name="县应急管理局", kind="department")
    OrganisationFactory(region=town_a, name="籍山镇城管中队", kind="department")
    OrganisationFactory(region=town_b, name="三里镇城管中队", kind="department")
    OrganisationFactory(region=county, name="县志愿者协会", kind="social")
    OrganisationFactory(region=county, name="已撤销部门", kind="department", is_active=False)
    worker = user_with_role(Role.COMMUNITY_WORKER, community_a, username="cw")
    # then a community worker in town A may dispatch to the county's and town A's departments
    assert [d.name for d in selectors.departments_for(worker)] == ["县应急管理局", "籍山镇城管中队"]
    # and a principal with no scope sees none
    assert list(selectors.departments_for(None)) == []


def test_regular_org_counts_per_community_against_targets(
    county_admin, community_a, community_b, grid_a
):
    # given 2 regular orgs in urban community A (one at a grid) and 6 in rural village B
    OrganisationFactory(region=community_a, is_regular_service=True)
    OrganisationFactory(region=grid_a, is_regular_service=True, kind="volunteer_team")
    OrganisationFactory(
        region=community_a, is_regular_service=True, kind="party", party_level="community"
    )
    OrganisationFactory(region=community_a, is_regular_service=False)
    for _ in range(6):
        OrganisationFactory(region=community_b, is_regular_service=True)
    # when counted
    rows = {r.code: r for r in selectors.regular_org_counts(county_admin)}
    # then party organisations do not count, grids count for their community, targets differ
    assert (rows[community_a.code].count, rows[community_a.code].target) == (2, 12)
    assert not rows[community_a.code].met
    assert (rows[community_b.code].count, rows[community_b.code].target) == (6, 6)
    assert rows[community_b.code].met
