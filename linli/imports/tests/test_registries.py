"""Buildings, households, organisations, facilities and workers: good files, errors, no-ops."""

from decimal import Decimal

import pytest
from django.apps import apps

from linli.core.pii import blind_index
from linli.facilities.models import Facility, FacilityType
from linli.imports import services
from linli.imports.tests.factories import import_errors, import_rows
from linli.orgs.models import Organisation
from linli.people.models import Household
from linli.people.tests.factories import make_building, make_household
from linli.regions.models import Building


@pytest.fixture
def facility_type(db):
    return FacilityType.objects.get_or_create(code="test_station", defaults={"name": "测试服务站"})[
        0
    ]


# --- buildings ----------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_buildings_import_and_reimport_is_a_no_op(fmt, county_admin, grid_a, community_b):
    rows = [
        {
            "所在区划代码": grid_a.code,
            "楼栋名称": "3栋",
            "地址": "春谷路8号3栋",
            "类型": "住宅",
            "层数": "6",
            "单元数": "2",
            "经度": "118.33",
            "纬度": "30.92",
        },
        {
            "所在区划代码": community_b.code,
            "楼栋名称": "村部",
            "地址": "澄桥村1号",
            "类型": "公共建筑",
        },
    ]
    report = import_rows(county_admin, "buildings", rows, fmt)
    assert report.created == 2
    building = Building.objects.get(address="春谷路8号3栋")
    assert (building.floors, building.units, building.lng, building.region_code) == (
        6,
        2,
        118.33,
        grid_a.code,
    )
    assert Building.objects.get(address="澄桥村1号").kind == "public"
    again = import_rows(county_admin, "buildings", rows, "csv" if fmt == "xlsx" else "xlsx")
    assert (again.created, again.updated, again.unchanged) == (0, 0, 2)


@pytest.mark.django_db
def test_building_rows_with_bad_numbers_and_duplicates_are_reported(county_admin, grid_a):
    rows = [
        {"所在区划代码": grid_a.code, "楼栋名称": "1栋", "地址": "甲路1号"},
        {"所在区划代码": grid_a.code, "楼栋名称": "1栋", "地址": "甲路1号"},
        {"所在区划代码": grid_a.code, "楼栋名称": "2栋", "地址": "甲路2号", "层数": "六"},
        {"所在区划代码": grid_a.code, "楼栋名称": "3栋", "地址": "甲路3号", "经度": "200"},
        {"所在区划代码": grid_a.code, "楼栋名称": "", "地址": "甲路4号", "类型": "城堡"},
    ]
    errors = import_errors(county_admin, "buildings", rows)
    assert errors[3] == ["同一区划的楼栋地址与第2行重复"]
    assert errors[4] == ["层数应为整数"]
    assert errors[5] == ["经度应在 73 至 136 之间"]
    assert errors[6][0] == "请填写楼栋名称"
    assert errors[6][1].startswith("类型“城堡”无效")
    assert Building.objects.count() == 0


# --- households ---------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_households_import_with_their_building(fmt, county_admin, grid_a, community_a):
    make_building(community_a, address="春谷路8号3栋")
    rows = [
        {
            "所在区划代码": grid_a.code,
            "户编号": "LY-1",
            "地址": "3栋101",
            "楼栋地址": "春谷路8号3栋",
            "户类型": "常住",
            "联系电话": "13812345678",
        },
        {"所在区划代码": community_a.code, "户编号": "LY-2", "地址": "3栋102"},
    ]
    report = import_rows(county_admin, "households", rows, fmt)
    assert report.created == 2
    household = Household.objects.get(number="LY-1")
    assert household.building.address == "春谷路8号3栋"
    assert household.residence_type == "resident"
    assert household.phone == "13812345678" and household.phone_hash == blind_index("13812345678")
    assert import_rows(county_admin, "households", rows).unchanged == 2


@pytest.mark.django_db
def test_a_household_number_is_the_communitys_and_moves_between_its_grids(
    county_admin, grid_a, community_a
):
    # given household H1 registered directly in the community
    household = make_household(community_a, number="H1", address="旧址")
    # when a file places H1 in grid A of the same community
    report = import_rows(
        county_admin, "households", [{"所在区划代码": grid_a.code, "户编号": "H1", "地址": "新址"}]
    )
    # then the same household is updated (moved to the grid), not a second H1 created
    assert (report.created, report.updated) == (0, 1)
    household.refresh_from_db()
    assert (household.region_code, household.address) == (grid_a.code, "新址")


@pytest.mark.django_db
def test_household_errors(county_admin, grid_a, grid_b):
    make_building(grid_b, address="别村1号")
    rows = [
        {"所在区划代码": grid_a.code, "户编号": "A1", "地址": "x", "楼栋地址": "别村1号"},
        {"所在区划代码": grid_a.code, "户编号": "A2", "地址": "y", "联系电话": "0553-1234"},
        {"所在区划代码": grid_a.code, "户编号": "A3", "地址": "z", "户类型": "临时"},
    ]
    errors = import_errors(county_admin, "households", rows)
    assert "在本社区/村中未登记" in errors[2][0]
    assert errors[3] == ["联系电话格式不正确（应为 11 位手机号）"]
    assert errors[4][0].startswith("户类型“临时”无效")


# --- organisations ------------------------------------------------------------------------

CREDIT_CODE = "91340223MA2N0K1E3B"


def _valid_credit_code() -> str:
    from linli.orgs.models import CREDIT_CODE_CHARS, CREDIT_CODE_WEIGHTS

    body = CREDIT_CODE[:17]
    total = sum(CREDIT_CODE_CHARS.index(c) * w for c, w in zip(body, CREDIT_CODE_WEIGHTS))
    return body + CREDIT_CODE_CHARS[(31 - total % 31) % 31]


