"""Plans as data: a county's indicators and targets in one JSON file.

The Nanling plan ships as `plans/nanling-2025.json` and is loaded by a data migration; a
second county loads its own file (page「导入规划」or `manage.py indicator_plan_load`). The
same functions run in the migration (historical models) and in the service (real models),
so they take the model classes as arguments.
"""

from __future__ import annotations

import json
import re
from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

PLAN_DIR = Path(__file__).resolve().parent / "plans"
BUILTIN_PLANS = {"nanling-2025": PLAN_DIR / "nanling-2025.json"}

KINDS = {"ratio", "coverage", "sum"}
APPLIES = {"all", "urban", "rural"}
LEVELS = {"community", "town", "county"}
CATEGORIES = {"facilities", "orgs", "workforce", "services", "safety", "governance", "smart"}
OPERATORS = {">=", ">", "<=", "<", "=="}
INDICATOR_FIELDS = (
    "name",
    "short_name",
    "description",
    "category",
    "kind",
    "numerator",
    "denominator",
    "factor",
    "unit",
    "decimals",
    "applies_to",
    "judged_at",
    "unit_operator",
    "unit_threshold",
    "source",
)
DEFAULTS: dict[str, Any] = {
    "short_name": "",
    "description": "",
    "category": "services",
    "denominator": "",
    "factor": 1,
    "unit": "",
    "decimals": 1,
    "applies_to": "all",
    "judged_at": "community",
    "unit_operator": ">=",
    "unit_threshold": 1,
    "source": "",
}


def builtin_plan(name: str = "nanling-2025") -> dict[str, Any]:
    return json.loads(BUILTIN_PLANS[name].read_text(encoding="utf-8"))


def plan_parse(raw: bytes | str) -> dict[str, Any]:
    """JSON text → plan dict; ValueError with a Chinese message when it isn't a plan."""
    try:
        data = json.loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        raise ValueError(f"文件不是有效的 JSON：{exc}") from exc
    if not isinstance(data, dict) or not isinstance(data.get("indicators"), list):
        raise ValueError("规划文件应为 JSON 对象，并包含 indicators 列表")
    return data


def _decimal(value: Any) -> Decimal | None:
    try:
        return Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None


def plan_errors(data: dict[str, Any]) -> list[str]:
    """Every problem of a plan, in Chinese, one per line (empty: the plan can be loaded)."""
    errors: list[str] = []
    seen: set[str] = set()

    for index, item in enumerate(data.get("indicators", []), start=1):
        where = f"第 {index} 个指标"
        if not isinstance(item, dict):
            errors.append(f"{where}：应为对象")
            continue
        code = str(item.get("code", ""))
        where = f"{where}（{code or '无代码'}）"
        if not re.fullmatch(r"[A-Z][A-Z0-9_]{0,39}", code):
            errors.append(f"{where}：代码只能包含大写字母、数字和下划线，且以字母开头")
        if code in seen:
            errors.append(f"{where}：代码重复")
        seen.add(code)
        if not str(item.get("name", "")).strip():
            errors.append(f"{where}：缺少名称")
        if item.get("kind") not in KINDS:
            errors.append(f"{where}：计算方式应为 ratio、coverage 或 sum")
        if not str(item.get("numerator", "")).strip():
            errors.append(f"{where}：缺少分子度量")
        if item.get("kind") == "ratio" and not str(item.get("denominator", "")).strip():
            errors.append(f"{where}：比率指标必须有分母度量")
        if item.get("applies_to", "all") not in APPLIES:
            errors.append(f"{where}：适用社区应为 all、urban 或 rural")
        if item.get("judged_at", "community") not in LEVELS:
            errors.append(f"{where}：评估层级应为 community、town 或 county")
        if item.get("category", "services") not in CATEGORIES:
            errors.append(f"{where}：类别不在允许范围内")
        if item.get("unit_operator", ">=") not in OPERATORS:
            errors.append(f"{where}：单位达标条件应为 >=、>、<=、< 或 ==")
        factor = _decimal(item.get("factor", 1))
        if factor is None or factor <= 0:
            errors.append(f"{where}：系数应为正数")
        if _decimal(item.get("unit_threshold", 1)) is None:
            errors.append(f"{where}：单位达标阈值应为数字")
        decimals = item.get("decimals", 1)
        if not isinstance(decimals, int) or not 0 <= decimals <= 4:
            errors.append(f"{where}：小数位数应为 0–4 的整数")
        deadlines: set[str] = set()
        for t_index, target in enumerate(item.get("targets", []) or [], start=1):
            t_where = f"{where} 目标 {t_index}"
            if not isinstance(target, dict):
                errors.append(f"{t_where}：应为对象")
                continue
            if target.get("operator", ">=") not in OPERATORS:
                errors.append(f"{t_where}：条件应为 >=、>、<=、< 或 ==")
            if _decimal(target.get("value")) is None:
                errors.append(f"{t_where}：目标值应为数字")
            try:
                deadline = date.fromisoformat(str(target.get("deadline", "2025-12-31")))
            except ValueError:
                errors.append(f"{t_where}：期限应为 YYYY-MM-DD 格式的日期")
                continue
            if deadline.isoformat() in deadlines:
                errors.append(f"{t_where}：同一期限只能有一个目标值")
            deadlines.add(deadline.isoformat())
    if not data.get("indicators"):
        errors.append("规划中没有指标")
    return errors


