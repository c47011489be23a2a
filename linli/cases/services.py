"""Writes for cases: intake, every transition of the loop, notifications and the sweep.

Each transition is one service: it locks the case (`select_for_update`), checks the
transition table and the actor's right to act, changes the case, and appends an immutable
`CaseEvent`. A caller may pass the `version` it saw: if someone acted in between, the
service answers Conflict (409) and changes nothing — two people acting at once, one wins.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Q
from django.utils import timezone, translation

from linli.accounts.models import ApiToken, Role, RoleAssignment, User
from linli.cases import geo, photos, selectors, worktime
from linli.cases.catalogue import DEFAULT_CATALOGUE, DEFAULT_CATEGORY_LIMITS, DEFAULT_LIMITS
from linli.cases.models import (
    FINAL_STATUSES,
    HANDLING_STATUSES,
    OPEN_STATUSES,
    Case,
    CaseAssignment,
    CaseCategory,
    CaseEvent,
    CaseFollower,
    CasePhoto,
    Notification,
    RejectReason,
    Source,
    Status,
    TimeLimit,
    Urgency,
)
from linli.core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from linli.core.fast_insert import insert_new, insert_together, prepare_insert
from linli.core.group_commit import insert_durably, run_in_group_commit
from linli.core.pii import blind_index, is_valid_phone, normalize_phone
from linli.core.scoping import Scope, scope_of
from linli.orgs.models import Organisation
from linli.regions.models import Region

logger = logging.getLogger("linli.cases")

OPERATOR_ROLES = (Role.COUNTY_ADMIN, Role.TOWN_STAFF, Role.COMMUNITY_WORKER)
SUPERVISOR_ROLES = (Role.COUNTY_ADMIN, Role.TOWN_STAFF)
TOWN_ROLES = (Role.COUNTY_ADMIN, Role.TOWN_STAFF)
DESCRIPTION_MIN, DESCRIPTION_MAX = 5, 2000
AUTO_CLOSE_AFTER = timedelta(days=7)
WARN_BEFORE = timedelta(hours=4)
LEVEL_TWO_AFTER = timedelta(hours=24)
SYSTEM_LABEL = "系统"


# --- who is acting ------------------------------------------------------------------------


def _user(actor: Any) -> User | None:
    if isinstance(actor, User):
        return actor if actor.is_authenticated else None
    if isinstance(actor, ApiToken):
        return actor.created_by
    return None


def _label(actor: Any) -> str:
    if actor is None:
        return SYSTEM_LABEL
    if isinstance(actor, ApiToken):
        return f"接口：{actor.name}"
    return str(actor)


def _may_write(actor: Any, code: str) -> bool:
    scope: Scope = scope_of(actor)
    may_write = getattr(scope, "may_write", None)  # newer kernels distinguish write regions
    if may_write is not None:
        return bool(may_write(code))
    return scope.can_write and scope.covers(code)


def _has_role(actor: Any, roles: Iterable[str]) -> bool:
    user = actor if isinstance(actor, User) else None
    return user is not None and (user.is_superuser or user.has_role(*roles))


def _is_operator(actor: Any, case: Case) -> bool:
    """Accept, reject, dispatch, merge, close: staff of the region, or an integration."""
    if isinstance(actor, ApiToken):
        return _may_write(actor, case.region_code)
    return _has_role(actor, OPERATOR_ROLES) and _may_write(actor, case.region_code)


def _is_supervisor(actor: Any, case: Case) -> bool:
    return _has_role(actor, SUPERVISOR_ROLES) and _may_write(actor, case.region_code)


def _require(condition: bool, message: str = "您无权对该案件执行此操作") -> None:
    if not condition:
        raise Forbidden("case_forbidden", message)


def _assignment_of(
    actor: Any, case: Case, *, states: Sequence[str] | None = None
) -> CaseAssignment | None:
    """The actor's own assignment on the case (as the worker, or for their department)."""
    user = _user(actor) if isinstance(actor, User) else None
    if user is None:
        return None
    states = states or (CaseAssignment.State.PENDING, CaseAssignment.State.SIGNED)
    rows = case.assignments.filter(state__in=states)
    departments = selectors.department_ids_for(user)
    mine = rows.filter(Q(worker=user) | Q(department_id__in=departments)).order_by("role", "id")
    return mine.first()


# --- events, versions, notifications --------------------------------------------------------


def _lock(actor: Any, case_id: int | str, version: int | None) -> Case:
    """The case, visible to the actor, locked for this transaction; 409 if it moved on."""
    selectors.case_get_visible(actor, case_id)  # 404 for what the actor may not see
    case = (
        Case.objects.select_for_update(of=("self",))
        .select_related("category", "category__parent", "region")
        .get(pk=int(case_id))
    )
    if version is not None and int(version) != case.version:
        # A stale page of one's own (a second tab, the back button) is not "someone else".
        steps = case.events.order_by("-created_at", "-id").values_list("actor_id", flat=True)
        by_self = isinstance(actor, User) and steps.first() == actor.pk
        who = "您刚在另一个页面处理过该案件" if by_self else "该案件刚被他人处理"
        raise Conflict(
            "case_changed",
            f"{who}（当前状态：{_status_text(case)}），请刷新后重试",
            {"version": case.version, "status": case.status},
        )
    return case


def _check_from(case: Case, allowed: Iterable[str], action_label: str) -> None:
    if case.status not in tuple(allowed):
        raise Conflict(
            "case_bad_state",
            f"案件当前为“{_status_text(case)}”，不能{action_label}",
            {"status": case.status, "version": case.version},
        )


def _status_text(case: Case) -> str:
    """The case's status for a Chinese sentence (errors are written in Chinese)."""
    with translation.override(settings.LANGUAGE_CODE):
        return case.get_status_display()  # a plain str, made inside the override


def _site_text(label: Any) -> str:
    """A choice label as it is stored in a record (a note, an event, a message): in the site's
    language whatever language the person acting reads (choice labels are translated)."""
    with translation.override(settings.LANGUAGE_CODE):
        return str(label)


def _event(case: Case, actor: Any, action: str, **details: Any) -> CaseEvent:
    """Write one step of the case's history (`_new_event`'s keywords)."""
    event = _new_event(case, actor, action, **details)
    insert_new(event)  # every step writes one; a prepared INSERT (ADR 0093)
    return event


def _new_event(
    case: Case,
    actor: Any,
    action: str,
    *,
    from_status: str = "",
    note: str = "",
    data: dict[str, Any] | None = None,
) -> CaseEvent:
    return CaseEvent(
        case=case,
        region=case.region,
        actor=_user(actor),
        actor_label=_label(actor),
        action=action,
        from_status=from_status,
        to_status=case.status if from_status else "",
        note=note,
        data=data or {},
    )


def _save(case: Case, *fields: str, bump: bool = True) -> None:
    if bump:
        case.version += 1
    case.save(update_fields=[*fields, "version", "updated_at"])


# C0 control characters but tab and line breaks, and DEL: nothing a person types, and a NUL is
# what PostgreSQL cannot store at all (SQLite would keep it).
_CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _text(value: Any, limit: int, label: str, *, required: bool = False) -> str:
    text = (value or "").strip()
    if _CONTROL_CHARACTERS.search(text):
        raise ValidationFailed(
            "field_control_characters", f"{label}含有不能保存的控制字符", {"field": label}
        )
    if required and not text:
        raise ValidationFailed("field_required", f"请填写{label}", {"field": label})
    if len(text) > limit:
        raise ValidationFailed("field_too_long", f"{label}不能超过 {limit} 个字", {"field": label})
    return text


def notify(
    *,
    users: Iterable[User | None],
    case: Case | None,
    kind: str,
    title: str,
    body: str = "",
    sms: bool = False,
) -> int:
    """An inbox message to each person once; with `sms`, a text too (sent after commit by the
    worker, so a slow SMS gateway never holds a case open)."""
    unique = {u.pk: u for u in users if u is not None and u.is_active}
    if not unique:
        return 0
    Notification.objects.bulk_create(
        [
            Notification(user=u, case=case, kind=kind, title=title[:100], body=body[:300])
            for u in unique.values()
        ]
    )
    if sms:
        text = f"【邻里】{title}。{body}"[:200]
        transaction.on_commit(_sms_later(list(unique), text))
    return len(unique)


