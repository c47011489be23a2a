"""Working time: deadlines in working hours on the official Chinese calendar.

The official calendar (holidays and make-up workdays, 调休) comes from the `chinesecalendar`
package; a county can correct or extend it without a code change through `WorkdayOverride`
rows (e.g. when next year's calendar is announced before the package is updated). For a
year the package does not know, Monday–Friday are working days, and this is logged once
per year (ADR 0072).
"""

from __future__ import annotations

import logging
import time
from datetime import date, datetime, timedelta
from datetime import time as dtime
from functools import lru_cache
from zoneinfo import ZoneInfo

import chinese_calendar
from django.conf import settings

logger = logging.getLogger("linli.cases.worktime")

TZ = ZoneInfo("Asia/Shanghai")
# Office hours of a working day (local time); settings may replace them.
DEFAULT_WORK_PERIODS: tuple[tuple[str, str], ...] = (("08:30", "12:00"), ("14:00", "17:30"))
_OVERRIDE_TTL_SECONDS = 300
_warned_years: set[int] = set()
# "Never loaded" is -inf, not 0: time.monotonic() counts from boot, so a server started
# within the TTL of boot would otherwise trust the empty cache.
_override_cache: dict[str, object] = {"at": float("-inf"), "data": {}}


@lru_cache(maxsize=1)
def _periods_of(spec: tuple[tuple[str, str], ...]) -> tuple[tuple[dtime, dtime], ...]:
    return tuple((dtime.fromisoformat(a), dtime.fromisoformat(b)) for a, b in spec)


def work_periods() -> tuple[tuple[dtime, dtime], ...]:
    spec = getattr(settings, "LINLI_CASE_WORK_PERIODS", DEFAULT_WORK_PERIODS)
    return _periods_of(tuple(tuple(p) for p in spec))


def workday_overrides() -> dict[date, bool]:
    """{date: is_workday} from the county's corrections, cached for a few minutes."""
    now = time.monotonic()
    if now - float(_override_cache["at"]) > _OVERRIDE_TTL_SECONDS:  # type: ignore[arg-type]
        from linli.cases.models import WorkdayOverride

        _override_cache["data"] = dict(WorkdayOverride.objects.values_list("day", "is_workday"))
        _override_cache["at"] = now
    return _override_cache["data"]  # type: ignore[return-value]


def workday_overrides_reset() -> None:
    """Forget the cached corrections (after an edit, and in tests)."""
    _override_cache["at"] = float("-inf")


def is_workday(day: date) -> bool:
    overrides = workday_overrides()
    if day in overrides:
        return overrides[day]
    try:
        return bool(chinese_calendar.is_workday(day))
    except NotImplementedError:
        if day.year not in _warned_years:
            _warned_years.add(day.year)
            logger.warning(
                "chinesecalendar has no data for %s: Monday-Friday are taken as working days "
                "(add WorkdayOverride rows or update the package)",
                day.year,
            )
        return day.weekday() < 5


def add_hours(start: datetime, hours: float, *, working_time: bool) -> datetime:
    """The moment `hours` after `start`: calendar hours, or working hours on working days."""
    if not working_time:
        return start + timedelta(hours=hours)
    remaining = timedelta(hours=hours)
    current = start.astimezone(TZ)
    for _ in range(3660):  # ten years of days: a guard, never reached with sane limits
        day = current.date()
        if is_workday(day):
            for begin_t, end_t in work_periods():
                begin = datetime.combine(day, begin_t, tzinfo=TZ)
                end = datetime.combine(day, end_t, tzinfo=TZ)
                if current >= end:
                    continue
                begin = max(begin, current)
                available = end - begin
                if remaining <= available:
                    return begin + remaining
                remaining -= available
                current = end
        current = datetime.combine(day + timedelta(days=1), dtime(0, 0), tzinfo=TZ)
    raise ValueError("working-time deadline beyond ten years")
