"""The measures orgs gives the evaluation engine, on a hand-built fixture."""

import pytest

from linli.orgs import indicators
from linli.orgs.tests.factories import OrganisationFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def orgs(two_towns, community_a, community_b, grid_a):
    # community A: 2 regular social kinds (one at a grid), 1 regular party org (not counted),
    #              1 regular but inactive; brand: 1
    OrganisationFactory(region=community_a, is_regular_service=True, is_brand=True)
    OrganisationFactory(region=grid_a, is_regular_service=True, kind="volunteer_team")
    OrganisationFactory(
        region=community_a, is_regular_service=True, kind="party", party_level="community"
    )
    OrganisationFactory(region=community_a, is_regular_service=True, is_active=False)
    # community B: 1 regular; brand: 2 (one inactive)
    OrganisationFactory(region=community_b, is_regular_service=True, is_brand=True)
    OrganisationFactory(region=community_b, is_brand=True)
    OrganisationFactory(region=community_b, is_brand=True, is_active=False)
    # town A and the county: regular and brand, outside every community
    OrganisationFactory(region=two_towns["a"], is_regular_service=True, is_brand=True)
    OrganisationFactory(region=two_towns["county"], is_brand=True)


def _measure(code):
    return next(m for m in indicators.MEASURES if m.code == code)


def test_regular_social_orgs(orgs, community_a, community_b):
    compute = _measure("regular_social_orgs").compute
    assert compute(None) == {community_a.code: 2.0, community_b.code: 1.0}
    assert compute([community_b.code]) == {community_b.code: 1.0}


def test_brand_orgs_per_community_and_county(orgs, community_a, community_b, county):
    assert _measure("brand_orgs").compute(None) == {community_a.code: 1.0, community_b.code: 2.0}
    # the county-level measure also counts town A's and the county's brand organisations
    county_measure = _measure("brand_orgs_all")
    assert county_measure.level == "county"
    assert county_measure.compute(None) == {county.code: 5.0}
    assert county_measure.compute([county.code]) == {county.code: 5.0}


def test_a_community_without_organisations_reports_zero(two_towns, community_a):
    assert _measure("regular_social_orgs").compute([community_a.code]) == {community_a.code: 0.0}


def test_every_measure_is_named_in_chinese_with_a_unit():
    codes = [m.code for m in indicators.MEASURES]
    assert codes == ["regular_social_orgs", "brand_orgs", "brand_orgs_all"]
    assert all(m.name and m.unit for m in indicators.MEASURES)
