"""Reads of the facility registry, always narrowed to what the principal may see."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import Q, QuerySet, Sum
from django.db.models.functions import Substr

from linli.core.errors import NotFound
from linli.facilities.models import Facility, FacilityType
from linli.regions.models import Region

# FAC_AREA_*: the community's comprehensive service facilities (ADR 0033).
SERVICE_AREA_TYPES: tuple[str, ...] = ("party_service_center", "one_stop_hall")
AREA_TARGET_URBAN_PER_100_HOUSEHOLDS = Decimal(30)
AREA_TARGET_RURAL = Decimal(300)


def _prefix(code: str) -> str:
    if len(code) == 12 and code.endswith("000000"):
        return code[:6]
    if len(code) == 12 and code.endswith("000"):
        return code[:9]
    return code


def facility_type_list(*, active_only: bool = False) -> QuerySet[FacilityType]:
    types = FacilityType.objects.order_by("sort_order", "code")
    return types.filter(is_active=True) if active_only else types


def facility_type_get(type_id: int) -> FacilityType:
    facility_type = FacilityType.objects.filter(pk=type_id).first()
    if facility_type is None:
        raise NotFound("facility_type_not_found", "未找到该设施类型")
    return facility_type


def facility_type_by_code(code: str) -> FacilityType:
    facility_type = FacilityType.objects.filter(code=code).first()
    if facility_type is None:
        raise NotFound("facility_type_not_found", f"设施类型“{code}”不存在")
    return facility_type


def facility_list(
    principal: Any,
    *,
    type_code: str | None = None,
    category: str | None = None,
    status: str | None = None,
    region_code: str | None = None,
    q: str | None = None,
) -> QuerySet[Facility]:
    """Visible facilities, filtered by type code, category, status, a region (and
    everything under it) and a name/address fragment."""
    facilities = (
        Facility.objects.visible_to(principal)
        .select_related("region", "type", "operator")
        .order_by("region_code", "type__sort_order", "name")
    )
    if type_code:
        facilities = facilities.filter(type__code=type_code)
    if category:
        facilities = facilities.filter(type__category=category)
    if status:
        facilities = facilities.filter(status=status)
    if region_code:
        facilities = facilities.filter(region_code__startswith=_prefix(region_code))
    if q:
        facilities = facilities.filter(Q(name__contains=q) | Q(address__contains=q))
    return facilities


def facility_get_visible(principal: Any, facility_id: int) -> Facility:
    facility = (
        Facility.objects.visible_to(principal)
        .select_related("region", "type", "operator", "building")
        .filter(pk=facility_id)
        .first()
    )
    if facility is None:
        raise NotFound("facility_not_found", "未找到该设施，或您无权查看")
    return facility


def facility_geojson(principal: Any, **filters: Any) -> dict[str, Any]:
    """The visible, located facilities as an RFC 7946 FeatureCollection (WGS84 lon/lat).

    Facilities without coordinates are left out: this is a map layer."""
    rows = (
        facility_list(principal, **filters)
        .filter(lng__isnull=False, lat__isnull=False)
        .values(
            "id",
            "name",
            "lng",
            "lat",
            "status",
            "region_code",
            "address",
            "building_area_m2",
            "weekday_hours",
            "type__code",
            "type__name",
            "type__life_circle",
            "type__walk_threshold_m",
        )
    )
    status_labels = dict(Facility.Status.choices)
    features = [
        {
            "type": "Feature",
            "id": row["id"],
            "geometry": {"type": "Point", "coordinates": [row["lng"], row["lat"]]},
            "properties": {
                "name": row["name"],
                "type": row["type__code"],
                "type_name": row["type__name"],
                "status": row["status"],
                "status_label": str(status_labels.get(row["status"], row["status"])),
                "region_code": row["region_code"],
                "address": row["address"],
                "building_area_m2": (
                    float(row["building_area_m2"]) if row["building_area_m2"] is not None else None
                ),
                "weekday_hours": row["weekday_hours"],
                "life_circle": row["type__life_circle"],
                "walk_threshold_m": row["type__walk_threshold_m"],
            },
        }
        for row in rows
    ]
    return {"type": "FeatureCollection", "features": features}


# --- per-community figures ------------------------------------------------------------------


def operating_facilities() -> QuerySet[Facility]:
    return Facility.objects.filter(status__in=Facility.COUNTED_STATUSES)


def area_by_community(
    region_codes: list[str] | None = None, *, type_codes: tuple[str, ...] = SERVICE_AREA_TYPES
) -> dict[str, Decimal]:
    """{community code: Σ building area of operating facilities of `type_codes`}, one query.

    Facilities at a grid count for its community; those at a town or the county for none."""
    rows = (
        operating_facilities()
        .filter(
            type__code__in=type_codes,
            building_area_m2__isnull=False,
            region__level__in=(Region.Level.COMMUNITY, Region.Level.GRID),
        )
        .annotate(community=Substr("region_code", 1, 12))
        .values("community")
        .annotate(area=Sum("building_area_m2"))
    )
    if region_codes is not None:
        rows = rows.filter(community__in=region_codes)
    return {r["community"]: Decimal(r["area"]) for r in rows}


@dataclass(frozen=True)
class ServiceArea:
    """One community's service-facility area against FAC_AREA_URBAN / FAC_AREA_RURAL."""

    code: str
    name: str
    is_urban: bool
    households: int | None
    area: Decimal

    @property
    def per_100_households(self) -> Decimal | None:
        if not self.households:
            return None
        return (self.area * 100 / self.households).quantize(Decimal("0.1"))

    @property
    def target_label(self) -> str:
        if self.is_urban:
            return f"每百户 ≥ {AREA_TARGET_URBAN_PER_100_HOUSEHOLDS} m²"
        return f"≥ {AREA_TARGET_RURAL} m²（平均）"

    @property
    def met(self) -> bool | None:
        if self.is_urban:
            per_100 = self.per_100_households
            return None if per_100 is None else per_100 >= AREA_TARGET_URBAN_PER_100_HOUSEHOLDS
        return self.area >= AREA_TARGET_RURAL


def service_area_summary(principal: Any) -> list[ServiceArea]:
    """Every visible community with its comprehensive service facility area."""
    communities = list(
        Region.objects.visible_to(principal)
        .filter(level=Region.Level.COMMUNITY)
        .order_by("code")
        .values_list("code", "name", "urban_rural_code", "households")
    )
    areas = area_by_community([c[0] for c in communities])
    return [
        ServiceArea(
            code=code,
            name=name,
            is_urban=urc.startswith("1"),
            households=households,
            area=areas.get(code, Decimal(0)),
        )
        for code, name, urc, households in communities
    ]
