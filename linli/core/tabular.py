"""Table I/O for every registry import and export: XLSX or CSV in, XLSX or CSV out.

Reading gives a list of rows keyed by the (Chinese) header, each knowing the row number the
user sees in the spreadsheet (the header is row 1), so that error reports point at the
right line. `ColumnSpec`s describe the columns once, for parsing and for the downloadable
template. Everything written is neutralised against spreadsheet formula injection (OWASP
"CSV injection"): a text cell starting with = + - @ TAB or CR gets a leading apostrophe.
"""

from __future__ import annotations

import csv
import datetime
import io
import zipfile
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, Literal

from django.utils.translation import gettext as _
from openpyxl import Workbook, load_workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from openpyxl.utils.exceptions import InvalidFileException

from linli.core.errors import ValidationFailed

Format = Literal["xlsx", "csv"]
Source = bytes | str | Path | IO[bytes]

ERROR_HEADER = "错误"
INSTRUCTIONS_SHEET = "填写说明"
DATA_SHEET = "数据"
CONTENT_TYPES: dict[str, str] = {
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "csv": "text/csv; charset=utf-8",
}
_FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
_XLSX_MAGIC = b"PK\x03\x04"


@dataclass(frozen=True)
class ColumnSpec:
    """One column of an import/export table: its Chinese header, the key code uses, its rule."""

    header: str
    key: str
    required: bool = False
    help: str = ""
    example: str = ""


class Row(dict[str, str]):
    """One data row (header or key → text); `number` is its spreadsheet row (header = 1)."""

    def __init__(self, values: Mapping[str, str] | Iterable[tuple[str, str]] = (), *, number: int):
        super().__init__(values)
        self.number = number


@dataclass
class Table:
    """What was read from a file: the headers in file order and the non-empty data rows."""

    headers: list[str]
    rows: list[Row]


@dataclass
class ImportReport:
    """The outcome of an all-or-nothing import: counts, or the errors by spreadsheet row."""

    total: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: dict[int, list[str]] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def error_count(self) -> int:
        """The number of rows with at least one error."""
        return len(self.errors)

    def add_error(self, row: int, message: str) -> None:
        self.errors.setdefault(row, []).append(message)

    def lines(self) -> list[str]:
        """The report in Chinese, one line per row with errors (or one summary line)."""
        if self.ok:
            return [
                _("导入完成：共 %(total)d 行，新增 %(created)d，更新 %(updated)d，未变 %(same)d")
                % {
                    "total": self.total,
                    "created": self.created,
                    "updated": self.updated,
                    "same": self.unchanged,
                }
            ]
        head = _("导入文件有 %(n)d 行错误，未导入任何数据") % {"n": self.error_count}
        return [head] + [
            _("第%(row)d行：%(messages)s") % {"row": row, "messages": "；".join(messages)}
            for row, messages in sorted(self.errors.items())
        ]

    def as_dict(self) -> dict[str, Any]:
        """A JSON-safe form, used as the `detail` of the error the API renders."""
        return {
            "total": self.total,
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "error_count": self.error_count,
            "errors": [{"row": r, "messages": m} for r, m in sorted(self.errors.items())],
        }


class ImportFailed(ValidationFailed):
    """An import with at least one bad row; nothing was written. `report` has the details."""

    def __init__(self, report: ImportReport) -> None:
        message = _("导入文件有 %(n)d 行错误，未导入任何数据") % {"n": report.error_count}
        super().__init__("import_invalid", message, detail=report.as_dict())
        self.report = report


# --- reading -----------------------------------------------------------------------------


def _read_bytes(source: Source) -> bytes:
    if isinstance(source, bytes):
        return source
    if isinstance(source, str | Path):
        return Path(source).read_bytes()
    if hasattr(source, "seek"):
        source.seek(0)
    data = source.read()
    return data if isinstance(data, bytes) else str(data).encode()


