"""GCJ-02 ↔ WGS84 against published pairs (eviltransform's test points, MIT)."""

import pytest

from linli.facilities.coords import gcj02_to_wgs84, out_of_china, wgs84_to_gcj02

# (WGS84 lng, lat) → (GCJ-02 lng, lat): Shanghai, Shenzhen, Beijing
PAIRS = [
    ((121.5272106, 31.1774276), (121.531541859215, 31.17530398364597)),
    ((113.912316, 22.543847), (113.9171764808363, 22.540796131694766)),
    ((116.377817, 39.911954), (116.38404722455657, 39.91334545536069)),
]


@pytest.mark.parametrize(("wgs", "gcj"), PAIRS)
def test_wgs84_to_gcj02_matches_the_published_pair(wgs, gcj):
    lng, lat = wgs84_to_gcj02(*wgs)
    assert lng == pytest.approx(gcj[0], abs=1e-9)
    assert lat == pytest.approx(gcj[1], abs=1e-9)


@pytest.mark.parametrize(("wgs", "gcj"), PAIRS)
def test_gcj02_to_wgs84_recovers_the_wgs84_point_within_a_millimetre(wgs, gcj):
    lng, lat = gcj02_to_wgs84(*gcj)
    # 1e-8 degrees is about 1 mm
    assert lng == pytest.approx(wgs[0], abs=1e-8)
    assert lat == pytest.approx(wgs[1], abs=1e-8)


def test_the_offset_in_nanling_is_hundreds_of_metres_and_none_abroad():
    # given a point in Nanling County
    gcj = wgs84_to_gcj02(118.3336, 30.9197)
    # then GCJ-02 moves it by a few hundred metres (≈ 1e-5 degrees per metre)
    assert 0.001 < abs(gcj[0] - 118.3336) + abs(gcj[1] - 30.9197) < 0.01
    # and outside China nothing changes
    assert out_of_china(2.35, 48.85)
    assert gcj02_to_wgs84(2.35, 48.85) == (2.35, 48.85)
