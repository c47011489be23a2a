"""Reads of the region tree, always narrowed to what the principal may see."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, cast

from django.db.models import Count, Q, QuerySet
from django.utils.translation import gettext as _

from linli.core.errors import NotFound
from linli.core.scoping import scope_of
from linli.regions.models import Building, Region

LEVEL_DEPTH = {"county": 0, "town": 1, "community": 2, "grid": 3}
LEVEL_IMPORT_LABEL = {"county": "县", "town": "镇", "community": "社区", "grid": "网格"}


@dataclass
class RegionNode:
    """One region in a tree listing; `depth` counts from the listing's top nodes (0)."""

    id: int
    code: str
    name: str
    level: str
    parent_id: int | None
    depth: int
    urban_rural_code: str = ""
    center_lng: float | None = None
    center_lat: float | None = None
    population: int | None = None
    households: int | None = None
    is_illustrative: bool = False
    children: list[RegionNode] = field(default_factory=list)

    @property
    def kind_label(self) -> str:
        if self.level == Region.Level.COMMUNITY:
            return str(_("村") if self.urban_rural_code.startswith("2") else _("社区"))
        return str(Region.Level(self.level).label)


def code_prefix(code: str) -> str:
    """The prefix all descendants share, read off a well-formed code (no query needed)."""
    if len(code) == 12 and code.endswith("000000"):
        return code[:6]
    if len(code) == 12 and code.endswith("000"):
        return code[:9]
    return code


_NODE_FIELDS = (
    "id",
    "code",
    "name",
    "level",
    "parent_id",
    "urban_rural_code",
    "center_lng",
    "center_lat",
    "population",
    "households",
    "is_illustrative",
)


def region_tree_for(principal: Any, root_code: str | None = None) -> list[RegionNode]:
    """The visible subtree as a flat pre-order list (parents before children), one query.

    Ordering by code is a depth-first walk because a child's code extends its parent's
    prefix. With `root_code`, only that region and its descendants; NotFound if unseen.
    """
    queryset = Region.objects.visible_to(principal)
    if root_code is not None:
        queryset = queryset.filter(code__startswith=code_prefix(root_code))
    rows = list(queryset.order_by("code").values(*_NODE_FIELDS))
    if root_code is not None and not any(r["code"] == root_code for r in rows):
        raise NotFound("region_not_found", _("区划不存在或无权查看"))
    # Pre-order means a parent, if visible, is already placed; otherwise the node is a top.
    depth_of: dict[int, int] = {}
    nodes = []
    for row in rows:
        depth = depth_of[row["parent_id"]] + 1 if row["parent_id"] in depth_of else 0
        depth_of[row["id"]] = depth
        nodes.append(RegionNode(depth=depth, **row))
    return nodes


def region_tree_nested(nodes: list[RegionNode]) -> list[RegionNode]:
    """Link a flat listing into trees (fills `children`); returns the top nodes."""
    by_id = {n.id: n for n in nodes}
    roots: list[RegionNode] = []
    for node in nodes:
        node.children = []
    for node in nodes:
        parent = by_id.get(node.parent_id) if node.parent_id is not None else None
        (parent.children if parent is not None else roots).append(node)
    return roots


def region_get_visible(principal: Any, code: str) -> Region:
    """The region with this code, if the principal may see it; otherwise NotFound (404)."""
    region = Region.objects.visible_to(principal).filter(code=code).first()
    if region is None:
        raise NotFound("region_not_found", _("区划不存在或无权查看"))
    return region


def region_children(principal: Any, code: str) -> QuerySet[Region]:
    """The visible children of a visible region, by code, each with `child_count`."""
    parent = region_get_visible(principal, code)
    children = (
        Region.objects.visible_to(principal)
        .filter(parent=parent)
        .annotate(child_count=Count("children"))
        .order_by("code")
    )
    return cast("QuerySet[Region]", children)


