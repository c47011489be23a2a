"""The index-shaped search paths give the same answers as a plain query (ADR 0023, 0025):
tag searches paged a region at a time, addresses through the trigram index, and a status
that never drives SQLite's plan."""

import random
from datetime import date

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from linli.core.scoping import Scope
from linli.core.testing import sqlite_plan
from linli.people import address_index, selectors
from linli.people.models import Household, Resident
from linli.people.tests.factories import make_household, make_resident
from linli.regions.models import Region

pytestmark = pytest.mark.django_db

COUNTY = Scope(prefixes=("340223",))
TAGS = ("living_alone", "veteran", "dibao")
NAMES = ("张三", "李四", "王明", "赵丽", "陈静", "张伟", "刘洋", "周杰")


@pytest.fixture
def tagged(community_a, grid_a, grid_b):
    """Residents with random tags and statuses in four regions (three grids, one community)."""
    grid_c = Region.objects.create(
        code="340223100001002", name="陵阳社区第2网格", level="grid", parent=community_a
    )
    rng = random.Random(11)
    regions = [grid_a, grid_b, grid_c, community_a]
    for n in range(90):
        region = regions[n % len(regions)]
        tags = tuple(tag for tag in TAGS if rng.random() < 0.5)
        status = rng.choice(["active"] * 6 + ["moved_out", "deceased"])
        make_resident(region, name=rng.choice(NAMES), tags=tags, status=status)


def _plain(tags, status=None):
    """The reference answer: a plain ORM query in the list order (region, name, id)."""
    rows = Resident.objects.all()
    for tag in tags:
        rows = rows.filter(tags__tag=tag)
    if status:
        rows = rows.filter(status=status)
    return list(rows.order_by("region_code", "name", "id").values_list("id", flat=True))


@pytest.mark.parametrize(
    ("tags", "status"),
    [
        (["living_alone"], None),
        (["living_alone"], "active"),
        (["veteran"], "moved_out"),
        (["living_alone", "dibao"], None),
        (["dibao", "veteran"], "active"),
    ],
)
def test_tag_searches_page_exactly_like_the_plain_query(tagged, tags, status):
    # given residents with random tags and statuses in four regions
    expected = _plain(tags, status)
    assert expected  # the fixture gives every case some matches
    # when the tag-driven search is counted and read in pages of every size and offset
    results = selectors.resident_search(COUNTY, tags=tags, status=status)
    # then the count and every slice are those of the plain query
    assert len(results) == len(expected)
    for size in (1, 3, 7, 50):
        for start in range(0, len(expected) + 2, size):
            page = [r.pk for r in results[start : start + size]]
            assert page == expected[start : start + size], (size, start)
    assert [r.pk for r in results] == expected


def test_a_tag_search_reads_a_town_only(tagged, town_a):
    town = Scope(prefixes=(town_a.code[:9],))
    found = [r.pk for r in selectors.resident_search(town, tags=["living_alone"])]
    expected = [
        pk
        for pk in _plain(["living_alone"])
        if Resident.objects.get(pk=pk).region_code.startswith(town_a.code[:9])
    ]
    assert found == expected
    assert selectors.resident_search(COUNTY, tags=["no_such_tag"]).count() == 0
    assert selectors.resident_search(COUNTY, tags=["living_alone"])[10_000:10_050] == []


def test_tags_with_a_household_probe_each_member(tagged, grid_a):
    household = make_household(grid_a)
    member = make_resident(household, name="户内", tags=("veteran",))
    make_resident(household, name="户内无标签")
    found = selectors.resident_search(COUNTY, tags=["veteran"], household=household.pk)
    assert [r.pk for r in found] == [member.pk]


def _households_plain(q):
    return [
        h.pk
        for h in Household.objects.order_by("region_code", "number", "id")
        if q in h.address or h.number.startswith(q)
    ]


@pytest.fixture
def addresses(grid_a, grid_b):
    rng = random.Random(5)
    parts = ("人民路", "建设路", "1栋", "2栋", "1单元", "2单元", "101", "102", "201", 'A"座')
    for n in range(60):
        make_household(
            grid_a if n % 2 else grid_b,
            number=f"{rng.choice(['00', '01', 'A0'])}{n:04d}",
            address="".join(rng.choice(parts) for _ in range(4)),
        )


