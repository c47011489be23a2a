from __future__ import annotations

from linli.indicators import engine, measures, presenters
from linli.indicators.models import Indicator


def test_a_presence_reads_as_yes_or_no_and_a_count_as_a_number():
    station = Indicator(code="S", name="站", kind="coverage", numerator="has_x", unit="%")
    orgs = Indicator(
        code="O", name="组织", kind="coverage", numerator="n", unit="%", unit_threshold=12
    )
    absent = engine.Value(
        "S",
        "c",
        "community",
        engine.UNMET,
        value=0,
        is_unit=True,
        target_operator=">=",
        target_value=1,
    )
    eight = engine.Value(
        "O",
        "c",
        "community",
        engine.UNMET,
        value=8,
        is_unit=True,
        target_operator=">=",
        target_value=12,
    )
    with measures.override(
        measures.constant("has_x", {}, name="有站点", unit="是/否"),
        measures.constant("n", {}, name="组织数", unit="个"),
    ):
        assert presenters.value_text(station, absent) == "无"
        assert presenters.value_target_text(station, absent) == "有"
        assert presenters.why_text(station, absent) == "有站点：无"
        assert presenters.value_text(orgs, eight) == "8 个"
        assert presenters.value_target_text(orgs, eight) == "≥ 12 个"
        assert presenters.gap_text(orgs, eight) == "差 4 个"


def test_a_sparkline_spans_its_box_and_needs_two_points():
    assert presenters.sparkline_points([5.0]) == ""
    points = presenters.sparkline_points([1.0, None, 3.0])
    assert points == "0.0,22.0 100.0,2.0"
