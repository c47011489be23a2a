"""A generated walking network for the demo county, then its first computation.

Nanling's demo buildings have invented positions, so no real map matches them. Each
community gets a jittered street grid over its buildings and facilities (closer streets in
towns than in villages, a few blocks missing), neighbouring grids are joined where they
meet, and every community is linked by a road to its town's centre and every town to the
county seat. Deterministic from the seed; idempotent (nothing happens when the county has a
network).
"""

from __future__ import annotations

import math
import random
from collections import defaultdict

import numpy as np
from scipy.spatial import cKDTree

from linli.access import engine
from linli.access.models import WalkNetwork
from linli.access.services import access_refresh, network_activate
from linli.facilities.models import Facility
from linli.regions.models import Building, Region

URBAN_STEP_M = 90.0
RURAL_STEP_M = 140.0
MARGIN_M = 120.0
JOIN_M = 70.0  # grids of neighbouring communities are joined where their nodes come this close
ROAD_STEP_M = 150.0
M_PER_DEG_LAT = 111_320.0


class _Builder:
    def __init__(self, lat0: float) -> None:
        self.lon: list[float] = []
        self.lat: list[float] = []
        self.edges: list[tuple[int, int]] = []
        self.m_per_deg_lon = M_PER_DEG_LAT * math.cos(math.radians(lat0))

    def node(self, lon: float, lat: float) -> int:
        self.lon.append(lon)
        self.lat.append(lat)
        return len(self.lon) - 1

    def road(self, a: int, b: int) -> None:
        """A straight road from node a to node b, with a node every ROAD_STEP_M."""
        dx = (self.lon[b] - self.lon[a]) * self.m_per_deg_lon
        dy = (self.lat[b] - self.lat[a]) * M_PER_DEG_LAT
        pieces = max(1, math.ceil(math.hypot(dx, dy) / ROAD_STEP_M))
        previous = a
        for k in range(1, pieces):
            t = k / pieces
            here = self.node(
                self.lon[a] + t * (self.lon[b] - self.lon[a]),
                self.lat[a] + t * (self.lat[b] - self.lat[a]),
            )
            self.edges.append((previous, here))
            previous = here
        self.edges.append((previous, b))

    def grid(
        self, rng: random.Random, bbox: tuple[float, float, float, float], step_m: float
    ) -> list[int]:
        """A jittered street grid over bbox; returns its node ids."""
        west, south, east, north = bbox
        step_lon = step_m / self.m_per_deg_lon
        step_lat = step_m / M_PER_DEG_LAT
        cols = max(2, math.ceil((east - west) / step_lon) + 1)
        rows = max(2, math.ceil((north - south) / step_lat) + 1)
        ids = [[0] * cols for _ in range(rows)]
        for r in range(rows):
            for c in range(cols):
                ids[r][c] = self.node(
                    west + c * step_lon + rng.uniform(-0.15, 0.15) * step_lon,
                    south + r * step_lat + rng.uniform(-0.15, 0.15) * step_lat,
                )
        for r in range(rows):
            for c in range(cols):
                interior = 0 < r < rows - 1 and 0 < c < cols - 1
                if c + 1 < cols and not (interior and rng.random() < 0.06):
                    self.edges.append((ids[r][c], ids[r][c + 1]))
                if r + 1 < rows and not (interior and rng.random() < 0.06):
                    self.edges.append((ids[r][c], ids[r + 1][c]))
        return [n for row in ids for n in row]

    def nearest(self, nodes: list[int], lon: float, lat: float) -> int:
        return min(
            nodes,
            key=lambda n: (
                ((self.lon[n] - lon) * self.m_per_deg_lon) ** 2
                + ((self.lat[n] - lat) * M_PER_DEG_LAT) ** 2
            ),
        )

    def join_close(self, owner: list[int]) -> None:
        """Link nodes of different grids that lie within JOIN_M of each other."""
        xy = np.column_stack(
            (np.array(self.lon) * self.m_per_deg_lon, np.array(self.lat) * M_PER_DEG_LAT)
        )
        for a, b in cKDTree(xy).query_pairs(JOIN_M):
            if owner[a] >= 0 and owner[b] >= 0 and owner[a] != owner[b]:
                self.edges.append((a, b))

    def network(self) -> engine.WalkNetwork:
        lon = np.array(self.lon, dtype=np.float64)
        lat = np.array(self.lat, dtype=np.float64)
        src = np.array([e[0] for e in self.edges], dtype=np.int32)
        dst = np.array([e[1] for e in self.edges], dtype=np.int32)
        length = engine.haversine_m(lon[src], lat[src], lon[dst], lat[dst])
        return engine.WalkNetwork(
            lon=lon, lat=lat, src=src, dst=dst, length_m=np.asarray(length, dtype=np.float64)
        )


