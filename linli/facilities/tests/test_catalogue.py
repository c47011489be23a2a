"""The default facility-type catalogue and its data migration."""

import pytest

from linli.facilities.catalogue import DEFAULT_TYPES, ensure_default_types
from linli.facilities.models import FacilityType

REQUIRED_CODES = {
    "party_service_center",
    "one_stop_hall",
    "elderly_station",
    "day_care",
    "meal_point",
    "clinic",
    "health_center",
    "nursery",
    "kindergarten",
    "primary_school",
    "middle_school",
    "police_room",
    "micro_fire_station",
    "shelter",
    "volunteer_station",
    "civilization_station",
    "social_work_station",
    "minor_protection_station",
    "child_home",
    "culture_room",
    "fitness_ground",
    "sports_hall",
    "market",
    "convenience_shop",
    "express_point",
    "recycling_point",
    "waste_point",
}


def test_the_catalogue_has_every_required_code_once_with_unique_names():
    codes = [t.code for t in DEFAULT_TYPES]
    assert set(codes) >= REQUIRED_CODES
    assert len(codes) == len(set(codes))
    assert len({t.name for t in DEFAULT_TYPES}) == len(DEFAULT_TYPES)


def test_life_circle_defaults_follow_design_section_8():
    by_code = {t.code: t for t in DEFAULT_TYPES}
    assert (by_code["kindergarten"].life_circle, by_code["kindergarten"].walk_threshold_m) == (
        "5",
        300,
    )
    assert (by_code["primary_school"].life_circle, by_code["primary_school"].walk_threshold_m) == (
        "10",
        500,
    )
    assert (by_code["middle_school"].life_circle, by_code["middle_school"].walk_threshold_m) == (
        "15",
        1000,
    )
    assert by_code["health_center"].walk_threshold_m == 1000
    assert by_code["shelter"].walk_threshold_m is None


@pytest.mark.django_db
def test_the_migration_seeded_the_catalogue():
    # the test database is built by the migrations
    assert set(FacilityType.objects.values_list("code", flat=True)) >= REQUIRED_CODES


@pytest.mark.django_db
def test_ensure_default_types_keeps_a_countys_edits():
    # given a county that renamed one type and removed another
    FacilityType.objects.filter(code="shelter").delete()
    FacilityType.objects.filter(code="market").update(name="菜市场", walk_threshold_m=800)
    # when the defaults are ensured again
    created = ensure_default_types(FacilityType)
    # then only the missing one comes back, and the edit stands
    assert created == 1
    market = FacilityType.objects.get(code="market")
    assert (market.name, market.walk_threshold_m) == ("菜市场", 800)
    assert FacilityType.objects.filter(code="shelter").exists()
