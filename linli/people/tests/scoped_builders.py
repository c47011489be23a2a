from datetime import date
from itertools import count

from linli.accounts.tests.factories import UserFactory
from linli.core.models import PiiReveal
from linli.core.testing import ScopedBuilder
from linli.people.models import Household, Resident, ResidentMove, ResidentTag
from linli.people.tests.factories import make_household, make_resident
from linli.regions.tests.factories import make_community

_serial = count(1)


def _household(town) -> tuple[Household, str]:
    marker = f"范围测试路{next(_serial)}号"
    return make_household(make_community(town), address=marker), marker


def _household_payload(town) -> dict:
    return {
        "region_code": make_community(town).code,
        "number": f"P{next(_serial)}",
        "address": f"新建路{next(_serial)}号",
    }


def _resident(town) -> tuple[Resident, str]:
    household, _ = _household(town)
    marker = f"范围居民{next(_serial)}"
    return make_resident(household, name=marker), marker


def _resident_payload(town) -> dict:
    household, _ = _household(town)
    return {
        "household_id": household.pk,
        "name": "新居民",
        "gender": "F",
        "birth_date": "1985-03-02",
    }


def _tag(town) -> tuple[ResidentTag, str]:
    resident, marker = _resident(town)
    return ResidentTag.objects.create(
        resident=resident, region=resident.region, tag="veteran"
    ), marker


def _move(town) -> tuple[ResidentMove, str]:
    resident, marker = _resident(town)
    target, _ = _household(town)
    move = ResidentMove.objects.create(
        resident=resident,
        region=target.region,
        from_household=resident.household,
        to_household=target,
        from_region_code=resident.region_code,
        moved_on=date(2024, 1, 1),
    )
    return move, marker


def _reveal(town) -> tuple[PiiReveal, str]:
    resident, marker = _resident(town)
    actor = UserFactory(username=f"reveal_actor_{next(_serial)}")
    reveal = PiiReveal.objects.create(
        actor=actor,
        actor_label=str(actor),
        model_label="people.Resident",
        object_pk=str(resident.pk),
        object_repr=marker,
        field_name="phone",
        reason="核实联系方式",
        region_code=resident.region_code,
    )
    return reveal, marker


BUILDERS = {
    Household: ScopedBuilder(make=_household, create_payload=_household_payload),
    Resident: ScopedBuilder(make=_resident, create_payload=_resident_payload),
    ResidentTag: ScopedBuilder(make=_tag),
    ResidentMove: ScopedBuilder(make=_move),
    PiiReveal: ScopedBuilder(make=_reveal),
}
