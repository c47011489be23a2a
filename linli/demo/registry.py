"""The demo registry: buildings, households, residents, facilities, organisations, workers.

`build_demo_registry(scale=, seed=)` fills the demo tree (`linli/regions/demo.py`) with a
made-up but plausible county. `full` follows the tree's population figures (≈ 400 k
residents in ≈ 140 k households); `small` keeps every community, grid, facility,
organisation and worker but only 2 % of the households, for tests (ADR 0050).

Speed (ADR 0051): rows are plain dicts with primary keys allotted here, so households can
name their head before the residents are written (foreign keys are deferred to the end of
the transaction on SQLite and PostgreSQL); each model's `Writer` inserts them with prepared
values, per community, one transaction per town. No query runs per row. These writes bypass
the audit signals (generated data only, as for the tree) and RegionScopedModel.save(), so
every row gets its `region_code` here.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, fields
from datetime import date, timedelta
from typing import Any

from django.core.management.color import no_style
from django.db import connection, models, transaction
from django.db.models import Max
from django.utils import timezone

from linli.core.pii import EncryptedTextField, blind_index, encrypt
from linli.demo import population as pop
from linli.demo.plan import CountyPlan, Place, plan_county
from linli.facilities.models import Facility
from linli.orgs.models import Organisation
from linli.people.models import Household, ResidenceType, Resident, ResidentTag, Tag
from linli.people.names import name_keys
from linli.regions.demo import COUNTY_CODE
from linli.regions.models import Building, Region
from linli.workforce.models import Certificate, Position, Training, Worker

SCALES: dict[str, float] = {"full": 1.0, "small": 0.02}
DEFAULT_SEED = 340223
DEMO_RESIDENT_PHONE = "13800000001"
DEMO_RESIDENT_COMMUNITY = "陵阳社区"
FLUSH_RESIDENTS = 20_000
RESERVED_PHONES = tuple(f"138000000{i:02d}" for i in range(100))

# Rows in the order they are written (parents first).
WRITE_ORDER: tuple[type[models.Model], ...] = (
    Building,
    Household,
    Resident,
    ResidentTag,
    Organisation,
    Facility,
    Worker,
    Position,
    Certificate,
    Training,
)

RURALITY = {"111": 0.0, "112": 0.1, "121": 0.4, "122": 0.6, "123": 0.5, "210": 0.9, "220": 1.0}

SEAT_STREETS = (
    "春谷路", "籍山路", "陵阳路", "漳河路", "城东大道", "工山大道", "南湖路", "文峰路",
    "长乐路", "金塔路", "新民路", "和平路", "向阳路", "滨河路", "凤凰路", "迎宾大道",
    "昭明路", "林荫路", "青弋江路", "丫山路", "龙山路", "德政路", "学府路", "人民路",
    "建设路", "解放路", "广场路", "南门路", "北门路", "双塔路",
)  # fmt: skip
TOWN_STREETS = ("人民路", "建设路", "老街", "新街", "中心街", "府前路", "兴业路", "文化路",
                "商贸街", "车站路", "团结路", "振兴路")  # fmt: skip
ZONE_STREETS = ("开发大道", "创业路", "科技路", "兴业路", "纬一路", "经二路", "春晖路", "联合路",
                "工业大道", "腾飞路")  # fmt: skip
VILLAGE_GROUPS = (
    "河东", "河西", "塘埂", "前山", "后山", "老屋", "新屋", "大塘", "小塘", "桥头", "山口",
    "枫树", "竹园", "茶园", "岗上", "圩里", "湾里", "石门", "庙前", "上村", "下村", "中村",
    "东冲", "西冲", "南冲", "北冲", "油坊", "板桥", "柏树", "杨柳", "松林", "荷塘", "渡口",
    "坝埂", "高墩", "牌坊", "祠堂", "井边", "王家", "陈家", "张家", "汪家", "徐家", "刘家",
    "吴家", "章家", "戴家", "俞家", "何家", "夏家",
)  # fmt: skip
DISABILITY_KINDS = (
    ("physical", 0.50), ("visual", 0.12), ("hearing", 0.13), ("speech", 0.01),
    ("intellectual", 0.07), ("mental", 0.09), ("multiple", 0.08),
)  # fmt: skip


@dataclass
class RegistrySummary:
    created: bool
    scale: str
    seed: int
    buildings: int = 0
    households: int = 0
    residents: int = 0
    tags: int = 0
    organisations: int = 0
    facilities: int = 0
    workers: int = 0
    positions: int = 0
    certificates: int = 0
    trainings: int = 0
    seconds: float = 0.0

    def add(self, rows: Rows) -> None:
        for f in fields(Rows):
            setattr(self, f.name, getattr(self, f.name) + len(getattr(rows, f.name)))


Row = dict[str, Any]  # a row of one of the big tables, by field attname


@dataclass
class Rows:
    """Rows waiting to be written (one community's, or a town's own), as plain dicts."""

    buildings: list[Row] = field(default_factory=list)
    households: list[Row] = field(default_factory=list)
    residents: list[Row] = field(default_factory=list)
    tags: list[Row] = field(default_factory=list)
    organisations: list[Row] = field(default_factory=list)
    facilities: list[Row] = field(default_factory=list)
    workers: list[Row] = field(default_factory=list)
    positions: list[Row] = field(default_factory=list)
    certificates: list[Row] = field(default_factory=list)
    trainings: list[Row] = field(default_factory=list)

    def write(self, writers: dict[str, Writer]) -> None:
        for f in fields(self):
            objs = getattr(self, f.name)
            if objs:
                writers[f.name].write(objs)


class Writer:
    """INSERT … VALUES for one model with `executemany`, values prepared once per column.

    Django's bulk_create compiles every value through the field API (≈ 5 µs each); at
    10 million values that is most of a full build. Here each column gets one converter:
    encryption for EncryptedTextField (as its get_prep_value would), one shared timestamp
    for created_at/updated_at, the raw value otherwise (the drivers adapt dates and
    decimals as Django does)."""

    def __init__(self, model: type[models.Model], now: Any) -> None:
        columns = [f for f in model._meta.concrete_fields]
        quote = connection.ops.quote_name
        table = quote(model._meta.db_table)
        names = ", ".join(quote(str(f.column)) for f in columns)
        marks = ", ".join(["%s"] * len(columns))
        self.insert = f"INSERT INTO {table} ({names}) VALUES ({marks})"  # noqa: S608
        # SQLite runs executemany in C; PostgreSQL would pay a round trip per row, so it
        # gets COPY … FROM STDIN instead (psycopg adapts each value as for a query).
        self.copy = (
            f"COPY {table} ({names}) FROM STDIN" if connection.vendor == "postgresql" else ""
        )
        stamp = connection.ops.adapt_datetimefield_value(now)
        self.plan: list[tuple[str, Any, Callable[[Any], Any] | None, Any]] = []
        for f in columns:
            convert: Callable[[Any], Any] | None = None
            constant: Any = None
            if isinstance(f, EncryptedTextField):
                convert = encrypt
            elif f.name in ("created_at", "updated_at"):
                constant = stamp
            self.plan.append((f.attname, f.get_default(), convert, constant))

    def values(self, row: Row) -> tuple[Any, ...]:
        get = row.get
        out = []
        for attname, default, convert, constant in self.plan:
            if constant is not None:
                out.append(constant)
                continue
            value = get(attname, default)
            out.append(convert(value) if convert and value else value)
        return tuple(out)

    def write(self, objs: list[Row]) -> None:
        # Table and column names come from the model's meta, quoted by the backend; every
        # value is a query parameter.
        with connection.cursor() as cursor:
            if self.copy:
                with cursor.cursor.copy(self.copy) as copy:
                    for obj in objs:
                        copy.write_row(self.values(obj))
                return
            for start in range(0, len(objs), 5000):
                cursor.executemany(
                    self.insert, [self.values(o) for o in objs[start : start + 5000]]
                )


class Keys:
    """Primary keys allotted in memory, continuing each table's highest key."""

    def __init__(self) -> None:
        self._next: dict[type[models.Model], int] = {}
        for model in WRITE_ORDER:
            top = model._default_manager.aggregate(top=Max("pk"))["top"] or 0
            self._next[model] = top + 1

    def take(self, model: type[models.Model]) -> int:
        value = self._next[model]
        self._next[model] = value + 1
        return value


