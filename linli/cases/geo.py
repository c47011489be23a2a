"""Small geometry for cases: GCJ-02 → WGS84, distances, point-in-polygon (no GDAL needed)."""

from __future__ import annotations

import math
from typing import Any

EARTH_RADIUS_M = 6_371_008.8
# Krasovsky 1940 ellipsoid, as used by the GCJ-02 offset.
_A = 6378245.0
_EE = 0.00669342162296594323


def _out_of_china(lng: float, lat: float) -> bool:
    return not (72.004 <= lng <= 137.8347 and 0.8293 <= lat <= 55.8271)


def _transform_lat(x: float, y: float) -> float:
    ret = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * math.sqrt(abs(x))
    ret += (20.0 * math.sin(6.0 * x * math.pi) + 20.0 * math.sin(2.0 * x * math.pi)) * 2.0 / 3.0
    ret += (20.0 * math.sin(y * math.pi) + 40.0 * math.sin(y / 3.0 * math.pi)) * 2.0 / 3.0
    ret += (160.0 * math.sin(y / 12.0 * math.pi) + 320 * math.sin(y * math.pi / 30.0)) * 2.0 / 3.0
    return ret


def _transform_lng(x: float, y: float) -> float:
    ret = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * math.sqrt(abs(x))
    ret += (20.0 * math.sin(6.0 * x * math.pi) + 20.0 * math.sin(2.0 * x * math.pi)) * 2.0 / 3.0
    ret += (20.0 * math.sin(x * math.pi) + 40.0 * math.sin(x / 3.0 * math.pi)) * 2.0 / 3.0
    ret += (150.0 * math.sin(x / 12.0 * math.pi) + 300.0 * math.sin(x / 30.0 * math.pi)) * 2.0 / 3.0
    return ret


def wgs84_to_gcj02(lng: float, lat: float) -> tuple[float, float]:
    """The published forward offset (what 高德/腾讯 maps show for a GPS point)."""
    if _out_of_china(lng, lat):
        return lng, lat
    dlat = _transform_lat(lng - 105.0, lat - 35.0)
    dlng = _transform_lng(lng - 105.0, lat - 35.0)
    radlat = lat / 180.0 * math.pi
    magic = 1 - _EE * math.sin(radlat) ** 2
    sqrtmagic = math.sqrt(magic)
    dlat = (dlat * 180.0) / ((_A * (1 - _EE)) / (magic * sqrtmagic) * math.pi)
    dlng = (dlng * 180.0) / (_A / sqrtmagic * math.cos(radlat) * math.pi)
    return lng + dlng, lat + dlat


def gcj02_to_wgs84(lng: float, lat: float) -> tuple[float, float]:
    """Inverse of the offset by fixed-point iteration (error well under 1 m inside China)."""
    if _out_of_china(lng, lat):
        return lng, lat
    x, y = lng, lat
    for _ in range(10):
        gx, gy = wgs84_to_gcj02(x, y)
        dx, dy = gx - lng, gy - lat
        x, y = x - dx, y - dy
        if abs(dx) < 1e-9 and abs(dy) < 1e-9:
            break
    return x, y


def distance_m(lng1: float, lat1: float, lng2: float, lat2: float) -> float:
    """Great-circle distance in metres (haversine)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lng2 - lng1)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(math.sqrt(h))


def bbox_around(lng: float, lat: float, metres: float) -> tuple[float, float, float, float]:
    """(min_lng, min_lat, max_lng, max_lat) enclosing a circle: a cheap index pre-filter."""
    dlat = metres / 111_320.0
    dlng = metres / (111_320.0 * max(math.cos(math.radians(lat)), 0.01))
    return lng - dlng, lat - dlat, lng + dlng, lat + dlat


def _ring_contains(ring: list[Any], x: float, y: float) -> bool:
    inside = False
    n = len(ring)
    j = n - 1
    for i in range(n):
        xi, yi = float(ring[i][0]), float(ring[i][1])
        xj, yj = float(ring[j][0]), float(ring[j][1])
        if (yi > y) != (yj > y) and x < (xj - xi) * (y - yi) / (yj - yi) + xi:
            inside = not inside
        j = i
    return inside


def _polygon_contains(rings: list[Any], x: float, y: float) -> bool:
    if not rings or not _ring_contains(rings[0], x, y):
        return False
    return not any(_ring_contains(hole, x, y) for hole in rings[1:])


def geometry_contains(geometry: dict[str, Any] | None, lng: float, lat: float) -> bool:
    """Whether a GeoJSON Polygon/MultiPolygon (or Feature of one) contains the point."""
    if not geometry:
        return False
    if geometry.get("type") == "Feature":
        geometry = geometry.get("geometry") or {}
    kind = geometry.get("type")
    coords = geometry.get("coordinates") or []
    if kind == "Polygon":
        return _polygon_contains(coords, lng, lat)
    if kind == "MultiPolygon":
        return any(_polygon_contains(poly, lng, lat) for poly in coords)
    return False


def geometry_area(geometry: dict[str, Any] | None) -> float:
    """Planar area in square degrees of the outer rings: only to pick the smallest match."""
    if not geometry:
        return math.inf
    if geometry.get("type") == "Feature":
        geometry = geometry.get("geometry") or {}
    polys = (
        [geometry.get("coordinates") or []]
        if geometry.get("type") == "Polygon"
        else geometry.get("coordinates") or []
    )
    total = 0.0
    for rings in polys:
        if not rings:
            continue
        ring = rings[0]
        total += abs(
            sum(
                float(ring[i][0]) * float(ring[(i + 1) % len(ring)][1])
                - float(ring[(i + 1) % len(ring)][0]) * float(ring[i][1])
                for i in range(len(ring))
            )
            / 2
        )
    return total or math.inf
