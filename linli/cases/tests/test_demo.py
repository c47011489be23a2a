from __future__ import annotations

import pytest

from linli.cases.demo import build_demo_cases
from linli.cases.models import Case, CaseEvent
from linli.cases.selectors import case_rate_totals

pytestmark = pytest.mark.django_db


def test_demo_cases_are_varied_consistent_and_built_once(two_towns, county_admin):
    created = build_demo_cases(count=120, seed=7)
    assert created == 120
    statuses = set(Case.objects.values_list("status", flat=True))
    assert {"closed", "in_progress", "rejected"} <= statuses
    # every case has its history, in order, starting with the report at its creation time
    for case in Case.objects.all()[:20]:
        events = list(case.events.order_by("created_at", "id"))
        assert events[0].action == CaseEvent.Action.REPORT
        assert events[0].created_at == case.created_at
    totals = case_rate_totals(Case.objects.all())
    assert totals.dispatched > 0 and totals.rated > 0
    assert 50 <= totals.response_rate <= 100
    # deterministic and idempotent
    assert build_demo_cases(count=120, seed=7) == 0
    assert Case.objects.count() == 120
