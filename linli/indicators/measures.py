"""The contract between the evaluation engine and the apps that provide data.

Each app declares, in its own `indicators.py`, `MEASURES = [Measure(...), ...]`. The engine
finds them at start-up (like admin.py autodiscovery) and never imports an app's models.

The registry below is process-wide. Tests replace it for a block with `override(...)` (or
the `measure_registry` fixture in linli/indicators/tests/conftest.py) so that a test
computes from measures it defines itself, with values it chose by hand.
"""

from __future__ import annotations

import decimal
import logging
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from functools import wraps
from importlib import import_module
from typing import Any

from django.db import connections
from django.db.models import QuerySet

from linli.regions.models import Region

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Measure:
    """A number an app can compute per community.

    `compute(region_codes)` returns {community region code: value} for the given
    communities (None: every community), with one query where possible. The engine sums
    values upward (town, county) and builds ratios and coverage from them.

    `compute` may return None for "no data yet" (e.g. nothing computed so far): the
    indicator then reads 数据未接入 instead of a made-up 0.

    Keys may also be a town's code (a fact located at the town itself, e.g. a town's social
    work station) or a grid's code (counted for the grid's community); other keys are
    ignored.
    """

    code: str
    name: str
    unit: str
    compute: Callable[[list[str] | None], dict[str, float] | None]
    level: str = "community"
    description: str = ""


class MeasureConflict(Exception):
    """Two apps declared the same measure code."""


_registry: dict[str, Measure] = {}
_sources: dict[str, str] = {}
_discovered = False
_version = 0  # changes whenever the registry does (part of the measure cache's key)


def _coerce(item: Any) -> Measure:
    """Accept a Measure, or a mapping with Measure's fields (an app that keeps to plain data)."""
    if isinstance(item, Measure):
        return item
    if isinstance(item, Mapping):
        return Measure(**item)
    fields = ("code", "name", "unit", "compute")
    if all(hasattr(item, f) for f in fields):
        return Measure(
            code=item.code,
            name=item.name,
            unit=item.unit,
            compute=item.compute,
            level=getattr(item, "level", "community"),
            description=getattr(item, "description", ""),
        )
    raise TypeError(f"not a measure: {item!r}")


def register(*measures: Any, source: str = "", replace: bool = False) -> None:
    """Add measures to the registry; a code already taken by another source is an error."""
    global _version
    _version += 1
    for item in measures:
        measure = _coerce(item)
        previous = _sources.get(measure.code)
        if measure.code in _registry and not replace and previous != source:
            raise MeasureConflict(
                f"measure {measure.code!r} is declared by {previous or '?'} and {source or '?'}"
            )
        _registry[measure.code] = measure
        _sources[measure.code] = source


def unregister(code: str) -> None:
    _registry.pop(code, None)
    _sources.pop(code, None)


def autodiscover() -> None:
    """Import `<app>.indicators` for every linli app and register its MEASURES (once)."""
    global _discovered
    if _discovered:
        return
    from django.apps import apps

    for config in apps.get_app_configs():
        if not config.name.startswith("linli."):
            continue
        module_name = f"{config.name}.indicators"
        try:
            module = import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name != module_name:
                raise
            continue
        register(*getattr(module, "MEASURES", ()), source=config.label)
    _discovered = True


def get(code: str) -> Measure | None:
    autodiscover()
    return _registry.get(code)


def available() -> dict[str, Measure]:
    """Every registered measure by code."""
    autodiscover()
    return dict(_registry)


def registry_version() -> int:
    return _version


def source_of(code: str) -> str:
    return _sources.get(code, "")


_batch: dict[Any, Any] | None = None


def memo(key: Any, compute: Callable[[], Any]) -> Any:
    """Share work between measures of one evaluation (optional for apps).

    Two measures read from one query (e.g. trained / total of the same workers) can call
    `memo(("workforce.leader_training", tuple(codes or ())), lambda: …)`: within one
    `compute_all` the query runs once; outside it, `compute()` simply runs."""
    if _batch is None:
        return compute()
    if key not in _batch:
        _batch[key] = compute()
    return _batch[key]


def codes_key(region_codes: list[str] | None) -> tuple[str, ...] | None:
    """`region_codes` as part of a memo key (None stays None: the whole tree)."""
    return None if region_codes is None else tuple(region_codes)


@dataclass(frozen=True)
class RegionFacts:
    """What the apps' measures need of a county, town or community (the statistical tree)."""

    code: str
    level: str
    urban_rural_code: str
    population: int | None
    households: int | None


@dataclass(frozen=True)
class _Regions:
    facts: list[RegionFacts]
    levels: dict[str, str]
    codes_at: dict[str, list[str]]  # the county, towns and communities by level, by code


_TREE_LEVELS = frozenset((Region.Level.COUNTY, Region.Level.TOWN, Region.Level.COMMUNITY))


def _regions() -> _Regions:
    """Every region, read once per evaluation (one query instead of one per measure, and a join
    to the region table in each app's reads)."""

    def load() -> _Regions:
        facts: list[RegionFacts] = []
        levels: dict[str, str] = {}
        codes_at: dict[str, list[str]] = {level: [] for level in _TREE_LEVELS}
        rows = raw_rows(
            Region.objects.order_by("code").values_list(
                "code", "level", "urban_rural_code", "population", "households"
            )
        )
        for code, level, urc, population, households in rows:
            levels[code] = level
            if level in _TREE_LEVELS:
                facts.append(RegionFacts(code, level, urc or "", population, households))
                codes_at[level].append(code)
        return _Regions(facts, levels, codes_at)

    return memo(("regions.all",), load)


