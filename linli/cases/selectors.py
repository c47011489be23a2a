"""Reads for cases: visibility, queues, duplicates, region lookup, time limits and rates.

Visibility: staff and API tokens see the cases of their regions (`visible_to`); a resident
sees the cases they reported or follow; nobody else sees anything (NotFound).
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, cast

from django.db.models import Avg, Count, Q, QuerySet, Sum
from django.db.models.functions import Substr, TruncMonth
from django.utils import timezone

from linli.accounts.models import STAFF_ROLES, Role, User
from linli.cases import geo
from linli.cases.catalogue import DEFAULT_LIMITS, LimitSpec
from linli.cases.models import (
    HANDLING_STATUSES,
    OPEN_STATUSES,
    Case,
    CaseAssignment,
    CaseCategory,
    CaseEvent,
    CaseFollower,
    CasePhoto,
    Notification,
    Status,
    TimeLimit,
)
from linli.core.errors import NotFound
from linli.core.scoping import scope_of, starts_with
from linli.orgs.models import Organisation
from linli.people.models import Resident
from linli.regions.models import Region

DUPLICATE_RADIUS_M = 250
DUPLICATE_WINDOW = timedelta(days=7)
_CACHE_TTL_SECONDS = 300


# --- visibility -------------------------------------------------------------------------


def _user_of(principal: Any) -> User | None:
    return principal if isinstance(principal, User) and principal.is_authenticated else None


def case_condition(principal: Any) -> Q | None:
    """The filter of the cases a principal may see; None means every case."""
    scope = scope_of(principal)
    if scope.is_global:
        return None
    condition = Q(pk__in=[])
    for prefix in _case_prefixes(principal, scope.prefixes):
        condition |= starts_with("region_code", prefix)
    user = _user_of(principal)
    if user is not None:
        departments = department_ids_for(user)
        if departments:
            sent = CaseAssignment.objects.filter(department_id__in=departments)
            condition |= Q(pk__in=sent.values("case_id"))
        condition |= Q(reporter=user) | Q(
            pk__in=CaseFollower.objects.filter(user=user).values("case_id")
        )
    return condition


def _case_prefixes(principal: Any, prefixes: tuple[str, ...]) -> tuple[str, ...]:
    """The regions whose cases a principal sees. A department handler's role is held at the
    county or a town, yet they see only the cases sent to their department (ADR 0115):
    a resident's complaint, name and phone are not every department's business."""
    user = _user_of(principal)
    if user is None or not user.has_role(Role.DEPARTMENT_HANDLER):
        return prefixes
    return tuple(
        {
            role.region.prefix
            for role in user.active_roles
            if role.role in STAFF_ROLES and role.role != Role.DEPARTMENT_HANDLER
        }
    )


def case_visible(principal: Any) -> QuerySet[Case]:
    condition = case_condition(principal)
    cases = Case.objects.all()
    return cases if condition is None else cases.filter(condition)


def case_get_visible(principal: Any, case_id: int | str) -> Case:
    """The case if the principal may see it; otherwise NotFound (404), never 403."""
    try:
        pk = int(case_id)
    except (TypeError, ValueError):
        raise NotFound("case_not_found", "案件不存在或无权查看") from None
    case = (
        case_visible(principal)
        .select_related("category", "category__parent", "region", "reporter", "merged_into")
        .filter(pk=pk)
        .first()
    )
    if case is None:
        raise NotFound("case_not_found", "案件不存在或无权查看")
    return case


def case_is_staff_view(principal: Any, case: Case) -> bool:
    """Whether the principal sees the case as staff (full detail) rather than as a resident."""
    return scope_of(principal).covers(case.region_code)


# --- lists ------------------------------------------------------------------------------


def case_list(
    principal: Any,
    *,
    statuses: list[str] | tuple[str, ...] | None = None,
    category_code: str | None = None,
    overdue: bool | None = None,
    region_prefix: str | None = None,
    query: str | None = None,
    source: str | None = None,
    created_from: datetime | None = None,
    created_to: datetime | None = None,
) -> QuerySet[Case]:
    cases = case_visible(principal).select_related("category", "category__parent", "region")
    if statuses:
        cases = cases.filter(status__in=statuses)
    if category_code:
        cases = cases.filter(
            Q(category__code=category_code) | Q(category__parent__code=category_code)
        )
    if overdue is True:
        cases = cases.filter(
            Q(sign_overdue=True) | Q(contact_overdue=True) | Q(resolve_overdue=True)
        )
    if region_prefix:
        cases = cases.filter(starts_with("region_code", region_prefix))
    if source:
        cases = cases.filter(source=source)
    if created_from:
        cases = cases.filter(created_at__gte=created_from)
    if created_to:
        cases = cases.filter(created_at__lt=created_to)
    if query:
        query = query.strip()
        number_id = _id_from_number(query)
        condition = Q(description__icontains=query) | Q(address__icontains=query)
        if number_id is not None:
            condition |= Q(pk=number_id)
        cases = cases.filter(condition)
    return cases.order_by("-created_at", "-id")


def case_list_own(user: User) -> QuerySet[Case]:
    """The cases a person reported or follows (a resident's 我的诉求)."""
    return (
        Case.objects.filter(
            Q(reporter=user) | Q(pk__in=CaseFollower.objects.filter(user=user).values("case_id"))
        )
        .select_related("category", "category__parent", "region")
        .order_by("-created_at", "-id")
    )


# A report sent again by the same person within this time is taken as the same report.
RESUBMIT_WINDOW = timedelta(minutes=10)


def case_just_reported_by(
    user: User, category_code: str, description: str, region_code: str | None = None
) -> Case | None:
    """The case this user reported moments ago with the same category and text (a second tap
    or a retry after a slow answer), so that a page does not register the same report twice."""
    cases = Case.objects.filter(
        events__action=CaseEvent.Action.REPORT,
        events__actor=user,
        category__code=category_code,
        description=description.strip(),
        created_at__gte=timezone.now() - RESUBMIT_WINDOW,
    )
    if region_code:
        cases = cases.filter(starts_with("region_code", region_code))
    return cases.order_by("-created_at").first()


def case_needing_attention(principal: Any) -> QuerySet[Case]:
    """Open cases that are overdue or escalated (吹哨), most overdue first."""
    return (
        case_list(principal, statuses=list(OPEN_STATUSES))
        .filter(
            Q(sign_overdue=True)
            | Q(contact_overdue=True)
            | Q(resolve_overdue=True)
            | Q(status=Status.ESCALATED)
        )
        .order_by("resolve_deadline", "id")
    )


def _id_from_number(text: str) -> int | None:
    digits = text.strip()
    if not digits.isdigit():
        return None
    # A case number is the date (8 digits) and the id (at least 6); a bare id works too.
    return int(digits[8:]) if len(digits) >= 14 else int(digits)


def case_queue_for_worker(user: User) -> QuerySet[Case]:
    """Cases a grid worker (or any person) holds an active assignment for."""
    ids = CaseAssignment.objects.filter(
        worker=user, state__in=(CaseAssignment.State.PENDING, CaseAssignment.State.SIGNED)
    ).values("case_id")
    return (
        Case.objects.filter(pk__in=ids)
        .select_related("category", "category__parent", "region")
        .order_by("resolve_deadline", "id")
    )


def department_ids_for(user: Any) -> list[int]:
    """The departments a handler acts for: `RoleAssignment.department` is the organisation's
    name, and the organisation lies inside the role's region (ADR 0071)."""
    if not isinstance(user, User):
        return []
    roles = [
        r for r in user.active_roles if r.role == Role.DEPARTMENT_HANDLER and r.department.strip()
    ]
    if not roles:
        return []
    condition = Q(pk__in=[])
    for role in roles:
        condition |= Q(name=role.department.strip(), region_code__startswith=role.region.prefix)
    return list(
        Organisation.objects.filter(condition, kind=Organisation.Kind.DEPARTMENT).values_list(
            "pk", flat=True
        )
    )


def department_assignments(
    department_ids: list[int], *, active: bool = True
) -> QuerySet[CaseAssignment]:
    rows = CaseAssignment.objects.filter(department_id__in=department_ids).select_related(
        "case", "case__category", "case__category__parent", "case__region", "department"
    )
    if active:
        rows = rows.filter(state__in=(CaseAssignment.State.PENDING, CaseAssignment.State.SIGNED))
    return rows.order_by("sign_deadline", "id")


def department_choices(case: Case) -> QuerySet[Organisation]:
    """Departments a case may be dispatched to: active departments of its county or town."""
    prefixes = {case.region_code[:6] + "000000", case.region_code[:9] + "000"}
    return Organisation.objects.filter(
        kind=Organisation.Kind.DEPARTMENT, is_active=True, region__code__in=prefixes
    ).order_by("region_code", "name")


def worker_choices(case: Case) -> QuerySet[User]:
    """Grid workers and community workers of the case's community."""
    community = case.region_code[:12]
    return (
        User.objects.filter(
            is_active=True,
            roles__is_active=True,
            roles__role__in=(Role.GRID_WORKER, Role.COMMUNITY_WORKER),
            roles__region_code__startswith=community,
        )
        .distinct()
        .order_by("username")
    )


def case_assignments(case: Case) -> list[CaseAssignment]:
    return list(case.assignments.select_related("worker", "department", "signed_by").order_by("id"))


def case_timeline(case: Case, *, public_only: bool = False) -> list[CaseEvent]:
    events = list(case.events.prefetch_related("photos").order_by("created_at", "id"))
    return [e for e in events if e.is_public] if public_only else events


def case_photos(case: Case, *, staff: bool) -> list[CasePhoto]:
    """A case's photos in upload order; residents do not see handlers' progress photos."""
    rows = case.photos.order_by("id")
    if not staff:
        rows = rows.exclude(kind=CasePhoto.Kind.PROGRESS)
    return list(rows)


def notifications_for(user: User, *, unread_only: bool = False) -> QuerySet[Notification]:
    rows = Notification.objects.filter(user=user).select_related("case")
    return rows.filter(read_at__isnull=True) if unread_only else rows


def notification_get_own(user: User, pk: int) -> Notification:
    """One of the user's own messages; anyone else's answers 404."""
    notification = Notification.objects.filter(user=user, pk=pk).first()
    if notification is None:
        raise NotFound("notification_not_found", "未找到该消息")
    return notification


def unread_count(user: User) -> int:
    return Notification.objects.filter(user=user, read_at__isnull=True).count()


# --- catalogue and time limits -----------------------------------------------------------

# "Never loaded" is -inf, not 0: time.monotonic() counts from boot (see worktime).
_category_cache: dict[str, Any] = {"at": float("-inf"), "by_code": {}}


def category_by_code(code: str) -> CaseCategory | None:
    """An active category by code, from a per-process cache (the hot path of intake)."""
    now = time.monotonic()
    if now - _category_cache["at"] > 60 or code not in _category_cache["by_code"]:
        _category_cache["by_code"] = {
            c.code: c for c in CaseCategory.objects.select_related("parent").filter(is_active=True)
        }
        _category_cache["at"] = now
    return _category_cache["by_code"].get(code)


def category_cache_reset() -> None:
    _category_cache["at"] = float("-inf")
    _category_cache["by_code"] = {}


def category_tree() -> list[CaseCategory]:
    """Active categories, each top level followed by its children (for select boxes)."""
    rows = list(CaseCategory.objects.filter(is_active=True).select_related("parent"))
    tops = [c for c in rows if c.parent_id is None]
    ordered: list[CaseCategory] = []
    for top in sorted(tops, key=lambda c: (c.sort_order, c.code)):
        ordered.append(top)
        ordered += sorted(
            (c for c in rows if c.parent_id == top.pk), key=lambda c: (c.sort_order, c.code)
        )
    return ordered


def limits_for(category: CaseCategory, urgency: str) -> LimitSpec:
    """The most specific time limits: the category's, its parent's, the default row, or the
    built-in default."""
    rows = TimeLimit.objects.filter(
        Q(category_id__in=[category.pk, category.parent_id]) | Q(category__isnull=True),
        urgency=urgency,
    )
    by_category = {row.category_id: row for row in rows}
    for key in (category.pk, category.parent_id, None):
        row = by_category.get(key)
        if row is not None:
            return LimitSpec(row.sign_hours, row.contact_hours, row.resolve_hours, row.working_time)
    return DEFAULT_LIMITS.get(urgency, DEFAULT_LIMITS["normal"])


# --- regions: cached lookups for intake -------------------------------------------------


@dataclass
class _RegionIndex:
    by_code: dict[str, Region] = field(default_factory=dict)
    communities: list[Region] = field(default_factory=list)
    grids_of: dict[str, list[Region]] = field(default_factory=dict)
    loaded_at: float = float("-inf")  # never loaded (see _category_cache)


_region_index = _RegionIndex()


def _regions() -> _RegionIndex:
    global _region_index
    if time.monotonic() - _region_index.loaded_at > _CACHE_TTL_SECONDS:
        index = _RegionIndex(loaded_at=time.monotonic())
        for region in Region.objects.filter(level__in=("community", "grid")).order_by("code"):
            index.by_code[region.code] = region
            if region.level == "community":
                index.communities.append(region)
            else:
                index.grids_of.setdefault(region.code[:12], []).append(region)
        _region_index = index
    return _region_index


def _region_point(region: Region | None) -> tuple[float, float] | None:
    """A region's centre, or its parent's (a grid drawn without a centre)."""
    while region is not None:
        if region.center_lng is not None and region.center_lat is not None:
            return region.center_lng, region.center_lat
        region = region.parent if region.level == "grid" else None
    return None


def report_map_home(user: User) -> tuple[float, float, int] | None:
    """(lng, lat, zoom) where a person's report map opens: their household's building, else
    the household's grid or community, else the region their resident account was opened at;
    None if none of these has a point. The household is the registry's resident with the
    account's phone (accounts have no link to `people.Resident` yet, ADR 0008)."""
    if user.phone_hash:
        person = (
            Resident.objects.filter(
                phone_hash=user.phone_hash,
                status=Resident.Status.ACTIVE,
                household__isnull=False,
            )
            .select_related("household__building", "household__region__parent", "region__parent")
            .order_by("id")
            .first()
        )
        if person is not None and person.household is not None:
            building = person.household.building
            if building is not None and building.lng is not None and building.lat is not None:
                return building.lng, building.lat, 17
            for region in (person.household.region, person.region):
                point = _region_point(region)
                if point is not None:
                    return point[0], point[1], 15
    return role_region_point(user, roles=(Role.RESIDENT,))


def role_region_point(
    user: User, *, roles: tuple[str, ...] | None = None
) -> tuple[float, float, int] | None:
    """The centre of the first region (by code) where the user holds one of `roles` (any)."""
    for role in sorted(user.active_roles, key=lambda r: r.region_code):
        if roles is None or role.role in roles:
            point = _region_point(role.region)
            if point is not None:
                return point[0], point[1], 15
    return None


def county_centre() -> tuple[float, float] | None:
    county = (
        Region.objects.filter(level="county", center_lng__isnull=False, center_lat__isnull=False)
        .order_by("code")
        .first()
    )
    return (county.center_lng, county.center_lat) if county is not None else None  # type: ignore[return-value]


def region_cache_reset() -> None:
    _region_index.loaded_at = float("-inf")


def case_region_by_code(code: str) -> Region | None:
    """A community or grid by code (cached; regions change rarely)."""
    region = _regions().by_code.get(code)
    if region is None:
        region = Region.objects.filter(code=code, level__in=("community", "grid")).first()
        if region is not None:
            region_cache_reset()
    return region


def region_for_point(lng: float, lat: float, *, max_distance_m: float = 3000) -> Region | None:
    """The grid (or community) a point lies in: the smallest community boundary holding it,
    else the nearest community centre within `max_distance_m`; then the grid whose boundary
    holds it, else the nearest grid centre of that community."""
    index = _regions()
    holding = [c for c in index.communities if geo.geometry_contains(c.boundary, lng, lat)]
    community: Region | None = None
    if holding:
        # A community nested in another (a 社区 inside a 村's outline) is the smaller one; where
        # outlines of like size overlap (imprecise borders, the demo county's squares), the
        # point belongs to the community whose centre is nearest — not to the lowest code.
        areas = {c.code: geo.geometry_area(c.boundary) for c in holding}
        smallest = min(areas.values())
        alike = [c for c in holding if areas[c.code] <= smallest * 1.05]
        community = min(
            alike,
            key=lambda c: (
                geo.distance_m(lng, lat, c.center_lng, c.center_lat)
                if c.center_lng is not None and c.center_lat is not None
                else math.inf,
                c.code,
            ),
        )
    else:
        best = None
        for c in index.communities:
            if c.center_lng is None or c.center_lat is None:
                continue
            d = geo.distance_m(lng, lat, c.center_lng, c.center_lat)
            if d <= max_distance_m and (best is None or d < best[0]):
                best = (d, c)
        community = best[1] if best else None
    if community is None:
        return None
    grids = index.grids_of.get(community.code, [])
    for grid in grids:
        if geo.geometry_contains(grid.boundary, lng, lat):
            return grid
    centred = [g for g in grids if g.center_lng is not None and g.center_lat is not None]
    if centred:
        return min(
            centred,
            key=lambda g: geo.distance_m(lng, lat, g.center_lng, g.center_lat),  # type: ignore[arg-type]
        )
    return community


# --- duplicates ---------------------------------------------------------------------------


def case_nearby_duplicates(
    *,
    category: CaseCategory,
    lng: float | None,
    lat: float | None,
    exclude_id: int | None = None,
    now: datetime | None = None,
    limit: int = 5,
) -> list[tuple[Case, int]]:
    """Open cases of the same category within 250 m reported in the last 7 days, nearest
    first, with their distance in metres (附近已有相同问题)."""
    if lng is None or lat is None:
        return []
    now = now or timezone.now()
    min_lng, min_lat, max_lng, max_lat = geo.bbox_around(lng, lat, DUPLICATE_RADIUS_M)
    rows = (
        Case.objects.filter(
            category=category,
            status__in=OPEN_STATUSES,
            created_at__gte=now - DUPLICATE_WINDOW,
            lng__range=(min_lng, max_lng),
            lat__range=(min_lat, max_lat),
        )
        .exclude(pk=exclude_id or 0)
        .select_related("category", "region")[:200]
    )
    found = []
    for case in rows:
        distance = geo.distance_m(lng, lat, case.lng, case.lat)  # type: ignore[arg-type]
        if distance <= DUPLICATE_RADIUS_M:
            found.append((case, round(distance)))
    found.sort(key=lambda item: item[1])
    return found[:limit]


# --- the three rates and statistics (docs/cases-rates.md) ---------------------------------

GROUPINGS = ("town", "community", "grid", "category", "department", "month")
_LEVEL_LENGTH = {"county": 6, "town": 9, "community": 12, "grid": 15}


@dataclass
class RateRow:
    """Counts for one group; ratios are Σ numerator / Σ denominator (never a mean)."""

    key: str
    label: str = ""
    reported: int = 0
    dispatched: int = 0
    responded_in_time: int = 0
    rated: int = 0
    rated_solved: int = 0
    rated_satisfied: int = 0
    overdue: int = 0
    avg_handling_hours: float | None = None

    @staticmethod
    def _ratio(num: int, den: int) -> float | None:
        return round(100.0 * num / den, 1) if den else None

    @property
    def response_rate(self) -> float | None:
        return self._ratio(self.responded_in_time, self.dispatched)

    @property
    def solve_rate(self) -> float | None:
        return self._ratio(self.rated_solved, self.rated)

    @property
    def satisfaction_rate(self) -> float | None:
        return self._ratio(self.rated_satisfied, self.rated)


def _period_filter(field_name: str, start: datetime | None, end: datetime | None) -> Q:
    condition = Q()
    if start is not None:
        condition &= Q(**{f"{field_name}__gte": start})
    if end is not None:
        condition &= Q(**{f"{field_name}__lt": end})
    return condition


def _group_expression(group_by: str) -> Any:
    if group_by in _LEVEL_LENGTH:
        return Substr("region_code", 1, _LEVEL_LENGTH[group_by])
    if group_by == "category":
        return "category__parent__code"  # top-level category; a top category has no parent
    if group_by == "month":
        return TruncMonth("created_at")
    raise ValueError(group_by)


RATE_FIELDS = ("dispatched", "responded_in_time", "rated", "rated_solved", "rated_satisfied")


def _rate_counts(start: datetime | None, end: datetime | None) -> dict[str, Count]:
    """The five counts behind the three rates (the indicators' measures need only these)."""
    dispatched = _period_filter("dispatched_at", start, end) & Q(dispatched_at__isnull=False)
    rated = _period_filter("rated_at", start, end) & Q(rated_at__isnull=False)
    return {
        "dispatched": Count("pk", filter=dispatched),
        "responded_in_time": Count("pk", filter=dispatched & Q(responded_in_time=True)),
        "rated": Count("pk", filter=rated),
        "rated_solved": Count("pk", filter=rated & Q(is_solved=True)),
        "rated_satisfied": Count("pk", filter=rated & Q(is_satisfied=True)),
    }


def case_rates(
    cases: QuerySet[Case],
    *,
    group_by: str | None = None,
    start: datetime | None = None,
    end: datetime | None = None,
) -> list[RateRow]:
    """The counts behind 响应率, 解决率 and 满意率, and the handling statistics.

    Each count uses its own moment: reported by `created_at`, dispatched and
    responded-in-time by `dispatched_at`, rated/solved/satisfied by `rated_at`, overdue and
    handling time by `created_at`. `cases` is already narrowed to what the reader may see.
    Without `group_by` one row (key "all") is returned.
    """
    cases = cases.order_by()  # an ordering would split the groups
    if group_by == "department":
        return _department_rates(cases, start=start, end=end)
    created = _period_filter("created_at", start, end)
    overdue = created & (Q(sign_overdue=True) | Q(contact_overdue=True) | Q(resolve_overdue=True))
    aggregates = {
        "reported": Count("pk", filter=created),
        **_rate_counts(start, end),
        "overdue": Count("pk", filter=overdue),
        "handling": Avg("handling_seconds", filter=created & Q(handling_seconds__isnull=False)),
        "handled": Count("pk", filter=created & Q(handling_seconds__isnull=False)),
    }
    if group_by is None:
        values = cases.aggregate(**aggregates)
        return [_row("all", values)]
    if group_by not in GROUPINGS:
        raise ValueError(group_by)
    if group_by == "category":
        rows = cases.values("category__parent__code", "category__code").annotate(**aggregates)
        merged: dict[str, dict[str, Any]] = {}
        for row in cast(Any, rows):
            key = row["category__parent__code"] or row["category__code"]
            _merge(merged.setdefault(key, {}), row)
        return sorted((_row(k, v) for k, v in merged.items()), key=lambda r: (-r.reported, r.key))
    grouped: Any = (
        cases.annotate(group_key=_group_expression(group_by))
        .values("group_key")
        .annotate(**aggregates)
        .order_by("group_key")
    )
    result = []
    for row in grouped:
        key = row["group_key"]
        if isinstance(key, datetime):
            key = timezone.localtime(key).strftime("%Y-%m")
        result.append(_row(str(key), row))
    return result


def _merge(target: dict[str, Any], row: dict[str, Any]) -> None:
    """Add one group's counts into another (the handling average weighted by count)."""
    for name in (
        "reported",
        "dispatched",
        "responded_in_time",
        "rated",
        "rated_solved",
        "rated_satisfied",
        "overdue",
    ):
        target[name] = target.get(name, 0) + (row.get(name) or 0)
    if row.get("handling") is not None:
        weight = row.get("handled") or 1
        target["_h_sum"] = target.get("_h_sum", 0.0) + row["handling"] * weight
        target["_h_n"] = target.get("_h_n", 0) + weight
        target["handling"] = target["_h_sum"] / target["_h_n"]


def _row(key: str, values: dict[str, Any]) -> RateRow:
    handling = values.get("handling")
    return RateRow(
        key=key,
        reported=values.get("reported") or 0,
        dispatched=values.get("dispatched") or 0,
        responded_in_time=values.get("responded_in_time") or 0,
        rated=values.get("rated") or 0,
        rated_solved=values.get("rated_solved") or 0,
        rated_satisfied=values.get("rated_satisfied") or 0,
        overdue=values.get("overdue") or 0,
        avg_handling_hours=round(handling / 3600, 1) if handling is not None else None,
    )


def _department_rates(
    cases: QuerySet[Case], *, start: datetime | None, end: datetime | None
) -> list[RateRow]:
    """Rates by the lead department (主办) of each case; grid workers' cases are "网格"."""
    leads = CaseAssignment.objects.filter(case__in=cases, role=CaseAssignment.Role.LEAD).exclude(
        state=CaseAssignment.State.CANCELLED
    )
    dispatched = _period_filter("case__dispatched_at", start, end)
    rated = _period_filter("case__rated_at", start, end) & Q(case__rated_at__isnull=False)
    created = _period_filter("case__created_at", start, end)
    rows = (
        leads.values("department__name")
        .annotate(
            reported=Count("case", filter=created, distinct=True),
            dispatched=Count("case", filter=dispatched, distinct=True),
            responded_in_time=Count(
                "case", filter=dispatched & Q(case__responded_in_time=True), distinct=True
            ),
            rated=Count("case", filter=rated, distinct=True),
            rated_solved=Count("case", filter=rated & Q(case__is_solved=True), distinct=True),
            rated_satisfied=Count("case", filter=rated & Q(case__is_satisfied=True), distinct=True),
            overdue=Count(
                "case",
                filter=created
                & (
                    Q(case__sign_overdue=True)
                    | Q(case__contact_overdue=True)
                    | Q(case__resolve_overdue=True)
                ),
                distinct=True,
            ),
            handling=Avg("case__handling_seconds", filter=created),
            handled=Count(
                "case", filter=created & Q(case__handling_seconds__isnull=False), distinct=True
            ),
        )
        .order_by("department__name")
    )
    return [_row(row["department__name"] or "网格", row) for row in cast(Any, rows)]


def case_rate_totals(cases: QuerySet[Case], **kwargs: Any) -> RateRow:
    return case_rates(cases, **kwargs)[0]


def case_rate_labels(rows: list[RateRow], group_by: str) -> list[RateRow]:
    """Fill each row's label (region or category name) with one query."""
    if group_by in _LEVEL_LENGTH:
        codes = {r.key: (r.key + "000000")[:12] if len(r.key) < 12 else r.key for r in rows}
        names = dict(Region.objects.filter(code__in=codes.values()).values_list("code", "name"))
        for r in rows:
            r.label = names.get(codes[r.key], r.key)
    elif group_by == "category":
        names = dict(CaseCategory.objects.values_list("code", "name"))
        for r in rows:
            r.label = names.get(r.key, r.key)
    else:
        for r in rows:
            r.label = r.key
    return rows


def case_rates_by_community(
    region_codes: list[str] | None, *, start: datetime | None = None, end: datetime | None = None
) -> dict[str, dict[str, int]]:
    """{community code: the five counts behind the rates} for the indicator engine: one query
    that builds only those (`case_rates` builds the statistics page's nine)."""
    cases = Case.objects.order_by()
    if region_codes is not None:
        condition = Q(pk__in=[])
        for code in region_codes:
            condition |= starts_with("region_code", code[:12])
        cases = cases.filter(condition)
    rows = (
        cases.annotate(group_key=_group_expression("community"))
        .values("group_key")
        .annotate(**_rate_counts(start, end))
        .values_list("group_key", *RATE_FIELDS)
    )
    wanted = set(region_codes) if region_codes is not None else None
    return {
        key: dict(zip(RATE_FIELDS, counts, strict=True))
        for key, *counts in rows
        if wanted is None or key in wanted
    }


def case_top_categories(cases: QuerySet[Case], *, limit: int = 10, **kwargs: Any) -> list[RateRow]:
    rows = case_rate_labels(case_rates(cases, group_by="category", **kwargs), "category")
    return rows[:limit]


# --- the supervisor board -----------------------------------------------------------------


def board_counts(cases: QuerySet[Case]) -> dict[str, list[dict[str, Any]]]:
    """Overdue and escalated open cases by town and by lead department."""
    open_cases = cases.order_by().filter(status__in=OPEN_STATUSES)
    overdue = Q(sign_overdue=True) | Q(contact_overdue=True) | Q(resolve_overdue=True)
    by_town: list[Any] = list(
        open_cases.annotate(town=Substr("region_code", 1, 9))
        .values("town")
        .annotate(
            open=Count("pk"),
            overdue=Count("pk", filter=overdue),
            escalated=Count("pk", filter=Q(status=Status.ESCALATED)),
            supervised=Sum("supervised_count"),
        )
        .order_by("town")
    )
    names = dict(
        Region.objects.filter(code__in=[t["town"] + "000" for t in by_town]).values_list(
            "code", "name"
        )
    )
    for row in by_town:
        row["name"] = names.get(row["town"] + "000", row["town"])
    by_department: list[Any] = list(
        CaseAssignment.objects.filter(
            case__in=open_cases,
            department__isnull=False,
            state__in=(CaseAssignment.State.PENDING, CaseAssignment.State.SIGNED),
        )
        .values("department__name")
        .annotate(
            open=Count("case", distinct=True),
            pending=Count("pk", filter=Q(state=CaseAssignment.State.PENDING)),
            sign_overdue=Count("pk", filter=Q(sign_overdue=True)),
            overdue=Count(
                "case",
                filter=Q(case__resolve_overdue=True) | Q(case__contact_overdue=True),
                distinct=True,
            ),
        )
        .order_by("department__name")
    )
    return {"towns": by_town, "departments": by_department}


def handling_cases(cases: QuerySet[Case]) -> QuerySet[Case]:
    return cases.filter(status__in=HANDLING_STATUSES)
