"""People API: residents (search, detail, create, patch, move, status, reveal) and households.

Answers carry masked PII only (`id_number_masked`, `phone_masked`); the clear value of one
field comes from `POST …/reveal` with a reason, for staff whose role may see it (ADR 0020).
Every operation is scoped: another region's row answers 404.
"""

from datetime import date
from typing import Any

from ninja import Field, Query, Router, Schema, Status
from ninja.pagination import paginate

from linli.core.api import ERROR_RESPONSES, patch_changes, scoped_to, write_allowed
from linli.core.errors import ValidationFailed
from linli.core.views_support import AuthedRequest
from linli.people import selectors, services
from linli.people.models import Household, Resident, ResidentMove

router = Router(tags=["居民与户 people"])


# --- schemas ----------------------------------------------------------------------------------


class TagOut(Schema):
    tag: str
    label: str
    disability_kind: str
    disability_grade: int | None
    since: date | None

    @staticmethod
    def resolve_label(obj: Any) -> str:
        return str(obj.get_tag_display())


class ResidentOut(Schema):
    id: int
    name: str
    gender: str
    gender_label: str
    birth_date: date
    age: int
    id_number_masked: str
    phone_masked: str
    relation: str
    relation_label: str
    residence_type: str
    status: str
    status_label: str
    region_code: str
    region_name: str
    household_id: int | None
    household_number: str | None
    household_address: str | None
    tags: list[TagOut]

    @staticmethod
    def resolve_gender_label(obj: Resident) -> str:
        return str(obj.get_gender_display())

    @staticmethod
    def resolve_relation_label(obj: Resident) -> str:
        return str(obj.get_relation_display())

    @staticmethod
    def resolve_status_label(obj: Resident) -> str:
        return str(obj.get_status_display())

    @staticmethod
    def resolve_region_name(obj: Resident) -> str:
        return obj.region.name

    @staticmethod
    def resolve_household_number(obj: Resident) -> str | None:
        return obj.household.number if obj.household_id else None  # type: ignore[union-attr]

    @staticmethod
    def resolve_household_address(obj: Resident) -> str | None:
        return obj.household.address if obj.household_id else None  # type: ignore[union-attr]

    @staticmethod
    def resolve_tags(obj: Resident) -> list[Any]:
        return list(obj.tags.all())


class MoveOut(Schema):
    id: int
    moved_on: date
    from_household_id: int | None
    to_household_id: int | None
    from_region_code: str
    region_code: str
    reason: str


class ResidentDetailOut(ResidentOut):
    moves: list[MoveOut]

    @staticmethod
    def resolve_moves(obj: Resident) -> list[ResidentMove]:
        return list(getattr(obj, "history", []))


class ResidentFilter(Schema):
    q: str | None = Field(None, description="姓名片段、拼音或首字母前缀，或完整身份证号/手机号")
    tags: list[str] = Field(default_factory=list, description="同时具有这些标签")
    age_min: int | None = Field(None, ge=0, le=150)
    age_max: int | None = Field(None, ge=0, le=150)
    region_code: str | None = None
    status: Resident.Status | None = None
    household: int | None = None


class TagIn(Schema):
    tag: str
    disability_kind: str = ""
    disability_grade: int | None = None
    since: date | None = None


class ResidentIn(Schema):
    household_id: int | None = Field(None, description="所属户；不填时须填 region_code")
    region_code: str = ""
    name: str = ""
    gender: str = Field("", description="M 男 / F 女")
    birth_date: date | None = None
    id_number: str = ""
    phone: str = ""
    relation: Resident.Relation = Resident.Relation.OTHER
    residence_type: str = "registered"
    tags: list[TagIn] = Field(default_factory=list)


class ResidentPatch(Schema):
    name: str | None = None
    gender: str | None = None
    birth_date: date | None = None
    id_number: str | None = None
    phone: str | None = None
    relation: Resident.Relation | None = None
    residence_type: str | None = None
    tags: list[TagIn] | None = None


class MoveIn(Schema):
    to_household_id: int | None = None
    moved_on: date | None = None
    reason: str = ""
    relation: Resident.Relation = Resident.Relation.OTHER


class StatusIn(Schema):
    status: str = Field("", description="moved_out 迁出 / deceased 死亡")
    happened_on: date | None = Field(None, description="迁出或死亡日期")
    reason: str = ""


class RevealIn(Schema):
    field: str = Field("", description="id_number 或 phone")
    reason: str = Field("", description="查看原因（必填，记录在案）")


class RevealOut(Schema):
    field: str
    value: str