def _sms_later(user_ids: list[int], text: str) -> Any:
    def send() -> None:
        from linli.cases.tasks import sms_deliver

        # One transaction for the texts of one step: with the database task queue that is
        # one commit (on SQLite one fsync and one turn of the write lock), not one per person.
        with transaction.atomic():
            for user_id in user_ids:
                sms_deliver.enqueue(user_id, text)

    return send


def _role_holders(roles: Iterable[str], region_codes: Iterable[str]) -> list[User]:
    return list(
        User.objects.filter(
            is_active=True,
            roles__is_active=True,
            roles__role__in=list(roles),
            roles__region_code__in=list(region_codes),
        ).distinct()
    )


def _handlers(case: Case) -> set[int]:
    """Who handled the case: the grid workers it was dispatched to and whoever recorded 办结.
    They may not rate their own work — the rating is the resident's word on it (三率)."""
    workers = case.assignments.exclude(worker=None).values_list("worker_id", flat=True)
    resolvers = case.events.filter(action=CaseEvent.Action.RESOLVE, actor__isnull=False)
    return set(workers) | set(resolvers.values_list("actor_id", flat=True))


def _reporters(case: Case) -> list[User]:
    """The reporter and everyone who follows the case (merged duplicates included)."""
    people = [case.reporter] if case.reporter_id else []
    people += [f.user for f in case.followers.select_related("user")]
    return [p for p in people if p is not None]


def _assignees(case: Case, *, active_only: bool = True) -> list[User]:
    rows = case.assignments.select_related("worker", "department")
    if active_only:
        rows = rows.filter(state__in=(CaseAssignment.State.PENDING, CaseAssignment.State.SIGNED))
    users: list[User] = []
    for row in rows:
        users += _assignment_people(row)
    return users


def _assignment_people(row: CaseAssignment) -> list[User]:
    if row.worker_id:
        return [row.worker]  # type: ignore[list-item]
    department = row.department
    if department is None:
        return []
    holders = RoleAssignment.objects.filter(
        is_active=True, role=Role.DEPARTMENT_HANDLER, department=department.name
    ).select_related("user", "region")
    return [h.user for h in holders if department.region_code.startswith(h.region.prefix)]


def _town_code(case: Case) -> str:
    return case.region_code[:9] + "000"


def _county_code(case: Case) -> str:
    return case.region_code[:6] + "000000"


def _supervisors_one_level_up(case: Case, assignment: CaseAssignment | None = None) -> list[User]:
    """Who hears of an overdue case: for a grid worker's case the community's workers (else
    the town), for a department's case the town's staff (else the county)."""
    if assignment is not None and assignment.worker_id:
        people = _role_holders([Role.COMMUNITY_WORKER], [case.region_code[:12]])
        # the worker's own community colleague is not "one level up" from themselves
        people = [p for p in people if p.pk != assignment.worker_id]
        if people:
            return people
    people = _role_holders([Role.TOWN_STAFF], [_town_code(case)])
    return people or _role_holders([Role.COUNTY_ADMIN], [_county_code(case)])


def _lead(case: Case) -> CaseAssignment | None:
    return (
        case.assignments.filter(
            role=CaseAssignment.Role.LEAD,
            state__in=(
                CaseAssignment.State.PENDING,
                CaseAssignment.State.SIGNED,
                CaseAssignment.State.DONE,
            ),
        )
        .select_related("worker", "department")
        .order_by("-id")
        .first()
    )


# --- catalogue ----------------------------------------------------------------------------


@transaction.atomic
def category_catalogue_load() -> int:
    """Create the default catalogue and its time limits where missing (idempotent)."""
    created = 0
    for order, spec in enumerate(DEFAULT_CATALOGUE):
        top, made = CaseCategory.objects.get_or_create(
            code=spec.code,
            defaults={
                "name": spec.name,
                "description": spec.description,
                "default_department": spec.department,
                "is_public": spec.is_public,
                "sort_order": order * 10,
            },
        )
        created += made
        for child_order, (code, name) in enumerate(spec.children):
            _, made = CaseCategory.objects.get_or_create(
                code=code,
                defaults={
                    "name": name,
                    "parent": top,
                    "default_department": spec.department,
                    "is_public": spec.is_public,
                    "sort_order": child_order,
                },
            )
            created += made
    for urgency, limit in DEFAULT_LIMITS.items():
        TimeLimit.objects.get_or_create(
            category=None,
            urgency=urgency,
            defaults={
                "sign_hours": limit.sign_hours,
                "contact_hours": limit.contact_hours,
                "resolve_hours": limit.resolve_hours,
                "working_time": limit.working_time,
            },
        )
    for (code, urgency), limit in DEFAULT_CATEGORY_LIMITS.items():
        category = CaseCategory.objects.filter(code=code).first()
        if category is not None:
            TimeLimit.objects.get_or_create(
                category=category,
                urgency=urgency,
                defaults={
                    "sign_hours": limit.sign_hours,
                    "contact_hours": limit.contact_hours,
                    "resolve_hours": limit.resolve_hours,
                    "working_time": limit.working_time,
                },
            )
    selectors.category_cache_reset()
    return created


# --- intake -------------------------------------------------------------------------------


def may_report(actor: Any) -> bool:
    """Whether the pages should offer this person a report form (a leader reads only)."""
    try:
        _source_for(actor, None)
    except Forbidden:
        return False
    return True


def _source_for(actor: Any, requested: str | None) -> str:
    if isinstance(actor, ApiToken):
        return (
            requested
            if requested in (Source.API, Source.HOTLINE, Source.DEPARTMENT)
            else Source.API
        )
    user = actor if isinstance(actor, User) else None
    if user is None:
        raise Forbidden("login_required", "请先登录后再上报")
    if requested and requested in Source.values:
        if user.is_superuser or (requested == Source.RESIDENT and user.has_role(Role.RESIDENT)):
            return requested
        if requested == Source.PATROL and user.has_role(Role.GRID_WORKER, Role.COMMUNITY_WORKER):
            return requested
        if requested in (Source.HOTLINE, Source.DEPARTMENT) and user.has_role(*OPERATOR_ROLES):
            return requested
    if user.is_resident_only:
        return Source.RESIDENT
    if user.has_role(Role.GRID_WORKER):
        return Source.PATROL
    if user.has_role(*OPERATOR_ROLES) or user.is_superuser:
        return Source.HOTLINE
    if user.has_role(Role.DEPARTMENT_HANDLER):
        return Source.DEPARTMENT
    if user.has_role(Role.RESIDENT):
        return Source.RESIDENT
    raise Forbidden("case_forbidden", "您的账号不能上报案件（只读角色）")


def _point(lng: Any, lat: Any, coord_system: str) -> tuple[float | None, float | None]:
    if lng in (None, "") and lat in (None, ""):
        return None, None
    try:
        x, y = float(lng), float(lat)
    except (TypeError, ValueError):
        raise ValidationFailed("location_invalid", "位置坐标不是有效的数字") from None
    if not (73.0 <= x <= 136.0 and 3.0 <= y <= 54.0):
        raise ValidationFailed("location_out_of_range", "位置不在中国境内，请重新选择")
    if coord_system == "gcj02":
        x, y = geo.gcj02_to_wgs84(x, y)
    elif coord_system not in ("wgs84", "cgcs2000", ""):
        raise ValidationFailed("coord_system_invalid", "坐标系只能是 wgs84、cgcs2000 或 gcj02")
    return round(x, 7), round(y, 7)


@dataclass(frozen=True)
class PhotoUpload:
    """One upload to attach (an UploadedFile, a file object or bytes)."""

    content: Any
    kind: str = CasePhoto.Kind.REPORT


def _photos_prepare(uploads: Sequence[Any]) -> list[photos.PreparedPhoto]:
    """Decode, check and re-encode uploads — before any transaction is opened.

    Pillow's work takes up to seconds for nine large phone photos; done inside a transaction
    it would hold the case's row lock and, on SQLite, the database-wide write lock, stalling
    every other write of the county (ADR 0078). A bad photo is refused here, nothing written.
    """
    uploads = [u for u in uploads if u]
    if len(uploads) > photos.MAX_PHOTOS:
        raise ValidationFailed("too_many_photos", f"每次最多上传 {photos.MAX_PHOTOS} 张照片")
    return [u if isinstance(u, photos.PreparedPhoto) else photos.photo_prepare(u) for u in uploads]


