"""Overdue escalation: the sweep marks, notifies one level up, and never does it twice."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from linli.cases import services
from linli.cases.models import Case, CaseEvent, Notification, Status
from linli.cases.tests.factories import report

pytestmark = pytest.mark.django_db


def _later(hours: float):
    return timezone.now() + timedelta(hours=hours)


def test_a_department_that_does_not_sign_in_time_is_reported_to_the_town(
    resident, grid_a, town_staff_a, department, handler, county_admin
):
    case = report(resident, grid_a)
    services.case_dispatch(actor=town_staff_a, case_id=case.pk, department_ids=[department.pk])
    case.refresh_from_db()
    # when the sweep runs after the sign-for limit
    after = case.sign_deadline + timedelta(minutes=1)
    first = services.case_sweep(now=after)
    # then the case is marked 超期 once, the town hears of it, and the response is late
    case.refresh_from_db()
    assert first.sign_overdue == 1
    assert case.sign_overdue and case.is_overdue and case.overdue_at is not None
    assert case.responded_in_time is False
    assert Notification.objects.filter(user=town_staff_a, kind="overdue", case=case).count() == 1
    # and a second run (a restart, or the per-case task) changes nothing
    second = services.case_sweep(now=after)
    assert second.sign_overdue == 0
    assert Notification.objects.filter(user=town_staff_a, kind="overdue", case=case).count() == 1
    assert case.events.filter(action="overdue").count() == 1


def test_a_grid_workers_overdue_case_goes_to_the_community(
    resident, grid_a, community_worker, grid_worker, town_staff_a
):
    case = report(resident, grid_a)
    services.case_dispatch(actor=community_worker, case_id=case.pk, worker_id=grid_worker.pk)
    services.case_sign(actor=grid_worker, case_id=case.pk)
    services.case_contact(actor=grid_worker, case_id=case.pk)
    case.refresh_from_db()
    report_ = services.case_sweep(now=case.resolve_deadline + timedelta(minutes=1))
    case.refresh_from_db()
    assert report_.resolve_overdue == 1
    assert case.resolve_overdue and case.escalation_level == 1
    assert Notification.objects.filter(user=community_worker, kind="overdue").exists()
    assert Notification.objects.filter(user=grid_worker, kind="overdue").exists()
    assert not Notification.objects.filter(user=town_staff_a, kind="overdue").exists()
    # a day later still open: the county admin hears of it, once
    later = case.resolve_deadline + timedelta(hours=25)
    assert services.case_sweep(now=later).level_two == 1
    assert services.case_sweep(now=later).level_two == 0
    assert Case.objects.get(pk=case.pk).escalation_level == 2


def test_handlers_are_warned_before_the_deadline_once(
    resident, grid_a, town_staff_a, department, handler
):
    case = report(resident, grid_a)
    services.case_dispatch(actor=town_staff_a, case_id=case.pk, department_ids=[department.pk])
    services.case_sign(actor=handler, case_id=case.pk)
    case.refresh_from_db()
    moment = case.resolve_deadline - timedelta(hours=1)
    assert services.case_sweep(now=moment).warned == 1
    assert services.case_sweep(now=moment).warned == 0
    assert Notification.objects.filter(user=handler, kind="approaching").count() == 1


def test_a_resolved_case_nobody_rates_is_closed_after_a_week(grid_worker, grid_a):
    case = report(grid_worker, grid_a, self_handle=True)
    services.case_resolve(actor=grid_worker, case_id=case.pk, result="已处理")
    swept = services.case_sweep(now=_later(24 * 7 + 1))
    case.refresh_from_db()
    assert swept.auto_closed == 1
    assert case.status == Status.CLOSED
    assert case.rated_at is None  # not counted as rated
    assert case.events.filter(action=CaseEvent.Action.CLOSE, actor__isnull=True).exists()


def test_the_next_deadline_is_the_earliest_unwatched_one(
    resident, grid_a, town_staff_a, department
):
    case = report(resident, grid_a)
    assert services.case_next_deadline(case) is None
    services.case_dispatch(actor=town_staff_a, case_id=case.pk, department_ids=[department.pk])
    case.refresh_from_db()
    moment = services.case_next_deadline(case)
    assert moment is not None
    assert case.sign_deadline <= moment <= case.sign_deadline + timedelta(seconds=2)


def test_the_sweep_command_runs_and_reports(resident, grid_a, town_staff_a, department, capsys):
    case = report(resident, grid_a)
    services.case_dispatch(actor=town_staff_a, case_id=case.pk, department_ids=[department.pk])
    Case.objects.filter(pk=case.pk).update(contact_deadline=_later(-1))
    call_command("cases_sweep")
    out = capsys.readouterr().out
    assert "联系超期 1" in out
    assert Case.objects.get(pk=case.pk).contact_overdue is True
