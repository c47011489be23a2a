"""Reads of the workforce registry, and the per-community figures of 专栏4 and 专栏5.

Definitions (ADR 0035):
- a post is *held* on a day when it started (or has no start date) and has not ended;
  only posts of active (在岗) workers count;
- *leaders* are the holders of a 书记 or 主任 post; 一肩挑 is one worker holding both in the
  same community;
- *community workers* are active workers registered at a community or grid, except those
  whose only posts are held for another body (社区民警, 辅警, 法律顾问): they are counted by
  their own posts, not as 城乡社区工作者;
- a *certified social worker* holds a certificate (助理社会工作师, 社会工作师, 高级社会工作师,
  or a social-work degree) that has not expired.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.db.models import Count, Exists, OuterRef, Prefetch, Q, QuerySet, Subquery, Sum
from django.db.models.functions import Substr
from django.utils import timezone

from linli.core.errors import NotFound
from linli.regions.models import Region
from linli.workforce.models import Certificate, Position, Training, Worker

K = Position.Kind
EXTERNAL_KINDS: tuple[str, ...] = (K.COMMUNITY_POLICE, K.AUXILIARY_POLICE, K.LEGAL_ADVISOR)
LEADER_KINDS: tuple[str, ...] = (K.SECRETARY, K.DIRECTOR)
LEADER_ROTATION_DAYS = Decimal(3)  # 专栏4: 每年集中轮训时间不少于3天
OTHERS_TRAINING_YEARS = 2  # 专栏4: 其他城乡社区工作者每两年至少集训、轮训一次
COMMUNITY_LEVELS = (Region.Level.COMMUNITY, Region.Level.GRID)


def _today(today: date | None) -> date:
    return today or timezone.localdate()


def held_q(today: date | None = None) -> Q:
    """Posts held on `today`: started (or undated) and not yet ended."""
    day = _today(today)
    return (Q(started_on__isnull=True) | Q(started_on__lte=day)) & (
        Q(ended_on__isnull=True) | Q(ended_on__gt=day)
    )


def held_positions(today: date | None = None) -> QuerySet[Position]:
    """Posts held on `today` by active (在岗) workers."""
    return Position.objects.filter(held_q(today), worker__is_active=True)


def _prefix(code: str) -> str:
    if len(code) == 12 and code.endswith("000000"):
        return code[:6]
    if len(code) == 12 and code.endswith("000"):
        return code[:9]
    return code


# --- lists and details ----------------------------------------------------------------------


def worker_list(
    principal: Any,
    *,
    q: str | None = None,
    position_kind: str | None = None,
    is_active: bool | None = None,
    region_code: str | None = None,
    today: date | None = None,
) -> QuerySet[Worker]:
    """Visible workers with their held posts prefetched (`held_posts`), filtered by name,
    a held post's kind, 在岗, and a region (and everything under it)."""
    workers = (
        Worker.objects.visible_to(principal)
        .select_related("region")
        .prefetch_related(
            Prefetch(
                "positions",
                queryset=Position.objects.filter(held_q(today)).select_related("region"),
                to_attr="held_posts",
            )
        )
        .order_by("region_code", "name", "id")
    )
    if q:
        workers = workers.filter(name__contains=q)
    if position_kind:
        workers = workers.filter(
            Exists(held_positions(today).filter(worker=OuterRef("pk"), kind=position_kind))
        )
    if is_active is not None:
        workers = workers.filter(is_active=is_active)
    if region_code:
        workers = workers.filter(region_code__startswith=_prefix(region_code))
    return workers


def worker_get_visible(principal: Any, worker_id: int) -> Worker:
    worker = (
        Worker.objects.visible_to(principal)
        .select_related("region", "resident", "user")
        .filter(pk=worker_id)
        .first()
    )
    if worker is None:
        raise NotFound("worker_not_found", "未找到该工作者，或您无权查看")
    return worker


def worker_positions(principal: Any, worker: Worker) -> QuerySet[Position]:
    return (
        Position.objects.visible_to(principal)
        .filter(worker=worker)
        .select_related("region")
        .order_by("ended_on", "kind")
    )


def worker_certificates(principal: Any, worker: Worker) -> QuerySet[Certificate]:
    return Certificate.objects.visible_to(principal).filter(worker=worker).order_by("-issued_on")


def worker_trainings(principal: Any, worker: Worker) -> QuerySet[Training]:
    return Training.objects.visible_to(principal).filter(worker=worker).order_by("-started_on")


