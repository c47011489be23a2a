"""Facilities, organisations and workers of the demo county, per community, town and county.

Which community gets what follows the county plan of `linli/demo/plan.py`, so the plan's
indicators come out mixed (DESIGN.md §7). Called by `registry.build_demo_registry`.
"""

from __future__ import annotations

import random
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from linli.core.pii import blind_index
from linli.demo import population as pop
from linli.demo.plan import Place
from linli.demo.registry import CommunityPeople, Context, Local, Row, Rows, _rand_date, _years_ago
from linli.facilities.models import Facility, FacilityType
from linli.orgs.models import CREDIT_CODE_CHARS, CREDIT_CODE_WEIGHTS, Organisation
from linli.workforce.models import Certificate, Position, Training, Worker

# code: (name, category, life circle, walking threshold in metres)
FACILITY_TYPES: dict[str, tuple[str, str, str, int | None]] = {
    "party_service_center": ("党群服务中心", "综合服务", "15", 1000),
    "one_stop_hall": ("一站式服务大厅", "综合服务", "15", 1000),
    "elderly_station": ("养老服务站", "养老", "5", 300),
    "day_care": ("老年人日间照料中心", "养老", "5", 300),
    "meal_point": ("老年助餐点", "养老", "5", 300),
    "clinic": ("卫生服务站/村卫生室", "医疗卫生", "10", 500),
    "health_center": ("社区卫生服务中心/乡镇卫生院", "医疗卫生", "15", 1000),
    "nursery": ("托育机构", "托育教育", "5", 300),
    "kindergarten": ("幼儿园", "托育教育", "5", 300),
    "police_room": ("警务室", "平安", "", None),
    "micro_fire_station": ("微型消防站", "平安", "", None),
    "shelter": ("应急避难场所", "应急", "", None),
    "volunteer_station": ("志愿服务站", "志愿服务", "", None),
    "social_work_station": ("社会工作服务站", "社会工作", "", None),
    "minor_protection_station": ("未成年人保护工作站", "未成年人保护", "", None),
    "child_home": ("儿童之家", "未成年人保护", "5", 300),
    "culture_room": ("文化活动室", "文体", "5", 300),
    "fitness_ground": ("健身场地", "文体", "5", 300),
    "convenience_shop": ("便利店", "便民商业", "5", 300),
    "express_point": ("快递服务点", "便民商业", "5", 300),
}

