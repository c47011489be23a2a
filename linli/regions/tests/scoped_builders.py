from itertools import count

from linli.core.testing import ScopedBuilder
from linli.regions.models import Building, Region
from linli.regions.tests.factories import make_community

_serial = count(500)


def _community(town: Region) -> tuple[Region, str]:
    n = next(_serial)
    region = Region.objects.create(
        code=f"{town.code[:9]}{n:03d}",
        name=f"测试社区{n}",
        level="community",
        parent=town,
        urban_rural_code="220",
    )
    return region, region.name


def _community_payload(town: Region) -> dict:
    n = next(_serial)
    return {
        "code": f"{town.code[:9]}{n:03d}",
        "name": f"新建村{n}",
        "level": "community",
        "parent_code": town.code,
        "urban_rural_code": "220",
    }


BUILDERS = {Region: ScopedBuilder(make=_community, create_payload=_community_payload)}


# --- buildings ------------------------------------------------------------------------------


def _building(town: Region) -> tuple[Building, str]:
    marker = f"范围楼栋路{next(_serial)}号"
    building = Building.objects.create(region=make_community(town), name="1栋", address=marker)
    return building, marker


def _building_payload(town: Region) -> dict:
    return {
        "region_code": make_community(town).code,
        "name": "2栋",
        "address": f"新建楼栋路{next(_serial)}号",
    }


BUILDERS[Building] = ScopedBuilder(make=_building, create_payload=_building_payload)