@dataclass
class Context:
    """What every part of one build shares."""

    seed: int
    scale: float
    today: date
    plan: CountyPlan
    keys: Keys
    facility_types: dict[str, int]
    ids: pop.IdNumbers = field(default_factory=pop.IdNumbers)
    phones: pop.Phones = field(default_factory=lambda: pop.Phones(RESERVED_PHONES))
    _pinyin: dict[str, tuple[str, str]] = field(default_factory=dict)

    def rng(self, *parts: object) -> random.Random:
        # A generator per purpose and region: one community's data does not depend on
        # how many random numbers another one drew.
        return random.Random(":".join(str(p) for p in (self.seed, *parts)))  # noqa: S311

    def pinyin(self, name: str) -> tuple[str, str]:
        keys = self._pinyin.get(name)
        if keys is None:
            keys = self._pinyin[name] = name_keys(name)
        return keys


@dataclass(slots=True)
class Local:
    """A resident of the community being built, as the workforce builder picks from them."""

    resident: Row
    age: int


@dataclass
class CommunityPeople:
    residents: list[Local] = field(default_factory=list)
    public_building_id: int | None = None
    public_address: str = ""
    estates: list[str] = field(default_factory=list)  # urban: 春谷路18号; rural: 河东组
    building_names: dict[int, list[str]] = field(default_factory=dict)  # grid id → 3栋, …