def position_get_visible(principal: Any, position_id: int) -> Position:
    position = (
        Position.objects.visible_to(principal)
        .select_related("worker", "region")
        .filter(pk=position_id)
        .first()
    )
    if position is None:
        raise NotFound("position_not_found", "未找到该岗位记录，或您无权查看")
    return position


def trainings_in_period(
    principal: Any, start: date, end: date, *, rotation_only: bool = False
) -> QuerySet[Training]:
    """Visible trainings that started between `start` and `end` (inclusive)."""
    trainings = (
        Training.objects.visible_to(principal)
        .filter(started_on__gte=start, started_on__lte=end)
        .select_related("worker")
        .order_by("-started_on", "worker__name")
    )
    return trainings.filter(is_rotation=True) if rotation_only else trainings


def positions_held(
    principal: Any, kinds: tuple[str, ...], *, today: date | None = None
) -> QuerySet[Position]:
    """Visible posts of `kinds` held today (e.g. 儿童主任, 灾害信息员, 法律顾问, 社区民警/辅警)."""
    return (
        Position.objects.visible_to(principal)
        .filter(held_q(today), kind__in=kinds)
        .select_related("worker", "region")
        .order_by("region_code", "kind", "worker__name")
    )


def one_shoulder(community: Region, *, today: date | None = None) -> Worker | None:
    """The worker who is both 书记 and 主任 of `community` (一肩挑), or None."""
    posts = held_positions(today).filter(
        region_code__startswith=community.code, kind__in=LEADER_KINDS
    )
    both = (
        posts.values("worker")
        .annotate(kinds=Count("kind", distinct=True))
        .filter(kinds=len(LEADER_KINDS))
        .values("worker")
    )
    return Worker.objects.filter(pk__in=both).first()


# --- per-community figures (one grouped query each) ----------------------------------------


def _community(queryset: QuerySet[Any], region_codes: list[str] | None) -> QuerySet[Any]:
    rows = queryset.filter(region__level__in=COMMUNITY_LEVELS).annotate(
        community=Substr("region_code", 1, 12)
    )
    return rows.filter(community__in=region_codes) if region_codes is not None else rows


def community_workers(today: date | None = None) -> QuerySet[Worker]:
    """Active workers who count as 城乡社区工作者 (see the module docstring)."""
    held = held_positions(today).filter(worker=OuterRef("pk"))
    return Worker.objects.filter(is_active=True).filter(
        ~Exists(held.filter(kind__in=EXTERNAL_KINDS))
        | Exists(held.exclude(kind__in=EXTERNAL_KINDS))
    )


def workers_by_community(
    region_codes: list[str] | None = None, *, today: date | None = None
) -> dict[str, int]:
    rows = _community(community_workers(today), region_codes).values("community")
    return {r["community"]: r["n"] for r in rows.annotate(n=Count("id"))}


def certified_by_community(
    region_codes: list[str] | None = None, *, today: date | None = None
) -> dict[str, int]:
    day = _today(today)
    valid = Certificate.objects.filter(worker=OuterRef("pk"), issued_on__lte=day).filter(
        Q(expires_on__isnull=True) | Q(expires_on__gte=day)
    )
    workers = community_workers(today).filter(Exists(valid))
    rows = _community(workers, region_codes).values("community").annotate(n=Count("id"))
    return {r["community"]: r["n"] for r in rows}


def post_holders_by_community(
    kinds: tuple[str, ...], region_codes: list[str] | None = None, *, today: date | None = None
) -> dict[str, dict[str, int]]:
    """{community: {kind: distinct workers holding a post of that kind there}}."""
    rows = (
        _community(held_positions(today).filter(kind__in=kinds), region_codes)
        .values("community", "kind")
        .annotate(n=Count("worker", distinct=True))
    )
    result: dict[str, dict[str, int]] = defaultdict(dict)
    for row in rows:
        result[row["community"]][row["kind"]] = row["n"]
    return dict(result)


def one_shoulder_communities(
    region_codes: list[str] | None = None, *, today: date | None = None
) -> set[str]:
    rows = (
        _community(held_positions(today).filter(kind__in=LEADER_KINDS), region_codes)
        .values("community", "worker")
        .annotate(kinds=Count("kind", distinct=True))
        .filter(kinds=len(LEADER_KINDS))
    )
    return {r["community"] for r in rows}


@dataclass(frozen=True)
class TrainingCoverage:
    total: int
    trained: int


