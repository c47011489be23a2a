"""Factories for regions and the actors that act on them (reused by other apps' tests).

county = make_county()                      # 南陵县 340223000000 (get-or-create)
town = make_town(county)                    # 340223101000, 340223102000, …
community = make_community(town)            # urban 社区 001…
village = make_community(town, urban=False) # rural 村 201…
grid = make_grid(community)                 # community code + 001…
tree = make_tree(towns=2, communities=2, grids=2)
admin = make_superuser(); staff = make_staff(town)   # a TOWN_STAFF role at the town
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import factory
from factory.django import DjangoModelFactory

from linli.regions.models import Region

COUNTY_CODE = "340223000000"


class RegionFactory(DjangoModelFactory):
    """A bare region; prefer the make_* helpers, which compute well-formed child codes."""

    class Meta:
        model = Region
        django_get_or_create = ("code",)

    code = COUNTY_CODE
    name = "南陵县"
    level = Region.Level.COUNTY
    parent = None
    urban_rural_code = ""
    center_lng = 118.3336
    center_lat = 30.9197
    is_illustrative = False


def _next_number(parent: Region, *, start: int, width: int = 3) -> int:
    """The first free child number at or after `start` (codes are parent prefix + number)."""
    taken = set(
        Region.objects.filter(parent=parent).values_list("code", flat=True)
    )  # small sets in tests
    number = start
    while _child_code(parent, number, width) in taken:
        number += 1
    return number


def _child_code(parent: Region, number: int, width: int = 3) -> str:
    if parent.level == Region.Level.COUNTY:
        return f"{parent.code[:6]}{number:03d}000"
    if parent.level == Region.Level.TOWN:
        return f"{parent.code[:9]}{number:03d}"
    return f"{parent.code}{number:0{width}d}"


def make_county(code: str = COUNTY_CODE, name: str = "南陵县", **fields: Any) -> Region:
    return RegionFactory(code=code, name=name, level=Region.Level.COUNTY, **fields)


def make_town(county: Region | None = None, *, name: str | None = None, **fields: Any) -> Region:
    county = county or make_county()
    number = _next_number(county, start=101)
    return RegionFactory(
        code=_child_code(county, number),
        name=name or f"测试{number}镇",
        level=Region.Level.TOWN,
        parent=county,
        is_illustrative=True,
        **fields,
    )


def make_community(
    town: Region | None = None,
    *,
    urban: bool = True,
    name: str | None = None,
    urban_rural_code: str | None = None,
    **fields: Any,
) -> Region:
    town = town or make_town()
    number = _next_number(town, start=1 if urban else 201)
    return RegionFactory(
        code=_child_code(town, number),
        name=name or (f"测试{number}社区" if urban else f"测试{number}村"),
        level=Region.Level.COMMUNITY,
        parent=town,
        urban_rural_code=urban_rural_code or ("111" if urban else "220"),
        is_illustrative=True,
        **fields,
    )


def make_grid(community: Region | None = None, *, name: str | None = None, **fields: Any) -> Region:
    community = community or make_community()
    number = _next_number(community, start=1)
    return RegionFactory(
        code=_child_code(community, number),
        name=name or f"{community.name}第{number}网格",
        level=Region.Level.GRID,
        parent=community,
        is_illustrative=True,
        **fields,
    )


@dataclass
class Tree:
    county: Region
    towns: list[Region] = field(default_factory=list)
    communities: list[Region] = field(default_factory=list)
    grids: list[Region] = field(default_factory=list)


def make_tree(*, towns: int = 2, communities: int = 2, grids: int = 2) -> Tree:
    """A county → towns → communities (alternating 社区/村) → grids, counts per parent."""
    tree = Tree(county=make_county())
    for _t in range(towns):
        town = make_town(tree.county)
        tree.towns.append(town)
        for index in range(communities):
            community = make_community(town, urban=index % 2 == 0)
            tree.communities.append(community)
            tree.grids.extend(make_grid(community) for _g in range(grids))
    return tree


# --- actors --------------------------------------------------------------------------------


class UserFactory(DjangoModelFactory):
    class Meta:
        model = "accounts.User"
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"user{n}")
    display_name = factory.Sequence(lambda n: f"测试用户{n}")
    password = factory.django.Password("pass-12345")


def make_superuser(username: str = "root") -> Any:
    from linli.accounts.models import User

    return User.objects.filter(username=username).first() or User.objects.create_superuser(
        username=username, password="pass-12345"
    )


def make_staff(region: Region, role: str | None = None, *, username: str | None = None) -> Any:
    """A user holding one role at `region` (default: the usual role for the region's level)."""
    from linli.accounts.models import Role, RoleAssignment

    default_roles = {
        Region.Level.COUNTY: Role.COUNTY_ADMIN,
        Region.Level.TOWN: Role.TOWN_STAFF,
        Region.Level.COMMUNITY: Role.COMMUNITY_WORKER,
        Region.Level.GRID: Role.GRID_WORKER,
    }
    user = UserFactory(username=username) if username else UserFactory()
    RoleAssignment.objects.create(
        user=user, role=role or default_roles[region.level], region=region, region_code=region.code
    )
    return user