def _rand_date(rng: random.Random, start: date, end: date) -> date:
    if end <= start:
        return start
    return start + timedelta(days=rng.randrange((end - start).days + 1))


def _years_ago(today: date, years: float) -> date:
    return today - timedelta(days=int(years * 365.25))


def _households_in(grid: Place, scale: float) -> int:
    if scale >= 1:
        return grid.households
    return max(1, round(grid.households * scale))


# --- people -----------------------------------------------------------------------------


def _residence_type(rng: random.Random, rurality: float, kind: str) -> str:
    if kind in ("elder_alone", "elder_couple", "elder_with_child", "skip_generation"):
        return ResidenceType.REGISTERED
    roll = rng.random()
    floating = 0.08 - 0.07 * rurality
    resident = floating + 0.16 - 0.13 * rurality
    if roll < floating:
        return ResidenceType.FLOATING
    if roll < resident:
        return ResidenceType.RESIDENT
    return ResidenceType.REGISTERED


def _phone_chance(age: int) -> float:
    if age < 14:
        return 0.0
    if age < 18:
        return 0.3
    if age < 60:
        return 0.97
    if age < 70:
        return 0.85
    if age < 80:
        return 0.6
    return 0.3


class _Tagger:
    """Special-group tags of one household's members (DESIGN.md: 独居/高龄/残疾/留守儿童…)."""

    def __init__(self, rows: Rows, ctx: Context, rng: random.Random, grid: Place) -> None:
        self.rows, self.ctx, self.rng, self.grid = rows, ctx, rng, grid

    def add(self, resident: Row, tag: str, since: date, **extra: Any) -> None:
        self.rows.tags.append(
            {
                "id": self.ctx.keys.take(ResidentTag),
                "resident_id": resident["id"],
                "region_id": self.grid.id,
                "region_code": self.grid.code,
                "tag": tag,
                "since": since,
                "disability_kind": extra.get("disability_kind", ""),
                "disability_grade": extra.get("disability_grade"),
            }
        )

    def since(self, start: date) -> date:
        return _rand_date(self.rng, start, self.ctx.today)

    def household(self, draft: pop.HouseholdDraft, members: list[Local], rurality: float) -> None:
        rng, today, add, since = self.rng, self.ctx.today, self.add, self.since
        ages = [m.age for m in members]
        all_elderly = all(a >= 60 for a in ages)
        alone = len(members) == 1 and ages[0] >= 60
        poor_roll = rng.random()
        tekun = alone and poor_roll < 0.02 + 0.03 * rurality
        dibao = not tekun and poor_roll < (0.012 + 0.025 * rurality) * (2.5 if all_elderly else 1)
        for member in members:
            person, age = member.resident, member.age
            born: date = person["birth_date"]
            disabled = rng.random() < (
                0.006 if age < 18 else 0.018 if age < 60 else 0.05 if age < 80 else 0.09
            )
            bedridden = age >= 65 and rng.random() < (0.03 if age < 80 else 0.12)
            if age >= 80:
                add(person, Tag.ADVANCED_AGE, born + timedelta(days=80 * 365 + 20))
            if alone:
                add(person, Tag.LIVING_ALONE, since(born + timedelta(days=60 * 365)))
            elif all_elderly and age >= 60:
                add(person, Tag.EMPTY_NEST, since(_years_ago(today, 12)))
            if disabled:
                add(
                    person,
                    Tag.DISABILITY,
                    since(max(born, _years_ago(today, 20))),
                    disability_kind=rng.choices(
                        [k for k, _ in DISABILITY_KINDS], [w for _, w in DISABILITY_KINDS]
                    )[0],
                    disability_grade=rng.choices((1, 2, 3, 4), (0.1, 0.22, 0.3, 0.38))[0],
                )
            if bedridden:
                add(person, Tag.DISABLED_CARE, since(_years_ago(today, 6)))
            if tekun:
                add(person, Tag.TEKUN, since(_years_ago(today, 10)))
            if dibao:
                add(person, Tag.DIBAO, since(_years_ago(today, 8)))
            if age >= 60:
                chance = 0.02
                if alone and age >= 70:
                    chance = 0.45
                elif age >= 80:
                    chance = 0.3
                if disabled or bedridden or tekun or dibao:
                    chance = 0.8
                if rng.random() < chance:
                    add(person, Tag.ELDERLY_DIFFICULTY, since(_years_ago(today, 3)))
            if age < 16 and draft.kind == "skip_generation":
                add(person, Tag.LEFT_BEHIND_CHILD, since(max(born, _years_ago(today, 5))))
                if rng.random() < 0.06:
                    add(person, Tag.CHILD_IN_DIFFICULTY, since(max(born, _years_ago(today, 3))))
            elif age < 18 and (dibao or disabled) and rng.random() < 0.5:
                add(person, Tag.CHILD_IN_DIFFICULTY, since(max(born, _years_ago(today, 3))))
            if age < 3:
                add(person, Tag.FAMILY_WITH_INFANT, born)
            if person["gender"] == "M" and 24 <= age <= 88 and rng.random() < 0.045:
                add(person, Tag.VETERAN, born + timedelta(days=365 * rng.randint(21, 26)))
            party = (0.10 if person["gender"] == "M" else 0.045) * (1.3 if age >= 60 else 1)
            if age >= 20 and rng.random() < party:
                joined = born + timedelta(days=365 * rng.randint(20, min(age, 45)))
                add(person, Tag.PARTY_MEMBER, joined)