def cell_text(value: Any) -> str:
    """A cell as trimmed text; Excel's integral floats (codes, counts) lose their `.0`."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e16:
        return str(int(value))
    if isinstance(value, datetime.datetime) and value.time() == datetime.time(0):
        return value.date().isoformat()
    if isinstance(value, datetime.date | datetime.time):
        return value.isoformat()
    text = str(value).strip().replace("\ufeff", "")
    # Undo our own neutralisation, so that an exported file imports back unchanged.
    if len(text) > 1 and text[0] == "'" and text[1] in _FORMULA_TRIGGERS:
        text = text[1:]
    return text


def _xlsx_rows(data: bytes) -> Iterable[tuple[Any, ...]]:
    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, InvalidFileException, KeyError, OSError, ValueError) as exc:
        raise ValidationFailed("file_unreadable", _("无法读取 XLSX 文件，文件可能已损坏")) from exc
    try:
        yield from workbook.worksheets[0].iter_rows(values_only=True)
    finally:
        workbook.close()


def csv_text(data: bytes) -> str:
    """A CSV file's text: UTF-8 (with or without BOM) or, as Excel saves it here, GB 18030."""
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    # Rarely reached: gb18030 decodes almost any byte string.
    raise ValidationFailed("file_unreadable", _("无法识别 CSV 文件的编码，请另存为 UTF-8"))


def _csv_rows(data: bytes) -> Iterable[list[str]]:
    return csv.reader(io.StringIO(csv_text(data), newline=""))


def format_of(filename: str | None, data: bytes = b"") -> Format:
    """XLSX or CSV, from the content (an XLSX is a ZIP) or else the file name."""
    if data.startswith(_XLSX_MAGIC):
        return "xlsx"
    suffix = Path(filename or "").suffix.lower()
    if suffix in {".xlsx", ".xlsm"}:
        return "xlsx"
    if suffix in {".csv", ".txt", ""}:
        return "csv"
    raise ValidationFailed(
        "file_format", _("不支持的文件格式 %(suffix)s，请使用 XLSX 或 CSV") % {"suffix": suffix}
    )


def iter_table(source: Source, *, filename: str | None = None) -> tuple[list[str], Iterator[Row]]:
    """The headers, and the data rows one at a time (for large imports; see `read_table`)."""
    if filename is None and isinstance(source, str | Path):
        filename = str(source)
    if filename is None:
        filename = getattr(source, "name", None)
    data = _read_bytes(source)
    rows = iter(_xlsx_rows(data) if format_of(filename, data) == "xlsx" else _csv_rows(data))
    header_cells = next(rows, None)
    if header_cells is None:
        raise ValidationFailed("file_empty", _("文件是空的，第1行应为表头"))
    headers = [cell_text(c) for c in header_cells]
    named = [h for h in headers if h]
    duplicates = sorted({h for h in named if named.count(h) > 1})
    if duplicates:
        raise ValidationFailed(
            "duplicate_columns",
            _("表头有重复的列：%(cols)s") % {"cols": "、".join(duplicates)},
            detail={"columns": duplicates},
        )

    def data_rows() -> Iterator[Row]:
        for number, cells in enumerate(rows, start=2):
            texts = [cell_text(c) for c in cells]
            if any(texts):
                yield Row(
                    {h: (texts[i] if i < len(texts) else "") for i, h in enumerate(headers) if h},
                    number=number,
                )

    return named, data_rows()


def read_table(source: Source, *, filename: str | None = None) -> Table:
    """Read the first sheet of an XLSX, or a CSV (UTF-8 with or without BOM, or GB18030).

    Row 1 is the header. Fully empty rows are skipped but still counted, so `Row.number`
    is what the user sees in the spreadsheet. Columns with an empty header are ignored.
    """
    headers, rows = iter_table(source, filename=filename)
    return Table(headers=headers, rows=list(rows))


def rows_by_key(table: Table, columns: Sequence[ColumnSpec]) -> list[Row]:
    """The rows keyed by `ColumnSpec.key`; unknown columns (e.g. '错误') are ignored.

    Required columns must be present in the header; a column that is not required may be
    left out, and its key is then absent from the rows (callers treat that as "not given").
    """
    missing = [c.header for c in columns if c.required and c.header not in table.headers]
    if missing:
        raise ValidationFailed(
            "missing_columns",
            _("缺少必填列：%(cols)s（请使用导入模板）") % {"cols": "、".join(missing)},
            detail={"columns": missing},
        )
    present = [c for c in columns if c.header in table.headers]
    return [Row({c.key: row[c.header] for c in present}, number=row.number) for row in table.rows]