# Short names, as role assignments and case dispatch spell them (ADR 0011, linli/cases/demo.py).
DEPARTMENTS = (
    "城管", "应急", "卫健", "公安", "住建", "民政", "生态环境", "市场监管", "交通", "司法",
    "人社", "水利", "自然资源", "农业农村", "教育", "消防",
)  # fmt: skip
SOCIAL_URBAN = (
    "老年协会", "夕阳红舞蹈队", "书画协会", "太极拳协会", "合唱团", "邻里互助会",
    "红白理事会", "居民议事会", "法律服务社", "巾帼志愿协会", "关爱儿童服务社",
    "助残服务社", "健康服务社", "读书会", "家风家教宣讲团", "调解服务社", "文明劝导队",
    "垃圾分类督导队", "乐龄服务社", "心理关爱服务社", "四点半课堂", "银发互助社",
    "邻里节理事会", "楼道长联谊会", "平安志愿协会", "环保协会",
)  # fmt: skip
SOCIAL_RURAL = (
    "老年协会", "红白理事会", "村民议事会", "道德评议会", "乡贤理事会", "广场舞队",
    "腰鼓队", "黄梅戏剧团", "禁毒禁赌会", "留守儿童关爱服务社", "农技服务社",
    "移风易俗宣讲队", "妇女互助会", "邻里互助会", "文明劝导队", "护林护水队",
)  # fmt: skip
VOLUNTEER_TEAMS = (
    "新时代文明实践志愿服务队", "党员先锋志愿服务队", "巾帼志愿服务队", "应急志愿服务队",
    "红袖标治安巡逻队", "青年志愿服务队",
)  # fmt: skip
BRANDS = {
    "陵阳社区": "陵心聚力志愿服务社",
    "澄桥村": "四自一提乡贤理事会",
    "霭里村": "乡村旅游发展协会",
    "万兴村": "乡贤普法服务社",
}
BRAND_GENERIC = ("邻里守望服务社", "银龄互助服务社", "红色管家服务社", "幸福食堂服务社")
RESIDENT_UNITS = (
    "小学", "中学", "幼儿园", "农商银行营业部", "邮政支局", "供电营业所", "自来水营业厅",
    "中国移动营业厅", "农业银行分理处", "人民法庭", "市场监管所", "中心菜市场",
)  # fmt: skip
PROPERTY_WORDS = ("安居", "华润", "万家", "居安", "和顺", "金陵", "皖南", "鑫城", "恒泰", "绿城")
LAW_FIRMS = (
    "安徽春谷律师事务所", "安徽陵阳律师事务所", "安徽籍山律师事务所", "安徽南陵法立律师事务所",
    "安徽皖江律师事务所",
)  # fmt: skip
LEADER_COURSE = "城乡社区党组织书记、村（居）委会主任履职能力集中轮训"
OTHER_COURSES = (
    "网格化服务管理业务培训", "全科社工能力提升培训", "社会工作实务培训",
    "应急管理与防灾减灾培训", "基层治理能力提升轮训", "未成年人保护业务培训",
    "养老服务与特殊困难老年人探访培训", "矛盾纠纷多元化解培训",
)  # fmt: skip
LEADER_ORGANISER = "中共南陵县委组织部、南陵县民政局"


def facility_types_ensure() -> dict[str, int]:
    """The facility types the demo uses, by code; created if the catalogue lacks them."""
    existing = {t.code: t.pk for t in FacilityType.objects.filter(code__in=FACILITY_TYPES)}
    for order, (code, (name, category, circle, walk)) in enumerate(FACILITY_TYPES.items()):
        if code in existing:
            continue
        taken = FacilityType.objects.filter(name=name).exists()
        created = FacilityType.objects.create(
            code=code,
            name=f"{name}（{code}）" if taken else name,
            category=category,
            life_circle=circle,
            walk_threshold_m=walk,
            sort_order=10 + order,
        )
        existing[code] = created.pk
    return existing


def credit_code(rng: random.Random, head: str) -> str:
    """A well-formed 统一社会信用代码 (GB 32100) in the county, with valid check characters.

    `head`: 2 characters, e.g. 51 社会团体, 52 民办非企业单位, 11 机关, 91 企业."""
    body = "".join(rng.choice("0123456789ABCDEFGHJKLMNPQRTUWXY") for _ in range(8))
    weights = (3, 7, 9, 10, 5, 8, 4, 2)  # GB 11714 organisation code check
    total = sum(CREDIT_CODE_CHARS.index(c) % 36 * w for c, w in zip(body, weights, strict=True))
    check = 11 - total % 11
    org_code = body + ("X" if check == 10 else "0" if check == 11 else str(check))
    first17 = f"{head}340223{org_code}"
    total = sum(
        CREDIT_CODE_CHARS.index(c) * w for c, w in zip(first17, CREDIT_CODE_WEIGHTS, strict=False)
    )
    return first17 + CREDIT_CODE_CHARS[(31 - total % 31) % 31]


def _org(
    ctx: Context,
    rows: Rows,
    rng: random.Random,
    place: Place,
    kind: str,
    name: str,
    **extra: object,
) -> Row:
    org: Row = dict(
        id=ctx.keys.take(Organisation),
        region_id=place.id,
        region_code=place.code,
        name=name,
        kind=kind,
        founded_on=extra.pop("founded_on", None)
        or _rand_date(rng, _years_ago(ctx.today, 25), _years_ago(ctx.today, 0.5)),
        **extra,
    )
    rows.organisations.append(org)
    return org


