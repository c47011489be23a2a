"""Reads of the living-circles module: the inputs of a computation and its stored results."""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass
from datetime import date

import numpy as np
from django.db.models import Count, Q, QuerySet, Sum

from linli.access.models import AccessLayer, AccessRun, Coverage, LifeCircle, WalkNetwork
from linli.core.scoping import Scope
from linli.facilities.models import Facility, FacilityType
from linli.facilities.selectors import operating_facilities
from linli.people.models import Household, Resident
from linli.regions.models import Building, Region

ELDERLY_AGE = 60
RESIDENTIAL_KINDS = (Building.Kind.RESIDENTIAL, Building.Kind.MIXED)


def county_of(scope: Scope) -> Region | None:
    """The county a person works in (the one county of this deployment, if they see any of it)."""
    county = Region.objects.filter(level=Region.Level.COUNTY).order_by("code").first()
    if county is None:
        return None
    if scope.is_global or any(
        p.startswith(county.prefix) or county.prefix.startswith(p) for p in scope.prefixes
    ):
        return county
    return None


def active_network(county: Region) -> WalkNetwork | None:
    return WalkNetwork.objects.filter(county=county, is_active=True).first()


def networks(county: Region) -> QuerySet[WalkNetwork]:
    return WalkNetwork.objects.filter(county=county).defer("data")


def runs(county: Region, limit: int = 10) -> list[AccessRun]:
    return list(AccessRun.objects.filter(county=county).select_related("requested_by")[:limit])


def run_get(scope: Scope, run_id: int) -> AccessRun | None:
    run = AccessRun.objects.select_related("county").filter(pk=run_id).first()
    if run is None or county_of(scope) != run.county:
        return None
    return run


def measured_types() -> QuerySet[FacilityType]:
    """The facility types with a walking threshold (those a life circle speaks of)."""
    return FacilityType.objects.filter(is_active=True, walk_threshold_m__isnull=False).order_by(
        "sort_order", "id"
    )


@dataclass
class BuildingArrays:
    """The county's residential buildings that have a location, as parallel arrays."""

    ids: np.ndarray
    lng: np.ndarray
    lat: np.ndarray
    region_codes: list[str]
    population: np.ndarray
    households: np.ndarray
    elderly: np.ndarray

    def index(self) -> dict[int, int]:
        return {int(pk): i for i, pk in enumerate(self.ids)}


def residential_buildings(
    county: Region, *, within: str | None = None, today: date | None = None
) -> BuildingArrays:
    """Residential buildings with their active residents, households and residents aged 60+
    (of the county, or of the region whose code prefix is `within`)."""
    prefix = within or county.prefix
    rows = list(
        Building.objects.filter(
            region_code__startswith=prefix,
            kind__in=RESIDENTIAL_KINDS,
            lng__isnull=False,
            lat__isnull=False,
        )
        .order_by("pk")
        .values_list("pk", "lng", "lat", "region_code")
    )
    ids = np.array([r[0] for r in rows], dtype=np.int64)
    position = {int(pk): i for i, pk in enumerate(ids)}
    today = today or date.today()
    born_by = _years_before(today, ELDERLY_AGE)
    population = np.zeros(len(ids), dtype=np.int64)
    elderly = np.zeros(len(ids), dtype=np.int64)
    households = np.zeros(len(ids), dtype=np.int64)
    people = (
        Resident.objects.filter(
            region_code__startswith=prefix,
            status=Resident.Status.ACTIVE,
            household__building__isnull=False,
        )
        .values("household__building_id")
        .annotate(n=Count("id"), old=Count("id", filter=Q(birth_date__lte=born_by)))
    )
    for row in people:
        i = position.get(row["household__building_id"])
        if i is not None:
            population[i] = row["n"]
            elderly[i] = row["old"]
    homes = (
        Household.objects.filter(region_code__startswith=prefix, building__isnull=False)
        .values("building_id")
        .annotate(n=Count("id"))
    )
    for home in homes:
        i = position.get(home["building_id"])
        if i is not None:
            households[i] = home["n"]
    return BuildingArrays(
        ids=ids,
        lng=np.array([r[1] for r in rows], dtype=np.float64),
        lat=np.array([r[2] for r in rows], dtype=np.float64),
        region_codes=[r[3] for r in rows],
        population=population,
        households=households,
        elderly=elderly,
    )


