"""The demo registry at small scale: deterministic, valid, realistic, and mixed on the plan's
targets. One module-wide pair of builds (about 3 s each) serves every test here."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date

import pytest
from django.core.management import call_command
from django.db import transaction
from django.utils import timezone

from linli.accounts.models import User
from linli.core.pii import blind_index, id_number_error
from linli.demo.accounts import build_demo_accounts
from linli.demo.registry import (
    DEMO_RESIDENT_PHONE,
    RegistrySummary,
    build_demo_registry,
    registry_checksum,
)
from linli.facilities.models import Facility
from linli.orgs.models import Organisation
from linli.people.models import Household, Resident, ResidentTag
from linli.regions.demo import build_demo_regions
from linli.regions.models import Region
from linli.workforce.models import Certificate, Position, Worker


@dataclass
class Built:
    first: RegistrySummary
    second: RegistrySummary
    first_checksum: str
    second_checksum: str
    today: date


@pytest.fixture(scope="module")
def built(django_db_setup, django_db_blocker):
    """Build twice, each time into an empty database; keep the second build for the tests."""
    today = timezone.localdate()
    with django_db_blocker.unblock():
        with transaction.atomic():
            build_demo_regions()
            first = build_demo_registry(scale="small", today=today)
            first_checksum = registry_checksum()
            transaction.set_rollback(True)
        with transaction.atomic():
            build_demo_regions()
            second = build_demo_registry(scale="small", today=today)
            build_demo_accounts()
            second_checksum = registry_checksum()
            yield Built(first, second, first_checksum, second_checksum, today)
            transaction.set_rollback(True)


def _years_before(day: date, years: int) -> date:
    return day.replace(year=day.year - years, day=min(day.day, 28))


@pytest.mark.django_db
def test_two_builds_from_one_seed_are_identical(built):
    assert built.first.created and built.second.created
    assert built.first.residents == built.second.residents > 5000
    assert built.first.households == built.second.households > 2000
    assert built.first_checksum == built.second_checksum
    assert Resident.objects.count() == built.second.residents


@pytest.mark.django_db
def test_a_second_call_changes_nothing(built):
    again = build_demo_registry(scale="small")

    assert not again.created
    assert Resident.objects.count() == built.second.residents


@pytest.mark.django_db
def test_every_id_number_is_valid_unique_and_matches_the_person(built):
    people = list(Resident.objects.only("id_number", "birth_date", "gender", "residence_type"))

    numbers = [p.id_number for p in people]
    assert len(set(numbers)) == len(numbers)
    for person in people:
        assert id_number_error(person.id_number) is None
        assert person.id_number[6:14] == f"{person.birth_date:%Y%m%d}"
        assert int(person.id_number[16]) % 2 == (1 if person.gender == "M" else 0)
        if person.residence_type == "registered":
            assert person.id_number.startswith("340223")
    assert sum(p.residence_type != "registered" for p in people) > 0.03 * len(people)


@pytest.mark.django_db
def test_the_age_structure_is_that_of_an_ageing_county(built):
    day = built.today
    everyone = Resident.objects.all()
    total = everyone.count()

    def share(queryset) -> float:
        return queryset.count() / total

    assert 0.22 <= share(everyone.filter(birth_date__lte=_years_before(day, 60))) <= 0.28
    assert 0.13 <= share(everyone.filter(birth_date__lte=_years_before(day, 65))) <= 0.19
    assert 0.15 <= share(everyone.filter(birth_date__gt=_years_before(day, 18))) <= 0.21
    assert 0.47 <= share(everyone.filter(gender="M")) <= 0.53
    # villages are older than the county seat
    old = everyone.filter(birth_date__lte=_years_before(day, 60))
    seat = "340223100"
    village = everyone.exclude(region_code__startswith=seat)
    assert old.exclude(region_code__startswith=seat).count() / village.count() > (
        old.filter(region_code__startswith=seat).count()
        / everyone.filter(region_code__startswith=seat).count()
    )


@pytest.mark.django_db
def test_households_have_one_head_an_address_and_unique_numbers(built):
    heads = Counter(Resident.objects.filter(relation="head").values_list("household_id", flat=True))
    households = list(Household.objects.select_related("head", "region__parent__parent"))

    assert all(heads[h.pk] == 1 and h.head.relation == "head" for h in households)
    assert all(h.head.household_id == h.pk for h in households)
    for household in households[:300]:
        community = household.region.parent
        assert household.address.startswith(f"{community.parent.name}{community.name}")
        assert household.region_code == household.region.code
    numbers = [(h.region.parent_id, h.number) for h in households]
    assert len(set(numbers)) == len(numbers)
    assert Household.objects.filter(address__contains="单元").exists()
    assert Household.objects.filter(address__regex=r"组\d+号$").exists()


@pytest.mark.django_db
def test_tags_fit_the_people_who_carry_them(built):
    day = built.today
    alone = ResidentTag.objects.filter(tag="living_alone").select_related("resident")
    assert alone.count() > 100
    for tag in alone[:200]:
        assert tag.resident.household.members.count() == 1
        assert tag.resident.birth_date <= _years_before(day, 60)
    for tag in ResidentTag.objects.filter(tag="advanced_age").select_related("resident")[:200]:
        assert tag.resident.birth_date <= _years_before(day, 80)
    disabled = ResidentTag.objects.filter(tag="disability")
    assert disabled.exists()
    assert not disabled.filter(disability_grade__isnull=True).exists()
    assert not disabled.filter(disability_kind="").exists()
    assert ResidentTag.objects.filter(tag="left_behind_child").exists()
    for tag in ("elderly_difficulty", "dibao", "party_member", "veteran", "empty_nest"):
        assert ResidentTag.objects.filter(tag=tag).exists(), tag
    assert not ResidentTag.objects.exclude(region_code__startswith="340223").exists()


def _communities() -> tuple[set[str], set[str]]:
    communities = Region.objects.filter(level="community")
    urban = set(communities.filter(urban_rural_code__startswith="1").values_list("code", flat=True))
    rural = set(communities.filter(urban_rural_code__startswith="2").values_list("code", flat=True))
    return urban, rural


def _coverage(type_code: str, codes: set[str]) -> float:
    having = {
        code[:12]
        for code in Facility.objects.filter(type__code=type_code, status="operating").values_list(
            "region_code", flat=True
        )
    }
    return len(having & codes) / len(codes)


@pytest.mark.django_db
def test_the_plans_targets_are_met_by_some_communities_and_not_others(built):
    urban, rural = _communities()
    regular = Counter(
        code[:12]
        for code in Organisation.objects.filter(
            kind__in=("social", "volunteer_team"), is_regular_service=True
        ).values_list("region_code", flat=True)
    )
    # 专栏2: ≥ 12 regularly serving organisations per urban community, ≥ 6 rural
    assert 0 < sum(regular[c] >= 12 for c in urban) < len(urban)
    assert 0 < sum(regular[c] >= 6 for c in rural) < len(rural)
    assert Organisation.objects.filter(is_brand=True).count() >= 5
    # volunteer stations: target 80 %, some way to go
    assert 0.6 < _coverage("volunteer_station", urban | rural) < 0.95
    assert 0.75 < _coverage("elderly_station", urban | rural) < 1
    assert 0.85 < _coverage("shelter", rural) < 1
    # towns: social work stations in 8 of 10, minors' protection stations in 4 of 10
    town_stations = lambda t: set(  # noqa: E731
        Facility.objects.filter(type__code=t, status="operating", region__level="town").values_list(
            "region_code", flat=True
        )
    )
    assert len(town_stations("social_work_station")) == 8
    assert len(town_stations("minor_protection_station")) == 4


@pytest.mark.django_db
def test_service_centre_area_and_worker_density_are_mixed(built):
    urban, _rural = _communities()
    regions = {r.code: r for r in Region.objects.filter(code__in=urban)}
    area = dict(
        Facility.objects.filter(type__code="party_service_center").values_list(
            "region_code", "building_area_m2"
        )
    )
    per_100 = [float(area[c]) / regions[c].households * 100 for c in urban]
    assert 0 < sum(a >= 30 for a in per_100) < len(urban)
    core = Counter(
        code
        for code, _worker in Position.objects.filter(
            kind__in=("secretary", "director", "committee", "full_time")
        )
        .values_list("region__code", "worker_id")
        .distinct()
    )
    meets = [core[c] * 10_000 >= 18 * regions[c].population for c in urban]
    assert 0 < sum(meets) < len(urban)
    certified = Counter(Certificate.objects.values_list("region_code", flat=True))
    assert 0 < sum(certified[c] >= 3 for c in urban) < len(urban)


@pytest.mark.django_db
def test_every_community_has_leaders_and_every_grid_a_grid_worker(built):
    communities = Region.objects.filter(level="community")
    secretaries = set(
        Position.objects.filter(kind="secretary").values_list("region_code", flat=True)
    )
    assert secretaries == set(communities.values_list("code", flat=True))
    grids = set(Region.objects.filter(level="grid").values_list("code", flat=True))
    assert (
        set(Position.objects.filter(kind="grid_worker").values_list("region_code", flat=True))
        == grids
    )
    one_shoulder = Position.objects.filter(kind="director", worker__positions__kind="secretary")
    assert 0.45 < one_shoulder.count() / communities.count() < 0.75
    linked = Worker.objects.filter(resident__isnull=False).select_related("resident")
    assert linked.exists()
    assert all(w.name == w.resident.name for w in linked[:100])


@pytest.mark.django_db
def test_the_demo_resident_lives_in_lingyang_and_names_the_account(built):
    resident = Resident.objects.get(phone_hash=blind_index(DEMO_RESIDENT_PHONE))

    assert resident.region.parent.name == "陵阳社区"
    assert resident.relation == "head" and resident.id_number.startswith("340223")
    assert User.objects.get(username="resident").display_name == resident.name


@pytest.mark.django_db
def test_the_command_skips_when_asked_and_data_exists(built, capsys):
    call_command("demo", "--if-empty")

    assert "跳过" in capsys.readouterr().out
    assert Resident.objects.count() == built.second.residents