class HouseholdOut(Schema):
    id: int
    number: str
    address: str
    residence_type: str
    region_code: str
    region_name: str
    building_id: int | None
    building_address: str | None
    head_id: int | None
    head_name: str | None
    phone_masked: str
    member_count: int | None = None

    @staticmethod
    def resolve_region_name(obj: Household) -> str:
        return obj.region.name

    @staticmethod
    def resolve_building_address(obj: Household) -> str | None:
        return obj.building.address if obj.building_id else None  # type: ignore[union-attr]

    @staticmethod
    def resolve_head_name(obj: Household) -> str | None:
        return obj.head.name if obj.head_id else None  # type: ignore[union-attr]


class HouseholdDetailOut(HouseholdOut):
    members: list[ResidentOut]

    @staticmethod
    def resolve_members(obj: Household) -> list[Resident]:
        return list(getattr(obj, "member_list", []))


class HouseholdFilter(Schema):
    q: str | None = Field(None, description="地址片段或户编号前缀")
    region_code: str | None = None
    building: int | None = None


class HouseholdIn(Schema):
    region_code: str = ""
    number: str = ""
    address: str = ""
    building_id: int | None = None
    residence_type: str = "registered"
    phone: str = ""


class HouseholdPatch(Schema):
    region_code: str | None = None
    number: str | None = None
    address: str | None = None
    building_id: int | None = None
    residence_type: str | None = None
    phone: str | None = None
    head_id: int | None = Field(None, description="设为户主的本户成员；null 清除户主")


# --- residents --------------------------------------------------------------------------------


def _resident_detail(request: AuthedRequest, resident_id: int) -> Resident:
    resident = selectors.resident_get_visible(request.auth, resident_id)
    resident.history = selectors.resident_moves(request.auth, resident)  # type: ignore[attr-defined]
    return resident


@router.get("/residents/", response=list[ResidentOut], summary="居民列表与检索")
@paginate
@scoped_to(Resident)
def resident_list(request: AuthedRequest, filters: Query[ResidentFilter]):  # type: ignore[no-untyped-def]
    return selectors.resident_search(
        request.auth,
        q=filters.q,
        tags=filters.tags,
        age_min=filters.age_min,
        age_max=filters.age_max,
        region_code=filters.region_code,
        status=filters.status,
        household=filters.household,
    )


@router.get(
    "/residents/{resident_id}",
    response={200: ResidentDetailOut, **ERROR_RESPONSES},
    summary="居民详情",
)
@scoped_to(Resident)
def resident_detail(request: AuthedRequest, resident_id: int):  # type: ignore[no-untyped-def]
    return _resident_detail(request, resident_id)


@router.post(
    "/residents/", response={201: ResidentDetailOut, **ERROR_RESPONSES}, summary="登记居民"
)
@scoped_to(Resident)
def resident_create(request: AuthedRequest, payload: ResidentIn):  # type: ignore[no-untyped-def]
    write_allowed(request)
    data = payload.dict()
    resident = services.resident_create(
        actor=request.auth,
        household=data.pop("household_id"),
        tags=data.pop("tags"),
        **data,
    )
    return Status(201, _resident_detail(request, resident.pk))


@router.patch(
    "/residents/{resident_id}",
    response={200: ResidentDetailOut, **ERROR_RESPONSES},
    summary="修改居民信息",
)
@scoped_to(Resident)
def resident_update(request: AuthedRequest, resident_id: int, payload: ResidentPatch):  # type: ignore[no-untyped-def]
    write_allowed(request)
    selectors.resident_get_visible(request.auth, resident_id)  # 404 before anything else
    data = patch_changes(payload, Resident)
    services.resident_update(actor=request.auth, resident=resident_id, data=data)
    return _resident_detail(request, resident_id)


@router.post(
    "/residents/{resident_id}/move",
    response={200: ResidentDetailOut, **ERROR_RESPONSES},
    summary="居民迁移（换户）",
)
@scoped_to(Resident)
def resident_move(request: AuthedRequest, resident_id: int, payload: MoveIn):  # type: ignore[no-untyped-def]
    write_allowed(request)
    selectors.resident_get_visible(request.auth, resident_id)
    if payload.to_household_id is None:
        message = "请选择迁入的户"
        raise ValidationFailed(
            "resident_move_invalid", message, detail={"fields": {"to_household_id": message}}
        )
    services.resident_move(
        actor=request.auth,
        resident=resident_id,
        to_household=payload.to_household_id,
        moved_on=payload.moved_on,
        reason=payload.reason,
        relation=payload.relation,
    )
    return _resident_detail(request, resident_id)


