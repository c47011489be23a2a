"""Test files for imports: rows by Chinese header, written as CSV or XLSX bytes.

rows = [resident_row(region=grid.code)]       # one valid resident row
data = table_bytes("csv", rows)               # or "xlsx"
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from datetime import date
from itertools import count
from typing import Any

import pytest
from openpyxl import Workbook

from linli.imports import services
from linli.people.tests.factories import id_number_for

_serial = count(1)

RESIDENT_HEADERS = (
    "姓名",
    "身份证号",
    "性别",
    "出生日期",
    "手机号",
    "所在区划代码",
    "户编号",
    "与户主关系",
    "居住类型",
    "状态",
    "标签",
    "残疾类别",
    "残疾等级",
)


def new_id(birth: date = date(1960, 5, 1), gender: str = "M") -> str:
    return id_number_for(birth, gender, serial=next(_serial) + 1000)


def new_phone() -> str:
    return f"139{next(_serial):08d}"


def resident_row(region: str, **values: Any) -> dict[str, str]:
    birth = values.pop("birth", date(1960, 5, 1))
    row = {
        "姓名": f"张{'一二三四五六七八九十'[next(_serial) % 10]}",
        "身份证号": new_id(birth),
        "手机号": new_phone(),
        "所在区划代码": region,
    }
    row.update({k: str(v) for k, v in values.items()})
    return row


def table_bytes(
    fmt: str, rows: Sequence[dict[str, str]], headers: Sequence[str] | None = None
) -> bytes:
    headers = list(headers or dict.fromkeys(h for row in rows for h in row))
    if fmt == "csv":
        buffer = io.StringIO(newline="")
        writer = csv.writer(buffer)
        writer.writerow(headers)
        for row in rows:
            writer.writerow([row.get(h, "") for h in headers])
        return ("\ufeff" + buffer.getvalue()).encode()
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(headers)
    for row in rows:
        sheet.append([row.get(h, "") for h in headers])
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def import_rows(actor: Any, kind: str, rows: Sequence[dict[str, str]], fmt: str = "csv") -> Any:
    """Import `rows` as a file of `fmt`, as a user uploads one."""
    return services.import_run(
        actor=actor, kind=kind, source=table_bytes(fmt, rows), filename=f"{kind}.{fmt}"
    )


def import_errors(actor: Any, kind: str, rows: Sequence[dict[str, str]]) -> list[Any]:
    """The row-by-row errors of an import that must fail as a whole."""
    with pytest.raises(services.ImportFailed) as failed:
        import_rows(actor, kind, rows)
    return failed.value.report.errors
