"""Reads of the evaluation system: definitions, live and stored evaluations, trends.

An evaluation is computed once per request: the region tree the principal may see (one
query), each needed measure once over the county (one GROUP BY each, through the measure
registry — never another app's models), then pure-Python aggregation (`engine`).
"""

from __future__ import annotations

import calendar
import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db.models import Prefetch, QuerySet
from django.utils import timezone

from linli.core.errors import NotFound, ValidationFailed
from linli.core.scoping import scope_of
from linli.indicators import engine, measures
from linli.indicators.models import Indicator, IndicatorValue, Target
from linli.regions.models import Region

LIVE = "live"
_PERIOD_RE = re.compile(r"^(\d{4})-(\d{2})$")


# --- periods --------------------------------------------------------------------------------


def period_parse(text: str | None) -> date | None:
    """'2025-06' → date(2025, 6, 1); '' / None / 'live' → None (live values)."""
    if not text or text == LIVE:
        return None
    match = _PERIOD_RE.match(text.strip())
    if not match or not 1 <= int(match.group(2)) <= 12 or int(match.group(1)) < 2000:
        raise ValidationFailed("invalid_period", "统计月份格式应为 YYYY-MM，如 2025-06")
    return date(int(match.group(1)), int(match.group(2)), 1)


def period_label(period: date | None) -> str:
    return "实时" if period is None else f"{period.year}年{period.month}月"


def month_start(day: date | None = None) -> date:
    day = day or timezone.localdate()
    return day.replace(day=1)


def month_end(period: date) -> date:
    return period.replace(day=calendar.monthrange(period.year, period.month)[1])