def region_roots_for(principal: Any) -> QuerySet[Region]:
    """The top regions of the principal's scope (the county for a county admin, etc.)."""
    scope = scope_of(principal)
    queryset = Region.objects.visible_to(principal)
    if scope.is_global:
        return queryset.filter(parent__isnull=True).order_by("code")
    codes = [p.ljust(12, "0") if len(p) < 12 else p for p in scope.prefixes]
    return queryset.filter(code__in=codes).order_by("code")


def region_export_rows(principal: Any) -> list[dict[str, Any]]:
    """Every visible region as an import row (keys of `io.REGION_COLUMNS`), by code."""
    rows = (
        Region.objects.visible_to(principal)
        .order_by("code")
        .values(
            "code",
            "name",
            "level",
            "parent__code",
            "urban_rural_code",
            "center_lng",
            "center_lat",
            "population",
            "households",
        )
    )
    result = []
    for row in rows:
        level = row["level"]
        if level == Region.Level.COMMUNITY:
            label = "村" if row["urban_rural_code"].startswith("2") else "社区"
        elif level == Region.Level.TOWN and row["name"].endswith("街道"):
            label = "街道"
        else:
            label = LEVEL_IMPORT_LABEL[level]
        parent_code = row.pop("parent__code") or ""
        result.append({**row, "level": label, "parent_code": parent_code})
    return result


def region_list(
    principal: Any,
    *,
    level: str | None = None,
    parent_code: str | None = None,
    query: str | None = None,
) -> QuerySet[Region]:
    """Visible regions, filtered by level, parent code, or a name/code fragment."""
    regions = Region.objects.visible_to(principal).select_related("parent").order_by("code")
    if level:
        regions = regions.filter(level=level)
    if parent_code:
        regions = regions.filter(parent__code=parent_code)
    if query:
        regions = regions.filter(Q(name__contains=query) | Q(code__startswith=query))
    return regions


# --- buildings ------------------------------------------------------------------------------


def building_list(
    principal: Any, *, query: str | None = None, region_code: str | None = None
) -> QuerySet[Building]:
    """Visible buildings, by address; `query` matches the address or the name, `region_code`
    narrows to a region and everything below it."""
    buildings = (
        Building.objects.visible_to(principal)
        .select_related("region")
        .order_by("region_code", "address", "id")
    )
    if region_code:
        buildings = buildings.filter(region_code__startswith=code_prefix(region_code))
    if query:
        query = query.strip()
        buildings = buildings.filter(Q(address__contains=query) | Q(name__contains=query))
    return cast("QuerySet[Building]", buildings)


def building_get_visible(principal: Any, building_id: int) -> Building:
    """The building if the principal may see it; otherwise NotFound (404)."""
    building = (
        Building.objects.visible_to(principal)
        .select_related("region")
        .filter(pk=building_id)
        .first()
    )
    if building is None:
        raise NotFound("building_not_found", _("楼栋不存在或无权查看"))
    return cast(Building, building)


def building_options(principal: Any, region_code: str) -> QuerySet[Building]:
    """Visible buildings of the community that `region_code` (a community or grid) belongs to:
    a household may live in any building of its community."""
    if len(region_code) < 12:
        return cast("QuerySet[Building]", Building.objects.none())
    return cast(
        "QuerySet[Building]",
        Building.objects.visible_to(principal)
        .filter(region_code__startswith=region_code[:12])
        .order_by("address", "id"),
    )


def registry_regions(principal: Any, *, within: str | None = None) -> QuerySet[Region]:
    """Visible grids and communities (where registry rows live), by code, with parents."""
    regions = (
        Region.objects.visible_to(principal)
        .filter(level__in=[Region.Level.COMMUNITY, Region.Level.GRID])
        .select_related("parent")
        .order_by("code")
    )
    if within:
        regions = regions.filter(code__startswith=code_prefix(within))
    return cast("QuerySet[Region]", regions)


def region_ancestors(principal: Any, region: Region) -> list[Region]:
    """The visible regions from the top of the principal's scope down to `region` (breadcrumb)."""
    codes = {region.code[:6] + "000000", region.code[:9] + "000", region.code[:12], region.code}
    found = Region.objects.visible_to(principal).filter(code__in=codes).order_by("code")
    return sorted(found, key=lambda r: LEVEL_DEPTH[r.level])