def test_address_or_number_search_matches_the_plain_test(addresses):
    # given households with addresses built from common parts
    rng = random.Random(8)
    addresses = list(Household.objects.values_list("address", flat=True))
    fragments = ["0", "00", "001", "0100", "A00", "1栋", "人民路", 'A"座', "不存在的路"]
    for _ in range(40):  # fragments of 1 to 6 characters cut from real addresses
        address = rng.choice(addresses)
        start = rng.randrange(len(address))
        fragments.append(address[start : start + rng.randint(1, 6)])
    for q in fragments:
        # then the search (index or scan, by length) finds exactly the plain test's households
        results = selectors.household_list(COUNTY, q=q)
        assert [h.pk for h in results] == _households_plain(q), q
        assert len(results) == len(_households_plain(q)), q


def test_the_address_index_follows_every_write(grid_a):
    # given a household found by its address
    household = make_household(grid_a, number="X1", address="春谷路88号3栋")
    assert [h.pk for h in selectors.household_list(COUNTY, q="春谷路88")] == [household.pk]
    # when the address changes (save, then a bulk UPDATE) the index follows
    household.address = "籍山路9号"
    household.save()
    assert selectors.household_list(COUNTY, q="春谷路88").count() == 0
    assert [h.pk for h in selectors.household_list(COUNTY, q="籍山路9")] == [household.pk]
    Household.objects.filter(pk=household.pk).update(address="园林路7号")
    assert selectors.household_list(COUNTY, q="籍山路9").count() == 0
    assert selectors.household_list(COUNTY, q="园林路7").count() == 1
    # and a deleted household is gone from it
    household.delete()
    assert selectors.household_list(COUNTY, q="园林路7").count() == 0


def test_the_address_index_is_installed():
    # A migration that remakes people_household on SQLite drops the triggers: this fails then.
    assert address_index.installed(connection)


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's planner")
def test_sqlite_never_drives_a_search_by_the_status(grid_a):
    # given no ANALYZE statistics (as in a fresh or bulk-loaded database)
    household = make_household(grid_a)
    for n in range(5):
        make_resident(household, name=f"张{n}", birth_date=date(1940, 1, 1 + n), tags=("dibao",))
    searches = [
        {"q": "张", "status": "active"},
        {"q": "zh", "status": "active"},
        {"age_min": 80, "status": "active"},
        {"tags": ["dibao"], "age_min": 80, "status": "active"},
        {"tags": ["dibao"], "status": "active"},
        {"region_code": grid_a.code, "status": "active"},
    ]
    for params in searches:
        with CaptureQueriesContext(connection) as queries:
            results = selectors.resident_search(COUNTY, **params)
            assert len(results) == 5
            results[:50]
        for query in queries.captured_queries:
            if not query["sql"].startswith(("SELECT", "WITH")):
                continue
            steps = sqlite_plan(query["sql"])
            # then no query is driven by an index led by the status (a subquery may read
            # the few departed residents' ids off it: alias U0)
            driving = [s for s in steps if s.startswith(("SEARCH people_resident ", "SCAN"))]
            for step in driving:
                assert "people_resident_status" not in step, (params, steps)
                assert "resident_status_region_name" not in step, (params, steps)


@pytest.mark.parametrize("cap", [1, 1000])
def test_name_and_pinyin_branches_count_and_order_each_resident_once(grid_a, cap):
    # given names where a fragment stands at several positions at once (明明, 明小明, …)
    household = make_household(grid_a)
    rng = random.Random(3)
    chars = "明小张伟"
    for _ in range(40):
        make_resident(household, name="".join(rng.choice(chars) for _ in range(rng.randint(1, 5))))
    rows = list(Resident.objects.values_list("id", "name", "name_pinyin", "name_initials"))
    for q in ("明", "明明", "小明", "张伟明", "明小明"):
        # then the count and the order are those of a plain "name contains" (name, region, id)
        by_name = sorted(rows, key=lambda r: (r[1], r[0]))
        expected = [pk for pk, name, _p, _i in by_name if q in name]
        results = selectors.resident_search(COUNTY, q=q)
        results.cap = cap
        assert len(results) == len(expected), q
        assert [r.pk for r in results] == expected, q
    for key in ("m", "mi", "xm", "ming", "zw", "zhang"):
        expected = [
            pk
            for pk, _n, pinyin, initials in sorted(rows, key=lambda r: (r[2], r[0]))
            if pinyin.startswith(key) or (2 <= len(key) <= 6 and initials.startswith(key))
        ]
        results = selectors.resident_search(COUNTY, q=key)
        results.cap = cap
        assert len(results) == len(expected), key
        assert [r.pk for r in results] == expected, key


