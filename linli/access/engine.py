"""Walking distances and facility siting on a walking network: numpy and scipy only.

Everything here is pure computation on arrays (no Django, no database), so that the
`access` services can run it in a background task and the tests can check it against
independent references (networkx's Dijkstra on pyrosm's network, spopt's MCLP with CBC).

Conventions:
- coordinates are WGS84 longitude/latitude in degrees, distances are metres;
- one distance formula everywhere: `haversine_m` on a sphere of the mean Earth radius
  (IUGG, 6,371,008.8 m — the radius pyrosm and OSMnx use for their edge lengths);
- a walk from a point to a point = the straight line from the origin to its nearest network
  node + the shortest network path + the straight line from the facility's nearest node to
  the facility ("snapping" both ends, and counting both snap distances);
- without a network, distance = great-circle distance × a detour factor (1.3 by default,
  DESIGN.md §8), and results say `approximate=True`.
"""

from __future__ import annotations

import io
import time
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import numpy as np
from scipy import sparse
from scipy.optimize import Bounds, LinearConstraint, linprog, milp
from scipy.sparse.csgraph import dijkstra
from scipy.spatial import cKDTree

EARTH_RADIUS_M = 6_371_008.8
DEFAULT_DETOUR_FACTOR = 1.3
_FORMAT_VERSION = 1
# Dense Dijkstra output per batch of sources in `coverage_matrix` (float64 cells: 32 MB).
_DENSE_CELLS = 4_000_000

# --- geometry ---------------------------------------------------------------------------


def haversine_m(lon1: Any, lat1: Any, lon2: Any, lat2: Any) -> np.ndarray:
    """Great-circle distance in metres on a sphere of radius `EARTH_RADIUS_M` (broadcasts)."""
    lon1, lat1, lon2, lat2 = (
        np.radians(np.asarray(a, dtype=np.float64)) for a in (lon1, lat1, lon2, lat2)
    )
    a = (
        np.sin((lat2 - lat1) * 0.5) ** 2
        + np.cos(lat1) * np.cos(lat2) * np.sin((lon2 - lon1) * 0.5) ** 2
    )
    return 2.0 * EARTH_RADIUS_M * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0)))


