"""Every indicator of the preloaded plan, on the small hand-built county of conftest.py.

Households / residents per community (fixture): A1 1000 / 3000 (urban), A2 2000 / 5000
(urban), A3 500 / 1500 (rural) in town A; B1 400 / 1200 (rural), B2 300 / 900 (rural),
B3 800 / 2000 (urban) in town B. Each test chooses the other measures' values and computes
the expected figures by hand, in the test.
"""

from __future__ import annotations

import sys

import pytest

from linli.indicators import engine, plans
from linli.indicators.tests.conftest import A1, A2, A3, B1, B2, B3, COUNTY, TOWN_A, TOWN_B

pytestmark = pytest.mark.django_db

ALL = (A1, A2, A3, B1, B2, B3)


def _v(dashboard, indicator, region) -> engine.Value:
    return dashboard.evaluation.get(indicator, region)


def _flags(*codes: str) -> dict[str, float]:
    return {c: (1.0 if c in codes else 0.0) for c in ALL}


def test_every_preloaded_indicator_has_a_test_here():
    codes = {i["code"] for i in plans.builtin_plan()["indicators"]}
    tested = {name.removeprefix("test_").upper() for name in dir(sys.modules[__name__])}
    assert codes - tested == set()


def test_fac_area_urban(evaluate):
    d = evaluate({"facility_area_service": {A1: 400, A2: 500, A3: 350, B1: 280, B3: 200}})
    assert _v(d, "FAC_AREA_URBAN", A1).value == pytest.approx(400 / 1000 * 100)  # 40
    assert _v(d, "FAC_AREA_URBAN", A2).status == engine.UNMET  # 500 / 2000 × 100 = 25
    assert _v(d, "FAC_AREA_URBAN", TOWN_A).value == pytest.approx((400 + 500) / 3000 * 100)
    assert _v(d, "FAC_AREA_URBAN", TOWN_A).status == engine.MET  # exactly 30
    county = _v(d, "FAC_AREA_URBAN", COUNTY)
    # Σ area / Σ households over urban communities: 1100 / 3800 × 100 = 28.9 (the mean of
    # the three community ratios, (40 + 25 + 25) / 3 = 30, would wrongly pass)
    assert (county.numerator, county.denominator) == (1100, 3800)
    assert county.value == pytest.approx(1100 / 3800 * 100)
    assert county.status == engine.UNMET
    assert _v(d, "FAC_AREA_URBAN", A3).status == engine.NA


def test_fac_area_rural(evaluate):
    d = evaluate({"facility_area_service": {A1: 400, A3: 350, B1: 280, B2: 300}})
    assert _v(d, "FAC_AREA_RURAL", COUNTY).value == pytest.approx((350 + 280 + 300) / 3)  # 310
    assert _v(d, "FAC_AREA_RURAL", COUNTY).status == engine.MET
    assert _v(d, "FAC_AREA_RURAL", TOWN_B).value == pytest.approx((280 + 300) / 2)  # 290
    assert _v(d, "FAC_AREA_RURAL", TOWN_B).status == engine.UNMET
    assert _v(d, "FAC_AREA_RURAL", B1).gap == pytest.approx(20)


def test_fac_center(evaluate):
    d = evaluate({"has_service_center": _flags(A1, A2, A3, B1, B3)})
    assert _v(d, "FAC_CENTER", COUNTY).value == pytest.approx(5 / 6 * 100)
    assert _v(d, "FAC_CENTER", COUNTY).status == engine.UNMET
    assert _v(d, "FAC_CENTER", TOWN_A).status == engine.MET  # 3 / 3
    assert _v(d, "FAC_CENTER", TOWN_B).value == pytest.approx(2 / 3 * 100)
    assert _v(d, "FAC_CENTER", B2).status == engine.UNMET


def test_elder_station(evaluate):
    d = evaluate({"has_elderly_station": _flags(*ALL)})
    assert _v(d, "ELDER_STATION", COUNTY).value == pytest.approx(100)
    assert _v(d, "ELDER_STATION", COUNTY).status == engine.MET
    assert (
        _v(d, "ELDER_STATION", COUNTY).units_met,
        _v(d, "ELDER_STATION", COUNTY).units_total,
    ) == (6, 6)


