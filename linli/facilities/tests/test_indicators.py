"""The measures facilities gives the evaluation engine, on a hand-built fixture."""

import pytest

from linli.facilities import indicators
from linli.facilities.tests.factories import FacilityFactory, facility_type

pytestmark = pytest.mark.django_db


def _compute(code, region_codes=None):
    return next(m for m in indicators.MEASURES if m.code == code).compute(region_codes)


@pytest.fixture
def facilities(two_towns, community_a, community_b, grid_a):
    ft = facility_type
    # community A (urban): centre 500 m² + grid centre 120.5 m², clinic at a grid,
    # a day-care centre (counts as an elderly station), a shelter still being built
    FacilityFactory(region=community_a, type=ft("party_service_center"), building_area_m2=500)
    FacilityFactory(region=grid_a, type=ft("party_service_center"), building_area_m2="120.5")
    FacilityFactory(region=grid_a, type=ft("clinic"))
    FacilityFactory(region=community_a, type=ft("day_care"))
    FacilityFactory(region=community_a, type=ft("shelter"), status="building")
    FacilityFactory(region=community_a, type=ft("police_room"), status="closed")
    # community B (rural): one-stop hall 310 m², health centre, shelter, volunteer station,
    # micro fire station, police room, minors' station inside the village
    FacilityFactory(region=community_b, type=ft("one_stop_hall"), building_area_m2=310)
    FacilityFactory(region=community_b, type=ft("health_center"))
    FacilityFactory(region=community_b, type=ft("shelter"))
    FacilityFactory(region=community_b, type=ft("volunteer_station"))
    FacilityFactory(region=community_b, type=ft("micro_fire_station"))
    FacilityFactory(region=community_b, type=ft("police_room"))
    FacilityFactory(region=community_b, type=ft("minor_protection_station"))
    # town A itself: the town's social work station (counts for the town, for no community)
    FacilityFactory(region=two_towns["a"], type=ft("social_work_station"), building_area_m2=200)
    FacilityFactory(region=two_towns["a"], type=ft("party_service_center"), building_area_m2=999)


def test_facility_area_service(facilities, community_a, community_b):
    assert _compute("facility_area_service") == {community_a.code: 620.5, community_b.code: 310.0}
    assert _compute("facility_area_service", [community_b.code]) == {community_b.code: 310.0}


@pytest.mark.parametrize(
    ("code", "a", "b"),
    [
        ("has_service_center", 1.0, 1.0),
        ("has_elderly_station", 1.0, 0.0),
        ("has_volunteer_station", 0.0, 1.0),
        ("has_social_work_station", 0.0, 0.0),
        ("has_minor_protection_station", 0.0, 1.0),
        ("has_shelter", 0.0, 1.0),
        ("has_micro_fire_station", 0.0, 1.0),
        ("has_clinic", 1.0, 1.0),
        ("has_police_room", 0.0, 1.0),
    ],
)
def test_presence_measures(facilities, community_a, community_b, code, a, b):
    assert _compute(code) == {community_a.code: a, community_b.code: b}


def test_town_level_measures(facilities, two_towns):
    town_a, town_b = two_towns["a"].code, two_towns["b"].code
    assert _compute("town_social_work_station") == {town_a: 1.0, town_b: 0.0}
    assert _compute("town_minor_protection_station") == {town_a: 0.0, town_b: 1.0}
    assert _compute("town_minor_protection_station", [town_b]) == {town_b: 1.0}
    levels = {m.code: m.level for m in indicators.MEASURES}
    assert levels["town_social_work_station"] == "town"
    assert levels["has_clinic"] == "community"


def test_each_measure_is_one_or_two_queries(facilities, django_assert_max_num_queries):
    for measure in indicators.MEASURES:
        with django_assert_max_num_queries(2):  # the grouped query + the list of regions
            measure.compute(None)
