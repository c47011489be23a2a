"""The aggregation rules, on a tree built in the test (pure Python, no database)."""

from __future__ import annotations

import pytest

from linli.indicators import engine

COUNTY, TA, TB = "340223000000", "340223100000", "340223106000"
A1, A2, A3, B1 = "340223100001", "340223100002", "340223100201", "340223106201"


def _tree() -> engine.Tree:
    return engine.Tree(
        [
            engine.Node(COUNTY, "县", "county", None),
            engine.Node(TA, "甲镇", "town", COUNTY),
            engine.Node(TB, "乙镇", "town", COUNTY),
            engine.Node(A1, "甲一社区", "community", TA, "111"),
            engine.Node(A2, "甲二社区", "community", TA, "112"),
            engine.Node(A3, "甲村", "community", TA, "220"),
            engine.Node(B1, "乙村", "community", TB, "220"),
        ]
    )


def test_a_ratio_aggregates_as_sum_over_sum_never_the_mean_of_ratios():
    # given two urban communities: 100 m² for 100 households, 900 m² for 2,000 households
    spec = engine.Spec(
        "AREA",
        "面积",
        "ratio",
        "area",
        "households",
        factor=100,
        applies_to="urban",
        target=engine.TargetSpec(">=", 30),
    )
    values = {
        "area": {A1: 100, A2: 900, A3: 5000},
        "households": {A1: 100, A2: 2000, A3: 50},
    }
    # when evaluated
    result = engine.evaluate([spec], _tree(), values)
    # then the town is (100 + 900) / (100 + 2000) × 100 = 47.6 — not mean(100, 45) = 72.5 —
    # and the rural village counts neither above nor below the line
    town = result.get("AREA", TA)
    assert (town.numerator, town.denominator) == (1000, 2100)
    assert town.value == pytest.approx(1000 / 2100 * 100)
    assert result.get("AREA", COUNTY).value == pytest.approx(1000 / 2100 * 100)
    assert result.get("AREA", A1).value == pytest.approx(100)
    assert result.get("AREA", A2).value == pytest.approx(45)
    assert result.get("AREA", A2).status == engine.MET
    assert result.get("AREA", A3).status == engine.NA
    assert result.get("AREA", TB).status == engine.NA  # town B has no urban community


def test_a_per_community_threshold_is_judged_per_community_then_counted():
    # given organisations per community: 12, 11 (urban) and 20 (rural, not counted)
    spec = engine.Spec(
        "ORG",
        "组织",
        "coverage",
        "orgs",
        applies_to="urban",
        unit_operator=">=",
        unit_threshold=12,
        target=engine.TargetSpec(">=", 100),
    )
    result = engine.evaluate([spec], _tree(), {"orgs": {A1: 12, A2: 11, A3: 20}})
    # then each urban community is judged against ≥ 12 …
    assert result.get("ORG", A1).status == engine.MET
    assert result.get("ORG", A2).status == engine.UNMET
    assert result.get("ORG", A2).gap == pytest.approx(1)
    assert result.get("ORG", A2).target_value == 12
    # … and the town's value is the share of urban communities that meet it: 1 / 2 = 50 %
    town = result.get("ORG", TA)
    assert (town.units_met, town.units_total) == (1, 2)
    assert town.value == pytest.approx(50)
    assert town.status == engine.UNMET
    assert town.gap == pytest.approx(50)
    assert result.get("ORG", COUNTY).value == pytest.approx(50)
    # and the failing unit is listed where the county falls short
    assert [v.region for v in result.short_units("ORG", COUNTY)] == [A2]


def test_a_town_level_coverage_counts_stations_in_the_town_or_any_of_its_communities():
    # given a station in community A3 (town A); town B's station is recorded at the town itself
    spec = engine.Spec(
        "SW",
        "社工站",
        "coverage",
        "station",
        judged_at="town",
        target=engine.TargetSpec(">=", 100),
    )
    both = engine.evaluate([spec], _tree(), {"station": {A3: 1, TB: 1}})
    only_a = engine.evaluate([spec], _tree(), {"station": {A3: 1}})
    # then both towns have one, and the county has 2 / 2 towns
    assert both.get("SW", TA).status == engine.MET
    assert both.get("SW", TB).status == engine.MET
    assert both.get("SW", COUNTY).value == pytest.approx(100)
    # and without town B's, 1 / 2 towns = 50 %; communities are not judged on their own
    assert only_a.get("SW", TB).status == engine.UNMET
    assert only_a.get("SW", COUNTY).value == pytest.approx(50)
    assert only_a.get("SW", A3).status == engine.INFO
    assert only_a.get("SW", A3).value == 1


