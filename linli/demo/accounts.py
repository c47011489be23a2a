"""Demo accounts: one per role, at regions of the demo county, all with one known password."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction

from linli.accounts.models import Role, RoleAssignment, User
from linli.core.pii import blind_index
from linli.people.models import Resident
from linli.regions.models import Region

DEMO_PASSWORD = "linli-demo-2026"


@dataclass(frozen=True)
class DemoAccount:
    username: str
    display_name: str
    role: str
    region_name: str
    phone: str = ""
    department: str = ""


DEMO_ACCOUNTS = (
    DemoAccount("admin", "县民政局管理员", Role.COUNTY_ADMIN, "南陵县"),
    DemoAccount("leader", "县领导", Role.LEADER, "南陵县"),
    DemoAccount("jishan", "籍山镇工作人员", Role.TOWN_STAFF, "籍山镇"),
    DemoAccount("sanli", "三里镇工作人员", Role.TOWN_STAFF, "三里镇"),
    DemoAccount("lingyang", "陵阳社区工作者", Role.COMMUNITY_WORKER, "陵阳社区"),
    DemoAccount("grid", "陵阳社区网格员", Role.GRID_WORKER, "陵阳社区第1网格"),
    DemoAccount(
        "chengguan", "县城管局处置员", Role.DEPARTMENT_HANDLER, "南陵县", department="城管"
    ),
    # The registry (linli/demo/registry.py) has a resident of 陵阳社区 with this phone.
    DemoAccount("resident", "陵阳社区居民", Role.RESIDENT, "陵阳社区", phone="13800000001"),
)


def _display_name(spec: DemoAccount, region: Region) -> str:
    """A resident account takes the name of the registry's resident with its phone."""
    if spec.role != Role.RESIDENT or not spec.phone:
        return spec.display_name
    resident = (
        Resident.objects.filter(
            phone_hash=blind_index(spec.phone), region_code__startswith=region.code
        )
        .order_by("pk")
        .first()
    )
    return resident.name if resident else spec.display_name


@transaction.atomic
def build_demo_accounts() -> list[DemoAccount]:
    """Create the demo accounts if missing (idempotent); returns them for printing."""
    for spec in DEMO_ACCOUNTS:
        region = Region.objects.get(name=spec.region_name)
        user, created = User.objects.get_or_create(
            username=spec.username,
            defaults={
                "display_name": _display_name(spec, region),
                "phone": spec.phone,
                "phone_hash": blind_index(spec.phone),
                "is_staff": spec.role in (Role.COUNTY_ADMIN, Role.TOWN_STAFF),
            },
        )
        if created:
            if spec.role == Role.RESIDENT:
                user.set_unusable_password()
            else:
                user.set_password(DEMO_PASSWORD)
            user.save()
        RoleAssignment.objects.get_or_create(
            user=user,
            role=spec.role,
            region=region,
            defaults={"region_code": region.code, "department": spec.department},
        )
    return list(DEMO_ACCOUNTS)
