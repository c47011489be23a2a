import copy
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from linli.accounts.models import Role
from linli.core import tabular
from linli.core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from linli.core.models import AuditEntry
from linli.core.tabular import ImportFailed
from linli.regions import io, services
from linli.regions.models import Region
from linli.regions.tests.factories import (
    make_community,
    make_county,
    make_staff,
    make_superuser,
    make_town,
)

HEADERS = [c.header for c in io.REGION_COLUMNS]
# Spreadsheet rows 2..6 (the header is row 1).
GOOD = [
    ["340223000000", "南陵县", "县", "", "", "118.3336", "30.9197", "", ""],
    ["340223100000", "籍山镇", "镇", "340223000000", "", "", "", "", ""],
    ["340223100001", "陵阳社区", "社区", "340223100000", "111", "118.33", "30.92", "6200", "2350"],
    ["340223100201", "龙山村", "村", "340223100000", "220", "", "", "1500", "480"],
    ["340223100001001", "陵阳社区第1网格", "网格", "340223100001", "", "", "", "", ""],
]


def _rows(data: list[list[str]], fmt: str = "csv") -> tuple[tabular.Table, list[tabular.Row]]:
    content = tabular.write_table(fmt, HEADERS, data)
    return io.region_table_read(content, filename=f"regions.{fmt}")


def _import(data: list[list[str]], actor=None, fmt: str = "csv") -> tabular.ImportReport:
    _table, rows = _rows(data, fmt)
    return services.region_tree_import(actor=actor or make_superuser(), rows=rows)


@pytest.mark.django_db
@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
def test_import_of_a_good_file_creates_the_tree(fmt):
    # when
    report = _import(GOOD, fmt=fmt)

    # then
    assert (report.total, report.created, report.updated, report.unchanged) == (5, 5, 0, 0)
    community = Region.objects.get(code="340223100001")
    assert community.level == Region.Level.COMMUNITY
    assert community.parent.code == "340223100000"
    assert community.urban_rural_code == "111"
    assert (community.center_lng, community.center_lat) == (118.33, 30.92)
    assert (community.population, community.households) == (6200, 2350)
    assert Region.objects.get(code="340223100201").is_rural
    grid = Region.objects.get(code="340223100001001")
    assert grid.level == Region.Level.GRID
    assert grid.parent == community


@pytest.mark.django_db
def test_import_writes_an_audit_entry_per_created_region():
    _import(GOOD)

    assert AuditEntry.objects.filter(model_label="regions.Region", action="create").count() == 5


@pytest.mark.django_db
def test_reimporting_the_same_file_changes_nothing():
    # given
    _import(GOOD)
    stamps = dict(Region.objects.values_list("code", "updated_at"))
    audits = AuditEntry.objects.count()

    # when
    report = _import(GOOD, fmt="xlsx")

    # then
    assert (report.created, report.updated, report.unchanged) == (0, 0, 5)
    assert dict(Region.objects.values_list("code", "updated_at")) == stamps
    assert AuditEntry.objects.count() == audits


@pytest.mark.django_db
def test_reimport_with_a_new_name_updates_and_blank_cells_keep_values():
    # given
    _import(GOOD)
    changed = copy.deepcopy(GOOD)
    changed[2][1] = "陵阳社区（新）"
    changed[2][5:9] = ["", "", "", ""]

    # when
    report = _import(changed)

    # then
    assert (report.created, report.updated, report.unchanged) == (0, 1, 4)
    community = Region.objects.get(code="340223100001")
    assert community.name == "陵阳社区（新）"
    assert community.population == 6200


@pytest.mark.django_db
def test_parent_may_come_later_in_the_file_or_be_in_the_database():
    # given the county already exists; the community comes before its town in the file
    make_county()
    rows = [GOOD[2], GOOD[1]]

    # when
    report = _import(rows)

    # then
    assert report.created == 2
    assert Region.objects.get(code="340223100001").parent.code == "340223100000"


def _with(row_index: int, column: str, value: str) -> list[list[str]]:
    data = copy.deepcopy(GOOD)
    data[row_index][HEADERS.index(column)] = value
    return data