def _years_before(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


@dataclass
class FacilityPoints:
    ids: np.ndarray
    lng: np.ndarray
    lat: np.ndarray


def facility_points(county: Region, facility_type: FacilityType) -> FacilityPoints:
    """Operating facilities of a type that have a location (closed ones serve nobody)."""
    rows = list(
        operating_facilities()
        .filter(
            region_code__startswith=county.prefix,
            type=facility_type,
            lng__isnull=False,
            lat__isnull=False,
        )
        .order_by("pk")
        .values_list("pk", "lng", "lat")
    )
    return FacilityPoints(
        ids=np.array([r[0] for r in rows], dtype=np.int64),
        lng=np.array([r[1] for r in rows], dtype=np.float64),
        lat=np.array([r[2] for r in rows], dtype=np.float64),
    )


def _layer_arrays(layer: AccessLayer) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    return (
        np.frombuffer(bytes(layer.building_ids), dtype="<i8"),
        np.frombuffer(bytes(layer.distance_m), dtype="<f4").astype(np.float64),
        np.frombuffer(bytes(layer.facility_ids), dtype="<i8"),
    )


def layer_distances(county: Region, buildings: BuildingArrays) -> dict[int, np.ndarray]:
    """{facility type id: distance per building of `buildings`} (inf where unknown)."""
    position = buildings.index()
    result: dict[int, np.ndarray] = {}
    for layer in AccessLayer.objects.filter(county=county):
        ids, distance, _facilities = _layer_arrays(layer)
        if np.array_equal(ids, buildings.ids):
            result[layer.facility_type_id] = distance
            continue
        aligned = np.full(len(buildings.ids), np.inf)
        for pk, value in zip(ids.tolist(), distance.tolist(), strict=True):
            i = position.get(pk)
            if i is not None:
                aligned[i] = value
        result[layer.facility_type_id] = aligned
    return result


def layer_flags(county: Region) -> dict[FacilityType, bool]:
    return {
        layer.facility_type: layer.approximate
        for layer in AccessLayer.objects.filter(county=county)
        .select_related("facility_type")
        .only("approximate", "facility_type")
    }


def last_computed(county: Region) -> AccessLayer | None:
    return (
        AccessLayer.objects.filter(county=county)
        .only("updated_at", "approximate")
        .order_by("-updated_at")
        .first()
    )


# --- coverage for pages, the API and indicators ------------------------------------------


@dataclass
class CoverageLine:
    region: Region
    population: int
    population_within: int
    households_outside: int
    elderly: int
    elderly_outside: int
    elderly_outside_slow: int
    approximate: bool

    @property
    def share(self) -> float | None:
        return 100 * self.population_within / self.population if self.population else None


def coverage_table(
    scope: Scope,
    *,
    parent: Region,
    circle: LifeCircle | None = None,
    facility_type: FacilityType | None = None,
) -> list[CoverageLine]:
    """One line per child of `parent` (towns of the county, communities of a town), summed."""
    rows = Coverage.objects.visible_to(scope).filter(region_code__startswith=parent.prefix)
    rows = (
        rows.filter(circle=circle)
        if circle is not None
        else rows.filter(facility_type=facility_type)
    )
    child_level: str = {
        str(Region.Level.COUNTY): str(Region.Level.TOWN),
        str(Region.Level.TOWN): str(Region.Level.COMMUNITY),
    }.get(parent.level, str(Region.Level.COMMUNITY))
    children = {
        r.prefix: r
        for r in Region.objects.filter(code__startswith=parent.prefix, level=child_level).order_by(
            "code"
        )
    }
    if parent.level == Region.Level.COMMUNITY:
        children = {parent.prefix: parent}
    sums: dict[str, list[int]] = defaultdict(lambda: [0] * 6)
    approx: dict[str, bool] = defaultdict(bool)
    for row in rows.values_list(
        "region_code",
        "population",
        "population_within",
        "households_outside",
        "elderly",
        "elderly_outside",
        "elderly_outside_slow",
        "approximate",
    ):
        key = next((p for p in children if row[0].startswith(p)), None)
        if key is None:
            continue
        total = sums[key]
        for k in range(6):
            total[k] += row[k + 1]
        approx[key] = approx[key] or row[7]
    lines = []
    for key, region in children.items():
        if key not in sums:
            continue
        pop, within, households_out, elderly, elderly_out, elderly_out_slow = sums[key]
        lines.append(
            CoverageLine(
                region=region,
                population=pop,
                population_within=within,
                households_outside=households_out,
                elderly=elderly,
                elderly_outside=elderly_out,
                elderly_outside_slow=elderly_out_slow,
                approximate=approx[key],
            )
        )
    return lines


def coverage_totals(scope: Scope, *, region: Region) -> list[dict]:
    """Per circle and per facility type, the region's population share within the threshold."""
    rows = Coverage.objects.visible_to(scope).filter(region_code__startswith=region.prefix)
    by_circle = {
        r["circle"]: r
        for r in rows.filter(circle__isnull=False)
        .values("circle")
        .annotate(pop=Sum("population"), within=Sum("population_within"))
    }
    result = []
    for circle in LifeCircle.objects.all():
        found = by_circle.get(circle.pk)
        pop = found["pop"] if found else 0
        within = found["within"] if found else 0
        result.append(
            {
                "circle": circle,
                "population": pop,
                "within": within,
                "share": 100 * within / pop if pop else None,
            }
        )
    return result


@dataclass
class BuildingPoint:
    id: int
    lng: float
    lat: float
    distance_m: float | None
    facility_id: int | None


def building_layer(
    scope: Scope, *, county: Region, facility_type: FacilityType, region: Region
) -> list[BuildingPoint]:
    """The visible residential buildings of `region` with their walk to the nearest facility."""
    layer = AccessLayer.objects.filter(county=county, facility_type=facility_type).first()
    buildings = list(
        Building.objects.visible_to(scope)
        .filter(
            region_code__startswith=region.prefix,
            kind__in=RESIDENTIAL_KINDS,
            lng__isnull=False,
            lat__isnull=False,
        )
        .values_list("pk", "lng", "lat")
    )
    lookup: dict[int, tuple[float, int]] = {}
    if layer is not None:
        ids, distance, facilities = _layer_arrays(layer)
        wanted = np.array([b[0] for b in buildings], dtype=np.int64)
        mask = np.isin(ids, wanted)
        lookup = {
            int(pk): (float(d), int(f))
            for pk, d, f in zip(ids[mask], distance[mask], facilities[mask], strict=True)
        }
    points = []
    for pk, lng, lat in buildings:
        walk, facility = lookup.get(pk, (math.inf, 0))
        points.append(
            BuildingPoint(
                id=pk,
                lng=lng,
                lat=lat,
                distance_m=None if not math.isfinite(walk) else round(walk, 1),
                facility_id=facility or None,
            )
        )
    return points


def facilities_of_type(
    scope: Scope, *, facility_type: FacilityType, region: Region, also_ids: set[int] | None = None
) -> QuerySet[Facility]:
    """Operating facilities of a type in `region`, and those in `also_ids` (the nearest ones
    of the region's homes, which may lie across its border), as far as the person may see."""
    where = Q(region_code__startswith=region.prefix)
    if also_ids:
        where |= Q(pk__in=also_ids)
    return (
        Facility.objects.visible_to(scope)
        .filter(status__in=Facility.COUNTED_STATUSES)
        .filter(where, type=facility_type, lng__isnull=False)
        .only("id", "name", "lng", "lat", "address")
    )
