"""Facility registry API: facilities (list, GeoJSON, detail, create, patch, close) and types."""

import json
from decimal import Decimal
from typing import Literal

from django.http import HttpResponse
from ninja import Query, Router, Schema, Status
from ninja.pagination import paginate

from linli.core.api import ERROR_RESPONSES, not_region_data, patch_changes, scoped_to, write_allowed
from linli.core.errors import NotFound, ValidationFailed
from linli.core.views_support import AuthedRequest
from linli.facilities import selectors, services
from linli.facilities.models import Facility
from linli.regions.selectors import region_get_visible

router = Router(tags=["服务设施 facilities"])


class FacilityTypeOut(Schema):
    id: int
    code: str
    name: str
    category: str
    life_circle: str
    walk_threshold_m: int | None
    is_active: bool


class FacilityOut(Schema):
    id: int
    region_code: str
    region_name: str
    type_code: str
    type_name: str
    name: str
    address: str
    building_id: int | None
    lng: float | None
    lat: float | None
    building_area_m2: Decimal | None
    weekday_hours: str
    extended_evening: bool
    weekend_open: bool
    operator_id: int | None
    operator_name: str
    status: str
    status_label: str

    @staticmethod
    def resolve_region_name(obj: Facility) -> str:
        return obj.region.name

    @staticmethod
    def resolve_type_code(obj: Facility) -> str:
        return obj.type.code

    @staticmethod
    def resolve_type_name(obj: Facility) -> str:
        return obj.type.name

    @staticmethod
    def resolve_status_label(obj: Facility) -> str:
        return str(obj.get_status_display())


class FacilityFilter(Schema):
    type: str | None = None
    category: str | None = None
    status: Facility.Status | None = None
    region: str | None = None
    q: str | None = None


CoordSystem = Literal["wgs84", "gcj02"]


class FacilityIn(Schema):
    region_code: str
    type_code: str
    name: str
    address: str = ""
    building_id: int | None = None
    lng: float | None = None
    lat: float | None = None
    coord_system: CoordSystem = "wgs84"
    building_area_m2: Decimal | None = None
    weekday_hours: str = ""
    extended_evening: bool = False
    weekend_open: bool = False
    operator_id: int | None = None
    operator_name: str = ""
    status: Facility.Status = Facility.Status.OPERATING


class FacilityPatch(Schema):
    type_code: str | None = None
    name: str | None = None
    address: str | None = None
    building_id: int | None = None
    lng: float | None = None
    lat: float | None = None
    coord_system: CoordSystem = "wgs84"
    building_area_m2: Decimal | None = None
    weekday_hours: str | None = None
    extended_evening: bool | None = None
    weekend_open: bool | None = None
    operator_id: int | None = None
    operator_name: str | None = None
    status: Facility.Status | None = None


def _relations(request: AuthedRequest, data: dict) -> dict:
    """Turn *_code / *_id fields into the visible objects the services take (422 if unseen)."""
    from linli.orgs.models import Organisation
    from linli.regions.models import Building

    if "type_code" in data:
        try:
            data["type"] = selectors.facility_type_by_code(data.pop("type_code") or "")
        except NotFound as exc:
            raise ValidationFailed("facility_invalid", exc.message) from exc
    if "building_id" in data:
        building_id = data.pop("building_id")
        data["building"] = None
        if building_id is not None:
            data["building"] = (
                Building.objects.visible_to(request.auth).filter(pk=building_id).first()
            )
            if data["building"] is None:
                raise ValidationFailed("facility_invalid", "楼栋不存在或不在您的管理范围内")
    if "operator_id" in data:
        operator_id = data.pop("operator_id")
        data["operator"] = None
        if operator_id is not None:
            data["operator"] = (
                Organisation.objects.visible_to(request.auth).filter(pk=operator_id).first()
            )
            if data["operator"] is None:
                raise ValidationFailed("facility_invalid", "运营方组织不存在或不在您的管理范围内")
    return data


@router.get("/types", response=list[FacilityTypeOut], summary="设施类型目录")
@not_region_data("the county's facility-type catalogue is shared reference data")
def facility_type_list(request: AuthedRequest, active: bool | None = None):  # type: ignore[no-untyped-def]
    return list(selectors.facility_type_list(active_only=bool(active)))


@router.get("/", response=list[FacilityOut], summary="设施列表")
@paginate
@scoped_to(Facility)
def facility_list(request: AuthedRequest, filters: Query[FacilityFilter]):  # type: ignore[no-untyped-def]
    return selectors.facility_list(
        request.auth,
        type_code=filters.type,
        category=filters.category,
        status=filters.status,
        region_code=filters.region,
        q=filters.q,
    )


@router.get(
    "/geojson",
    response={200: dict},
    summary="设施分布 GeoJSON",
    description=(
        "RFC 7946 FeatureCollection（WGS84 经纬度），仅含有坐标的设施；筛选参数同设施列表。"
    ),
)
@scoped_to(Facility)
def facility_geojson(request: AuthedRequest, filters: Query[FacilityFilter]):  # type: ignore[no-untyped-def]
    collection = selectors.facility_geojson(
        request.auth,
        type_code=filters.type,
        category=filters.category,
        status=filters.status,
        region_code=filters.region,
        q=filters.q,
    )
    return HttpResponse(
        json.dumps(collection, ensure_ascii=False), content_type="application/geo+json"
    )


@router.get(
    "/{int:facility_id}", response={200: FacilityOut, **ERROR_RESPONSES}, summary="设施详情"
)
@scoped_to(Facility)
def facility_detail(request: AuthedRequest, facility_id: int):  # type: ignore[no-untyped-def]
    return selectors.facility_get_visible(request.auth, facility_id)


@router.post("/", response={201: FacilityOut, **ERROR_RESPONSES}, summary="登记设施")
@scoped_to(Facility)
def facility_create(request: AuthedRequest, payload: FacilityIn):  # type: ignore[no-untyped-def]
    write_allowed(request)
    data = payload.dict()
    region = region_get_visible(request.auth, data.pop("region_code"))
    facility = services.facility_create(
        actor=request.auth, region=region, **_relations(request, data)
    )
    return Status(201, selectors.facility_get_visible(request.auth, facility.pk))


@router.patch(
    "/{int:facility_id}", response={200: FacilityOut, **ERROR_RESPONSES}, summary="修改设施"
)
@scoped_to(Facility)
def facility_update(request: AuthedRequest, facility_id: int, payload: FacilityPatch):  # type: ignore[no-untyped-def]
    write_allowed(request)
    facility = selectors.facility_get_visible(request.auth, facility_id)
    data = patch_changes(payload, Facility)
    coord_system = data.pop("coord_system", "wgs84")
    services.facility_update(
        actor=request.auth,
        facility=facility,
        data=_relations(request, data),
        coord_system=coord_system,
    )
    return selectors.facility_get_visible(request.auth, facility_id)


@router.post(
    "/{int:facility_id}/close", response={200: FacilityOut, **ERROR_RESPONSES}, summary="关闭设施"
)
@scoped_to(Facility)
def facility_close(request: AuthedRequest, facility_id: int):  # type: ignore[no-untyped-def]
    write_allowed(request)
    facility = selectors.facility_get_visible(request.auth, facility_id)
    services.facility_close(actor=request.auth, facility=facility)
    return selectors.facility_get_visible(request.auth, facility_id)
