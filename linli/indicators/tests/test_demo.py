from __future__ import annotations

from datetime import date

import pytest

from linli.core.scoping import Scope
from linli.indicators import selectors
from linli.indicators.demo import build_indicator_history, history_value
from linli.indicators.models import IndicatorValue
from linli.indicators.tests.conftest import A1, A2, A3, B1, COUNTY, TOWN_A

pytestmark = pytest.mark.django_db


def test_history_ends_at_the_live_values_and_stays_consistent(evaluate):
    # given today's values
    live = evaluate(
        {
            "has_volunteer_station": {A1: 1, A2: 1, A3: 1, B1: 0},
            "facility_area_service": {A1: 400.5, A2: 500},
        }
    )
    # when 24 months of history are built
    rows = build_indicator_history(months=24, today=date(2025, 11, 15))
    # then there are 24 monthly snapshots, the last one equal to the live evaluation
    periods = list(
        IndicatorValue.objects.order_by("period").values_list("period", flat=True).distinct()
    )
    assert rows > 0
    assert len(periods) == 24
    assert periods[0] == date(2023, 12, 1) and periods[-1] == date(2025, 11, 1)
    last = selectors.evaluation_stored(Scope(is_global=True), periods[-1])
    for code in ("VOL_STATION", "FAC_AREA_URBAN"):
        for region in (COUNTY, TOWN_A, A1):
            assert last.evaluation.get(code, region).value == pytest.approx(
                live.evaluation.get(code, region).value
            )
    # and every month the county is the Σ of its communities (one engine, one rule)
    for period in periods:
        month = selectors.evaluation_stored(Scope(is_global=True), period)
        county = month.evaluation.get("VOL_STATION", COUNTY)
        units = [
            month.evaluation.get("VOL_STATION", c)
            for c in month.tree.descendants(COUNTY, "community")
        ]
        assert county.numerator == sum(1 for u in units if u.status == "met")
    # and a station, once opened, stays open (values never fall back)
    series = selectors.trend_series(
        Scope(is_global=True), [A1], indicator_codes=["VOL_STATION"], until=periods[-1]
    )
    values = [v for _, v, _ in series[("VOL_STATION", A1)]]
    assert values == sorted(values)


def test_history_values_grow_to_today_and_sizes_stay_put():
    assert history_value("m", "k", 7, 0, 24, stable=False) == 7
    path = [history_value("m", "k", 7, back, 24, stable=False) for back in range(23, -1, -1)]
    assert path == sorted(path) and path[-1] == 7 and path[0] < 7
    assert history_value("households", "k", 1000, 10, 24, stable=True) == 980
