"""Measures the cases give the evaluation engine: the counts behind CASE_RATES (响应率,
解决率, 满意率), per community, over the last 365 days (docs/cases-rates.md).

Every measure comes from `selectors.case_rates_by_community`, whose five counts are defined
once with the statistics page's `case_rates` (`_rate_counts`), so the engine and the page
cannot disagree. Cases at a grid count for its community. The engine sums upward and divides
the sums.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.utils import timezone

from linli.cases.selectors import case_rates_by_community
from linli.indicators.measures import codes_key, memo, region_codes_at
from linli.regions.models import Region

WINDOW = timedelta(days=365)


def _communities(region_codes: list[str] | None) -> list[str]:
    if region_codes is not None:
        return list(region_codes)
    return region_codes_at(Region.Level.COMMUNITY)


def _counts(region_codes: list[str] | None) -> dict[str, dict[str, int]]:
    """The counts of every community over the window: one query for the five measures of an
    evaluation (and one window, so that the five cannot straddle a moment)."""

    def load() -> dict[str, dict[str, int]]:
        end = timezone.now()
        return case_rates_by_community(region_codes, start=end - WINDOW, end=end)

    return memo(("cases.rates_by_community", codes_key(region_codes)), load)


def _measure(field: str):  # type: ignore[no-untyped-def]
    def compute(region_codes: list[str] | None) -> dict[str, float]:
        counts = _counts(region_codes)
        result = dict.fromkeys(_communities(region_codes), 0.0)
        result.update(
            (code, float(values[field]))
            for code, values in counts.items()
            if code in result or region_codes is None
        )
        return result

    return compute


def _spec(code: str, name: str, field: str, description: str) -> dict[str, Any]:
    # Plain data: the engine accepts a mapping with Measure's fields (this app uses only the
    # registry's helpers, the shared contract of tests/test_architecture.py).
    return {
        "code": code,
        "name": name,
        "unit": "件",
        "compute": _measure(field),
        "description": description,
    }


MEASURES = [
    _spec(
        "cases_dispatched", "派单诉求数", "dispatched", "近 365 天首次派单的诉求数：响应率的分母"
    ),
    _spec(
        "cases_responded",
        "按时响应诉求数",
        "responded_in_time",
        "派单后按时签收且按时首次联系的诉求数：响应率的分子",
    ),
    _spec(
        "cases_rated",
        "已评价诉求数",
        "rated",
        "近 365 天诉求人评价（或电话回访）过的诉求数：解决率、满意率的分母",
    ),
    _spec("cases_resolved", "评价为已解决的诉求数", "rated_solved", "解决率的分子"),
    _spec("cases_satisfied", "评价为满意的诉求数", "rated_satisfied", "满意率的分子"),
]