@pytest.mark.parametrize(
    "criteria",
    [
        {"q": "张"},
        {"q": "zh", "status": "active"},
        {"region_code": "340223100001", "status": "moved_out"},
        {"age_min": 0, "age_max": 200},
    ],
)
@pytest.mark.parametrize("tags", [["living_alone"], ["living_alone", "dibao"]])
def test_tags_with_another_criterion_match_the_plain_query(tagged, tags, criteria):
    # given residents with random tags and statuses, searched by tags and another criterion
    results = selectors.resident_search(COUNTY, tags=tags, **criteria)
    found = {r.pk for r in results}
    # then the same residents as a plain query
    rows = Resident.objects.all()
    for tag in tags:
        rows = rows.filter(tags__tag=tag)
    if "status" in criteria:
        rows = rows.filter(status=criteria["status"])
    if "region_code" in criteria:
        rows = rows.filter(region_code__startswith=criteria["region_code"])
    if criteria.get("q") == "张":
        rows = rows.filter(name__contains="张")
    if criteria.get("q") == "zh":
        rows = rows.filter(name_pinyin__startswith="zh") | rows.filter(
            name_initials__startswith="zh"
        )
    expected = set(rows.values_list("id", flat=True))
    assert expected
    assert found == expected
    assert len(results) == len(expected)


@pytest.fixture
def listed(grid_a, grid_b):
    """60 residents in two grids with ID numbers, phones and tags (one with a disability)."""
    rng = random.Random(21)
    for n in range(60):
        household = make_household(grid_a if n % 2 else grid_b, address=f"人民路{n}号")
        resident = make_resident(
            household,
            name=rng.choice(NAMES),
            birth_date=date(1930 + n, 1 + n % 12, 1 + n % 28),
            id_number=None,
            phone=f"138{n:08d}",
            tags=tuple(tag for tag in TAGS if rng.random() < 0.4),
        )
    resident.tags.create(
        tag="disability",
        disability_kind="physical",
        disability_grade=2,
        since=date(2020, 3, 4),
        region=resident.region,
        region_code=resident.region_code,
    )
    return resident


def _search_kinds(listed):
    return [
        {},
        {"status": "active"},
        {"q": "张"},
        {"q": "zs"},
        {"q": "zhang"},
        {"q": listed.id_number},
        {"q": listed.phone},
        {"tags": ["dibao"]},
        {"tags": ["dibao"], "status": "active"},
        {"tags": ["dibao"], "age_min": 60, "status": "active"},
        {"age_min": 60, "age_max": 80},
        {"region_code": listed.region_code},
    ]


def test_every_search_reads_a_page_and_its_count_in_two_statements(listed):
    # given residents with tags, masked PII, regions and households
    from linli.people.api import ResidentOut

    for params in _search_kinds(listed):
        # when a page is counted, loaded and turned into the API's list items and the page's
        # columns (gender, age, masks, household, region, tags)
        with CaptureQueriesContext(connection) as queries:
            results = selectors.resident_search(COUNTY, **params)
            assert len(results) > 0, params
            rows = results[:50]
            items = [ResidentOut.from_orm(row).dict() for row in rows]
            _ = [(r.get_gender_display(), r.get_status_display(), r.age) for r in rows]
        # then two statements answered it (ids and count, then the page with its tags)
        assert len(queries) <= 2, (params, [q["sql"][:80] for q in queries.captured_queries])
        # and each item is what the resident's own row, region, household and tags say
        for item in items:
            resident = Resident.objects.select_related("region", "household").get(pk=item["id"])
            expected = ResidentOut.from_orm(resident).dict()
            assert item == expected, params


def test_households_read_a_page_with_member_counts_in_two_statements(listed):
    from linli.people.api import HouseholdOut

    for q in ("", "人民", "人民路1"):
        with CaptureQueriesContext(connection) as queries:
            results = selectors.household_list(COUNTY, q=q)
            items = [HouseholdOut.from_orm(row).dict() for row in results[:50]]
        assert len(queries) <= 2, q
        assert len(items) == min(50, len(_households_plain(q)))
        for item in items:
            household = Household.objects.get(pk=item["id"])
            expected = HouseholdOut.from_orm(household).dict()
            expected["member_count"] = household.members.filter(status="active").count()
            assert item == expected, q


@pytest.mark.parametrize("status", [None, "active", "moved_out"])
def test_a_town_list_without_criteria_is_the_town_plain_list(tagged, town_a, status):
    # given residents in several regions; a town's scope is a range of the list's index
    town = Scope(prefixes=(town_a.code[:9],))
    rows = Resident.objects.filter(region_code__startswith=town_a.code[:9])
    if status:
        rows = rows.filter(status=status)
    expected = list(rows.order_by("region_code", "name", "id").values_list("id", flat=True))
    assert expected
    assert Resident.objects.exclude(region_code__startswith=town_a.code[:9]).exists()
    results = selectors.resident_search(town, status=status)
    results.cap = 7
    assert len(results) == len(expected)
    assert [r.pk for r in results] == expected
