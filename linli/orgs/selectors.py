"""Reads of the organisation registry, always narrowed to what the principal may see."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, cast

from django.db.models import Count, Q, QuerySet
from django.db.models.functions import Substr

from linli.core.errors import NotFound
from linli.core.scoping import scope_of
from linli.orgs.models import Membership, Organisation
from linli.regions.models import Region

# The kinds that count as 社区社会组织 for 专栏2's "经常性参与社区服务" target (ADR 0030).
SOCIAL_ORG_KINDS: tuple[str, ...] = (
    Organisation.Kind.SOCIAL,
    Organisation.Kind.VOLUNTEER_TEAM,
)
# 专栏2: at least 12 per urban community, 6 per rural one, by the end of 2025.
REGULAR_TARGET_URBAN = 12
REGULAR_TARGET_RURAL = 6


def organisation_list(
    principal: Any,
    *,
    kind: str | None = None,
    is_regular_service: bool | None = None,
    is_brand: bool | None = None,
    is_active: bool | None = None,
    q: str | None = None,
    region_code: str | None = None,
) -> QuerySet[Organisation]:
    """Visible organisations, filtered by kind, the two flags, 存续, a name / credit-code
    fragment, and a region (the region and everything under it)."""
    orgs = (
        Organisation.objects.visible_to(principal)
        .select_related("region", "parent")
        .annotate(member_count=Count("memberships"))
        .order_by("region_code", "kind", "name")
    )
    if kind:
        orgs = orgs.filter(kind=kind)
    if is_regular_service is not None:
        orgs = orgs.filter(is_regular_service=is_regular_service)
    if is_brand is not None:
        orgs = orgs.filter(is_brand=is_brand)
    if is_active is not None:
        orgs = orgs.filter(is_active=is_active)
    if q:
        orgs = orgs.filter(Q(name__contains=q) | Q(credit_code__startswith=q.upper()))
    if region_code:
        orgs = orgs.filter(region_code__startswith=_prefix(region_code))
    return cast("QuerySet[Organisation]", orgs)


def _prefix(code: str) -> str:
    """The prefix all descendants share (trailing zeros of a county or town code dropped)."""
    if len(code) == 12 and code.endswith("000000"):
        return code[:6]
    if len(code) == 12 and code.endswith("000"):
        return code[:9]
    return code


def organisation_get_visible(principal: Any, org_id: int) -> Organisation:
    org = (
        Organisation.objects.visible_to(principal)
        .select_related("region", "parent")
        .filter(pk=org_id)
        .first()
    )
    if org is None:
        raise NotFound("org_not_found", "未找到该组织，或您无权查看")
    return org


def organisation_members(principal: Any, org: Organisation) -> QuerySet[Membership]:
    return (
        Membership.objects.visible_to(principal)
        .filter(organisation=org)
        .select_related("resident", "user")
        .order_by("role", "name")
    )


def organisation_children(principal: Any, org: Organisation) -> QuerySet[Organisation]:
    return Organisation.objects.visible_to(principal).filter(parent=org).order_by("kind", "name")


def membership_get_visible(principal: Any, membership_id: int) -> Membership:
    row = (
        Membership.objects.visible_to(principal)
        .select_related("organisation")
        .filter(pk=membership_id)
        .first()
    )
    if row is None:
        raise NotFound("member_not_found", "未找到该成员，或您无权查看")
    return row


def _ancestor_codes(prefix: str) -> set[str]:
    """The county and town codes above a scope prefix (6, 9, 12 or 15 digits)."""
    codes = {prefix[:6] + "000000"}
    if len(prefix) >= 9:
        codes.add(prefix[:9] + "000")
    return codes


def departments_for(principal: Any) -> QuerySet[Organisation]:
    """Government departments (城管, 应急, 卫健, 公安…) a principal may dispatch to.

    Departments sit at the county or a town, above the communities that call on them
    ("网格吹哨、部门报到"), so a community's staff see their own town's and the county's
    departments as well as any registered inside their scope (ADR 0031)."""
    scope = scope_of(principal)
    departments = Organisation.objects.filter(kind=Organisation.Kind.DEPARTMENT, is_active=True)
    if not scope.is_global:
        if not scope.prefixes:
            return departments.none()
        condition = Q(region_code__in=set().union(*(_ancestor_codes(p) for p in scope.prefixes)))
        for prefix in scope.prefixes:
            condition |= Q(region_code__startswith=prefix)
        departments = departments.filter(condition)
    return departments.select_related("region").order_by("region_code", "name")


@dataclass(frozen=True)
class RegularOrgCount:
    """One community's count of regularly serving social organisations against 专栏2."""

    code: str
    name: str
    is_urban: bool
    count: int

    @property
    def target(self) -> int:
        return REGULAR_TARGET_URBAN if self.is_urban else REGULAR_TARGET_RURAL

    @property
    def met(self) -> bool:
        return self.count >= self.target


def regular_org_counts_by_community(
    region_codes: list[str] | None = None, *, kinds: tuple[str, ...] = SOCIAL_ORG_KINDS
) -> dict[str, int]:
    """{community code: active organisations of `kinds` flagged 经常性参与}, one query.

    Rows at a grid count for the grid's community (its code's first 12 digits); rows at a
    town or the county belong to no community and are left out."""
    rows = (
        Organisation.objects.filter(
            kind__in=kinds,
            is_regular_service=True,
            is_active=True,
            region__level__in=("community", "grid"),
        )
        .annotate(community=Substr("region_code", 1, 12))
        .values("community")
        .annotate(n=Count("id"))
    )
    if region_codes is not None:
        rows = rows.filter(community__in=region_codes)
    return {r["community"]: r["n"] for r in rows}


def regular_org_counts(principal: Any) -> list[RegularOrgCount]:
    """Every visible community with its count of regularly serving social organisations."""
    communities = list(
        Region.objects.visible_to(principal)
        .filter(level=Region.Level.COMMUNITY)
        .order_by("code")
        .values_list("code", "name", "urban_rural_code")
    )
    counts = regular_org_counts_by_community([c for c, _n, _u in communities])
    return [
        RegularOrgCount(code=c, name=n, is_urban=u.startswith("1"), count=counts.get(c, 0))
        for c, n, u in communities
    ]
