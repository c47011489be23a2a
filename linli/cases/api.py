"""Cases API: intake, lists, detail, timeline and every transition — all scoped.

Other systems (a 12345 hotline platform, a city platform) use a token; transitions are one
route, `POST /api/cases/{id}/transitions` with an `action`, so that an integration speaks
one shape. The Open311 GeoReport v2 interface lives beside it at /open311/v2/.
"""

import functools
import operator
from collections.abc import Callable
from datetime import datetime
from typing import Any

from django.urls import reverse
from ninja import File, Form, Query, Router, Schema, Status
from ninja.files import UploadedFile
from ninja.pagination import paginate

from linli.cases import selectors, services
from linli.cases.models import Case, CaseEvent, CasePhoto, Notification
from linli.cases.models import Status as CaseStatus
from linli.core.api import ERROR_RESPONSES, not_region_data, scoped_to, write_allowed
from linli.core.errors import ValidationFailed
from linli.core.views_support import AuthedRequest

router = Router(tags=["案件 cases"])
_STATUS_LABELS = dict(CaseStatus.choices)


class CategoryOut(Schema):
    code: str
    name: str
    parent_code: str | None = None
    description: str
    is_public: bool

    @staticmethod
    def resolve_parent_code(obj: Any) -> str | None:
        return obj.parent.code if obj.parent_id else None


class CaseOut(Schema):
    id: int
    number: str
    version: int
    status: str
    status_label: str
    category_code: str
    category_name: str
    urgency: str
    source: str
    description: str
    address: str
    lng: float | None
    lat: float | None
    region_code: str
    region_name: str
    reporter_name: str
    reporter_phone_masked: str
    created_at: datetime
    updated_at: datetime
    accepted_at: datetime | None
    dispatched_at: datetime | None
    signed_at: datetime | None
    first_contact_at: datetime | None
    resolved_at: datetime | None
    closed_at: datetime | None
    sign_deadline: datetime | None
    contact_deadline: datetime | None
    resolve_deadline: datetime | None
    is_overdue: bool
    responded_in_time: bool | None
    result: str
    is_solved: bool | None
    is_satisfied: bool | None
    rating_score: int | None

    @staticmethod
    def resolve_status_label(obj: Case) -> str:
        # Not get_status_display(): it hashes every (lazy) choice label on each call.
        return str(_STATUS_LABELS.get(obj.status, obj.status))

    @staticmethod
    def resolve_category_code(obj: Case) -> str:
        return obj.category.code

    @staticmethod
    def resolve_category_name(obj: Case) -> str:
        return str(obj.category)

    @staticmethod
    def resolve_region_name(obj: Case) -> str:
        return obj.region.name

    @classmethod
    def of_new(cls, case: Case) -> "CaseOut":
        """A just-reported case's answer, built from its resolvers and attributes without
        validating them again field by field (a tenth of an intake's CPU, ADR 0112). The
        values come from the service, not from the caller; a test compares the answer, over
        HTTP, with the validated detail of the same case."""
        return cls.model_construct(
            **{name: read(case) for name, read in _case_out_readers(cls).items()}
        )


@functools.cache
def _case_out_readers(schema: type[CaseOut]) -> dict[str, Callable[[Case], Any]]:
    return {
        name: getattr(schema, f"resolve_{name}", operator.attrgetter(name))
        for name in schema.model_fields
    }


class CaseIn(Schema):
    category_code: str
    description: str
    region_code: str | None = None
    lng: float | None = None
    lat: float | None = None
    coord_system: str = "wgs84"
    address: str = ""
    urgency: str = "normal"
    source: str | None = None
    reporter_name: str = ""
    reporter_phone: str = ""
    external_ref: str = ""


class CaseFilter(Schema):
    status: str | None = None
    category: str | None = None
    overdue: bool | None = None
    region: str | None = None
    source: str | None = None
    q: str | None = None


class EventOut(Schema):
    id: int
    action: str
    action_label: str
    actor_label: str
    from_status: str
    to_status: str
    note: str
    data: dict
    created_at: datetime

    @staticmethod
    def resolve_action_label(obj: CaseEvent | dict) -> str:
        return obj["action_label"] if isinstance(obj, dict) else obj.get_action_display()


