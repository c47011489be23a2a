"""Background work of the evaluation system (run by `manage.py db_worker`)."""

from __future__ import annotations

from django.tasks import task

from linli.core.scoping import Scope
from linli.indicators import selectors, services


def snapshot_month(period: str | None = None) -> int:
    """Evaluate every indicator at every region now and store it as `period`'s snapshot
    (default: the current month). Re-running in the same month replaces that month's rows,
    so the snapshot of a month is the last one taken in it."""
    when = selectors.period_parse(period) or selectors.month_start()
    dashboard = selectors.evaluation_live(Scope(is_global=True))
    return services.snapshot_store(dashboards=[(when, dashboard)])


@task()
def indicator_snapshot_month(period: str | None = None) -> int:
    """The worker's entry point (enqueued by the daily `indicator_snapshot --enqueue` and by
    the 「立即生成快照」 button)."""
    return snapshot_month(period)


# Daily: the current month's snapshot is refreshed, so the last one of a month stands for it.
PERIODIC = [(indicator_snapshot_month, 24 * 3600)]
