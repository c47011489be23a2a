"""Test data for the people registry (rows written directly; services are tested on their own).

number = id_number_for(date(1960, 5, 1), "M")    # a valid 身份证号 (GB 11643 check digit)
household = make_household(grid)                 # 户 H0001 at 测试路1号
resident = make_resident(household, name="张三")  # takes the household's region
"""

from __future__ import annotations

from datetime import date
from itertools import count
from typing import Any

from linli.core.pii import blind_index, id_number_check_char
from linli.people.models import Household, Resident, ResidentTag
from linli.people.names import name_keys
from linli.regions.models import Building, Region

_serial = count(1)


def id_number_for(
    birth: date, gender: str = "M", serial: int | None = None, area: str = "340223"
) -> str:
    """A well-formed 身份证号 for that birth date and gender (odd 17th digit: male)."""
    n = next(_serial) if serial is None else serial
    order = (n % 50) * 2 + (1 if gender == "M" else 0)  # two digits + the gender digit
    first17 = f"{area}{birth:%Y%m%d}{n // 50 % 10}{order:02d}"
    return first17 + id_number_check_char(first17)


def make_building(region: Region, *, address: str | None = None, **fields: Any) -> Building:
    n = next(_serial)
    return Building.objects.create(
        region=region,
        name=fields.pop("name", f"{n}栋"),
        address=address or f"测试路{n}号",
        **fields,
    )


def make_household(
    region: Region,
    *,
    number: str | None = None,
    address: str | None = None,
    phone: str = "",
    building: Building | None = None,
    **fields: Any,
) -> Household:
    n = next(_serial)
    return Household.objects.create(
        region=region,
        number=number or f"H{n:05d}",
        address=address or f"幸福路{n}号",
        phone=phone,
        phone_hash=blind_index(phone),
        building=building,
        **fields,
    )


def make_resident(
    where: Household | Region,
    *,
    name: str = "张三",
    gender: str = "M",
    birth_date: date = date(1960, 5, 1),
    id_number: str | None = "",
    phone: str = "",
    tags: tuple[str, ...] = (),
    **fields: Any,
) -> Resident:
    """A resident in a household (taking its region) or directly in a region.
    `id_number=None` generates a valid one; "" leaves it empty."""
    household = where if isinstance(where, Household) else None
    region = household.region if household else where
    number = id_number_for(birth_date, gender) if id_number is None else id_number
    pinyin, initials = name_keys(name)
    resident = Resident.objects.create(
        region=region,
        household=household,
        name=name,
        name_pinyin=pinyin,
        name_initials=initials,
        gender=gender,
        birth_date=birth_date,
        id_number=number,
        id_number_hash=blind_index(number),
        phone=phone,
        phone_hash=blind_index(phone),
        **fields,
    )
    for tag in tags:
        ResidentTag.objects.create(resident=resident, region=region, tag=tag)
    return resident
