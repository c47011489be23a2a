"""Measures the workforce registry gives the evaluation engine (DESIGN.md §7, 专栏4, 专栏5).

Each `compute(region_codes)` answers {community code: value} for the given communities
(None: every community), zeros included. Counts use active (在岗) workers and posts held
today; a row at a grid counts for its community. Ratios come as numerator/denominator
pairs (`leaders_trained_3days_this_year` / `leaders_total`, `others_trained_2y` /
`others_total`) so that the engine can aggregate them as Σ/Σ. Definitions: ADR 0035 and
the docstring of `workforce.selectors`; all eleven measures are tallied from one set of
plain reads per evaluation (`_tallies`, shared with `measures.memo`).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from django.db.models import Q, Sum
from django.utils import timezone

from linli.indicators.measures import (
    Measure,
    batched,
    codes_key,
    memo,
    region_codes_at,
    region_facts,
    region_levels,
)
from linli.regions.models import Region
from linli.workforce import selectors
from linli.workforce.models import Certificate, Training, Worker
from linli.workforce.selectors import (
    COMMUNITY_LEVELS,
    EXTERNAL_KINDS,
    LEADER_KINDS,
    LEADER_ROTATION_DAYS,
    OTHERS_TRAINING_YEARS,
    K,
)

Values = dict[str, float]
POLICE_KINDS: tuple[str, ...] = (K.COMMUNITY_POLICE, K.AUXILIARY_POLICE)


@dataclass
class _Community:
    """One community's tallies, by the definitions of `workforce.selectors` (ADR 0035)."""

    workers: int = 0
    certified: int = 0
    others: int = 0
    others_trained: int = 0
    # post kind -> the workers holding one there; leader -> rotation days this year
    holders: dict[str, set[int]] = field(default_factory=lambda: defaultdict(set))
    leaders: dict[int, Decimal] = field(default_factory=dict)


def _tallies(region_codes: list[str] | None) -> dict[str, _Community]:
    """Every workforce figure of every community from four plain reads (active workers, posts
    held today, valid certificates, recent trainings), tallied here.

    Why not the per-community selectors (`workers_by_community`, `certified_by_community`,
    …): each is a GROUP BY with correlated EXISTS per worker, six of them per evaluation —
    60 % of an evaluation's time on SQLite for 2k workers. The rules are the selectors' own
    (their docstrings, ADR 0035); linli/indicators/tests/test_measure_consistency.py checks
    that both answer the same."""
    return memo(("workforce.tallies", codes_key(region_codes)), lambda: _load(region_codes))


def _load(region_codes: list[str] | None) -> dict[str, _Community]:
    today = timezone.localdate()
    wanted = set(region_codes) if region_codes is not None else None
    community_levels = frozenset(COMMUNITY_LEVELS)
    external = frozenset(EXTERNAL_KINDS)
    leader_kinds = frozenset(LEADER_KINDS)
    found: dict[str, _Community] = defaultdict(_Community)

    # Posts held today by active workers (the selectors' `held_positions`), in one pass: who
    # holds any post, a post not held for another body, a leader's post; and, per community,
    # the holders of each kind.
    holding: set[int] = set()
    own_post: set[int] = set()
    leaders: set[int] = set()
    leader_posts: list[tuple[str, int]] = []
    levels = region_levels()  # each row's level by its code, without a join per read
    posts = selectors.held_positions(today).order_by()
    for worker, kind, code in posts.values_list("worker_id", "kind", "region_code"):
        holding.add(worker)
        if kind not in external:
            own_post.add(worker)
        if kind in leader_kinds:
            leaders.add(worker)
        if levels.get(code) in community_levels and (wanted is None or code[:12] in wanted):
            found[code[:12]].holders[kind].add(worker)
            if kind in leader_kinds:
                leader_posts.append((code[:12], worker))
    # A 城乡社区工作者 unless every post held is for another body (民警, 辅警, 法律顾问).
    not_community_workers = holding - own_post

    certified = set(
        Certificate.objects.filter(issued_on__lte=today)
        .filter(Q(expires_on__isnull=True) | Q(expires_on__gte=today))
        .order_by()
        .values_list("worker_id", flat=True)
    )
    since = today - timedelta(days=365 * OTHERS_TRAINING_YEARS)
    trained_recently = set(
        Training.objects.filter(started_on__gt=since, started_on__lte=today)
        .order_by()
        .values_list("worker_id", flat=True)
        .distinct()
    )
    workers = Worker.objects.filter(is_active=True).order_by().values_list("id", "region_code")
    for worker, code in workers:
        if (
            levels.get(code) not in community_levels
            or worker in not_community_workers
            or (wanted is not None and code[:12] not in wanted)
        ):
            continue
        tally = found[code[:12]]
        tally.workers += 1
        if worker in certified:
            tally.certified += 1
        if worker not in leaders:
            tally.others += 1
            if worker in trained_recently:
                tally.others_trained += 1

    if leader_posts:
        # Summed by the database, as `leader_training_by_community` does (same rounding).
        rotation = dict(
            Training.objects.filter(
                is_rotation=True, started_on__gte=date(today.year, 1, 1), started_on__lte=today
            )
            .order_by()
            .values("worker_id")
            .annotate(days=Sum("days"))
            .values_list("worker_id", "days")
        )
        for community, worker in leader_posts:
            found[community].leaders[worker] = Decimal(rotation.get(worker) or 0)
    return dict(found)


