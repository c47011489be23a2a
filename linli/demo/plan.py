"""Which demo communities meet which of the plan's targets (DESIGN.md §7).

The demo must show a county on its way: some communities meet a target, some do not, and a
few targets are missed county-wide. Shares are fixed quotas (not coin flips per community),
so every seed gives the same mix and only *which* communities differs. The communities the
plan praises (陵阳社区, 澄桥村) meet every target.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

SHOWCASE = ("陵阳社区", "澄桥村")


@dataclass(frozen=True)
class Place:
    """A region as the builder sees it (read once from the tree)."""

    id: int
    code: str
    name: str
    level: str
    parent_id: int | None
    urban_rural_code: str
    lng: float
    lat: float
    population: int
    households: int

    @property
    def urban(self) -> bool:
        return self.urban_rural_code.startswith("1")

    @property
    def stem(self) -> str:
        """The name without 社区/村 (陵阳社区 → 陵阳)."""
        return self.name.removesuffix("社区").removesuffix("村")


# (share of urban communities, share of rural communities) that have / meet it.
QUOTAS: dict[str, tuple[float, float]] = {
    "center_area_ok": (0.70, 0.55),  # ≥ 30 m²/100 households; rural: ≥ 300 m²
    "one_stop_hall": (1.0, 0.97),
    "elderly_station": (0.94, 0.83),
    "day_care": (0.60, 0.20),
    "meal_point": (0.70, 0.40),
    "volunteer_station": (0.85, 0.72),
    "clinic": (1.0, 0.96),
    "micro_fire_station": (0.90, 0.70),
    "shelter": (0.55, 0.90),
    "police_room": (0.90, 0.35),
    "nursery": (0.45, 0.05),
    "kindergarten": (0.65, 0.25),
    "child_home": (0.85, 0.75),
    "express_point": (1.0, 0.65),
    "orgs_ok": (0.55, 0.60),  # ≥ 12 / ≥ 6 regularly serving social organisations
    "density_ok": (0.55, 0.0),  # ≥ 18 workers per 10,000 residents (urban target only)
    "one_shoulder": (0.55, 0.62),  # secretary also director
    "child_director": (0.97, 0.95),
    "disaster_officer": (0.94, 0.91),
    "legal_advisor": (1.0, 0.98),
    "police_full": (0.85, 0.90),  # 一区一警两辅 / 一村一辅警
    "certs_ok": (0.50, 0.0),  # ≥ 3 certified social workers (urban target only)
    "leaders_trained": (0.85, 0.85),  # ≥ 3 days of rotation training this year
    "others_trained": (0.80, 0.80),  # every other worker trained in the last two years
}
TOWN_QUOTAS = {"social_work_station": 8, "minor_protection_station": 4}
BRAND_COUNT = 7


@dataclass
class CountyPlan:
    """The communities (by code) in each quota, and the towns with each town-level station."""

    met: dict[str, set[str]] = field(default_factory=dict)
    towns: dict[str, set[str]] = field(default_factory=dict)
    brands: list[str] = field(default_factory=list)  # community codes, one brand each

    def has(self, what: str, code: str) -> bool:
        return code in self.met[what]


def _quota(codes: list[str], share: float, rng: random.Random, forced: list[str]) -> set[str]:
    wanted = round(share * len(codes))
    chosen = [c for c in forced if c in codes][:wanted]
    rest = [c for c in codes if c not in chosen]
    return set(chosen) | set(rng.sample(rest, wanted - len(chosen)))


def plan_county(*, seed: int, towns: list[Place], communities: list[Place]) -> CountyPlan:
    rng = random.Random(f"{seed}:plan")  # noqa: S311  (reproducible demo data)
    urban = [c.code for c in communities if c.urban]
    rural = [c.code for c in communities if not c.urban]
    showcase = [c.code for c in communities if c.name in SHOWCASE]
    plan = CountyPlan()
    for what, (urban_share, rural_share) in QUOTAS.items():
        plan.met[what] = _quota(urban, urban_share, rng, showcase) | _quota(
            rural, rural_share, rng, showcase
        )
    town_codes = [t.code for t in towns]
    seat = [t.code for t in towns if t.name == "籍山镇"]
    for what, count in TOWN_QUOTAS.items():
        plan.towns[what] = _quota(town_codes, count / len(town_codes), rng, seat)
    named = [c.code for c in communities if c.name in ("陵阳社区", "澄桥村", "霭里村", "万兴村")]
    others = sorted(set(urban + rural) - set(named))
    plan.brands = named + rng.sample(others, BRAND_COUNT - len(named))
    return plan
