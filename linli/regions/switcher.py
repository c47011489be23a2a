"""The region switcher: a user narrows the pages to one of the regions they may see."""

from __future__ import annotations

from typing import Any

from django.db.models import Q

from linli.core.errors import NotFound
from linli.core.scoping import scope_of
from linli.regions.models import Region


def region_switcher_choices(user: Any) -> list[tuple[str, str]]:
    """(prefix, label): the regions of the user's roles and the towns below a county role."""
    scope = scope_of(user)
    if scope.is_global:
        roots = Region.objects.filter(level__in=["county", "town"])
    elif scope.prefixes:
        condition = Q()
        for prefix in scope.prefixes:
            # The role's own region and its direct children (towns under a county, …).
            condition |= Q(code__startswith=prefix, level__in=_levels_below(prefix))
        roots = Region.objects.filter(condition)
    else:
        return []
    return [
        (r.prefix, f"{'　' if r.level != 'county' else ''}{r.name}") for r in roots.order_by("code")
    ]


def _levels_below(prefix: str) -> list[str]:
    return {6: ["county", "town"], 9: ["town", "community"], 12: ["community"], 15: ["grid"]}.get(
        len(prefix), []
    )


def region_switch_validate(user: Any, prefix: str) -> str:
    """The prefix if the user may narrow to it ('' clears the choice)."""
    if not prefix:
        return ""
    if prefix not in {p for p, _ in region_switcher_choices(user)}:
        raise NotFound("region_not_visible", "未找到该区划，或您无权查看")
    return prefix