# --- writing -----------------------------------------------------------------------------


def neutralise(value: Any) -> Any:
    """Text that a spreadsheet would run as a formula gets a leading apostrophe."""
    if isinstance(value, str) and value.startswith(_FORMULA_TRIGGERS):
        return "'" + value
    return value


def _plain(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, str | int | float | bool | datetime.date | datetime.time):
        return value
    return str(value)


def write_xlsx(
    headers: Sequence[str],
    rows: Iterable[Sequence[Any]],
    *,
    sheet_title: str = DATA_SHEET,
    extra_sheets: Mapping[str, tuple[Sequence[str], Iterable[Sequence[Any]]]] | None = None,
) -> bytes:
    """An XLSX with a bold, frozen header row; every text cell is neutralised."""
    workbook = Workbook(write_only=True)
    sheets = {sheet_title: (headers, rows), **(extra_sheets or {})}
    for title, (sheet_headers, sheet_rows) in sheets.items():
        sheet = workbook.create_sheet(title)
        sheet.freeze_panes = "A2"
        for index, header in enumerate(sheet_headers, start=1):
            width = 60 if header in {ERROR_HEADER, "填写规则"} else max(12, 2 * len(header) + 4)
            sheet.column_dimensions[get_column_letter(index)].width = width
        header_cells = []
        for header in sheet_headers:
            cell = WriteOnlyCell(sheet, value=neutralise(header))
            cell.font = Font(bold=True)
            header_cells.append(cell)
        sheet.append(header_cells)
        for row in sheet_rows:
            cells = []
            for value in row:
                cell = WriteOnlyCell(sheet, value=neutralise(_plain(value)))
                if isinstance(cell.value, str):
                    cell.data_type = "s"  # never a formula, whatever the text
                    if "\n" in cell.value:
                        cell.alignment = Alignment(wrap_text=True, vertical="top")
                cells.append(cell)
            sheet.append(cells)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def write_csv(headers: Sequence[str], rows: Iterable[Sequence[Any]]) -> bytes:
    """A UTF-8 CSV with a BOM (so that Excel shows Chinese correctly), neutralised."""
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([neutralise(h) for h in headers])
    for row in rows:
        writer.writerow([neutralise(_plain(v)) for v in row])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def write_table(fmt: Format, headers: Sequence[str], rows: Iterable[Sequence[Any]]) -> bytes:
    return write_xlsx(headers, rows) if fmt == "xlsx" else write_csv(headers, rows)


def export_rows(
    fmt: Format, columns: Sequence[ColumnSpec], records: Iterable[Mapping[str, Any]]
) -> bytes:
    """An export file: one column per spec, values taken from each record by key."""
    headers = [c.header for c in columns]
    rows = ([record.get(c.key) for c in columns] for record in records)
    return write_table(fmt, headers, rows)


def template(fmt: Format, columns: Sequence[ColumnSpec]) -> bytes:
    """The import template: the header row, plus (XLSX) a '填写说明' sheet with the rules."""
    headers = [c.header for c in columns]
    if fmt == "csv":
        return write_csv(headers, [])
    rules = [[c.header, "是" if c.required else "否", c.help, c.example] for c in columns]
    return write_xlsx(
        headers,
        [],
        extra_sheets={INSTRUCTIONS_SHEET: (["列名", "是否必填", "填写规则", "示例"], rules)},
    )


def error_report(fmt: Format, table: Table, errors: Mapping[int, Sequence[str]]) -> bytes:
    """The original rows with an '错误' column, so the user can fix them and upload again.

    Rows keep the file's order; the parser ignores the '错误' column on the next upload.
    """
    headers = [h for h in table.headers if h != ERROR_HEADER]
    rows = (
        [row.get(h, "") for h in headers] + ["；".join(errors.get(row.number, ()))]
        for row in table.rows
    )
    return write_table(fmt, [*headers, ERROR_HEADER], rows)