def raw_rows(queryset: QuerySet[Any]) -> list[tuple[Any, ...]]:
    """The rows of a `values_list` queryset as the database driver returns them — the same
    rows without Django's converter call per row and value (for a measure that reads
    thousands of rows; a number computed as a DecimalField in SQL: `as_decimal`)."""
    sql, params = queryset.query.get_compiler(using=queryset.db).as_sql()
    with connections[queryset.db].cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


_FLOAT_DIGITS = decimal.Context(prec=15)


def as_decimal(value: decimal.Decimal | float | int) -> decimal.Decimal:
    """A number the database computed for a DecimalField (SUM, CASE), as the ORM reads it:
    PostgreSQL answers a Decimal; SQLite an int or a float, which the ORM makes a Decimal of
    15 significant digits (so that a float sum of tenths such as 0.6 + 0.7 + 0.8 + 0.9 reads
    3.0, as numeric sums it on PostgreSQL)."""
    if isinstance(value, decimal.Decimal):
        return value
    if isinstance(value, int):
        return decimal.Decimal(value)
    return _FLOAT_DIGITS.create_decimal_from_float(value)


def region_facts() -> list[RegionFacts]:
    """The county, towns and communities, by code: for the apps' zero-filling and the tree's
    own figures."""
    return _regions().facts


def region_levels() -> dict[str, str]:
    """{region code: level} of every region, grids included: an app's read can take a row's
    level from its `region_code` here rather than join the region table for it."""
    return _regions().levels


def region_codes_at(level: str) -> list[str]:
    """Every region code at `level` ("community", "town", "county"), by code (one list shared
    by the measures of an evaluation: read it, do not change it)."""
    return _regions().codes_at.get(level, [])


def compute_all(codes: Iterable[str]) -> tuple[dict[str, dict[str, float]], dict[str, str]]:
    """Run each named measure once over the whole tree: ({code: {region: value}}, errors).

    A measure that nobody provides is simply absent from the answer (数据未接入); one that
    fails is logged and reported in `errors` (数据异常), never silently zero.
    """
    autodiscover()
    values: dict[str, dict[str, float]] = {}
    errors: dict[str, str] = {}
    with batch():
        _compute_into(sorted(set(codes)), values, errors)
    return values, errors


@contextmanager
def batch() -> Iterator[None]:
    """Within the block `memo` keeps what it computed (as within one `compute_all`); a batch
    opened inside another shares the outer one's. For the benchmark's per-measure timings."""
    global _batch
    outer, _batch = _batch, {} if _batch is None else _batch
    try:
        yield
    finally:
        _batch = outer


def batched(
    compute: Callable[[list[str] | None], dict[str, float]],
) -> Callable[[list[str] | None], dict[str, float]]:
    """`compute` run within a `batch()`: called alone (a test, a page), the reads it shares
    through `memo` (e.g. the regions) are still made once."""

    @wraps(compute)
    def run(region_codes: list[str] | None) -> dict[str, float]:
        with batch():
            return compute(region_codes)

    return run


def _compute_into(
    codes: list[str], values: dict[str, dict[str, float]], errors: dict[str, str]
) -> None:
    for code in codes:
        measure = _registry.get(code)
        if measure is None:
            continue
        try:
            raw = measure.compute(None)
            if raw is None:  # the providing module has no data yet: 数据未接入, not zeros
                continue
            values[code] = _as_floats(raw)
        except Exception as exc:
            logger.exception("measure %s failed", code)
            errors[code] = f"{type(exc).__name__}: {exc}"


def _as_floats(raw: Mapping[Any, Any]) -> dict[str, float]:
    """{str(key): float(value or 0)} — in one pass of C (keys and values converted as they
    come) unless a value needs `or 0` (None, an empty string)."""
    try:
        return dict(zip(map(str, raw), map(float, raw.values()), strict=True))
    except (TypeError, ValueError):
        return {str(k): float(v or 0) for k, v in raw.items()}


@contextmanager
def override(*measures: Any, keep: bool = False) -> Iterator[None]:
    """Within the block the registry holds exactly `measures` (plus the real ones if `keep`).

    For tests: a test registers measures whose values it chose, computes, and leaves the
    process registry as it found it.
    """
    global _registry, _sources, _discovered, _version
    autodiscover()
    saved = (_registry, _sources, _discovered)
    _version += 1
    _registry = dict(_registry) if keep else {}
    _sources = dict(_sources) if keep else {}
    try:
        register(*measures, source="override", replace=True)
        _discovered = True
        yield
    finally:
        _registry, _sources, _discovered = saved
        _version += 1


def constant(code: str, values: Mapping[str, float], *, name: str = "", unit: str = "") -> Measure:
    """A measure answering fixed values (tests, and plans loaded before their data exists)."""
    data = dict(values)

    def compute(region_codes: list[str] | None) -> dict[str, float]:
        if region_codes is None:
            return dict(data)
        wanted = set(region_codes)
        return {k: v for k, v in data.items() if k in wanted}

    return Measure(code=code, name=name or code, unit=unit, compute=compute)