def _new_resident(
    ctx: Context,
    rng: random.Random,
    grid: Place,
    household: Row,
    member: pop.Member,
    name: str,
    id_prefix: str,
) -> Row:
    born = pop.birth_date(rng, member.age, ctx.today)
    id_number = ctx.ids.make(id_prefix, born, member.gender)
    phone = ctx.phones.make(rng) if rng.random() < _phone_chance(member.age) else ""
    full, initials = ctx.pinyin(name)
    return {
        "id": ctx.keys.take(Resident),
        "region_id": grid.id,
        "region_code": grid.code,
        "household_id": household["id"],
        "relation": member.relation,
        "name": name,
        "name_pinyin": full,
        "name_initials": initials,
        "gender": member.gender,
        "birth_date": born,
        "id_number": id_number,
        "id_number_hash": blind_index(id_number),
        "phone": phone,
        "phone_hash": blind_index(phone),
        "residence_type": household["residence_type"],
        "status": Resident.Status.ACTIVE,
    }


def _urban_slots(
    rng: random.Random, count: int, high_rise: bool
) -> tuple[list[tuple[int, int]], list[tuple[int, int, int, int]]]:
    """Blocks (floors, units) of an estate and the (block, unit, floor, door) of `count`
    occupied flats, two flats per landing, some left empty."""
    blocks: list[tuple[int, int]] = []
    capacity = 0
    occupancy = rng.uniform(0.82, 0.96)
    while capacity * occupancy < count or not blocks:
        floors = rng.randint(6, 18) if high_rise else rng.randint(6, 9)
        units = rng.randint(1, 3)
        blocks.append((floors, units))
        capacity += floors * units * 2
    flats = [
        (b + 1, u + 1, f + 1, d + 1)
        for b, (floors, units) in enumerate(blocks)
        for u in range(units)
        for f in range(floors)
        for d in range(2)
    ]
    return blocks, sorted(rng.sample(flats, count))


def _building(
    ctx: Context, place: Place, name: str, address: str, kind: str, floors: int, **extra: Any
) -> Row:
    return {
        "id": ctx.keys.take(Building),
        "region_id": place.id,
        "region_code": place.code,
        "name": name,
        "address": address,
        "kind": kind,
        "floors": floors,
        "units": extra.get("units"),
        "lng": extra.get("lng", place.lng),
        "lat": extra.get("lat", place.lat),
    }