def _communities(region_codes: list[str] | None) -> list[str]:
    if region_codes is not None:
        return list(region_codes)
    return region_codes_at(Region.Level.COMMUNITY)


def _measure(pick: Callable[[_Community], float]) -> Callable[[list[str] | None], Values]:
    def compute(region_codes: list[str] | None) -> Values:
        result = dict.fromkeys(_communities(region_codes), 0.0)
        result.update((c, float(pick(t))) for c, t in _tallies(region_codes).items())
        return result

    return batched(compute)


def _holders(kind: str, *, presence: bool) -> Callable[[list[str] | None], Values]:
    def pick(tally: _Community) -> float:
        count = len(tally.holders.get(kind, ()))
        return (1.0 if count else 0.0) if presence else float(count)

    compute = _measure(pick)
    compute.__name__ = f"{'has' if presence else 'count'}_{kind}"
    return compute


def _one_shoulder(tally: _Community) -> float:
    both = set.intersection(*(tally.holders.get(kind, set()) for kind in LEADER_KINDS))
    return 1.0 if both else 0.0


def _leaders_trained(tally: _Community) -> float:
    return sum(1 for days in tally.leaders.values() if days >= LEADER_ROTATION_DAYS)


@batched
def police_coverage(region_codes: list[str] | None) -> Values:
    wanted = set(region_codes) if region_codes is not None else None
    urban = {
        r.code: r.urban_rural_code
        for r in region_facts()
        if r.level == Region.Level.COMMUNITY and (wanted is None or r.code in wanted)
    }
    tallies = _tallies(region_codes)
    codes = list(region_codes) if region_codes is not None else list(urban)
    result = {}
    for code in codes:
        tally = tallies.get(code)
        held: dict[str, int] = {}
        if tally is not None:
            held = {kind: len(tally.holders.get(kind, ())) for kind in POLICE_KINDS}
        covered = selectors.police_covered((urban.get(code) or "").startswith("1"), held)
        result[code] = 1.0 if covered else 0.0
    return result


workers_total = _measure(lambda t: t.workers)
certified_social_workers = _measure(lambda t: t.certified)
one_shoulder = _measure(_one_shoulder)
leaders_total = _measure(lambda t: len(t.leaders))
leaders_trained_3days_this_year = _measure(_leaders_trained)
others_total = _measure(lambda t: t.others)
others_trained_2y = _measure(lambda t: t.others_trained)


MEASURES = [
    Measure(
        code="workers_total",
        name="城乡社区工作者人数",
        unit="人",
        compute=workers_total,
        description="在岗、登记在社区或网格的工作者（仅任社区民警、辅警、法律顾问者除外）；"
        "WORKER_DENSITY 的分子",
    ),
    Measure(
        code="certified_social_workers",
        name="持证社会工作者人数",
        unit="人",
        compute=certified_social_workers,
        description="持有效的社会工作者职业资格证书或社会工作专业毕业证书的社区工作者（SW_CERT）",
    ),
    Measure(
        code="has_child_director",
        name="配备儿童主任",
        unit="是/否",
        compute=_holders(K.CHILD_DIRECTOR, presence=True),
        description="1：有在任的儿童主任（CHILD_DIRECTOR）",
    ),
    Measure(
        code="has_legal_advisor",
        name="配备法律顾问",
        unit="是/否",
        compute=_holders(K.LEGAL_ADVISOR, presence=True),
        description="1：有在任的法律顾问（LEGAL_ADVISOR）",
    ),
    Measure(
        code="disaster_officers",
        name="灾害信息员人数",
        unit="人",
        compute=_holders(K.DISASTER_OFFICER, presence=False),
        description="在任灾害信息员人数；≥1 即达到 DISASTER_INFO",
    ),
    Measure(
        code="one_shoulder",
        name="书记、主任“一肩挑”",
        unit="是/否",
        compute=one_shoulder,
        description="1：同一人同时在任社区党组织书记和居/村委会主任（ONE_SHOULDER）",
    ),
    Measure(
        code="leaders_total",
        name="书记、主任人数",
        unit="人",
        compute=leaders_total,
        description="在任党组织书记、居/村委会主任人数（一肩挑者计一人）；TRAIN_LEADER 的分母",
    ),
    Measure(
        code="leaders_trained_3days_this_year",
        name="本年集中轮训满3天的书记、主任人数",
        unit="人",
        compute=leaders_trained_3days_this_year,
        description="本年度集中轮训累计不少于3天的在任书记、主任（专栏4，TRAIN_LEADER 的分子）",
    ),
    Measure(
        code="others_total",
        name="其他社区工作者人数",
        unit="人",
        compute=others_total,
        description="不任书记、主任的城乡社区工作者；TRAIN_OTHER 的分母",
    ),
    Measure(
        code="others_trained_2y",
        name="近两年参加培训的其他社区工作者人数",
        unit="人",
        compute=others_trained_2y,
        description="近两年内参加过集训或轮训的其他社区工作者（专栏4，TRAIN_OTHER 的分子）",
    ),
    Measure(
        code="police_coverage",
        name="警力配备达标（一区一警两辅/一村一辅警）",
        unit="是/否",
        compute=police_coverage,
        description="1：城市社区有1名社区民警和2名辅警，农村社区有1名辅警（或民警）（POLICE）",
    ),
]