@router.post(
    "/residents/{resident_id}/status",
    response={200: ResidentDetailOut, **ERROR_RESPONSES},
    summary="迁出或死亡登记",
)
@scoped_to(Resident)
def resident_status(request: AuthedRequest, resident_id: int, payload: StatusIn):  # type: ignore[no-untyped-def]
    write_allowed(request)
    selectors.resident_get_visible(request.auth, resident_id)
    if payload.status == Resident.Status.MOVED_OUT:
        services.resident_mark_moved_out(
            actor=request.auth,
            resident=resident_id,
            moved_on=payload.happened_on,
            reason=payload.reason,
        )
    elif payload.status == Resident.Status.DECEASED:
        services.resident_mark_deceased(
            actor=request.auth,
            resident=resident_id,
            died_on=payload.happened_on,
            reason=payload.reason,
        )
    else:
        message = "状态应为 moved_out（迁出）或 deceased（死亡）"
        raise ValidationFailed(
            "resident_status_invalid", message, detail={"fields": {"status": message}}
        )
    return _resident_detail(request, resident_id)


@router.post(
    "/residents/{resident_id}/reveal",
    response={200: RevealOut, **ERROR_RESPONSES},
    summary="查看完整身份证号或手机号（须填写原因，留痕）",
)
@scoped_to(Resident)
def resident_reveal(request: AuthedRequest, resident_id: int, payload: RevealIn):  # type: ignore[no-untyped-def]
    resident = selectors.resident_get_visible(request.auth, resident_id)
    value = services.pii_reveal(
        actor=request.auth, obj=resident, field=payload.field, reason=payload.reason
    )
    return {"field": payload.field, "value": value}


# --- households -------------------------------------------------------------------------------


def _household_detail(request: AuthedRequest, household_id: int) -> Household:
    household = selectors.household_get_visible(request.auth, household_id)
    members = selectors.household_members(request.auth, household)
    for member in members:
        member.household = household  # already loaded: no query per member
    household.member_list = members  # type: ignore[attr-defined]
    household.member_count = sum(m.status == Resident.Status.ACTIVE for m in members)  # type: ignore[attr-defined]
    return household


@router.get("/households/", response=list[HouseholdOut], summary="户列表（按地址检索）")
@paginate
@scoped_to(Household)
def household_list(request: AuthedRequest, filters: Query[HouseholdFilter]):  # type: ignore[no-untyped-def]
    return selectors.household_list(
        request.auth, q=filters.q, region_code=filters.region_code, building=filters.building
    )


@router.get(
    "/households/{household_id}",
    response={200: HouseholdDetailOut, **ERROR_RESPONSES},
    summary="户详情（含成员）",
)
@scoped_to(Household)
def household_detail(request: AuthedRequest, household_id: int):  # type: ignore[no-untyped-def]
    return _household_detail(request, household_id)


@router.post(
    "/households/", response={201: HouseholdDetailOut, **ERROR_RESPONSES}, summary="登记户"
)
@scoped_to(Household)
def household_create(request: AuthedRequest, payload: HouseholdIn):  # type: ignore[no-untyped-def]
    write_allowed(request)
    data = payload.dict()
    household = services.household_create(
        actor=request.auth, building=data.pop("building_id"), **data
    )
    return Status(201, _household_detail(request, household.pk))


@router.patch(
    "/households/{household_id}",
    response={200: HouseholdDetailOut, **ERROR_RESPONSES},
    summary="修改户信息、设置户主",
)
@scoped_to(Household)
def household_update(request: AuthedRequest, household_id: int, payload: HouseholdPatch):  # type: ignore[no-untyped-def]
    write_allowed(request)
    selectors.household_get_visible(request.auth, household_id)
    data = patch_changes(payload, Household)
    has_head = "head_id" in data
    head_id = data.pop("head_id", None)
    if data:
        services.household_update(actor=request.auth, household=household_id, data=data)
    if has_head:
        services.household_set_head(actor=request.auth, household=household_id, resident=head_id)
    return _household_detail(request, household_id)


@router.post(
    "/households/{household_id}/reveal",
    response={200: RevealOut, **ERROR_RESPONSES},
    summary="查看户的完整联系电话（须填写原因，留痕）",
)
@scoped_to(Household)
def household_reveal(request: AuthedRequest, household_id: int, payload: RevealIn):  # type: ignore[no-untyped-def]
    household = selectors.household_get_visible(request.auth, household_id)
    value = services.pii_reveal(
        actor=request.auth, obj=household, field=payload.field, reason=payload.reason
    )
    return {"field": payload.field, "value": value}