def _attach_photos(
    case: Case,
    event: CaseEvent,
    actor: Any,
    prepared: Sequence[photos.PreparedPhoto],
    kind: str,
) -> list[CasePhoto]:
    """Store photos already prepared by `_photos_prepare` (files and rows; no decoding here)."""
    if not prepared:
        return []
    already = case.photos.count() if case.pk else 0
    if len(prepared) + already > photos.MAX_PHOTOS * 2:
        raise ValidationFailed("too_many_photos", f"每次最多上传 {photos.MAX_PHOTOS} 张照片")
    saved = []
    for item in prepared:
        photo = CasePhoto(
            case=case,
            region=case.region,
            event=event,
            kind=kind,
            width=item.width,
            height=item.height,
            size=len(item.content),
            sha256=item.sha256,
            exif_lng=item.exif_lng,
            exif_lat=item.exif_lat,
            uploaded_by=_user(actor),
        )
        photo.file.save(f"{item.sha256}.jpg", ContentFile(item.content), save=False)
        photo.save()
        saved.append(photo)
    return saved


def case_report(
    *,
    actor: Any,
    category_code: str,
    description: str,
    region_code: str | None = None,
    lng: float | str | None = None,
    lat: float | str | None = None,
    coord_system: str = "wgs84",
    address: str = "",
    urgency: str = Urgency.NORMAL,
    source: str | None = None,
    reporter_name: str = "",
    reporter_phone: str = "",
    external_ref: str = "",
    photo_uploads: Sequence[Any] = (),
    self_handle: bool = False,
) -> Case:
    """Take in a case from a resident, a grid worker, an operator or another system.

    Everything that reads or computes (category, region from the point, rights, photos) is
    done first; the transaction holds only the writes, so that on SQLite — one writer at a
    time — the write lock is held for two inserts and the commit, not for the checks and
    never for image decoding (ADR 0078).
    """
    category = selectors.category_by_code((category_code or "").strip())
    if category is None:
        raise ValidationFailed(
            "category_unknown", "请选择有效的问题分类", {"category": category_code}
        )
    description = _text(description, DESCRIPTION_MAX, "问题描述", required=True)
    if len(description) < DESCRIPTION_MIN:
        raise ValidationFailed("description_too_short", f"问题描述至少 {DESCRIPTION_MIN} 个字")
    if urgency not in Urgency.values:
        raise ValidationFailed("urgency_invalid", "紧急程度只能是“一般”或“紧急”")
    address = _text(address, 200, "地址")
    resolved_source = _source_for(actor, source)
    x, y = _point(lng, lat, (coord_system or "wgs84").lower())

    region: Region | None = None
    if region_code:
        region = selectors.case_region_by_code(str(region_code).strip())
        if region is None:
            raise ValidationFailed(
                "region_unknown", "所选社区或网格不存在", {"region": region_code}
            )
    elif x is not None and y is not None:
        region = selectors.region_for_point(x, y)
        if region is None:
            raise ValidationFailed(
                "region_unresolved", "无法根据位置确定所属社区，请手动选择所在社区或网格"
            )
    else:
        raise ValidationFailed("location_required", "请在地图上选择位置，或选择所在社区/网格")

    user = actor if isinstance(actor, User) else None
    is_resident = resolved_source == Source.RESIDENT
    # Staff and integrations report only inside the regions they may write to.
    if not is_resident and not _may_write(actor, region.code):
        if not scope_of(actor).covers(region.code):
            raise NotFound("region_not_found", "所选区划不存在或无权上报")
        raise Forbidden("case_forbidden", "您无权在该区划上报案件")

    if self_handle:
        _require(
            resolved_source == Source.PATROL and user is not None, "只有网格员巡查上报可以就地处置"
        )
    phone = normalize_phone(reporter_phone)
    if phone and not is_valid_phone(phone):
        raise ValidationFailed("phone_invalid", "联系电话格式不正确，应为 11 位手机号")
    name = _text(reporter_name, 50, "上报人姓名")
    if user is not None and resolved_source in (Source.RESIDENT, Source.PATROL):
        name = name or user.display_name or user.username
        phone = phone or user.phone

    case = Case(
        region=region,
        category=category,
        source=resolved_source,
        urgency=urgency,
        status=Status.REPORTED,
        description=description,
        address=address,
        lng=x,
        lat=y,
        reporter=user if resolved_source in (Source.RESIDENT, Source.PATROL) else None,
        reporter_name=name,
        reporter_phone=phone,
        reporter_phone_hash=blind_index(phone),
        external_ref=_text(external_ref, 100, "外部编号"),
    )
    prepared = _photos_prepare(photo_uploads)
    event = _new_event(case, actor, CaseEvent.Action.REPORT, data={"source": resolved_source})
    # Both rows' values are computed here, outside the writer lock (ADR 0112).
    rows = [prepare_insert(case), prepare_insert(event)]
    if not prepared and not self_handle and urgency != Urgency.URGENT:
        insert_durably(rows)  # the usual report: two rows, nothing else
        return case

    def write() -> None:
        insert_together(rows)
        _attach_photos(case, event, actor, prepared, CasePhoto.Kind.REPORT)
        if self_handle:
            assert user is not None
            _self_handle(case, user)
        elif urgency == Urgency.URGENT:
            notify(
                users=_role_holders(
                    [Role.TOWN_STAFF, Role.COMMUNITY_WORKER],
                    [_town_code(case), case.region_code[:12]],
                ),
                case=case,
                kind=Notification.Kind.OTHER,
                title=f"紧急案件待受理：{category.name}",
                body=description[:80],
                sms=True,
            )

    # Concurrent reports of this process share one durable commit (ADR 0093).
    run_in_group_commit(write)
    return case


def _may_add_report_photos(actor: Any, case: Case) -> bool:
    """The reporter, or an operator of the case's region (staff or an integration's token)."""
    user = _user(actor) if isinstance(actor, User) else None
    is_reporter = user is not None and case.reporter_id == user.pk
    return is_reporter or _is_operator(actor, case)


def case_photos_add(*, actor: Any, case_id: int, photo_uploads: Sequence[Any]) -> list[CasePhoto]:
    """补充照片: the reporter or an operator adds photos to an open case's report — the API's
    photo upload (ADR 0080). At most MAX_PHOTOS report photos per case; a photo already on the
    case (same content after cleaning) is not stored twice, so a retried upload is harmless.

    404 for a case the actor may not see and 403 for one they may not add to come before
    any decoding; the decoding comes before the transaction (ADR 0078).
    """
    case = selectors.case_get_visible(actor, case_id)
    _require(_may_add_report_photos(actor, case), "只有上报人或本辖区的受理人员可以补充照片")
    if not any(photo_uploads):
        raise ValidationFailed("photos_required", "请选择要上传的照片")
    prepared = _photos_prepare(photo_uploads)
    return _case_photos_add(actor=actor, case_id=case_id, prepared=prepared)


@transaction.atomic
def _case_photos_add(
    *, actor: Any, case_id: int, prepared: Sequence[photos.PreparedPhoto]
) -> list[CasePhoto]:
    case = _lock(actor, case_id, None)
    _require(_may_add_report_photos(actor, case), "只有上报人或本辖区的受理人员可以补充照片")
    if case.status not in OPEN_STATUSES:
        raise Conflict(
            "case_bad_state",
            f"案件当前为“{_status_text(case)}”，不能再补充照片",
            {"status": case.status, "version": case.version},
        )
    stored = set(case.photos.filter(kind=CasePhoto.Kind.REPORT).values_list("sha256", flat=True))
    fresh: dict[str, photos.PreparedPhoto] = {}
    for item in prepared:
        if item.sha256 not in stored:
            fresh.setdefault(item.sha256, item)
    if len(stored) + len(fresh) > photos.MAX_PHOTOS:
        raise ValidationFailed(
            "too_many_photos",
            f"每个案件最多 {photos.MAX_PHOTOS} 张上报照片，已有 {len(stored)} 张",
            {"stored": len(stored), "max": photos.MAX_PHOTOS},
        )
    if not fresh:
        return []
    event = _event(case, actor, CaseEvent.Action.PHOTOS, data={"count": len(fresh)})
    return _attach_photos(case, event, actor, list(fresh.values()), CasePhoto.Kind.REPORT)