class TransitionIn(Schema):
    """One action on a case. Every field is optional here; each action checks its own
    (so that a case you may not see answers 404 before any field is looked at)."""

    action: str = ""
    version: int | None = None
    note: str = ""
    reason: str = ""
    redirect_to: str = ""
    result: str = ""
    worker_id: int | None = None
    department_ids: list[int] = []
    lead_department_id: int | None = None
    into_case_id: int | None = None
    is_solved: bool | None = None
    is_satisfied: bool | None = None
    score: int | None = None
    comment: str = ""
    hours: float | None = None
    approve: bool | None = None
    category_code: str | None = None
    urgency: str | None = None


class PhotoOut(Schema):
    id: int
    kind: str
    kind_label: str
    width: int
    height: int
    size: int
    url: str
    created_at: datetime

    @staticmethod
    def resolve_kind_label(obj: CasePhoto) -> str:
        return obj.get_kind_display()

    @staticmethod
    def resolve_url(obj: CasePhoto, context: Any) -> str:
        # The cleaned copy, served through the visibility check (no metadata, ADR 0076).
        return str(context["request"].build_absolute_uri(reverse("cases:photo", args=[obj.pk])))


class DuplicateOut(Schema):
    id: int
    number: str
    status: str
    description: str
    distance_m: float


class NotificationOut(Schema):
    id: int
    kind: str
    title: str
    body: str
    case_id: int | None
    created_at: datetime
    read_at: datetime | None


class ReadIn(Schema):
    ids: list[int] | None = None


class ReadOut(Schema):
    marked: int


def _required(value: Any, label: str) -> Any:
    if value is None or value == "":
        raise ValidationFailed("field_required", f"请填写{label}", {"field": label})
    return value


ACTIONS = {
    "accept": lambda a, pk, p: services.case_accept(
        actor=a,
        case_id=pk,
        version=p.version,
        note=p.note,
        category_code=p.category_code,
        urgency=p.urgency,
    ),
    "reject": lambda a, pk, p: services.case_reject(
        actor=a,
        case_id=pk,
        version=p.version,
        reason=p.reason,
        note=p.note,
        redirect_to=p.redirect_to,
    ),
    "merge": lambda a, pk, p: services.case_merge(
        actor=a,
        case_id=pk,
        version=p.version,
        into_case_id=_required(p.into_case_id, "合并目标"),
        note=p.note,
    ),
    "dispatch": lambda a, pk, p: services.case_dispatch(
        actor=a,
        case_id=pk,
        version=p.version,
        worker_id=p.worker_id,
        department_ids=p.department_ids,
        lead_department_id=p.lead_department_id,
        note=p.note,
    ),
    "escalate": lambda a, pk, p: services.case_escalate(
        actor=a, case_id=pk, version=p.version, note=p.note
    ),
    "sign": lambda a, pk, p: services.case_sign(
        actor=a, case_id=pk, version=p.version, note=p.note
    ),
    "contact": lambda a, pk, p: services.case_contact(
        actor=a, case_id=pk, version=p.version, note=p.note
    ),
    "resolve": lambda a, pk, p: services.case_resolve(
        actor=a, case_id=pk, version=p.version, result=p.result or p.note
    ),
    "return": lambda a, pk, p: services.case_return(
        actor=a, case_id=pk, version=p.version, reason=p.reason or p.note
    ),
    "rate": lambda a, pk, p: services.case_rate(
        actor=a,
        case_id=pk,
        version=p.version,
        is_solved=bool(_required(p.is_solved, "是否解决")),
        is_satisfied=bool(_required(p.is_satisfied, "是否满意")),
        score=_required(p.score, "评分"),
        comment=p.comment,
    ),
    "reopen": lambda a, pk, p: services.case_reopen(
        actor=a, case_id=pk, version=p.version, reason=p.reason or p.note
    ),
    "close": lambda a, pk, p: services.case_close(
        actor=a, case_id=pk, version=p.version, note=p.note
    ),
    "supervise": lambda a, pk, p: services.case_supervise(actor=a, case_id=pk, note=p.note),
    "extend_request": lambda a, pk, p: services.case_extension_request(
        actor=a,
        case_id=pk,
        version=p.version,
        hours=_required(p.hours, "延期时长"),
        reason=p.reason or p.note,
    ),
    "extend_decide": lambda a, pk, p: services.case_extension_decide(
        actor=a,
        case_id=pk,
        version=p.version,
        approve=bool(_required(p.approve, "审批结果")),
        note=p.note,
    ),
}


