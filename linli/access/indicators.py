"""Measures the living-circles module gives the evaluation engine (DESIGN.md §7-§8).

One measure per life circle (`LifeCircle.measure_code`: pop_within_15min, pop_within_5min,
pop_within_fitness_15min): the residents of each community whose home is within the circle,
from the stored coverage rows. The denominators are the registry's population measure. With
no results computed yet a measure answers None, so the indicator shows 数据未接入 rather than
a made-up 0 %.
"""

from __future__ import annotations

from collections.abc import Callable

from linli.access.circles import DEFAULT_CIRCLES
from linli.access.models import Coverage, LifeCircle
from linli.indicators.measures import Measure
from linli.regions.models import Region


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
    circle = LifeCircle.objects.filter(measure_code=measure_code).first()
    if circle is None:
        return None
    rows = Coverage.objects.filter(circle=circle)
    if not rows.exists():
        return None
    if region_codes is not None:
        rows = rows.filter(region_code__in=region_codes)
    official = dict(
        Region.objects.filter(level=Region.Level.COMMUNITY, population__gt=0).values_list(
            "code", "population"
        )
    )
    result: dict[str, float] = {}
    for code, population, within in rows.values_list(
        "region_code", "population", "population_within"
    ):
        total = official.get(code)
        result[code] = float(within) if not total or not population else total * within / population
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