ORGS = {A1: 12, A2: 15, B3: 11, A3: 6, B1: 5, B2: 9}


def test_org_urban(evaluate):
    d = evaluate({"regular_social_orgs": ORGS})
    # urban communities A1 (12 ≥ 12), A2 (15), B3 (11 < 12): 2 of 3
    assert _v(d, "ORG_URBAN", COUNTY).value == pytest.approx(2 / 3 * 100)
    assert _v(d, "ORG_URBAN", TOWN_A).status == engine.MET
    assert _v(d, "ORG_URBAN", B3).status == engine.UNMET
    assert _v(d, "ORG_URBAN", B3).gap == pytest.approx(1)


def test_org_rural(evaluate):
    d = evaluate({"regular_social_orgs": ORGS})
    # rural communities A3 (6 ≥ 6), B1 (5 < 6), B2 (9): 2 of 3; town B 1 of 2
    assert _v(d, "ORG_RURAL", COUNTY).value == pytest.approx(2 / 3 * 100)
    assert _v(d, "ORG_RURAL", TOWN_B).value == pytest.approx(50)
    assert _v(d, "ORG_RURAL", B1).status == engine.UNMET


def test_org_brand(evaluate):
    d = evaluate({"brand_orgs_all": {COUNTY: 4}})
    assert _v(d, "ORG_BRAND", COUNTY).value == 4
    assert _v(d, "ORG_BRAND", COUNTY).status == engine.UNMET
    assert _v(d, "ORG_BRAND", COUNTY).gap == 1  # 5 − 4
    d = evaluate({"brand_orgs_all": {COUNTY: 5}})
    assert _v(d, "ORG_BRAND", COUNTY).status == engine.MET


def test_vol_station(evaluate):
    d = evaluate({"has_volunteer_station": _flags(A1, A2, A3, B1, B2)})
    assert _v(d, "VOL_STATION", COUNTY).value == pytest.approx(5 / 6 * 100)  # 83.3 ≥ 80
    assert _v(d, "VOL_STATION", COUNTY).status == engine.MET
    assert _v(d, "VOL_STATION", TOWN_B).status == engine.UNMET  # 2 / 3 = 66.7


def test_sw_station(evaluate):
    # the facility registry answers per town (a station at the town or in any community)
    d = evaluate({"town_social_work_station": {TOWN_A: 1, TOWN_B: 0}})
    assert _v(d, "SW_STATION", TOWN_A).status == engine.MET
    assert _v(d, "SW_STATION", TOWN_B).status == engine.UNMET
    assert _v(d, "SW_STATION", COUNTY).value == pytest.approx(50)  # 1 of 2 towns
    assert _v(d, "SW_STATION", A2).status == engine.INFO  # judged at the town


def test_worker_density(evaluate):
    d = evaluate({"workers_total": {A1: 6, A2: 8, B3: 3, A3: 4}})
    # urban only: (6 + 8 + 3) / (3000 + 5000 + 2000) × 10000 = 17 < 18
    assert _v(d, "WORKER_DENSITY", COUNTY).value == pytest.approx(17 / 10000 * 10000)
    assert _v(d, "WORKER_DENSITY", COUNTY).status == engine.UNMET
    assert _v(d, "WORKER_DENSITY", TOWN_A).value == pytest.approx(14 / 8000 * 10000)  # 17.5
    assert _v(d, "WORKER_DENSITY", A1).value == pytest.approx(6 / 3000 * 10000)  # 20
    assert _v(d, "WORKER_DENSITY", A1).status == engine.MET


def test_sw_cert(evaluate):
    d = evaluate({"certified_social_workers": {A1: 3, A2: 2, B3: 4, A3: 5}})
    assert _v(d, "SW_CERT", COUNTY).value == pytest.approx(2 / 3 * 100)  # A1, B3 of 3 urban
    assert _v(d, "SW_CERT", A2).status == engine.UNMET
    assert _v(d, "SW_CERT", A3).status == engine.NA


