"""Facility services: validation of area, hours, coordinates; scope; close; types."""

from decimal import Decimal

import pytest

from linli.core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from linli.facilities import services
from linli.facilities.coords import wgs84_to_gcj02
from linli.facilities.models import Facility, FacilityType
from linli.facilities.services import hours_normalize
from linli.facilities.tests.factories import FacilityFactory, facility_type
from linli.orgs.tests.factories import OrganisationFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("08:30-17:30", "08:30-17:30"),
        ("8:30-17:30", None),
        ("08：30～12:00， 14:30 - 17:30", "08:30-12:00,14:30-17:30"),
        ("00:00-24:00", "00:00-24:00"),
        ("", ""),
    ],
)
def test_hours_are_normalised(text, expected):
    value, error = hours_normalize(text)
    if expected is None:
        assert error and "HH:MM-HH:MM" in error
    else:
        assert (value, error) == (expected, None)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("17:30-08:30", "开始时间应早于结束时间"),
        ("25:00-26:00", "格式应为"),
        ("08:00-12:00,11:00-17:00", "不重叠"),
        ("全天", "格式应为"),
    ],
)
def test_bad_hours_are_refused(text, message):
    _, error = hours_normalize(text)
    assert message in error


def test_facility_create_stores_wgs84_from_gcj02_input(community_a, town_staff_a):
    # given a point picked on a 高德 map (GCJ-02)
    wgs = (118.3336, 30.9197)
    gcj = wgs84_to_gcj02(*wgs)
    # when registered with coord_system="gcj02"
    facility = services.facility_create(
        actor=town_staff_a,
        region=community_a,
        type=facility_type("party_service_center"),
        name="陵阳社区党群服务中心",
        lng=gcj[0],
        lat=gcj[1],
        coord_system="gcj02",
        building_area_m2="650.5",
        weekday_hours="08:30-12:00，14:30-17:30",
        weekend_open=True,
    )
    facility.refresh_from_db()
    # then WGS84 is stored, and the rest normalised
    assert facility.lng == pytest.approx(wgs[0], abs=1e-6)
    assert facility.lat == pytest.approx(wgs[1], abs=1e-6)
    assert facility.building_area_m2 == Decimal("650.50")
    assert facility.weekday_hours == "08:30-12:00,14:30-17:30"
    assert facility.status == Facility.Status.OPERATING


def test_facility_create_reports_every_error_and_writes_nothing(community_a, town_staff_a):
    with pytest.raises(ValidationFailed) as exc:
        services.facility_create(
            actor=town_staff_a,
            region=community_a,
            type=facility_type("clinic"),
            name="",
            building_area_m2=-5,
            weekday_hours="9点到5点",
            lng=30.9,
            lat=118.3,
        )
    errors = exc.value.detail["errors"]
    assert "设施名称不能为空" in errors
    assert "建筑面积不能为负数" in errors
    assert any("开放时间" in e for e in errors)
    assert any("经度应在 73 至 136 之间" in e for e in errors)
    assert any("纬度应在 3 至 54 之间" in e for e in errors)
    assert Facility.objects.count() == 0


def test_one_coordinate_alone_is_refused(community_a, town_staff_a):
    with pytest.raises(ValidationFailed, match="经度和纬度应同时填写"):
        services.facility_create(
            actor=town_staff_a,
            region=community_a,
            type=facility_type("clinic"),
            name="x",
            lng=118.3,
        )


def test_area_zero_is_allowed_and_text_is_not(community_a, town_staff_a):
    facility = services.facility_create(
        actor=town_staff_a,
        region=community_a,
        type=facility_type("shelter"),
        name="广场",
        building_area_m2=0,
    )
    assert facility.building_area_m2 == 0
    with pytest.raises(ValidationFailed, match="建筑面积应为数字"):
        services.facility_update(
            actor=town_staff_a, facility=facility, data={"building_area_m2": "大约100"}
        )


def test_create_refused_outside_scope_for_leaders_and_for_inactive_types(
    community_a, community_b, town_staff_a, leader
):
    with pytest.raises(Forbidden):
        services.facility_create(
            actor=town_staff_a, region=community_b, type=facility_type("clinic"), name="x"
        )
    with pytest.raises(Forbidden):
        services.facility_create(
            actor=leader, region=community_a, type=facility_type("clinic"), name="x"
        )
    retired = facility_type("express_point")
    retired.is_active = False
    retired.save()
    with pytest.raises(ValidationFailed, match="已停用"):
        services.facility_create(actor=town_staff_a, region=community_a, type=retired, name="x")
    assert Facility.objects.count() == 0


def test_operator_must_be_visible_and_names_itself(community_a, community_b, town_staff_a):
    ours = OrganisationFactory(region=community_a, name="乐龄养老服务中心")
    theirs = OrganisationFactory(region=community_b)
    facility = services.facility_create(
        actor=town_staff_a,
        region=community_a,
        type=facility_type("elderly_station"),
        name="站",
        operator=ours,
    )
    assert facility.operator_name == "乐龄养老服务中心"
    with pytest.raises(ValidationFailed, match="运营方组织不存在"):
        services.facility_update(actor=town_staff_a, facility=facility, data={"operator": theirs})


def test_duplicate_name_and_type_conflicts(community_a, town_staff_a):
    FacilityFactory(region=community_a, name="一号站")
    with pytest.raises(Conflict):
        services.facility_create(
            actor=town_staff_a,
            region=community_a,
            type=facility_type("elderly_station"),
            name="一号站",
        )


def test_update_and_close(community_a, community_b, town_staff_a):
    facility = FacilityFactory(region=community_a)
    services.facility_update(
        actor=town_staff_a,
        facility=facility,
        data={"lng": 118.3, "lat": 30.9, "status": "suspended"},
    )
    facility.refresh_from_db()
    assert (facility.lng, facility.lat, facility.status) == (118.3, 30.9, "suspended")
    services.facility_close(actor=town_staff_a, facility=facility)
    facility.refresh_from_db()
    assert facility.status == "closed"
    with pytest.raises(Conflict, match="已关闭"):
        services.facility_close(actor=town_staff_a, facility=facility)
    with pytest.raises(ValidationFailed, match="不能修改这些字段"):
        services.facility_update(
            actor=town_staff_a, facility=facility, data={"region": community_b}
        )
    other = FacilityFactory(region=community_b)
    with pytest.raises(NotFound):
        services.facility_close(actor=town_staff_a, facility=other)


def test_only_county_admins_edit_types(county_admin, town_staff_a):
    market = facility_type("market")
    with pytest.raises(Forbidden):
        services.facility_type_update(
            actor=town_staff_a, facility_type=market, data={"walk_threshold_m": 800}
        )
    services.facility_type_update(
        actor=county_admin, facility_type=market, data={"walk_threshold_m": 800}
    )
    market.refresh_from_db()
    assert market.walk_threshold_m == 800
    with pytest.raises(ValidationFailed, match="代码是统计口径的依据"):
        services.facility_type_update(actor=county_admin, facility_type=market, data={"code": "x"})
    with pytest.raises(ValidationFailed, match="步行距离阈值应在"):
        services.facility_type_update(
            actor=county_admin, facility_type=market, data={"walk_threshold_m": 10}
        )
    created = services.facility_type_create(
        actor=county_admin,
        code="library",
        name="社区图书室",
        category="文化体育",
        life_circle="5",
        walk_threshold_m=300,
    )
    assert FacilityType.objects.get(code="library") == created
    with pytest.raises(Conflict):
        services.facility_type_create(actor=county_admin, code="library2", name="社区图书室")
