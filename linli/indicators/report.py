"""The annual evaluation report (年度评估报告) of the county or a town, as XLSX and as PDF.

Each indicator with its target, value, numerator/denominator, gap, and the communities (or
towns) that fall short; a bar chart of attainment and the year's monthly trend. The PDF is
drawn with fpdf2 and embeds (a subset of) a CJK font found on the server — Debian's
fonts-noto-cjk — so it reads the same on any machine (ADR 0062).
"""

from __future__ import annotations

import io
import logging
import os
import shutil
import subprocess
from datetime import date
from functools import lru_cache
from typing import Any

from django.utils import timezone

from linli.core.errors import ApplicationError
from linli.indicators import engine, presenters, selectors
from linli.indicators.models import Indicator

GREEN, RED, BLUE, GREY = (25, 135, 84), (220, 53, 69), (13, 110, 253), (173, 181, 189)
STATUS_RGB = {
    engine.MET: GREEN,
    engine.UNMET: RED,
    engine.TRACKED: BLUE,
    engine.INFO: GREY,
}
# fontTools reports every subsetting step at INFO: keep the server log for what matters.
logging.getLogger("fontTools").setLevel(logging.WARNING)

STATUS_FILL = {engine.MET: "D1E7DD", engine.UNMET: "F8D7DA", engine.TRACKED: "CFE2FF"}


def report_dashboard(principal: Any, year: int) -> selectors.Dashboard:
    """This year: live values. A past year: its last stored month (December if kept)."""
    today = timezone.localdate()
    if year >= today.year:
        return selectors.evaluation_live(principal)
    periods = [p for p in selectors.snapshot_periods(principal, limit=240) if p.year == year]
    if not periods:
        raise ApplicationError(
            "report_no_data", f"{year} 年没有保存的月度快照，无法生成该年度报告", status=404
        )
    return selectors.evaluation_stored(principal, max(periods))


def _year_trend(
    principal: Any, dashboard: selectors.Dashboard, region: str, year: int
) -> dict[str, list[tuple[date, float | None]]]:
    until = date(year, 12, 1) if year < dashboard.as_of.year else dashboard.as_of.replace(day=1)
    series = selectors.trend_series(principal, [region], months=until.month, until=until)
    trend: dict[str, list[tuple[date, float | None]]] = {}
    for ind in dashboard.indicators:
        points = [(p, v) for p, v, _ in series.get((ind.code, region), [])]
        if dashboard.period is None:
            live = dashboard.evaluation.get(ind.code, region).value
            points = [p for p in points if p[0] < until]
            if live is not None:
                points.append((until, live))
        trend[ind.code] = points
    return trend


def _rows(dashboard: selectors.Dashboard, region: str) -> list[presenters.Row]:
    return [presenters.row_for(dashboard, ind, region) for ind in dashboard.indicators]


def _short_label(dashboard: selectors.Dashboard, code: str, region: str) -> str:
    """'town · community' below a county, the community's name below a town."""
    tree = dashboard.tree
    node = tree.nodes[code]
    parent = tree.nodes.get(node.parent or "")
    if parent is not None and parent.code != region and parent.level == "town":
        return f"{parent.name} · {node.name}"
    return node.name


def _short_units(
    dashboard: selectors.Dashboard, ind: Indicator, region: str
) -> list[presenters.Row]:
    return [
        presenters.row_for(dashboard, ind, v.region)
        for v in dashboard.evaluation.short_units(ind.code, region)
        if v.region != region
    ]


# --- XLSX ---------------------------------------------------------------------------------------


def _number_format(indicator: Indicator) -> str:
    """Shown with the indicator's decimals; the cell keeps the full value for calculation."""
    return "#,##0" if indicator.decimals <= 0 else "#,##0." + "0" * indicator.decimals


