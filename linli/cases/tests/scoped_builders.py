from itertools import count

from linli.cases import selectors, services
from linli.cases.models import Case
from linli.core.testing import ScopedBuilder
from linli.regions.models import Region

_serial = count(1)


def _community(town: Region) -> Region:
    community = Region.objects.filter(parent=town, level="community").order_by("code").first()
    if community is None:
        community = Region.objects.create(
            code=f"{town.code[:9]}9{next(_serial) % 100:02d}",
            name=f"案件测试社区{town.code[6:9]}",
            level="community",
            parent=town,
            urban_rural_code="220",
        )
    return community


def _ready() -> None:
    # Scoping tests flush the database between tests: reload the catalogue, drop the caches.
    services.category_catalogue_load()
    selectors.region_cache_reset()


def _case(town: Region) -> tuple[Case, str]:
    _ready()
    marker = f"案件标记{next(_serial)}号问题"
    case = Case.objects.create(
        region=_community(town),
        category=selectors.category_by_code("env"),
        source="hotline",
        description=marker,
        reporter_name="测试",
    )
    return case, marker


def _case_payload(town: Region) -> dict:
    _ready()
    return {
        "category_code": "env",
        "description": f"接口上报的问题{next(_serial)}",
        "region_code": _community(town).code,
    }


BUILDERS = {Case: ScopedBuilder(make=_case, create_payload=_case_payload)}
