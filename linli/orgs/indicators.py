"""Measures the organisation registry gives the evaluation engine (DESIGN.md §7).

Each `compute(region_codes)` answers {community code: value} for the given communities
(None: every community), zeros included, from one grouped query over active organisations.
Organisations at a grid count for its community; those at a town or the county belong to
no community (ADR 0030), except in the county-level `brand_orgs_all`.
"""

from __future__ import annotations

from django.db.models import Count, Q, QuerySet
from django.db.models.functions import Substr

from linli.indicators.measures import Measure
from linli.orgs.models import Organisation
from linli.orgs.selectors import SOCIAL_ORG_KINDS
from linli.regions.models import Region


def _community_codes(region_codes: list[str] | None) -> list[str]:
    if region_codes is not None:
        return list(region_codes)
    return list(Region.objects.filter(level=Region.Level.COMMUNITY).values_list("code", flat=True))


def _count_per_community(
    rows: QuerySet[Organisation], region_codes: list[str] | None
) -> dict[str, float]:
    grouped = (
        rows.filter(region__level__in=(Region.Level.COMMUNITY, Region.Level.GRID))
        .annotate(community=Substr("region_code", 1, 12))
        .values("community")
        .annotate(n=Count("id"))
    )
    if region_codes is not None:
        grouped = grouped.filter(community__in=region_codes)
    result = dict.fromkeys(_community_codes(region_codes), 0.0)
    result.update((r["community"], float(r["n"])) for r in grouped)
    return result


def regular_social_orgs(region_codes: list[str] | None) -> dict[str, float]:
    return _count_per_community(
        Organisation.objects.filter(
            kind__in=SOCIAL_ORG_KINDS, is_regular_service=True, is_active=True
        ),
        region_codes,
    )


def brand_orgs(region_codes: list[str] | None) -> dict[str, float]:
    return _count_per_community(
        Organisation.objects.filter(is_brand=True, is_active=True), region_codes
    )


def brand_orgs_all(region_codes: list[str] | None) -> dict[str, float]:
    """{county code: every active brand organisation in the county}, whatever its level
    (a county-wide brand volunteer association counts too)."""
    rows = (
        Organisation.objects.filter(is_brand=True, is_active=True)
        .annotate(county=Substr("region_code", 1, 6))
        .values("county")
        .annotate(n=Count("id"))
    )
    counties = (
        list(region_codes)
        if region_codes is not None
        else list(Region.objects.filter(level=Region.Level.COUNTY).values_list("code", flat=True))
    )
    if region_codes is not None:
        rows = rows.filter(Q(county__in=[c[:6] for c in counties]))
    result = dict.fromkeys(counties, 0.0)
    by_prefix = {r["county"]: float(r["n"]) for r in rows}
    for code in counties:
        result[code] = by_prefix.get(code[:6], 0.0)
    return result


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
