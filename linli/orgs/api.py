"""Organisation registry API: organisations, their members, and the departments to dispatch to."""

from datetime import date

from ninja import Query, Router, Schema, Status
from ninja.pagination import paginate

from linli.core.api import ERROR_RESPONSES, patch_changes, scoped_to, write_allowed
from linli.core.errors import NotFound, ValidationFailed
from linli.core.views_support import AuthedRequest
from linli.orgs import selectors, services
from linli.orgs.models import Membership, Organisation
from linli.regions.selectors import region_get_visible

router = Router(tags=["组织 orgs"])


class OrgOut(Schema):
    id: int
    region_code: str
    region_name: str
    name: str
    kind: str
    kind_label: str
    party_level: str
    parent_id: int | None
    parent_name: str | None
    credit_code: str
    is_regular_service: bool
    is_brand: bool
    contact_name: str
    contact_phone_masked: str
    founded_on: date | None
    is_active: bool

    @staticmethod
    def resolve_region_name(obj: Organisation) -> str:
        return obj.region.name

    @staticmethod
    def resolve_kind_label(obj: Organisation) -> str:
        return str(obj.get_kind_display())

    @staticmethod
    def resolve_parent_name(obj: Organisation) -> str | None:
        return obj.parent.name if obj.parent_id else None  # type: ignore[union-attr]


class OrgFilter(Schema):
    kind: Organisation.Kind | None = None
    regular: bool | None = None
    brand: bool | None = None
    active: bool | None = None
    region: str | None = None
    q: str | None = None


class OrgIn(Schema):
    region_code: str
    name: str
    kind: Organisation.Kind
    party_level: str = ""
    parent_id: int | None = None
    credit_code: str = ""
    is_regular_service: bool = False
    is_brand: bool = False
    contact_name: str = ""
    contact_phone: str = ""
    founded_on: date | None = None
    is_active: bool = True


class OrgPatch(Schema):
    name: str | None = None
    kind: Organisation.Kind | None = None
    party_level: str | None = None
    parent_id: int | None = None
    credit_code: str | None = None
    is_regular_service: bool | None = None
    is_brand: bool | None = None
    contact_name: str | None = None
    contact_phone: str | None = None
    founded_on: date | None = None
    is_active: bool | None = None


class MemberOut(Schema):
    id: int
    organisation_id: int
    name: str
    role: str
    role_label: str
    resident_id: int | None
    user_id: int | None
    joined_on: date | None

    @staticmethod
    def resolve_role_label(obj: Membership) -> str:
        return str(obj.get_role_display())


class MemberIn(Schema):
    organisation_id: int
    name: str = ""
    role: Membership.Role = Membership.Role.MEMBER
    resident_id: int | None = None
    user_id: int | None = None
    joined_on: date | None = None


def _parent(request: AuthedRequest, parent_id: int | None) -> Organisation | None:
    if parent_id is None:
        return None
    try:
        return selectors.organisation_get_visible(request.auth, parent_id)
    except NotFound as exc:
        raise ValidationFailed(
            "org_invalid", "上级组织不存在或不在您的管理范围内", detail={"field": "parent_id"}
        ) from exc


@router.get("/", response=list[OrgOut], summary="组织列表")
@paginate
@scoped_to(Organisation)
def organisation_list(request: AuthedRequest, filters: Query[OrgFilter]):  # type: ignore[no-untyped-def]
    return selectors.organisation_list(
        request.auth,
        kind=filters.kind,
        is_regular_service=filters.regular,
        is_brand=filters.brand,
        is_active=filters.active,
        region_code=filters.region,
        q=filters.q,
    )


@router.get("/departments", response=list[OrgOut], summary="可派单的政府部门")
@paginate
@scoped_to(Organisation)
def department_list(request: AuthedRequest):  # type: ignore[no-untyped-def]
    return selectors.departments_for(request.auth).select_related("parent")


@router.get("/{int:org_id}", response={200: OrgOut, **ERROR_RESPONSES}, summary="组织详情")
@scoped_to(Organisation)
def organisation_detail(request: AuthedRequest, org_id: int):  # type: ignore[no-untyped-def]
    return selectors.organisation_get_visible(request.auth, org_id)


@router.get(
    "/{int:org_id}/members", response={200: list[MemberOut], **ERROR_RESPONSES}, summary="组织成员"
)
@scoped_to(Organisation)
def organisation_members(request: AuthedRequest, org_id: int):  # type: ignore[no-untyped-def]
    org = selectors.organisation_get_visible(request.auth, org_id)
    return list(selectors.organisation_members(request.auth, org))


@router.post("/", response={201: OrgOut, **ERROR_RESPONSES}, summary="登记组织")
@scoped_to(Organisation)
def organisation_create(request: AuthedRequest, payload: OrgIn):  # type: ignore[no-untyped-def]
    write_allowed(request)
    data = payload.dict()
    region = region_get_visible(request.auth, data.pop("region_code"))
    data["parent"] = _parent(request, data.pop("parent_id"))
    org = services.organisation_create(actor=request.auth, region=region, **data)
    return Status(201, selectors.organisation_get_visible(request.auth, org.pk))


@router.patch("/{int:org_id}", response={200: OrgOut, **ERROR_RESPONSES}, summary="修改组织")
@scoped_to(Organisation)
def organisation_update(request: AuthedRequest, org_id: int, payload: OrgPatch):  # type: ignore[no-untyped-def]
    write_allowed(request)
    org = selectors.organisation_get_visible(request.auth, org_id)  # 404 before anything else
    data = patch_changes(payload, Organisation)
    if "parent_id" in data:
        data["parent"] = _parent(request, data.pop("parent_id"))
    services.organisation_update(actor=request.auth, organisation=org, data=data)
    return selectors.organisation_get_visible(request.auth, org_id)


@router.post("/memberships", response={201: MemberOut, **ERROR_RESPONSES}, summary="添加成员")
@scoped_to(Membership)
def membership_add(request: AuthedRequest, payload: MemberIn):  # type: ignore[no-untyped-def]
    write_allowed(request)
    org = selectors.organisation_get_visible(request.auth, payload.organisation_id)
    resident = user = None
    if payload.resident_id is not None:
        from linli.people.models import Resident

        resident = Resident.objects.visible_to(request.auth).filter(pk=payload.resident_id).first()
        if resident is None:
            raise ValidationFailed("org_invalid", "居民不存在或不在您的管理范围内")
    if payload.user_id is not None:
        from linli.accounts.models import User

        user = User.objects.visible_to(request.auth).filter(pk=payload.user_id).first()
        if user is None:
            raise ValidationFailed("org_invalid", "账号不存在或不在您的管理范围内")
    membership = services.membership_add(
        actor=request.auth,
        organisation=org,
        name=payload.name,
        role=payload.role,
        resident=resident,
        user=user,
        joined_on=payload.joined_on,
    )
    return Status(201, membership)


@router.delete(
    "/memberships/{int:membership_id}",
    response={204: None, **ERROR_RESPONSES},
    summary="移除成员",
)
@scoped_to(Membership)
def membership_remove(request: AuthedRequest, membership_id: int):  # type: ignore[no-untyped-def]
    write_allowed(request)
    membership = selectors.membership_get_visible(request.auth, membership_id)
    services.membership_remove(actor=request.auth, membership=membership)
    return Status(204, None)
