"""Measures the facility registry gives the evaluation engine (DESIGN.md §7).

Each `compute(region_codes)` answers {community code: value} for the given communities
(None: every community), zeros included, over OPERATING facilities (building, planned,
suspended and closed ones do not count): the presence measures and the service area share one
read per evaluation (`measures.memo`; the area by the rule of the facilities selector's
`area_by_community`, which the statistics page uses). A facility at a grid counts for its
community; one at a town counts for no community but does for the
town-level measures (`town_*`, keys are town codes), since 镇级社会工作站 and 未成年人保护工作站
are town facilities (ADR 0033).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Case, F, When

from linli.facilities.selectors import SERVICE_AREA_TYPES, operating_facilities
from linli.indicators.measures import (
    Measure,
    as_decimal,
    batched,
    codes_key,
    memo,
    raw_rows,
    region_codes_at,
    region_levels,
)
from linli.regions.models import Region

Compute = Callable[[list[str] | None], dict[str, float]]
_COMMUNITY_LEVELS = frozenset((Region.Level.COMMUNITY, Region.Level.GRID))


def _codes(level: str, region_codes: list[str] | None) -> list[str]:
    if region_codes is not None:
        return list(region_codes)
    return region_codes_at(level)


@dataclass(frozen=True)
class _Presence:
    """The type codes of operating facilities per community (at it or its grids) and per town
    (code[:9]; at the town itself or anywhere below it), and each community's service area."""

    community: dict[str, set[str]]
    town: dict[str, set[str]]
    area: dict[str, Decimal]  # Σ building area of SERVICE_AREA_TYPES (`area_by_community`)


def _presence_of(region_codes: list[str] | None) -> _Presence:
    """One plain read of the operating facilities serves the eleven presence measures and the
    service area of an evaluation (a grouped query per measure, or even one per evaluation,
    cost more: the rows are few, 2k for the full county, and the grouping is a set per region
    here). The area is summed exactly (Decimal), as the database sums it for the selector."""

    def load() -> _Presence:
        wanted = set(region_codes) if region_codes is not None else None
        towns = {code[:9] for code in region_codes} if region_codes is not None else None
        community: dict[str, set[str]] = defaultdict(set)
        town: dict[str, set[str]] = defaultdict(set)
        area: dict[str, Decimal] = {}
        rows = raw_rows(
            operating_facilities()
            .order_by()
            # The area only where it counts: the other rows need no Decimal made (SQLite).
            .annotate(
                service_area=Case(
                    When(type__code__in=SERVICE_AREA_TYPES, then=F("building_area_m2"))
                )
            )
            .values_list("region_code", "type__code", "service_area")
        )
        levels = region_levels()  # each row's level by its code, without a join
        for code, type_code, area_m2 in rows:
            level = levels.get(code)
            if level in _COMMUNITY_LEVELS and (wanted is None or code[:12] in wanted):
                community[code[:12]].add(type_code)
                if area_m2 is not None:
                    area[code[:12]] = area.get(code[:12], 0) + as_decimal(area_m2)
            if level != Region.Level.COUNTY and (towns is None or code[:9] in towns):
                town[code[:9]].add(type_code)
        return _Presence(dict(community), dict(town), area)

    return memo(("facilities.presence", codes_key(region_codes)), load)


def _has(*type_codes: str) -> Compute:
    wanted = set(type_codes)

    def compute(region_codes: list[str] | None) -> dict[str, float]:
        result = dict.fromkeys(_codes(Region.Level.COMMUNITY, region_codes), 0.0)
        result.update(
            (community, 1.0)
            for community, types in _presence_of(region_codes).community.items()
            if types & wanted
        )
        return result

    compute.__name__ = f"has_{'_or_'.join(type_codes)}"
    return batched(compute)


def _town_has(*type_codes: str) -> Compute:
    wanted = set(type_codes)

    def compute(region_codes: list[str] | None) -> dict[str, float]:
        towns = _codes(Region.Level.TOWN, region_codes)
        present = _presence_of(region_codes).town
        return {code: 1.0 if present.get(code[:9], set()) & wanted else 0.0 for code in towns}

    compute.__name__ = f"town_has_{'_or_'.join(type_codes)}"
    return batched(compute)


@batched
def facility_area_service(region_codes: list[str] | None) -> dict[str, float]:
    result = dict.fromkeys(_codes(Region.Level.COMMUNITY, region_codes), 0.0)
    result.update((code, float(area)) for code, area in _presence_of(region_codes).area.items())
    return result


def _presence(code: str, name: str, types: tuple[str, ...], description: str) -> Measure:
    return Measure(
        code=code, name=name, unit="是/否", compute=_has(*types), description=description
    )


MEASURES = [
    Measure(
        code="facility_area_service",
        name="社区综合服务设施面积",
        unit="平方米",
        compute=facility_area_service,
        description=(
            "运营中的党群服务中心（社区综合服务设施）与一站式服务大厅建筑面积之和；"
            "城市社区按每百户折算（FAC_AREA_URBAN），农村社区取平均（FAC_AREA_RURAL）"
        ),
    ),
    _presence(
        "has_service_center",
        "有社区综合服务中心/一站式服务大厅",
        SERVICE_AREA_TYPES,
        "1：有运营中的党群服务中心或一站式服务大厅（FAC_CENTER）",
    ),
    _presence(
        "has_elderly_station",
        "有社区养老服务站",
        ("elderly_station", "day_care"),
        "1：有运营中的养老服务站或老年人日间照料中心（ELDER_STATION）",
    ),
    _presence(
        "has_volunteer_station",
        "有志愿服务站点",
        ("volunteer_station",),
        "1：有运营中的志愿服务站点（VOL_STATION）",
    ),
    _presence(
        "has_social_work_station",
        "有社会工作站（室）",
        ("social_work_station",),
        "1：社区内有运营中的社会工作站（室）",
    ),
    _presence(
        "has_minor_protection_station",
        "有未成年人保护工作站",
        ("minor_protection_station",),
        "1：社区内有运营中的未成年人保护工作站",
    ),
    _presence("has_shelter", "有应急避难场所", ("shelter",), "1：有应急避难场所（SHELTER_RURAL）"),
    _presence(
        "has_micro_fire_station",
        "有微型消防站",
        ("micro_fire_station",),
        "1：有运营中的微型消防站（FIRE_STATION）",
    ),
    _presence(
        "has_clinic",
        "有卫生服务站/村卫生室",
        ("clinic", "health_center"),
        "1：有运营中的社区卫生服务站（村卫生室）或社区卫生服务中心（CLINIC）",
    ),
    _presence("has_police_room", "有警务室", ("police_room",), "1：有运营中的警务室"),
    Measure(
        code="town_social_work_station",
        name="镇（街道）有社会工作站",
        unit="是/否",
        compute=_town_has("social_work_station"),
        level="town",
        description="按镇统计：镇本级或其下任一社区有运营中的社会工作站（SW_STATION）；键为镇级区划代码",
    ),
    Measure(
        code="town_minor_protection_station",
        name="镇（街道）有未成年人保护工作站",
        unit="是/否",
        compute=_town_has("minor_protection_station"),
        level="town",
        description="按镇统计：镇本级或其下任一社区有运营中的未成年人保护工作站（MINOR_STATION）",
    ),
]