def _contact(ctx: Context, rng: random.Random) -> dict[str, object]:
    gender = "M" if rng.random() < 0.5 else "F"
    return {
        "contact_name": pop.person_name(rng, gender, rng.randint(30, 65)),
        "contact_phone": ctx.phones.make(rng),
    }


def _facility(
    ctx: Context,
    rows: Rows,
    rng: random.Random,
    place: Place,
    type_code: str,
    name: str,
    area: float | None,
    *,
    address: str = "",
    building_id: int | None = None,
    status: str = Facility.Status.OPERATING,
    hours: str = "08:30-17:30",
    operator: Row | None = None,
    spread: float = 0.003,
) -> Row:
    facility: Row = dict(
        id=ctx.keys.take(Facility),
        region_id=place.id,
        region_code=place.code,
        type_id=ctx.facility_types[type_code],
        name=name,
        address=address,
        building_id=building_id,
        lng=round(place.lng + rng.uniform(-spread, spread), 6),
        lat=round(place.lat + rng.uniform(-spread, spread), 6),
        building_area_m2=None if area is None else Decimal(f"{area:.2f}"),
        weekday_hours=hours,
        extended_evening=rng.random() < 0.35,
        weekend_open=rng.random() < 0.55,
        operator_id=operator["id"] if operator else None,
        operator_name=operator["name"] if operator else "",
        status=status,
    )
    rows.facilities.append(facility)
    return facility


# --- county and towns -------------------------------------------------------------------


def build_county_level(ctx: Context, rows: Rows, county: Place) -> None:
    rng = ctx.rng("county")
    for name in DEPARTMENTS:
        _org(
            ctx, rows, rng, county, Organisation.Kind.DEPARTMENT, name,
            credit_code=credit_code(rng, "11"), founded_on=date(1984, 1, 1),
            **_contact(ctx, rng),
        )  # fmt: skip
    _org(
        ctx, rows, rng, county, Organisation.Kind.CHARITY, "南陵县慈善总会",
        credit_code=credit_code(rng, "51"), **_contact(ctx, rng),
    )  # fmt: skip
    _org(
        ctx, rows, rng, county, Organisation.Kind.SOCIAL, "南陵县志愿服务联合会",
        credit_code=credit_code(rng, "51"), **_contact(ctx, rng),
    )  # fmt: skip


def build_town_level(ctx: Context, rows: Rows, town: Place, communities: list[Place]) -> None:
    """The town's own party committee, social work and minors' protection stations."""
    rng = ctx.rng("town", town.code)
    centre = communities[0] if communities else town
    _org(ctx, rows, rng, town, Organisation.Kind.PARTY, f"中共{town.name}委员会")
    if town.code in ctx.plan.towns["social_work_station"]:
        station = _org(
            ctx, rows, rng, town, Organisation.Kind.SOCIAL_WORK, f"{town.name}社会工作服务站",
            credit_code=credit_code(rng, "52"), is_regular_service=True, **_contact(ctx, rng),
        )  # fmt: skip
        _facility(
            ctx, rows, rng, town, "social_work_station", f"{town.name}社会工作服务站",
            rng.uniform(120, 320), address=f"{town.name}{centre.name}党群服务中心",
            operator=station,
        )  # fmt: skip
    elif rng.random() < 0.5:
        _facility(
            ctx, rows, rng, town, "social_work_station", f"{town.name}社会工作服务站",
            rng.uniform(100, 200), status=Facility.Status.BUILDING,
        )  # fmt: skip
    if town.code in ctx.plan.towns["minor_protection_station"]:
        _facility(
            ctx, rows, rng, town, "minor_protection_station", f"{town.name}未成年人保护工作站",
            rng.uniform(60, 180), address=f"{town.name}{centre.name}党群服务中心",
        )  # fmt: skip
    health_name = f"{town.name}社区卫生服务中心" if town.name == "籍山镇" else f"{town.name}卫生院"
    _facility(
        ctx, rows, rng, centre, "health_center", health_name, rng.uniform(1800, 5200),
        hours="00:00-24:00", spread=0.004,
    )  # fmt: skip


