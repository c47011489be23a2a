"""Measures the workforce registry gives the evaluation engine (DESIGN.md §7, 专栏4, 专栏5).

Each `compute(region_codes)` answers {community code: value} for the given communities
(None: every community), zeros included. Counts use active (在岗) workers and posts held
today; a row at a grid counts for its community. Ratios come as numerator/denominator
pairs (`leaders_trained_3days_this_year` / `leaders_total`, `others_trained_2y` /
`others_total`) so that the engine can aggregate them as Σ/Σ. Definitions: ADR 0035 and
the docstring of `workforce.selectors`; all eleven measures come from one SQL statement per
evaluation that tallies every community (`_tallies`, shared with `measures.memo`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import cache
from typing import Any

from django.db import connection
from django.utils import timezone

from linli.indicators.measures import (
    Measure,
    as_decimal,
    batched,
    codes_key,
    memo,
    region_codes_at,
    region_facts,
    region_levels,
)
from linli.regions.models import Region
from linli.workforce import selectors
from linli.workforce.models import Certificate, Position, Training, Worker
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
    holders: dict[str, int] = field(default_factory=dict)  # post kind -> workers holding one
    leaders: int = 0
    leaders_trained: int = 0  # ≥ LEADER_ROTATION_DAYS of rotation this year
    one_shoulder: bool = False  # one worker holds both leader posts here


# Kinds whose holders per community the measures need (presence, counts, police).
_HOLDER_KINDS: tuple[str, ...] = (
    K.CHILD_DIRECTOR,
    K.LEGAL_ADVISOR,
    K.DISASTER_OFFICER,
    K.COMMUNITY_POLICE,
    K.AUXILIARY_POLICE,
)


def _in(name: str, values: tuple[str, ...]) -> tuple[str, dict[str, str]]:
    """`(%(name0)s, %(name1)s, …)` and its parameters."""
    params = {f"{name}{i}": value for i, value in enumerate(values)}
    return "(" + ", ".join(f"%({key})s" for key in params) + ")", params


# Every workforce figure of every community in one statement, by the rules of
# `workforce.selectors` (their docstrings, ADR 0035), in three kinds of rows:
#   'w' a region, its community workers, of them certified, not leaders (others), others
#       trained in the last two years (summed into its community in Python, by the level of
#       `measures.region_levels`: counts add up, no join needed);
#   'p' community, the workers holding a post there of each of _HOLDER_KINDS;
#   'l' community, a leader there, the leader posts held there (2: 一肩挑), rotation days
#       this year.
# A row at a grid counts for its community (SUBSTR(code, 1, 12)); rows at a town or the county
# count for no community. `held`: each worker's posts held today, anywhere — how many for the
# county's own bodies (none: a 民警, 辅警 or 法律顾问 only, not a community worker) and how
# many are leader posts (a leader anywhere is not an "other" worker).
_SQL = """
WITH held AS (
    SELECT worker_id,
           SUM(CASE WHEN kind IN {external} THEN 0 ELSE 1 END) AS own,
           SUM(CASE WHEN kind IN {leader} THEN 1 ELSE 0 END) AS leading
      FROM {position}
     WHERE (started_on IS NULL OR started_on <= %(today)s)
       AND (ended_on IS NULL OR ended_on > %(today)s)
     GROUP BY worker_id
), posts AS (
    SELECT SUBSTR(p.region_code, 1, 12) AS community, p.worker_id, p.kind
      FROM {position} p JOIN {worker} w ON w.id = p.worker_id
     WHERE w.is_active
       AND (p.started_on IS NULL OR p.started_on <= %(today)s)
       AND (p.ended_on IS NULL OR p.ended_on > %(today)s)
       AND p.kind IN {counted}
       AND p.region_code IN (SELECT code FROM {region} WHERE level IN {places})
)
SELECT 'w', w.region_code, COUNT(*),
       SUM(CASE WHEN w.id IN (
               SELECT worker_id FROM {certificate}
                WHERE issued_on <= %(today)s AND (expires_on IS NULL OR expires_on >= %(today)s)
           ) THEN 1 ELSE 0 END),
       SUM(CASE WHEN h.leading > 0 THEN 0 ELSE 1 END),
       SUM(CASE WHEN h.leading > 0 THEN 0
                WHEN w.id IN (
                    SELECT worker_id FROM {training}
                     WHERE started_on > %(since)s AND started_on <= %(today)s
                ) THEN 1 ELSE 0 END),
       0, CAST(NULL AS NUMERIC)
  FROM {worker} w LEFT JOIN held h ON h.worker_id = w.id
 WHERE w.is_active AND (h.own IS NULL OR h.own > 0)
 GROUP BY w.region_code
UNION ALL
SELECT 'p', community, {holders}, CAST(NULL AS NUMERIC)
  FROM posts WHERE kind IN {holder} GROUP BY community