ERROR_CASES = {
    "unknown parent": (_with(3, "上级代码", "340223199000"), 5, "上级代码 340223199000 不存在"),
    "duplicate in file": ([*GOOD, GOOD[3]], 7, "区划代码 340223100201 与第5行重复"),
    "code too short": (_with(3, "区划代码", "34022310020"), 5, "区划代码应为12位，现为11位"),
    "grid code length": (_with(4, "区划代码", "340223100001"), 6, "网格代码应为15位"),
    "non-digits": (_with(3, "区划代码", "3402231002O1"), 5, "只能由数字组成"),
    "unknown level": (_with(3, "层级", "组"), 5, "层级“组”无效"),
    "wrong level": (_with(3, "上级代码", "340223000000"), 5, "层级应为镇/街道"),
    "grid not under community": (
        _with(4, "区划代码", "340223100002001"),
        6,
        "网格代码应为所属社区代码 340223100001 加3位",
    ),
    "town outside county": (
        _with(1, "区划代码", "340224100000"),
        3,
        "区划代码应以上级代码的前6位 340223 开头",
    ),
    "missing urban-rural code": (_with(2, "城乡分类代码", ""), 4, "社区/村须填写城乡分类代码"),
    "invalid urban-rural code": (_with(3, "城乡分类代码", "230"), 5, "城乡分类代码“230”无效"),
    "urban-rural code on a town": (
        _with(1, "城乡分类代码", "111"),
        3,
        "只有社区/村填写城乡分类代码",
    ),
    "bad longitude": (_with(2, "中心经度", "东经118"), 4, "中心经度“东经118”不是数字"),
    "longitude outside China": (_with(2, "中心经度", "18.3"), 4, "中心经度应在73至136之间"),
    "negative population": (_with(3, "人口", "-5"), 5, "人口应为非负整数"),
    "missing name": (_with(3, "名称", ""), 5, "名称不能为空"),
    "county with a parent": (_with(0, "上级代码", "340200000000"), 2, "县级区划不填写上级代码"),
}


@pytest.mark.django_db
@pytest.mark.parametrize("case", list(ERROR_CASES), ids=list(ERROR_CASES))
def test_a_file_with_an_error_writes_nothing_and_names_the_row(case):
    # given
    data, row, message = ERROR_CASES[case]

    # when
    with pytest.raises(ImportFailed) as caught:
        _import(data)

    # then
    report = caught.value.report
    assert Region.objects.count() == 0
    assert caught.value.code == "import_invalid"
    assert caught.value.status == 422
    assert caught.value.message == f"导入文件有 {report.error_count} 行错误，未导入任何数据"
    assert row in report.errors, report.errors
    assert any(message in m for m in report.errors[row]), report.errors[row]
    assert caught.value.detail["errors"][0]["row"] == min(report.errors)


@pytest.mark.django_db
def test_several_bad_rows_are_all_reported():
    data = _with(2, "城乡分类代码", "")
    data[4][HEADERS.index("区划代码")] = "abc"

    with pytest.raises(ImportFailed) as caught:
        _import(data)

    assert sorted(caught.value.report.errors) == [4, 6]
    assert caught.value.report.lines()[0] == "导入文件有 2 行错误，未导入任何数据"


@pytest.mark.django_db
def test_an_existing_code_with_another_parent_or_level_is_an_error():
    # given the tree, and a second town
    _import(GOOD)
    make_town(Region.objects.get(code="340223000000"))  # 340223101000
    moved = _with(3, "上级代码", "340223101000")
    moved[3][HEADERS.index("区划代码")] = "340223100201"
    relevelled = [["340223100201", "龙山村", "网格", "340223100001", "", "", "", "", ""]]

    # when
    with pytest.raises(ImportFailed) as moved_error:
        _import(moved)
    with pytest.raises(ImportFailed) as level_error:
        _import(relevelled)

    # then
    assert "已存在，上级为 340223100000" in moved_error.value.report.errors[5][-1]
    assert any("已存在，层级为社区/村" in m for m in level_error.value.report.errors[2])
    assert Region.objects.get(code="340223100201").parent.code == "340223100000"


@pytest.mark.django_db
def test_town_staff_may_import_only_inside_their_town():
    # given a town staff member of 籍山镇
    _import(GOOD[:2])
    town = Region.objects.get(code="340223100000")
    staff = make_staff(town, Role.TOWN_STAFF)
    other_town = ["340223101000", "弋江镇", "镇", "340223000000", "", "", "", "", ""]

    # when
    with pytest.raises(ImportFailed) as caught:
        _import([GOOD[2], other_town], actor=staff)
    report = _import([GOOD[2], GOOD[4]], actor=staff)

    # then
    assert list(caught.value.report.errors) == [3]
    assert caught.value.report.errors[3] == ["无权导入区划 340223101000：超出您的管理范围"]
    assert report.created == 2