# --- one community ----------------------------------------------------------------------


def _center_area(ctx: Context, rng: random.Random, community: Place) -> float:
    ok = ctx.plan.has("center_area_ok", community.code)
    if community.urban:
        per_100 = rng.uniform(30.5, 48) if ok else rng.uniform(16, 29)
        return community.households / 100 * per_100
    # Villages: the county average stays above 300 m², some towns' averages do not.
    return rng.uniform(305, 620) if ok else rng.uniform(160, 295)


def _community_facilities(
    ctx: Context,
    rows: Rows,
    rng: random.Random,
    town: Place,
    community: Place,
    people: CommunityPeople,
) -> None:
    code, urban, c = community.code, community.urban, community.name
    has = ctx.plan.has
    at_centre: dict[str, Any] = {
        "address": people.public_address,
        "building_id": people.public_building_id,
    }
    _facility(
        ctx, rows, rng, community, "party_service_center", f"{c}党群服务中心",
        _center_area(ctx, rng, community), hours="08:30-17:30", **at_centre,
    )  # fmt: skip
    if has("one_stop_hall", code):
        # Inside the 党群服务中心: its area is part of the centre's, not counted twice.
        _facility(ctx, rows, rng, community, "one_stop_hall", f"{c}便民服务大厅", None, **at_centre)
    if has("elderly_station", code):
        _facility(
            ctx, rows, rng, community, "elderly_station",
            f"{c}{'居家' if urban else ''}养老服务站", rng.uniform(120, 420), hours="08:00-17:00",
            **at_centre,
        )  # fmt: skip
    elif rng.random() < 0.4:
        _facility(
            ctx, rows, rng, community, "elderly_station", f"{c}养老服务站", rng.uniform(100, 300),
            status=rng.choice((Facility.Status.BUILDING, Facility.Status.PLANNED)),
        )  # fmt: skip
    optional: tuple[tuple[str, str, tuple[float, float], str], ...] = (
        ("day_care", f"{c}老年人日间照料中心", (220, 800), "08:00-17:00"),
        ("meal_point", f"{c}{'社区食堂' if urban else '老年助餐点'}", (60, 220), "10:30-13:00"),
        ("volunteer_station", f"{c}志愿服务站", (20, 60), "08:30-17:30"),
        ("micro_fire_station", f"{c}微型消防站", (20, 60), "00:00-24:00"),
        ("shelter", f"{c}应急避难场所", (1200, 16000), "00:00-24:00"),
        ("police_room", f"{c}警务室", (30, 80), "00:00-24:00"),
        ("child_home", f"{c}儿童之家", (40, 120), "14:00-18:00"),
    )
    for type_code, name, (low, high), hours in optional:
        # A day-care centre only where there is an elderly station (ELDER_STATION counts both).
        if type_code == "day_care" and not has("elderly_station", code):
            continue
        if has(type_code, code):
            in_centre = type_code in (
                "volunteer_station",
                "police_room",
                "child_home",
                "meal_point",
            )
            _facility(
                ctx, rows, rng, community, type_code, name, rng.uniform(low, high), hours=hours,
                **(at_centre if in_centre else {}),
            )  # fmt: skip
    if has("clinic", code):
        _facility(
            ctx, rows, rng, community, "clinic",
            f"{c}卫生服务站" if urban else f"{c}卫生室",
            rng.uniform(150, 400) if urban else rng.uniform(80, 200), hours="08:00-17:30",
        )  # fmt: skip
    if has("nursery", code):
        _facility(ctx, rows, rng, community, "nursery", f"{c}托育园", rng.uniform(200, 600))
    if has("kindergarten", code):
        _facility(
            ctx, rows, rng, community, "kindergarten", f"南陵县{community.stem}幼儿园",
            rng.uniform(1500, 4200), hours="07:30-17:00",
        )  # fmt: skip
    _facility(ctx, rows, rng, community, "culture_room", f"{c}文化活动室", rng.uniform(60, 300))
    if urban or rng.random() < 0.8:
        _facility(
            ctx, rows, rng, community, "fitness_ground", f"{c}全民健身广场",
            rng.uniform(300, 2000), hours="05:30-21:30",
        )  # fmt: skip
    for n in range(rng.randint(2, 4) if urban else rng.randint(1, 2)):
        shop = f"{pop.surname(rng)}记便利店（{community.stem}{n + 1}店）"
        area = rng.uniform(40, 200)
        _facility(ctx, rows, rng, community, "convenience_shop", shop, area, hours="07:00-22:00")
    if has("express_point", code):
        _facility(
            ctx, rows, rng, community, "express_point", f"{community.stem}快递驿站",
            rng.uniform(20, 80), hours="08:00-20:00",
        )  # fmt: skip
    if urban and town.code in ctx.plan.towns["social_work_station"] and rng.random() < 0.5:
        _facility(
            ctx, rows, rng, community, "social_work_station", f"{c}社会工作室",
            rng.uniform(30, 80), **at_centre,
        )  # fmt: skip


