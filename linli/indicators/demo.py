"""Demo history: 24 monthly snapshots that end at today's live values.

The demo data of the other modules describe the county *now*. For the trend lines a
history is needed that is consistent with it: every month's values are computed by the
same engine from measure values that grow (deterministically) towards today's, so the
towns and the county are always the Σ of their communities, a community's station appears
in one month and stays, and the last month equals the live evaluation exactly.
"""

from __future__ import annotations

import hashlib
import math
from datetime import date

from django.db import transaction

from linli.core.scoping import Scope
from linli.indicators import engine, selectors, services

# Measures that describe the size of a community (used as denominators): nearly constant.
STABLE_MEASURES = {
    "households",
    "population",
    "urban_households",
    "urban_population",
    "communities",
    "is_urban",
    "is_rural",
}


def _unit(*parts: object) -> float:
    """A deterministic number in [0, 1) from the parts."""
    digest = hashlib.sha256("|".join(map(str, parts)).encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def history_value(
    measure: str, key: str, live: float, back: int, months: int, stable: bool
) -> float:
    """The value `back` months ago of a measure whose value today is `live`."""
    if back == 0 or live == 0:
        return live
    if stable:
        grown = live * (1 - 0.002 * back)  # a little growth towards today
        return float(round(grown)) if float(live).is_integer() else grown
    start = 0.45 + 0.4 * _unit(measure, key, "start")  # where the community started
    shape = 0.7 + 0.8 * _unit(measure, key, "shape")
    progress = (months - 1 - back) / max(1, months - 1)  # 0 oldest … 1 today
    ramp = start + (1 - start) * progress**shape
    u = _unit(measure, key, "step")
    if float(live).is_integer():
        # Counts and yes/no facts rise in whole steps and never fall back.
        return float(min(live, math.floor(live * ramp + u)))
    # Areas: the facility was extended once, in some month.
    return live if ramp >= 1 - u * (1 - start) else round(live * start, 1)


@transaction.atomic
def build_indicator_history(*, months: int = 24, today: date | None = None) -> int:
    """Replace the last `months` snapshots (this month included) with a consistent history;
    returns the number of rows written."""
    scope = Scope(is_global=True)
    live = selectors.evaluation_live(scope, as_of=today)
    indicators = live.indicators
    tree = live.tree
    codes = {c for s in live.evaluation.specs for c in s.measures}
    values, errors = selectors.measure_values(codes)
    stable = STABLE_MEASURES | {s.denominator for s in live.evaluation.specs if s.denominator}
    current = selectors.month_start(today)
    dashboards = []
    for back in range(months - 1, -1, -1):
        period = selectors.months_back(current, back)
        as_of = selectors.month_end(period) if back else live.as_of
        specs = selectors.specs_for(indicators, as_of)
        month_values = {
            measure: {
                key: history_value(measure, key, amount, back, months, measure in stable)
                for key, amount in by_key.items()
            }
            for measure, by_key in values.items()
        }
        evaluation = engine.evaluate(specs, tree, month_values, errors)
        dashboards.append((period, selectors.Dashboard(evaluation, indicators, period, as_of)))
    return services.snapshot_store(dashboards=dashboards)
