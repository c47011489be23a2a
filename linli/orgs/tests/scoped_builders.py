from itertools import count

from linli.core.testing import ScopedBuilder
from linli.orgs.models import Membership, Organisation
from linli.regions.models import Region

_serial = count(1)


def _department(town: Region) -> tuple[Organisation, str]:
    # A department at the town: it shows in the organisation list and in /departments.
    name = f"测试部门{next(_serial)}"
    return Organisation.objects.create(region=town, name=name, kind="department"), name


def _department_payload(town: Region) -> dict:
    return {"region_code": town.code, "name": f"新部门{next(_serial)}", "kind": "department"}


def _member(town: Region) -> tuple[Membership, str]:
    org, _ = _department(town)
    name = f"测试成员{next(_serial)}"
    return Membership.objects.create(organisation=org, region=town, name=name), name


def _member_payload(town: Region) -> dict:
    org, _ = _department(town)
    return {"organisation_id": org.pk, "name": f"新成员{next(_serial)}"}


BUILDERS = {
    Organisation: ScopedBuilder(make=_department, create_payload=_department_payload),
    Membership: ScopedBuilder(make=_member, create_payload=_member_payload),
}