def _self_handle(case: Case, worker: User) -> None:
    """A grid worker's patrol finding they handle on the spot (就地处置): accepted,
    dispatched to themselves, signed and contacted at once."""
    now = timezone.now()
    limits = selectors.limits_for(case.category, case.urgency)
    case.status = Status.ACCEPTED
    case.accepted_at = now
    _event(case, worker, CaseEvent.Action.ACCEPT, from_status=Status.REPORTED, note="就地处置")
    assignment = CaseAssignment.objects.create(
        case=case,
        region=case.region,
        role=CaseAssignment.Role.LEAD,
        worker=worker,
        state=CaseAssignment.State.SIGNED,
        sign_deadline=worktime.add_hours(now, limits.sign_hours, working_time=limits.working_time),
        signed_at=now,
        signed_by=worker,
        dispatched_by=worker,
    )
    _set_deadlines(case, now, limits)
    case.status = Status.IN_PROGRESS
    case.dispatched_at = case.signed_at = case.first_contact_at = now
    case.responded_in_time = True
    _save(
        case,
        "status",
        "accepted_at",
        "dispatched_at",
        "signed_at",
        "first_contact_at",
        "responded_in_time",
        "sign_deadline",
        "contact_deadline",
        "resolve_deadline",
        "working_time",
    )
    _event(
        case,
        worker,
        CaseEvent.Action.DISPATCH,
        from_status=Status.ACCEPTED,
        note="网格员就地处置",
        data={"assignments": [assignment.pk], "self": True},
    )
    _schedule_deadline_check(case)


def _set_deadlines(case: Case, start: datetime, limits: Any) -> None:
    case.working_time = limits.working_time
    case.sign_deadline = worktime.add_hours(
        start, limits.sign_hours, working_time=limits.working_time
    )
    case.contact_deadline = worktime.add_hours(
        start, limits.contact_hours, working_time=limits.working_time
    )
    case.resolve_deadline = worktime.add_hours(
        start, limits.resolve_hours, working_time=limits.working_time
    )
    case.warned_at = None


def _schedule_deadline_check(case: Case) -> None:
    """Enqueue the per-case deadline task at the next deadline (after commit). The periodic
    sweep catches anything a lost or early task misses."""
    from linli.cases.tasks import case_deadline_task_schedule

    transaction.on_commit(lambda: case_deadline_task_schedule(case.pk))


@transaction.atomic
def case_follow(*, actor: Any, case_id: int) -> CaseFollower:
    """A resident joins an existing open case instead of reporting it again."""
    user = actor if isinstance(actor, User) else None
    _require(user is not None, "请先登录")
    case = (
        Case.objects.select_for_update(of=("self",))
        .select_related("region")
        .filter(pk=case_id)
        .first()
    )
    if case is None or case.status not in OPEN_STATUSES:
        raise NotFound("case_not_found", "该问题不存在或已办结")
    follower, created = CaseFollower.objects.get_or_create(case=case, user=user)
    if created:
        _event(case, actor, CaseEvent.Action.FOLLOW, note="附近居民反映相同问题")
    return follower


# --- acceptance ---------------------------------------------------------------------------


@transaction.atomic
def case_accept(
    *,
    actor: Any,
    case_id: int,
    version: int | None = None,
    note: str = "",
    category_code: str | None = None,
    urgency: str | None = None,
) -> Case:
    case = _lock(actor, case_id, version)
    _require(_is_operator(actor, case))
    _check_from(case, (Status.REPORTED,), "受理")
    fields = ["status", "accepted_at"]
    if category_code and category_code != case.category.code:
        category = selectors.category_by_code(category_code)
        if category is None:
            raise ValidationFailed("category_unknown", "请选择有效的问题分类")
        case.category = category
        fields.append("category")
    if urgency and urgency != case.urgency:
        if urgency not in Urgency.values:
            raise ValidationFailed("urgency_invalid", "紧急程度只能是“一般”或“紧急”")
        case.urgency = urgency
        fields.append("urgency")
    previous = case.status
    case.status = Status.ACCEPTED
    case.accepted_at = timezone.now()
    _save(case, *fields)
    _event(
        case, actor, CaseEvent.Action.ACCEPT, from_status=previous, note=_text(note, 500, "说明")
    )
    return case


@transaction.atomic
def case_reject(
    *,
    actor: Any,
    case_id: int,
    reason: str,
    note: str = "",
    redirect_to: str = "",
    version: int | None = None,
) -> Case:
    """不予受理: an invalid or duplicate case, or one that belongs elsewhere (and where)."""
    case = _lock(actor, case_id, version)
    _require(_is_operator(actor, case))
    _check_from(case, (Status.REPORTED, Status.ACCEPTED), "不予受理")
    if reason not in RejectReason.values:
        raise ValidationFailed("reject_reason_invalid", "请选择不予受理的原因")
    note = _text(note, 500, "说明", required=True)
    redirect_to = _text(redirect_to, 200, "办理渠道")
    if reason == RejectReason.NOT_OURS and not redirect_to:
        raise ValidationFailed("redirect_required", "非本平台职责的诉求，请告知诉求人办理渠道")
    previous = case.status
    case.status = Status.REJECTED
    case.reject_reason = reason
    case.redirect_to = redirect_to
    case.closed_at = timezone.now()
    _save(case, "status", "reject_reason", "redirect_to", "closed_at")
    _event(
        case,
        actor,
        CaseEvent.Action.REJECT,
        from_status=previous,
        note=note,
        data={"reason": reason, "redirect_to": redirect_to},
    )
    notify(
        users=_reporters(case),
        case=case,
        kind=Notification.Kind.RESULT,
        title=f"您反映的问题（{case.number}）未予受理",
        body=f"{_site_text(RejectReason(reason).label)}：{note}"
        + (f"。办理渠道：{redirect_to}" if redirect_to else ""),
        sms=True,
    )
    return case


@transaction.atomic
def case_merge(
    *, actor: Any, case_id: int, into_case_id: int, note: str = "", version: int | None = None
) -> Case:
    """A duplicate joins the earlier case: its reporter follows the earlier one and hears its
    result; the duplicate is closed as merged."""
    if int(case_id) == int(into_case_id):
        raise ValidationFailed("merge_self", "不能把案件合并到它自己")
    target = selectors.case_get_visible(actor, into_case_id)
    case = _lock(actor, case_id, version)
    _require(_is_operator(actor, case))
    _check_from(case, (Status.REPORTED, Status.ACCEPTED), "合并")
    target = Case.objects.select_for_update(of=("self",)).select_related("region").get(pk=target.pk)
    if target.status in FINAL_STATUSES:
        raise Conflict("merge_target_closed", "目标案件已关闭，不能合并")
    previous = case.status
    case.status = Status.MERGED
    case.merged_into = target
    case.closed_at = timezone.now()
    _save(case, "status", "merged_into", "closed_at")
    _event(
        case,
        actor,
        CaseEvent.Action.MERGE,
        from_status=previous,
        note=note,
        data={"into": target.pk},
    )
    moved = 0
    for person in _reporters(case):
        if person.pk != target.reporter_id:
            moved += CaseFollower.objects.get_or_create(case=target, user=person)[1]
    _event(
        target,
        actor,
        CaseEvent.Action.MERGE,
        note=f"合并了重复案件 {case.number}",
        data={"from": case.pk},
    )
    notify(
        users=_reporters(case),
        case=target,
        kind=Notification.Kind.OTHER,
        title=f"您反映的问题已并入案件 {target.number} 一并办理",
        body="办理结果会同时通知您。",
    )
    return case


# --- dispatch, escalation -----------------------------------------------------------------


