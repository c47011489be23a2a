"""Facility API over real HTTP: create with GCJ-02, filters, GeoJSON, patch, close, types."""

import httpx
import pytest

from linli.accounts.models import User
from linli.accounts.services import api_token_create
from linli.facilities.coords import wgs84_to_gcj02
from linli.facilities.models import Facility
from linli.facilities.tests.factories import FacilityFactory, facility_type

pytestmark = pytest.mark.django_db(transaction=True)


def _client(live_server, region, can_write=True):
    root = User.objects.filter(username="fac_root").first() or User.objects.create_superuser(
        "fac_root", password="x"
    )
    _, raw = api_token_create(actor=root, name="t", region=region, can_write=can_write)
    return httpx.Client(
        base_url=live_server.url + "/api/facilities",
        # "Connection: close": no keep-alive socket outlives the test and its live server.
        headers={"Authorization": f"Bearer {raw}", "Connection": "close"},
        timeout=10,
    )


def test_create_patch_close_and_geojson(live_server, two_towns, community_a):
    facility_type("elderly_station")
    api = _client(live_server, two_towns["a"])
    gcj = wgs84_to_gcj02(118.3336, 30.9197)
    response = api.post(
        "/",
        json={
            "region_code": community_a.code,
            "type_code": "elderly_station",
            "name": "陵阳社区养老服务站",
            "lng": gcj[0],
            "lat": gcj[1],
            "coord_system": "gcj02",
            "building_area_m2": "240.00",
            "weekday_hours": "08:00-17:00",
        },
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["lng"] == pytest.approx(118.3336, abs=1e-6)
    assert body["type_name"] == "养老服务站"
    facility_id = body["id"]
    # the GeoJSON layer carries it, with the right media type
    layer = api.get("/geojson", params={"type": "elderly_station"})
    assert layer.status_code == 200
    assert layer.headers["content-type"].startswith("application/geo+json")
    assert [f["id"] for f in layer.json()["features"]] == [facility_id]
    # patch and close
    patched = api.patch(f"/{facility_id}", json={"weekday_hours": "8:00-17:00"})
    assert patched.status_code == 422
    assert "HH:MM-HH:MM" in patched.json()["message"]
    assert api.patch(f"/{facility_id}", json={"weekend_open": True}).json()["weekend_open"] is True
    closed = api.post(f"/{facility_id}/close")
    assert closed.status_code == 200
    assert closed.json()["status_label"] == "已关闭"
    assert api.post(f"/{facility_id}/close").status_code == 409
    assert api.get("/", params={"status": "operating"}).json()["count"] == 0


def test_negative_area_and_unknown_type_answer_422(live_server, two_towns, community_a):
    api = _client(live_server, two_towns["a"])
    facility_type("clinic")
    bad_area = api.post(
        "/",
        json={
            "region_code": community_a.code,
            "type_code": "clinic",
            "name": "x",
            "building_area_m2": -1,
        },
    )
    assert bad_area.status_code == 422
    assert bad_area.json()["message"] == "建筑面积不能为负数"
    unknown = api.post(
        "/", json={"region_code": community_a.code, "type_code": "nope", "name": "x"}
    )
    assert unknown.status_code == 422
    assert Facility.objects.count() == 0


def test_types_route_lists_the_catalogue(live_server, two_towns):
    facility_type("kindergarten")
    api = _client(live_server, two_towns["a"], can_write=False)
    types = {t["code"]: t for t in api.get("/types").json()}
    assert types["kindergarten"]["walk_threshold_m"] == 300


def test_list_query_count_does_not_grow(
    live_server, two_towns, community_a, django_assert_max_num_queries
):
    from linli.facilities import selectors

    for i in range(20):
        FacilityFactory(region=community_a, name=f"设施{i}")
    root = User.objects.create_superuser("q_root", password="x")
    with django_assert_max_num_queries(1):
        rows = list(selectors.facility_list(root)[:50])
        assert all(r.type.name and r.region.name for r in rows)
    with django_assert_max_num_queries(1):
        assert len(selectors.facility_geojson(root)["features"]) == 0
