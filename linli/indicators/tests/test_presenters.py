from __future__ import annotations

from linli.core.scoping import Scope
from linli.indicators import engine, measures, presenters, selectors
from linli.indicators.models import Indicator
from linli.indicators.tests.conftest import A2, COUNTY, TOWN_A
from linli.regions import indicators as region_measures


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


def test_a_fact_counted_above_a_region_is_not_shown_as_its_own_zero(small_county, plan):
    # given the county's brand organisations (counted for the county) and town A's social
    # work station (counted for the town)
    with measures.override(
        *region_measures.MEASURES,
        measures.Measure("brand_orgs_all", "全县品牌组织", "个", lambda _: {COUNTY: 7}, "county"),
        measures.Measure(
            "town_social_work_station", "镇有社工站", "是/否", lambda _: {TOWN_A: 1}, "town"
        ),
    ):
        dashboard = selectors.evaluation_live(Scope(is_global=True))
        brand, station = dashboard.by_code["ORG_BRAND"], dashboard.by_code["SW_STATION"]
        # when a community's and a town's rows are read
        at_community = presenters.row_for(dashboard, brand, A2)
        at_town = presenters.row_for(dashboard, brand, TOWN_A)
        station_at_community = presenters.row_for(dashboard, station, A2)
        payload = presenters.value_payload(
            brand, dashboard.evaluation.get("ORG_BRAND", A2), dashboard.tree.nodes[A2]
        )
        # then neither reads 0: the figure is where it is counted
        assert (at_community.value_text, at_community.why) == ("—", "按全县统计，南陵县：7 个")
        assert at_town.value_text == "—"
        assert presenters.row_for(dashboard, brand, COUNTY).value_text == "7 个"
        assert station_at_community.why == "按镇（街道）统计，籍山镇：有"
        assert (payload["value"], payload["value_text"], payload["gap"]) == (None, "—", None)
        # and the values themselves are the engine's (仅统计 below the county)
        assert at_community.value.status == engine.INFO


def test_a_value_that_does_not_apply_has_no_target_rather_than_a_tracked_one():
    rural = Indicator(code="R", name="村", kind="coverage", numerator="n", unit="%")
    here = engine.Value("R", "c", "community", engine.NA)
    assert presenters.value_target_text(rural, here) == "—"


def test_a_figure_without_data_says_in_words_what_it_waits_for_never_a_measure_code():
    visits = Indicator(
        code="V",
        name="特殊困难老年人周探访率",
        kind="ratio",
        numerator="elderly_special_visited_week",
        denominator="elderly_special_total",
        description="本周得到探访的特殊困难老年人 ÷ 此类老年人总数。",
    )
    missing = engine.Value("V", "c", "community", engine.MISSING)
    broken = engine.Value("V", "c", "community", engine.ERROR)

    assert presenters.why_text(visits, missing) == (
        "数据未接入：本周得到探访的特殊困难老年人 ÷ 此类老年人总数。"
    )
    assert "数据暂时无法计算" in presenters.why_text(visits, broken)
    for text in (presenters.why_text(visits, missing), presenters.why_text(visits, broken)):
        assert "elderly" not in text and "_" not in text


def test_a_ratio_counted_over_urban_communities_only_says_so():
    circle = Indicator(
        code="L",
        name="15分钟生活圈",
        kind="ratio",
        numerator="within",
        denominator="people",
        factor=100,
        applies_to="urban",
    )
    value = engine.Value("L", "c", "county", engine.TRACKED, value=88.8, numerator=1, denominator=2)
    with measures.override(
        measures.constant("within", {}, name="15分钟内可达人口", unit="人"),
        measures.constant("people", {}, name="常住人口", unit="人"),
    ):
        assert presenters.why_text(circle, value).endswith("× 100（只计城市社区）")
        circle.applies_to = "all"
        assert "只计" not in presenters.why_text(circle, value)