@transaction.atomic
def case_dispatch(
    *,
    actor: Any,
    case_id: int,
    worker_id: int | None = None,
    department_ids: Sequence[int] = (),
    lead_department_id: int | None = None,
    note: str = "",
    version: int | None = None,
) -> Case:
    """派单 to a grid worker, or to one or several departments with a lead (主办) and helpers
    (协办). An escalated (吹哨) case is dispatched by the town."""
    case = _lock(actor, case_id, version)
    _require(_is_operator(actor, case))
    _check_from(
        case, (Status.REPORTED, Status.ACCEPTED, Status.ESCALATED, Status.DISPATCHED), "派单"
    )
    if case.status == Status.ESCALATED:
        _require(
            isinstance(actor, ApiToken) or _has_role(actor, TOWN_ROLES),
            "网格吹哨的案件由镇（街道）统一派单",
        )
    department_ids = [int(d) for d in department_ids if d not in (None, "")]
    if bool(worker_id) == bool(department_ids):
        raise ValidationFailed("dispatch_target", "请选择一名网格员，或一个及以上的部门")
    now = timezone.now()
    limits = selectors.limits_for(case.category, case.urgency)
    sign_deadline = worktime.add_hours(now, limits.sign_hours, working_time=limits.working_time)
    targets: list[tuple[str, User | None, Organisation | None]] = []
    if worker_id:
        worker = selectors.worker_choices(case).filter(pk=worker_id).first()
        if worker is None:
            raise ValidationFailed("worker_invalid", "只能派给本社区的网格员或社区工作者")
        targets.append((CaseAssignment.Role.LEAD, worker, None))
    else:
        departments = {
            d.pk: d for d in selectors.department_choices(case).filter(pk__in=department_ids)
        }
        missing = set(department_ids) - set(departments)
        if missing:
            raise ValidationFailed(
                "department_invalid", "所选部门不存在或不在本县（镇）", {"ids": sorted(missing)}
            )
        lead_id = int(lead_department_id) if lead_department_id else department_ids[0]
        if lead_id not in departments:
            raise ValidationFailed("lead_invalid", "主办部门必须是所选部门之一")
        targets.append((CaseAssignment.Role.LEAD, None, departments[lead_id]))
        targets += [
            (CaseAssignment.Role.HELPER, None, d) for pk, d in departments.items() if pk != lead_id
        ]
    # A re-dispatch (改派) withdraws what is still pending or signed.
    withdrawn = case.assignments.filter(
        state__in=(CaseAssignment.State.PENDING, CaseAssignment.State.SIGNED)
    ).update(state=CaseAssignment.State.CANCELLED)
    created = CaseAssignment.objects.bulk_create(
        [
            CaseAssignment(
                case=case,
                region=case.region,
                region_code=case.region_code,
                role=role,
                worker=worker,
                department=department,
                sign_deadline=sign_deadline,
                dispatched_by=_user(actor),
            )
            for role, worker, department in targets
        ]
    )
    previous = case.status
    if previous == Status.REPORTED:
        case.accepted_at = now
        _event(case, actor, CaseEvent.Action.ACCEPT, from_status=previous, note="受理并派单")
        case.status = Status.ACCEPTED
        previous = Status.ACCEPTED
    case.status = Status.DISPATCHED
    case.dispatched_at = case.dispatched_at or now
    _set_deadlines(case, now, limits)
    _save(
        case,
        "status",
        "accepted_at",
        "dispatched_at",
        "sign_deadline",
        "contact_deadline",
        "resolve_deadline",
        "working_time",
        "warned_at",
    )
    labels = [
        f"{(d.name if d else str(w))}（{_site_text(CaseAssignment.Role(r).label)}）"
        for r, w, d in targets
    ]
    # What the reporter may read: the department, but never a staff member's name.
    public_labels = [
        f"{(d.name if d else '网格员')}（{_site_text(CaseAssignment.Role(r).label)}）"
        for r, w, d in targets
    ]
    _event(
        case,
        actor,
        CaseEvent.Action.DISPATCH,
        from_status=previous,
        note=_text(note, 500, "派单意见"),
        data={
            "assignments": [a.pk for a in created],
            "targets": labels,
            "public_targets": public_labels,
            "withdrawn": withdrawn,
            "sign_deadline": sign_deadline.isoformat(),
            "resolve_deadline": case.resolve_deadline.isoformat()
            if case.resolve_deadline
            else None,
        },
    )
    for assignment in created:
        notify(
            users=_assignment_people(assignment),
            case=case,
            kind=Notification.Kind.DISPATCH,
            title=f"新派单（{_site_text(CaseAssignment.Role(assignment.role).label)}）：{case.category.name}",
            body=(
                f"案件 {case.number}，请于 {timezone.localtime(sign_deadline):%m月%d日 %H:%M} "
                f"前签收。{case.address}"
            ),
            sms=True,
        )
    _schedule_deadline_check(case)
    return case


@transaction.atomic
def case_escalate(*, actor: Any, case_id: int, note: str, version: int | None = None) -> Case:
    """网格吹哨: the grid (or community) cannot solve it alone; the town takes it over and
    dispatches departments."""
    case = _lock(actor, case_id, version)
    mine = _assignment_of(actor, case)
    is_worker = mine is not None and mine.worker_id is not None
    is_community = _has_role(actor, (Role.COMMUNITY_WORKER,)) and _may_write(
        actor, case.region_code
    )
    _require(is_worker or is_community, "只有承办的网格员或社区工作者可以吹哨")
    _check_from(
        case, (Status.ACCEPTED, Status.DISPATCHED, Status.SIGNED, Status.IN_PROGRESS), "吹哨"
    )
    note = _text(note, 500, "吹哨理由", required=True)
    case.assignments.filter(
        state__in=(CaseAssignment.State.PENDING, CaseAssignment.State.SIGNED)
    ).update(state=CaseAssignment.State.DONE)
    previous = case.status
    case.status = Status.ESCALATED
    _save(case, "status")
    _event(case, actor, CaseEvent.Action.ESCALATE, from_status=previous, note=note)
    notify(
        users=_role_holders([Role.TOWN_STAFF], [_town_code(case)])
        or _role_holders([Role.COUNTY_ADMIN], [_county_code(case)]),
        case=case,
        kind=Notification.Kind.ESCALATED,
        title=f"网格吹哨：{case.category.name}（{case.region.name}）",
        body=note[:120],
        sms=True,
    )
    return case


# --- handling -----------------------------------------------------------------------------


@transaction.atomic
def case_sign(*, actor: Any, case_id: int, note: str = "", version: int | None = None) -> Case:
    """签收 (部门报到): the assignee takes the case. The lead's signature moves the case on."""
    case = _lock(actor, case_id, version)
    assignment = _assignment_of(actor, case, states=(CaseAssignment.State.PENDING,))
    _require(assignment is not None, "该案件没有派给您或您的部门，或已签收")
    assert assignment is not None
    is_lead = assignment.role == CaseAssignment.Role.LEAD
    if is_lead:
        _check_from(case, (Status.DISPATCHED,), "签收")
    else:
        _check_from(case, HANDLING_STATUSES, "签收")
    now = timezone.now()
    assignment.state = CaseAssignment.State.SIGNED
    assignment.signed_at = now
    assignment.signed_by = _user(actor)
    assignment.save(update_fields=["state", "signed_at", "signed_by", "updated_at"])
    previous = case.status
    fields = []
    if is_lead:
        case.status = Status.SIGNED
        case.signed_at = case.signed_at or now
        fields += ["status", "signed_at"]
        if case.sign_deadline and now > case.sign_deadline and case.responded_in_time is None:
            case.responded_in_time = False
            fields.append("responded_in_time")
    _save(case, *fields)
    _event(
        case,
        actor,
        CaseEvent.Action.SIGN,
        from_status=previous if is_lead else "",
        note=_text(note, 500, "说明"),
        data={
            "assignment": assignment.pk,
            "role": assignment.role,
            "target": assignment.target_label,
        },
    )
    return case


def _decide_response(case: Case, now: datetime) -> None:
    """响应: signed for and contacted within the limits — decided once, at first contact."""
    if case.responded_in_time is not None:
        return
    signed_ok = case.sign_deadline is None or (
        case.signed_at is not None and case.signed_at <= case.sign_deadline
    )
    contact_ok = case.contact_deadline is None or now <= case.contact_deadline
    case.responded_in_time = bool(signed_ok and contact_ok)


@transaction.atomic
def case_contact(*, actor: Any, case_id: int, note: str = "", version: int | None = None) -> Case:
    """First contact with the reporter (or on-site check); handling begins (处置中)."""
    case = _lock(actor, case_id, version)
    assignment = _assignment_of(actor, case, states=(CaseAssignment.State.SIGNED,))
    _require(
        assignment is not None and assignment.role == CaseAssignment.Role.LEAD,
        "只有主办方可以联系诉求人并开始处置",
    )
    _check_from(case, (Status.SIGNED, Status.IN_PROGRESS), "开始处置")
    now = timezone.now()
    previous = case.status
    fields = ["status"]
    if case.first_contact_at is None:
        case.first_contact_at = now
        _decide_response(case, now)
        fields += ["first_contact_at", "responded_in_time"]
    case.status = Status.IN_PROGRESS
    _save(case, *fields)
    _event(
        case,
        actor,
        CaseEvent.Action.CONTACT if previous == Status.SIGNED else CaseEvent.Action.PROGRESS,
        from_status=previous if previous != case.status else "",
        note=_text(note, 500, "说明"),
    )
    return case


def _photos_for(actor: Any, case_id: int | str, uploads: Sequence[Any]) -> list[Any]:
    """Photos of a transition, prepared before its transaction (404 first for a case the
    actor may not see, so a bad photo tells nothing about it)."""
    if not any(uploads):
        return []
    selectors.case_get_visible(actor, case_id)
    return _photos_prepare(uploads)


