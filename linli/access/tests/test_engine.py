"""The walking-distance and siting engine on hand-built graphs with hand-computed answers.

Points are placed on the equator and on meridians, where the haversine distance is exactly
R × the angle: `M` metres per degree, so an offset of `d / M` degrees is `d` metres.
"""

from itertools import combinations

import numpy as np
import pytest
from scipy import sparse

from linli.access.engine import (
    EARTH_RADIUS_M,
    WalkNetwork,
    coverage_matrix,
    haversine_m,
    largest_component,
    maximal_covering,
    nearest_by_type,
    nearest_facility,
    snap,
)

M = EARTH_RADIUS_M * np.pi / 180  # metres per degree along a meridian or the equator


def line_network() -> WalkNetwork:
    """A(0) —100— B(1) —200— C(2) —300— D(3), an extra A–B edge of 80 m (parallel, shorter),
    and E(4) on its own far away. Nodes 1 km apart on the equator (edge lengths are given,
    not measured, so the hand sums below are exact)."""
    return WalkNetwork(
        lon=np.array([0.0, 1000, 2000, 3000, 50_000]) / M,
        lat=np.zeros(5),
        src=np.array([0, 0, 1, 2]),
        dst=np.array([1, 1, 2, 3]),
        length_m=np.array([100.0, 80.0, 200.0, 300.0]),
    )


def at(x_m, y_m):
    """A point x metres east (along the equator) and y metres north of (0, 0)."""
    return np.atleast_1d(np.asarray(x_m, dtype=float)) / M, np.atleast_1d(
        np.asarray(y_m, dtype=float)
    ) / M


def test_haversine_is_radius_times_angle_along_a_meridian():
    assert haversine_m(0, 0, 0, 1) == pytest.approx(M, rel=1e-12)
    assert haversine_m(120, 30, 120, 31) == pytest.approx(M, rel=1e-12)
    # a quarter of the equator
    assert haversine_m(0, 0, 90, 0) == pytest.approx(EARTH_RADIUS_M * np.pi / 2, rel=1e-12)
    assert haversine_m(118.5, 31.0, 118.5, 31.0) == 0.0


def test_snap_returns_nearest_node_and_its_haversine_distance():
    net = line_network()
    lon, lat = at([10, 990, 2600], [30, -40, 5])
    nodes, dist = snap(net, lon, lat)
    assert nodes.tolist() == [0, 1, 3]
    assert dist[0] == pytest.approx(np.hypot(10, 30), abs=1e-3)
    assert dist[1] == pytest.approx(np.hypot(10, 40), abs=1e-3)
    assert dist[2] == pytest.approx(np.hypot(400, 5), abs=1e-3)


def test_snap_agrees_with_brute_force_at_high_latitude():
    rng = np.random.default_rng(7)
    net = WalkNetwork(
        lon=24.9 + rng.random(800) * 0.2,
        lat=60.1 + rng.random(800) * 0.1,
        src=np.zeros(0, dtype=np.int32),
        dst=np.zeros(0, dtype=np.int32),
        length_m=np.zeros(0),
    )
    q_lon, q_lat = 24.85 + rng.random(300) * 0.3, 60.05 + rng.random(300) * 0.2
    nodes, dist = snap(net, q_lon, q_lat)
    brute = haversine_m(q_lon[:, None], q_lat[:, None], net.lon[None, :], net.lat[None, :])
    assert nodes.tolist() == brute.argmin(axis=1).tolist()
    np.testing.assert_allclose(dist, brute.min(axis=1), rtol=0, atol=1e-6)


def test_distance_adds_the_snap_distance_at_both_ends():
    net = line_network()
    o_lon, o_lat = at(0, 10)  # 10 m north of A
    f_lon, f_lat = at(3000, -5)  # 5 m south of D
    result = nearest_facility(net, o_lon, o_lat, f_lon, f_lat, cutoff_m=1000)
    # 10 + (80 + 200 + 300, the parallel A–B edge of 80 m is the shorter) + 5
    assert result.distance_m.tolist() == pytest.approx([595.0], abs=1e-6)
    assert result.facility.tolist() == [0]
    assert result.approximate is False


def test_cutoff_is_inclusive_and_beyond_it_is_inf():
    net = line_network()
    o_lon, o_lat = at(0, 10)
    f_lon, f_lat = at(3000, -5)
    exactly = nearest_facility(net, o_lon, o_lat, f_lon, f_lat, cutoff_m=595.0 + 1e-9)
    assert exactly.distance_m[0] == pytest.approx(595.0)
    beyond = nearest_facility(net, o_lon, o_lat, f_lon, f_lat, cutoff_m=594.9)
    assert beyond.distance_m.tolist() == [np.inf]
    assert beyond.facility.tolist() == [-1]