def test_train_leader(evaluate):
    d = evaluate(
        {
            "leaders_trained_3days_this_year": {A1: 2, A2: 1, A3: 1, B1: 2, B2: 1, B3: 2},
            "leaders_total": {A1: 2, A2: 2, A3: 1, B1: 2, B2: 2, B3: 2},
        }
    )
    assert _v(d, "TRAIN_LEADER", COUNTY).value == pytest.approx(9 / 11 * 100)
    assert _v(d, "TRAIN_LEADER", TOWN_A).value == pytest.approx(4 / 5 * 100)
    assert _v(d, "TRAIN_LEADER", A3).status == engine.MET


def test_train_other(evaluate):
    d = evaluate(
        {
            "others_trained_2y": {A1: 10, A2: 8, B1: 3},
            "others_total": {A1: 10, A2: 10, A3: 2, B1: 3},
        }
    )
    assert _v(d, "TRAIN_OTHER", COUNTY).value == pytest.approx(21 / 25 * 100)
    assert _v(d, "TRAIN_OTHER", TOWN_B).value == pytest.approx(100)
    assert _v(d, "TRAIN_OTHER", B2).status == engine.EMPTY  # no other workers: 0 / 0


def test_elder_visit(evaluate):
    # no module provides the care measures yet: shown as 数据未接入, never as 0
    d = evaluate({})
    assert _v(d, "ELDER_VISIT", COUNTY).status == engine.MISSING
    assert _v(d, "ELDER_VISIT", COUNTY).value is None
    d = evaluate(
        {
            "elderly_special_visited_week": {A1: 9, B1: 5},
            "elderly_special_total": {A1: 10, B1: 5},
        }
    )
    assert _v(d, "ELDER_VISIT", COUNTY).value == pytest.approx(14 / 15 * 100)


def test_minor_station(evaluate):
    # the station is recorded at town B itself
    d = evaluate({"town_minor_protection_station": {TOWN_B: 1}})
    assert _v(d, "MINOR_STATION", COUNTY).value == pytest.approx(50)  # 1 of 2 towns ≥ 50 %
    assert _v(d, "MINOR_STATION", COUNTY).status == engine.MET
    assert _v(d, "MINOR_STATION", TOWN_A).status == engine.UNMET


def test_child_director(evaluate):
    d = evaluate({"has_child_director": _flags(A1, A2, B1, B2, B3)})
    assert _v(d, "CHILD_DIRECTOR", COUNTY).value == pytest.approx(5 / 6 * 100)
    assert [v.region for v in d.evaluation.short_units("CHILD_DIRECTOR", COUNTY)] == [A3]


def test_legal_advisor(evaluate):
    d = evaluate({"has_legal_advisor": _flags(*ALL)})
    assert _v(d, "LEGAL_ADVISOR", COUNTY).status == engine.MET
    assert _v(d, "LEGAL_ADVISOR", TOWN_B).value == pytest.approx(100)


def test_disaster_info(evaluate):
    d = evaluate({"disaster_officers": {A1: 2, A2: 1, A3: 0, B1: 1, B2: 3, B3: 1}})
    assert _v(d, "DISASTER_INFO", COUNTY).value == pytest.approx(5 / 6 * 100)
    assert _v(d, "DISASTER_INFO", A3).gap == 1
    assert _v(d, "DISASTER_INFO", B2).value == 3  # the unit's own count, judged ≥ 1


def test_shelter_rural(evaluate):
    d = evaluate({"has_shelter": _flags(A1, A3, B1)})
    # rural A3, B1 have one, B2 not: 2 / 3 = 66.7 % < 95 %; urban A1 does not count
    assert _v(d, "SHELTER_RURAL", COUNTY).value == pytest.approx(2 / 3 * 100)
    assert _v(d, "SHELTER_RURAL", COUNTY).units_total == 3
    assert _v(d, "SHELTER_RURAL", COUNTY).status == engine.UNMET


