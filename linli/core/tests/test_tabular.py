import csv
import io

import pytest
from openpyxl import Workbook, load_workbook

from linli.core import tabular
from linli.core.errors import ValidationFailed
from linli.core.tabular import ColumnSpec, ImportReport

COLUMNS = (
    ColumnSpec("姓名", "name", required=True, help="居民姓名", example="张三"),
    ColumnSpec("年龄", "age", help="整数"),
)


def _xlsx(rows: list[list[object]]) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _csv_rows(data: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))


def test_read_xlsx_keys_rows_by_header_and_keeps_spreadsheet_row_numbers():
    # given a sheet with a blank line between two data rows and Excel's float numbers
    data = _xlsx([["姓名", "年龄"], ["张三", 30.0], [None, None], [" 李四 ", 340223000000]])

    # when
    table = tabular.read_table(data, filename="people.xlsx")

    # then
    assert table.headers == ["姓名", "年龄"]
    assert table.rows == [{"姓名": "张三", "年龄": "30"}, {"姓名": "李四", "年龄": "340223000000"}]
    assert [r.number for r in table.rows] == [2, 4]


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gb18030"])
def test_read_csv_in_each_supported_encoding(encoding):
    data = "姓名,年龄\r\n张三,30\r\n王五,\r\n".encode(encoding)

    table = tabular.read_table(data, filename="people.csv")

    assert table.headers == ["姓名", "年龄"]
    assert table.rows == [{"姓名": "张三", "年龄": "30"}, {"姓名": "王五", "年龄": ""}]


def test_xlsx_is_recognised_by_content_whatever_the_name():
    data = _xlsx([["姓名"], ["张三"]])

    table = tabular.read_table(io.BytesIO(data), filename="upload.bin.csv")

    assert table.rows == [{"姓名": "张三"}]


def test_rows_by_key_maps_headers_to_keys_and_ignores_unknown_columns():
    table = tabular.read_table("姓名,错误,年龄\n张三,旧错误,30\n".encode(), filename="x.csv")

    rows = tabular.rows_by_key(table, COLUMNS)

    assert rows == [{"name": "张三", "age": "30"}]
    assert rows[0].number == 2


def test_rows_by_key_refuses_a_file_without_a_required_column():
    table = tabular.read_table("年龄\n30\n".encode(), filename="x.csv")

    with pytest.raises(ValidationFailed) as caught:
        tabular.rows_by_key(table, COLUMNS)

    assert caught.value.code == "missing_columns"
    assert "姓名" in caught.value.message


def test_duplicate_headers_and_unreadable_files_are_refused():
    with pytest.raises(ValidationFailed) as duplicate:
        tabular.read_table("姓名,姓名\n张三,李四\n".encode(), filename="x.csv")
    with pytest.raises(ValidationFailed) as broken:
        tabular.read_table(b"PK\x03\x04not really a zip", filename="x.xlsx")
    with pytest.raises(ValidationFailed) as wrong_type:
        tabular.read_table(b"whatever", filename="x.xls")

    assert duplicate.value.code == "duplicate_columns"
    assert broken.value.code == "file_unreadable"
    assert wrong_type.value.code == "file_format"


@pytest.mark.parametrize("dangerous", ["=1+1", "+86", "-2", "@SUM(A1)", "\tx", "\rx"])
def test_formula_triggers_are_neutralised_in_csv_and_xlsx(dangerous):
    # given a value that a spreadsheet would evaluate
    rows = [[dangerous, "safe", 5, -3]]

    # when
    csv_data = tabular.write_csv(["值", "普通", "数", "负数"], rows)
    xlsx_data = tabular.write_xlsx(["值", "普通", "数", "负数"], rows)

    # then text gets an apostrophe, numbers stay numbers
    assert _csv_rows(csv_data)[1] == ["'" + dangerous, "safe", "5", "-3"]
    sheet = load_workbook(io.BytesIO(xlsx_data)).worksheets[0]
    # (XML stores a lone CR as LF, so compare what follows the apostrophe loosely)
    assert sheet["A2"].value.replace("\n", "\r") == "'" + dangerous
    assert sheet["A2"].data_type == "s"
    assert sheet["C2"].value == 5
    assert sheet["D2"].value == -3


def test_a_neutralised_export_reads_back_as_the_original_text():
    data = tabular.write_csv(["姓名"], [["=cmd"]])

    table = tabular.read_table(data, filename="x.csv")

    assert table.rows == [{"姓名": "=cmd"}]


def test_csv_output_has_a_bom_for_excel():
    assert tabular.write_csv(["姓名"], []).startswith(b"\xef\xbb\xbf")


def test_xlsx_template_has_headers_and_an_instructions_sheet():
    data = tabular.template("xlsx", COLUMNS)

    workbook = load_workbook(io.BytesIO(data))
    assert workbook.sheetnames == ["数据", "填写说明"]
    assert [c.value for c in workbook["数据"][1]] == ["姓名", "年龄"]
    rules = list(workbook["填写说明"].iter_rows(values_only=True))
    assert rules[0] == ("列名", "是否必填", "填写规则", "示例")
    assert rules[1] == ("姓名", "是", "居民姓名", "张三")
    assert rules[2][:3] == ("年龄", "否", "整数")


def test_csv_template_is_the_header_row():
    assert _csv_rows(tabular.template("csv", COLUMNS)) == [["姓名", "年龄"]]


def test_error_report_adds_an_error_column_to_the_original_rows():
    # given a table whose second data row (spreadsheet row 3) failed
    table = tabular.read_table("姓名,年龄\n张三,30\n,abc\n".encode(), filename="x.csv")
    errors = {3: ["姓名不能为空", "年龄应为整数"]}

    # when
    csv_rows = _csv_rows(tabular.error_report("csv", table, errors))
    sheet = load_workbook(io.BytesIO(tabular.error_report("xlsx", table, errors))).worksheets[0]

    # then
    assert csv_rows == [
        ["姓名", "年龄", "错误"],
        ["张三", "30", ""],
        ["", "abc", "姓名不能为空；年龄应为整数"],
    ]
    assert [c.value for c in sheet[1]] == ["姓名", "年龄", "错误"]
    assert sheet["C3"].value == "姓名不能为空；年龄应为整数"


def test_export_rows_writes_columns_in_spec_order():
    data = tabular.export_rows("csv", COLUMNS, [{"age": 3, "name": "张三", "other": "x"}])

    assert _csv_rows(data) == [["姓名", "年龄"], ["张三", "3"]]


def test_import_report_lines_are_chinese_and_sorted_by_row():
    report = ImportReport(total=5)
    report.add_error(7, "B")
    report.add_error(3, "A1")
    report.add_error(3, "A2")

    assert not report.ok
    assert report.lines() == ["导入文件有 2 行错误，未导入任何数据", "第3行：A1；A2", "第7行：B"]
    assert report.as_dict()["errors"][0] == {"row": 3, "messages": ["A1", "A2"]}


def test_iter_table_yields_rows_lazily_with_their_numbers():
    headers, rows = tabular.iter_table("姓名\n张三\n\n李四\n".encode(), filename="x.csv")

    assert headers == ["姓名"]
    assert next(rows).number == 2
    assert [(r.number, r["姓名"]) for r in rows] == [(4, "李四")]
