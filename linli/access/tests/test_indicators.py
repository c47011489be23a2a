"""The circles reach the evaluation engine as measures, with values computed by hand."""

from __future__ import annotations

import pytest

from linli.access import osm, services
from linli.access.models import WalkNetwork
from linli.access.tests.factories import LAT, lane_geojson, lng, make_street
from linli.facilities.models import Facility
from linli.facilities.tests.factories import facility_type
from linli.indicators import measures
from linli.indicators.selectors import evaluation_live
from linli.regions.models import Region


@pytest.fixture
def street_with_shops(two_towns, community_a, community_b):
    street = make_street(two_towns, community_a, community_b)
    # a shop at node 1 and an express point at node 4: B1 (node 0) reaches the shop (1 step)
    # but not the express point (4 steps, 381 m > 300 m); B2 (node 3) reaches both.
    for code, node in (("convenience_shop", 1), ("express_point", 4)):
        Facility.objects.create(
            region=community_a,
            type=facility_type(code),
            name=code,
            lng=lng(node),
            lat=LAT,
            status=Facility.Status.OPERATING,
        )
    services.network_activate(
        county=street.county,
        network=osm.network_from_geojson(lane_geojson()),
        name="幸福路",
        source=WalkNetwork.Source.GEOJSON,
    )
    services.access_refresh(county=street.county)
    return street


def test_the_measures_count_people_inside_each_circle(street_with_shops):
    measures.autodiscover()
    five = measures.get("pop_within_5min")
    assert five is not None and measures.source_of("pop_within_5min").endswith("access")
    # B2's three residents are inside the 5-minute convenience circle, nobody else
    assert five.compute(None) == {"340223100001": 3.0, "340223106201": 0.0}
    # with official counts recorded, the registry's share is applied to them (3/5 of 10)
    Region.objects.filter(code="340223100001").update(population=10)
    assert five.compute(["340223100001"]) == {"340223100001": 6.0}
    assert five.compute(["340223106201"]) == {"340223106201": 0.0}


def test_life_circle_5_indicator_is_computed_live(street_with_shops, county_admin):
    # given official counts: community A (urban) 10 people, B (a village) 2
    Region.objects.filter(code="340223100001").update(population=10)
    Region.objects.filter(code="340223106201").update(population=2)
    dashboard = evaluation_live(county_admin)
    # then the urban-only indicator is A's 3/5 of 10 = 6 of 10 at every level
    for code in ("340223000000", "340223100000", "340223100001"):
        value = dashboard.evaluation.get("LIFE_CIRCLE_5", code)
        assert (value.numerator, value.denominator) == (6.0, 10.0)
        assert value.value == pytest.approx(60.0)
    assert dashboard.evaluation.get("LIFE_CIRCLE_15", "340223100001").value == pytest.approx(0.0)


def test_before_any_computation_the_circles_read_no_data(two_towns, county_admin):
    from linli.access.tests.factories import default_circles
    from linli.indicators.engine import MISSING

    default_circles()
    dashboard = evaluation_live(county_admin)
    assert dashboard.evaluation.get("LIFE_CIRCLE_15", "340223000000").status == MISSING