def demo_network(county: Region, *, seed: int) -> engine.WalkNetwork:
    rng = random.Random(seed * 7919 + 11)  # noqa: S311 - demo data, not secrets
    points: dict[str, list[tuple[float, float]]] = defaultdict(list)
    for code, lng, lat in Building.objects.filter(
        region_code__startswith=county.prefix, lng__isnull=False, lat__isnull=False
    ).values_list("region_code", "lng", "lat"):
        points[code[:12]].append((float(lng or 0), float(lat or 0)))
    for code, lng, lat in Facility.objects.filter(
        region_code__startswith=county.prefix, lng__isnull=False, lat__isnull=False
    ).values_list("region_code", "lng", "lat"):
        points[code[:12]].append((float(lng or 0), float(lat or 0)))
    regions = {
        r.code: r
        for r in Region.objects.filter(code__startswith=county.prefix).exclude(
            level=Region.Level.GRID
        )
    }
    lat0 = county.center_lat or 31.0
    builder = _Builder(lat0)
    owner: list[int] = []
    county_hub = builder.node(county.center_lng or 118.3, lat0)
    town_hubs: dict[str, int] = {}
    for code, region in sorted(regions.items()):
        if region.level == Region.Level.TOWN and region.center_lng and region.center_lat:
            town_hubs[code[:9]] = builder.node(region.center_lng, region.center_lat)
    owner.extend([-1] * len(builder.lon))
    for number, (code, spots) in enumerate(sorted(points.items())):
        community = regions.get(code)
        if community is None or community.level != Region.Level.COMMUNITY:
            continue
        lons = [p[0] for p in spots]
        lats = [p[1] for p in spots]
        margin_lon = MARGIN_M / builder.m_per_deg_lon
        margin_lat = MARGIN_M / M_PER_DEG_LAT
        bbox = (
            min(lons) - margin_lon,
            min(lats) - margin_lat,
            max(lons) + margin_lon,
            max(lats) + margin_lat,
        )
        step = URBAN_STEP_M if community.is_urban else RURAL_STEP_M
        nodes = builder.grid(rng, bbox, step)
        owner.extend([number] * (len(builder.lon) - len(owner)))
        hub = town_hubs.get(code[:9], county_hub)
        builder.road(builder.nearest(nodes, builder.lon[hub], builder.lat[hub]), hub)
        owner.extend([-1] * (len(builder.lon) - len(owner)))
    for hub in town_hubs.values():
        builder.road(hub, county_hub)
        owner.extend([-1] * (len(builder.lon) - len(owner)))
    builder.join_close(owner)
    return builder.network()


def build_demo_access(*, seed: int) -> str:
    county = Region.objects.filter(level=Region.Level.COUNTY).order_by("code").first()
    if county is None or WalkNetwork.objects.filter(county=county).exists():
        return "skipped"
    network = demo_network(county, seed=seed)
    network_activate(
        county=county,
        network=network,
        name=f"{county.name}演示步行路网",
        source=WalkNetwork.Source.GENERATED,
    )
    return access_refresh(county=county).line()
