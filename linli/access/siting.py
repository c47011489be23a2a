"""Where to build next: k new sites of a facility type that newly cover the most people.

The maximal covering location problem over the residential buildings of one town or
community that are outside the type's walking threshold today. Candidates are the places a
county could actually use: public buildings, facilities not in service (planned, closed,
suspended) and points of the walking network next to the uncovered homes (ADR 0091).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from linli.access import engine, selectors
from linli.access.services import settings_for
from linli.core.errors import ApplicationError, Forbidden
from linli.core.scoping import Scope
from linli.facilities.models import Facility, FacilityType
from linli.regions.models import Building, Region

MAX_K = 20
MAX_NODE_CANDIDATES = 1500
MAX_MAP_HOMES = 5000  # the map shows at most this many uncovered homes


class Weight:
    POPULATION = "population"
    ELDERLY = "elderly"
    CHOICES = ((POPULATION, gettext_lazy("全部居民")), (ELDERLY, gettext_lazy("60岁以上老年人")))


@dataclass
class Site:
    kind: str
    label: str
    lng: float
    lat: float
    gain: float  # weight newly covered by this site (beyond earlier sites)
    population: int  # residents it reaches that were outside the threshold
    elderly: int
    buildings: int


@dataclass
class SitingOutcome:
    facility_type: FacilityType
    region: Region
    k: int
    weight: str
    threshold_m: int
    population: int = 0
    covered_before: int = 0
    covered_after: int = 0
    elderly: int = 0
    elderly_before: int = 0
    elderly_after: int = 0
    candidates: int = 0
    demand_buildings: int = 0
    method: str = ""
    optimal: bool = False
    approximate: bool = False
    sites: list[Site] = field(default_factory=list)
    # the homes outside the threshold today: (lat, lng, reached by a proposed site)
    uncovered: list[tuple[float, float, bool]] = field(default_factory=list)

    def share(self, within: int, total: int) -> float | None:
        return 100 * within / total if total else None

    @property
    def share_before(self) -> float | None:
        return self.share(self.covered_before, self.population)

    @property
    def share_after(self) -> float | None:
        return self.share(self.covered_after, self.population)


def _candidates(
    region: Region,
    network: engine.WalkNetwork | None,
    uncovered_lng: np.ndarray,
    uncovered_lat: np.ndarray,
    radius_m: float,
) -> tuple[list[tuple[str, str, float, float]], int]:
    found: list[tuple[str, str, float, float]] = []
    for name, address, lng, lat in (
        Building.objects.filter(
            region_code__startswith=region.prefix,
            kind=Building.Kind.PUBLIC,
            lng__isnull=False,
            lat__isnull=False,
        )
        .order_by("pk")
        .values_list("name", "address", "lng", "lat")
    ):
        label = _("公共建筑：%(name)s") % {"name": address or name}
        found.append(("public_building", label, float(lng or 0), float(lat or 0)))
    for name, status, lng, lat in (
        Facility.objects.filter(
            region_code__startswith=region.prefix, lng__isnull=False, lat__isnull=False
        )
        .exclude(status__in=Facility.COUNTED_STATUSES)
        .order_by("pk")
        .values_list("name", "status", "lng", "lat")
    ):
        label = str(Facility.Status(status).label)
        found.append(
            (
                "vacant_facility",
                _("闲置设施：%(name)s（%(status)s）") % {"name": name, "status": label},
                float(lng or 0),
                float(lat or 0),
            )
        )
    nodes = 0
    if network is not None and len(uncovered_lng):
        # Every point of the network within the threshold of an uncovered home could serve it:
        # one bounded multi-source Dijkstra from those homes finds them all.
        reach = engine.nearest_facility(
            network,
            network.lon,
            network.lat,
            uncovered_lng,
            uncovered_lat,
            cutoff_m=radius_m,
        ).distance_m
        usable = np.flatnonzero(np.isfinite(reach))
        if len(usable) > MAX_NODE_CANDIDATES:  # an even thinning, deterministic
            usable = usable[np.linspace(0, len(usable) - 1, MAX_NODE_CANDIDATES).astype(int)]
        for node in usable.tolist():
            lat, lon = float(network.lat[node]), float(network.lon[node])
            label = _("路网节点 %(lat).5f, %(lng).5f") % {"lat": lat, "lng": lon}
            found.append(("network_node", label, lon, lat))
        nodes = len(usable)
    return found, nodes


def siting_recommend(
    *,
    scope: Scope,
    county: Region,
    facility_type: FacilityType,
    region: Region,
    k: int,
    weight: str = Weight.POPULATION,
) -> SitingOutcome:
    """Recommend k sites in `region` for `facility_type` (k ≤ 20; the region must be visible)."""
    if not scope.covers(region.code):
        raise Forbidden("forbidden", _("无权查看该区域"))
    if region.level not in (Region.Level.TOWN, Region.Level.COMMUNITY):
        raise ApplicationError("validation_error", _("请选择一个乡镇或社区/村"), status=422)
    if not 1 <= k <= MAX_K:
        raise ApplicationError(
            "validation_error", _("新建数量应在 1 到 %(max)d 之间") % {"max": MAX_K}, status=422
        )
    if weight not in (Weight.POPULATION, Weight.ELDERLY):
        raise ApplicationError("validation_error", _("未知的覆盖对象"), status=422)
    if facility_type.walk_threshold_m is None:
        raise ApplicationError("validation_error", _("该设施类型没有步行距离阈值"), status=422)
    params = settings_for(county)
    network_row = selectors.active_network(county)
    network = engine.WalkNetwork.from_bytes(bytes(network_row.data)) if network_row else None
    threshold = int(facility_type.walk_threshold_m)
    # Today's coverage is computed afresh for the region's homes (one bounded Dijkstra), so the
    # advice never rests on a stale layer; facilities outside the region count too.
    buildings = selectors.residential_buildings(county, within=region.prefix)
    facilities = selectors.facility_points(county, facility_type)
    distance = engine.nearest_facility(
        network,
        buildings.lng,
        buildings.lat,
        facilities.lng,
        facilities.lat,
        cutoff_m=float(threshold) + 1,
        detour_factor=params.detour_factor,
    ).distance_m
    inside = np.ones(len(buildings.ids), dtype=bool)
    covered = distance <= threshold
    outcome = SitingOutcome(
        facility_type=facility_type,
        region=region,
        k=k,
        weight=weight,
        threshold_m=threshold,
        approximate=network is None,
    )
    outcome.population = int(buildings.population[inside].sum())
    outcome.covered_before = int(buildings.population[inside & covered].sum())
    outcome.elderly = int(buildings.elderly[inside].sum())
    outcome.elderly_before = int(buildings.elderly[inside & covered].sum())
    values = buildings.elderly if weight == Weight.ELDERLY else buildings.population
    demand = inside & ~covered & (values > 0)
    outcome.demand_buildings = int(demand.sum())
    outcome.covered_after, outcome.elderly_after = outcome.covered_before, outcome.elderly_before
    if not outcome.demand_buildings:
        outcome.method, outcome.optimal = "none", True
        return outcome
    d_lng, d_lat = buildings.lng[demand], buildings.lat[demand]
    candidates, _nodes = _candidates(region, network, d_lng, d_lat, float(threshold))
    outcome.candidates = len(candidates)
    if not candidates:
        outcome.method = "none"
        return outcome
    matrix = engine.coverage_matrix(
        network,
        d_lng,
        d_lat,
        np.array([c[2] for c in candidates]),
        np.array([c[3] for c in candidates]),
        radius_m=float(threshold),
        detour_factor=params.detour_factor,
    ).tocsr()
    result = engine.maximal_covering(
        matrix, values[demand].astype(np.float64), min(k, len(candidates))
    )
    outcome.method, outcome.optimal = result.method, result.optimal
    population, elderly = buildings.population[demand], buildings.elderly[demand]
    reached = np.zeros(int(demand.sum()), dtype=bool)
    for index, gain in zip(result.chosen, result.gain_per_site, strict=True):
        row = matrix.getrow(index).toarray().ravel().astype(bool)
        new = row & ~reached
        if not new.any():  # k exceeds what is needed: a site reaching nobody new is no advice
            continue
        reached |= row
        kind, label, lng, lat = candidates[index]
        outcome.sites.append(
            Site(
                kind=kind,
                label=label,
                lng=lng,
                lat=lat,
                gain=float(gain),
                population=int(population[new].sum()),
                elderly=int(elderly[new].sum()),
                buildings=int(new.sum()),
            )
        )
    outcome.uncovered = [
        (float(lat), float(lng), bool(hit))
        for lat, lng, hit in zip(
            d_lat[:MAX_MAP_HOMES], d_lng[:MAX_MAP_HOMES], reached, strict=False
        )
    ]
    outcome.covered_after = outcome.covered_before + int(population[reached].sum())
    outcome.elderly_after = outcome.elderly_before + int(elderly[reached].sum())
    return outcome
