"""Living-circles API: circle definitions, coverage by community, a building's walks, siting."""

import math

import numpy as np
from ninja import Query, Router, Schema
from ninja.pagination import paginate

from linli.access import selectors, siting
from linli.access.models import AccessLayer, Coverage, LifeCircle
from linli.core.api import ERROR_RESPONSES, not_region_data, scoped_to
from linli.core.errors import NotFound, ValidationFailed
from linli.core.scoping import scope_of
from linli.core.views_support import AuthedRequest
from linli.regions.models import Building, Region
from linli.regions.selectors import building_get_visible, region_get_visible

router = Router(tags=["生活圈 access"])


class RequirementOut(Schema):
    name: str
    facility_types: list[str]


class CircleOut(Schema):
    code: str
    name: str
    measure_code: str
    minutes: int
    distance_m: int
    requirements: list[RequirementOut]


@router.get("/circles", response=list[CircleOut], summary="生活圈定义")
@not_region_data("生活圈定义是全县统一的配置，不含区划数据")
def circle_list(request: AuthedRequest):  # type: ignore[no-untyped-def]
    return [
        CircleOut(
            code=c.code,
            name=c.name,
            measure_code=c.measure_code,
            minutes=c.minutes,
            distance_m=c.distance_m,
            requirements=[
                RequirementOut(name=r.name, facility_types=[t.code for t in r.facility_types.all()])
                for r in c.requirements.all()
            ],
        )
        for c in LifeCircle.objects.prefetch_related("requirements__facility_types")
    ]


class CoverageOut(Schema):
    region_code: str
    region_name: str
    subject: str  # circle code, or type:<facility type code>
    subject_name: str
    threshold_m: int
    approximate: bool
    buildings: int
    population: int
    population_within: int
    share: float | None
    households: int
    households_outside: int
    elderly: int
    elderly_outside: int
    elderly_outside_slow: int


class CoverageFilter(Schema):
    subject: str | None = None
    region: str | None = None


def _coverage_out(row: Coverage) -> CoverageOut:
    # Exactly one of circle and facility type is set (a check constraint of the table).
    if row.circle is not None:
        subject, subject_name = row.circle.code, row.circle.name
    else:
        assert row.facility_type is not None
        subject, subject_name = f"type:{row.facility_type.code}", row.facility_type.name
    return CoverageOut(
        region_code=row.region_code,
        region_name=row.region.name,
        subject=subject,
        subject_name=subject_name,
        threshold_m=row.threshold_m,
        approximate=row.approximate,
        buildings=row.buildings,
        population=row.population,
        population_within=row.population_within,
        share=round(100 * row.population_within / row.population, 2) if row.population else None,
        households=row.households,
        households_outside=row.households_outside,
        elderly=row.elderly,
        elderly_outside=row.elderly_outside,
        elderly_outside_slow=row.elderly_outside_slow,
    )


@router.get("/coverage", response=list[CoverageOut], summary="各社区生活圈与设施覆盖")
@paginate
@scoped_to(Coverage)
def coverage_list(request: AuthedRequest, filters: Query[CoverageFilter]):  # type: ignore[no-untyped-def]
    rows = (
        Coverage.objects.visible_to(request.auth)
        .select_related("region", "circle", "facility_type")
        .order_by("region_code", "circle_id", "facility_type_id")
    )
    if filters.region:
        rows = rows.filter(
            region_code__startswith=region_get_visible(request.auth, filters.region).prefix
        )
    if filters.subject:
        if filters.subject.startswith("type:"):
            rows = rows.filter(facility_type__code=filters.subject[5:])
        else:
            rows = rows.filter(circle__code=filters.subject)
    return [_coverage_out(row) for row in rows]


class WalkOut(Schema):
    facility_type: str
    facility_type_name: str
    threshold_m: int | None
    distance_m: float | None  # None: nothing within the computation's cut-off
    walk_minutes: float | None
    elderly_walk_minutes: float | None
    within: bool
    nearest_facility_id: int | None
    approximate: bool


class BuildingAccessOut(Schema):
    building_id: int
    address: str
    walks: list[WalkOut]


