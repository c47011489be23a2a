from __future__ import annotations

import copy
from datetime import date

import pytest

from linli.core.errors import Forbidden, ValidationFailed
from linli.core.scoping import Scope
from linli.indicators import plans, selectors, services
from linli.indicators.models import Indicator, IndicatorValue, Target
from linli.indicators.tasks import indicator_snapshot_month
from linli.indicators.tests.conftest import A1, COUNTY, TOWN_A

pytestmark = pytest.mark.django_db


def test_only_county_admins_change_the_plan(plan, county_admin, town_staff_a, leader):
    indicator = Indicator.objects.get(code="VOL_STATION")
    for user in (town_staff_a, leader):
        with pytest.raises(Forbidden):
            services.indicator_save(actor=user, indicator=indicator, data={"name": "改"})
    saved = services.indicator_save(actor=county_admin, indicator=indicator, data={"name": "改名"})
    assert saved.name == "改名"
    assert Indicator.objects.get(code="VOL_STATION").name == "改名"


def test_a_ratio_without_denominator_is_refused_and_nothing_changes(plan, county_admin):
    indicator = Indicator.objects.get(code="FAC_AREA_URBAN")
    with pytest.raises(ValidationFailed):
        services.indicator_save(actor=county_admin, indicator=indicator, data={"denominator": ""})
    assert Indicator.objects.get(code="FAC_AREA_URBAN").denominator == "households"


def test_targets_are_edited_and_one_deadline_holds_one_target(plan, county_admin):
    indicator = Indicator.objects.get(code="VOL_STATION")
    target = services.target_save(
        actor=county_admin,
        indicator=indicator,
        target=None,
        data={"operator": ">=", "value": 60, "deadline": date(2024, 12, 31)},
    )
    assert indicator.targets.count() == 2
    with pytest.raises(ValidationFailed):
        services.target_save(
            actor=county_admin,
            indicator=indicator,
            target=None,
            data={"operator": ">=", "value": 70, "deadline": date(2024, 12, 31)},
        )
    # the target in force follows the deadlines: 60 % in 2024, 80 % in 2025 and after
    targets = list(indicator.targets.all())
    assert selectors.target_in_force(targets, date(2024, 6, 30)).value == 60
    assert selectors.target_in_force(targets, date(2025, 6, 30)).value == 80
    assert selectors.target_in_force(targets, date(2027, 1, 31)).value == 80
    services.target_delete(actor=county_admin, target=target)
    assert indicator.targets.count() == 1


def test_a_second_county_loads_its_own_plan(plan, county_admin):
    data = {
        "plan": {"name": "另一县规划"},
        "indicators": [
            {
                "code": "VOL_STATION",
                "name": "志愿服务站点覆盖率（本县）",
                "kind": "coverage",
                "numerator": "has_volunteer_station",
                "targets": [{"operator": ">=", "value": 90, "deadline": "2026-12-31"}],
            },
            {
                "code": "NEW_ONE",
                "name": "新指标",
                "kind": "sum",
                "numerator": "communities",
                "judged_at": "county",
            },
        ],
    }
    created, updated, deactivated = services.plan_load(
        actor=county_admin, data=data, deactivate_missing=True
    )
    assert (created, updated) == (1, 1)
    assert deactivated == len(plans.builtin_plan()["indicators"]) - 1
    assert Target.objects.get(indicator__code="VOL_STATION").value == 90
    assert set(selectors.indicator_list().values_list("code", flat=True)) == {
        "VOL_STATION",
        "NEW_ONE",
    }


def test_a_bad_plan_loads_nothing_and_lists_every_error(plan, county_admin):
    data = copy.deepcopy(plans.builtin_plan())
    data["indicators"][0]["kind"] = "average"
    data["indicators"][1]["targets"][0]["deadline"] = "明年"
    data["indicators"][2]["code"] = "bad code"
    before = list(Indicator.objects.values_list("code", "name", "kind"))
    with pytest.raises(ValidationFailed) as caught:
        services.plan_load(actor=county_admin, data=data)
    assert len(caught.value.detail) == 3
    assert "计算方式" in caught.value.detail[0]
    assert list(Indicator.objects.values_list("code", "name", "kind")) == before


def test_the_exported_plan_loads_back_unchanged(plan):
    exported = plans.plan_export(list(selectors.indicator_list(active_only=False)))
    assert plans.plan_errors(exported) == []
    first = exported["indicators"][0]
    assert first["code"] == "FAC_AREA_URBAN" and first["factor"] == 100
    assert first["targets"][0]["value"] == 30


def test_the_snapshot_task_stores_the_live_values(evaluate):
    # given live values for one indicator
    live = evaluate({"has_volunteer_station": {A1: 1}})
    # when the worker takes the snapshot of a month (the test backend runs it at once)
    result = indicator_snapshot_month.enqueue("2025-06")
    # then the month's rows read back as the same values, scoped like the live ones
    assert result.return_value > 0
    stored = selectors.evaluation_stored(Scope(is_global=True), date(2025, 6, 1))
    for region in (COUNTY, TOWN_A, A1):
        assert stored.evaluation.get("VOL_STATION", region).value == pytest.approx(
            live.evaluation.get("VOL_STATION", region).value
        )
    assert stored.evaluation.get("VOL_STATION", COUNTY).units_total == 6
    assert stored.evaluation.get("ELDER_VISIT", COUNTY).status == "missing"
    # and taking it again replaces the month instead of adding to it
    count = IndicatorValue.objects.filter(period=date(2025, 6, 1)).count()
    indicator_snapshot_month.enqueue("2025-06")
    assert IndicatorValue.objects.filter(period=date(2025, 6, 1)).count() == count


def test_a_bad_period_is_a_clear_error():
    with pytest.raises(ValidationFailed) as caught:
        selectors.period_parse("2025-13")
    assert "YYYY-MM" in caught.value.message
