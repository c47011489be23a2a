"""Deadlines in working hours on the official calendar (holidays, make-up workdays)."""

from __future__ import annotations

import logging
import time
from datetime import date, datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from linli.cases import selectors, worktime
from linli.cases.geo import distance_m, gcj02_to_wgs84, wgs84_to_gcj02
from linli.cases.models import WorkdayOverride
from linli.cases.worktime import TZ, add_hours
from linli.regions.models import Region


def at(*args: int) -> datetime:
    return datetime(*args, tzinfo=TZ)


def test_calendar_hours_are_plain_hours():
    assert add_hours(at(2025, 10, 1, 9, 0), 24, working_time=False) == at(2025, 10, 2, 9, 0)


def test_working_hours_skip_the_lunch_break_and_the_night():
    # Tuesday 2025-06-03, 11:00 + 2 working hours: one before lunch, one after 14:00
    assert add_hours(at(2025, 6, 3, 11, 0), 2, working_time=True) == at(2025, 6, 3, 15, 0)
    # 17:00 + 1 h: half an hour today, half tomorrow from 08:30
    assert add_hours(at(2025, 6, 3, 17, 0), 1, working_time=True) == at(2025, 6, 4, 9, 0)
    # reported at night: the clock starts at 08:30
    assert add_hours(at(2025, 6, 3, 22, 0), 0.5, working_time=True) == at(2025, 6, 4, 9, 0)


def test_weekends_and_the_national_day_holiday_with_make_up_days():
    # Friday 2025-09-26 17:00 + 1 h → Sunday 2025-09-28 is a make-up workday (调休上班)
    assert add_hours(at(2025, 9, 26, 17, 0), 1, working_time=True) == at(2025, 9, 28, 9, 0)
    # Tuesday 2025-09-30 17:00 + 1 h → the holiday runs 10-01..10-08; Thu 10-09 08:30 + 0.5
    assert add_hours(at(2025, 9, 30, 17, 0), 1, working_time=True) == at(2025, 10, 9, 9, 0)
    # Saturday 2025-10-11 is a make-up workday too
    assert worktime.is_workday(date(2025, 10, 11)) is True
    assert worktime.is_workday(date(2025, 10, 4)) is False


@pytest.mark.django_db
def test_an_unknown_year_falls_back_to_monday_to_friday_and_says_so(caplog):
    worktime._warned_years.discard(2031)
    with caplog.at_level(logging.WARNING, logger="linli.cases.worktime"):
        assert worktime.is_workday(date(2031, 1, 6)) is True  # a Monday
        assert worktime.is_workday(date(2031, 1, 4)) is False  # a Saturday
    assert "2031" in caplog.text


@pytest.mark.django_db
def test_the_county_can_correct_the_calendar_without_code():
    WorkdayOverride.objects.create(day=date(2031, 1, 6), is_workday=False, note="临时调整")
    worktime.workday_overrides_reset()
    assert worktime.is_workday(date(2031, 1, 6)) is False


@pytest.mark.django_db
def test_the_caches_load_on_a_server_started_just_after_boot(monkeypatch, two_towns):
    # time.monotonic() counts from boot: 20 s after it, a "loaded at 0" cache would look fresh.
    monkeypatch.setattr(time, "monotonic", lambda: 20.0)
    WorkdayOverride.objects.create(day=date(2031, 1, 6), is_workday=False, note="临时调整")
    worktime.workday_overrides_reset()
    selectors.region_cache_reset()
    grid = Region.objects.filter(level="grid").first()
    assert worktime.is_workday(date(2031, 1, 6)) is False
    with CaptureQueriesContext(connection) as queries:
        assert selectors.case_region_by_code(grid.code) == grid
        assert selectors.case_region_by_code(grid.code) == grid
    assert len(queries) == 1, "the region index is read once, then served from memory"


def test_gcj02_round_trip_is_within_a_metre():
    for lng, lat in ((118.3336, 30.9197), (116.397, 39.909), (121.47, 31.23)):
        g = wgs84_to_gcj02(lng, lat)
        assert distance_m(lng, lat, *g) > 100  # the offset is real
        back = gcj02_to_wgs84(*g)
        assert distance_m(lng, lat, *back) < 1.0
