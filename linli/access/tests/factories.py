"""A tiny street for access tests: one east-west lane of 21 nodes, 0.001° apart (≈ 95.4 m).

    x = 0   1   2   3   ...   15  ...  20        (node i at lng 118.300 + i/1000, lat 30.9)
        B1      F   B2              B3

B1 (node 0) and B2 (node 3) are homes in community A (town A); B3 (node 15) in community B
(town B). The elderly station F sits at node 2: B1 walks 2 steps, B2 1 step, B3 13 steps.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date

from linli.access.circles import load_default_circles
from linli.access.engine import haversine_m
from linli.access.models import CircleRequirement, LifeCircle
from linli.facilities.catalogue import DEFAULT_TYPES
from linli.facilities.models import Facility, FacilityType
from linli.facilities.tests.factories import facility_type
from linli.people.tests.factories import make_building, make_household, make_resident
from linli.regions.models import Building, Region

LAT = 30.9
LNG0 = 118.300
STEP = 0.001


def lng(node: int) -> float:
    return round(LNG0 + node * STEP, 6)


def steps_m(n: int) -> float:
    """Walking metres over n steps of the lane (the sum of its segments, as the engine adds)."""
    return float(sum(haversine_m(lng(i), LAT, lng(i + 1), LAT) for i in range(n)))


def lane_geojson(nodes: int = 21) -> bytes:
    coordinates = [[lng(i), LAT] for i in range(nodes)]
    return json.dumps(
        {
            "type": "FeatureCollection",
            "features": [
                {
                    "type": "Feature",
                    "properties": {"name": "幸福路"},
                    "geometry": {"type": "LineString", "coordinates": coordinates},
                }
            ],
        }
    ).encode()


def default_circles() -> list[LifeCircle]:
    """The catalogue's types and the default circles (transactional tests empty both)."""
    for default in DEFAULT_TYPES:
        if default.life_circle:
            facility_type(default.code)
    load_default_circles(LifeCircle, CircleRequirement, FacilityType)
    return list(LifeCircle.objects.all())


@dataclass
class Street:
    county: Region
    b1: Building
    b2: Building
    b3: Building
    station: Facility


def make_street(two_towns: dict, community_a: Region, community_b: Region) -> Street:
    default_circles()
    today = date.today()
    old = date(today.year - 70, 1, 1)
    young = date(today.year - 30, 1, 1)
    b1 = make_building(community_a, lng=lng(0), lat=LAT, address="幸福路1号")
    b2 = make_building(community_a, lng=lng(3), lat=LAT, address="幸福路4号")
    b3 = make_building(community_b, lng=lng(15), lat=LAT, address="幸福路16号")
    for building, ages in ((b1, (old, young)), (b2, (old, young, young)), (b3, (old,))):
        home = make_household(building.region, building=building)
        for birth in ages:
            make_resident(home, birth_date=birth)
    station = Facility.objects.create(
        region=community_a,
        type=facility_type("elderly_station"),
        name="幸福路养老服务站",
        lng=lng(2),
        lat=LAT,
        status=Facility.Status.OPERATING,
    )
    return Street(county=two_towns["county"], b1=b1, b2=b2, b3=b3, station=station)