def report_xlsx(principal: Any, dashboard: selectors.Dashboard, region: str, year: int) -> bytes:
    from openpyxl import Workbook
    from openpyxl.chart import BarChart, LineChart, Reference
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    node = dashboard.node(region)
    rows = _rows(dashboard, region)
    book = Workbook()
    sheet = book.active
    sheet.title = "评估总表"
    sheet.append([f"{node.name}{year}年度城乡社区服务体系建设评估报告"])
    sheet["A1"].font = Font(size=14, bold=True)
    sheet.append([f"数据：{selectors.period_label(dashboard.period)}（截至 {dashboard.as_of}）"])
    counts = presenters.status_counts(rows)
    sheet.append(
        [
            f"达标 {counts[engine.MET]} 项，未达标 {counts[engine.UNMET]} 项，"
            f"跟踪监测 {counts[engine.TRACKED]} 项，数据未接入 {counts[engine.MISSING]} 项"
        ]
    )
    sheet.append([])
    header = [
        "序号",
        "指标代码",
        "指标",
        "目标",
        "当前值",
        "达成率(%)",
        "状态",
        "差距",
        "计算依据（分子/分母）",
        "未达标单位数",
        "规划依据",
    ]
    sheet.append(header)
    header_row = sheet.max_row
    for cell in sheet[header_row]:
        cell.font = Font(bold=True)
    for index, row in enumerate(rows, start=1):
        attainment = row.value.attainment
        short = _short_units(dashboard, row.indicator, region)
        sheet.append(
            [
                index,
                row.indicator.code,
                row.indicator.name,
                row.target_text,
                row.value_text,
                round(attainment * 100, 1)
                if attainment is not None and row.value.target_operator
                else None,
                row.status_label,
                row.gap_text,
                row.why,
                len(short) if short else None,
                row.indicator.source,
            ]
        )
        fill = STATUS_FILL.get(row.value.status)
        if fill:
            sheet.cell(sheet.max_row, 7).fill = PatternFill("solid", fgColor=fill)
    last_row = sheet.max_row
    for column, width in zip(
        range(1, 12), (6, 18, 44, 16, 18, 10, 10, 30, 50, 12, 40), strict=True
    ):
        sheet.column_dimensions[get_column_letter(column)].width = width
    for line in sheet.iter_rows(min_row=header_row + 1):
        for cell in line:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
    sheet.freeze_panes = sheet.cell(header_row + 1, 1)

    chart = BarChart()
    chart.type = "bar"
    chart.title = "目标达成率（%）"
    chart.y_axis.title = "%"
    chart.height, chart.width = 14, 22
    data = Reference(sheet, min_col=6, min_row=header_row, max_row=last_row)
    labels = Reference(sheet, min_col=2, min_row=header_row + 1, max_row=last_row)
    chart.add_data(data, titles_from_data=True)
    chart.set_categories(labels)
    chart.legend = None
    sheet.add_chart(chart, f"M{header_row}")

    short_sheet = book.create_sheet("未达标单位")
    short_sheet.append(["指标代码", "指标", "单位", "当前值", "要求", "差距", "计算依据"])
    for cell in short_sheet[1]:
        cell.font = Font(bold=True)
    for row in rows:
        for unit in _short_units(dashboard, row.indicator, region):
            short_sheet.append(
                [
                    row.indicator.code,
                    row.indicator.name,
                    _short_label(dashboard, unit.node.code, region),
                    unit.value_text,
                    unit.target_text,
                    unit.gap_text,
                    unit.why,
                ]
            )
    for letter, size in zip("ABCDEFG", (18, 40, 24, 14, 14, 30, 44), strict=True):
        short_sheet.column_dimensions[letter].width = size

    children = node.children
    if children:
        compare = book.create_sheet("下级对比")
        compare.append(["指标", *[dashboard.tree.nodes[c].name for c in children]])
        for cell in compare[1]:
            cell.font = Font(bold=True)
        for ind in dashboard.indicators:
            values = [dashboard.evaluation.get(ind.code, c) for c in children]
            # A fact counted above the children (the county's brand organisations) is not
            # theirs: blank, not 0 (presenters.counted_above).
            own = [
                None
                if v.value is None or presenters.counted_above(ind, dashboard.tree.nodes[c])
                else round(v.value, 4)
                for v, c in zip(values, children, strict=True)
            ]
            compare.append([ind.name, *own])
            for offset, value in enumerate(values, start=2):
                cell = compare.cell(compare.max_row, offset)
                # A unit's own value is a count or 1/0 (有/无), not the indicator's percentage.
                cell.number_format = "#,##0" if value.is_unit else _number_format(ind)
                fill = STATUS_FILL.get(value.status)
                if fill:
                    cell.fill = PatternFill("solid", fgColor=fill)
        compare.column_dimensions["A"].width = 44

    trend_sheet = book.create_sheet("月度趋势")
    trend = _year_trend(principal, dashboard, region, year)
    months = sorted({p for points in trend.values() for p, _ in points})
    trend_sheet.append(["指标", *[p.strftime("%Y-%m") for p in months]])
    for cell in trend_sheet[1]:
        cell.font = Font(bold=True)
    for ind in dashboard.indicators:
        by_month = dict(trend.get(ind.code, []))
        if not by_month:
            continue
        trend_sheet.append([ind.name, *[by_month.get(p) for p in months]])
        for cell in trend_sheet[trend_sheet.max_row][1:]:
            cell.number_format = _number_format(ind)
    trend_sheet.column_dimensions["A"].width = 44
    if months and trend_sheet.max_row > 1:
        line = LineChart()
        line.title = "月度趋势"
        line.height, line.width = 12, 24
        for r in range(2, min(trend_sheet.max_row, 9) + 1):
            line.add_data(
                Reference(trend_sheet, min_col=1, max_col=len(months) + 1, min_row=r),
                from_rows=True,
                titles_from_data=True,
            )
        line.set_categories(Reference(trend_sheet, min_col=2, max_col=len(months) + 1, min_row=1))
        trend_sheet.add_chart(line, f"A{trend_sheet.max_row + 2}")

    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


