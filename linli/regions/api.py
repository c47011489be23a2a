"""Region tree API: list, detail, children, create, update — all scoped."""

from ninja import Query, Router, Schema
from ninja.pagination import paginate

from linli.core.api import ERROR_RESPONSES, scoped_to, write_allowed
from linli.core.views_support import AuthedRequest
from linli.regions import selectors, services
from linli.regions.models import Region

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
        actor=request.auth, code=code, data=payload.dict(exclude_unset=True)
    )
