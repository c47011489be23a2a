import io as stdlib_io
from pathlib import Path

import pytest
from django.core.management import call_command
from openpyxl import load_workbook

from linli.accounts.models import Role
from linli.core import tabular
from linli.regions import io, services
from linli.regions.models import Region
from linli.regions.tests.factories import (
    make_community,
    make_grid,
    make_staff,
    make_superuser,
    make_town,
    make_tree,
)

HEADERS = [
    "区划代码",
    "名称",
    "层级",
    "上级代码",
    "城乡分类代码",
    "中心经度",
    "中心纬度",
    "人口",
    "户数",
]


def test_region_template_xlsx_has_the_headers_and_the_rules():
    workbook = load_workbook(stdlib_io.BytesIO(io.region_template("xlsx")))

    assert [c.value for c in workbook.worksheets[0][1]] == HEADERS
    rules = list(workbook["填写说明"].iter_rows(min_row=2, values_only=True))
    assert [r[0] for r in rules] == HEADERS
    assert [r[0] for r in rules if r[1] == "是"] == ["区划代码", "名称", "层级"]
    assert "210" in dict((r[0], r[2]) for r in rules)["城乡分类代码"]


def test_region_template_csv_is_the_header_row():
    table = tabular.read_table(io.region_template("csv"), filename="t.csv")

    assert table.headers == HEADERS
    assert table.rows == []


@pytest.mark.django_db
@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
def test_an_export_imports_back_unchanged(fmt):
    # given a tree with a rural village and an urban community
    tree = make_tree(towns=2, communities=2, grids=2)
    Region.objects.filter(pk=tree.communities[0].pk).update(center_lng=118.3, center_lat=30.9)
    admin = make_superuser()

    # when
    data = io.region_export(admin, fmt)
    _table, rows = io.region_table_read(data, filename=f"export.{fmt}")
    report = services.region_tree_import(actor=admin, rows=rows)

    # then
    assert report.total == Region.objects.count() == 1 + 2 + 4 + 8
    assert report.unchanged == report.total
    levels = {row["code"]: row["level"] for row in rows}
    assert levels[tree.county.code] == "县"
    assert levels[tree.communities[0].code] == "社区"
    assert levels[tree.communities[1].code] == "村"
    assert levels[tree.grids[0].code] == "网格"


@pytest.mark.django_db
def test_export_covers_only_what_the_principal_sees():
    tree = make_tree(towns=2, communities=1, grids=1)
    staff = make_staff(tree.towns[0], Role.TOWN_STAFF)

    table = tabular.read_table(io.region_export(staff, "csv"), filename="x.csv")

    assert [r["区划代码"] for r in table.rows] == [
        tree.towns[0].code,
        tree.communities[0].code,
        tree.grids[0].code,
    ]
    assert table.rows[1]["上级代码"] == tree.towns[0].code


@pytest.mark.django_db
def test_export_neutralises_formulas_in_names():
    town = make_town(name='=HYPERLINK("http://evil")')

    data = io.region_export(make_superuser(), "xlsx")

    sheet = load_workbook(stdlib_io.BytesIO(data)).worksheets[0]
    names = [row[1] for row in sheet.iter_rows(min_row=2, values_only=True)]
    assert "'" + town.name in names
    assert all(cell.data_type == "s" for cell in sheet["B"][1:])


@pytest.mark.django_db
def test_error_report_for_a_failed_import_marks_the_bad_row():
    # given a file where the second data row names an unknown parent
    make_community()
    content = tabular.write_csv(
        HEADERS,
        [
            ["340223101001001", "第1网格", "网格", "340223101001", "", "", "", "", ""],
            ["340223101001002", "第2网格", "网格", "340223101009", "", "", "", "", ""],
        ],
    )
    table, rows = io.region_table_read(content, filename="grids.csv")

    # when
    with pytest.raises(tabular.ImportFailed) as caught:
        services.region_tree_import(actor=make_superuser(), rows=rows)
    report_file = io.region_error_report("csv", table, caught.value.report)

    # then
    result = tabular.read_table(report_file, filename="r.csv")
    assert [r["错误"] for r in result.rows] == [
        "",
        "上级代码 340223101009 不存在（文件和系统中都没有）",
    ]


@pytest.mark.django_db
def test_export_and_template_commands_write_files(tmp_path: Path):
    make_grid()
    export_file, template_file = tmp_path / "regions.xlsx", tmp_path / "template.csv"

    call_command("export_regions", str(export_file))
    call_command("region_template", str(template_file))

    assert len(tabular.read_table(export_file).rows) == Region.objects.count() == 4
    assert tabular.read_table(template_file).headers == HEADERS