def case_progress(
    *, actor: Any, case_id: int, note: str, photo_uploads: Sequence[Any] = ()
) -> CaseEvent:
    """A progress note (and photos) while handling; changes no state, so it never conflicts."""
    prepared = _photos_for(actor, case_id, photo_uploads)
    return _case_progress(actor=actor, case_id=case_id, note=note, prepared=prepared)


@transaction.atomic
def _case_progress(
    *, actor: Any, case_id: int, note: str, prepared: Sequence[photos.PreparedPhoto]
) -> CaseEvent:
    case = _lock(actor, case_id, None)
    _require(_assignment_of(actor, case) is not None or _is_operator(actor, case))
    _check_from(case, HANDLING_STATUSES, "记录处置进展")
    event = _event(
        case, actor, CaseEvent.Action.PROGRESS, note=_text(note, 500, "进展说明", required=True)
    )
    _attach_photos(case, event, actor, prepared, CasePhoto.Kind.PROGRESS)
    return event


def case_resolve(
    *,
    actor: Any,
    case_id: int,
    result: str,
    photo_uploads: Sequence[Any] = (),
    version: int | None = None,
) -> Case:
    """已办结: the lead reports the result (with photos); the reporter is asked to rate."""
    prepared = _photos_for(actor, case_id, photo_uploads)
    return _case_resolve(
        actor=actor, case_id=case_id, result=result, prepared=prepared, version=version
    )


@transaction.atomic
def _case_resolve(
    *,
    actor: Any,
    case_id: int,
    result: str,
    prepared: Sequence[photos.PreparedPhoto],
    version: int | None,
) -> Case:
    case = _lock(actor, case_id, version)
    assignment = _assignment_of(actor, case, states=(CaseAssignment.State.SIGNED,))
    _require(
        assignment is not None and assignment.role == CaseAssignment.Role.LEAD,
        "只有已签收的主办方可以办结",
    )
    _check_from(case, (Status.SIGNED, Status.IN_PROGRESS), "办结")
    result = _text(result, 2000, "办理结果", required=True)
    now = timezone.now()
    previous = case.status
    if case.first_contact_at is None:
        case.first_contact_at = now
        _decide_response(case, now)
    case.status = Status.RESOLVED
    case.result = result
    case.resolved_at = now
    case.handling_seconds = max(0, int((now - case.created_at).total_seconds()))
    _save(
        case,
        "status",
        "result",
        "resolved_at",
        "handling_seconds",
        "first_contact_at",
        "responded_in_time",
    )
    case.assignments.filter(state=CaseAssignment.State.SIGNED).update(
        state=CaseAssignment.State.DONE
    )
    event = _event(case, actor, CaseEvent.Action.RESOLVE, from_status=previous, note=result)
    _attach_photos(case, event, actor, prepared, CasePhoto.Kind.RESULT)
    handlers = _handlers(case)
    notify(
        users=[person for person in _reporters(case) if person.pk not in handlers],
        case=case,
        kind=Notification.Kind.RATE,
        title=f"您反映的问题（{case.number}）已办结，请评价",
        body=result[:120],
        sms=True,
    )
    return case


@transaction.atomic
def case_return(*, actor: Any, case_id: int, reason: str, version: int | None = None) -> Case:
    """退回: an assignee says the case was wrongly dispatched. The lead's return sends the
    case back to the dispatcher (已受理, to dispatch again); a helper's only withdraws them."""
    case = _lock(actor, case_id, version)
    assignment = _assignment_of(actor, case)
    _require(assignment is not None, "该案件没有派给您或您的部门")
    assert assignment is not None
    _check_from(case, HANDLING_STATUSES, "退回")
    reason = _text(reason, 200, "退回理由", required=True)
    assignment.state = CaseAssignment.State.RETURNED
    assignment.return_reason = reason
    assignment.save(update_fields=["state", "return_reason", "updated_at"])
    previous = case.status
    fields: list[str] = []
    if assignment.role == CaseAssignment.Role.LEAD:
        case.assignments.filter(
            state__in=(CaseAssignment.State.PENDING, CaseAssignment.State.SIGNED)
        ).update(state=CaseAssignment.State.CANCELLED)
        case.status = Status.ACCEPTED
        fields.append("status")
    _save(case, *fields)
    _event(
        case,
        actor,
        CaseEvent.Action.RETURN,
        from_status=previous if fields else "",
        note=reason,
        data={"assignment": assignment.pk, "target": assignment.target_label},
    )
    dispatcher = assignment.dispatched_by
    notify(
        users=[dispatcher] if dispatcher else _supervisors_one_level_up(case),
        case=case,
        kind=Notification.Kind.RETURNED,
        title=f"案件 {case.number} 被{assignment.target_label}退回",
        body=reason,
    )
    return case


# --- rating, reopening, closing ---------------------------------------------------------------


@transaction.atomic
def case_rate(
    *,
    actor: Any,
    case_id: int,
    is_solved: bool,
    is_satisfied: bool,
    score: int,
    comment: str = "",
    version: int | None = None,
) -> Case:
    """回访评价: the resident (or an operator by phone callback) answers solved? satisfied?
    1–5. Solved closes the case; not solved reopens it to the same handlers."""
    case = _lock(actor, case_id, version)
    user = actor if isinstance(actor, User) else None
    is_reporter = user is not None and user.pk in {p.pk for p in _reporters(case)}
    _require(is_reporter or _is_operator(actor, case), "只有诉求人或回访人员可以评价")
    _require(user is None or user.pk not in _handlers(case), "办理人不能评价自己办理的案件")
    _check_from(case, (Status.RESOLVED,), "评价")
    try:
        score = int(score)
    except (TypeError, ValueError):
        raise ValidationFailed("score_invalid", "评分应为 1 到 5 分") from None
    if not 1 <= score <= 5:
        raise ValidationFailed("score_invalid", "评分应为 1 到 5 分")
    now = timezone.now()
    previous = case.status
    case.rated_at = now
    case.is_solved = bool(is_solved)
    case.is_satisfied = bool(is_satisfied)
    case.rating_score = score
    case.rating_comment = _text(comment, 200, "评价意见")
    case.rating_channel = "resident" if is_reporter else "callback"
    fields = [
        "rated_at",
        "is_solved",
        "is_satisfied",
        "rating_score",
        "rating_comment",
        "rating_channel",
    ]
    if is_solved:
        case.status = Status.CLOSED
        case.closed_at = now
        fields += ["status", "closed_at"]
    _save(case, *fields)
    _event(
        case,
        actor,
        CaseEvent.Action.RATE,
        from_status=previous if is_solved else "",
        note=case.rating_comment,
        data={
            "solved": bool(is_solved),
            "satisfied": bool(is_satisfied),
            "score": score,
            "channel": case.rating_channel,
        },
    )
    if not is_solved:
        _reopen(case, actor, "诉求人反映问题未解决")
    return case


def _reopen(case: Case, actor: Any, reason: str) -> None:
    """Back to the lead that resolved it, with a fresh resolution limit."""
    now = timezone.now()
    previous = case.status
    lead = _lead(case)
    if lead is not None:
        lead.state = CaseAssignment.State.SIGNED
        lead.save(update_fields=["state", "updated_at"])
        case.status = Status.IN_PROGRESS
        limits = selectors.limits_for(case.category, case.urgency)
        case.resolve_deadline = worktime.add_hours(
            now, limits.resolve_hours, working_time=limits.working_time
        )
        case.warned_at = None
    else:
        case.status = Status.ACCEPTED
    case.reopened_count += 1
    case.resolved_at = None
    case.closed_at = None
    _save(
        case,
        "status",
        "resolve_deadline",
        "warned_at",
        "reopened_count",
        "resolved_at",
        "closed_at",
    )
    _event(case, actor, CaseEvent.Action.REOPEN, from_status=previous, note=reason)
    if lead is not None:
        notify(
            users=_assignment_people(lead),
            case=case,
            kind=Notification.Kind.OTHER,
            title=f"案件 {case.number} 被重新打开",
            body=reason,
            sms=True,
        )
        _schedule_deadline_check(case)


@transaction.atomic
def case_reopen(*, actor: Any, case_id: int, reason: str, version: int | None = None) -> Case:
    case = _lock(actor, case_id, version)
    _require(_is_operator(actor, case))
    _check_from(case, (Status.RESOLVED, Status.CLOSED), "重新打开")
    _reopen(case, actor, _text(reason, 500, "重新打开理由", required=True))
    return case


