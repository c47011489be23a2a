"""The three rates: definitions, Σ/Σ aggregation, grouping, and the engine's measures."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from linli.accounts.models import Role
from linli.accounts.tests.factories import user_with_role
from linli.cases import selectors, services
from linli.cases.indicators import MEASURES
from linli.cases.models import Case
from linli.cases.tests.factories import report

pytestmark = pytest.mark.django_db


def _closed(resident, region, town_staff, department, handler, *, solved, satisfied, late=False):
    case = report(resident, region)
    services.case_dispatch(actor=town_staff, case_id=case.pk, department_ids=[department.pk])
    if late:
        Case.objects.filter(pk=case.pk).update(sign_deadline=timezone.now() - timedelta(minutes=1))
    services.case_sign(actor=handler, case_id=case.pk)
    services.case_resolve(actor=handler, case_id=case.pk, result="处理完毕")
    services.case_rate(
        actor=resident, case_id=case.pk, is_solved=solved, is_satisfied=satisfied, score=4
    )
    return case


def test_the_three_rates_follow_their_definitions(
    resident, grid_a, community_b, town_staff_a, department, handler, two_towns
):
    # given in town A: two on time (one solved+satisfied, one not solved), one late
    _closed(resident, grid_a, town_staff_a, department, handler, solved=True, satisfied=True)
    _closed(resident, grid_a, town_staff_a, department, handler, solved=False, satisfied=False)
    _closed(
        resident, grid_a, town_staff_a, department, handler, solved=True, satisfied=False, late=True
    )
    # and in town B one dispatched, not yet responded, not rated
    resident_b = user_with_role(Role.RESIDENT, community_b, username="rb")
    staff_b = user_with_role(Role.TOWN_STAFF, two_towns["b"], username="sb")
    case_b = report(resident_b, community_b)
    services.case_dispatch(actor=staff_b, case_id=case_b.pk, department_ids=[department.pk])
    # when the rates are computed for the county and by town
    total = selectors.case_rate_totals(Case.objects.all())
    towns = {r.key: r for r in selectors.case_rates(Case.objects.all(), group_by="town")}
    # then 响应率 = responded in time / dispatched, 解决率 and 满意率 over the rated
    assert (total.dispatched, total.responded_in_time) == (4, 2)
    assert total.response_rate == 50.0
    assert (total.rated, total.rated_solved, total.rated_satisfied) == (3, 2, 1)
    assert total.solve_rate == 66.7 and total.satisfaction_rate == 33.3
    # and the county is Σ numerators / Σ denominators of its towns, not a mean of ratios
    a, b = towns["340223100"], towns["340223106"]
    assert (a.responded_in_time + b.responded_in_time) / (a.dispatched + b.dispatched) == 0.5
    assert a.response_rate == 66.7 and b.response_rate == 0.0
    by_category = selectors.case_rate_labels(
        selectors.case_rates(Case.objects.all(), group_by="category"), "category"
    )
    assert [(r.key, r.label, r.reported) for r in by_category] == [("env", "环境卫生", 4)]
    by_department = selectors.case_rates(Case.objects.all(), group_by="department")
    assert [(r.key, r.dispatched) for r in by_department] == [("城管", 4)]
    assert total.avg_handling_hours is not None


def test_the_engine_measures_count_per_community(
    resident, grid_a, community_a, community_b, town_staff_a, department, handler
):
    _closed(resident, grid_a, town_staff_a, department, handler, solved=True, satisfied=True)
    values = {m["code"]: m["compute"](None) for m in MEASURES}
    # a grid's case counts for its community; every community answers, zeros included
    assert values["cases_dispatched"][community_a.code] == 1
    assert values["cases_responded"][community_a.code] == 1
    assert values["cases_rated"][community_a.code] == 1
    assert values["cases_resolved"][community_a.code] == 1
    assert values["cases_satisfied"][community_a.code] == 1
    assert values["cases_dispatched"][community_b.code] == 0
    only_b = MEASURES[0]["compute"]([community_b.code])
    assert only_b == {community_b.code: 0.0}


def test_the_engine_accepts_the_measures():
    from linli.indicators.measures import _coerce

    measures = [_coerce(m) for m in MEASURES]
    assert [m.code for m in measures][:2] == ["cases_dispatched", "cases_responded"]