@pytest.mark.django_db
def test_a_read_only_leader_cannot_import():
    county = make_county()
    leader = make_staff(county, Role.LEADER)

    with pytest.raises(ImportFailed) as caught:
        _import(GOOD[1:2], actor=leader)

    assert caught.value.report.errors[2] == ["无权修改区划：您的账号是只读权限"]
    assert Region.objects.count() == 1


@pytest.mark.django_db
def test_an_empty_file_is_refused():
    with pytest.raises(ValidationFailed) as caught:
        _import([])

    assert caught.value.code == "import_empty"


# --- region_create / region_update -----------------------------------------------------------


@pytest.mark.django_db
def test_region_create_adds_a_community_under_a_town():
    town = make_town()

    region = services.region_create(
        actor=make_superuser(),
        code=town.code[:9] + "005",
        name="春谷社区",
        level="社区",
        parent_code=town.code,
        urban_rural_code="112",
        population=3000,
    )

    assert region.parent == town
    assert region.level == Region.Level.COMMUNITY
    assert Region.objects.get(code=region.code).population == 3000


@pytest.mark.django_db
def test_region_create_refuses_duplicates_bad_shapes_and_strangers():
    town = make_town()
    existing = make_community(town)
    stranger = make_staff(make_town(), Role.TOWN_STAFF)
    fields = {"name": "新社区", "level": "community", "parent_code": town.code}

    with pytest.raises(Conflict):
        services.region_create(
            actor=make_superuser(), code=existing.code, urban_rural_code="111", **fields
        )
    with pytest.raises(ValidationFailed) as invalid:
        services.region_create(actor=make_superuser(), code=town.code[:9] + "009", **fields)
    with pytest.raises(Forbidden):
        services.region_create(
            actor=stranger, code=town.code[:9] + "009", urban_rural_code="111", **fields
        )

    assert "城乡分类代码" in invalid.value.message
    assert not Region.objects.filter(code=town.code[:9] + "009").exists()


@pytest.mark.django_db
def test_region_update_changes_descriptive_fields_and_is_audited():
    community = make_community()
    staff = make_staff(community.parent, Role.TOWN_STAFF)

    region = services.region_update(
        actor=staff, code=community.code, data={"name": "陵阳社区", "population": "4200"}
    )

    assert (region.name, region.population) == ("陵阳社区", 4200)
    entry = AuditEntry.objects.filter(action="update", object_pk=str(community.pk)).get()
    assert entry.changes["changed"]["name"][1] == "陵阳社区"


@pytest.mark.django_db
def test_region_update_refuses_structure_changes_bad_values_and_invisible_regions():
    community = make_community()
    other = make_staff(make_town(), Role.TOWN_STAFF)

    with pytest.raises(ValidationFailed) as immutable:
        services.region_update(actor=make_superuser(), code=community.code, data={"parent": 1})
    with pytest.raises(ValidationFailed) as bad_code:
        services.region_update(
            actor=make_superuser(), code=community.code, data={"urban_rural_code": "999"}
        )
    with pytest.raises(NotFound):
        services.region_update(actor=other, code=community.code, data={"name": "x"})

    assert immutable.value.code == "region_immutable"
    assert bad_code.value.code == "region_invalid"
    community.refresh_from_db()
    assert community.urban_rural_code == "111"


# --- management command ------------------------------------------------------------------------


@pytest.mark.django_db
def test_import_command_prints_the_report_and_fails_on_errors(tmp_path: Path, capsys):
    # given a file with a bad row
    bad = tmp_path / "bad.csv"
    bad.write_bytes(tabular.write_csv(HEADERS, _with(3, "上级代码", "340223199000")))
    report_file = tmp_path / "errors.xlsx"

    # when
    with pytest.raises(CommandError) as caught:
        call_command("import_regions", str(bad), "--report", str(report_file))

    # then
    assert "未导入任何数据" in str(caught.value)
    assert "第5行：上级代码 340223199000 不存在" in capsys.readouterr().err
    assert Region.objects.count() == 0
    table = tabular.read_table(report_file)
    assert table.headers[-1] == "错误"
    assert "不存在" in table.rows[3]["错误"]
    assert table.rows[0]["错误"] == ""


@pytest.mark.django_db
def test_import_command_imports_a_good_file(tmp_path: Path, capsys):
    good = tmp_path / "good.xlsx"
    good.write_bytes(tabular.write_xlsx(HEADERS, GOOD))

    call_command("import_regions", str(good))

    assert "新增 5" in capsys.readouterr().out
    assert Region.objects.count() == 5