def months_back(period: date, count: int) -> date:
    index = period.year * 12 + period.month - 1 - count
    return date(index // 12, index % 12 + 1, 1)


# --- definitions ----------------------------------------------------------------------------


def indicator_list(*, active_only: bool = True) -> QuerySet[Indicator]:
    queryset = Indicator.objects.prefetch_related(
        Prefetch("targets", queryset=Target.objects.order_by("deadline"))
    )
    return queryset.filter(is_active=True) if active_only else queryset


def indicator_get(code: str) -> Indicator:
    indicator = indicator_list(active_only=False).filter(code=code).first()
    if indicator is None:
        raise NotFound("indicator_not_found", "指标不存在")
    return indicator


def target_in_force(targets: list[Target], on: date) -> Target | None:
    """The first target whose deadline is on or after `on`; past the last one, the last."""
    ordered = sorted(targets, key=lambda t: t.deadline)
    for target in ordered:
        if target.deadline >= on:
            return target
    return ordered[-1] if ordered else None


def spec_for(indicator: Indicator, on: date) -> engine.Spec:
    target = target_in_force(list(indicator.targets.all()), on)
    numerator_measure = measures.get(indicator.numerator)
    return engine.Spec(
        code=indicator.code,
        name=indicator.name,
        kind=indicator.kind,
        numerator=indicator.numerator,
        denominator=indicator.denominator,
        factor=float(indicator.factor),
        unit=indicator.unit,
        decimals=indicator.decimals,
        applies_to=indicator.applies_to,
        judged_at=indicator.judged_at,
        unit_operator=indicator.unit_operator,
        unit_threshold=float(indicator.unit_threshold),
        target=engine.TargetSpec(
            operator=target.operator,
            value=float(target.value),
            deadline=target.deadline.isoformat(),
            source=target.source,
        )
        if target
        else None,
        measure_unit=numerator_measure.unit if numerator_measure else "",
    )


def specs_for(indicators: list[Indicator], on: date) -> list[engine.Spec]:
    return [spec_for(i, on) for i in indicators]


def measure_status(indicator: Indicator) -> dict[str, str]:
    """For each measure an indicator needs: the app that provides it, or '' (数据未接入)."""
    available = measures.available()
    return {
        code: measures.source_of(code) if code in available else ""
        for code in indicator.measure_codes()
    }


# --- the tree ---------------------------------------------------------------------------------


def tree_for(principal: Any) -> engine.Tree:
    """County, towns and communities the principal may see (one query)."""
    rows = list(
        Region.objects.visible_to(principal)
        .filter(level__in=engine.LEVELS)
        .order_by("code")
        .values("id", "code", "name", "level", "parent_id", "urban_rural_code")
    )
    code_of = {r["id"]: r["code"] for r in rows}
    tree = engine.Tree(
        engine.Node(
            code=r["code"],
            name=r["name"],
            level=r["level"],
            parent=code_of.get(r["parent_id"]),
            urban_rural_code=r["urban_rural_code"] or "",
        )
        for r in rows
    )
    tree.ids = {r["code"]: r["id"] for r in rows}
    return tree


@dataclass
class Dashboard:
    """An evaluation with what the pages need around it."""

    evaluation: engine.Evaluation
    indicators: list[Indicator]
    period: date | None  # None: live
    as_of: date

    @property
    def tree(self) -> engine.Tree:
        return self.evaluation.tree

    @property
    def by_code(self) -> dict[str, Indicator]:
        return {i.code: i for i in self.indicators}

    def node(self, code: str) -> engine.Node:
        if code not in self.tree:
            raise NotFound("region_not_found", "区划不存在或无权查看")
        return self.tree.nodes[code]


def measure_cache_seconds() -> int:
    """How long measure values are reused across requests (LINLI_INDICATOR_CACHE_SECONDS;
    default 60 s, none under the test settings so that a test sees its own data)."""
    configured = getattr(settings, "LINLI_INDICATOR_CACHE_SECONDS", None)
    if configured is not None:
        return int(configured)
    return 0 if getattr(settings, "ENV", "") == "test" else 60


def measure_values(
    codes: Iterable[str],
) -> tuple[dict[str, dict[str, float]], dict[str, str]]:
    """Each measure computed once over the whole tree; reused for a short while.

    The values cover every region, so one cached copy serves every user: scoping is applied
    by the tree each evaluation is built on, never by the cache."""
    wanted = sorted(set(codes))
    seconds = measure_cache_seconds()
    if seconds <= 0:
        return measures.compute_all(wanted)
    version = measures.registry_version()
    keys = {f"linli:indicators:measure:{version}:{code}": code for code in wanted}
    found = cache.get_many(list(keys))
    missing = [code for key, code in keys.items() if key not in found]
    if missing:
        values, errors = measures.compute_all(missing)
        fresh = {
            key: (values.get(code), errors.get(code))
            for key, code in keys.items()
            if code in missing and (code in values or code in errors)
        }
        cache.set_many(fresh, seconds)
        found.update(fresh)
    all_values = {keys[k]: v for k, (v, e) in found.items() if v is not None}
    all_errors = {keys[k]: e for k, (v, e) in found.items() if e is not None}
    return all_values, all_errors


def evaluation_live(principal: Any, *, as_of: date | None = None) -> Dashboard:
    """Every active indicator at every visible region, computed now."""
    as_of = as_of or timezone.localdate()
    indicators = list(indicator_list())
    specs = specs_for(indicators, as_of)
    tree = tree_for(principal)
    values, errors = measure_values(c for s in specs for c in s.measures)
    return Dashboard(engine.evaluate(specs, tree, values, errors), indicators, None, as_of)


def evaluation_stored(principal: Any, period: date) -> Dashboard:
    """The snapshot of `period`, read back into the same shape as a live evaluation."""
    indicators = list(indicator_list())
    as_of = month_end(period)
    specs = specs_for(indicators, as_of)
    tree = tree_for(principal)
    rows = (
        IndicatorValue.objects.visible_to(principal)
        .filter(period=period)
        .values(
            "indicator__code",
            "region_code",
            "level",
            "value",
            "numerator",
            "denominator",
            "status",
            "target_operator",
            "target_value",
        )
    )
    stored = {(r["indicator__code"], r["region_code"]): r for r in rows}
    values: dict[tuple[str, str], engine.Value] = {}
    for spec in specs:
        for code, node in tree.nodes.items():
            row = stored.get((spec.code, code))
            if row is None:
                values[(spec.code, code)] = engine.Value(
                    spec.code, code, node.level, engine.MISSING
                )
                continue
            value = engine.Value(
                spec.code,
                code,
                node.level,
                row["status"],
                value=row["value"],
                numerator=row["numerator"],
                denominator=row["denominator"],
                target_operator=row["target_operator"],
                target_value=row["target_value"],
            )
            if spec.kind == "coverage":
                rank = engine.LEVEL_RANK[node.level]
                unit_rank = engine.LEVEL_RANK[spec.judged_at]
                value.is_unit = rank == unit_rank
                if rank > unit_rank and row["denominator"] is not None:
                    value.units_met = int(row["numerator"] or 0)
                    value.units_total = int(row["denominator"])
            values[(spec.code, code)] = value
    return Dashboard(engine.Evaluation(specs, tree, values), indicators, period, as_of)


def evaluation_for(principal: Any, period: date | None) -> Dashboard:
    return evaluation_live(principal) if period is None else evaluation_stored(principal, period)


def dashboard_roots(principal: Any) -> list[str]:
    """The top regions of the principal's scope (the county for a county admin, …)."""
    scope = scope_of(principal)
    queryset = Region.objects.visible_to(principal).filter(level__in=engine.LEVELS)
    if scope.is_global:
        return list(
            queryset.filter(parent__isnull=True).order_by("code").values_list("code", flat=True)
        )
    codes = [p.ljust(12, "0") if len(p) < 12 else p for p in scope.prefixes]
    return list(queryset.filter(code__in=codes).order_by("code").values_list("code", flat=True))


def snapshot_periods(principal: Any, *, limit: int = 36) -> list[date]:
    periods = (
        IndicatorValue.objects.visible_to(principal)
        .order_by("-period")
        .values_list("period", flat=True)
        .distinct()
    )
    return list(periods[:limit])


def trend_series(
    principal: Any,
    region_codes: list[str],
    *,
    indicator_codes: list[str] | None = None,
    months: int = 24,
    until: date | None = None,
) -> dict[tuple[str, str], list[tuple[date, float | None, str]]]:
    """{(indicator, region): [(period, value, status), …]} oldest first, from snapshots."""
    until = until or month_start()
    since = months_back(until, months - 1)
    rows = IndicatorValue.objects.visible_to(principal).filter(
        region_code__in=region_codes, period__gte=since, period__lte=until
    )
    if indicator_codes is not None:
        rows = rows.filter(indicator__code__in=indicator_codes)
    series: dict[tuple[str, str], list[tuple[date, float | None, str]]] = defaultdict(list)
    for code, region, period, value, status in rows.order_by("period").values_list(
        "indicator__code", "region_code", "period", "value", "status"
    ):
        series[(code, region)].append((period, value, status))
    return dict(series)


# --- rankings -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Gap:
    indicator: Indicator
    value: engine.Value
    region: engine.Node


def gaps_ranked(dashboard: Dashboard, region_code: str, *, limit: int = 200) -> list[Gap]:
    """Where are we furthest behind: every failing unit below `region_code` at its
    indicator's level, and the region's own failing indicators, lowest attainment first."""
    evaluation, tree = dashboard.evaluation, dashboard.tree
    found: list[Gap] = []
    by_code = dashboard.by_code
    for spec in evaluation.specs:
        own = evaluation.get(spec.code, region_code)
        if own.status == engine.UNMET:
            found.append(Gap(by_code[spec.code], own, tree.nodes[region_code]))
        for value in evaluation.short_units(spec.code, region_code):
            if value.region != region_code:
                found.append(Gap(by_code[spec.code], value, tree.nodes[value.region]))
    found.sort(key=lambda g: g.value.attainment if g.value.attainment is not None else 0)
    return found[:limit]
