from datetime import date

import pytest
from django.utils import timezone
from hypothesis import given, settings
from hypothesis import strategies as st

from linli.core.scoping import Scope
from linli.people import selectors
from linli.people.models import Resident
from linli.people.tests.factories import id_number_for, make_household, make_resident

pytestmark = pytest.mark.django_db

COUNTY = Scope(prefixes=("340223",))


@pytest.fixture
def people(grid_a, community_b):
    """Residents in two towns: names, pinyin, IDs, phones, tags and ages to search by."""
    home = make_household(grid_a, number="A1", address="陵阳路1号")
    away = make_household(community_b, number="B1", address="澄桥村3组")
    today = timezone.localdate()
    return {
        "zhangsan": make_resident(
            home,
            name="张三",
            id_number=None,
            phone="13800000001",
            birth_date=date(1950, 1, 2),
            tags=("living_alone", "veteran"),
        ),
        "zhangsanfeng": make_resident(home, name="张三丰", birth_date=date(1940, 6, 1)),
        "lisi": make_resident(
            home, name="李四", phone="13800000002", birth_date=today.replace(year=today.year - 30)
        ),
        "wangming": make_resident(
            away, name="王明", tags=("living_alone",), birth_date=date(1985, 1, 1)
        ),
        "gone": make_resident(
            home, name="张小", status=Resident.Status.MOVED_OUT, birth_date=date(2000, 1, 1)
        ),
    }


def _names(results) -> list[str]:
    return [r.name for r in results[:100]]


def test_a_chinese_fragment_matches_names_containing_it(people):
    assert _names(selectors.resident_search(COUNTY, q="三")) == ["张三", "张三丰"]
    assert _names(selectors.resident_search(COUNTY, q="明")) == ["王明"]


def test_name_contains_finds_every_position(grid_a):
    # given names of 2, 3 and 4+ characters
    household = make_household(grid_a)
    for name in ("明", "李明", "李小明", "欧阳明华", "阿卜杜·明", "张三"):
        make_resident(household, name=name)
    # then a fragment is found wherever it stands, each name once
    assert sorted(_names(selectors.resident_search(COUNTY, q="明"))) == sorted(
        ["明", "李明", "李小明", "欧阳明华", "阿卜杜·明"]
    )
    assert _names(selectors.resident_search(COUNTY, q="小明")) == ["李小明"]
    assert _names(selectors.resident_search(COUNTY, q="明华")) == ["欧阳明华"]
    assert _names(selectors.resident_search(COUNTY, q="欧阳")) == ["欧阳明华"]
    assert _names(selectors.resident_search(COUNTY, q="三四")) == []


def test_pinyin_matches_a_prefix_of_the_full_pinyin_or_of_the_initials(people):
    assert _names(selectors.resident_search(COUNTY, q="zhangsan")) == ["张三", "张三丰"]
    assert _names(selectors.resident_search(COUNTY, q="ZhangSanF")) == ["张三丰"]
    assert _names(selectors.resident_search(COUNTY, q="zs")) == ["张三", "张三丰"]
    assert _names(selectors.resident_search(COUNTY, q="zsf")) == ["张三丰"]
    assert _names(selectors.resident_search(COUNTY, q="ls")) == ["李四"]
    # a prefix, not a fragment
    assert _names(selectors.resident_search(COUNTY, q="san")) == []


def test_an_id_number_or_phone_is_an_exact_blind_index_match(people):
    zhang = people["zhangsan"]
    assert _names(selectors.resident_search(COUNTY, q=zhang.id_number)) == ["张三"]
    assert _names(selectors.resident_search(COUNTY, q=zhang.id_number.lower())) == ["张三"]
    assert _names(selectors.resident_search(COUNTY, q="138 0000 0002")) == ["李四"]
    assert _names(selectors.resident_search(COUNTY, q="+8613800000002")) == ["李四"]
    assert _names(selectors.resident_search(COUNTY, q="13800000009")) == []
    assert selectors.query_kind(zhang.id_number) == "id_number"
    assert selectors.looks_like_pii("13800000002")
    assert not selectors.looks_like_pii("张三")


def test_tags_must_all_match(people):
    assert _names(selectors.resident_search(COUNTY, tags=["living_alone"])) == ["张三", "王明"]
    assert _names(selectors.resident_search(COUNTY, tags=["living_alone", "veteran"])) == ["张三"]
    # with another criterion the tags are probed per row instead: same answers
    assert _names(selectors.resident_search(COUNTY, tags=["living_alone"], q="zs")) == ["张三"]
    assert _names(
        selectors.resident_search(COUNTY, tags=["living_alone"], region_code="340223106")
    ) == ["王明"]
    assert _names(selectors.resident_search(COUNTY, tags=["living_alone"], age_max=60)) == ["王明"]


def test_a_town_scope_reads_only_its_tagged_residents(people, town_a):
    town = Scope(prefixes=(town_a.code[:9],))
    assert _names(selectors.resident_search(town, tags=["living_alone"])) == ["张三"]


def test_age_range_is_inclusive_and_computed_from_today(people):
    names = _names(selectors.resident_search(COUNTY, age_min=30, age_max=30))
    assert names == ["李四"]  # born exactly 30 years ago today
    assert _names(selectors.resident_search(COUNTY, age_min=80)) == ["张三丰"]  # oldest first
    assert "张三丰" not in _names(selectors.resident_search(COUNTY, age_max=79))