def _xyz(lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    """Points on the sphere of radius `EARTH_RADIUS_M`, in metres.

    Why not a plane projection: the chord between two points grows strictly with their
    great-circle distance, so a KD-tree on these coordinates finds exactly the nearest
    point by `haversine_m`, anywhere, with no distortion to correct for.
    """
    lam, phi = np.radians(lon), np.radians(lat)
    cos_phi = np.cos(phi)
    return (
        np.column_stack((cos_phi * np.cos(lam), cos_phi * np.sin(lam), np.sin(phi)))
        * EARTH_RADIUS_M
    )


def _chord_m(great_circle_m: float) -> float:
    """The chord length of a great-circle distance (for KD-tree radius queries)."""
    angle = min(great_circle_m / EARTH_RADIUS_M, np.pi)
    return float(2.0 * EARTH_RADIUS_M * np.sin(angle / 2.0))


def _points(lon: Any, lat: Any, what: str) -> tuple[np.ndarray, np.ndarray]:
    lon_a = np.atleast_1d(np.asarray(lon, dtype=np.float64)).ravel()
    lat_a = np.atleast_1d(np.asarray(lat, dtype=np.float64)).ravel()
    if lon_a.shape != lat_a.shape:
        raise ValueError(f"{what}: {lon_a.size} longitudes but {lat_a.size} latitudes")
    if not (np.all(np.isfinite(lon_a)) and np.all(np.isfinite(lat_a))):
        raise ValueError(f"{what}: coordinates must be finite")
    if np.any(np.abs(lon_a) > 180) or np.any(np.abs(lat_a) > 90):
        raise ValueError(f"{what}: coordinates out of range for WGS84 degrees")
    return lon_a, lat_a


# --- the network ------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class WalkNetwork:
    """An undirected walking network: nodes with WGS84 coordinates, edges with lengths.

    Each edge is stored once (`src`, `dst`); parallel edges are allowed (the shorter one
    counts) and self-loops are ignored. Derived structures (adjacency, KD-tree) are built
    on first use and cached on the instance.
    """

    lon: np.ndarray
    lat: np.ndarray
    src: np.ndarray
    dst: np.ndarray
    length_m: np.ndarray

    def __post_init__(self) -> None:
        # Normalise dtypes once so that every consumer (and `to_bytes`) sees the same thing.
        for name, dtype in (
            ("lon", np.float64),
            ("lat", np.float64),
            ("src", np.int32),
            ("dst", np.int32),
            ("length_m", np.float64),
        ):
            value = np.ascontiguousarray(np.asarray(getattr(self, name)).ravel(), dtype=dtype)
            object.__setattr__(self, name, value)
        n = self.lon.size
        if self.lat.size != n:
            raise ValueError("lon and lat differ in length")
        if not (self.src.size == self.dst.size == self.length_m.size):
            raise ValueError("src, dst and length_m differ in length")
        if n and not (np.all(np.isfinite(self.lon)) and np.all(np.isfinite(self.lat))):
            raise ValueError("node coordinates must be finite")
        if self.src.size:
            if (
                min(int(self.src.min()), int(self.dst.min())) < 0
                or max(int(self.src.max()), int(self.dst.max())) >= n
            ):
                raise ValueError("edge endpoints must be node indices")
            if not np.all(np.isfinite(self.length_m)) or float(self.length_m.min()) < 0:
                raise ValueError("edge lengths must be finite and non-negative")

    @property
    def node_count(self) -> int:
        return int(self.lon.size)

    @property
    def edge_count(self) -> int:
        return int(self.src.size)

    def bbox(self) -> tuple[float, float, float, float]:
        """(min_lon, min_lat, max_lon, max_lat); raises ValueError for an empty network."""
        if not self.node_count:
            raise ValueError("empty network has no bounding box")
        return (
            float(self.lon.min()),
            float(self.lat.min()),
            float(self.lon.max()),
            float(self.lat.max()),
        )

    def to_bytes(self) -> bytes:
        buffer = io.BytesIO()
        np.savez_compressed(
            buffer,
            version=np.array(_FORMAT_VERSION),
            lon=self.lon,
            lat=self.lat,
            src=self.src,
            dst=self.dst,
            length_m=self.length_m,
        )
        return buffer.getvalue()

    @classmethod
    def from_bytes(cls, data: bytes) -> WalkNetwork:
        try:
            with np.load(io.BytesIO(data), allow_pickle=False) as archive:
                version = int(archive["version"])
                if version != _FORMAT_VERSION:
                    raise ValueError(f"unsupported network format version {version}")
                return cls(
                    lon=archive["lon"],
                    lat=archive["lat"],
                    src=archive["src"],
                    dst=archive["dst"],
                    length_m=archive["length_m"],
                )
        except (OSError, KeyError, EOFError, zipfile.BadZipFile) as error:  # not our npz
            raise ValueError(f"not a stored walking network: {error}") from error

    # Derived structures. cached_property writes to the instance __dict__ directly, which a
    # frozen dataclass allows (it only blocks __setattr__).

    @cached_property
    def _adjacency(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """CSR arrays (indptr, indices, weights) of the symmetric graph, one entry per
        ordered node pair (the shortest of parallel edges), no self-loops."""
        n = self.node_count
        keep = self.src != self.dst
        src, dst, length = self.src[keep], self.dst[keep], self.length_m[keep]
        rows = np.concatenate((src, dst)).astype(np.int64)
        cols = np.concatenate((dst, src)).astype(np.int64)
        weights = np.concatenate((length, length))
        order = np.lexsort((weights, cols, rows))
        rows, cols, weights = rows[order], cols[order], weights[order]
        if rows.size:
            # Why dedupe: building a CSR from COO sums duplicates; parallel edges must not add up.
            first = np.ones(rows.size, dtype=bool)
            first[1:] = (rows[1:] != rows[:-1]) | (cols[1:] != cols[:-1])
            rows, cols, weights = rows[first], cols[first], weights[first]
        indptr = np.zeros(n + 1, dtype=np.int64)
        np.cumsum(np.bincount(rows, minlength=n), out=indptr[1:])
        return indptr, cols.astype(np.int32), weights

    def graph(
        self, extra_rows: np.ndarray | None = None, extra_weights: np.ndarray | None = None
    ) -> sparse.csr_matrix:
        """The network as a CSR matrix; with `extra_rows`, one more virtual node per entry,
        with one directed edge to the given node of the given weight (used to start a
        multi-source Dijkstra at a distance: a facility's snap distance)."""
        indptr, indices, weights = self._adjacency
        n = self.node_count
        if extra_rows is None or extra_weights is None:
            return sparse.csr_matrix((weights, indices, indptr), shape=(n, n))
        m = int(extra_rows.size)
        indptr = np.concatenate((indptr, indptr[-1] + np.arange(1, m + 1, dtype=np.int64)))
        indices = np.concatenate((indices, extra_rows.astype(np.int32)))
        weights = np.concatenate((weights, extra_weights.astype(np.float64)))
        # Explicit zero weights (a facility on a node) stay edges: csgraph treats stored
        # entries of a sparse matrix as edges whatever their value.
        return sparse.csr_matrix((weights, indices, indptr), shape=(n + m, n + m))

    @cached_property
    def _tree(self) -> cKDTree:
        return cKDTree(_xyz(self.lon, self.lat))


def snap(network: WalkNetwork, lon: Any, lat: Any) -> tuple[np.ndarray, np.ndarray]:
    """The nearest network node of each point and its distance (`haversine_m`)."""
    lon_a, lat_a = _points(lon, lat, "snap")
    if network.node_count == 0:
        raise ValueError("cannot snap to an empty network")
    if lon_a.size == 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float64)
    _, nodes = network._tree.query(_xyz(lon_a, lat_a), k=1)
    nodes = np.asarray(nodes, dtype=np.int64)
    return nodes, haversine_m(lon_a, lat_a, network.lon[nodes], network.lat[nodes])


def largest_component(network: WalkNetwork) -> WalkNetwork:
    """The network restricted to its largest connected component (by node count).

    Not applied by the importers: a county's villages can be islands of their own on a
    network cut to the county, and dropping them would snap their houses to a road
    kilometres away. Use it only where small islands are known to be artefacts.
    """
    from scipy.sparse.csgraph import connected_components

    if network.node_count == 0:
        return network
    _, labels = connected_components(network.graph(), directed=False)
    keep = labels == np.bincount(labels).argmax()
    return _subnetwork(network, keep)


def _subnetwork(network: WalkNetwork, keep_node: np.ndarray) -> WalkNetwork:
    new_index = np.full(network.node_count, -1, dtype=np.int64)
    new_index[keep_node] = np.arange(int(keep_node.sum()))
    keep_edge = keep_node[network.src] & keep_node[network.dst]
    return WalkNetwork(
        lon=network.lon[keep_node],
        lat=network.lat[keep_node],
        src=new_index[network.src[keep_edge]],
        dst=new_index[network.dst[keep_edge]],
        length_m=network.length_m[keep_edge],
    )


# --- nearest facility -------------------------------------------------------------------


@dataclass
class NearestResult:
    """Per origin: the walking distance to the nearest facility and which one it is."""

    distance_m: np.ndarray  # float64; np.inf when nothing is within the cut-off
    facility: np.ndarray  # int64 index into the facilities given; -1 when none
    approximate: bool  # True for the straight-line fallback


def nearest_facility(
    network: WalkNetwork | None,
    origin_lon: Any,
    origin_lat: Any,
    facility_lon: Any,
    facility_lat: Any,
    *,
    cutoff_m: float,
    detour_factor: float = DEFAULT_DETOUR_FACTOR,
    origin_snap: tuple[np.ndarray, np.ndarray] | None = None,
) -> NearestResult:
    """The nearest facility of each origin within `cutoff_m` metres of walking.

    With a network: one multi-source Dijkstra from all facilities at once, over the network
    plus one virtual node per facility joined to the facility's nearest node by an edge of
    its snap distance; the distance to an origin is its own snap distance plus the
    Dijkstra distance of its nearest node, and the facility is the source that reached it.
    Without a network: great-circle distance × `detour_factor`, flagged approximate.
    `origin_snap` (from `snap`) saves snapping the same origins again for every type.
    """
    o_lon, o_lat = _points(origin_lon, origin_lat, "origins")
    f_lon, f_lat = _points(facility_lon, facility_lat, "facilities")
    if not cutoff_m >= 0:
        raise ValueError("cutoff_m must be a non-negative number")
    n_o = o_lon.size
    distance = np.full(n_o, np.inf)
    facility = np.full(n_o, -1, dtype=np.int64)
    approximate = network is None
    if n_o == 0 or f_lon.size == 0:
        return NearestResult(distance, facility, approximate)

    if network is None:
        if not detour_factor >= 1:
            raise ValueError("detour_factor must be at least 1")
        tree = cKDTree(_xyz(f_lon, f_lat))
        # A little slack on the chord bound; the exact cut-off is applied on haversine below.
        bound = _chord_m(cutoff_m / detour_factor) * (1 + 1e-9) + 1e-6
        _, nearest = tree.query(_xyz(o_lon, o_lat), k=1, distance_upper_bound=bound)
        found = nearest < f_lon.size
        idx = np.flatnonzero(found)
        j = nearest[idx].astype(np.int64)
        d = haversine_m(o_lon[idx], o_lat[idx], f_lon[j], f_lat[j]) * detour_factor
        ok = d <= cutoff_m
        distance[idx[ok]] = d[ok]
        facility[idx[ok]] = j[ok]
        return NearestResult(distance, facility, approximate)

    if origin_snap is None:
        o_node, o_snap = snap(network, o_lon, o_lat)
    else:
        o_node, o_snap = (np.asarray(a) for a in origin_snap)
        if o_node.size != n_o or o_snap.size != n_o:
            raise ValueError("origin_snap does not match the origins")
    f_node, f_snap = snap(network, f_lon, f_lat)
    n = network.node_count
    graph = network.graph(f_node, f_snap)
    dist, _, sources = dijkstra(
        graph,
        directed=True,
        indices=np.arange(n, n + f_lon.size),
        return_predecessors=True,
        limit=cutoff_m,
        min_only=True,
    )
    total = dist[o_node] + o_snap
    ok = total <= cutoff_m  # inf (unreached) compares False
    distance[ok] = total[ok]
    facility[ok] = sources[o_node[ok]] - n
    return NearestResult(distance, facility, approximate)


def nearest_by_type[K](
    network: WalkNetwork | None,
    origin_lon: Any,
    origin_lat: Any,
    facilities: Mapping[K, tuple[Any, Any]],
    *,
    cutoff_m: float,
    detour_factor: float = DEFAULT_DETOUR_FACTOR,
) -> dict[K, NearestResult]:
    """`nearest_facility` for several facility types ({key: (lon, lat)}), snapping the
    origins once."""
    o_lon, o_lat = _points(origin_lon, origin_lat, "origins")
    origin_snap = (
        snap(network, o_lon, o_lat) if network is not None and network.node_count else None
    )
    return {
        key: nearest_facility(
            network,
            o_lon,
            o_lat,
            lon,
            lat,
            cutoff_m=cutoff_m,
            detour_factor=detour_factor,
            origin_snap=origin_snap,
        )
        for key, (lon, lat) in facilities.items()
    }


# --- coverage ---------------------------------------------------------------------------


def coverage_matrix(
    network: WalkNetwork | None,
    demand_lon: Any,
    demand_lat: Any,
    candidate_lon: Any,
    candidate_lat: Any,
    *,
    radius_m: float,
    detour_factor: float = DEFAULT_DETOUR_FACTOR,
) -> sparse.csr_matrix:
    """Boolean (n_candidates, n_demand): candidate j covers demand i when the walk between
    them (measured as in `nearest_facility`) is at most `radius_m`."""
    d_lon, d_lat = _points(demand_lon, demand_lat, "demand")
    c_lon, c_lat = _points(candidate_lon, candidate_lat, "candidates")
    if not radius_m >= 0:
        raise ValueError("radius_m must be a non-negative number")
    n_d, n_c = d_lon.size, c_lon.size
    if n_d == 0 or n_c == 0:
        return sparse.csr_matrix((n_c, n_d), dtype=bool)

    rows: list[np.ndarray] = []
    cols: list[np.ndarray] = []
    if network is None:
        if not detour_factor >= 1:
            raise ValueError("detour_factor must be at least 1")
        tree = cKDTree(_xyz(d_lon, d_lat))
        bound = _chord_m(radius_m / detour_factor) * (1 + 1e-9) + 1e-6
        near = tree.query_ball_point(_xyz(c_lon, c_lat), r=bound)
        for j, demand in enumerate(near):
            if not demand:
                continue
            demand = np.asarray(demand, dtype=np.int64)
            d = haversine_m(c_lon[j], c_lat[j], d_lon[demand], d_lat[demand]) * detour_factor
            demand = demand[d <= radius_m]
            rows.append(np.full(demand.size, j, dtype=np.int64))
            cols.append(demand)
    else:
        d_node, d_snap = snap(network, d_lon, d_lat)
        c_node, c_snap = snap(network, c_lon, c_lat)
        graph = network.graph()
        reachable = np.flatnonzero(c_snap <= radius_m)
        batch = max(1, min(256, _DENSE_CELLS // max(1, network.node_count)))
        for start in range(0, reachable.size, batch):
            cand = reachable[start : start + batch]
            sources, inverse = np.unique(c_node[cand], return_inverse=True)
            limit = radius_m - float(c_snap[cand].min())
            dist = dijkstra(graph, directed=True, indices=sources, limit=limit)
            # walk = candidate snap + network + demand snap, per candidate row
            walk = dist[:, d_node][inverse] + d_snap[None, :] + c_snap[cand][:, None]
            r, c = np.nonzero(walk <= radius_m)
            rows.append(cand[r])
            cols.append(c.astype(np.int64))
    if not rows:
        return sparse.csr_matrix((n_c, n_d), dtype=bool)
    r_all, c_all = np.concatenate(rows), np.concatenate(cols)
    matrix = sparse.csr_matrix((np.ones(r_all.size, dtype=bool), (r_all, c_all)), shape=(n_c, n_d))
    matrix.sum_duplicates()
    return matrix


# --- maximal covering -------------------------------------------------------------------


@dataclass
class SitingResult:
    """The sites of a maximal covering solution, best first."""

    chosen: list[int]  # candidate indices, in order of marginal gain
    covered_weight: float  # weight covered by the chosen set (excluding `already_covered`)
    gain_per_site: list[float]  # weight each site covers that no earlier chosen site covers
    method: str  # "exact" (HiGHS via scipy.optimize.milp) or "greedy"
    optimal: bool  # proven optimal (by HiGHS's MILP or by meeting the LP bound)
    demand_groups: int = 0  # demand columns after merging identical coverage (model size)
    detail: dict[str, Any] = field(default_factory=dict)


def maximal_covering(
    coverage: Any,
    weights: Any,
    k: int,
    *,
    already_covered: np.ndarray | None = None,
    exact_max_vars: int = 200_000,
    time_limit_s: float = 20,
) -> SitingResult:
    """Choose `k` candidate sites that cover the most demand weight (Church & ReVelle's
    maximal covering location problem):

        maximise Σ w_i y_i  subject to  y_i ≤ Σ_{j covers i} x_j,  Σ x_j = k,
        x binary, 0 ≤ y ≤ 1

    (k is capped at the number of candidates; trailing sites may then gain nothing).
    Demand that is `already_covered`, has no weight, or that no candidate covers is dropped,
    and demand points with identical covering sets are merged (weights summed): the same
    optimum with far fewer variables.

    Greedy first (it covers at least 1 − 1/e of the optimum). Then, when candidates + merged
    demand ≤ `exact_max_vars`, HiGHS within `time_limit_s` in all: the LP relaxation
    (`linprog`, interior point), whose integral solution or bound proves optimality, and if
    it does not, `scipy.optimize.milp` with a zero relative gap. The result says which
    solution it is (`method` "exact" for HiGHS's, "greedy" for the greedy one) and whether
    it is proven optimal (`optimal`; the greedy one is when it meets the LP bound). Past the
    time limit without a proof: the better of HiGHS's best and greedy, `optimal=False`.
    Larger problems: greedy, `optimal=False`.
    """
    cov = sparse.csr_matrix(coverage)
    n_c, n_d = cov.shape
    w = np.asarray(weights, dtype=np.float64).ravel()
    if w.size != n_d:
        raise ValueError(f"{w.size} weights for {n_d} demand points")
    if not np.all(np.isfinite(w)) or (w.size and float(w.min()) < 0):
        raise ValueError("weights must be finite and non-negative")
    k_eff = max(0, min(int(k), n_c))
    if k_eff == 0:
        return SitingResult([], 0.0, [], "exact", True)

    cov = (cov != 0).astype(np.int8).tocsr()
    keep = w > 0
    if already_covered is not None:
        covered = np.asarray(already_covered, dtype=bool).ravel()
        if covered.size != n_d:
            raise ValueError("already_covered does not match the demand points")
        keep &= ~covered
    keep &= np.asarray(cov.sum(axis=0)).ravel() > 0
    groups, group_weight = _merge_columns(cov[:, np.flatnonzero(keep)].tocsc(), w[keep])
    n_g = groups.shape[1]
    detail: dict[str, Any] = {}

    greedy = _greedy(groups, group_weight, k_eff)
    greedy_weight = _covered(groups, group_weight, greedy)
    if n_c + n_g > exact_max_vars:
        return _result(groups, group_weight, greedy, "greedy", False, n_g, detail)

    deadline = time.monotonic() + time_limit_s
    c, link, total = _mclp_model(groups, group_weight)
    # The LP relaxation first (interior point, then crossover to a vertex): for maximal
    # covering it is often integral, which proves optimality without branching, and it is
    # several times faster than milp's presolve and simplex on the same model.
    lp = linprog(
        c,
        A_ub=link,
        b_ub=np.zeros(n_g),
        A_eq=total,
        b_eq=[k_eff],
        bounds=(0.0, 1.0),
        method="highs-ipm",
        options={"time_limit": float(time_limit_s)},
    )
    detail["lp_status"] = int(lp.status)
    if lp.status == 0:
        bound = -float(lp.fun)
        tolerance = 1e-7 * max(1.0, abs(bound))
        detail["lp_bound"] = bound
        x = lp.x[:n_c]
        if np.all((x < 1e-6) | (x > 1 - 1e-6)) and int((x > 0.5).sum()) == k_eff:
            chosen = np.flatnonzero(x > 0.5)
            if _covered(groups, group_weight, chosen) >= bound - tolerance:
                return _result(groups, group_weight, chosen, "exact", True, n_g, detail)
        if greedy_weight >= bound - tolerance:  # greedy meets the bound: optimal too
            return _result(groups, group_weight, greedy, "greedy", True, n_g, detail)
    remaining = deadline - time.monotonic()
    if remaining > 0.1:
        solution, status = _mclp_milp(c, link, total, n_c, k_eff, remaining)
        detail["milp_status"] = status
        if solution is not None:
            if status == 0:
                return _result(groups, group_weight, solution, "exact", True, n_g, detail)
            if _covered(groups, group_weight, solution) > greedy_weight:
                return _result(groups, group_weight, solution, "exact", False, n_g, detail)
    return _result(groups, group_weight, greedy, "greedy", False, n_g, detail)


def _merge_columns(cov: sparse.csc_matrix, w: np.ndarray) -> tuple[sparse.csr_matrix, np.ndarray]:
    """Merge demand columns with the same covering candidates (weights summed)."""
    cov.sort_indices()
    indptr, indices = cov.indptr, cov.indices
    group_of: dict[bytes, int] = {}
    column_group = np.empty(cov.shape[1], dtype=np.int64)
    first: list[int] = []
    for i in range(cov.shape[1]):
        key = indices[indptr[i] : indptr[i + 1]].tobytes()
        g = group_of.get(key)
        if g is None:
            g = group_of[key] = len(first)
            first.append(i)
        column_group[i] = g
    group_weight = (
        np.bincount(column_group, weights=w, minlength=len(first)) if first else np.zeros(0)
    )
    return cov[:, first].tocsr(), group_weight


def _mclp_model(
    groups: sparse.csr_matrix, w: np.ndarray
) -> tuple[np.ndarray, sparse.csr_matrix, sparse.csr_matrix]:
    """Objective (minimise −Σ w y), the rows y_g − Σ_{j covers g} x_j ≤ 0, and the row Σ x."""
    n_c, n_g = groups.shape
    c = np.concatenate((np.zeros(n_c), -w))
    link = sparse.hstack(
        (-groups.T.astype(np.float64), sparse.identity(n_g, format="csr")), format="csr"
    )
    total = sparse.csr_matrix(np.concatenate((np.ones(n_c), np.zeros(n_g)))[None, :])
    return c, link, total


def _mclp_milp(
    c: np.ndarray,
    link: sparse.csr_matrix,
    total: sparse.csr_matrix,
    n_c: int,
    k: int,
    time_limit_s: float,
) -> tuple[np.ndarray | None, int]:
    n_g = link.shape[0]
    result = milp(
        c,
        constraints=[LinearConstraint(link, -np.inf, 0.0), LinearConstraint(total, k, k)],
        integrality=np.concatenate((np.ones(n_c), np.zeros(n_g))),
        bounds=Bounds(0.0, 1.0),
        options={"time_limit": float(time_limit_s), "mip_rel_gap": 0.0, "disp": False},
    )
    if result.x is None:
        return None, int(result.status)
    x = result.x[:n_c] > 0.5
    if int(x.sum()) != k:  # not a usable solution (should not happen)
        return None, int(result.status)
    return np.flatnonzero(x), int(result.status)


def _covered(groups: sparse.csr_matrix, w: np.ndarray, chosen: np.ndarray) -> float:
    if len(chosen) == 0:
        return 0.0
    hit = np.asarray(groups[np.asarray(chosen)].sum(axis=0)).ravel() > 0
    return float(w[hit].sum())


def _greedy(groups: sparse.csr_matrix, w: np.ndarray, k: int) -> np.ndarray:
    """Pick the site covering the most uncovered weight, k times (ties: lowest index)."""
    return np.asarray(_greedy_order(groups, w, np.arange(groups.shape[0]), k)[0], dtype=np.int64)


def _greedy_order(
    groups: sparse.csr_matrix, w: np.ndarray, pool: np.ndarray, k: int
) -> tuple[list[int], list[float]]:
    remaining = w.copy()
    available = np.ones(pool.size, dtype=bool)
    sub = groups[pool].astype(np.float64).tocsr()
    chosen: list[int] = []
    gains: list[float] = []
    for _ in range(min(k, pool.size)):
        gain = sub @ remaining
        gain[~available] = -1.0
        best = int(np.argmax(gain))
        available[best] = False
        chosen.append(int(pool[best]))
        gains.append(float(max(gain[best], 0.0)))
        remaining[sub[best].indices] = 0.0
    return chosen, gains


def _result(
    groups: sparse.csr_matrix,
    w: np.ndarray,
    chosen: np.ndarray,
    method: str,
    optimal: bool,
    n_groups: int,
    detail: dict[str, Any],
) -> SitingResult:
    # Order the chosen sites by marginal gain (greedy order within the chosen set).
    order, gains = _greedy_order(
        groups, w, np.sort(np.asarray(chosen, dtype=np.int64)), len(chosen)
    )
    return SitingResult(
        chosen=order,
        covered_weight=_covered(groups, w, np.asarray(order, dtype=np.int64)),
        gain_per_site=gains,
        method=method,
        optimal=optimal,
        demand_groups=n_groups,
        detail=detail,
    )
