from itertools import count

from linli.core.testing import ScopedBuilder
from linli.indicators.models import Indicator, IndicatorValue
from linli.indicators.selectors import month_start
from linli.regions.models import Region

_serial = count(700)


def _value(town: Region) -> tuple[IndicatorValue, str]:
    """A community of `town` with a stored value; the community's name is the marker (live
    values list every visible region, stored ones show the region in the admin)."""
    n = next(_serial)
    community = Region.objects.create(
        code=f"{town.code[:9]}{n:03d}",
        name=f"指标测试社区{n}",
        level="community",
        parent=town,
        urban_rural_code="111",
    )
    indicator, _ = Indicator.objects.get_or_create(
        code="SCOPING_TEST",
        defaults={"name": "区划测试指标", "kind": "sum", "numerator": "communities"},
    )
    value = IndicatorValue.objects.create(
        indicator=indicator,
        region=community,
        period=month_start(),
        level="community",
        value=1,
        numerator=1,
        status="info",
    )
    return value, community.name


BUILDERS = {IndicatorValue: ScopedBuilder(make=_value)}