@transaction.atomic
def case_close(*, actor: Any, case_id: int, note: str = "", version: int | None = None) -> Case:
    """Close a resolved case without a rating (e.g. the resident cannot be reached)."""
    case = _lock(actor, case_id, version)
    _require(_is_operator(actor, case))
    _check_from(case, (Status.RESOLVED,), "关闭")
    previous = case.status
    case.status = Status.CLOSED
    case.closed_at = timezone.now()
    _save(case, "status", "closed_at")
    _event(case, actor, CaseEvent.Action.CLOSE, from_status=previous, note=_text(note, 500, "说明"))
    return case


# --- supervision and extensions ---------------------------------------------------------------


@transaction.atomic
def case_supervise(*, actor: Any, case_id: int, note: str) -> Case:
    """督办: a supervisor urges the handlers. No state change, so it never blocks them."""
    case = _lock(actor, case_id, None)
    _require(_is_supervisor(actor, case), "只有镇（街道）或县级工作人员可以督办")
    _check_from(case, (*OPEN_STATUSES, Status.RESOLVED), "督办")
    note = _text(note, 500, "督办意见", required=True)
    case.supervised_count += 1
    _save(case, "supervised_count", bump=False)
    _event(case, actor, CaseEvent.Action.SUPERVISE, note=note)
    notify(
        users=_assignees(case) or _supervisors_one_level_up(case),
        case=case,
        kind=Notification.Kind.SUPERVISE,
        title=f"督办：案件 {case.number}",
        body=note,
        sms=True,
    )
    return case


@transaction.atomic
def case_extension_request(
    *, actor: Any, case_id: int, hours: float | str, reason: str, version: int | None = None
) -> Case:
    """延期申请 by the lead; a supervisor approves or denies it."""
    case = _lock(actor, case_id, version)
    assignment = _assignment_of(actor, case, states=(CaseAssignment.State.SIGNED,))
    _require(
        assignment is not None and assignment.role == CaseAssignment.Role.LEAD,
        "只有主办方可以申请延期",
    )
    _check_from(case, (Status.SIGNED, Status.IN_PROGRESS), "申请延期")
    if case.extension_hours:
        raise Conflict("extension_pending", "已有待审批的延期申请")
    try:
        hours = float(hours)
    except (TypeError, ValueError):
        raise ValidationFailed("extension_hours_invalid", "延期时长应为 1 到 720 小时") from None
    if not 1 <= hours <= 720:
        raise ValidationFailed("extension_hours_invalid", "延期时长应为 1 到 720 小时")
    case.extension_hours = hours
    case.extension_reason = _text(reason, 200, "延期理由", required=True)
    _save(case, "extension_hours", "extension_reason")
    _event(
        case,
        actor,
        CaseEvent.Action.EXTEND_REQUEST,
        note=case.extension_reason,
        data={"hours": hours},
    )
    notify(
        users=_role_holders([Role.TOWN_STAFF], [_town_code(case)]),
        case=case,
        kind=Notification.Kind.EXTENSION,
        title=f"延期申请：案件 {case.number}（{hours:g} 小时）",
        body=case.extension_reason,
    )
    return case


@transaction.atomic
def case_extension_decide(
    *, actor: Any, case_id: int, approve: bool, note: str = "", version: int | None = None
) -> Case:
    case = _lock(actor, case_id, version)
    _require(_is_supervisor(actor, case), "只有镇（街道）或县级工作人员可以审批延期")
    if not case.extension_hours:
        raise Conflict("extension_none", "该案件没有待审批的延期申请")
    hours = case.extension_hours
    if approve and case.resolve_deadline:
        case.resolve_deadline = worktime.add_hours(
            case.resolve_deadline, hours, working_time=case.working_time
        )
        case.warned_at = None
    case.extension_hours = None
    case.extension_reason = ""
    _save(case, "resolve_deadline", "warned_at", "extension_hours", "extension_reason")
    _event(
        case,
        actor,
        CaseEvent.Action.EXTEND_APPROVE if approve else CaseEvent.Action.EXTEND_DENY,
        note=_text(note, 500, "审批意见"),
        data={
            "hours": hours,
            "resolve_deadline": case.resolve_deadline.isoformat()
            if case.resolve_deadline
            else None,
        },
    )
    notify(
        users=_assignees(case),
        case=case,
        kind=Notification.Kind.EXTENSION,
        title=f"延期申请已{'批准' if approve else '驳回'}：案件 {case.number}",
        body=note,
    )
    if approve:
        _schedule_deadline_check(case)
    return case


# --- notifications ------------------------------------------------------------------------------


def notification_mark_read(*, user: User, ids: Sequence[int] | None = None) -> int:
    rows = Notification.objects.filter(user=user, read_at__isnull=True)
    if ids is not None:
        rows = rows.filter(pk__in=list(ids))
    return rows.update(read_at=timezone.now())


# --- deadlines: the per-case check and the sweep -----------------------------------------------


@dataclass
class SweepReport:
    sign_overdue: int = 0
    contact_overdue: int = 0
    resolve_overdue: int = 0
    level_two: int = 0
    warned: int = 0
    auto_closed: int = 0
    case_ids: set[int] = field(default_factory=set)

    @property
    def total(self) -> int:
        return (
            self.sign_overdue
            + self.contact_overdue
            + self.resolve_overdue
            + self.level_two
            + self.warned
            + self.auto_closed
        )

    def line(self) -> str:
        return (
            f"签收超期 {self.sign_overdue}，联系超期 {self.contact_overdue}，办结超期 "
            f"{self.resolve_overdue}，升级至县 {self.level_two}，临期提醒 {self.warned}，"
            f"自动关闭 {self.auto_closed}"
        )


def _system_event(case: Case, action: str, note: str, data: dict[str, Any]) -> None:
    _event(case, None, action, note=note, data=data)


