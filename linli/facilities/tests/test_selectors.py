"""Facility reads: filters, GeoJSON, service area per community."""

import json
from decimal import Decimal

import pytest

from linli.facilities import selectors
from linli.facilities.tests.factories import FacilityFactory, facility_type

pytestmark = pytest.mark.django_db


def test_facility_list_filters(county_admin, community_a, community_b):
    FacilityFactory(region=community_a, name="陵阳养老服务站")
    FacilityFactory(
        region=community_a, name="陵阳卫生服务站", type=facility_type("clinic"), status="building"
    )
    FacilityFactory(
        region=community_b, name="澄桥村卫生室", type=facility_type("clinic"), address="澄桥村12号"
    )

    def names(**filters):
        return sorted(f.name for f in selectors.facility_list(county_admin, **filters))

    assert names(type_code="clinic") == ["澄桥村卫生室", "陵阳卫生服务站"]
    assert names(status="building") == ["陵阳卫生服务站"]
    assert names(region_code=community_b.code) == ["澄桥村卫生室"]
    assert names(q="12号") == ["澄桥村卫生室"]
    assert names(category="养老服务") == ["陵阳养老服务站"]


def test_geojson_is_an_rfc7946_feature_collection_of_located_visible_facilities(
    town_staff_a, community_a, community_b
):
    FacilityFactory(
        region=community_a,
        name="有坐标",
        lng=118.3336,
        lat=30.9197,
        building_area_m2=Decimal("120.5"),
    )
    FacilityFactory(region=community_a, name="无坐标")
    FacilityFactory(region=community_b, name="外镇", lng=118.4, lat=30.8)
    collection = selectors.facility_geojson(town_staff_a)
    json.dumps(collection)  # serialisable as is
    assert collection["type"] == "FeatureCollection"
    (feature,) = collection["features"]
    assert feature["type"] == "Feature"
    # RFC 7946 §3.1.1: longitude first
    assert feature["geometry"] == {"type": "Point", "coordinates": [118.3336, 30.9197]}
    assert feature["properties"]["name"] == "有坐标"
    assert feature["properties"]["type"] == "elderly_station"
    assert feature["properties"]["building_area_m2"] == 120.5


def test_service_area_summary_per_community(county_admin, community_a, community_b, grid_a):
    # given urban community A (400 households): a 500 m² centre and a 100 m² one at a grid,
    #       plus a closed 900 m² hall and an elderly station (neither counts)
    community_a.households = 400
    community_a.save()
    FacilityFactory(
        region=community_a, type=facility_type("party_service_center"), building_area_m2=500
    )
    FacilityFactory(region=grid_a, type=facility_type("party_service_center"), building_area_m2=100)
    FacilityFactory(
        region=community_a,
        type=facility_type("one_stop_hall"),
        building_area_m2=900,
        status="closed",
    )
    FacilityFactory(region=community_a, building_area_m2=300)
    # and rural village B: a 320 m² one-stop hall
    FacilityFactory(region=community_b, type=facility_type("one_stop_hall"), building_area_m2=320)
    rows = {r.code: r for r in selectors.service_area_summary(county_admin)}
    a, b = rows[community_a.code], rows[community_b.code]
    # then A has 600 m², 150 per 100 households (target 30: met); B 320 ≥ 300: met
    assert (a.area, a.per_100_households, a.met) == (Decimal(600), Decimal("150.0"), True)
    assert (b.area, b.met) == (Decimal(320), True)
