import csv
import io

import pytest
from openpyxl import load_workbook

from linli.imports import services
from linli.imports.models import Kind
from linli.imports.tests.factories import new_id, resident_row, table_bytes
from linli.people.tests.factories import make_household, make_resident

FORMULA = '=HYPERLINK("http://x","点我")'


def _csv_rows(data: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))


@pytest.mark.django_db
def test_a_resident_export_is_scoped_masked_and_neutralised(town_staff_a, grid_a, grid_b):
    # given a resident in town A with a formula for a name, and one in town B
    id_a = new_id()
    make_resident(
        make_household(grid_a, number="H1"),
        name=FORMULA[:50],
        id_number=id_a,
        phone="13812345678",
        tags=("living_alone",),
    )
    make_resident(make_household(grid_b), name="三里镇人", id_number=new_id())
    # when town A's staff export residents as CSV
    data = services.export_write(principal=town_staff_a, kind="residents", fmt="csv")
    rows = _csv_rows(data)
    # then only town A's resident is there, ID and phone masked, the formula neutralised
    assert len(rows) == 2
    record = dict(zip(rows[0], rows[1], strict=True))
    assert record["姓名"] == "'" + FORMULA[:50]
    assert record["身份证号"] == id_a[:6] + "********" + id_a[-4:]
    assert record["手机号"] == "138****5678"
    assert (record["所在区划代码"], record["户编号"], record["标签"]) == (grid_a.code, "H1", "独居")
    text = data.decode("utf-8-sig")
    assert id_a not in text and "13812345678" not in text and "三里镇人" not in text


@pytest.mark.django_db
def test_an_xlsx_export_stores_formulas_as_text(county_admin, grid_a):
    make_resident(grid_a, name=FORMULA[:50], id_number=new_id())
    data = services.export_write(principal=county_admin, kind="residents", fmt="xlsx")
    sheet = load_workbook(io.BytesIO(data)).worksheets[0]
    cell = sheet.cell(row=2, column=1)
    assert cell.data_type == "s"
    assert cell.value == "'" + FORMULA[:50]


@pytest.mark.django_db
@pytest.mark.parametrize(
    "kind", ["buildings", "households", "organisations", "facilities", "workers"]
)
def test_every_registry_exports_what_the_principal_sees_and_imports_back_unchanged(
    kind, town_staff_a, county_admin, grid_a, grid_b
):
    # given one row of `kind` in town A and one in town B, imported from a file
    from linli.facilities.models import FacilityType

    FacilityType.objects.get_or_create(code="test_station", defaults={"name": "测试服务站"})
    rows = {
        "buildings": lambda g, n: {"所在区划代码": g, "楼栋名称": n, "地址": f"{n}路1号"},
        "households": lambda g, n: {
            "所在区划代码": g,
            "户编号": n,
            "地址": "x",
            "联系电话": "13800000000",
        },
        "organisations": lambda g, n: {
            "所在区划代码": g,
            "名称": n,
            "类型": "志愿服务队",
            "联系电话": "13800000000",
        },
        "facilities": lambda g, n: {
            "所在区划代码": g,
            "设施类型": "测试服务站",
            "名称": n,
            "建筑面积（平方米）": "12.5",
        },
        "workers": lambda g, n: {
            "所在区划代码": g,
            "姓名": n,
            "手机号": "13800000000",
            "出生日期": "1980-01-02",
            "岗位": "网格员",
        },
    }[kind]
    services.import_run(
        actor=county_admin,
        kind=kind,
        source=table_bytes("csv", [rows(grid_a.code, "甲方"), rows(grid_b.code, "乙方")]),
        filename="a.csv",
    )
    # when town A exports it
    data = services.export_write(principal=town_staff_a, kind=kind, fmt="csv")
    text = data.decode("utf-8-sig")
    # then it has town A's row only, and no clear phone
    assert "甲方" in text and "乙方" not in text
    assert "13800000000" not in text
    # and the export imports back without any change (masked phones keep their value)
    report = services.import_run(actor=town_staff_a, kind=kind, source=data, filename="back.csv")
    assert (report.created, report.updated, report.unchanged) == (0, 0, 1)


@pytest.mark.django_db
def test_a_resident_export_does_not_import_back_with_masked_ids(county_admin, grid_a):
    services.import_run(
        actor=county_admin,
        kind="residents",
        source=table_bytes("csv", [resident_row(grid_a.code)]),
        filename="a.csv",
    )
    data = services.export_write(principal=county_admin, kind="residents", fmt="csv")
    with pytest.raises(services.ImportFailed) as failed:
        services.import_run(actor=county_admin, kind="residents", source=data, filename="b.csv")
    assert "脱敏" in failed.value.report.errors[2][0]


@pytest.mark.django_db
def test_templates_have_the_columns_and_their_rules(db):
    for kind in Kind.values:  # every registry, the relations too
        spec = services.spec_for(kind)
        book = load_workbook(io.BytesIO(services.import_template(kind, "xlsx")))
        headers = [c.value for c in book.worksheets[0][1]]
        assert headers == [c.header for c in spec.columns]
        rules = {row[0]: row for row in book["填写说明"].iter_rows(min_row=2, values_only=True)}
        assert all(rules[c.header][2] for c in spec.columns)
        csv_headers = _csv_rows(services.import_template(kind, "csv"))[0]
        assert csv_headers == headers
