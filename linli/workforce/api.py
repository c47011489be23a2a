"""Workforce API: workers, their posts (assign/end), certificates and trainings."""

from datetime import date
from decimal import Decimal

from ninja import Query, Router, Schema, Status
from ninja.pagination import paginate

from linli.core.api import ERROR_RESPONSES, patch_changes, scoped_to, write_allowed
from linli.core.errors import ValidationFailed
from linli.core.views_support import AuthedRequest
from linli.regions.selectors import region_get_visible
from linli.workforce import selectors, services
from linli.workforce.models import Certificate, Position, Training, Worker

router = Router(tags=["服务队伍 workforce"])


class PositionOut(Schema):
    id: int
    worker_id: int
    worker_name: str
    kind: str
    kind_label: str
    region_code: str
    started_on: date | None
    ended_on: date | None

    @staticmethod
    def resolve_worker_name(obj: Position) -> str:
        return obj.worker.name

    @staticmethod
    def resolve_kind_label(obj: Position) -> str:
        return str(obj.get_kind_display())


class CertificateOut(Schema):
    id: int
    worker_id: int
    kind: str
    kind_label: str
    number: str
    issued_on: date
    expires_on: date | None

    @staticmethod
    def resolve_kind_label(obj: Certificate) -> str:
        return str(obj.get_kind_display())


class TrainingOut(Schema):
    id: int
    worker_id: int
    worker_name: str
    course: str
    days: Decimal
    started_on: date
    organiser: str
    is_rotation: bool

    @staticmethod
    def resolve_worker_name(obj: Training) -> str:
        return obj.worker.name


class HeldPostOut(Schema):
    kind: str
    kind_label: str
    region_code: str

    @staticmethod
    def resolve_kind_label(obj: Position) -> str:
        return str(obj.get_kind_display())


class WorkerOut(Schema):
    id: int
    region_code: str
    region_name: str
    name: str
    gender: str
    birth_date: date | None
    phone_masked: str
    education: str
    employed_since: date | None
    is_active: bool
    resident_id: int | None
    user_id: int | None
    held_posts: list[HeldPostOut]

    @staticmethod
    def resolve_region_name(obj: Worker) -> str:
        return obj.region.name

    @staticmethod
    def resolve_held_posts(obj: Worker) -> list[Position]:
        posts = getattr(obj, "held_posts", None)
        if posts is None:
            posts = list(obj.positions.filter(selectors.held_q()))
        return posts


class WorkerDetailOut(WorkerOut):
    positions: list[PositionOut]
    certificates: list[CertificateOut]
    trainings: list[TrainingOut]

    @staticmethod
    def resolve_positions(obj: Worker) -> list[Position]:
        return list(obj.positions.select_related("worker").order_by("ended_on", "kind"))

    @staticmethod
    def resolve_certificates(obj: Worker) -> list[Certificate]:
        return list(obj.certificates.order_by("-issued_on"))

    @staticmethod
    def resolve_trainings(obj: Worker) -> list[Training]:
        return list(obj.trainings.select_related("worker").order_by("-started_on"))


class WorkerFilter(Schema):
    q: str | None = None
    position: Position.Kind | None = None
    active: bool | None = None
    region: str | None = None


class WorkerIn(Schema):
    region_code: str
    name: str
    gender: Worker.Gender | None = None
    birth_date: date | None = None
    phone: str = ""
    education: Worker.Education | None = None
    employed_since: date | None = None
    resident_id: int | None = None
    user_id: int | None = None
    is_active: bool = True


class WorkerPatch(Schema):
    name: str | None = None
    gender: Worker.Gender | None = None
    birth_date: date | None = None
    phone: str | None = None
    education: Worker.Education | None = None
    employed_since: date | None = None
    resident_id: int | None = None
    user_id: int | None = None
    is_active: bool | None = None


class PositionIn(Schema):
    worker_id: int
    kind: Position.Kind
    region_code: str | None = None
    started_on: date | None = None


class PositionEndIn(Schema):
    ended_on: date | None = None


class CertificateIn(Schema):
    worker_id: int
    kind: Certificate.Kind
    number: str = ""
    issued_on: date
    expires_on: date | None = None


class TrainingIn(Schema):
    worker_id: int
    course: str
    days: Decimal
    started_on: date
    organiser: str = ""
    is_rotation: bool = False


class PeriodFilter(Schema):
    start: date | None = None
    end: date | None = None
    rotation: bool = False


class HeldFilter(Schema):
    kind: list[Position.Kind] | None = None


def _links(request: AuthedRequest, data: dict) -> dict:
    """resident_id / user_id → the visible objects (422 if unseen)."""
    if "resident_id" in data:
        from linli.people.models import Resident

        resident_id = data.pop("resident_id")
        data["resident"] = None
        if resident_id is not None:
            data["resident"] = (
                Resident.objects.visible_to(request.auth).filter(pk=resident_id).first()
            )
            if data["resident"] is None:
                raise ValidationFailed("workforce_invalid", "居民档案不存在或不在您的管理范围内")
    if "user_id" in data:
        from linli.accounts.models import User

        user_id = data.pop("user_id")
        data["user"] = None
        if user_id is not None:
            data["user"] = User.objects.visible_to(request.auth).filter(pk=user_id).first()
            if data["user"] is None:
                raise ValidationFailed("workforce_invalid", "账号不存在或不在您的管理范围内")
    for key in ("gender", "education"):
        if key in data and data[key] is None:
            data[key] = ""
    return data