@settings(max_examples=40, deadline=None)
@given(
    birth=st.dates(min_value=date(1920, 1, 1), max_value=date(2024, 12, 31)),
    low=st.integers(0, 100),
    span=st.integers(0, 30),
)
def test_birth_date_bounds_agree_with_the_age(birth, low, span):
    # given any birth date and age range, the date bounds select exactly the right ages
    today = date(2024, 2, 29)  # a leap day, the hardest case
    earliest, latest = selectors.birth_date_bounds(low, low + span, today)
    age = today.year - birth.year - ((today.month, today.day) < (birth.month, birth.day))
    inside = (birth <= latest) and (birth > earliest)
    assert inside == (low <= age <= low + span)


def test_region_prefix_and_status_and_household(people, grid_a, community_b):
    assert _names(selectors.resident_search(COUNTY, region_code=community_b.code)) == ["王明"]
    assert "张小" not in _names(selectors.resident_search(COUNTY, status="active"))
    assert _names(selectors.resident_search(COUNTY, status="moved_out")) == ["张小"]
    household = people["lisi"].household
    assert len(selectors.resident_search(COUNTY, household=household.pk)) == 4


def test_the_scope_hides_other_towns(people, town_a):
    town = Scope(prefixes=(town_a.code[:9],))
    assert "王明" not in _names(selectors.resident_search(town))
    assert _names(selectors.resident_search(town, q="王明")) == []
    assert _names(selectors.resident_search(town, q=people["wangming"].id_number or "x")) == []


def test_results_page_with_a_fixed_number_of_queries(grid_a, django_assert_max_num_queries):
    # given 60 residents with tags
    household = make_household(grid_a)
    for n in range(60):
        make_resident(
            household, name=f"居民{n:02d}", tags=("veteran",), birth_date=date(1950, 1, 1 + n % 28)
        )
    # when a page of 50 is counted, loaded and rendered (region, household, tags, masks)
    with django_assert_max_num_queries(4):
        results = selectors.resident_search(COUNTY, tags=["veteran"])
        assert len(results) == 60
        rows = results[:50]
        for row in rows:
            _ = (
                row.region.name,
                row.household.number,
                [t.tag for t in row.tags.all()],
                row.phone_masked,
            )
    assert len(rows) == 50


def test_pages_past_the_cap_and_counts_stay_exact(grid_a):
    # given more matches than the id cap
    household = make_household(grid_a)
    for n in range(25):
        make_resident(household, name=f"居民{n:02d}", birth_date=date(1980, 1, 1))
    results = selectors.resident_search(COUNTY, q="居民")
    results.cap = 10
    # then the count is exact (a COUNT query), and pages before and after the cap are right
    assert len(results) == 25
    assert [r.name for r in results[0:5]] == [f"居民{n:02d}" for n in range(5)]
    assert [r.name for r in results[20:25]] == [f"居民{n:02d}" for n in range(20, 25)]
    assert [r.name for r in results] == [f"居民{n:02d}" for n in range(25)]
    assert results[3].name == "居民03"


def test_merged_pinyin_and_initials_branches_count_each_row_once(grid_a):
    household = make_household(grid_a)
    # 'zz' is the initials of 张志 and … no pinyin starts with zz; 'zh' matches both ways
    make_resident(household, name="张志")  # zhangzhi / zz
    make_resident(household, name="赵华")  # zhaohua / zh
    make_resident(household, name="朱红")  # zhuhong / zh
    results = selectors.resident_search(COUNTY, q="zh")
    results.cap = 1
    assert len(results) == 3
    assert [r.name for r in results[0:3]] == ["张志", "赵华", "朱红"]


def test_households_by_address_with_member_counts(
    grid_a, community_b, django_assert_max_num_queries
):
    home = make_household(grid_a, number="A1", address="陵阳路1号")
    make_resident(home, name="甲")
    make_resident(home, name="乙", status=Resident.Status.DECEASED)
    make_household(community_b, number="B1", address="陵阳路2号")
    with django_assert_max_num_queries(3):
        results = selectors.household_list(Scope(prefixes=("340223100",)), q="陵阳路")
        rows = results[:50]
        assert [(h.number, h.member_count, h.region.name) for h in rows] == [("A1", 1, grid_a.name)]
    assert len(selectors.household_list(COUNTY, q="A")) == 1  # number prefix


def test_grid_overview_lists_the_grid_households_with_members(
    grid_a, people, django_assert_max_num_queries
):
    grid_scope = Scope(prefixes=(grid_a.code,))
    for n in range(10):
        make_resident(make_household(grid_a), name=f"邻居{n}", tags=("dibao",))
    with django_assert_max_num_queries(6):
        overview = selectors.grid_overview(grid_scope)
        tags = [t.tag for h in overview.households for m in h.active_members for t in m.tags.all()]
    assert tags.count("dibao") == 10
    overview = selectors.grid_overview(grid_scope, q="陵阳路")
    assert [g.code for g in overview.regions] == [grid_a.code]
    assert [h.number for h in overview.households] == ["A1"]
    assert {m.name for m in overview.households[0].active_members} == {"张三", "张三丰", "李四"}
    assert overview.resident_count == 13
    assert ("living_alone", "独居", 1) in overview.tag_counts


def test_id_numbers_from_the_factory_are_valid():
    from linli.core.pii import id_number_error

    assert id_number_error(id_number_for(date(1999, 12, 31), "F")) is None
