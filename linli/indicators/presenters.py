"""How values read for people: formatting, the "why" of each value, rows for pages/reports.

Shared by the pages, the XLSX/PDF report and the API so that a leader reads the same
figure, with the same numerator and denominator, everywhere.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date
from typing import Any

from linli.indicators import engine, measures
from linli.indicators.models import Indicator
from linli.indicators.selectors import Dashboard

STATUS_CLASSES = {
    engine.MET: "success",
    engine.UNMET: "danger",
    engine.TRACKED: "info",
    engine.INFO: "secondary",
    engine.MISSING: "light",
    engine.ERROR: "warning",
    engine.NA: "light",
    engine.EMPTY: "light",
}
UNIT_LABELS = {"community": "个社区/村", "town": "个镇/街道", "county": "个县"}
LEVEL_LABELS = {"county": "县", "town": "镇/街道", "community": "社区/村"}
COUNTED_AT = {"county": "按全县统计", "town": "按镇（街道）统计"}


def number(value: float | None, decimals: int = 1) -> str:
    if value is None:
        return "—"
    if decimals <= 0:
        return f"{round(value):,}"
    text = f"{value:,.{decimals}f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def measure_label(code: str) -> str:
    measure = measures.get(code)
    return measure.name if measure else code


def measure_unit(code: str) -> str:
    measure = measures.get(code)
    return measure.unit if measure else ""


def counted_above(indicator: Indicator, node: engine.Node) -> str:
    """The level its numerator is counted at when that is above `node` ("county" for the
    county's brand organisations, "town" for a town's social work station), else "".

    Such a fact is not the node's own: a community's or town's 0 would read as "none here"
    while the town or county has them, so the figure is shown at its own level only."""
    measure = measures.get(indicator.numerator)
    if measure is None or measure.level not in engine.LEVEL_RANK:
        return ""
    if engine.LEVEL_RANK[measure.level] > engine.LEVEL_RANK.get(node.level, 0):
        return measure.level
    return ""


YES_NO = "是/否"


def _yes_no(indicator: Indicator) -> bool:
    """A presence measure (1/0) judged ≥ 1: read as 有/无 rather than as a number."""
    return (
        indicator.kind == "coverage"
        and measure_unit(indicator.numerator) == YES_NO
        and indicator.unit_operator == ">="
        and float(indicator.unit_threshold) == 1
    )


def target_text(op: str, value: float | None, unit: str = "") -> str:
    if not op or value is None:
        return "跟踪监测"
    sign = engine.OPERATOR_SIGNS.get(op, op)
    return f"{sign} {number(value, 2)}{(' ' + unit) if unit else ''}"


def value_text(indicator: Indicator, value: engine.Value) -> str:
    """The figure with its unit, as a leader reads it."""
    if value.value is None:
        return "—"
    if indicator.kind == "coverage" and (value.is_unit or value.units_total is None):
        if _yes_no(indicator):
            return "有" if value.value >= 1 else "无"
        return f"{number(value.value, 2)} {measure_unit(indicator.numerator)}".strip()
    return f"{number(value.value, indicator.decimals)} {indicator.unit}".strip()


def value_target_text(indicator: Indicator, value: engine.Value) -> str:
    if value.status == engine.NA:
        return "—"  # not "跟踪监测": the indicator has a target, just not here
    if indicator.kind == "coverage" and value.is_unit:
        if _yes_no(indicator):
            return "有"
        unit = measure_unit(indicator.numerator)
        return target_text(value.target_operator, value.target_value, unit)
    return target_text(value.target_operator, value.target_value, indicator.unit)


def gap_text(indicator: Indicator, value: engine.Value) -> str:
    gap = value.gap
    if value.status != engine.UNMET or gap is None:
        return ""
    if indicator.kind == "coverage" and value.is_unit:
        if _yes_no(indicator):
            return "尚未具备"
        return f"差 {number(gap, 2)} {measure_unit(indicator.numerator)}".strip()
    if indicator.kind == "coverage" and value.units_total:
        # How many more units must meet the condition to reach the coverage target.
        needed = max(0, _units_needed(value) - (value.units_met or 0))
        label = UNIT_LABELS.get(indicator.judged_at, "个")
        return f"差 {number(gap, indicator.decimals)} 个百分点（还需 {needed} {label}达标）"
    return f"差 {number(gap, indicator.decimals)} {indicator.unit}".strip()


def _units_needed(value: engine.Value) -> int:
    if value.target_value is None or not value.units_total:
        return 0
    return math.ceil(value.target_value / 100 * value.units_total - 1e-9)


ONLY_COUNTED = {"urban": "（只计城市社区）", "rural": "（只计农村社区）"}


def why_text(indicator: Indicator, value: engine.Value, unit_level_label: str = "") -> str:
    """The numerator and denominator behind a value: why the figure is what it is."""
    # A measure's code means nothing to a reader: say in words what the figure waits for.
    if value.status == engine.ERROR:
        return "数据暂时无法计算（已记录错误，请联系系统管理员）"
    if value.status == engine.MISSING:
        return "数据未接入：" + (indicator.description or indicator.name)
    if value.value is None and value.status == engine.NA:
        return "该指标不适用于此区划"
    if indicator.kind == "ratio":
        num_unit, den_unit = measure_unit(indicator.numerator), measure_unit(indicator.denominator)
        text = (
            f"{measure_label(indicator.numerator)} {number(value.numerator, 2)}{num_unit} ÷ "
            f"{measure_label(indicator.denominator)} {number(value.denominator, 2)}{den_unit}"
        )
        factor = float(indicator.factor)
        # Said, because the same measure elsewhere (生活圈 pages) counts town and country alike.
        only = ONLY_COUNTED.get(indicator.applies_to, "")
        return text + (f" × {number(factor, 0)}" if factor != 1 else "") + only
    if indicator.kind == "coverage":
        if value.is_unit or value.units_total is None:
            if _yes_no(indicator):
                return f"{measure_label(indicator.numerator)}：{value_text(indicator, value)}"
            amount = number(value.value, 2)
            return (
                f"{measure_label(indicator.numerator)} {amount}{measure_unit(indicator.numerator)}"
            )
        label = unit_level_label or UNIT_LABELS.get(indicator.judged_at, "个")
        return f"达标 {value.units_met} / {value.units_total} {label}"
    total = number(value.value, 0)
    return f"{measure_label(indicator.numerator)} 合计 {total}{measure_unit(indicator.numerator)}"


def sparkline_points(series: list[float | None], width: int = 100, height: int = 24) -> str:
    """SVG polyline points for a small trend line (server-side: no JS, fast on phones)."""
    known = [(i, v) for i, v in enumerate(series) if v is not None]
    if len(known) < 2:
        return ""
    low = min(v for _, v in known)
    high = max(v for _, v in known)
    span = (high - low) or 1.0
    step = width / max(1, len(series) - 1)
    return " ".join(
        f"{i * step:.1f},{height - 2 - (v - low) / span * (height - 4):.1f}" for i, v in known
    )


@dataclass
class Row:
    """One indicator at one region, ready for a page, a report or the API."""

    indicator: Indicator
    value: engine.Value
    node: engine.Node
    value_text: str
    target_text: str
    gap_text: str
    why: str
    status_class: str
    trend: list[tuple[date, float | None]]
    spark: str = ""

    @property
    def status_label(self) -> str:
        return self.value.status_label

    @property
    def attainment_text(self) -> str:
        share = self.value.attainment
        return "" if share is None or not self.value.target_operator else f"{share * 100:.0f}%"


def row_for(
    dashboard: Dashboard,
    indicator: Indicator,
    region: str,
    trend: list[tuple[date, float | None]] | None = None,
) -> Row:
    value = dashboard.evaluation.get(indicator.code, region)
    node = dashboard.tree.nodes[region]
    series = list(trend or [])
    if dashboard.period is None and value.value is not None:
        series = [p for p in series if p[0] < dashboard.as_of.replace(day=1)]
        series.append((dashboard.as_of.replace(day=1), value.value))
    text, why = value_text(indicator, value), why_text(indicator, value)
    above = counted_above(indicator, node)
    if above and value.status == engine.INFO:
        text, why, series = "—", _see_above(dashboard, indicator, region, above), []
    return Row(
        indicator=indicator,
        value=value,
        node=node,
        value_text=text,
        target_text=value_target_text(indicator, value),
        gap_text=gap_text(indicator, value),
        why=why,
        status_class=STATUS_CLASSES[value.status],
        trend=series,
        spark=sparkline_points([v for _, v in series]),
    )


def _see_above(dashboard: Dashboard, indicator: Indicator, region: str, level: str) -> str:
    """'按镇（街道）统计，籍山镇：有' — the figure where it is counted, if the reader sees it."""
    label = COUNTED_AT.get(level, level)
    tree = dashboard.tree
    for code in tree.path(region):
        if tree.nodes[code].level == level:
            own = dashboard.evaluation.get(indicator.code, code)
            return f"{label}，{tree.nodes[code].name}：{value_text(indicator, own)}"
    return label


def status_counts(rows: list[Row]) -> dict[str, int]:
    counts = dict.fromkeys(engine.STATUS_LABELS, 0)
    for row in rows:
        counts[row.value.status] += 1
    return counts


def value_payload(indicator: Indicator, value: engine.Value, node: engine.Node) -> dict[str, Any]:
    """The API's (and the page scripts') view of one value."""
    payload: dict[str, Any] = {
        "indicator": indicator.code,
        "indicator_name": indicator.name,
        "region_code": node.code,
        "region_name": node.name,
        "level": node.level,
        "value": value.value,
        "numerator": value.numerator,
        "denominator": value.denominator,
        "units_met": value.units_met,
        "units_total": value.units_total,
        "unit": measure_unit(indicator.numerator)
        if indicator.kind == "coverage" and value.is_unit
        else indicator.unit,
        "target_operator": value.target_operator or None,
        "target_value": value.target_value,
        "status": value.status,
        "status_label": value.status_label,
        "gap": value.gap,
        "attainment": value.attainment,
        "value_text": value_text(indicator, value),
        "why": why_text(indicator, value),
    }
    above = counted_above(indicator, node)
    if above and value.status == engine.INFO:
        # Not the region's own figure (see `counted_above`): no number, where it is counted.
        payload.update(
            value=None,
            numerator=None,
            gap=None,
            attainment=None,
            value_text="—",
            why=COUNTED_AT.get(above, above),
        )
    return payload