def _homes(
    ctx: Context,
    rng: random.Random,
    rows: Rows,
    out: CommunityPeople,
    community: Place,
    grid: Place,
    index: int,
    prefix: str,
    places: list[str],
) -> list[tuple[Row, str]]:
    """The buildings of one grid and the address of each household living there."""
    count = _households_in(grid, ctx.scale)
    jitter = 0.0015 if community.urban else 0.004
    homes: list[tuple[Row, str]] = []
    if community.urban:
        estate = places[index]
        out.estates.append(estate)
        shapes, flats = _urban_slots(rng, count, community.urban_rural_code in ("111", "112"))
        blocks: dict[int, Row] = {}
        for b, (floors, units) in enumerate(shapes, start=1):
            blocks[b] = _building(
                ctx, grid, f"{b}栋", f"{prefix}{estate}{b}栋",
                Building.Kind.RESIDENTIAL if b % 7 else Building.Kind.MIXED, floors, units=units,
                lng=round(grid.lng + rng.uniform(-jitter, jitter), 6),
                lat=round(grid.lat + rng.uniform(-jitter, jitter), 6),
            )  # fmt: skip
        rows.buildings.extend(blocks.values())
        out.building_names[grid.id] = [f"{estate}{b}栋" for b in blocks]
        for b, unit, floor, door in flats:
            homes.append((blocks[b], f"{prefix}{estate}{b}栋{unit}单元{floor}{door:02d}"))
        return homes
    own = places[2 * index : 2 * index + rng.randint(1, 2)] or [places[0]]
    out.estates.extend(f"{g}组" for g in own)
    out.building_names[grid.id] = [f"{g}组" for g in own]
    numbers = dict.fromkeys(own, 0)
    for _ in range(count):
        group = own[rng.randrange(len(own))]
        numbers[group] += rng.choice((1, 1, 1, 2))
        name = f"{group}组{numbers[group]}号"
        house = _building(
            ctx, grid, name, f"{prefix}{name}", Building.Kind.RESIDENTIAL,
            rng.choice((1, 2, 2, 2, 3, 3)),
            lng=round(grid.lng + rng.uniform(-jitter, jitter), 6),
            lat=round(grid.lat + rng.uniform(-jitter, jitter), 6),
        )  # fmt: skip
        rows.buildings.append(house)
        homes.append((house, house["address"]))
    return homes


def build_community_people(
    ctx: Context, rows: Rows, town: Place, community: Place, grids: list[Place]
) -> CommunityPeople:
    """Buildings, households, residents and tags of one community."""
    rng = ctx.rng("people", community.code)
    rurality = RURALITY.get(community.urban_rural_code, 1.0)
    kinds, cum = pop.household_kinds(rurality)
    prefix = f"{town.name}{community.name}"
    out = CommunityPeople()
    if community.urban:
        pool: tuple[str, ...]
        if town.name == "籍山镇":
            pool = SEAT_STREETS
        else:
            pool = ZONE_STREETS if "开发区" in town.name else TOWN_STREETS
        streets = rng.sample(pool, rng.randint(2, 3))
        numbers = rng.sample(range(2, 240, 2), len(grids) + 1)
        places = [f"{streets[i % len(streets)]}{numbers[i]}号" for i in range(len(grids))]
        out.public_address = f"{prefix}{streets[0]}{numbers[-1]}号"
    else:
        places = rng.sample(VILLAGE_GROUPS, min(len(VILLAGE_GROUPS), 2 * len(grids)))
        out.public_address = f"{prefix}村民委员会"
    centre = _building(
        ctx, community, "党群服务中心", out.public_address, Building.Kind.PUBLIC,
        rng.randint(2, 4) if community.urban else 2,
    )  # fmt: skip
    rows.buildings.append(centre)
    out.public_building_id = centre["id"]
    number = 0
    demo_resident_due = community.name == DEMO_RESIDENT_COMMUNITY
    for index, grid in enumerate(grids):
        tagger = _Tagger(rows, ctx, rng, grid)
        for building, address in _homes(
            ctx, rng, rows, out, community, grid, index, prefix, places
        ):
            number += 1
            draft = pop.compose_household(
                rng, "nuclear" if demo_resident_due else rng.choices(kinds, cum_weights=cum)[0]
            )
            residence = (
                ResidenceType.REGISTERED
                if demo_resident_due
                else _residence_type(rng, rurality, draft.kind)
            )
            household: Row = {
                "id": ctx.keys.take(Household),
                "region_id": grid.id,
                "region_code": grid.code,
                "building_id": building["id"],
                "number": f"{number:06d}",
                "address": address,
                "residence_type": residence,
            }
            id_prefix = (
                pop.COUNTY_ID_PREFIX
                if residence == ResidenceType.REGISTERED
                else rng.choice(pop.OTHER_ID_PREFIXES)
            )
            families: dict[str, str] = {}
            members: list[Local] = []
            for member in draft.members:
                family = families.setdefault(member.family, pop.surname(rng))
                name = pop.person_name(rng, member.gender, member.age, family)
                resident = _new_resident(ctx, rng, grid, household, member, name, id_prefix)
                members.append(Local(resident, member.age))
            head = members[0].resident
            if demo_resident_due:
                # The demo resident account (linli/demo/accounts.py) logs in with this phone.
                head["phone"] = DEMO_RESIDENT_PHONE
                head["phone_hash"] = blind_index(DEMO_RESIDENT_PHONE)
                demo_resident_due = False
            household["head_id"] = head["id"]
            contact = next((m.resident["phone"] for m in members if m.resident["phone"]), "")
            household["phone"], household["phone_hash"] = contact, blind_index(contact)
            rows.households.append(household)
            rows.residents.extend(m.resident for m in members)
            out.residents.extend(members)
            tagger.household(draft, members, rurality)
    return out


