"""Region tree API: list, detail, children, create, update — all scoped."""

from ninja import Query, Router, Schema, Status
from ninja.pagination import paginate

from linli.core.api import ERROR_RESPONSES, patch_changes, scoped_to, write_allowed
from linli.core.views_support import AuthedRequest
from linli.regions import selectors, services
from linli.regions.models import Building, Region

router = Router(tags=["区划 regions"])


class RegionOut(Schema):
    code: str
    name: str
    level: str
    parent_code: str | None = None
    urban_rural_code: str
    center_lng: float | None
    center_lat: float | None
    population: int | None
    households: int | None
    is_illustrative: bool

    @staticmethod
    def resolve_parent_code(obj: Region) -> str | None:
        return obj.parent.code if obj.parent_id else None  # type: ignore[union-attr]


class RegionFilter(Schema):
    level: Region.Level | None = None
    parent: str | None = None
    q: str | None = None


class RegionIn(Schema):
    code: str
    name: str
    level: Region.Level
    parent_code: str | None = None
    urban_rural_code: str = ""
    center_lng: float | None = None
    center_lat: float | None = None
    population: int | None = None
    households: int | None = None


class RegionPatch(Schema):
    name: str | None = None
    urban_rural_code: str | None = None
    center_lng: float | None = None
    center_lat: float | None = None
    population: int | None = None
    households: int | None = None


@router.get("/", response=list[RegionOut], summary="区划列表")
@paginate
@scoped_to(Region)
def region_list(request: AuthedRequest, filters: Query[RegionFilter]):  # type: ignore[no-untyped-def]
    return selectors.region_list(
        request.auth, level=filters.level, parent_code=filters.parent, query=filters.q
    )


@router.get("/{code}", response={200: RegionOut, **ERROR_RESPONSES}, summary="区划详情")
@scoped_to(Region)
def region_detail(request: AuthedRequest, code: str):  # type: ignore[no-untyped-def]
    return selectors.region_get_visible(request.auth, code)


@router.get(
    "/{code}/children", response={200: list[RegionOut], **ERROR_RESPONSES}, summary="下级区划"
)
@scoped_to(Region)
def region_children(request: AuthedRequest, code: str):  # type: ignore[no-untyped-def]
    return list(selectors.region_children(request.auth, code).select_related("parent"))


@router.post("/", response={201: RegionOut, **ERROR_RESPONSES}, summary="新增区划")
@scoped_to(Region)
def region_create(request: AuthedRequest, payload: RegionIn):  # type: ignore[no-untyped-def]
    write_allowed(request)
    data = payload.dict()
    data["parent_code"] = data["parent_code"] or ""
    region = services.region_create(actor=request.auth, **data)
    return 201, region


@router.patch("/{code}", response={200: RegionOut, **ERROR_RESPONSES}, summary="修改区划")
@scoped_to(Region)
def region_update(request: AuthedRequest, code: str, payload: RegionPatch):  # type: ignore[no-untyped-def]
    write_allowed(request)
    selectors.region_get_visible(request.auth, code)  # 404 before any write check
    return services.region_update(
        actor=request.auth, code=code, data=patch_changes(payload, Region)
    )


# --- buildings (楼栋) -------------------------------------------------------------------------
# Building routes live here, not in the people API: buildings belong to the regions app.


class BuildingOut(Schema):
    id: int
    name: str
    address: str
    kind: str
    kind_label: str
    floors: int | None
    units: int | None
    lng: float | None
    lat: float | None
    region_code: str
    region_name: str

    @staticmethod
    def resolve_kind_label(obj: Building) -> str:
        return str(obj.get_kind_display())

    @staticmethod
    def resolve_region_name(obj: Building) -> str:
        return obj.region.name


class BuildingFilter(Schema):
    q: str | None = None
    region_code: str | None = None


class BuildingIn(Schema):
    region_code: str = ""
    name: str = ""
    address: str = ""
    kind: Building.Kind = Building.Kind.RESIDENTIAL
    floors: int | None = None
    units: int | None = None
    lng: float | None = None
    lat: float | None = None


class BuildingPatch(Schema):
    region_code: str | None = None
    name: str | None = None
    address: str | None = None
    kind: Building.Kind | None = None
    floors: int | None = None
    units: int | None = None
    lng: float | None = None
    lat: float | None = None


@router.get("/buildings/", response=list[BuildingOut], summary="楼栋列表（按地址检索）")
@paginate
@scoped_to(Building)
def building_list(request: AuthedRequest, filters: Query[BuildingFilter]):  # type: ignore[no-untyped-def]
    return selectors.building_list(request.auth, query=filters.q, region_code=filters.region_code)


@router.get(
    "/buildings/{building_id}", response={200: BuildingOut, **ERROR_RESPONSES}, summary="楼栋详情"
)
@scoped_to(Building)
def building_detail(request: AuthedRequest, building_id: int):  # type: ignore[no-untyped-def]
    return selectors.building_get_visible(request.auth, building_id)


@router.post("/buildings/", response={201: BuildingOut, **ERROR_RESPONSES}, summary="登记楼栋")
@scoped_to(Building)
def building_create(request: AuthedRequest, payload: BuildingIn):  # type: ignore[no-untyped-def]
    write_allowed(request)
    building = services.building_create(actor=request.auth, **payload.dict())
    return Status(201, selectors.building_get_visible(request.auth, building.pk))


@router.patch(
    "/buildings/{building_id}", response={200: BuildingOut, **ERROR_RESPONSES}, summary="修改楼栋"
)
@scoped_to(Building)
def building_update(request: AuthedRequest, building_id: int, payload: BuildingPatch):  # type: ignore[no-untyped-def]
    write_allowed(request)
    building = selectors.building_get_visible(request.auth, building_id)  # 404 first
    services.building_update(
        actor=request.auth, building=building, data=patch_changes(payload, Building)
    )
    return selectors.building_get_visible(request.auth, building_id)
