import re

import pytest

from linli.regions.demo import COUNTY_CODE, build_demo_regions, demo_region_specs
from linli.regions.models import Region

FIELDS = (
    "code",
    "name",
    "level",
    "parent__code",
    "urban_rural_code",
    "center_lng",
    "center_lat",
    "population",
    "households",
    "is_illustrative",
)


@pytest.mark.django_db
def test_demo_builds_nanling_with_10_towns_and_172_communities():
    # when
    summary = build_demo_regions()

    # then
    assert summary.created
    county = Region.objects.get(code=COUNTY_CODE)
    assert (county.name, county.level, county.is_illustrative) == ("南陵县", "county", False)
    towns = Region.objects.filter(level="town")
    assert set(towns.values_list("name", flat=True)) == {
        "籍山镇", "弋江镇", "许镇镇", "家发镇", "工山镇",
        "三里镇", "何湾镇", "烟墩镇", "大浦试验区", "经济开发区",
    }  # fmt: skip
    assert (summary.towns, summary.communities) == (10, 172)
    assert Region.objects.filter(level="community").count() == 172
    assert summary.urban_communities > 20 and summary.rural_communities > 100
    assert 1000 <= summary.grids <= 1600
    assert 350_000 <= summary.population <= 450_000
    assert not Region.objects.exclude(code=COUNTY_CODE).filter(is_illustrative=False).exists()


@pytest.mark.django_db
def test_demo_has_the_communities_the_plan_names():
    build_demo_regions()

    def town_of(name: str) -> str:
        return Region.objects.get(level="community", name=name).parent.name

    assert town_of("陵阳社区") == "籍山镇"
    assert town_of("澄桥村") == "三里镇"
    assert town_of("霭里村") == "烟墩镇"
    assert town_of("万兴村") == "许镇镇"
    assert Region.objects.get(name="陵阳社区").is_urban
    assert Region.objects.get(name="澄桥村").kind_label == "村"


@pytest.mark.django_db
def test_demo_seat_is_mostly_urban_and_other_towns_mostly_rural():
    build_demo_regions()

    seat = Region.objects.get(name="籍山镇")
    seat_urban = seat.children.filter(urban_rural_code__startswith="1").count()
    assert seat_urban == max(
        t.children.filter(urban_rural_code__startswith="1").count()
        for t in Region.objects.filter(level="town")
    )
    for town in Region.objects.filter(level="town").exclude(name__in=["籍山镇", "经济开发区"]):
        rural = town.children.filter(urban_rural_code__startswith="2").count()
        assert rural > town.children.count() / 2
        assert town.children.filter(urban_rural_code__startswith="1").exists()


@pytest.mark.django_db
def test_demo_codes_are_well_formed_and_every_community_has_grids():
    build_demo_regions()

    for region in Region.objects.select_related("parent"):
        if region.level == "grid":
            assert re.fullmatch(r"\d{15}", region.code)
            assert region.code[:12] == region.parent.code
            assert region.name.startswith(region.parent.name + "第")
        else:
            assert re.fullmatch(r"340223\d{6}", region.code)
        if region.level == "town":
            assert region.code.endswith("000") and region.code[6:9] != "000"
        if region.level == "community":
            assert region.code[:9] == region.parent.code[:9]
            assert region.urban_rural_code in {"111", "112", "121", "210", "220"}
            low, high = (4, 12) if region.is_urban else (3, 8)
            assert low <= region.children.count() <= high
            assert 118.0 < region.center_lng < 118.6 and 30.6 < region.center_lat < 31.2


@pytest.mark.django_db
def test_demo_community_names_are_unique_within_each_town():
    build_demo_regions()

    pairs = list(Region.objects.filter(level="community").values_list("parent_id", "name"))
    assert len(pairs) == len(set(pairs))


@pytest.mark.django_db
def test_demo_is_deterministic():
    # given one build
    build_demo_regions()
    first = list(Region.objects.order_by("code").values(*FIELDS))

    # when built again from scratch
    Region.objects.filter(level="grid").delete()
    Region.objects.filter(level="community").delete()
    Region.objects.filter(level="town").delete()
    Region.objects.all().delete()
    build_demo_regions()

    # then
    assert list(Region.objects.order_by("code").values(*FIELDS)) == first
    assert demo_region_specs(seed=1) != demo_region_specs(seed=2)


@pytest.mark.django_db
def test_demo_is_idempotent():
    build_demo_regions()
    count = Region.objects.count()

    summary = build_demo_regions()

    assert not summary.created
    assert Region.objects.count() == count
    assert summary.communities == 172


@pytest.mark.django_db
def test_demo_grid_count_can_be_fixed():
    summary = build_demo_regions(grids_per_community=2)

    assert summary.grids == 344
    assert summary.communities == 172