@router.get("/categories", response=list[CategoryOut], summary="案件分类")
@not_region_data("the county-wide category catalogue, the same for every region")
def category_list(request: AuthedRequest):  # type: ignore[no-untyped-def]
    return selectors.category_tree()


@router.get("/notifications", response=list[NotificationOut], summary="我的站内通知")
@paginate
@not_region_data("the caller's own inbox")
def notification_list(request: AuthedRequest, unread: bool = False):  # type: ignore[no-untyped-def]
    user = request.user
    if not getattr(user, "is_authenticated", False):
        return Notification.objects.none()
    return selectors.notifications_for(user, unread_only=unread)


@router.post("/notifications/read", response={200: ReadOut, **ERROR_RESPONSES}, summary="标为已读")
@not_region_data("the caller's own inbox")
def notification_read(request: AuthedRequest, payload: ReadIn):  # type: ignore[no-untyped-def]
    user = request.user
    if not getattr(user, "is_authenticated", False):
        return {"marked": 0}  # an API token has no inbox: its list is empty too
    return {"marked": services.notification_mark_read(user=user, ids=payload.ids)}


@router.get("/", response=list[CaseOut], summary="案件列表")
@paginate
@scoped_to(Case)
def case_list(request: AuthedRequest, filters: Query[CaseFilter]):  # type: ignore[no-untyped-def]
    statuses = [s for s in (filters.status or "").split(",") if s] or None
    return selectors.case_list(
        request.auth,
        statuses=statuses,
        category_code=filters.category,
        overdue=filters.overdue,
        region_prefix=filters.region,
        source=filters.source,
        query=filters.q,
    )


@router.post("/", response={201: CaseOut, **ERROR_RESPONSES}, summary="上报案件")
@scoped_to(Case)
def case_create(request: AuthedRequest, payload: CaseIn):  # type: ignore[no-untyped-def]
    write_allowed(request)
    case = services.case_report(actor=request.auth, **payload.dict())
    return Status(201, CaseOut.of_new(case))


@router.get("/{int:case_id}", response={200: CaseOut, **ERROR_RESPONSES}, summary="案件详情")
@scoped_to(Case)
def case_detail(request: AuthedRequest, case_id: int):  # type: ignore[no-untyped-def]
    return selectors.case_get_visible(request.auth, case_id)


@router.get(
    "/{int:case_id}/events", response={200: list[EventOut], **ERROR_RESPONSES}, summary="办理过程"
)
@scoped_to(Case)
def case_events(request: AuthedRequest, case_id: int):  # type: ignore[no-untyped-def]
    case = selectors.case_get_visible(request.auth, case_id)
    if selectors.case_is_staff_view(request.auth, case):
        return selectors.case_timeline(case)
    # A resident reads the public steps with only what is written for them: no internal
    # notes, no staff names (as on the case page).
    viewer = getattr(request.auth, "pk", None)
    return [
        {
            "id": e.pk,
            "action": e.action,
            "action_label": e.get_action_display(),
            "actor_label": "我" if viewer is not None and e.actor_id == viewer else "工作人员",
            "from_status": e.from_status,
            "to_status": e.to_status,
            "note": e.public_note,
            "data": {"targets": e.public_targets} if e.public_targets else {},
            "created_at": e.created_at,
        }
        for e in selectors.case_timeline(case, public_only=True)
    ]


@router.get(
    "/{int:case_id}/duplicates",
    response={200: list[DuplicateOut], **ERROR_RESPONSES},
    summary="附近的相同问题",
)
@scoped_to(Case)
def case_duplicates(request: AuthedRequest, case_id: int):  # type: ignore[no-untyped-def]
    case = selectors.case_get_visible(request.auth, case_id)
    found = selectors.case_nearby_duplicates(
        category=case.category, lng=case.lng, lat=case.lat, exclude_id=case.pk
    )
    return [
        {
            "id": c.pk,
            "number": c.number,
            "status": c.status,
            "description": c.description,
            "distance_m": d,
        }
        for c, d in found
    ]