def _community_organisations(
    ctx: Context,
    rows: Rows,
    rng: random.Random,
    community: Place,
    grids: list[Place],
    estates: dict[int, list[str]],
) -> None:
    code, urban, c = community.code, community.urban, community.name
    kind = Organisation.Kind
    big = urban and len(grids) >= 6
    party = _org(
        ctx, rows, rng, community, kind.PARTY,
        f"中共{c}{'委员会' if big else '总支部委员会' if len(grids) >= 4 else '支部委员会'}",
        party_level=Organisation.PartyLevel.COMMUNITY,
    )  # fmt: skip
    for grid in grids:
        branch = _org(
            ctx, rows, rng, grid, kind.PARTY, f"{grid.name}党支部",
            party_level=Organisation.PartyLevel.GRID, parent_id=party["id"],
        )  # fmt: skip
        for place in estates.get(grid.id, [])[:2]:
            _org(
                ctx, rows, rng, grid, kind.PARTY, f"{place}党小组",
                party_level=Organisation.PartyLevel.BUILDING, parent_id=branch["id"],
            )  # fmt: skip
    # 专栏2: ≥ 12 regularly serving social organisations per urban community, ≥ 6 rural.
    ok = ctx.plan.has("orgs_ok", code)
    if urban:
        regular = rng.randint(12, 16) if ok else rng.randint(6, 11)
    else:
        regular = rng.randint(6, 9) if ok else rng.randint(3, 5)
    teams = list(VOLUNTEER_TEAMS[: rng.randint(1, 3)])
    brand_name = ""
    if code in ctx.plan.brands:
        brand_name = (
            BRANDS.get(c) or f"{community.stem}{BRAND_GENERIC[len(rows.organisations) % 4]}"
        )
    pool = list(SOCIAL_URBAN if urban else SOCIAL_RURAL)
    socials = rng.sample(
        pool, min(len(pool), max(0, regular - len(teams) - bool(brand_name)) + rng.randint(1, 3))
    )
    n_regular = regular - len(teams) - bool(brand_name)
    for i, name in enumerate(socials):
        registered = rng.random() < 0.15
        _org(
            ctx, rows, rng, community, kind.SOCIAL, f"{c}{name}",
            is_regular_service=i < n_regular,
            credit_code=credit_code(rng, "52") if registered else "",
            **_contact(ctx, rng),
        )  # fmt: skip
    for name in teams:
        _org(
            ctx, rows, rng, community, kind.VOLUNTEER_TEAM, f"{c}{name}",
            is_regular_service=True, **_contact(ctx, rng),
        )  # fmt: skip
    if brand_name:
        _org(
            ctx, rows, rng, community, kind.SOCIAL, brand_name, is_regular_service=True,
            is_brand=True, credit_code=credit_code(rng, "52"), **_contact(ctx, rng),
        )  # fmt: skip
    if urban:
        for unit in rng.sample(RESIDENT_UNITS, rng.randint(2, 5)):
            _org(ctx, rows, rng, community, kind.RESIDENT_UNIT, f"南陵县{community.stem}{unit}")
        for word in rng.sample(PROPERTY_WORDS, rng.randint(1, 2)):
            company = f"安徽{word}物业服务有限公司{community.stem}项目部"
            _org(
                ctx, rows, rng, community, kind.PROPERTY, company,
                credit_code=credit_code(rng, "91"), **_contact(ctx, rng),
            )  # fmt: skip
        for grid in grids:
            if community.urban_rural_code == "111" and rng.random() < 0.5:
                estate = estates.get(grid.id, [grid.name])[0].split("号")[0]
                _org(ctx, rows, rng, grid, kind.OWNERS_COMMITTEE, f"{estate}号小区业主委员会")