@router.get("/workers/", response=list[WorkerOut], summary="工作者列表")
@paginate
@scoped_to(Worker)
def worker_list(request: AuthedRequest, filters: Query[WorkerFilter]):  # type: ignore[no-untyped-def]
    return selectors.worker_list(
        request.auth,
        q=filters.q,
        position_kind=filters.position,
        is_active=filters.active,
        region_code=filters.region,
    )


@router.get(
    "/workers/{int:worker_id}",
    response={200: WorkerDetailOut, **ERROR_RESPONSES},
    summary="工作者详情（岗位、证书、培训）",
)
@scoped_to(Worker)
def worker_detail(request: AuthedRequest, worker_id: int):  # type: ignore[no-untyped-def]
    return selectors.worker_get_visible(request.auth, worker_id)


@router.post("/workers/", response={201: WorkerDetailOut, **ERROR_RESPONSES}, summary="登记工作者")
@scoped_to(Worker)
def worker_create(request: AuthedRequest, payload: WorkerIn):  # type: ignore[no-untyped-def]
    write_allowed(request)
    data = _links(request, payload.dict())
    region = region_get_visible(request.auth, data.pop("region_code"))
    worker = services.worker_create(actor=request.auth, region=region, **data)
    return Status(201, selectors.worker_get_visible(request.auth, worker.pk))


@router.patch(
    "/workers/{int:worker_id}",
    response={200: WorkerDetailOut, **ERROR_RESPONSES},
    summary="修改工作者",
)
@scoped_to(Worker)
def worker_update(request: AuthedRequest, worker_id: int, payload: WorkerPatch):  # type: ignore[no-untyped-def]
    write_allowed(request)
    worker = selectors.worker_get_visible(request.auth, worker_id)
    data = _links(request, patch_changes(payload, Worker))
    services.worker_update(actor=request.auth, worker=worker, data=data)
    return selectors.worker_get_visible(request.auth, worker_id)


@router.get("/positions", response=list[PositionOut], summary="在任岗位")
@paginate
@scoped_to(Position)
def position_list(request: AuthedRequest, filters: Query[HeldFilter]):  # type: ignore[no-untyped-def]
    kinds = tuple(filters.kind) if filters.kind else tuple(Position.Kind.values)
    return selectors.positions_held(request.auth, kinds)


@router.post("/positions", response={201: PositionOut, **ERROR_RESPONSES}, summary="任职")
@scoped_to(Position)
def position_assign(request: AuthedRequest, payload: PositionIn):  # type: ignore[no-untyped-def]
    write_allowed(request)
    worker = selectors.worker_get_visible(request.auth, payload.worker_id)
    region = region_get_visible(request.auth, payload.region_code) if payload.region_code else None
    position = services.position_assign(
        actor=request.auth,
        worker=worker,
        kind=payload.kind,
        region=region,
        started_on=payload.started_on,
    )
    return Status(201, selectors.position_get_visible(request.auth, position.pk))


@router.post(
    "/positions/{int:position_id}/end",
    response={200: PositionOut, **ERROR_RESPONSES},
    summary="离任",
)
@scoped_to(Position)
def position_end(request: AuthedRequest, position_id: int, payload: PositionEndIn):  # type: ignore[no-untyped-def]
    write_allowed(request)
    position = selectors.position_get_visible(request.auth, position_id)
    services.position_end(actor=request.auth, position=position, ended_on=payload.ended_on)
    return selectors.position_get_visible(request.auth, position_id)


@router.post("/certificates", response={201: CertificateOut, **ERROR_RESPONSES}, summary="登记证书")
@scoped_to(Certificate)
def certificate_add(request: AuthedRequest, payload: CertificateIn):  # type: ignore[no-untyped-def]
    write_allowed(request)
    worker = selectors.worker_get_visible(request.auth, payload.worker_id)
    data = payload.dict()
    data.pop("worker_id")
    return Status(201, services.certificate_add(actor=request.auth, worker=worker, **data))


@router.get("/trainings", response=list[TrainingOut], summary="培训记录（按期间）")
@paginate
@scoped_to(Training)
def training_list(request: AuthedRequest, filters: Query[PeriodFilter]):  # type: ignore[no-untyped-def]
    return selectors.trainings_in_period(
        request.auth,
        filters.start or date(1900, 1, 1),
        filters.end or date(9999, 12, 31),
        rotation_only=filters.rotation,
    )


@router.post("/trainings", response={201: TrainingOut, **ERROR_RESPONSES}, summary="登记培训")
@scoped_to(Training)
def training_add(request: AuthedRequest, payload: TrainingIn):  # type: ignore[no-untyped-def]
    write_allowed(request)
    worker = selectors.worker_get_visible(request.auth, payload.worker_id)
    data = payload.dict()
    data.pop("worker_id")
    training = services.training_add(actor=request.auth, worker=worker, **data)
    return Status(201, training)
