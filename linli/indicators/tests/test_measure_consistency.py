"""The workforce measures tally plain reads in Python for speed (linli/workforce/indicators.py);
the workforce pages use the grouped selectors. Both must answer the same: checked here on a
registry drawn at random (fixed seed) with every rule's edge cases — posts not yet started or
ended, posts held for another body, leaders at a grid, expired or future certificates,
trainings on the window's edges, inactive workers."""

from __future__ import annotations

import random
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from linli.indicators import measures
from linli.workforce import indicators as workforce_measures
from linli.workforce import selectors
from linli.workforce.models import Position
from linli.workforce.tests.factories import (
    CertificateFactory,
    PositionFactory,
    TrainingFactory,
    WorkerFactory,
)

pytestmark = pytest.mark.django_db

K = Position.Kind


def _day(rng: random.Random, today: date) -> date | None:
    """A date around the rules' edges: today, yesterday, tomorrow, the year's start, two
    years back, or none."""
    choices = [
        None,
        today,
        today - timedelta(days=1),
        today + timedelta(days=1),
        date(today.year, 1, 1),
        date(today.year, 1, 1) - timedelta(days=1),
        today - timedelta(days=730),
        today - timedelta(days=731),
        today - timedelta(days=400),
    ]
    return rng.choice(choices)


@pytest.fixture
def random_registry(two_towns, community_a, community_b, grid_a, grid_b):
    rng = random.Random(20250101)
    today = timezone.localdate()
    regions = [community_a, community_b, grid_a, grid_b, two_towns["a"], two_towns["county"]]
    kinds = [k for k, _label in K.choices]
    # Fixed: 一肩挑 at a grid of B with exactly 3 days of rotation (1.5 + 1.5: trained).
    both = WorkerFactory(region=grid_b)
    for kind in (K.SECRETARY, K.DIRECTOR):
        PositionFactory(worker=both, region=grid_b, kind=kind, started_on=None)
    for _half in range(2):
        TrainingFactory(worker=both, days=Decimal("1.5"), is_rotation=True, started_on=today)
    leader_seats: set[tuple[int, str]] = {(grid_b.pk, K.SECRETARY), (grid_b.pk, K.DIRECTOR)}
    held_once: set[tuple[int, int, str]] = set()
    for _ in range(90):
        worker = WorkerFactory(region=rng.choice(regions), is_active=rng.random() > 0.15)
        for _post in range(rng.choice([0, 1, 1, 2, 3])):
            kind = rng.choice([*kinds, K.SECRETARY, K.DIRECTOR, K.AUXILIARY_POLICE])
            region = worker.region if rng.random() < 0.7 else rng.choice(regions)
            started = _day(rng, today)
            ended = _day(rng, today) if rng.random() < 0.3 else None
            if ended is not None and started is not None and ended < started:
                started, ended = ended, started
            if ended is None:
                # One open post per worker, region and kind; one open leader seat per region.
                if (worker.pk, region.pk, kind) in held_once:
                    continue
                if kind in (K.SECRETARY, K.DIRECTOR):
                    if (region.pk, kind) in leader_seats:
                        continue
                    leader_seats.add((region.pk, kind))
                held_once.add((worker.pk, region.pk, kind))
            PositionFactory(
                worker=worker, region=region, kind=kind, started_on=started, ended_on=ended
            )
        if rng.random() < 0.3:
            issued = _day(rng, today) or today
            expires = rng.choice([None, issued, today, today - timedelta(days=1), None])
            if expires is not None and expires < issued:
                expires = None
            CertificateFactory(worker=worker, issued_on=issued, expires_on=expires)
        for _training in range(rng.choice([0, 1, 2, 3])):
            TrainingFactory(
                worker=worker,
                started_on=_day(rng, today) or today,
                days=Decimal(rng.choice(["0.5", "1", "1.5", "2", "3"])),
                is_rotation=rng.random() < 0.6,
            )
    return [community_a.code, community_b.code]


def _measure(code: str, region_codes: list[str] | None) -> dict[str, float]:
    if region_codes is None:  # the whole tree, inside an evaluation's batch (shared reads)
        values, errors = measures.compute_all([code])
        assert errors == {}
        return _nonzero(values[code])
    found = next(m for m in workforce_measures.MEASURES if m.code == code)
    return _nonzero(found.compute(region_codes))


def _nonzero(values: dict[str, float]) -> dict[str, float]:
    return {k: float(v) for k, v in values.items() if v}


@pytest.mark.parametrize("subset", [False, True])
def test_workforce_measures_agree_with_the_workforce_selectors(random_registry, subset):
    codes = random_registry[1:] if subset else None
    holders = selectors.post_holders_by_community(
        (K.CHILD_DIRECTOR, K.LEGAL_ADVISOR, K.DISASTER_OFFICER), codes
    )
    leaders = selectors.leader_training_by_community(codes)
    others = selectors.others_training_by_community(codes)
    expected = {
        "workers_total": selectors.workers_by_community(codes),
        "certified_social_workers": selectors.certified_by_community(codes),
        "has_child_director": {c: 1 for c, k in holders.items() if k.get(K.CHILD_DIRECTOR)},
        "has_legal_advisor": {c: 1 for c, k in holders.items() if k.get(K.LEGAL_ADVISOR)},
        "disaster_officers": {c: k.get(K.DISASTER_OFFICER, 0) for c, k in holders.items()},
        "one_shoulder": dict.fromkeys(selectors.one_shoulder_communities(codes), 1),
        "leaders_total": {c: v.total for c, v in leaders.items()},
        "leaders_trained_3days_this_year": {c: v.trained for c, v in leaders.items()},
        "others_total": {c: v.total for c, v in others.items()},
        "others_trained_2y": {c: v.trained for c, v in others.items()},
    }
    found = {code: _measure(code, codes) for code in expected}
    assert found == {code: _nonzero(values) for code, values in expected.items()}
    # the fixture is not degenerate: every figure is non-zero somewhere
    assert all(found.values())


def test_police_coverage_agrees_with_the_selector(random_registry):
    held = selectors.post_holders_by_community((K.COMMUNITY_POLICE, K.AUXILIARY_POLICE))
    urban = {random_registry[0]: True, random_registry[1]: False}
    expected = {
        code: 1.0 if selectors.police_covered(urban[code], held.get(code, {})) else 0.0
        for code in random_registry
    }
    assert measures.compute_all(["police_coverage"])[0]["police_coverage"] == expected
