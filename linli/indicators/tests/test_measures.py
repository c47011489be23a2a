from __future__ import annotations

from decimal import Decimal

import pytest

from linli.indicators import measures
from linli.indicators.measures import Measure, MeasureConflict
from linli.regions import indicators as region_measures
from linli.regions.models import Region


def test_apps_declare_their_measures_and_the_engine_finds_them():
    # given the apps' indicators.py files (found at start-up)
    found = measures.available()
    # then the region tree's measures are registered, with their app as the source
    assert {"households", "population", "communities", "is_urban"} <= set(found)
    assert measures.source_of("households") == "regions"


def test_override_replaces_the_registry_for_a_block_only():
    before = set(measures.available())
    with measures.override(measures.constant("test_only", {"340223100001": 3})):
        assert set(measures.available()) == {"test_only"}
        values, errors = measures.compute_all(["test_only", "absent"])
        assert values == {"test_only": {"340223100001": 3.0}}
        assert errors == {}
    assert set(measures.available()) == before


def test_two_sources_may_not_declare_the_same_code():
    with measures.override():
        measures.register(measures.constant("x", {}), source="a")
        with pytest.raises(MeasureConflict):
            measures.register(measures.constant("x", {}), source="b")


def test_a_mapping_is_accepted_as_a_measure_and_a_failing_one_is_reported():
    def boom(codes):
        raise RuntimeError("down")

    with measures.override({"code": "m", "name": "M", "unit": "个", "compute": boom}):
        assert isinstance(measures.get("m"), Measure)
        values, errors = measures.compute_all(["m"])
    assert values == {}
    assert "down" in errors["m"]


@pytest.mark.django_db
def test_region_measures_read_the_trees_figures(small_county):
    by_code = {m.code: m for m in region_measures.MEASURES}
    households = by_code["households"].compute(None)
    # communities only (grids carry figures too, and must not be counted twice)
    assert households["340223100002"] == 2000
    assert "340223100001001" not in households
    assert by_code["urban_population"].compute(["340223100201"]) == {"340223100201": 0}
    assert by_code["is_rural"].compute(None)["340223106202"] == 1
    assert Region.objects.filter(level="grid").exists()


@pytest.mark.django_db
def test_measure_values_are_reused_for_a_short_while_when_configured(settings, small_county):
    from django.core.cache import cache

    from linli.core.scoping import Scope
    from linli.indicators import selectors

    calls = []

    def counted(codes):
        calls.append(1)
        return {"340223100001": 1}

    settings.LINLI_INDICATOR_CACHE_SECONDS = 60
    cache.clear()
    with measures.override(Measure("has_volunteer_station", "站点", "个", counted)):
        selectors.measure_values(["has_volunteer_station"])
        selectors.measure_values(["has_volunteer_station"])
        assert len(calls) == 1
        # a town's and the county's evaluations share the values; the tree scopes them
        town = selectors.evaluation_live(Scope(prefixes=("340223100",)))
        assert "340223106201" not in town.tree
    assert len(calls) == 1
    settings.LINLI_INDICATOR_CACHE_SECONDS = 0
    with measures.override(Measure("has_volunteer_station", "站点", "个", counted)):
        selectors.measure_values(["has_volunteer_station"])
    assert len(calls) == 2
    cache.clear()


def test_measures_of_one_evaluation_can_share_a_query():
    runs = []

    def shared():
        runs.append(1)
        return {"340223100001": (3, 4)}

    def trained(codes):
        return {k: v[0] for k, v in measures.memo("training", shared).items()}

    def total(codes):
        return {k: v[1] for k, v in measures.memo("training", shared).items()}

    with measures.override(
        Measure("trained", "已训", "人", trained), Measure("total", "总", "人", total)
    ):
        values, _ = measures.compute_all(["trained", "total"])
        assert values == {"trained": {"340223100001": 3.0}, "total": {"340223100001": 4.0}}
        assert len(runs) == 1  # one query for both
        trained(None)
        assert len(runs) == 2  # outside an evaluation nothing is kept


def test_measure_values_become_floats_by_code_none_as_zero():
    with measures.override(
        measures.constant("plain", {"340223100001": 2, "340223100002": Decimal("1.5")}),
        Measure("gaps", "缺", "个", lambda codes: {"340223100001": None, 340223100002: 3}),
    ):
        values, errors = measures.compute_all(["plain", "gaps"])
    assert errors == {}
    assert values == {
        "plain": {"340223100001": 2.0, "340223100002": 1.5},
        "gaps": {"340223100001": 0.0, "340223100002": 3.0},
    }


def test_a_database_number_reads_as_the_orm_reads_it():
    # PostgreSQL answers a Decimal; SQLite an int or a float, which the ORM makes a Decimal
    # of 15 digits: a float sum of tenths a hair short of 3 reads 3.
    assert measures.as_decimal(Decimal("2.5")) == Decimal("2.5")
    assert measures.as_decimal(4) == Decimal(4)
    assert 0.6 + 0.7 + 0.8 + 0.9 < 3
    assert measures.as_decimal(0.6 + 0.7 + 0.8 + 0.9) == Decimal(3)


@pytest.mark.django_db
def test_raw_rows_are_the_querysets_rows(small_county):
    rows = Region.objects.order_by("code").values_list("code", "level", "population")
    assert measures.raw_rows(rows) == list(rows)
    assert measures.region_codes_at("town") == list(
        Region.objects.filter(level="town").order_by("code").values_list("code", flat=True)
    )