# --- PDF ----------------------------------------------------------------------------------------


def _font_has_chinese(path: str, index: int) -> bool:
    try:
        from fontTools.ttLib import TTFont

        font = TTFont(path, fontNumber=index, lazy=True)
        cmap = font.getBestCmap() or {}
        return ord("南") in cmap and ord("陵") in cmap
    except Exception:
        return False


_CANDIDATES = (
    ("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc", 2),
    ("/usr/share/fonts/opentype/noto/NotoSansCJKsc-Regular.otf", 0),
    ("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc", 0),
    ("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc", 0),
    ("/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf", 0),
)


@lru_cache(maxsize=4)
def cjk_font() -> tuple[str, int] | None:
    """(path, index in a collection) of a font with Chinese glyphs, or None.

    LINLI_PDF_FONT=/path/font.ttc[:index] wins; then fontconfig's choice for Noto Sans CJK
    SC; then well-known Debian paths."""
    configured = os.environ.get("LINLI_PDF_FONT")
    options: list[tuple[str, int]] = []
    if configured:
        name, _, number = configured.partition(":")
        options.append((name, int(number or 0)))
    fc_match = shutil.which("fc-match")
    if fc_match:
        pattern = "Noto Sans CJK SC"
        try:
            found = subprocess.run(  # noqa: S603 (fixed arguments, no shell)
                [fc_match, "-f", "%{file}:%{index}", pattern],
                capture_output=True,
                text=True,
                timeout=5,
                check=False,
            ).stdout.strip()
        except (OSError, subprocess.SubprocessError):
            found = ""
        if found:
            name, _, number = found.rpartition(":")
            options.append((name, int(number) if number.isdigit() else 0))
    options.extend(_CANDIDATES)
    for path, index in options:
        if os.path.exists(path) and _font_has_chinese(path, index):
            return path, index
    return None


def _pdf_font(pdf: Any) -> None:
    regular = cjk_font()
    if regular is None:
        raise ApplicationError(
            "pdf_font_missing",
            "服务器未安装中文字体（Debian 软件包 fonts-noto-cjk），无法生成 PDF；"
            "请先下载 XLSX 版本",
            status=503,
        )
    # One face only: parsing a CJK collection is most of a report's CPU time, so headings are
    # set apart by size and colour rather than by a second (bold) font.
    pdf.add_font("cjk", "", regular[0], collection_font_number=regular[1])