# --- the build --------------------------------------------------------------------------


def _places(queryset: Any) -> list[Place]:
    return [
        Place(
            id=r["id"],
            code=r["code"],
            name=r["name"],
            level=r["level"],
            parent_id=r["parent_id"],
            urban_rural_code=r["urban_rural_code"],
            lng=r["center_lng"] or 0.0,
            lat=r["center_lat"] or 0.0,
            population=r["population"] or 0,
            households=r["households"] or 0,
        )
        for r in queryset.order_by("code").values(
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
        )
    ]


def _reset_sequences() -> None:
    # Keys were allotted here; PostgreSQL's sequences must continue after them.
    statements = connection.ops.sequence_reset_sql(no_style(), list(WRITE_ORDER))
    if statements:
        with connection.cursor() as cursor:
            for sql in statements:
                cursor.execute(sql)


@contextmanager
def _sqlite_bulk_mode() -> Iterator[None]:
    """On SQLite, a large page cache and fewer fsyncs while the build runs (ADR 0051).

    A big cache keeps the residents' indexes in memory (the default 2 MB makes every insert
    read and write index pages); synchronous=NORMAL is still crash-safe in WAL mode (a
    power cut may lose the last town, never corrupt the file). Both are restored after."""
    if connection.vendor != "sqlite" or connection.in_atomic_block:
        # SQLite refuses to change the safety level inside a transaction (tests).
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA cache_size")
        cache_size = cursor.fetchone()[0]
        cursor.execute("PRAGMA synchronous")
        synchronous = cursor.fetchone()[0]
        cursor.execute("PRAGMA cache_size=-262144")  # 256 MiB
        cursor.execute("PRAGMA synchronous=NORMAL")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"PRAGMA cache_size={int(cache_size)}")
            cursor.execute(f"PRAGMA synchronous={int(synchronous)}")


def registry_exists() -> bool:
    return Household.objects.filter(region_code__startswith=COUNTY_CODE[:6]).exists()


