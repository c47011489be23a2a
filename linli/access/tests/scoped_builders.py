from linli.access.models import Coverage, LifeCircle
from linli.core.testing import ScopedBuilder
from linli.regions.models import Region
from linli.regions.tests.factories import make_community


def _coverage(town: Region) -> tuple[Coverage, str]:
    community = make_community(town)
    circle = LifeCircle.objects.first() or LifeCircle.objects.create(
        code="life-15",
        name="15分钟综合生活服务圈",
        measure_code="pop_within_15min",
        minutes=15,
        distance_m=1000,
    )
    row = Coverage.objects.create(
        region=community, circle=circle, threshold_m=1000, population=10, population_within=7
    )
    return row, community.code


BUILDERS = {Coverage: ScopedBuilder(make=_coverage)}
