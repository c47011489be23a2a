"""The region tree as a table: its columns, the import template, exports, error reports."""

from __future__ import annotations

from typing import Any

from linli.core import tabular
from linli.core.tabular import ColumnSpec, Format, ImportReport, Row, Source, Table
from linli.regions import selectors

REGION_COLUMNS: tuple[ColumnSpec, ...] = (
    ColumnSpec(
        "区划代码",
        "code",
        required=True,
        help="12位统计用区划代码（县、镇/街道、社区/村）；网格为所属社区代码后加3位，共15位。"
        "镇/街道代码以县代码前6位开头，社区/村代码以镇代码前9位开头。",
        example="340223100001",
    ),
    ColumnSpec("名称", "name", required=True, help="区划名称，最多100字。", example="陵阳社区"),
    ColumnSpec(
        "层级",
        "level",
        required=True,
        help="县、镇、乡、街道、社区、村、网格 之一（镇/乡/街道为同一层级，社区/村为同一层级）。",
        example="社区",
    ),
    ColumnSpec(
        "上级代码",
        "parent_code",
        help="上级区划的区划代码；县级留空。上级可以在本文件中，也可以已在系统中。",
        example="340223100000",
    ),
    ColumnSpec(
        "城乡分类代码",
        "urban_rural_code",
        help="社区/村必填：111 主城区、112 城乡结合区、121 镇中心区、122 镇乡结合区、"
        "123 特殊区域（以上为城镇），210 乡中心区、220 村庄（以上为乡村）；其他层级留空。",
        example="111",
    ),
    ColumnSpec(
        "中心经度",
        "center_lng",
        help="WGS84/CGCS2000 经度（天地图坐标），73至136之间；可留空，留空则不修改已有值。",
        example="118.3336",
    ),
    ColumnSpec(
        "中心纬度",
        "center_lat",
        help="WGS84/CGCS2000 纬度，3至54之间；可留空，留空则不修改已有值。",
        example="30.9197",
    ),
    ColumnSpec("人口", "population", help="常住人口，非负整数；可留空。", example="6200"),
    ColumnSpec("户数", "households", help="户数，非负整数；可留空。", example="2350"),
)


def region_table_read(source: Source, *, filename: str | None = None) -> tuple[Table, list[Row]]:
    """Read an uploaded region file: the raw table (for the error report) and keyed rows."""
    table = tabular.read_table(source, filename=filename)
    return table, tabular.rows_by_key(table, REGION_COLUMNS)


def region_template(fmt: Format) -> bytes:
    return tabular.template(fmt, REGION_COLUMNS)


def region_export(principal: Any, fmt: Format) -> bytes:
    """Every region the principal may see, in the import format (it imports back unchanged)."""
    return tabular.export_rows(fmt, REGION_COLUMNS, selectors.region_export_rows(principal))


def region_error_report(fmt: Format, table: Table, report: ImportReport) -> bytes:
    return tabular.error_report(fmt, table, report.errors)