def _education(rng: random.Random, urban: bool) -> str:
    e = Worker.Education
    if urban:
        return rng.choices(
            (e.SENIOR, e.COLLEGE, e.BACHELOR, e.POSTGRADUATE), (0.12, 0.4, 0.45, 0.03)
        )[0]
    return rng.choices((e.JUNIOR, e.SENIOR, e.COLLEGE, e.BACHELOR), (0.1, 0.42, 0.35, 0.13))[0]


class _Staff:
    """Creates the community's workers, from its own residents where it can."""

    def __init__(
        self, ctx: Context, rows: Rows, rng: random.Random, community: Place, locals_: list[Local]
    ):
        self.ctx, self.rows, self.rng, self.community = ctx, rows, rng, community
        adults = [
            p for p in locals_ if 24 <= p.age <= 58 and p.resident["residence_type"] == "registered"
        ]
        self.pool = rng.sample(adults, len(adults))

    def worker(self, *, local: bool = True, min_age: int = 24, max_age: int = 58) -> Row:
        ctx, rng = self.ctx, self.rng
        resident = None
        while local and self.pool:
            candidate = self.pool.pop()
            if min_age <= candidate.age <= max_age:
                resident = candidate.resident
                break
        if resident is not None:
            name, gender, born = resident["name"], resident["gender"], resident["birth_date"]
            phone = resident["phone"] or ctx.phones.make(rng)
        else:
            gender = "M" if rng.random() < 0.5 else "F"
            age = rng.randint(min_age, max_age)
            name = pop.person_name(rng, gender, age)
            born = pop.birth_date(rng, age, ctx.today)
            phone = ctx.phones.make(rng)
        age_now = (ctx.today - born).days // 365
        worker: Row = dict(
            id=ctx.keys.take(Worker),
            region_id=self.community.id,
            region_code=self.community.code,
            resident_id=resident["id"] if resident else None,
            name=name,
            gender=gender,
            birth_date=born,
            phone=phone,
            phone_hash=blind_index(phone),
            education=_education(rng, self.community.urban),
            employed_since=_rand_date(
                rng,
                _years_ago(ctx.today, max(1, min(20, age_now - 22))),
                _years_ago(ctx.today, 0.3),
            ),
        )
        self.rows.workers.append(worker)
        return worker

    def post(self, worker: Row, kind: str, place: Place | None = None) -> None:
        place = place or self.community
        self.rows.positions.append(
            dict(
                id=self.ctx.keys.take(Position),
                worker_id=worker["id"],
                region_id=place.id,
                region_code=place.code,
                kind=kind,
                started_on=_rand_date(
                    self.rng, worker["employed_since"] or self.ctx.today, self.ctx.today
                ),
            )
        )

    def train(
        self, worker: Row, course: str, days: float, on: date, organiser: str, rotation: bool
    ) -> None:
        self.rows.trainings.append(
            dict(
                id=self.ctx.keys.take(Training),
                worker_id=worker["id"],
                region_id=self.community.id,
                region_code=self.community.code,
                course=course,
                days=Decimal(f"{days:.1f}"),
                started_on=on,
                organiser=organiser,
                is_rotation=rotation,
            )
        )


