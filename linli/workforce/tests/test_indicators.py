"""The measures workforce gives the evaluation engine, on a hand-built fixture.

Community A (urban 111) and village B (rural 220); "today" is the real date, so dates are
built relative to it.
"""

from datetime import date, timedelta

import pytest
from django.utils import timezone

from linli.workforce import indicators, selectors
from linli.workforce.tests.factories import (
    CertificateFactory,
    PositionFactory,
    TrainingFactory,
    WorkerFactory,
)

pytestmark = pytest.mark.django_db


def _compute(code, region_codes=None):
    return next(m for m in indicators.MEASURES if m.code == code).compute(region_codes)


@pytest.fixture
def staff(community_a, community_b, grid_a):
    today = timezone.localdate()
    jan = date(today.year, 1, 1)
    # --- community A --------------------------------------------------------------------
    # 张: 书记 + 主任 (一肩挑), 2 + 1.5 days of rotation this year (≥ 3: trained)
    zhang = WorkerFactory(region=community_a, name="张")
    PositionFactory(worker=zhang, kind="secretary")
    PositionFactory(worker=zhang, kind="director")
    TrainingFactory(worker=zhang, days=2, is_rotation=True, started_on=jan)
    TrainingFactory(worker=zhang, days="1.5", is_rotation=True, started_on=today)
    # 李: full-time, 社会工作师 (valid), trained last year; also 儿童主任
    li = WorkerFactory(region=community_a, name="李")
    PositionFactory(worker=li, kind="full_time")
    PositionFactory(worker=li, kind="child_director")
    CertificateFactory(worker=li, kind="social_worker")
    TrainingFactory(worker=li, started_on=today - timedelta(days=400))
    # 王: grid worker at a grid, expired certificate, trained three years ago; 灾害信息员
    wang = WorkerFactory(region=grid_a, name="王")
    PositionFactory(worker=wang, kind="grid_worker", region=grid_a)
    PositionFactory(worker=wang, kind="disaster_officer", region=grid_a)
    CertificateFactory(worker=wang, expires_on=today - timedelta(days=1))
    TrainingFactory(worker=wang, started_on=today - timedelta(days=3 * 365))
    # 赵: social-work degree, no post at all, never trained
    zhao = WorkerFactory(region=community_a, name="赵")
    CertificateFactory(worker=zhao, kind="degree")
    # police: 1 民警 + 1 辅警 only (urban needs 2 辅警); the 民警 is not a community worker
    PositionFactory(worker__region=community_a, kind="community_police")
    PositionFactory(worker__region=community_a, kind="auxiliary_police")
    # a legal advisor whose post ended yesterday, and an inactive worker with a post
    PositionFactory(
        worker__region=community_a, kind="legal_advisor", ended_on=today - timedelta(days=1)
    )
    PositionFactory(worker__region=community_a, worker__is_active=False, kind="disaster_officer")
    # --- village B ----------------------------------------------------------------------
    # 孙: 书记 only, 2 days of rotation this year (not enough); 陈: 主任, untrained
    sun = WorkerFactory(region=community_b, name="孙")
    PositionFactory(worker=sun, kind="secretary")
    TrainingFactory(worker=sun, days=2, is_rotation=True, started_on=jan)
    TrainingFactory(worker=sun, days=5, is_rotation=False, started_on=jan)  # not rotation
    chen = WorkerFactory(region=community_b, name="陈")
    PositionFactory(worker=chen, kind="director")
    # a legal advisor (current) and one 辅警: 一村一辅警 met; 2 disaster officers
    PositionFactory(worker__region=community_b, kind="legal_advisor")
    PositionFactory(worker__region=community_b, kind="auxiliary_police")
    PositionFactory(worker__region=community_b, kind="disaster_officer")
    PositionFactory(worker__region=community_b, kind="disaster_officer")


@pytest.mark.parametrize(
    ("code", "a", "b"),
    [
        # A: 张, 李, 王, 赵 and the former legal advisor (no post held: counted); the 民警 and
        #    the 辅警 hold only posts for another body, and the inactive worker is out.
        # B: 孙, 陈 and the two disaster officers; not the legal advisor nor the 辅警.
        ("workers_total", 5.0, 4.0),
        ("certified_social_workers", 2.0, 0.0),
        ("has_child_director", 1.0, 0.0),
        ("has_legal_advisor", 0.0, 1.0),
        ("disaster_officers", 1.0, 2.0),
        ("one_shoulder", 1.0, 0.0),
        ("leaders_total", 1.0, 2.0),
        ("leaders_trained_3days_this_year", 1.0, 0.0),
        ("others_total", 4.0, 2.0),
        ("others_trained_2y", 1.0, 0.0),
        ("police_coverage", 0.0, 1.0),
    ],
)
def test_measures_on_the_fixture(staff, community_a, community_b, code, a, b):
    assert _compute(code) == {community_a.code: a, community_b.code: b}


def test_measures_for_given_communities_only(staff, community_b):
    assert _compute("workers_total", [community_b.code]) == {community_b.code: 4.0}
    assert _compute("police_coverage", [community_b.code]) == {community_b.code: 1.0}


def test_urban_police_coverage_needs_two_auxiliaries(staff, community_a):
    PositionFactory(worker__region=community_a, kind="auxiliary_police")
    assert _compute("police_coverage", [community_a.code]) == {community_a.code: 1.0}


@pytest.mark.parametrize(
    ("days", "trained"), [(("0.6", "0.7", "0.8", "0.9"), 1.0), (("0.6", "0.7", "0.8", "0.8"), 0.0)]
)
def test_rotation_days_summed_exactly(community_b, days, trained):
    # Tenths whose float sum (SQLite) falls a hair short: 0.6 + 0.7 + 0.8 + 0.9 is 3 days, as
    # the selector (and PostgreSQL's numeric) counts them.
    today = timezone.localdate()
    leader = WorkerFactory(region=community_b)
    PositionFactory(worker=leader, kind="secretary")
    for amount in days:
        TrainingFactory(worker=leader, days=amount, is_rotation=True, started_on=today)
    expected = selectors.leader_training_by_community([community_b.code])[community_b.code]
    assert expected.trained == trained
    assert _compute("leaders_trained_3days_this_year", [community_b.code]) == {
        community_b.code: trained
    }


def test_one_shoulder_selector(staff, community_a, community_b):
    assert selectors.one_shoulder(community_a).name == "张"
    assert selectors.one_shoulder(community_b) is None


def test_measure_codes():
    assert [m.code for m in indicators.MEASURES] == [
        "workers_total",
        "certified_social_workers",
        "has_child_director",
        "has_legal_advisor",
        "disaster_officers",
        "one_shoulder",
        "leaders_total",
        "leaders_trained_3days_this_year",
        "others_total",
        "others_trained_2y",
        "police_coverage",
    ]
