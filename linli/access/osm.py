"""Walking networks from OpenStreetMap extracts (.osm.pbf) and from GeoJSON line files.

`network_from_pbf` keeps the ways that pyrosm's "walking" network keeps (pyrosm 0.25,
`pyrosm.config.osm_filters.walking_filter`, itself OSMnx's "walk"), splits every way at
each of its nodes into straight edges measured with `engine.haversine_m`, and keeps only
the nodes those edges use. It streams the file once: libosmium keeps the node locations
(~16 bytes a node) and only ways with a `highway` tag reach Python, so a county extract of
~100 MB needs a few hundred MB, not GBs (measured in bench/README.md).

`network_from_geojson` reads a FeatureCollection of (Multi)LineStrings in WGS84, the form
in which a county's surveying office can hand over its road centre lines.
"""

from __future__ import annotations

import json
import math
from array import array
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
from django.utils.translation import gettext as _

from linli.access.engine import WalkNetwork, haversine_m

_GRID = 1e7  # OSM's fixed point, 1e-7° (~1 cm); GeoJSON vertices are merged on it


class NetworkFormatError(ValueError):
    """A network file that cannot be read; the message is Chinese, for the page to show."""


# --- the walking filter (pyrosm's "walking", written out) -------------------------------

# highway values that are never part of a street network
_ALWAYS_EXCLUDED_HIGHWAY = frozenset(
    {
        "abandoned",
        "construction",
        "no",
        "planned",
        "platform",
        "proposed",
        "raceway",
        "razed",
        "rest_area",
        "services",
    }
)
# tag values that exclude a way from the walking network (any of them is enough)
_EXCLUDED: dict[str, frozenset[str]] = {
    "area": frozenset({"yes"}),
    "highway": _ALWAYS_EXCLUDED_HIGHWAY
    | {"bus_guideway", "cycleway", "motor", "motorway", "motorway_link"},
    "service": frozenset({"private"}),
    # a street whose sidewalks are mapped as ways of their own: walk on those, not twice
    "sidewalk": frozenset({"separate"}),
    "sidewalk:both": frozenset({"separate"}),
    "sidewalk:left": frozenset({"separate"}),
    "sidewalk:right": frozenset({"separate"}),
}
# access tags from the most specific: the first one present decides
_ACCESS_KEYS = ("foot", "access")
_CLOSED = frozenset({"no", "private"})


def _matches(value: str, values: frozenset[str]) -> bool:
    """`value` is listed, or one of its `;`-separated values is (`access=private;delivery`)."""
    if value in values:
        return True
    return ";" in value and any(part.strip() in values for part in value.split(";"))


def is_walkable(tags: Mapping[str, str] | Any) -> bool:
    """Whether a way with these tags belongs to the walking network (pyrosm's rules).

    `tags` needs only `get` (a dict or pyosmium's TagList). The way must have a `highway`
    tag; it is dropped when the most specific access tag present (`foot`, else `access`)
    is `no` or `private`, or when any excluded value above is present.
    """
    if tags.get("highway") is None:
        return False
    for key in _ACCESS_KEYS:
        value = tags.get(key)
        if value is not None:
            if _matches(value, _CLOSED):
                return False
            break
    for key, values in _EXCLUDED.items():
        value = tags.get(key)
        if value is not None and _matches(value, values):
            return False
    return True


# --- OSM PBF ----------------------------------------------------------------------------