def case_sweep(*, now: datetime | None = None, case_id: int | None = None) -> SweepReport:
    """Mark what is overdue, escalate, warn and auto-close — idempotently.

    Every step claims its row with a conditional UPDATE (flag still unset → set), so running
    twice, or a deadline task and the periodic sweep together, never escalates twice; a
    restart or a lost task loses nothing because the next sweep finds the row still unset.
    """
    now = now or timezone.now()
    report = SweepReport()
    cases = Case.objects.all() if case_id is None else Case.objects.filter(pk=case_id)

    # 1. assignments not signed for in time (each department's own 报到 limit)
    pending = CaseAssignment.objects.filter(
        state=CaseAssignment.State.PENDING, sign_overdue=False, sign_deadline__lt=now
    )
    if case_id is not None:
        pending = pending.filter(case_id=case_id)
    for assignment_id in list(pending.values_list("pk", flat=True)[:5000]):
        with transaction.atomic():
            if not CaseAssignment.objects.filter(pk=assignment_id, sign_overdue=False).update(
                sign_overdue=True
            ):
                continue
            assignment = CaseAssignment.objects.select_related(
                "case", "case__region", "case__category", "department", "worker"
            ).get(pk=assignment_id)
            case = assignment.case
            changes: dict[str, Any] = {"sign_overdue": True}
            if case.overdue_at is None:
                changes["overdue_at"] = now
            if assignment.role == CaseAssignment.Role.LEAD:
                Case.objects.filter(pk=case.pk, responded_in_time__isnull=True).update(
                    responded_in_time=False
                )
            Case.objects.filter(pk=case.pk).update(**changes)
            _system_event(
                case,
                CaseEvent.Action.OVERDUE,
                f"{assignment.target_label}超过签收时限未签收",
                {"kind": "sign", "assignment": assignment.pk},
            )
            notify(
                users=_supervisors_one_level_up(case, assignment),
                case=case,
                kind=Notification.Kind.OVERDUE,
                title=f"签收超期：案件 {case.number}（{assignment.target_label}）",
                body=f"{case.category.name}，{case.address or case.region.name}",
                sms=True,
            )
            report.sign_overdue += 1
            report.case_ids.add(case.pk)

    # 2. no first contact in time
    for pk in list(
        cases.filter(
            status__in=(Status.DISPATCHED, Status.SIGNED),
            contact_overdue=False,
            first_contact_at__isnull=True,
            contact_deadline__lt=now,
        ).values_list("pk", flat=True)[:5000]
    ):
        with transaction.atomic():
            if not Case.objects.filter(
                pk=pk, contact_overdue=False, first_contact_at__isnull=True
            ).update(contact_overdue=True):
                continue
            Case.objects.filter(pk=pk, responded_in_time__isnull=True).update(
                responded_in_time=False
            )
            Case.objects.filter(pk=pk, overdue_at__isnull=True).update(overdue_at=now)
            case = Case.objects.select_related("region", "category").get(pk=pk)
            _system_event(case, CaseEvent.Action.OVERDUE, "超过首次联系时限", {"kind": "contact"})
            notify(
                users=_supervisors_one_level_up(case, _lead(case)),
                case=case,
                kind=Notification.Kind.OVERDUE,
                title=f"联系超期：案件 {case.number}",
                body=f"{case.category.name}，{case.address or case.region.name}",
            )
            report.contact_overdue += 1
            report.case_ids.add(pk)

    # 3. not resolved in time: mark 超期, tell one level up
    for pk in list(
        cases.filter(
            status__in=HANDLING_STATUSES, resolve_overdue=False, resolve_deadline__lt=now
        ).values_list("pk", flat=True)[:5000]
    ):
        with transaction.atomic():
            if not Case.objects.filter(
                pk=pk, resolve_overdue=False, status__in=HANDLING_STATUSES
            ).update(resolve_overdue=True, escalation_level=1):
                continue
            Case.objects.filter(pk=pk, overdue_at__isnull=True).update(overdue_at=now)
            case = Case.objects.select_related("region", "category").get(pk=pk)
            _system_event(
                case,
                CaseEvent.Action.OVERDUE,
                "超过办结时限，已上报上级督办",
                {"kind": "resolve", "level": 1},
            )
            notify(
                users=_supervisors_one_level_up(case, _lead(case)),
                case=case,
                kind=Notification.Kind.OVERDUE,
                title=f"办结超期：案件 {case.number}",
                body=f"{case.category.name}，{case.address or case.region.name}",
                sms=True,
            )
            notify(
                users=_assignees(case),
                case=case,
                kind=Notification.Kind.OVERDUE,
                title=f"您承办的案件 {case.number} 已超期",
                body="请尽快办结或申请延期。",
            )
            report.resolve_overdue += 1
            report.case_ids.add(pk)

    # 4. still overdue a day later: the county hears of it
    for pk in list(
        cases.filter(
            status__in=HANDLING_STATUSES,
            resolve_overdue=True,
            escalation_level=1,
            resolve_deadline__lt=now - LEVEL_TWO_AFTER,
        ).values_list("pk", flat=True)[:5000]
    ):
        with transaction.atomic():
            if not Case.objects.filter(pk=pk, escalation_level=1).update(escalation_level=2):
                continue
            case = Case.objects.select_related("region", "category").get(pk=pk)
            _system_event(
                case,
                CaseEvent.Action.OVERDUE,
                "超期超过 24 小时，已上报县级",
                {"kind": "resolve", "level": 2},
            )
            notify(
                users=_role_holders([Role.COUNTY_ADMIN], [_county_code(case)]),
                case=case,
                kind=Notification.Kind.OVERDUE,
                title=f"严重超期：案件 {case.number}（{case.region.name}）",
                body=f"{case.category.name}，超期已超过 24 小时",
            )
            report.level_two += 1
            report.case_ids.add(pk)

    # 5. deadline approaching: warn the handlers once per deadline
    for pk in list(
        cases.filter(
            status__in=HANDLING_STATUSES,
            resolve_overdue=False,
            warned_at__isnull=True,
            resolve_deadline__gte=now,
            resolve_deadline__lt=now + WARN_BEFORE,
        ).values_list("pk", flat=True)[:5000]
    ):
        with transaction.atomic():
            if not Case.objects.filter(pk=pk, warned_at__isnull=True).update(warned_at=now):
                continue
            case = Case.objects.select_related("region", "category").get(pk=pk)
            _system_event(case, CaseEvent.Action.WARN, "距办结时限不足 4 小时", {})
            notify(
                users=_assignees(case),
                case=case,
                kind=Notification.Kind.APPROACHING,
                title=f"即将超期：案件 {case.number}",
                body=f"请于 {timezone.localtime(case.resolve_deadline):%m月%d日 %H:%M} 前办结。",  # type: ignore[arg-type]
                sms=True,
            )
            report.warned += 1
            report.case_ids.add(pk)

    # 6. resolved but never rated within a week: closed, counted as not rated
    for pk in list(
        cases.filter(
            status=Status.RESOLVED, rated_at__isnull=True, resolved_at__lt=now - AUTO_CLOSE_AFTER
        ).values_list("pk", flat=True)[:5000]
    ):
        with transaction.atomic():
            if not Case.objects.filter(pk=pk, status=Status.RESOLVED).update(
                status=Status.CLOSED, closed_at=now
            ):
                continue
            case = Case.objects.select_related("region").get(pk=pk)
            Case.objects.filter(pk=pk).update(version=case.version + 1)
            _event(
                case,
                None,
                CaseEvent.Action.CLOSE,
                from_status=Status.RESOLVED,
                note="办结 7 天未评价，系统自动关闭",
            )
            report.auto_closed += 1
            report.case_ids.add(pk)
    return report


def case_next_deadline(case: Case, *, now: datetime | None = None) -> datetime | None:
    """When the deadline task for a case should next run (None: nothing left to watch)."""
    now = now or timezone.now()
    if case.status not in HANDLING_STATUSES and case.status != Status.RESOLVED:
        return None
    moments: list[datetime] = []
    if case.status == Status.RESOLVED and case.resolved_at:
        moments.append(case.resolved_at + AUTO_CLOSE_AFTER)
    else:
        pending = case.assignments.filter(
            state=CaseAssignment.State.PENDING, sign_overdue=False, sign_deadline__isnull=False
        ).values_list("sign_deadline", flat=True)
        moments += [m for m in pending if m is not None]
        if case.first_contact_at is None and not case.contact_overdue and case.contact_deadline:
            moments.append(case.contact_deadline)
        if case.resolve_deadline:
            if case.warned_at is None and not case.resolve_overdue:
                moments.append(case.resolve_deadline - WARN_BEFORE)
            if not case.resolve_overdue:
                moments.append(case.resolve_deadline)
            elif case.escalation_level < 2:
                moments.append(case.resolve_deadline + LEVEL_TWO_AFTER)
    future = [m for m in moments if m is not None]
    if not future:
        return None
    return max(min(future), now) + timedelta(seconds=1)


# --- what a person may do next (for the pages: the services check again when it's done) ------


def case_allowed_actions(actor: Any, case: Case) -> set[str]:
    """The actions the pages offer this person on this case."""
    actions: set[str] = set()
    status = case.status
    if _is_operator(actor, case):
        if status == Status.REPORTED:
            actions |= {"accept"}
        if status in (Status.REPORTED, Status.ACCEPTED):
            actions |= {"reject", "merge"}
        if status in (Status.REPORTED, Status.ACCEPTED, Status.DISPATCHED) or (
            status == Status.ESCALATED and _has_role(actor, TOWN_ROLES)
        ):
            actions.add("dispatch")
        if status == Status.RESOLVED:
            actions |= {"close", "rate"}
        if status in (Status.RESOLVED, Status.CLOSED):
            actions.add("reopen")
        if status == Status.ACCEPTED and _has_role(actor, (Role.COMMUNITY_WORKER,)):
            actions.add("escalate")
    if _is_supervisor(actor, case):
        if status in (*OPEN_STATUSES, Status.RESOLVED):
            actions.add("supervise")
        if case.extension_hours:
            actions.add("extend_decide")
    if isinstance(actor, User):
        pending = _assignment_of(actor, case, states=(CaseAssignment.State.PENDING,))
        signed = _assignment_of(actor, case, states=(CaseAssignment.State.SIGNED,))
        if pending is not None and (
            status == Status.DISPATCHED or pending.role == CaseAssignment.Role.HELPER
        ):
            actions.add("sign")
        if (pending or signed) and status in HANDLING_STATUSES:
            actions.add("return")
        if signed is not None and signed.role == CaseAssignment.Role.LEAD:
            if status in (Status.SIGNED, Status.IN_PROGRESS):
                actions |= {"contact", "resolve"}
                if not case.extension_hours:
                    actions.add("extend_request")
            if signed.worker_id:
                actions.add("escalate")
        if (pending or signed) and status in HANDLING_STATUSES:
            actions.add("progress")
        if status == Status.RESOLVED and actor.pk in {p.pk for p in _reporters(case)}:
            actions.add("rate")
        if "rate" in actions and actor.pk in _handlers(case):
            actions.discard("rate")
    return actions
