"""Measures the living-circles module gives the evaluation engine (DESIGN.md §7-§8).

One measure per life circle (`LifeCircle.measure_code`: pop_within_15min, pop_within_5min,
pop_within_fitness_15min): the residents of each community whose home is within the circle,
from the stored coverage rows. The denominators are the registry's population measure. With
no results computed yet a measure answers None, so the indicator shows 数据未接入 rather than
a made-up 0 %.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable

from linli.access.circles import DEFAULT_CIRCLES
from linli.access.models import Coverage
from linli.indicators.measures import Measure, memo, region_facts
from linli.regions.models import Region

# A circle's rows: (community code, registered population, registered population within).
_Rows = list[tuple[str, int, int]]


def _circle_rows() -> dict[str, _Rows]:
    """{circle's measure code: its stored coverage rows}, every circle in one read shared by the
    circles' measures of an evaluation (a circle without rows is absent)."""

    def load() -> dict[str, _Rows]:
        rows: dict[str, _Rows] = defaultdict(list)
        for measure_code, code, population, within in (
            Coverage.objects.filter(circle__isnull=False)
            .order_by()
            .values_list("circle__measure_code", "region_code", "population", "population_within")
        ):
            rows[measure_code].append((code, population, within))
        return dict(rows)

    return memo(("access.circle_rows",), load)


def coverage_by_community(
    measure_code: str, region_codes: list[str] | None
) -> dict[str, float] | None:
    """{community code: people within the circle} (zeros included), or None when nothing has
    been computed yet. No numpy here: the evaluation must not pay for importing it.

    The engine divides by the community's official resident count (常住人口); the registry
    gives the share of its residents whose homes are inside, so that share is applied to
    the official count (the registered count where none is recorded) — a ratio of like to
    like, never above 100 % because the two counts differ.
    """
    rows = _circle_rows().get(measure_code)
    if rows is None:
        return None
    official = {
        r.code: r.population
        for r in region_facts()
        if r.level == Region.Level.COMMUNITY and r.population
    }
    wanted = set(region_codes) if region_codes is not None else None
    result: dict[str, float] = {}
    for code, population, within in rows:
        if wanted is not None and code not in wanted:
            continue
        total = official.get(code)
        # Whole people: the share applied to the official count, rounded per community.
        result[code] = (
            float(within)
            if not total or not population
            else float(round(total * within / population))
        )
    return result


def _within(measure_code: str) -> Callable[[list[str] | None], dict[str, float] | None]:
    def compute(region_codes: list[str] | None) -> dict[str, float] | None:
        return coverage_by_community(measure_code, region_codes)

    compute.__name__ = measure_code
    return compute


MEASURES = [
    Measure(
        code=spec["measure_code"],
        name=f"{spec['name']}覆盖人口",
        unit="人",
        compute=_within(spec["measure_code"]),
        description=(
            f"住宅楼栋沿步行路网 {spec['distance_m']} 米内具备"
            + "、".join(name for name, _types in spec["requirements"])
            + "的在册居民数（生活圈模块计算）"
        ),
    )
    for spec in DEFAULT_CIRCLES
]