def network_from_pbf(
    path: str | Path,
    *,
    bbox: tuple[float, float, float, float] | None = None,
    location_storage: str = "flex_mem",
) -> WalkNetwork:
    """The walking network of an OSM extract.

    Segments whose end node is missing from the file (a way cut by the extract's border)
    are left out, as pyrosm does. With `bbox` (min_lon, min_lat, max_lon, max_lat) only
    edges with at least one end inside the box are kept, so that a road leaving the box
    keeps its first edge out.

    One pass: libosmium keeps every node's location in `location_storage` (~16 bytes a node
    in memory with the default "flex_mem"; "sparse_file_array,<path>" keeps it in a file
    instead) and only ways with a `highway` tag reach Python. Why not two passes (ways,
    then only their nodes): libosmium's id filter is a dense bitmap over the id range,
    which takes more than a GB for scattered node ids.
    """
    import osmium  # imported here: the engine and the GeoJSON path do not need libosmium

    path = Path(path)
    if not path.is_file():
        raise NetworkFormatError(_("找不到路网文件"))
    node_ids = array("q")
    node_x = array("i")
    node_y = array("i")
    way_sizes = array("q")
    try:
        # the format is given, not guessed from the name: uploads are stored without suffix
        source = osmium.FileProcessor(
            osmium.io.File(str(path), "pbf"), osmium.osm.NODE | osmium.osm.WAY
        )
        objects = source.with_locations(location_storage).with_filter(
            osmium.filter.KeyFilter("highway")
        )
        obj: Any  # pyosmium yields a union of OSM object types
        for obj in objects:
            if not obj.is_way() or not is_walkable(obj.tags):
                continue
            count = 0
            for ref in obj.nodes:
                node_ids.append(ref.ref)
                node_x.append(ref.x)  # fixed point, 1e-7°; undefined for a missing node
                node_y.append(ref.y)
                count += 1
            way_sizes.append(count)
    except RuntimeError as error:  # libosmium: not a PBF, truncated, bad compression
        raise NetworkFormatError(
            _("无法读取 OpenStreetMap 文件（%(error)s）：请上传完整的 .osm.pbf 文件")
            % {"error": error}
        ) from error
    if not way_sizes:
        raise NetworkFormatError(_("文件中没有可步行的道路（highway）"))

    ids = np.frombuffer(node_ids, dtype=np.int64)
    xs = np.frombuffer(node_x, dtype=np.int32)
    ys = np.frombuffer(node_y, dtype=np.int32)
    sizes = np.frombuffer(way_sizes, dtype=np.int64)
    # one node per OSM id; a node is missing where libosmium found no location
    unique_ids, first, ref_node = np.unique(ids, return_index=True, return_inverse=True)
    del unique_ids
    missing = xs[first] == osmium.osm.Location().x
    lon = xs[first] / _GRID
    lat = ys[first] / _GRID
    # consecutive references of the same way are the segments
    pair = np.ones(ids.size, dtype=bool)
    pair[np.cumsum(sizes) - 1] = False
    start = np.flatnonzero(pair)
    ia, ib = ref_node[start], ref_node[start + 1]
    present = ~(missing[ia] | missing[ib])
    ia, ib = ia[present], ib[present]
    if bbox is not None:
        min_lon, min_lat, max_lon, max_lat = bbox
        inside = (lon >= min_lon) & (lon <= max_lon) & (lat >= min_lat) & (lat <= max_lat)
        keep = inside[ia] | inside[ib]
        ia, ib = ia[keep], ib[keep]
    network = _compact(lon, lat, ia, ib)
    if network.edge_count == 0:
        raise NetworkFormatError(_("文件中没有可步行的道路（highway）"))
    return network


def _compact(lon: np.ndarray, lat: np.ndarray, ia: np.ndarray, ib: np.ndarray) -> WalkNetwork:
    """Keep the nodes the edges use, store each undirected edge once, measure them."""
    ia, ib = np.minimum(ia, ib), np.maximum(ia, ib)
    keep = ia != ib
    ia, ib = ia[keep], ib[keep]
    if ia.size:
        # the same two nodes joined by two ways (or twice by one): one edge is enough
        key = np.unique(ia.astype(np.int64) * (lon.size + 1) + ib)
        ia, ib = np.divmod(key, lon.size + 1)
    used, inverse = np.unique(np.concatenate((ia, ib)), return_inverse=True)
    src, dst = inverse[: ia.size], inverse[ia.size :]
    n_lon, n_lat = lon[used], lat[used]
    return WalkNetwork(
        lon=n_lon,
        lat=n_lat,
        src=src,
        dst=dst,
        length_m=haversine_m(n_lon[src], n_lat[src], n_lon[dst], n_lat[dst]),
    )


