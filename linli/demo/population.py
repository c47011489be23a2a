"""Made-up people for the demo county: names, ID numbers, phones and household make-up.

Nothing here touches the database. Every function draws from a `random.Random` it is given,
so one seed gives one population. The shape follows a Chinese county in the 2020s: about a
quarter of residents aged 60 or over (more in villages), many elderly people living alone
or as couples, children left with grandparents in villages (留守儿童), young families in
the county seat. Names come from Faker's zh_CN lists (surnames weighted by frequency).
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, timedelta

from faker.providers.person.zh_CN import Provider as _FakerNames
from faker.providers.phone_number.zh_CN import Provider as _FakerPhones

from linli.core.pii import id_number_check_char

COUNTY_ID_PREFIX = "340223"
# Where people who live here without a local 户籍 come from: nearby counties first.
OTHER_ID_PREFIXES = (
    "340222",  # 繁昌
    "340221",  # 湾沚
    "340225",  # 无为
    "341881",  # 宁国
    "342501",  # 宣州
    "342522",  # 郎溪
    "342529",  # 泾县
    "340702",  # 铜官
    "340104",  # 合肥蜀山
    "342921",  # 东至
    "341621",  # 涡阳
    "320106",  # 南京鼓楼
    "330185",  # 临安
    "362330",  # 鄱阳
)

_SURNAMES = list(_FakerNames.last_names.keys())
_SURNAME_CUM: list[float] = []
_total = 0.0
for _weight in _FakerNames.last_names.values():
    _total += _weight
    _SURNAME_CUM.append(_total)

_MALE_ONE = [n for n in _FakerNames.first_names_male if len(n) == 1]
_MALE_TWO = [n for n in _FakerNames.first_names_male if len(n) == 2 and n not in ("红霞",)]
_FEMALE_ONE = [n for n in _FakerNames.first_names_female if len(n) == 1]
_FEMALE_TWO = [n for n in _FakerNames.first_names_female if len(n) == 2]
# Real mobile prefixes, minus 138: 138 0000 00xx is kept for demo accounts.
_PHONE_PREFIXES = [str(p) for p in _FakerPhones.phonenumber_prefixes if p not in (138,)]


def surname(rng: random.Random) -> str:
    return rng.choices(_SURNAMES, cum_weights=_SURNAME_CUM)[0]


def given_name(rng: random.Random, gender: str, age: int) -> str:
    """A given name: older women often have the classic two-character names (秀英, 桂兰)."""
    one, two = (_MALE_ONE, _MALE_TWO) if gender == "M" else (_FEMALE_ONE, _FEMALE_TWO)
    roll = rng.random()
    if roll < (0.45 if age >= 50 else 0.12):
        return rng.choice(two)
    if roll < 0.6:
        return rng.choice(one)
    first, second = rng.sample(one, 2)
    return first + second


def person_name(rng: random.Random, gender: str, age: int, family: str = "") -> str:
    return (family or surname(rng)) + given_name(rng, gender, age)


class IdNumbers:
    """18-digit 居民身份证号 (GB 11643), unique within one build.

    The 3-digit sequence is odd for men and even for women; a permutation of the 500 slots of
    each (prefix, birth date, gender) keeps numbers unique without looking sequential."""

    def __init__(self) -> None:
        self._used: dict[tuple[str, date, str], int] = {}

    def make(self, prefix: str, birth: date, gender: str) -> str:
        key = (prefix, birth, gender)
        n = self._used.get(key, 0)
        if n >= 500:
            raise ValueError("too many people born on one day in one place")
        self._used[key] = n + 1
        slot = (37 * n + 11 + int(prefix) % 97) % 500
        seq = 2 * slot + (1 if gender == "M" else 0)
        first17 = f"{prefix}{birth:%Y%m%d}{seq:03d}"
        return first17 + id_number_check_char(first17)


class Phones:
    """Distinct, plausible mobile numbers (never 138 0000 00xx, kept for demo accounts)."""

    def __init__(self, reserved: tuple[str, ...] = ()) -> None:
        self._used: set[str] = set(reserved)

    def make(self, rng: random.Random) -> str:
        while True:
            phone = f"{rng.choice(_PHONE_PREFIXES)}{rng.randrange(10**8):08d}"
            if phone not in self._used:
                self._used.add(phone)
                return phone


@dataclass(slots=True)
class Member:
    """One person of a household being composed (ages in whole years)."""

    relation: str
    gender: str
    age: int
    family: str  # which family's surname: "A" the head's line, others married in
    left_behind: bool = False


@dataclass(slots=True)
class HouseholdDraft:
    kind: str
    members: list[Member] = field(default_factory=list)


# Household make-up, weights for an urban (seat) and a rural (village) community; town
# centres sit in between (see `household_kinds`). Tuned so the county comes out at about
# 25 % aged 60+, 16 % aged 65+, 18 % under 18 and 2.8 people per household.
HOUSEHOLD_KINDS: dict[str, tuple[float, float]] = {
    "elder_alone": (0.075, 0.14),
    "elder_couple": (0.10, 0.15),
    "single": (0.10, 0.07),
    "young_couple": (0.08, 0.03),
    "nuclear": (0.32, 0.17),
    "three_generations": (0.12, 0.18),
    "skip_generation": (0.01, 0.08),
    "couple_adult_child": (0.14, 0.12),
    "elder_with_child": (0.055, 0.06),
}


def household_kinds(rurality: float) -> tuple[list[str], list[float]]:
    names = list(HOUSEHOLD_KINDS)
    cum: list[float] = []
    total = 0.0
    for urban, rural in HOUSEHOLD_KINDS.values():
        total += urban + (rural - urban) * rurality
        cum.append(total)
    return names, cum


def _elder_age(rng: random.Random, low: int = 60) -> int:
    # Survivors thin out with age: about one in six people over 60 is over 80.
    while True:
        age = low + int(rng.expovariate(1 / 11))
        if age <= 99:
            return age


def _wife_age(rng: random.Random, husband: int, low: int = 20) -> int:
    return max(low, husband - rng.choice((-2, -1, 0, 1, 2, 2, 3, 3, 4, 5)))


def _children(rng: random.Random, mother: int, count: int, oldest: int = 24) -> list[int]:
    top = min(oldest, mother - 21)
    if top < 0:
        return [0] * min(count, 1)
    return sorted((rng.randint(max(0, top - 12), top) for _ in range(count)), reverse=True)


def compose_household(rng: random.Random, kind: str) -> HouseholdDraft:
    """The members of one household of `kind`, the head first, with consistent relations."""
    d = HouseholdDraft(kind)
    add = d.members.append
    if kind == "elder_alone":
        add(Member("head", "F" if rng.random() < 0.62 else "M", _elder_age(rng), "A"))
    elif kind == "elder_couple":
        husband = _elder_age(rng)
        wife = _wife_age(rng, husband, low=58)
        if rng.random() < 0.9:
            add(Member("head", "M", husband, "A"))
            add(Member("spouse", "F", wife, "B"))
        else:
            add(Member("head", "F", wife, "B"))
            add(Member("spouse", "M", husband, "A"))
    elif kind == "single":
        add(Member("head", "M" if rng.random() < 0.6 else "F", rng.randint(19, 59), "A"))
    elif kind == "young_couple":
        husband = rng.randint(22, 38)
        add(Member("head", "M", husband, "A"))
        add(Member("spouse", "F", _wife_age(rng, husband), "B"))
    elif kind == "nuclear":
        husband = rng.randint(25, 52)
        wife = _wife_age(rng, husband)
        add(
            Member("head", "M", husband, "A")
            if rng.random() < 0.85
            else Member("head", "F", wife, "B")
        )
        if d.members[0].gender == "M":
            add(Member("spouse", "F", wife, "B"))
        else:
            add(Member("spouse", "M", husband, "A"))
        count = rng.choices((1, 2, 3), (0.64, 0.33, 0.03))[0]
        for age in _children(rng, wife, count, oldest=20):
            add(Member("child", "M" if rng.random() < 0.52 else "F", age, "A"))
    elif kind == "three_generations":
        grandpa = _elder_age(rng, 56)
        grandma = _wife_age(rng, grandpa, low=54)
        widowed = rng.random()
        son = max(24, grandma - rng.randint(22, 30))
        son_wife = _wife_age(rng, son)
        kids = _children(rng, son_wife, rng.choices((0, 1, 2), (0.3, 0.5, 0.2))[0], oldest=18)
        elders: list[tuple[str, int, str]] = []
        if widowed > 0.3:
            elders.append(("M", grandpa, "A"))
        if widowed < 0.85:
            elders.append(("F", grandma, "B"))
        if not elders:
            elders.append(("F", grandma, "B"))
        if rng.random() < 0.45 and elders[0][1] < 80:
            g, a, f = elders[0]
            add(Member("head", g, a, f))
            for g, a, f in elders[1:]:
                add(Member("spouse", g, a, f))
            add(Member("child", "M", son, "A"))
            add(Member("other", "F", son_wife, "C"))
            for age in kids:
                add(Member("grandchild", "M" if rng.random() < 0.52 else "F", age, "A"))
        else:
            add(Member("head", "M", son, "A"))
            add(Member("spouse", "F", son_wife, "C"))
            for g, a, f in elders:
                add(Member("parent", g, a, f))
            for age in kids:
                add(Member("child", "M" if rng.random() < 0.52 else "F", age, "A"))
    elif kind == "skip_generation":
        grandpa = rng.randint(52, 76)
        grandma = _wife_age(rng, grandpa, low=50)
        if rng.random() < 0.8:
            add(Member("head", "M", grandpa, "A"))
            add(Member("spouse", "F", grandma, "B"))
        else:
            add(Member("head", "F", grandma, "B"))
        mother = max(22, grandma - rng.randint(22, 28))
        for age in _children(rng, mother, rng.choices((1, 2), (0.6, 0.4))[0], oldest=15):
            kid = Member("grandchild", "M" if rng.random() < 0.53 else "F", age, "A")
            kid.left_behind = age < 16
            add(kid)
    elif kind == "couple_adult_child":
        husband = rng.randint(44, 64)
        wife = _wife_age(rng, husband)
        add(Member("head", "M", husband, "A"))
        add(Member("spouse", "F", wife, "B"))
        for age in _children(rng, wife, rng.choices((1, 2), (0.7, 0.3))[0], oldest=34):
            add(Member("child", "M" if rng.random() < 0.55 else "F", max(age, 18), "A"))
    elif kind == "elder_with_child":
        parent_gender = "F" if rng.random() < 0.65 else "M"
        parent = _elder_age(rng, 66)
        child = max(30, parent - rng.randint(23, 34))
        child_gender = "M" if rng.random() < 0.6 else "F"
        parent_family = "A" if parent_gender == "M" else "B"
        if rng.random() < 0.7:
            add(Member("head", child_gender, child, "A"))
            add(Member("parent", parent_gender, parent, parent_family))
        else:
            add(Member("head", parent_gender, parent, parent_family))
            add(Member("child", child_gender, child, "A"))
    else:  # pragma: no cover - a programming error
        raise ValueError(kind)
    return d


def birth_date(rng: random.Random, age: int, today: date) -> date:
    """A birth date that makes the person exactly `age` on `today`."""
    return today - timedelta(days=int(age * 365.25) + rng.randrange(365))
