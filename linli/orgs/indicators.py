"""Measures the organisation registry gives the evaluation engine (DESIGN.md §7).

Each `compute(region_codes)` answers {community code: value} for the given communities
(None: every community), zeros included, from one grouped query over active organisations.
Organisations at a grid count for its community; those at a town or the county belong to
no community (ADR 0030), except in the county-level `brand_orgs_all`.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from django.db.models import Count, Q

from linli.indicators.measures import (
    Measure,
    batched,
    codes_key,
    memo,
    region_codes_at,
    region_levels,
)
from linli.orgs.models import Organisation
from linli.orgs.selectors import SOCIAL_ORG_KINDS
from linli.regions.models import Region

_COMMUNITY_LEVELS = frozenset((Region.Level.COMMUNITY, Region.Level.GRID))


def _community_codes(region_codes: list[str] | None) -> list[str]:
    if region_codes is not None:
        return list(region_codes)
    return region_codes_at(Region.Level.COMMUNITY)


@dataclass(frozen=True)
class _Counts:
    per_community: dict[str, dict[str, int]]  # {community: {"regular": n, "brand": n}}
    brand_per_county: dict[str, int]  # {county code[:6]: brand organisations at any level}


def _counts(region_codes: list[str] | None) -> _Counts:
    """One grouped query over active organisations serves the three measures below: counts
    per region, a grid's folded into its community here (levels from `region_levels`, so
    that the query needs no join)."""

    def load() -> _Counts:
        regular = Q(kind__in=SOCIAL_ORG_KINDS, is_regular_service=True)
        grouped = (
            Organisation.objects.filter(is_active=True)
            .filter(regular | Q(is_brand=True))
            .values("region_code")
            .annotate(
                regular=Count("id", filter=regular), brand=Count("id", filter=Q(is_brand=True))
            )
            .order_by()
            .values_list("region_code", "regular", "brand")
        )
        levels = region_levels()
        wanted = set(region_codes) if region_codes is not None else None
        per_community: dict[str, dict[str, int]] = {}
        brand_per_county: dict[str, int] = defaultdict(int)
        for region_code, regular_n, brand_n in grouped:
            code = region_code[:12]
            brand_per_county[code[:6]] += brand_n
            if levels.get(region_code) not in _COMMUNITY_LEVELS or (
                wanted is not None and code not in wanted
            ):
                continue
            counts = per_community.setdefault(code, {"regular": 0, "brand": 0})
            counts["regular"] += regular_n
            counts["brand"] += brand_n
        return _Counts(per_community, dict(brand_per_county))

    return memo(("orgs.counts", codes_key(region_codes)), load)


def _count_per_community(what: str, region_codes: list[str] | None) -> dict[str, float]:
    result = dict.fromkeys(_community_codes(region_codes), 0.0)
    result.update(
        (community, float(counts[what]))
        for community, counts in _counts(region_codes).per_community.items()
        if counts[what]
    )
    return result


@batched
def regular_social_orgs(region_codes: list[str] | None) -> dict[str, float]:
    return _count_per_community("regular", region_codes)


@batched
def brand_orgs(region_codes: list[str] | None) -> dict[str, float]:
    return _count_per_community("brand", region_codes)


@batched
def brand_orgs_all(region_codes: list[str] | None) -> dict[str, float]:
    """{county code: every active brand organisation in the county}, whatever its level
    (a county-wide brand volunteer association counts too)."""
    counties = (
        list(region_codes) if region_codes is not None else region_codes_at(Region.Level.COUNTY)
    )
    brand = _counts(None).brand_per_county
    return {code: float(brand.get(code[:6], 0)) for code in counties}


MEASURES = [
    Measure(
        code="regular_social_orgs",
        name="经常性参与社区服务的社区社会组织数",
        unit="个",
        compute=regular_social_orgs,
        description="存续的社区社会组织、志愿服务队中标记为“经常性参与社区服务”的数量（专栏2）",
    ),
    Measure(
        code="brand_orgs",
        name="品牌社区社会组织和服务项目数",
        unit="个",
        compute=brand_orgs,
        description="登记在社区或网格、存续且标记为品牌的组织数量（专栏2）",
    ),
    Measure(
        code="brand_orgs_all",
        name="全县品牌社区社会组织和服务项目数",
        unit="个",
        compute=brand_orgs_all,
        level="county",
        description="按县统计，含登记在镇或县级的品牌组织；键为县级区划代码",
    ),
]