def _this_year(rng: random.Random, today: date, days: float) -> date:
    """A start date this calendar year such that the course has ended by today if it can."""
    start = date(today.year, 1, 2)
    latest = today - timedelta(days=int(days) + 1)
    return _rand_date(rng, start, latest) if latest > start else start


def _community_workforce(
    ctx: Context,
    rows: Rows,
    rng: random.Random,
    town: Place,
    community: Place,
    grids: list[Place],
    locals_: list[Local],
) -> None:
    code, urban, has = community.code, community.urban, ctx.plan.has
    kind = Position.Kind
    staff = _Staff(ctx, rows, rng, community, locals_)
    secretary = staff.worker(min_age=32)
    staff.post(secretary, kind.SECRETARY)
    leaders = [secretary]
    if has("one_shoulder", code):
        staff.post(secretary, kind.DIRECTOR)
    else:
        director = staff.worker(min_age=30)
        staff.post(director, kind.DIRECTOR)
        leaders.append(director)
    committee = [staff.worker() for _ in range(rng.randint(3, 5))]
    for member in committee:
        staff.post(member, kind.COMMITTEE)
    core = len(leaders) + len(committee)
    if urban:
        # 每万城镇常住人口拥有城市社区工作者 18 人以上: some communities short of it.
        factor = rng.uniform(1.02, 1.35) if has("density_ok", code) else rng.uniform(0.6, 0.95)
        wanted = community.population / 10_000 * 18 * factor
        full_count = max(0, round(wanted) - core)
        if has("density_ok", code):
            while (core + full_count) * 10_000 < 18 * community.population:
                full_count += 1
        else:
            while full_count and (core + full_count) * 10_000 >= 18 * community.population:
                full_count -= 1
    else:
        full_count = rng.choice((0, 0, 1, 2))
    full_time = [staff.worker(max_age=45) for _ in range(full_count)]
    for member in full_time:
        staff.post(member, kind.FULL_TIME)
    # One grid worker per grid: community workers first, then part-time villagers.
    # Urban: the community's own workers, some looking after two grids (hiring more would
    # change the worker density set above); villages: part-time villagers as well.
    others: list[Row] = list(committee) + full_time
    if urban:
        carriers = full_time + committee + leaders
        for index, grid in enumerate(grids):
            staff.post(carriers[index % len(carriers)], kind.GRID_WORKER, grid)
    else:
        for index, grid in enumerate(grids):
            if index < len(committee) + len(full_time):
                holder = (committee + full_time)[index]
            else:
                holder = staff.worker()
                others.append(holder)
            staff.post(holder, kind.GRID_WORKER, grid)
    women = [w for w in committee if w["gender"] == "F"] or committee
    if has("child_director", code):
        staff.post(women[0], kind.CHILD_DIRECTOR)
    if has("disaster_officer", code):
        staff.post(committee[-1], kind.DISASTER_OFFICER)
    if rng.random() < 0.7:
        staff.post(committee[0], kind.MEDIATOR)
    if has("legal_advisor", code):
        lawyer = staff.worker(local=False, min_age=28, max_age=60)
        lawyer["education"] = Worker.Education.BACHELOR
        staff.post(lawyer, kind.LEGAL_ADVISOR)
        others.append(lawyer)
    police_full = has("police_full", code)
    if urban:
        officer = staff.worker(local=False, min_age=26, max_age=55)
        staff.post(officer, kind.COMMUNITY_POLICE)
        auxiliaries = [
            staff.worker(local=False, max_age=45)
            for _ in range(2 if police_full else rng.randint(0, 1))
        ]
        others.append(officer)
    else:
        auxiliaries = [staff.worker(local=False, max_age=45)] if police_full else []
    for aux in auxiliaries:
        staff.post(aux, kind.AUXILIARY_POLICE)
        others.append(aux)
    # Certificates: 每个城市社区持证社会工作者不少于 3 人 — some communities are short.
    certifiable = committee + full_time + leaders
    if urban:
        certified = rng.randint(3, 5) if has("certs_ok", code) else rng.choice((0, 1, 1, 2, 2))
    else:
        certified = 1 if rng.random() < 0.2 else 0
    certificate_kind = Certificate.Kind
    for holder in rng.sample(certifiable, min(certified, len(certifiable))):
        cert = rng.choices(
            (certificate_kind.ASSISTANT_SOCIAL_WORKER, certificate_kind.SOCIAL_WORKER,
             certificate_kind.SOCIAL_WORK_DEGREE, certificate_kind.SENIOR_SOCIAL_WORKER),
            (0.62, 0.26, 0.1, 0.02),
        )[0]  # fmt: skip
        issued = _rand_date(
            rng, max(date(2010, 6, 20), _years_ago(ctx.today, 12)), _years_ago(ctx.today, 0.2)
        )
        rows.certificates.append(
            dict(
                id=ctx.keys.take(Certificate),
                worker_id=holder["id"],
                region_id=community.id,
                region_code=community.code,
                kind=cert,
                number=f"{issued.year}0340{rng.randrange(10**6):06d}",
                issued_on=issued,
            )
        )
        staff.post(holder, kind.SOCIAL_WORKER)
    # 专栏4: leaders ≥ 3 days of rotation training a year, others once every two years.
    today = ctx.today
    for i, leader in enumerate(leaders):
        staff.train(
            leader,
            LEADER_COURSE,
            rng.choice((3, 3, 4, 5)),
            _rand_date(rng, date(today.year - 1, 3, 1), date(today.year - 1, 11, 30)),
            LEADER_ORGANISER,
            True,
        )
        if has("leaders_trained", code):
            days = rng.choice((3, 3, 3.5, 4, 5))
            staff.train(
                leader, LEADER_COURSE, days, _this_year(rng, today, days), LEADER_ORGANISER, True
            )
        elif i == 0 and rng.random() < 0.6:
            staff.train(
                leader,
                "城乡社区治理专题培训",
                1.5,
                _this_year(rng, today, 2),
                f"中共{town.name}委员会",
                False,
            )
    all_trained = has("others_trained", code)
    for member in others:
        if all_trained or rng.random() < 0.55:
            on = _rand_date(rng, _years_ago(today, 1.9), today - timedelta(days=10))
        else:
            on = _rand_date(rng, _years_ago(today, 4), _years_ago(today, 2.2))
        staff.train(
            member,
            rng.choice(OTHER_COURSES),
            rng.choice((1, 1.5, 2, 2, 3)),
            on,
            f"中共{town.name}委员会",
            rng.random() < 0.5,
        )


def build_community_services(
    ctx: Context,
    rows: Rows,
    town: Place,
    community: Place,
    grids: list[Place],
    people: CommunityPeople,
) -> None:
    _community_facilities(ctx, rows, ctx.rng("facilities", community.code), town, community, people)
    _community_organisations(
        ctx, rows, ctx.rng("orgs", community.code), community, grids, people.building_names
    )
    _community_workforce(
        ctx, rows, ctx.rng("workers", community.code), town, community, grids, people.residents
    )