@router.get(
    "/buildings/{building_id}",
    response={200: BuildingAccessOut, **ERROR_RESPONSES},
    summary="某楼栋到各类设施的步行距离",
)
@scoped_to(Building)
def building_access(request: AuthedRequest, building_id: int):  # type: ignore[no-untyped-def]
    from linli.access.services import settings_for

    building = building_get_visible(request.auth, building_id)
    county = (
        selectors.county_of(scope_of(request.auth))
        or Region.objects.filter(
            level=Region.Level.COUNTY, code__startswith=building.region_code[:6]
        ).first()
    )
    walks: list[WalkOut] = []
    if county is not None:
        params = settings_for(county)
        per_minute = params.walk_speed_kmh * 1000 / 60
        per_minute_slow = params.elderly_speed_kmh * 1000 / 60
        for layer in AccessLayer.objects.filter(county=county).select_related("facility_type"):
            ids = np.frombuffer(bytes(layer.building_ids), dtype="<i8")
            at = int(np.searchsorted(ids, building.pk))
            if at >= len(ids) or ids[at] != building.pk:
                continue
            distance = float(np.frombuffer(bytes(layer.distance_m), dtype="<f4")[at])
            facility = int(np.frombuffer(bytes(layer.facility_ids), dtype="<i8")[at])
            known = math.isfinite(distance)
            threshold = layer.facility_type.walk_threshold_m
            walks.append(
                WalkOut(
                    facility_type=layer.facility_type.code,
                    facility_type_name=layer.facility_type.name,
                    threshold_m=threshold,
                    distance_m=round(distance, 1) if known else None,
                    walk_minutes=round(distance / per_minute, 1) if known else None,
                    elderly_walk_minutes=round(distance / per_minute_slow, 1) if known else None,
                    within=known and threshold is not None and distance <= threshold,
                    nearest_facility_id=facility or None,
                    approximate=layer.approximate,
                )
            )
    return BuildingAccessOut(building_id=building.pk, address=building.address, walks=walks)


class SiteOut(Schema):
    kind: str
    label: str
    lng: float
    lat: float
    population: int
    elderly: int
    buildings: int


class SitingOut(Schema):
    region_code: str
    facility_type: str
    k: int
    weight: str
    threshold_m: int
    method: str
    optimal: bool
    approximate: bool
    candidates: int
    population: int
    covered_before: int
    covered_after: int
    elderly: int
    elderly_before: int
    elderly_after: int
    sites: list[SiteOut]


class SitingQuery(Schema):
    type: str | None = None  # default: 养老服务站, else the first type with a threshold
    k: int = 3
    weight: str = siting.Weight.POPULATION


@router.get(
    "/regions/{code}/siting",
    response={200: SitingOut, **ERROR_RESPONSES},
    summary="新建设施选址建议（最大覆盖）",
)
@scoped_to(Region)
def siting_for_region(request: AuthedRequest, code: str, query: Query[SitingQuery]):  # type: ignore[no-untyped-def]
    region = region_get_visible(request.auth, code)
    scope = scope_of(request.auth)
    county = Region.objects.filter(
        level=Region.Level.COUNTY, code__startswith=region.code[:6]
    ).first()
    if county is None:
        raise NotFound("region_not_found", "区划不存在或无权查看")
    types = selectors.measured_types()
    if query.type:
        facility_type = types.filter(code=query.type).first()
        if facility_type is None:
            raise ValidationFailed("validation_error", f"未知或无步行阈值的设施类型：{query.type}")
    else:
        facility_type = types.filter(code="elderly_station").first() or types.first()
    if facility_type is None:  # a catalogue with no walking thresholds: nothing to site
        return SitingOut(
            region_code=region.code,
            facility_type="",
            k=query.k,
            weight=query.weight,
            threshold_m=0,
            method="none",
            optimal=True,
            approximate=False,
            candidates=0,
            population=0,
            covered_before=0,
            covered_after=0,
            elderly=0,
            elderly_before=0,
            elderly_after=0,
            sites=[],
        )
    outcome = siting.siting_recommend(
        scope=scope,
        county=county,
        facility_type=facility_type,
        region=region,
        k=query.k,
        weight=query.weight,
    )
    return SitingOut(
        region_code=region.code,
        facility_type=facility_type.code,
        k=outcome.k,
        weight=outcome.weight,
        threshold_m=outcome.threshold_m,
        method=outcome.method,
        optimal=outcome.optimal,
        approximate=outcome.approximate,
        candidates=outcome.candidates,
        population=outcome.population,
        covered_before=outcome.covered_before,
        covered_after=outcome.covered_after,
        elderly=outcome.elderly,
        elderly_before=outcome.elderly_before,
        elderly_after=outcome.elderly_after,
        sites=[
            SiteOut(
                kind=s.kind,
                label=s.label,
                lng=s.lng,
                lat=s.lat,
                population=s.population,
                elderly=s.elderly,
                buildings=s.buildings,
            )
            for s in outcome.sites
        ],
    )
