"""Fixtures of the evaluation tests: a small hand-built county, the plan, and measures whose
values each test chooses by hand (the real apps' measures are swapped out)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from linli.core.scoping import Scope
from linli.indicators import measures, plans, selectors
from linli.indicators.models import Indicator, Target
from linli.regions import indicators as region_measures
from linli.regions.models import Region

# town A (籍山镇): urban A1, urban A2, rural A3; town B (三里镇): rural B1, rural B2, urban B3
A1, A2, A3 = "340223100001", "340223100002", "340223100201"
B1, B2, B3 = "340223106201", "340223106202", "340223106001"
TOWN_A, TOWN_B, COUNTY = "340223100000", "340223106000", "340223000000"
URBAN, RURAL = (A1, A2, B3), (A3, B1, B2)


@pytest.fixture
def small_county(two_towns, community_a, community_b) -> dict[str, Region]:
    """Six communities with households and residents chosen for hand computation."""
    town_a, town_b = two_towns["a"], two_towns["b"]
    Region.objects.filter(code=A1).update(population=3000, households=1000)
    Region.objects.filter(code=B1).update(population=1200, households=400)
    extra = [
        (A2, "城东社区", town_a, "112", 5000, 2000),
        (A3, "龙山村", town_a, "220", 1500, 500),
        (B2, "桂湖村", town_b, "210", 900, 300),
        (B3, "三里社区", town_b, "121", 2000, 800),
    ]
    for code, name, town, urc, population, households in extra:
        Region.objects.create(
            code=code,
            name=name,
            level="community",
            parent=town,
            urban_rural_code=urc,
            population=population,
            households=households,
        )
    return {r.code: r for r in Region.objects.all()}


@pytest.fixture
def plan(db) -> list[Indicator]:
    """The preloaded Nanling plan (loaded again: a transactional test may have flushed it)."""
    plans.plan_apply(plans.builtin_plan(), indicator_model=Indicator, target_model=Target)
    return list(Indicator.objects.all())


@pytest.fixture
def measure_registry() -> Iterator[Callable[..., None]]:
    """Call it with {measure code: {region code: value}}; the registry then holds the tree's
    own measures (households, population, …) and exactly these, until the test ends."""
    stack: list[Any] = []

    def use(values: dict[str, dict[str, float]], *, keep_regions: bool = True) -> None:
        for context in stack:
            context.__exit__(None, None, None)
        stack.clear()
        extra = [measures.constant(code, data, unit="个") for code, data in values.items()]
        context = measures.override(*(region_measures.MEASURES if keep_regions else []), *extra)
        context.__enter__()
        stack.append(context)

    yield use
    for context in stack:
        context.__exit__(None, None, None)


@pytest.fixture
def evaluate(small_county, plan, measure_registry) -> Callable[..., selectors.Dashboard]:
    """evaluate({measure: {code: value}}) → the live evaluation of the small county."""

    def run(values: dict[str, dict[str, float]]) -> selectors.Dashboard:
        measure_registry(values)
        return selectors.evaluation_live(Scope(is_global=True))

    return run