# --- GeoJSON ----------------------------------------------------------------------------


def network_from_geojson(data: bytes) -> WalkNetwork:
    """A walking network from a GeoJSON FeatureCollection of LineStrings/MultiLineStrings.

    Coordinates are WGS84 longitude, latitude (RFC 7946); vertices that coincide after
    rounding to 1e-7° become one node, so lines that share a vertex are connected (lines
    that merely cross are not, as in OSM). Features of other geometry types are ignored.
    """
    try:
        document = json.loads(data)
    except (UnicodeDecodeError, ValueError) as error:
        raise NetworkFormatError(_("文件不是有效的 JSON：%(error)s") % {"error": error}) from error
    if not isinstance(document, dict) or document.get("type") != "FeatureCollection":
        raise NetworkFormatError(_("GeoJSON 必须是 FeatureCollection（要素集合）"))
    features = document.get("features")
    if not isinstance(features, list):
        raise NetworkFormatError(_("GeoJSON 缺少 features 列表"))

    xs: list[float] = []
    ys: list[float] = []
    line_sizes: list[int] = []
    for number, feature in enumerate(features, start=1):
        geometry = feature.get("geometry") if isinstance(feature, dict) else None
        if not isinstance(geometry, dict):
            continue
        kind = geometry.get("type")
        lines: Any
        if kind == "LineString":
            lines = [geometry.get("coordinates")]
        elif kind == "MultiLineString":
            lines = geometry.get("coordinates")
            if not isinstance(lines, list):
                raise NetworkFormatError(_("第 %(n)d 个要素的坐标格式不正确") % {"n": number})
        else:
            continue
        for line in lines:
            if not isinstance(line, list):
                raise NetworkFormatError(_("第 %(n)d 个要素的坐标格式不正确") % {"n": number})
            for position in line:
                x, y = _position(position, number)
                xs.append(x)
                ys.append(y)
            line_sizes.append(len(line))
    if not line_sizes or not xs:
        raise NetworkFormatError(_("GeoJSON 中没有线要素（LineString 或 MultiLineString）"))

    # one node per distinct rounded vertex
    keys = np.column_stack(
        (
            np.rint(np.asarray(xs) * _GRID).astype(np.int64),
            np.rint(np.asarray(ys) * _GRID).astype(np.int64),
        )
    )
    unique, vertex_node = np.unique(keys, axis=0, return_inverse=True)
    vertex_node = vertex_node.ravel()
    lon, lat = unique[:, 0] / _GRID, unique[:, 1] / _GRID
    sizes = np.asarray(line_sizes, dtype=np.int64)
    pair = np.ones(vertex_node.size, dtype=bool)
    pair[np.cumsum(sizes) - 1] = False
    start = np.flatnonzero(pair)
    network = _compact(lon, lat, vertex_node[start], vertex_node[start + 1])
    if network.edge_count == 0:
        raise NetworkFormatError(_("GeoJSON 中没有线要素（LineString 或 MultiLineString）"))
    return network


def _position(position: Any, number: int) -> tuple[float, float]:
    if (
        not isinstance(position, list)
        or len(position) < 2
        or not all(isinstance(v, int | float) and not isinstance(v, bool) for v in position[:2])
    ):
        raise NetworkFormatError(_("第 %(n)d 个要素的坐标格式不正确") % {"n": number})
    x, y = float(position[0]), float(position[1])
    if not (math.isfinite(x) and math.isfinite(y) and -180 <= x <= 180 and -90 <= y <= 90):
        raise NetworkFormatError(
            _(
                "第 %(n)d 个要素的坐标 (%(x)s, %(y)s) 超出经纬度范围：请导出为 WGS84 经纬度"
                "（EPSG:4326），而不是投影坐标"
            )
            % {"n": number, "x": position[0], "y": position[1]}
        )
    return x, y