UNION ALL
SELECT 'l', lp.community, lp.worker_id, lp.seats, 0, 0, 0, r.days
  FROM (SELECT community, worker_id, COUNT(DISTINCT kind) AS seats FROM posts
         WHERE kind IN {leader} GROUP BY community, worker_id) lp
  LEFT JOIN (SELECT worker_id, SUM(days) AS days FROM {training}
              WHERE is_rotation AND started_on >= %(year)s AND started_on <= %(today)s
              GROUP BY worker_id) r ON r.worker_id = lp.worker_id
"""


@cache
def _sql() -> tuple[str, dict[str, str]]:
    """`_SQL` with the tables' names (from _meta) and the kinds' placeholders, and the kinds'
    parameters."""
    external, external_params = _in("external", EXTERNAL_KINDS)
    leader, leader_params = _in("leader", LEADER_KINDS)
    holder, holder_params = _in("holder", _HOLDER_KINDS)
    counted, counted_params = _in("counted", (*_HOLDER_KINDS, *LEADER_KINDS))
    places, places_params = _in("place", COMMUNITY_LEVELS)
    sql = _SQL.format(
        position=Position._meta.db_table,
        worker=Worker._meta.db_table,
        region=Region._meta.db_table,
        certificate=Certificate._meta.db_table,
        training=Training._meta.db_table,
        external=external,
        leader=leader,
        holder=holder,
        counted=counted,
        places=places,
        holders=", ".join(
            f"COUNT(DISTINCT CASE WHEN kind = %({key})s THEN worker_id END)"
            for key in holder_params
        ),
    )
    return sql, external_params | leader_params | holder_params | counted_params | places_params


def _tallies(region_codes: list[str] | None) -> dict[str, _Community]:
    """Every workforce figure of every community from one statement (`_SQL`), shared by the
    eleven measures of an evaluation.

    Why not the per-community selectors (`workers_by_community`, `certified_by_community`,
    …): each is a GROUP BY with correlated EXISTS per worker, six of them per evaluation —
    60 % of an evaluation's time on SQLite for 2k workers; five plain reads tallied in Python
    cost five round trips and Python work per row (3.5k posts). The rules are the selectors'
    own; linli/indicators/tests/test_measure_consistency.py checks that both answer the same."""
    return memo(("workforce.tallies", codes_key(region_codes)), lambda: _load(region_codes))


def _load(region_codes: list[str] | None) -> dict[str, _Community]:
    today = timezone.localdate()
    day = connection.ops.adapt_datefield_value
    sql, kinds = _sql()
    params: dict[str, Any] = kinds | {
        "today": day(today),
        "since": day(today - timedelta(days=365 * OTHERS_TRAINING_YEARS)),
        "year": day(date(today.year, 1, 1)),
    }
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    wanted = set(region_codes) if region_codes is not None else None
    levels = region_levels()  # a worker's region's level by its code, without a join
    community_levels = frozenset(COMMUNITY_LEVELS)
    found: dict[str, _Community] = {}
    for kind, code, a, b, c, d, e, days in rows:
        if kind == "w":  # by the workers' region: a community's and its grids' rows summed
            if levels.get(code) not in community_levels:
                continue
            code = code[:12]
        if wanted is not None and code not in wanted:
            continue
        tally = found.get(code)
        if tally is None:
            tally = found[code] = _Community()
        if kind == "w":
            tally.workers += a
            tally.certified += b
            tally.others += c
            tally.others_trained += d
        elif kind == "p":
            tally.holders = dict(zip(_HOLDER_KINDS, (a, b, c, d, e), strict=True))
        else:
            tally.leaders += 1
            if b == len(LEADER_KINDS):
                tally.one_shoulder = True
            # Summed by the database, as `leader_training_by_community` sums them.
            if days is not None and as_decimal(days) >= LEADER_ROTATION_DAYS:
                tally.leaders_trained += 1
    return found


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
        count = tally.holders.get(kind, 0)
        return (1.0 if count else 0.0) if presence else float(count)

    compute = _measure(pick)
    compute.__name__ = f"{'has' if presence else 'count'}_{kind}"
    return compute


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
            held = {kind: tally.holders.get(kind, 0) for kind in POLICE_KINDS}
        covered = selectors.police_covered((urban.get(code) or "").startswith("1"), held)
        result[code] = 1.0 if covered else 0.0
    return result


workers_total = _measure(lambda t: t.workers)
certified_social_workers = _measure(lambda t: t.certified)
one_shoulder = _measure(lambda t: 1.0 if t.one_shoulder else 0.0)
leaders_total = _measure(lambda t: t.leaders)
leaders_trained_3days_this_year = _measure(lambda t: t.leaders_trained)
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
