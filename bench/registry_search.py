"""Registry search at full county scale: p50/p95 of each kind of search beside a baseline.

    .venv/bin/python bench/registry_search.py [--residents 400000] [--runs 200] [--rebuild]
    .venv/bin/python bench/registry_search.py --database-url URL [--runs 200]

Without --database-url it builds (once; later runs reuse it) a separate SQLite file
var/bench/registry_search.sqlite3
with a Nanling-sized registry — 9 towns, 172 communities, ~1,500 grids, ~140k households,
~400k residents with encrypted ID numbers and phones and ~15 % special-group tags — written
with bulk_create (no audit, no services: this measures reads). Then it runs `--runs` searches
of each kind through `people.selectors.resident_search` / `household_list`, each one what a
list page or the API does: the count, the first page of 50 rows with region, household and
tags, and the masked PII of every row; "语句" is how many SQL statements one such search took.
With --database-url it reads an existing database as it is — the demo county of
`manage.py demo --scale full`, SQLite or PostgreSQL — and neither builds nor migrates it. The
baseline, measured in the same run on the same file, is a plain
`SELECT … FROM people_resident WHERE id = ?` on the primary key.

Budget (DESIGN.md §9): registry search p95 < 50 ms.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
DB_FILE = ROOT / "var" / "bench" / "registry_search.sqlite3"
COUNTY = "340223000000"
TOWN_COUNT = 9
COMMUNITIES = 172
GRIDS_PER_COMMUNITY = 9  # ~1,500 grids
PAGE = 50

SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任"
    "沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔"
)
GIVEN = (
    "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英玉华建国文辉红梅志华海燕丹萍鹏飞宇浩然子涵欣怡"
    "梓轩佳琪思远晨阳雨婷嘉怡俊杰德福永庆春生秋菊冬梅兴旺和平光荣福林长江振华金凤银花小龙国强淑珍"
)
ROADS = (
    "人民路",
    "建设路",
    "解放路",
    "和平街",
    "文化路",
    "新华路",
    "中山路",
    "幸福里",
    "春谷路",
    "籍山路",
    "长安街",
    "园林路",
)
# A rural Anhui county's age pyramid (2020 census shape): many elderly, 80+ about 3.5 %.
AGE_BANDS = ((0, 14), (15, 29), (30, 44), (45, 59), (60, 69), (70, 79), (80, 89), (90, 100))
AGE_WEIGHTS = (15, 15, 18, 27, 13, 8.5, 3.0, 0.5)
TAGS = (
    "elderly_difficulty",
    "living_alone",
    "empty_nest",
    "disabled_care",
    "dibao",
    "tekun",
    "veteran",
    "party_member",
    "family_with_infant",
)


def setup_django(database_url: str | None) -> None:
    if database_url:
        os.environ["DATABASE_URL"] = database_url
    else:
        DB_FILE.parent.mkdir(parents=True, exist_ok=True)
        os.environ["DATABASE_URL"] = f"sqlite:///{DB_FILE}"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.base")
    os.environ.setdefault("LINLI_DEBUG", "0")
    import django

    django.setup()


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(p / 100 * len(ordered)) - 1))
    return ordered[index]


# --- the dataset --------------------------------------------------------------------------------


def build(residents_wanted: int) -> None:
    from django.core.management import call_command
    from django.db import connection, transaction

    from linli.core.pii import blind_index, id_number_check_char
    from linli.people.models import Household, Resident, ResidentTag
    from linli.people.names import name_keys
    from linli.regions.models import Building, Region

    # Start from an empty file: faster than deleting rows, and no protected-FK ordering.
    connection.close()
    for suffix in ("", "-wal", "-shm"):
        Path(f"{DB_FILE}{suffix}").unlink(missing_ok=True)
    call_command("migrate", verbosity=0, interactive=False)
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA synchronous=OFF")
    rng = random.Random(340223)
    started = time.perf_counter()
    print(f"building {residents_wanted:,} residents in {DB_FILE} …", flush=True)
    with transaction.atomic():
        county = Region.objects.create(code=COUNTY, name="南陵县", level="county")
        towns = Region.objects.bulk_create(
            Region(
                code=f"340223{100 + i:03d}000",
                name=f"第{i + 1}镇",
                level="town",
                parent=county,
                is_illustrative=True,
            )
            for i in range(TOWN_COUNT)
        )
        communities = Region.objects.bulk_create(
            Region(
                code=f"{towns[i % TOWN_COUNT].code[:9]}{i // TOWN_COUNT + 1:03d}",
                name=f"第{i + 1}{'社区' if i % 3 == 0 else '村'}",
                level="community",
                parent=towns[i % TOWN_COUNT],
                urban_rural_code="111" if i % 3 == 0 else "220",
                is_illustrative=True,
            )
            for i in range(COMMUNITIES)
        )
        grids = Region.objects.bulk_create(
            Region(
                code=f"{c.code}{g + 1:03d}",
                name=f"{c.name}第{g + 1}网格",
                level="grid",
                parent=c,
                is_illustrative=True,
            )
            for c in communities
            for g in range(GRIDS_PER_COMMUNITY)
        )
        households_wanted = round(residents_wanted / 2.86)
        buildings = Building.objects.bulk_create(
            (
                Building(
                    region=grid,
                    region_code=grid.code,
                    name=f"{n + 1}栋",
                    address=f"{grid.parent.name}{rng.choice(ROADS)}{index * 10 + n + 1}号楼",  # type: ignore[union-attr]
                )
                for index, grid in enumerate(grids)
                for n in range(8)
            ),
            batch_size=2000,
        )
        households = []
        for n in range(households_wanted):
            building = buildings[n % len(buildings)]
            grid = building.region
            phone = f"13{rng.randrange(10**9):09d}"
            households.append(
                Household(
                    region=grid,
                    region_code=grid.code,
                    building=building,
                    number=f"{grid.code[-6:]}{n:06d}",
                    address=(
                        f"{building.address}{rng.randint(1, 6)}单元"
                        f"{rng.randint(1, 30)}0{rng.randint(1, 4)}室"
                    ),
                    phone=phone,
                    phone_hash=blind_index(phone),
                )
            )
        households = Household.objects.bulk_create(households, batch_size=2000)
        print(
            f"  regions, {len(buildings):,} buildings, {len(households):,} households "
            f"({time.perf_counter() - started:.0f} s)",
            flush=True,
        )

        today = date.today()
        seen_ids: set[str] = set()
        seen_phones: set[str] = set()
        batch: list[Resident] = []
        tag_specs: list[tuple[int, str, date]] = []  # (index, tag, birth) resolved after insert
        made = 0

        def flush() -> None:
            created = Resident.objects.bulk_create(batch, batch_size=2000)
            ResidentTag.objects.bulk_create(
                (
                    ResidentTag(
                        resident=created[i],
                        region_id=created[i].region_id,
                        region_code=created[i].region_code,
                        tag=tag,
                        disability_kind="physical" if tag == "disability" else "",
                        disability_grade=rng.randint(1, 4) if tag == "disability" else None,
                    )
                    for i, tag, _birth in tag_specs
                ),
                batch_size=2000,
            )
            batch.clear()
            tag_specs.clear()

        while made < residents_wanted:
            household = households[made % len(households)]
            surname = rng.choice(SURNAMES)
            given = rng.choice(GIVEN) + (rng.choice(GIVEN) if rng.random() < 0.7 else "")
            name = surname + given
            pinyin, initials = name_keys(name)
            low, high = rng.choices(AGE_BANDS, weights=AGE_WEIGHTS)[0]
            birth = today - timedelta(days=rng.randint(low * 365, high * 365 + 364))
            gender = rng.choice("MF")
            id_number = ""
            if rng.random() < 0.95:
                while True:
                    serial = rng.randrange(1000)
                    serial = serial - serial % 2 + (1 if gender == "M" else 0)
                    first17 = f"340223{birth:%Y%m%d}{serial:03d}"
                    id_number = first17 + id_number_check_char(first17)
                    if id_number not in seen_ids:
                        seen_ids.add(id_number)
                        break
            phone = ""
            if rng.random() < 0.7:
                while True:
                    phone = f"1{rng.choice('3578')}{rng.randrange(10**9):09d}"
                    if phone not in seen_phones:
                        seen_phones.add(phone)
                        break
            index = len(batch)
            batch.append(
                Resident(
                    region_id=household.region_id,
                    region_code=household.region_code,
                    household=household,
                    relation="head" if made < len(households) else "other",
                    name=name,
                    name_pinyin=pinyin,
                    name_initials=initials,
                    gender=gender,
                    birth_date=birth,
                    id_number=id_number,
                    id_number_hash=blind_index(id_number),
                    phone=phone,
                    phone_hash=blind_index(phone),
                    status="active" if rng.random() < 0.97 else "moved_out",
                )
            )
            age = today.year - birth.year
            if age >= 80:
                tag_specs.append((index, "advanced_age", birth))
            if rng.random() < 0.12:
                tag_specs.append((index, rng.choice(TAGS), birth))
            if rng.random() < 0.02:
                tag_specs.append((index, "disability", birth))
            made += 1
            if len(batch) >= 10000:
                flush()
                print(f"  {made:,} residents ({time.perf_counter() - started:.0f} s)", flush=True)
        if batch:
            flush()
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    print(f"built in {time.perf_counter() - started:.0f} s", flush=True)


# --- the searches --------------------------------------------------------------------------------


def run(runs: int, principal_kind: str) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from linli.core.scoping import Scope
    from linli.people import selectors
    from linli.people.models import Household, Resident, ResidentTag
    from linli.regions.models import Region

    rng = random.Random(7)
    if principal_kind == "county":
        principal = Scope(prefixes=("340223",))
        scope_label = "县级（全县）"
    else:
        town = Region.objects.filter(level="town").order_by("code").first()
        principal = Scope(prefixes=(town.code[:9],))  # type: ignore[union-attr]
        scope_label = f"镇级（{town.name}）"  # type: ignore[union-attr]
    visible = Resident.objects.visible_to(principal)
    total = visible.count()
    ids = list(visible.values_list("id", flat=True)[:20000])
    sample = Resident.objects.filter(id__in=rng.sample(ids, min(len(ids), runs * 2)))
    people = list(sample)
    communities = list(
        Region.objects.visible_to(principal)
        .filter(level="community")
        .values_list("code", flat=True)
    )
    addresses = list(
        Household.objects.visible_to(principal).values_list("address", flat=True)[:5000]
    )

    def page(results) -> int:  # type: ignore[no-untyped-def]
        count = len(results)
        rows = results[:PAGE]
        for row in rows:  # what the API/page renders: masks (decrypts) and tags
            _ = (row.id_number_masked, row.phone_masked, row.region.name, list(row.tags.all()))
        return count

    def household_page(results) -> int:  # type: ignore[no-untyped-def]
        count = len(results)
        rows = results[:PAGE]
        for row in rows:
            _ = (row.phone_masked, row.region.name, row.member_count)
        return count

    kinds: dict[str, Callable[[int], int]] = {
        "姓名包含（如“明”“张伟”）": lambda i: page(
            selectors.resident_search(principal, q=rng.choice([people[i].name, people[i].name[1:]]))
        ),
        "全拼前缀（zhangwei）": lambda i: page(
            selectors.resident_search(principal, q=people[i].name_pinyin[: rng.randint(4, 12)])
        ),
        "首字母前缀（zw）": lambda i: page(
            selectors.resident_search(principal, q=people[i].name_initials)
        ),
        "身份证号精确（盲索引）": lambda i: page(
            selectors.resident_search(principal, q=people[i].id_number or "340223199001011234")
        ),
        "手机号精确（盲索引）": lambda i: page(
            selectors.resident_search(principal, q=people[i].phone or "13800000000")
        ),
        "标签筛选": lambda i: page(
            selectors.resident_search(
                principal, tags=[rng.choice(["advanced_age", "dibao", "veteran", "living_alone"])]
            )
        ),
        # The list page's default: residents in the register (在册) only.
        "标签+在册（列表页）": lambda i: page(
            selectors.resident_search(
                principal,
                tags=[rng.choice(["advanced_age", "dibao", "veteran", "living_alone"])],
                status="active",
            )
        ),
        "年龄段（60-69 岁）": lambda i: page(
            selectors.resident_search(principal, age_min=60 + i % 5, age_max=69 + i % 5)
        ),
        "标签+年龄+在册": lambda i: page(
            selectors.resident_search(principal, tags=["advanced_age"], age_min=85, status="active")
        ),
        "区划（社区）": lambda i: page(
            selectors.resident_search(principal, region_code=rng.choice(communities))
        ),
        "区划+姓氏": lambda i: page(
            selectors.resident_search(
                principal, region_code=rng.choice(communities), q=people[i].name[0]
            )
        ),
        # The list page opened without a filter: every resident in the register, counted.
        "无条件（列表页默认）": lambda i: page(
            selectors.resident_search(principal, status="active")
        ),
        "户：地址包含": lambda i: household_page(
            selectors.household_list(principal, q=rng.choice(addresses)[-8:])
        ),
    }

    def baseline(i: int) -> int:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT id, name, region_code FROM people_resident WHERE id = %s",
                [ids[i % len(ids)]],
            )
            return len(cursor.fetchall())

    def measure(fn: Callable[[int], int]) -> tuple[list[float], list[float], int]:
        timings, cpu = [], []
        found = 0
        for i in range(runs):
            start, start_cpu = time.perf_counter(), time.process_time()
            found += fn(i) > 0
            timings.append((time.perf_counter() - start) * 1000)
            cpu.append((time.process_time() - start_cpu) * 1000)
        return timings, cpu, found

    # Warm the page cache the way a running server would be.
    for fn in kinds.values():
        fn(0)
    base, _cpu, _ = measure(baseline)
    base50, base95 = statistics.median(base), percentile(base, 95)
    print(
        f"\n{scope_label}可见居民 {total:,} 人；每种检索 {runs} 次；"
        f"每次含计数、首页 {PAGE} 条、脱敏与标签"
    )
    print(f"负载（1 分钟平均）：{os.getloadavg()[0]:.2f}，CPU {os.cpu_count()} 核")
    print(
        f"{'检索':<24}{'p50 ms':>9}{'p95 ms':>9}{'CPU p95':>9}{'p95/基线':>10}{'有结果':>8}"
        f"{'语句':>6}"
    )
    print(f"{'基线：主键 SELECT':<24}{base50:>9.3f}{base95:>9.3f}{'':>9}{1:>10.0f}{runs:>8}{1:>6}")
    for label, fn in kinds.items():
        timings, cpu, found = measure(fn)
        p50, p95 = statistics.median(timings), percentile(timings, 95)
        with CaptureQueriesContext(connection) as statements:  # one more search, counted
            fn(runs - 1)
        flag = "" if p95 < 50 else "  ← 超出 50 ms"
        print(
            f"{label:<24}{p50:>9.2f}{p95:>9.2f}{percentile(cpu, 95):>9.2f}"
            f"{p95 / base95:>10.0f}{found:>8}{len(statements):>6}{flag}"
        )
    print(f"负载（1 分钟平均）：{os.getloadavg()[0]:.2f}；标签行 {ResidentTag.objects.count():,}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--residents", type=int, default=400_000)
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--rebuild", action="store_true", help="rebuild the dataset")
    parser.add_argument("--scope", choices=["county", "town", "both"], default="both")
    parser.add_argument(
        "--database-url",
        help="search this database as it is (e.g. the full demo county); nothing is built",
    )
    args = parser.parse_args()
    setup_django(args.database_url)
    from django.db import connection
    from django.db.utils import OperationalError

    from linli.people.models import Resident

    if args.database_url:
        print(
            f"reusing {Resident.objects.count():,} residents in {connection.vendor} "
            f"{connection.settings_dict['NAME']}"
        )
        for kind in ("county", "town") if args.scope == "both" else (args.scope,):
            run(args.runs, kind)
        return
    try:
        have = Resident.objects.count()
    except OperationalError:
        have = 0
    if args.rebuild or have < args.residents * 0.99:
        build(args.residents)
    else:
        from django.core.management import call_command

        call_command("migrate", verbosity=0, interactive=False)
        print(f"reusing {have:,} residents in {DB_FILE}")
    for kind in ("county", "town") if args.scope == "both" else (args.scope,):
        run(args.runs, kind)


if __name__ == "__main__":
    main()
