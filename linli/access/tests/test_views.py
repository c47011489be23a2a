"""Pages and API of the living-circles module, over real HTTP (Django's client) on the street."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from linli.access import osm, services
from linli.access.models import AccessRun, WalkNetwork
from linli.access.tests.factories import lane_geojson, lng, make_street, steps_m
from linli.accounts.services import api_token_create


@pytest.fixture
def computed(two_towns, community_a, community_b):
    street = make_street(two_towns, community_a, community_b)
    services.network_activate(
        county=street.county,
        network=osm.network_from_geojson(lane_geojson()),
        name="幸福路",
        source=WalkNetwork.Source.GEOJSON,
    )
    services.access_refresh(county=street.county)
    return street


def test_overview_shows_coverage_by_town_and_drills_down(client, county_admin, computed):
    client.force_login(county_admin)
    page = client.get(reverse("access:overview") + "?subject=type:elderly_station")
    html = page.content.decode()
    assert page.status_code == 200
    assert "籍山镇" in html and "三里镇" in html
    assert "100.0%" in html  # town A: 5 of 5 within 300 m
    assert "0.0%" in html  # town B: 0 of 1
    # the cards say whom they count, unlike the evaluation's urban-only indicators
    assert 'data-testid="share-' in html
    assert 'data-testid="population-base"' in html and "只计城市社区居民" in html
    # drilling into town A lists its community
    page = client.get(
        reverse("access:overview") + "?region=340223100000&subject=type:elderly_station"
    )
    assert "陵阳社区" in page.content.decode()


def test_town_staff_never_see_another_towns_coverage(client, town_staff_a, computed):
    client.force_login(town_staff_a)
    page = client.get(reverse("access:overview") + "?subject=type:elderly_station")
    html = page.content.decode()
    assert page.status_code == 200
    assert "陵阳社区" in html and "澄桥村" not in html and "三里镇" not in html
    assert client.get(reverse("access:overview") + "?region=340223106000").status_code == 404
    # and the county's network page is for county admins only
    assert client.get(reverse("access:network")).status_code == 403


def test_map_data_gives_walking_minutes_per_building(client, county_admin, computed):
    client.force_login(county_admin)
    answer = client.get(reverse("access:map_data") + "?type=elderly_station&region=340223100001")
    assert answer.status_code == 200
    data = answer.json()
    assert data["threshold_m"] == 300 and data["approximate"] is False
    distances = sorted(b[2] for b in data["buildings"])
    assert distances == pytest.approx([round(steps_m(1), 1), round(steps_m(2), 1)], abs=0.1)
    # 95.4 m at 4 km/h is 1.4 minutes
    assert sorted(b[3] for b in data["buildings"])[0] == pytest.approx(1.4, abs=0.05)
    assert [f[2] for f in data["facilities"]] == ["幸福路养老服务站"]


def test_siting_page_recommends_the_site_next_to_the_uncovered_home(client, county_admin, computed):
    client.force_login(county_admin)
    page = client.get(
        reverse("access:siting")
        + "?run=1&type=elderly_station&region=340223106000&k=1&weight=population"
    )
    html = page.content.decode()
    assert page.status_code == 200, html
    # B3 (1 person, node 15) is outside; a network node within 300 m of it covers it
    assert "精确最优" in html
    assert 'data-testid="share-after">100.0%' in html


def test_siting_page_rejects_a_bad_count_in_chinese(client, county_admin, computed):
    client.force_login(county_admin)
    page = client.get(
        reverse("access:siting") + "?run=1&type=elderly_station&region=340223106000&k=99"
    )
    assert page.status_code == 422
    assert "新建数量应在 1 到 20 之间" in page.content.decode()


def test_network_page_upload_and_refresh(
    client, county_admin, computed, django_capture_on_commit_callbacks
):
    client.force_login(county_admin)
    assert client.get(reverse("access:network")).status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("access:network_upload"),
            {"file": SimpleUploadedFile("lane2.geojson", lane_geojson(18))},
        )
    assert response.status_code == 302
    run = AccessRun.objects.latest("pk")
    assert run.status == AccessRun.Status.DONE, run.message
    assert WalkNetwork.objects.get(is_active=True).node_count == 18
    row = client.get(reverse("access:run", args=[run.pk]))
    assert "已完成" in row.content.decode()
    # a wrong file type is refused before anything is stored
    before = AccessRun.objects.count()
    client.post(reverse("access:network_upload"), {"file": SimpleUploadedFile("a.txt", b"x")})
    assert AccessRun.objects.count() == before


def test_api_gives_a_buildings_walks_and_scoped_coverage(
    client, county_admin, town_staff_a, computed
):
    _, raw = api_token_create(
        actor=county_admin, name="city", region=computed.county, can_write=False
    )
    headers = {"HTTP_AUTHORIZATION": f"Bearer {raw}"}
    walks = client.get(f"/api/access/buildings/{computed.b1.pk}", **headers).json()["walks"]
    station = next(w for w in walks if w["facility_type"] == "elderly_station")
    assert station["distance_m"] == pytest.approx(steps_m(2), abs=0.1)
    assert station["within"] is True
    assert station["nearest_facility_id"] == computed.station.pk
    rows = client.get("/api/access/coverage?subject=type:elderly_station", **headers).json()
    by_code = {r["region_code"]: r for r in rows["items"]}
    assert by_code["340223100001"]["share"] == 100.0
    assert by_code["340223106201"]["population_within"] == 0
    siting = client.get(
        "/api/access/regions/340223106201/siting?type=elderly_station&k=1", **headers
    ).json()
    assert siting["covered_after"] == 1 and len(siting["sites"]) == 1
    assert abs(siting["sites"][0]["lng"] - lng(15)) <= 0.0031  # within 3 steps (286 m)


def test_api_token_of_town_a_cannot_see_town_b(client, county_admin, computed):
    _, raw = api_token_create(
        actor=county_admin, name="a", region=computed.b1.region.parent, can_write=False
    )
    headers = {"HTTP_AUTHORIZATION": f"Bearer {raw}"}
    assert client.get(f"/api/access/buildings/{computed.b3.pk}", **headers).status_code == 404
    codes = {
        r["region_code"] for r in client.get("/api/access/coverage", **headers).json()["items"]
    }
    assert codes == {"340223100001"}


def test_county_admin_edits_a_circle_and_coverage_follows(
    client, county_admin, computed, django_capture_on_commit_callbacks
):
    from linli.access.models import Coverage, LifeCircle

    circle = LifeCircle.objects.get(code="convenience-5")
    client.force_login(county_admin)
    assert client.get(reverse("access:circle_edit", args=[circle.pk])).status_code == 200
    # when the circle asks only for an elderly station within 300 m
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("access:circle_edit", args=[circle.pk]),
            {
                "rows": "1",
                "name": "5分钟便民生活圈",
                "minutes": "5",
                "distance_m": "300",
                "req_name_0": "养老",
                "req_types_0": ["elderly_station"],
            },
        )
    assert response.status_code == 302
    # then community A (both homes within 300 m of the station) is fully inside it
    row = Coverage.objects.get(circle=circle, region__code="340223100001")
    assert (row.population, row.population_within) == (5, 5)


def test_a_bad_circle_edit_changes_nothing(client, county_admin, computed):
    from linli.access.models import LifeCircle

    circle = LifeCircle.objects.get(code="convenience-5")
    before = [
        (r.name, sorted(t.code for t in r.facility_types.all())) for r in circle.requirements.all()
    ]
    client.force_login(county_admin)
    response = client.post(
        reverse("access:circle_edit", args=[circle.pk]),
        {
            "rows": "2",
            "name": "",
            "minutes": "5",
            "distance_m": "9",
            "req_name_0": "便民商业",
            "req_types_0": [],
            "req_name_1": "",
            "req_types_1": [],
        },
    )
    html = response.content.decode()
    assert response.status_code == 422
    assert "请填写名称" in html and "应在 50 到 5000 之间" in html and "至少选择一类设施" in html
    circle.refresh_from_db()
    assert circle.distance_m == 300 and circle.name == "5分钟便民生活圈"
    after = [
        (r.name, sorted(t.code for t in r.facility_types.all())) for r in circle.requirements.all()
    ]
    assert after == before