@router.get(
    "/{int:case_id}/photos", response={200: list[PhotoOut], **ERROR_RESPONSES}, summary="案件照片"
)
@scoped_to(Case)
def case_photo_list(request: AuthedRequest, case_id: int):  # type: ignore[no-untyped-def]
    case = selectors.case_get_visible(request.auth, case_id)
    return selectors.case_photos(case, staff=selectors.case_is_staff_view(request.auth, case))


@router.post(
    "/{int:case_id}/photos",
    response={201: list[PhotoOut], **ERROR_RESPONSES},
    summary="补充上报照片（multipart，字段 photos，最多 9 张）",
)
@scoped_to(Case)
def case_photo_add(  # type: ignore[no-untyped-def]
    request: AuthedRequest,
    case_id: int,
    photos: File[list[UploadedFile]] = None,  # type: ignore[assignment]
):
    """`multipart/form-data` with one to nine `photos` (JPEG, PNG or WEBP, each at most
    10 MB): cleaned of their metadata and added to the case's report. The reporter or an
    operator of the case's region may add them while the case is open; the answer lists the
    photos stored (a photo already on the case is not stored again). `POST /` stays JSON:
    report first, then send the photos here with the case's `id` (ADR 0080)."""
    # 404, then 403 (read-only tokens and leaders included), before the files are looked at;
    # a resident who reported the case may add to it, so no blanket write_allowed() here.
    added = services.case_photos_add(
        actor=request.auth, case_id=case_id, photo_uploads=list(photos or [])
    )
    return Status(201, added)


@router.post(
    "/{int:case_id}/progress",
    response={201: EventOut, **ERROR_RESPONSES},
    summary="记录处置进展（multipart：note，photos 最多 9 张）",
)
@scoped_to(Case)
def case_progress(  # type: ignore[no-untyped-def]
    request: AuthedRequest,
    case_id: int,
    note: Form[str] = "",
    photos: File[list[UploadedFile]] = None,  # type: ignore[assignment]
):
    """`multipart/form-data`: a progress `note` and up to nine `photos` (JPEG, PNG or WEBP),
    from a handler of the case (its grid worker or a department it was dispatched to) or an
    operator, while it is being handled. Changes no state, so it never conflicts."""
    write_allowed(request)
    event = services.case_progress(
        actor=request.auth, case_id=case_id, note=note, photo_uploads=list(photos or [])
    )
    return Status(201, event)


@router.post(
    "/{int:case_id}/resolution",
    response={200: CaseOut, **ERROR_RESPONSES},
    summary="办结（multipart：result、version，photos 最多 9 张）",
)
@scoped_to(Case)
def case_resolution(  # type: ignore[no-untyped-def]
    request: AuthedRequest,
    case_id: int,
    result: Form[str] = "",
    version: Form[int | None] = None,  # type: ignore[assignment]
    photos: File[list[UploadedFile]] = None,  # type: ignore[assignment]
):
    """`multipart/form-data`: the lead handler's `result` with up to nine `photos` of the work
    done, and the case's `version` as read (409 if someone acted since). The same step as the
    JSON transition `resolve`, which carries no photos (ADR 0080)."""
    write_allowed(request)
    services.case_resolve(
        actor=request.auth,
        case_id=case_id,
        result=result,
        version=version,
        photo_uploads=list(photos or []),
    )
    return selectors.case_get_visible(request.auth, case_id)


@router.post(
    "/{int:case_id}/transitions", response={200: CaseOut, **ERROR_RESPONSES}, summary="办理操作"
)
@scoped_to(Case)
def case_transition(request: AuthedRequest, case_id: int, payload: TransitionIn):  # type: ignore[no-untyped-def]
    write_allowed(request)
    selectors.case_get_visible(request.auth, case_id)  # 404 before anything else is checked
    action = ACTIONS.get(payload.action)
    if action is None:
        raise ValidationFailed("action_unknown", "不支持的办理操作", {"allowed": sorted(ACTIONS)})
    action(request.auth, case_id, payload)
    return selectors.case_get_visible(request.auth, case_id)