def plan_apply(
    data: dict[str, Any],
    *,
    indicator_model: Any,
    target_model: Any,
    deactivate_missing: bool = False,
) -> tuple[int, int, int]:
    """Upsert a validated plan: (created, updated, deactivated). Targets of every listed
    indicator are replaced by the file's."""
    created = updated = 0
    codes = []
    for order, item in enumerate(data["indicators"], start=1):
        values = {f: item.get(f, DEFAULTS.get(f)) for f in INDICATOR_FIELDS}
        values["factor"] = Decimal(str(values["factor"]))
        values["unit_threshold"] = Decimal(str(values["unit_threshold"]))
        values["sort_order"] = item.get("sort_order", order * 10)
        values["is_active"] = item.get("is_active", True)
        indicator, was_created = indicator_model.objects.update_or_create(
            code=item["code"], defaults=values
        )
        created += was_created
        updated += not was_created
        codes.append(item["code"])
        target_model.objects.filter(indicator=indicator).delete()
        target_model.objects.bulk_create(
            [
                target_model(
                    indicator=indicator,
                    operator=t.get("operator", ">="),
                    value=Decimal(str(t["value"])),
                    deadline=date.fromisoformat(str(t.get("deadline", "2025-12-31"))),
                    source=t.get("source", ""),
                    note=t.get("note", ""),
                )
                for t in item.get("targets", []) or []
            ]
        )
    deactivated = 0
    if deactivate_missing:
        deactivated = (
            indicator_model.objects.exclude(code__in=codes)
            .filter(is_active=True)
            .update(is_active=False)
        )
    return created, updated, deactivated


def plan_export(indicators: list[Any], plan: dict[str, Any] | None = None) -> dict[str, Any]:
    """The loaded definitions as a plan file (what a second county starts from)."""

    def number(value: Decimal) -> int | float:
        return int(value) if value == value.to_integral_value() else float(value)

    items = []
    for ind in indicators:
        item: dict[str, Any] = {"code": ind.code}
        for f in INDICATOR_FIELDS:
            value = getattr(ind, f)
            item[f] = number(value) if isinstance(value, Decimal) else value
        item["is_active"] = ind.is_active
        item["targets"] = [
            {
                "operator": t.operator,
                "value": number(t.value),
                "deadline": t.deadline.isoformat(),
                "source": t.source,
                "note": t.note,
            }
            for t in ind.targets.all()
        ]
        items.append(item)
    return {"plan": plan or {}, "indicators": items}