def test_fire_station(evaluate):
    d = evaluate({"has_micro_fire_station": _flags(A1, B1)})
    assert _v(d, "FIRE_STATION", COUNTY).value == pytest.approx(2 / 6 * 100)
    assert _v(d, "FIRE_STATION", COUNTY).status == engine.TRACKED  # no numeric target


def test_clinic(evaluate):
    d = evaluate({"has_clinic": _flags(*ALL)})
    assert _v(d, "CLINIC", COUNTY).value == pytest.approx(100)
    assert _v(d, "CLINIC", COUNTY).status == engine.MET


def test_police(evaluate):
    d = evaluate({"police_coverage": _flags(A1, A2, B3)})
    assert _v(d, "POLICE", COUNTY).value == pytest.approx(50)
    assert _v(d, "POLICE", TOWN_A).value == pytest.approx(2 / 3 * 100)


def test_one_shoulder(evaluate):
    d = evaluate({"one_shoulder": _flags(A1, A2, B1, B2)})
    assert _v(d, "ONE_SHOULDER", COUNTY).value == pytest.approx(4 / 6 * 100)
    assert _v(d, "ONE_SHOULDER", COUNTY).status == engine.TRACKED


def test_life_circle_15(evaluate):
    d = evaluate({"pop_within_15min": {A1: 3000, A2: 4000, B3: 1000, A3: 1500}})
    # urban residents only: 8000 / 10000
    assert _v(d, "LIFE_CIRCLE_15", COUNTY).value == pytest.approx(80)
    assert _v(d, "LIFE_CIRCLE_15", COUNTY).status == engine.TRACKED


def test_life_circle_5(evaluate):
    d = evaluate({"pop_within_5min": {A1: 1500, A2: 2500, B3: 1000}})
    assert _v(d, "LIFE_CIRCLE_5", COUNTY).value == pytest.approx(5000 / 10000 * 100)
    assert _v(d, "LIFE_CIRCLE_5", TOWN_B).value == pytest.approx(1000 / 2000 * 100)


def test_fitness_circle_15(evaluate):
    d = evaluate({"pop_within_fitness_15min": {A1: 900, A2: 1100, B3: 2000}})
    # urban communities only (B3 is urban: 2000 of its 2000): (900 + 1100 + 2000) / 10000
    assert _v(d, "FITNESS_CIRCLE_15", COUNTY).value == pytest.approx(40)
    assert _v(d, "FITNESS_CIRCLE_15", COUNTY).status == engine.TRACKED


CASES = {
    "cases_dispatched": {A1: 10, B1: 20},
    "cases_responded": {A1: 9, B1: 19},
    "cases_resolved": {A1: 4, B1: 6},
    "cases_rated": {A1: 5, B1: 10},
    "cases_satisfied": {A1: 5, B1: 8},
}


def test_case_response(evaluate):
    d = evaluate(CASES)
    assert _v(d, "CASE_RESPONSE", COUNTY).value == pytest.approx(28 / 30 * 100)


def test_case_resolve(evaluate):
    d = evaluate(CASES)
    assert _v(d, "CASE_RESOLVE", COUNTY).value == pytest.approx((4 + 6) / (5 + 10) * 100)
    assert _v(d, "CASE_RESOLVE", A2).status == engine.EMPTY  # no cases: 0 / 0


def test_case_satisfaction(evaluate):
    d = evaluate(CASES)
    assert _v(d, "CASE_SATISFACTION", COUNTY).value == pytest.approx(13 / 15 * 100)
    assert _v(d, "CASE_SATISFACTION", TOWN_B).value == pytest.approx(80)


def test_smart_demo(evaluate):
    d = evaluate({"smart_demo_sites": {A1: 1}})
    # the 2023 target (≥ 1) stays in force after its deadline
    assert _v(d, "SMART_DEMO", COUNTY).value == 1
    assert _v(d, "SMART_DEMO", COUNTY).status == engine.MET
    assert _v(d, "SMART_DEMO", COUNTY).target_value == 1