def test_the_facility_snap_distance_decides_which_facility_is_nearest():
    net = line_network()
    o_lon, o_lat = at(0, 10)
    # facility 0: 150 m off B → 10 + 80 + 150 = 240; facility 1: 1 m off C → 10 + 280 + 1 = 291
    f_lon, f_lat = at([1000, 2000], [150, 1])
    result = nearest_facility(net, o_lon, o_lat, f_lon, f_lat, cutoff_m=1000)
    assert result.facility.tolist() == [0]
    assert result.distance_m[0] == pytest.approx(240.0, abs=1e-6)
    # 250 m off B instead → 340 > 291: facility 1 wins
    f_lon, f_lat = at([1000, 2000], [-250, 1])
    result = nearest_facility(net, o_lon, o_lat, f_lon, f_lat, cutoff_m=1000)
    assert result.facility.tolist() == [1]
    assert result.distance_m[0] == pytest.approx(291.0, abs=1e-6)


def test_many_origins_each_get_their_nearest_facility_and_islands_get_none():
    net = line_network()
    # origins at A, B, C, D (on the nodes) and one near the island E
    o_lon, o_lat = at([0, 1000, 2000, 3000, 50_000], [0, 0, 0, 0, 20])
    f_lon, f_lat = at([0, 3000], [0, 0])  # one facility on A, one on D
    result = nearest_facility(net, o_lon, o_lat, f_lon, f_lat, cutoff_m=10_000)
    np.testing.assert_allclose(result.distance_m[:4], [0, 80, 280, 0], atol=1e-6)
    assert result.facility[:4].tolist() == [0, 0, 0, 1]
    assert result.distance_m[4] == np.inf
    assert result.facility[4] == -1


def test_an_origin_and_facility_on_the_same_node_add_up_their_snaps():
    net = line_network()
    o_lon, o_lat = at(2000, 30)
    f_lon, f_lat = at(2000, -40)
    result = nearest_facility(net, o_lon, o_lat, f_lon, f_lat, cutoff_m=1000)
    assert result.distance_m[0] == pytest.approx(70.0, abs=1e-6)


def test_zero_facilities_give_inf_and_minus_one():
    net = line_network()
    o_lon, o_lat = at([0, 1000], [0, 0])
    for network in (net, None):
        result = nearest_facility(network, o_lon, o_lat, [], [], cutoff_m=1000)
        assert result.distance_m.tolist() == [np.inf, np.inf]
        assert result.facility.tolist() == [-1, -1]
        assert result.facility.dtype == np.int64
        assert result.approximate is (network is None)


def test_zero_origins_give_empty_arrays():
    result = nearest_facility(line_network(), [], [], *at(0, 0), cutoff_m=1000)
    assert result.distance_m.shape == (0,)
    assert result.facility.shape == (0,)


def test_straight_line_fallback_is_haversine_times_detour_and_flagged():
    o_lon, o_lat = at([0, 5000], [0, 0])
    f_lon, f_lat = at([0, 0], [100, 700])  # 100 m and 700 m north of the first origin
    result = nearest_facility(None, o_lon, o_lat, f_lon, f_lat, cutoff_m=1000)
    assert result.approximate is True
    assert result.distance_m[0] == pytest.approx(130.0, abs=1e-6)
    assert result.facility[0] == 0
    assert result.distance_m[1] == np.inf  # 5 km away × 1.3
    # another detour factor, and a cut-off just below 100 × 1.3
    other = nearest_facility(
        None, o_lon[:1], o_lat[:1], f_lon, f_lat, cutoff_m=1000, detour_factor=1.5
    )
    assert other.distance_m[0] == pytest.approx(150.0, abs=1e-6)
    cut = nearest_facility(None, o_lon[:1], o_lat[:1], f_lon, f_lat, cutoff_m=129.9)
    assert cut.distance_m.tolist() == [np.inf]
    assert cut.facility.tolist() == [-1]


def test_nearest_by_type_matches_one_call_per_type():
    net = line_network()
    o_lon, o_lat = at([0, 1000, 2000, 3000], [5, -5, 5, -5])
    types = {
        "school": at([0], [20]),
        "clinic": at([3000, 1000], [-3, 60]),
        "none": (np.zeros(0), np.zeros(0)),
    }
    results = nearest_by_type(net, o_lon, o_lat, types, cutoff_m=400)
    for key, (f_lon, f_lat) in types.items():
        alone = nearest_facility(net, o_lon, o_lat, f_lon, f_lat, cutoff_m=400)
        np.testing.assert_array_equal(results[key].distance_m, alone.distance_m)
        np.testing.assert_array_equal(results[key].facility, alone.facility)
    assert results["school"].distance_m[:2] == pytest.approx([25.0, 105.0])


