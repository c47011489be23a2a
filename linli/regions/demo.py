"""A deterministic demo region tree for Nanling County (南陵县, 340223).

The county code is the official one. The ten towns and zones and the four communities the
county plan names (陵阳社区, 澄桥村, 霭里村, 万兴村) are real names; every code below the
county, every other community name, every centre point, boundary and head count is made
up and flagged `is_illustrative=True`. The shape matches the plan: 172 城乡社区, urban
社区 concentrated in the county seat 籍山镇, villages (村) elsewhere with a 社区 at each
town centre, and about 1,300 grids (the county's full-scale target is ~1,500).
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any

from django.db import transaction

from linli.regions.models import Region

COUNTY_CODE = "340223000000"
COUNTY_NAME = "南陵县"
COUNTY_CENTER = (118.3336, 30.9197)


@dataclass(frozen=True)
class _Town:
    code: str  # the 3 town digits of the code: 1xx 镇, 4xx 类似乡级单位 (zones)
    name: str
    urban: int  # number of 社区
    rural: int  # number of 村
    offset: tuple[float, float]  # centre relative to the county seat, degrees (lng, lat)
    named: tuple[tuple[str, str], ...] = ()  # (name, urban_rural_code) placed first


TOWNS: tuple[_Town, ...] = (
    _Town("100", "籍山镇", 18, 18, (0.0, 0.0), (("陵阳社区", "111"),)),
    _Town("101", "弋江镇", 2, 18, (0.06, 0.12)),
    _Town("102", "许镇镇", 2, 20, (-0.09, -0.05), (("万兴村", "220"),)),
    _Town("103", "家发镇", 1, 15, (-0.15, 0.06)),
    _Town("104", "工山镇", 1, 13, (0.05, -0.13)),
    _Town("105", "三里镇", 1, 17, (0.12, -0.04), (("澄桥村", "220"),)),
    _Town("106", "何湾镇", 1, 14, (-0.04, -0.19)),
    _Town("107", "烟墩镇", 1, 13, (-0.10, -0.23), (("霭里村", "220"),)),
    _Town("400", "大浦试验区", 1, 5, (-0.03, 0.11)),
    _Town("401", "经济开发区", 6, 5, (0.04, 0.03)),
)

_SEAT_COMMUNITIES = (
    "城东",
    "城西",
    "城南",
    "城北",
    "春谷",
    "籍山",
    "漳河",
    "南湖",
    "文峰",
    "长乐",
    "金塔",
    "新民",
    "和平",
    "向阳",
    "滨河",
    "凤凰",
    "迎宾",
)
_URBAN_PARTS = (
    "新街",
    "老街",
    "车站",
    "新华",
    "幸福",
    "振兴",
    "翠园",
    "花园",
    "建设",
    "文昌",
    "东门",
    "桂园",
    "梅园",
    "高新",
    "创业",
    "光明",
)
_VILLAGE_FIRST = list(
    "龙桂石黄桃梅荷青丰太双永长和兴金白马凤鹤峰湖乐安福华宝团光春柏杨柳竹松茶联新沿五九大"
    "高云仙汪陈徐刘奎峨罗戴章吕"
)
_VILLAGE_SECOND = list("山镇塘桥湖冲岭圩湾岗坝墩畈埠庄园林河溪峰店铺阳丰兴")


@dataclass(frozen=True)
class DemoSummary:
    created: bool
    county_code: str
    towns: int
    communities: int
    urban_communities: int
    rural_communities: int
    grids: int
    population: int
    households: int


def _square(lng: float, lat: float, half: float) -> dict[str, Any]:
    """A simple square polygon (GeoJSON, counter-clockwise per RFC 7946)."""
    w, e, s, n = (round(v, 6) for v in (lng - half, lng + half, lat - half, lat + half))
    return {"type": "Polygon", "coordinates": [[[w, s], [e, s], [e, n], [w, n], [w, s]]]}


def _split(total: int, parts: int, rng: random.Random) -> list[int]:
    """`total` split into `parts` roughly equal shares that add up exactly."""
    weights = [rng.uniform(0.8, 1.2) for _ in range(parts)]
    shares = [int(total * w / sum(weights)) for w in weights]
    shares[-1] += total - sum(shares)
    return shares


def _grid_count(urban: bool, population: int, spec: int | tuple[int, int] | None, rng: Any) -> int:
    if isinstance(spec, int):
        return spec
    if isinstance(spec, tuple):
        return rng.randint(spec[0], spec[1])
    low, high, per_grid = (4, 12, 480) if urban else (3, 8, 200)
    return max(low, min(high, round(population / per_grid) + rng.randint(-1, 1)))


def _village_name(rng: random.Random, used: set[str]) -> str:
    while True:
        first, second = rng.choice(_VILLAGE_FIRST), rng.choice(_VILLAGE_SECOND)
        name = f"{first}{second}村"
        if first != second and name not in used:
            return name


def _urban_names(town: _Town, used: set[str]) -> list[str]:
    names = [n for n, urc in town.named if urc.startswith("1")]
    pool: list[str]
    if town.name == "籍山镇":
        pool = list(_SEAT_COMMUNITIES)
    else:
        stem = town.name.removesuffix("镇").removesuffix("试验区")
        pool = ([] if town.name == "经济开发区" else [stem]) + list(_URBAN_PARTS)
    for stem in pool:
        if len(names) == town.urban:
            break
        if f"{stem}社区" not in used and f"{stem}社区" not in names:
            names.append(f"{stem}社区")
    return names


def demo_region_specs(
    *, seed: int = 340223, grids_per_community: int | tuple[int, int] | None = None
) -> list[dict[str, Any]]:
    """The demo tree as plain field dicts, parents before children (no database access)."""
    rng = random.Random(seed)  # noqa: S311  (reproducible demo data, not security)
    used: set[str] = {n for t in TOWNS for n, _urc in t.named}
    specs: list[dict[str, Any]] = []
    county: dict[str, Any] = {
        "code": COUNTY_CODE,
        "name": COUNTY_NAME,
        "level": Region.Level.COUNTY,
        "parent_code": "",
        "urban_rural_code": "",
        "center_lng": COUNTY_CENTER[0],
        "center_lat": COUNTY_CENTER[1],
        "boundary": _square(*COUNTY_CENTER, 0.3),
        "is_illustrative": False,
        "population": 0,
        "households": 0,
    }
    specs.append(county)
    for town in TOWNS:
        town_code = f"340223{town.code}000"
        t_lng = round(COUNTY_CENTER[0] + town.offset[0] + rng.uniform(-0.01, 0.01), 6)
        t_lat = round(COUNTY_CENTER[1] + town.offset[1] + rng.uniform(-0.01, 0.01), 6)
        town_spec: dict[str, Any] = {
            "code": town_code,
            "name": town.name,
            "level": Region.Level.TOWN,
            "parent_code": COUNTY_CODE,
            "urban_rural_code": "",
            "center_lng": t_lng,
            "center_lat": t_lat,
            "boundary": _square(t_lng, t_lat, 0.05),
            "is_illustrative": True,
            "population": 0,
            "households": 0,
        }
        specs.append(town_spec)
        urban_names = _urban_names(town, used)
        used.update(urban_names)
        rural_names = [n for n, urc in town.named if urc.startswith("2")]
        while len(rural_names) < town.rural:
            rural_names.append(_village_name(rng, used))
            used.add(rural_names[-1])
        members = [(n, True, i + 1) for i, n in enumerate(urban_names)] + [
            (n, False, 200 + i + 1) for i, n in enumerate(rural_names)
        ]
        for name, urban, number in members:
            if urban and town.name == "籍山镇":
                urc = "112" if number > 14 else "111"
                population, spread = rng.randint(4500, 8000), 0.02
            elif urban:
                urc = "112" if town.name == "经济开发区" and number > 1 else "121"
                population, spread = rng.randint(3000, 6000), 0.015
            else:
                urc = "210" if rng.random() < 0.1 else "220"
                population, spread = rng.randint(1100, 2100), 0.06
            named_urc = dict(town.named).get(name)
            urc = named_urc or urc
            households = round(population / rng.uniform(2.5, 2.9 if urban else 3.4))
            c_code = f"{town_code[:9]}{number:03d}"
            c_lng = round(t_lng + rng.uniform(-spread, spread), 6)
            c_lat = round(t_lat + rng.uniform(-spread, spread), 6)
            specs.append(
                {
                    "code": c_code,
                    "name": name,
                    "level": Region.Level.COMMUNITY,
                    "parent_code": town_code,
                    "urban_rural_code": urc,
                    "center_lng": c_lng,
                    "center_lat": c_lat,
                    "boundary": _square(c_lng, c_lat, 0.006 if urban else 0.015),
                    "is_illustrative": True,
                    "population": population,
                    "households": households,
                }
            )
            town_spec["population"] += population
            town_spec["households"] += households
            grids = _grid_count(urban, population, grids_per_community, rng)
            grid_people = _split(population, grids, rng)
            grid_households = _split(households, grids, rng)
            jitter = 0.002 if urban else 0.006
            for index in range(grids):
                specs.append(
                    {
                        "code": f"{c_code}{index + 1:03d}",
                        "name": f"{name}第{index + 1}网格",
                        "level": Region.Level.GRID,
                        "parent_code": c_code,
                        "urban_rural_code": "",
                        "center_lng": round(c_lng + rng.uniform(-jitter, jitter), 6),
                        "center_lat": round(c_lat + rng.uniform(-jitter, jitter), 6),
                        "boundary": None,
                        "is_illustrative": True,
                        "population": grid_people[index],
                        "households": grid_households[index],
                    }
                )
        county["population"] += town_spec["population"]
        county["households"] += town_spec["households"]
    return specs


def _summary(created: bool) -> DemoSummary:
    under = Region.objects.filter(code__startswith=COUNTY_CODE[:6])
    communities = under.filter(level=Region.Level.COMMUNITY)
    county = under.filter(code=COUNTY_CODE).first()
    return DemoSummary(
        created=created,
        county_code=COUNTY_CODE,
        towns=under.filter(level=Region.Level.TOWN).count(),
        communities=communities.count(),
        urban_communities=communities.filter(urban_rural_code__startswith="1").count(),
        rural_communities=communities.filter(urban_rural_code__startswith="2").count(),
        grids=under.filter(level=Region.Level.GRID).count(),
        population=(county.population or 0) if county else 0,
        households=(county.households or 0) if county else 0,
    )


@transaction.atomic
def build_demo_regions(
    *, seed: int = 340223, grids_per_community: int | tuple[int, int] | None = None
) -> DemoSummary:
    """Create the demo tree unless the county already exists (then change nothing).

    `grids_per_community`: an exact number, a (low, high) range, or None for the default
    (urban 4–12, rural 3–8, scaled by population). Written with bulk_create, level by
    level, which bypasses the audit signals: acceptable for generated demo data only.
    """
    if Region.objects.filter(code=COUNTY_CODE).exists():
        return _summary(created=False)
    by_code: dict[str, Region] = {}
    specs = demo_region_specs(seed=seed, grids_per_community=grids_per_community)
    for level in Region.Level.values:
        batch = [
            Region(
                parent=by_code.get(spec["parent_code"]),
                **{k: v for k, v in spec.items() if k != "parent_code"},
            )
            for spec in specs
            if spec["level"] == level
        ]
        # Parents need their primary keys (SQLite ≥ 3.35 and PostgreSQL return them).
        for region in Region.objects.bulk_create(batch, batch_size=500):
            by_code[region.code] = region
    return _summary(created=True)
