"""Writes of the evaluation system: definitions and targets (county admins), plans, snapshots.

The evaluation system writes nothing in other apps; its own writes are the plan (edited by
county admins only) and the monthly snapshots (written by the worker).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone

from linli.core.errors import Forbidden, ValidationFailed
from linli.core.scoping import scope_of
from linli.indicators import engine, plans
from linli.indicators.models import Indicator, IndicatorValue, Target
from linli.indicators.selectors import Dashboard


def indicator_editor_check(actor: Any) -> None:
    """Only county admins (and platform superusers) change the plan; commands pass None."""
    if actor is None:
        return
    scope = scope_of(actor)
    if scope.is_global:
        return
    if scope.can_write and getattr(actor, "has_role", lambda *r: False)("county_admin"):
        return
    raise Forbidden("indicator_edit_forbidden", "只有县级管理员可以修改评估指标和目标值")


def _clean(instance: Any) -> None:
    try:
        instance.full_clean()
    except ValidationError as exc:
        raise ValidationFailed("invalid_input", "提交的数据不符合要求", exc.message_dict) from exc


@transaction.atomic
def indicator_save(*, actor: Any, indicator: Indicator | None, data: dict[str, Any]) -> Indicator:
    """Create (indicator=None) or change a definition; the code never changes once set."""
    indicator_editor_check(actor)
    if indicator is None:
        indicator = Indicator()
    else:
        indicator = Indicator.objects.select_for_update().get(pk=indicator.pk)
        data = {k: v for k, v in data.items() if k != "code"}
    for field, value in data.items():
        setattr(indicator, field, value)
    if indicator.kind != Indicator.Kind.RATIO and not indicator.denominator:
        indicator.denominator = ""
    _clean(indicator)
    indicator.save()
    return indicator


@transaction.atomic
def target_save(
    *, actor: Any, indicator: Indicator, target: Target | None, data: dict[str, Any]
) -> Target:
    indicator_editor_check(actor)
    if target is None:
        target = Target(indicator=indicator)
    elif target.indicator_id != indicator.pk:
        raise ValidationFailed("target_mismatch", "目标值不属于该指标")
    for field in ("operator", "value", "deadline", "source", "note"):
        if field in data:
            setattr(target, field, data[field])
    if (
        Target.objects.filter(indicator=indicator, deadline=target.deadline)
        .exclude(pk=target.pk)
        .exists()
    ):
        raise ValidationFailed("target_deadline_taken", "该指标在同一期限已有目标值")
    _clean(target)
    target.save()
    return target


@transaction.atomic
def target_delete(*, actor: Any, target: Target) -> None:
    indicator_editor_check(actor)
    target.delete()


@transaction.atomic
def plan_load(
    *, actor: Any, data: dict[str, Any], deactivate_missing: bool = False
) -> tuple[int, int, int]:
    """Load a county's plan file: all indicators, or nothing with every error listed."""
    indicator_editor_check(actor)
    errors = plans.plan_errors(data)
    if errors:
        raise ValidationFailed("invalid_plan", "规划文件有误，未导入任何指标", errors)
    return plans.plan_apply(
        data,
        indicator_model=Indicator,
        target_model=Target,
        deactivate_missing=deactivate_missing,
    )


# Not-applicable values are not stored: read back, a region without a row for an indicator
# that has rows in that month is "不适用" (selectors.evaluation_stored).
STORED_STATUSES = {engine.MET, engine.UNMET, engine.TRACKED, engine.INFO, engine.EMPTY}
_COLUMNS = (
    "indicator_id",
    "region_id",
    "region_code",
    "period",
    "level",
    "value",
    "numerator",
    "denominator",
    "status",
    "target_operator",
    "target_value",
    "created_at",
    "updated_at",
)


def snapshot_rows(dashboard: Dashboard, period: date) -> list[tuple[Any, ...]]:
    """One row (in _COLUMNS order) per computed value; indicators without data are skipped."""
    tree = dashboard.tree
    ids = {i.code: i.pk for i in dashboard.indicators}
    ops = connection.ops
    now = ops.adapt_datetimefield_value(timezone.now())
    month = ops.adapt_datefield_value(period)
    rows = []
    for (indicator, region), value in dashboard.evaluation.values.items():
        if value.status not in STORED_STATUSES or region not in tree.ids:
            continue
        rows.append(
            (
                ids[indicator],
                tree.ids[region],
                region,
                month,
                value.level,
                value.value,
                value.numerator,
                value.denominator,
                value.status,
                value.target_operator,
                value.target_value,
                now,
                now,
            )
        )
    return rows


@transaction.atomic
def snapshot_store(*, dashboards: list[tuple[date, Dashboard]]) -> int:
    """Replace the snapshots of the given months with these evaluations (idempotent).

    Plain DELETE and executemany rather than the ORM: a county's 24-month demo history is
    ~100k rows, and the ORM's per-object delete collection and per-field preparation would
    dominate (the rows carry no signals or relations that need them)."""
    quote = connection.ops.quote_name
    table = quote(IndicatorValue._meta.db_table)
    names = ", ".join(quote(c) for c in _COLUMNS)
    marks = ", ".join(["%s"] * len(_COLUMNS))
    insert = f"INSERT INTO {table} ({names}) VALUES ({marks})"  # noqa: S608
    written = 0
    with connection.cursor() as cursor:
        for period, dashboard in dashboards:
            period = period.replace(day=1)
            codes = list(dashboard.tree.nodes)
            for start in range(0, len(codes), 500):
                chunk = codes[start : start + 500]
                cursor.execute(
                    f"DELETE FROM {table} WHERE {quote('period')} = %s "  # noqa: S608
                    f"AND {quote('region_code')} IN ({', '.join(['%s'] * len(chunk))})",
                    [connection.ops.adapt_datefield_value(period), *chunk],
                )
            rows = snapshot_rows(dashboard, period)
            for start in range(0, len(rows), 2000):
                cursor.executemany(insert, rows[start : start + 2000])
            written += len(rows)
    return written
