"""Workforce reads: list filters, posts held, trainings in a period, the staffing summary."""

from datetime import date, timedelta

import pytest
from django.utils import timezone

from linli.workforce import selectors
from linli.workforce.tests.factories import PositionFactory, TrainingFactory, WorkerFactory

pytestmark = pytest.mark.django_db


def test_worker_list_filters_by_held_post_name_and_activity(county_admin, community_a, community_b):
    today = timezone.localdate()
    mediator = WorkerFactory(region=community_a, name="调解员甲")
    PositionFactory(worker=mediator, kind="mediator")
    former = WorkerFactory(region=community_a, name="前调解员")
    PositionFactory(worker=former, kind="mediator", ended_on=today - timedelta(days=3))
    WorkerFactory(region=community_b, name="离岗者", is_active=False)

    def names(**filters):
        return sorted(w.name for w in selectors.worker_list(county_admin, **filters))

    assert names(position_kind="mediator") == ["调解员甲"]
    assert names(q="前") == ["前调解员"]
    assert names(is_active=False) == ["离岗者"]
    assert names(region_code=community_b.code) == ["离岗者"]
    # held posts are prefetched for the list
    worker = selectors.worker_list(county_admin, q="调解员甲").get()
    assert [p.kind for p in worker.held_posts] == ["mediator"]


def test_a_post_starting_tomorrow_is_not_held_yet(county_admin, community_a):
    PositionFactory(
        worker__region=community_a,
        kind="child_director",
        started_on=timezone.localdate() + timedelta(days=1),
    )
    assert list(selectors.positions_held(county_admin, ("child_director",))) == []


def test_positions_held_and_trainings_in_period_are_scoped(town_staff_a, community_a, community_b):
    PositionFactory(worker__region=community_a, kind="legal_advisor", worker__name="律师甲")
    PositionFactory(worker__region=community_b, kind="legal_advisor", worker__name="律师乙")
    held = selectors.positions_held(town_staff_a, ("legal_advisor", "community_police"))
    assert [p.worker.name for p in held] == ["律师甲"]
    TrainingFactory(worker__region=community_a, started_on=date(2024, 5, 1), course="五月")
    TrainingFactory(worker__region=community_a, started_on=date(2023, 5, 1), course="去年")
    TrainingFactory(worker__region=community_b, started_on=date(2024, 5, 1), course="外镇")
    period = selectors.trainings_in_period(town_staff_a, date(2024, 1, 1), date(2024, 12, 31))
    assert [t.course for t in period] == ["五月"]


def test_community_staffing_rows(county_admin, community_a, community_b):
    worker = WorkerFactory(region=community_a)
    PositionFactory(worker=worker, kind="secretary")
    PositionFactory(worker=worker, kind="director")
    PositionFactory(worker__region=community_b, kind="auxiliary_police")
    rows = {r.code: r for r in selectors.community_staffing(county_admin)}
    assert rows[community_a.code].one_shoulder
    assert rows[community_a.code].leaders.total == 1
    assert not rows[community_a.code].police
    assert rows[community_b.code].police
    assert rows[community_b.code].workers == 0