def test_network_round_trips_through_bytes():
    net = line_network()
    data = net.to_bytes()
    back = WalkNetwork.from_bytes(data)
    for name, dtype in (
        ("lon", np.float64),
        ("lat", np.float64),
        ("src", np.int32),
        ("dst", np.int32),
        ("length_m", np.float64),
    ):
        np.testing.assert_array_equal(getattr(back, name), getattr(net, name))
        assert getattr(back, name).dtype == dtype
    assert (back.node_count, back.edge_count) == (5, 4)
    assert back.bbox() == pytest.approx((0.0, 0.0, 50_000 / M, 0.0))
    for garbage in (b"not a network", data[: len(data) // 2], b"PK\x03\x04" + b"\0" * 100):
        with pytest.raises(ValueError):
            WalkNetwork.from_bytes(garbage)


def test_network_rejects_edges_to_missing_nodes_and_negative_lengths():
    with pytest.raises(ValueError):
        WalkNetwork(lon=[0.0, 1.0], lat=[0.0, 0.0], src=[0], dst=[2], length_m=[1.0])
    with pytest.raises(ValueError):
        WalkNetwork(lon=[0.0, 1.0], lat=[0.0, 0.0], src=[0], dst=[1], length_m=[-1.0])


def test_largest_component_drops_the_island():
    small = largest_component(line_network())
    assert small.node_count == 4
    assert small.edge_count == 4


def test_coverage_matrix_on_the_line():
    net = line_network()
    demand_lon, demand_lat = at([0, 1000, 2000, 3000], [10, 0, 0, 20])
    cand_lon, cand_lat = at([1000, 3000, 50_000], [5, 0, 0])
    cov = coverage_matrix(net, demand_lon, demand_lat, cand_lon, cand_lat, radius_m=300)
    assert isinstance(cov, sparse.csr_matrix)
    assert cov.dtype == bool
    assert cov.shape == (3, 4)
    # candidate 0 (5 m off B): A 5+80+10=95, B 5, C 205, D 505 → A, B, C
    # candidate 1 (on D): D 20, C 300 (inclusive), B 500 → C, D
    # candidate 2 (on the island): nothing
    assert cov.toarray().astype(int).tolist() == [[1, 1, 1, 0], [0, 0, 1, 1], [0, 0, 0, 0]]


def test_coverage_matrix_straight_line():
    demand_lon, demand_lat = at([0, 0, 0], [0, 500, 800])
    cand_lon, cand_lat = at([0], [0])
    cov = coverage_matrix(None, demand_lon, demand_lat, cand_lon, cand_lat, radius_m=650.001)
    # 0 m, 500 × 1.3 = 650, 800 × 1.3 = 1040
    assert cov.toarray().tolist() == [[True, True, False]]


def test_coverage_matrix_agrees_with_nearest_facility_on_a_random_grid():
    rng = np.random.default_rng(3)
    side = 12
    row, col = np.divmod(np.arange(side * side), side)
    x = col * 100 + rng.normal(0, 10, side * side)
    y = row * 100 + rng.normal(0, 10, side * side)
    lon, lat = x / M / np.cos(np.radians(31.0)) + 118.0, y / M + 31.0
    p = np.arange(side * side)
    east, north = p[col < side - 1], p[row < side - 1]
    src = np.concatenate((east, north))
    dst = np.concatenate((east + 1, north + side))
    keep = rng.random(src.size) > 0.15  # knock out some streets
    src, dst = src[keep], dst[keep]
    net = WalkNetwork(lon, lat, src, dst, haversine_m(lon[src], lat[src], lon[dst], lat[dst]) * 1.1)
    d_lon = 118.0 + rng.random(150) * (lon.max() - 118.0)
    d_lat = 31.0 + rng.random(150) * (lat.max() - 31.0)
    c_lon, c_lat = d_lon[:20] + 1e-4, d_lat[:20]
    cov = coverage_matrix(net, d_lon, d_lat, c_lon, c_lat, radius_m=400).toarray()
    for j in range(20):
        one = nearest_facility(net, d_lon, d_lat, c_lon[j : j + 1], c_lat[j : j + 1], cutoff_m=400)
        np.testing.assert_array_equal(cov[j], np.isfinite(one.distance_m))
    assert cov.sum() > 20  # the check above is not vacuous


# --- maximal covering -------------------------------------------------------------------


def cover(rows, n_demand):
    """Coverage matrix from a list of covered-demand sets per candidate."""
    matrix = np.zeros((len(rows), n_demand), dtype=bool)
    for j, demand in enumerate(rows):
        matrix[j, list(demand)] = True
    return sparse.csr_matrix(matrix)


def test_maximal_covering_tiny_instance_by_hand():
    # candidates: 0 covers {0, 1}, 1 covers {1, 2, 3}, 2 covers {3, 4}; weights 5, 1, 1, 1, 4
    cov = cover([{0, 1}, {1, 2, 3}, {3, 4}], 5)
    w = np.array([5, 1, 1, 1, 4])
    one = maximal_covering(cov, w, 1)
    assert (one.chosen, one.covered_weight, one.method, one.optimal) == ([0], 6.0, "exact", True)
    # k = 2: {0, 2} covers 5+1+1+4 = 11 (vs 8 for {0, 1} and 7 for {1, 2}); 0 first (6), then 2 (+5)
    two = maximal_covering(cov, w, 2)
    assert two.chosen == [0, 2]
    assert two.covered_weight == 11.0
    assert two.gain_per_site == [6.0, 5.0]
    assert two.optimal is True


def test_exact_beats_greedy_where_greedy_is_not_optimal():
    # 0 covers {0..3}; 1 covers {0, 1, 4}; 2 covers {2, 3, 5}; unit weights; k = 2.
    # Greedy takes 0 (4) and then one more (+1) = 5; the optimum is {1, 2} = 6.
    cov = cover([{0, 1, 2, 3}, {0, 1, 4}, {2, 3, 5}], 6)
    w = np.ones(6)
    greedy = maximal_covering(cov, w, 2, exact_max_vars=0)
    assert greedy.method == "greedy"
    assert greedy.optimal is False
    assert greedy.chosen[0] == 0
    assert greedy.covered_weight == 5.0
    exact = maximal_covering(cov, w, 2)
    assert exact.method == "exact"
    assert exact.optimal is True
    assert sorted(exact.chosen) == [1, 2]
    assert exact.covered_weight == 6.0
    assert exact.gain_per_site == [3.0, 3.0]


def test_branch_and_bound_where_the_lp_relaxation_is_fractional():
    # Four candidates, each pair of them covers one demand point (the edges of K4); k = 2.
    # Two candidates cover 5 of the 6 points; the LP takes x = 1/2 everywhere and claims 6,
    # so the LP does not prove anything and milp has to branch.
    pairs = list(combinations(range(4), 2))
    cov = cover([{i for i, pair in enumerate(pairs) if j in pair} for j in range(4)], len(pairs))
    result = maximal_covering(cov, np.ones(len(pairs)), 2)
    assert result.detail["lp_bound"] == pytest.approx(6.0)
    assert result.detail["milp_status"] == 0
    assert (result.method, result.optimal, result.covered_weight) == ("exact", True, 5.0)
    assert result.gain_per_site == [3.0, 2.0]


def test_already_covered_demand_is_not_counted():
    cov = cover([{0, 1}, {1, 2, 3}, {3, 4}], 5)
    w = np.array([5, 1, 1, 1, 4])
    result = maximal_covering(
        cov, w, 1, already_covered=np.array([True, False, False, False, False])
    )
    # without demand 0: candidate 0 gives 1, candidate 1 gives 3, candidate 2 gives 5
    assert result.chosen == [2]
    assert result.covered_weight == 5.0
    everything = maximal_covering(cov, w, 2, already_covered=np.ones(5, dtype=bool))
    assert everything.covered_weight == 0.0
    assert len(everything.chosen) == 2
    assert everything.gain_per_site == [0.0, 0.0]


def test_k_larger_than_the_candidates_takes_them_all():
    cov = cover([{0, 1}, {1, 2, 3}, {3, 4}], 5)
    w = np.array([5, 1, 1, 1, 4])
    result = maximal_covering(cov, w, 10)
    assert sorted(result.chosen) == [0, 1, 2]
    assert result.covered_weight == 12.0
    assert result.gain_per_site == [6.0, 5.0, 1.0]
    assert maximal_covering(cov, w, 0).chosen == []


def test_maximal_covering_rejects_bad_weights():
    cov = cover([{0}], 2)
    with pytest.raises(ValueError):
        maximal_covering(cov, np.array([1.0, -1.0]), 1)
    with pytest.raises(ValueError):
        maximal_covering(cov, np.array([1.0]), 1)


def test_exact_equals_brute_force_on_random_instances():
    rng = np.random.default_rng(11)
    for _ in range(8):
        n_c, n_d, k = 9, 40, 3
        matrix = rng.random((n_c, n_d)) < 0.2
        w = rng.integers(0, 20, n_d).astype(float)
        best = max(w[matrix[list(s)].any(axis=0)].sum() for s in combinations(range(n_c), k))
        exact = maximal_covering(sparse.csr_matrix(matrix), w, k)
        greedy = maximal_covering(sparse.csr_matrix(matrix), w, k, exact_max_vars=0)
        assert exact.optimal is True
        assert exact.covered_weight == best
        assert greedy.covered_weight <= best
        assert greedy.covered_weight >= (1 - 1 / np.e) * best
        assert sum(exact.gain_per_site) == pytest.approx(exact.covered_weight)
        assert exact.gain_per_site == sorted(exact.gain_per_site, reverse=True)