@pytest.mark.django_db
@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_organisations_import(fmt, county_admin, community_a, two_towns):
    rows = [
        {
            "所在区划代码": community_a.code,
            "名称": "陵阳社区志愿服务队",
            "类型": "志愿服务队",
            "经常性参与社区服务": "是",
            "联系人": "李四",
            "联系电话": "0553-6812345",
            "统一社会信用代码": _valid_credit_code(),
            "成立日期": "2020/5/1",
        },
        {"所在区划代码": two_towns["county"].code, "名称": "县民政局", "类型": "政府部门"},
    ]
    report = import_rows(county_admin, "organisations", rows, fmt)
    assert report.created == 2
    team = Organisation.objects.get(name="陵阳社区志愿服务队")
    assert (team.kind, team.is_regular_service, team.contact_phone) == (
        "volunteer_team",
        True,
        "0553-6812345",
    )
    assert str(team.founded_on) == "2020-05-01"
    assert import_rows(county_admin, "organisations", rows).unchanged == 2


@pytest.mark.django_db
def test_organisation_errors(county_admin, community_a):
    rows = [
        {"所在区划代码": community_a.code, "名称": "甲", "类型": "帮派"},
        {
            "所在区划代码": community_a.code,
            "名称": "乙",
            "类型": "社区社会组织",
            "统一社会信用代码": "91340223MA2N0K1E3X",
            "党组织层级": "网格党支部",
        },
        {"所在区划代码": community_a.code, "名称": "丙", "类型": "党组织", "存续": "也许"},
    ]
    errors = import_errors(county_admin, "organisations", rows)
    assert errors[2][0].startswith("类型“帮派”无效")
    assert "只有党组织可以填写党组织层级" in errors[3]
    assert any("统一社会信用代码" in message for message in errors[3])
    assert errors[4] == ["存续应填“是”或“否”"]


# --- facilities ---------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_facilities_import_by_type_name_or_code(fmt, county_admin, community_a, facility_type):
    rows = [
        {
            "所在区划代码": community_a.code,
            "设施类型": "测试服务站",
            "名称": "陵阳服务站",
            "建筑面积（平方米）": "350.5",
            "周末开放": "是",
            "工作日开放时间": "08:30-17:30",
        },
        {
            "所在区划代码": community_a.code,
            "设施类型": "test_station",
            "名称": "第二站",
            "状态": "规划中",
        },
    ]
    report = import_rows(county_admin, "facilities", rows, fmt)
    assert report.created == 2
    station = Facility.objects.get(name="陵阳服务站")
    assert station.type == facility_type
    assert station.building_area_m2 == Decimal("350.50") and station.weekend_open
    assert Facility.objects.get(name="第二站").status == "planned"
    assert import_rows(county_admin, "facilities", rows).unchanged == 2


@pytest.mark.django_db
def test_facility_errors(county_admin, community_a, facility_type):
    rows = [
        {"所在区划代码": community_a.code, "设施类型": "飞船基地", "名称": "甲"},
        {
            "所在区划代码": community_a.code,
            "设施类型": "测试服务站",
            "名称": "乙",
            "建筑面积（平方米）": "-5",
        },
    ]
    errors = import_errors(county_admin, "facilities", rows)
    assert errors[2][0].startswith("未知的设施类型“飞船基地”")
    assert "建筑面积" in errors[3][0]


# --- workers ------------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_workers_import_with_positions(fmt, county_admin, community_a):
    rows = [
        {
            "所在区划代码": community_a.code,
            "姓名": "王五",
            "手机号": "13912345678",
            "性别": "女",
            "学历": "本科",
            "岗位": "党组织书记、居/村委会主任",
        },
        {
            "所在区划代码": community_a.code,
            "姓名": "赵六",
            "出生日期": "1985-06-01",
            "岗位": "网格员",
        },
    ]
    report = import_rows(county_admin, "workers", rows, fmt)
    assert report.created == 2
    worker_model = apps.get_model("workforce", "Worker")
    wang = worker_model.objects.get(name="王五")
    assert (wang.phone, wang.gender, wang.education) == ("13912345678", "F", "bachelor")
    assert set(wang.positions.values_list("kind", flat=True)) == {"secretary", "director"}
    assert import_rows(county_admin, "workers", rows).unchanged == 2
    # when a known worker gets one more position, the row counts as updated
    rows[1]["岗位"] = "网格员、儿童主任"
    again = import_rows(county_admin, "workers", rows)
    assert (again.updated, again.unchanged) == (1, 1)
    assert worker_model.objects.get(name="赵六").positions.count() == 2


@pytest.mark.django_db
def test_worker_errors(county_admin, community_a):
    rows = [
        {"所在区划代码": community_a.code, "姓名": "甲"},
        {"所在区划代码": community_a.code, "姓名": "乙", "手机号": "139", "岗位": "大侠"},
        {"所在区划代码": community_a.code, "姓名": "丙", "出生日期": "1985-02-30"},
    ]
    errors = import_errors(county_admin, "workers", rows)
    assert errors[2] == ["手机号和出生日期至少填写一项（用于识别同一人）"]
    assert errors[3][0] == "手机号格式不正确（应为 11 位手机号）"
    assert errors[3][1].startswith("未知岗位“大侠”")
    assert errors[4] == ["出生日期不是有效日期（格式如 2024-01-31）"]


@pytest.mark.django_db
def test_unknown_kind_is_not_found(county_admin):
    with pytest.raises(services.NotFound):
        services.import_run(actor=county_admin, kind="aliens", source=b"a\n1\n", filename="a.csv")