def report_pdf(principal: Any, dashboard: selectors.Dashboard, region: str, year: int) -> bytes:
    from fpdf import FPDF
    from fpdf.fonts import FontFace

    node = dashboard.node(region)
    rows = _rows(dashboard, region)
    counts = presenters.status_counts(rows)
    title = f"{node.name}{year}年度城乡社区服务体系建设评估报告"

    class Report(FPDF):
        def footer(self) -> None:
            self.set_y(-12)
            self.set_font("cjk", size=8)
            self.set_text_color(120, 120, 120)
            self.cell(0, 8, f"{title} · 第 {self.page_no()} 页", align="C")

    pdf = Report(orientation="P", unit="mm", format="A4")
    pdf.set_title(title)
    pdf.set_author("邻里社区服务平台")
    pdf.set_creator("Linli")
    _pdf_font(pdf)
    pdf.set_auto_page_break(auto=True, margin=16)
    pdf.add_page()
    pdf.set_font("cjk", "", 16)
    pdf.multi_cell(0, 9, title, align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("cjk", size=9)
    pdf.set_text_color(90, 90, 90)
    pdf.cell(
        0,
        6,
        f"数据：{selectors.period_label(dashboard.period)}（截至 {dashboard.as_of}）  "
        f"生成时间：{timezone.localtime():%Y-%m-%d %H:%M}",
        new_x="LMARGIN",
        new_y="NEXT",
    )
    pdf.set_text_color(0, 0, 0)
    pdf.ln(2)
    pdf.set_font("cjk", size=11)
    pdf.multi_cell(
        0,
        6,
        f"共 {len(rows)} 项指标：达标 {counts[engine.MET]} 项，未达标 {counts[engine.UNMET]} 项，"
        f"跟踪监测 {counts[engine.TRACKED]} 项，仅统计 {counts[engine.INFO]} 项，"
        f"数据未接入 {counts[engine.MISSING]} 项。",
        new_x="LMARGIN",
        new_y="NEXT",
    )
    pdf.ln(2)
    _pdf_attainment_chart(pdf, rows)

    pdf.add_page()
    pdf.set_font("cjk", "", 13)
    pdf.cell(0, 8, "一、指标评估总表", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("cjk", size=8)
    headings = FontFace(emphasis="", fill_color=(233, 236, 239))
    pdf.set_fill_color(255, 255, 255)  # the chart's last bar colour must not fill the table
    with pdf.table(
        col_widths=(58, 24, 26, 16, 66),
        headings_style=headings,
        line_height=5,
        text_align=("LEFT", "CENTER", "CENTER", "CENTER", "LEFT"),
    ) as table:
        table.row(["指标", "目标", "当前值", "状态", "计算依据 / 差距"])
        for row in rows:
            cells = table.row()
            cells.cell(row.indicator.name)
            cells.cell(row.target_text)
            cells.cell(row.value_text)
            rgb = STATUS_RGB.get(row.value.status)
            cells.cell(
                row.status_label,
                style=FontFace(color=rgb, fill_color=(255, 255, 255)) if rgb else None,
            )
            cells.cell(row.why + (f"；{row.gap_text}" if row.gap_text else ""))

    trend = _year_trend(principal, dashboard, region, year)
    _pdf_trends(pdf, rows, trend)

    unmet = [(row, _short_units(dashboard, row.indicator, region)) for row in rows]
    unmet = [(row, short) for row, short in unmet if short]
    if unmet:
        pdf.add_page()
        pdf.set_font("cjk", "", 13)
        pdf.cell(0, 8, "三、未达标的社区（镇）", new_x="LMARGIN", new_y="NEXT")
        for row, short in unmet:
            pdf.set_font("cjk", "", 10)
            pdf.multi_cell(
                0,
                6,
                f"{row.indicator.name}（{len(short)} 个未达标，要求 {short[0].target_text}）",
                new_x="LMARGIN",
                new_y="NEXT",
            )
            pdf.set_font("cjk", size=8)
            text = "；".join(
                f"{_short_label(dashboard, s.node.code, region)} {s.value_text}" for s in short
            )
            pdf.multi_cell(0, 5, text, new_x="LMARGIN", new_y="NEXT")
            pdf.ln(1)
    return bytes(pdf.output())


def _pdf_attainment_chart(pdf: Any, rows: list[presenters.Row]) -> None:
    """Horizontal bars: each judged indicator's attainment (value / target), 100 % marked."""
    judged = [r for r in rows if r.value.status in engine.JUDGED and r.value.attainment is not None]
    if not judged:
        return
    pdf.set_font("cjk", "", 11)
    pdf.cell(0, 7, "目标达成率", new_x="LMARGIN", new_y="NEXT")
    left, label_w, bar_w, bar_h, scale_max = pdf.l_margin, 62, 100, 5.2, 1.5
    x100 = left + label_w + 2 + bar_w / scale_max
    y = top = pdf.get_y() + 2
    pdf.set_font("cjk", size=7.5)
    for row in judged:
        if y + bar_h > pdf.h - 24:
            _pdf_target_line(pdf, x100, top, y)
            pdf.add_page()
            pdf.set_font("cjk", size=7.5)
            y = top = pdf.get_y()
        pdf.set_xy(left, y)
        pdf.cell(label_w, bar_h, row.indicator.short_name or row.indicator.name[:16], align="R")
        share = max(0.0, min(row.value.attainment or 0, scale_max))
        pdf.set_fill_color(*STATUS_RGB.get(row.value.status, GREY))
        if share > 0:
            pdf.rect(left + label_w + 2, y + 0.6, bar_w * share / scale_max, bar_h - 1.2, style="F")
        pdf.set_xy(left + label_w + 4 + bar_w * share / scale_max, y)
        pdf.cell(20, bar_h, f"{(row.value.attainment or 0) * 100:.0f}%")
        y += bar_h + 1.6
    _pdf_target_line(pdf, x100, top, y)


def _pdf_target_line(pdf: Any, x: float, top: float, bottom: float) -> None:
    pdf.set_draw_color(80, 80, 80)
    pdf.set_dash_pattern(dash=1, gap=1)
    pdf.line(x, top, x, bottom)
    pdf.set_dash_pattern()
    pdf.set_xy(x - 10, bottom)
    pdf.set_font("cjk", size=7.5)
    pdf.cell(20, 5, "目标 100%", align="C", new_x="LMARGIN", new_y="NEXT")


def _pdf_trends(
    pdf: Any, rows: list[presenters.Row], trend: dict[str, list[tuple[date, float | None]]]
) -> None:
    """Small multiples: the year's monthly line of each computed indicator, target dashed."""
    drawn: list[tuple[presenters.Row, list[tuple[date, float]]]] = []
    for r in rows:
        points = [(p, float(v)) for p, v in trend.get(r.indicator.code, []) if v is not None]
        if len(points) >= 2:
            drawn.append((r, points))
    if not drawn:
        return
    pdf.add_page()
    pdf.set_font("cjk", "", 13)
    pdf.cell(0, 8, "二、月度趋势", new_x="LMARGIN", new_y="NEXT")
    cols, w, h, gap = 3, 58, 34, 5
    y = pdf.get_y() + 2
    for start in range(0, len(drawn), cols):
        if y + h + 10 > pdf.h - 16:
            pdf.add_page()
            y = pdf.get_y()
        for col, (row, points) in enumerate(drawn[start : start + cols]):
            _pdf_sparkline(pdf, row, points, pdf.l_margin + col * (w + gap), y, w, h)
        y += h + gap + 6
    pdf.set_y(y)


def _pdf_sparkline(
    pdf: Any,
    row: presenters.Row,
    points: list[tuple[date, float]],
    x: float,
    y: float,
    w: float,
    h: float,
) -> None:
    pdf.set_font("cjk", size=7)
    pdf.set_xy(x, y)
    pdf.cell(w, 4, (row.indicator.short_name or row.indicator.name)[:18])
    values = [float(v) for _, v in points]
    target = row.value.target_value if row.value.target_operator else None
    bounds = [*values, *([target] if target is not None else [])]
    low, high = min(bounds), max(bounds)
    span = (high - low) or 1.0
    box_y = y + 5

    def to_xy(i: int, v: float) -> tuple[float, float]:
        return x + i * (w / max(1, len(values) - 1)), box_y + h - 4 - (v - low) / span * (h - 8)

    pdf.set_draw_color(206, 212, 218)
    pdf.rect(x, box_y, w, h)
    if target is not None:
        pdf.set_draw_color(*RED)
        pdf.set_dash_pattern(dash=1, gap=1)
        ty = to_xy(0, target)[1]
        pdf.line(x, ty, x + w, ty)
        pdf.set_dash_pattern()
    pdf.set_draw_color(*BLUE)
    pdf.set_line_width(0.5)
    pdf.polyline([to_xy(i, v) for i, v in enumerate(values)])
    pdf.set_line_width(0.2)
    pdf.set_xy(x, box_y + h - 4)
    pdf.set_font("cjk", size=6)
    pdf.cell(w / 2, 4, points[0][0].strftime("%Y-%m"))
    pdf.cell(w / 2, 4, presenters.number(values[-1], row.indicator.decimals), align="R")
