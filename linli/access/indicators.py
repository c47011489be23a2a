"""Measures the living-circles module gives the evaluation engine (DESIGN.md §7-§8).

One measure per life circle (`LifeCircle.measure_code`: pop_within_15min, pop_within_5min,
pop_within_fitness_15min): the residents of each community whose home is within the circle,
from the stored coverage rows. The denominators are the registry's population measure. With
no results computed yet a measure answers nothing, so the indicator shows 数据未接入 rather
than a made-up 0 %.
"""

from __future__ import annotations

from collections.abc import Callable

from linli.access.circles import DEFAULT_CIRCLES
from linli.indicators.measures import Measure


def _within(measure_code: str) -> Callable[[list[str] | None], dict[str, float]]:
    def compute(region_codes: list[str] | None) -> dict[str, float]:
        from linli.access.selectors import coverage_by_community

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