def test_a_sum_is_judged_only_at_its_level():
    spec = engine.Spec(
        "BRAND", "品牌", "sum", "brand", judged_at="county", target=engine.TargetSpec(">=", 5)
    )
    result = engine.evaluate([spec], _tree(), {"brand": {A1: 2, B1: 2, COUNTY: 1}})
    # then the county counts its own (a county-wide organisation) and every community's: 5
    assert result.get("BRAND", COUNTY).value == 5
    assert result.get("BRAND", COUNTY).status == engine.MET
    assert result.get("BRAND", TA).value == 2
    assert result.get("BRAND", TA).status == engine.INFO


def test_grid_keys_count_for_their_community_and_unknown_keys_are_ignored():
    spec = engine.Spec("N", "数", "sum", "n", judged_at="community")
    values = {"n": {A1 + "001": 2, A1 + "002": 3, "999999999999": 50}}
    result = engine.evaluate([spec], _tree(), values)
    assert result.get("N", A1).value == 5
    assert result.get("N", COUNTY).value == 5


def test_a_measure_nobody_provides_shows_as_missing_and_a_failing_one_as_error():
    ratio = engine.Spec("R", "比", "ratio", "present", "absent", target=engine.TargetSpec(">=", 1))
    broken = engine.Spec("B", "坏", "sum", "broken")
    result = engine.evaluate([ratio, broken], _tree(), {"present": {A1: 1}}, {"broken": "boom"})
    assert {v.status for k, v in result.values.items() if k[0] == "R"} == {engine.MISSING}
    assert result.get("R", A1).value is None
    assert result.get("B", COUNTY).status == engine.ERROR


def test_a_zero_denominator_is_no_data_and_no_target_is_tracked():
    ratio = engine.Spec("R", "比", "ratio", "a", "b", target=engine.TargetSpec(">=", 1))
    tracked = engine.Spec("T", "跟踪", "ratio", "a", "b")
    result = engine.evaluate([ratio, tracked], _tree(), {"a": {A1: 1}, "b": {A2: 4}})
    assert result.get("R", A1).status == engine.EMPTY  # 1 / 0
    assert result.get("R", A2).status == engine.UNMET  # 0 / 4 = 0 < 1
    assert result.get("T", TA).status == engine.TRACKED
    assert result.get("T", TA).value == pytest.approx(0.25)


def test_units_of_a_coverage_the_plan_only_tracks_are_tracked_not_short():
    # given 一肩挑-like presence without a target: A1 has it, A2 has not
    spec = engine.Spec("ONE", "一肩挑", "coverage", "both")
    result = engine.evaluate([spec], _tree(), {"both": {A1: 1}})
    # then no community is 未达标 (nothing to reach), yet each shows its own value …
    assert result.get("ONE", A2).status == engine.TRACKED
    assert (result.get("ONE", A1).value, result.get("ONE", A2).value) == (1, 0)
    assert result.short_units("ONE", COUNTY) == []
    # … and the county still counts the communities that have it: 1 of 4
    assert result.get("ONE", COUNTY).status == engine.TRACKED
    assert result.get("ONE", COUNTY).value == pytest.approx(25)
    # with a target the same community falls short
    judged = engine.Spec("ONE", "一肩挑", "coverage", "both", target=engine.TargetSpec(">=", 100))
    assert engine.evaluate([judged], _tree(), {"both": {A1: 1}}).get("ONE", A2).status == (
        engine.UNMET
    )


def test_attainment_and_gap_for_at_most_targets():
    value = engine.Value(
        "X", A1, "community", engine.UNMET, value=8, target_operator="<=", target_value=4
    )
    assert value.gap == 4
    assert value.attainment == pytest.approx(0.5)
    assert not engine.judge(8, "<=", 4)
    assert engine.judge(4, "==", 4.0)