def build_demo_registry(
    *,
    scale: str = "small",
    seed: int = DEFAULT_SEED,
    today: date | None = None,
    progress: Callable[[str], None] | None = None,
) -> RegistrySummary:
    """Fill the demo tree with people, facilities, organisations and workers.

    Needs the demo tree (`build_demo_regions`). Does nothing if the county already has
    households. Deterministic: the same (scale, seed, today) gives the same data; `today`
    (default: the local date) anchors ages and the dates of trainings and certificates.
    """
    from linli.demo import community as services  # the second half of the build

    if scale not in SCALES:
        raise ValueError(f"unknown scale {scale!r}")
    started = time.perf_counter()
    summary = RegistrySummary(created=False, scale=scale, seed=seed)
    if registry_exists():
        return summary
    summary.created = True
    day = today or timezone.localdate()
    tree = Region.objects.filter(code__startswith=COUNTY_CODE[:6])
    counties = _places(tree.filter(level=Region.Level.COUNTY))
    if not counties:
        raise RuntimeError("演示区划树不存在：请先生成区划（build_demo_regions）")
    county = counties[0]
    towns = _places(tree.filter(level=Region.Level.TOWN))
    communities = _places(tree.filter(level=Region.Level.COMMUNITY))
    grids_of: dict[int, list[Place]] = {}
    for grid in _places(tree.filter(level=Region.Level.GRID)):
        grids_of.setdefault(grid.parent_id or 0, []).append(grid)
    ctx = Context(
        seed=seed,
        scale=SCALES[scale],
        today=day,
        plan=plan_county(seed=seed, towns=towns, communities=communities),
        keys=Keys(),
        facility_types=services.facility_types_ensure(),
    )
    now = timezone.now()
    writers = {f.name: Writer(m, now) for f, m in zip(fields(Rows), WRITE_ORDER, strict=True)}
    with _sqlite_bulk_mode():
        _build_towns(ctx, writers, county, towns, communities, grids_of, summary, progress)
    _reset_sequences()
    summary.seconds = round(time.perf_counter() - started, 1)
    return summary


def _build_towns(
    ctx: Context,
    writers: dict[str, Writer],
    county: Place,
    towns: list[Place],
    communities: list[Place],
    grids_of: dict[int, list[Place]],
    summary: RegistrySummary,
    progress: Callable[[str], None] | None,
) -> None:
    from linli.demo import community as services

    with transaction.atomic():
        rows = Rows()
        services.build_county_level(ctx, rows, county)
        rows.write(writers)
        summary.add(rows)
    for town in towns:
        began = time.perf_counter()
        members = [c for c in communities if c.parent_id == town.id]
        before = summary.residents
        with transaction.atomic():
            rows = Rows()
            services.build_town_level(ctx, rows, town, members)
            rows.write(writers)
            summary.add(rows)
            rows = Rows()
            for community in members:
                grids = grids_of.get(community.id, [])
                people = build_community_people(ctx, rows, town, community, grids)
                services.build_community_services(ctx, rows, town, community, grids, people)
                # Few large writes (a round trip each on PostgreSQL), bounded memory.
                if len(rows.residents) >= FLUSH_RESIDENTS or community is members[-1]:
                    rows.write(writers)
                    summary.add(rows)
                    rows = Rows()
        if progress:
            progress(
                f"{town.name}：{len(members)} 个社区/村，{summary.residents - before:,} 人，"
                f"{time.perf_counter() - began:.1f} 秒"
            )


def registry_checksum(limit: int = 0) -> str:
    """A digest of the registry's content (no keys, no timestamps) to compare two builds."""
    import hashlib

    digest = hashlib.sha256()
    residents = Resident.objects.filter(region_code__startswith=COUNTY_CODE[:6]).order_by(
        "region_code", "household__number", "birth_date", "name"
    )
    if limit:
        residents = residents[:limit]
    for row in residents.values_list(
        "region_code", "household__number", "name", "gender", "birth_date", "relation"
    ):
        digest.update(repr(row).encode())
    for resident in residents.only("id_number", "phone"):
        digest.update(f"{resident.id_number}|{resident.phone}".encode())
    for model, columns in (
        (Household, ("region_code", "number", "address", "residence_type")),
        (Building, ("region_code", "address", "floors", "units")),
        (ResidentTag, ("region_code", "resident__household__number", "resident__name", "tag")),
        (Facility, ("region_code", "type__code", "name", "building_area_m2", "status")),
        (Organisation, ("region_code", "kind", "name", "is_regular_service", "is_brand")),
        (Worker, ("region_code", "name", "birth_date")),
        (Position, ("region_code", "worker__name", "kind")),
        (Certificate, ("region_code", "worker__name", "kind", "issued_on")),
        (Training, ("region_code", "worker__name", "course", "days", "started_on")),
    ):
        rows = model.objects.order_by(*columns).values_list(*columns)  # type: ignore[attr-defined]
        digest.update(f"{model.__name__}:{rows.count()}".encode())
        for row in rows:
            digest.update(repr(row).encode())
    return digest.hexdigest()


__all__ = [
    "DEMO_RESIDENT_PHONE",
    "SCALES",
    "RegistrySummary",
    "build_demo_registry",
    "registry_checksum",
    "registry_exists",
]