def leader_training_by_community(
    region_codes: list[str] | None = None, *, today: date | None = None
) -> dict[str, TrainingCoverage]:
    """Leaders per community, and how many had ≥ 3 days of 集中轮训 this calendar year."""
    day = _today(today)
    rotation_days = (
        Training.objects.filter(
            worker=OuterRef("worker"),
            is_rotation=True,
            started_on__gte=date(day.year, 1, 1),
            started_on__lte=day,
        )
        .values("worker")
        .annotate(total=Sum("days"))
        .values("total")
    )
    rows = (
        _community(held_positions(today).filter(kind__in=LEADER_KINDS), region_codes)
        .annotate(rotation=Subquery(rotation_days))
        .values_list("community", "worker", "rotation")
    )
    leaders: dict[str, dict[int, Decimal]] = defaultdict(dict)
    for community, worker, rotation in rows:
        leaders[community][worker] = Decimal(rotation or 0)
    return {
        community: TrainingCoverage(
            total=len(workers),
            trained=sum(1 for d in workers.values() if d >= LEADER_ROTATION_DAYS),
        )
        for community, workers in leaders.items()
    }


def others_training_by_community(
    region_codes: list[str] | None = None, *, today: date | None = None
) -> dict[str, TrainingCoverage]:
    """Community workers who are not leaders, and how many trained in the last two years."""
    day = _today(today)
    since = day - timedelta(days=365 * OTHERS_TRAINING_YEARS)
    leader_post = held_positions(today).filter(worker=OuterRef("pk"), kind__in=LEADER_KINDS)
    recent = Training.objects.filter(
        worker=OuterRef("pk"), started_on__gt=since, started_on__lte=day
    )
    rows = (
        _community(community_workers(today).filter(~Exists(leader_post)), region_codes)
        .values("community")
        .annotate(
            total=Count("id"),
            trained=Count("id", filter=Q(Exists(recent))),
        )
    )
    return {r["community"]: TrainingCoverage(total=r["total"], trained=r["trained"]) for r in rows}


def police_covered(urban: bool, holders: dict[str, int]) -> bool:
    """一区一警两辅 (urban: 1 民警 + 2 辅警) / 一村一辅警 (rural: 1 辅警, or a 民警)."""
    police = holders.get(K.COMMUNITY_POLICE, 0)
    auxiliary = holders.get(K.AUXILIARY_POLICE, 0)
    if urban:
        return police >= 1 and auxiliary >= 2
    return auxiliary + police >= 1


# --- the staffing page ----------------------------------------------------------------------


@dataclass(frozen=True)
class Staffing:
    code: str
    name: str
    is_urban: bool
    workers: int
    certified: int
    one_shoulder: bool
    child_director: bool
    legal_advisor: bool
    disaster_officers: int
    police: bool
    leaders: TrainingCoverage
    others: TrainingCoverage


def community_staffing(principal: Any, *, today: date | None = None) -> list[Staffing]:
    """Every visible community's 队伍配备 against 专栏4/专栏5 (a fixed number of queries)."""
    communities = list(
        Region.objects.visible_to(principal)
        .filter(level=Region.Level.COMMUNITY)
        .order_by("code")
        .values_list("code", "name", "urban_rural_code")
    )
    codes = [c for c, _n, _u in communities]
    workers = workers_by_community(codes, today=today)
    certified = certified_by_community(codes, today=today)
    shoulder = one_shoulder_communities(codes, today=today)
    posts = post_holders_by_community(
        (
            K.CHILD_DIRECTOR,
            K.LEGAL_ADVISOR,
            K.DISASTER_OFFICER,
            K.COMMUNITY_POLICE,
            K.AUXILIARY_POLICE,
        ),
        codes,
        today=today,
    )
    leaders = leader_training_by_community(codes, today=today)
    others = others_training_by_community(codes, today=today)
    none = TrainingCoverage(0, 0)
    rows = []
    for code, name, urc in communities:
        held = posts.get(code, {})
        urban = urc.startswith("1")
        rows.append(
            Staffing(
                code=code,
                name=name,
                is_urban=urban,
                workers=workers.get(code, 0),
                certified=certified.get(code, 0),
                one_shoulder=code in shoulder,
                child_director=held.get(K.CHILD_DIRECTOR, 0) > 0,
                legal_advisor=held.get(K.LEGAL_ADVISOR, 0) > 0,
                disaster_officers=held.get(K.DISASTER_OFFICER, 0),
                police=police_covered(urban, held),
                leaders=leaders.get(code, none),
                others=others.get(code, none),
            )
        )
    return rows
