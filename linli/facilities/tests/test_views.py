"""Facility pages: list, detail, create/edit, close, area, and the type catalogue."""

import pytest
from django.urls import reverse

from linli.facilities.models import Facility, FacilityType
from linli.facilities.tests.factories import FacilityFactory, facility_type

pytestmark = pytest.mark.django_db


def test_list_filters_and_partial(client, town_staff_a, community_a, community_b):
    FacilityFactory(region=community_a, name="陵阳卫生服务站", type=facility_type("clinic"))
    FacilityFactory(region=community_a, name="陵阳养老服务站")
    FacilityFactory(region=community_b, name="外镇卫生室", type=facility_type("clinic"))
    client.force_login(town_staff_a)
    page = client.get(reverse("facilities:list"), {"type": "clinic"}).content.decode()
    assert "陵阳卫生服务站" in page
    assert "陵阳养老服务站" not in page
    assert "外镇卫生室" not in page
    fragment = client.get(reverse("facilities:list"), HTTP_HX_REQUEST="true").content.decode()
    assert "<html" not in fragment and "陵阳养老服务站" in fragment


def test_list_query_count_is_bounded(
    client, county_admin, community_a, django_assert_max_num_queries
):
    for i in range(15):
        FacilityFactory(region=community_a, name=f"设施{i}")
    client.force_login(county_admin)
    with django_assert_max_num_queries(12):
        assert client.get(reverse("facilities:list")).status_code == 200


def test_create_edit_and_close_through_the_pages(client, town_staff_a, community_a):
    facility_type("culture_room")
    client.force_login(town_staff_a)
    response = client.post(
        reverse("facilities:create"),
        {
            "region_code": community_a.code,
            "type": FacilityType.objects.get(code="culture_room").pk,
            "name": "陵阳文化活动室",
            "building_area_m2": "80",
            "weekday_hours": "09:00-21:00",
            "status": "operating",
            "coord_system": "wgs84",
        },
    )
    facility = Facility.objects.get(name="陵阳文化活动室")
    assert response.status_code == 302
    client.post(
        reverse("facilities:edit", args=[facility.pk]),
        {
            "type": facility.type_id,
            "name": "陵阳文化活动室",
            "building_area_m2": "-3",
            "status": "operating",
            "coord_system": "wgs84",
        },
    )
    facility.refresh_from_db()
    assert facility.building_area_m2 == 80  # the bad edit changed nothing
    client.post(reverse("facilities:close", args=[facility.pk]))
    facility.refresh_from_db()
    assert facility.status == "closed"
    detail = client.get(reverse("facilities:detail", args=[facility.pk])).content.decode()
    assert "已关闭" in detail


def test_edit_page_shows_the_chinese_error(client, town_staff_a, community_a):
    facility = FacilityFactory(region=community_a)
    client.force_login(town_staff_a)
    page = client.post(
        reverse("facilities:edit", args=[facility.pk]),
        {
            "type": facility.type_id,
            "name": facility.name,
            "weekday_hours": "早八晚五",
            "status": "operating",
            "coord_system": "wgs84",
        },
    ).content.decode()
    assert "格式应为 HH:MM-HH:MM" in page


def test_another_towns_facility_is_not_found(client, town_staff_a, community_b):
    facility = FacilityFactory(region=community_b)
    client.force_login(town_staff_a)
    assert client.get(reverse("facilities:detail", args=[facility.pk])).status_code == 404
    assert client.post(reverse("facilities:close", args=[facility.pk])).status_code == 404
    facility.refresh_from_db()
    assert facility.status == "operating"


def test_county_admin_edits_a_type_and_town_staff_cannot(client, county_admin, town_staff_a):
    market = facility_type("market")
    client.force_login(town_staff_a)
    assert client.get(reverse("facilities:type_list")).status_code == 403
    client.force_login(county_admin)
    assert "农贸市场" in client.get(reverse("facilities:type_list")).content.decode()
    response = client.post(
        reverse("facilities:type_edit", args=[market.pk]),
        {
            "name": "菜市场",
            "category": "商业便民",
            "life_circle": "10",
            "walk_threshold_m": "600",
            "sort_order": "5",
            "is_active": "on",
        },
    )
    assert response.status_code == 302
    market.refresh_from_db()
    assert (market.code, market.name, market.walk_threshold_m) == ("market", "菜市场", 600)


def test_area_page(client, county_admin, community_b):
    FacilityFactory(region=community_b, type=facility_type("one_stop_hall"), building_area_m2=280)
    client.force_login(county_admin)
    page = client.get(reverse("facilities:area")).content.decode()
    assert "280" in page and "未达标" in page
