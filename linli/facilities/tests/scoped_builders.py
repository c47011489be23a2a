from itertools import count

from linli.core.testing import ScopedBuilder
from linli.facilities.models import Facility
from linli.facilities.tests.factories import facility_type
from linli.regions.models import Region

_serial = count(1)


def _facility(town: Region) -> tuple[Facility, str]:
    # Located, so that it also shows in the GeoJSON layer.
    name = f"测试设施{next(_serial)}"
    facility = Facility.objects.create(
        region=town, type=facility_type("social_work_station"), name=name, lng=118.33, lat=30.92
    )
    return facility, name


def _facility_payload(town: Region) -> dict:
    facility_type("social_work_station")
    return {
        "region_code": town.code,
        "type_code": "social_work_station",
        "name": f"新设施{next(_serial)}",
    }


BUILDERS = {Facility: ScopedBuilder(make=_facility, create_payload=_facility_payload)}
