"""Measures the workforce registry gives the evaluation engine (DESIGN.md §7, 专栏4, 专栏5).

Each `compute(region_codes)` answers {community code: value} for the given communities
(None: every community), zeros included. Counts use active (在岗) workers and posts held
today; a row at a grid counts for its community. Ratios come as numerator/denominator
pairs (`leaders_trained_3days_this_year` / `leaders_total`, `others_trained_2y` /
`others_total`) so that the engine can aggregate them as Σ/Σ. Definitions: ADR 0035 and
the docstring of `workforce.selectors`.
"""

from __future__ import annotations

from collections.abc import Callable

from linli.indicators.measures import Measure
from linli.regions.models import Region
from linli.workforce import selectors
from linli.workforce.selectors import K

Values = dict[str, float]


def _communities(region_codes: list[str] | None) -> list[str]:
    if region_codes is not None:
        return list(region_codes)
    return list(Region.objects.filter(level=Region.Level.COMMUNITY).values_list("code", flat=True))


def _fill(region_codes: list[str] | None, values: dict[str, float]) -> Values:
    result = dict.fromkeys(_communities(region_codes), 0.0)
    result.update(values)
    return result


def workers_total(region_codes: list[str] | None) -> Values:
    counts = selectors.workers_by_community(region_codes)
    return _fill(region_codes, {c: float(n) for c, n in counts.items()})


def certified_social_workers(region_codes: list[str] | None) -> Values:
    counts = selectors.certified_by_community(region_codes)
    return _fill(region_codes, {c: float(n) for c, n in counts.items()})


def _posts(kind: str, *, presence: bool) -> Callable[[list[str] | None], Values]:
    def compute(region_codes: list[str] | None) -> Values:
        holders = selectors.post_holders_by_community((kind,), region_codes)
        values = {c: float(k.get(kind, 0)) for c, k in holders.items()}
        if presence:
            values = {c: 1.0 if v > 0 else 0.0 for c, v in values.items()}
        return _fill(region_codes, values)

    compute.__name__ = f"{'has' if presence else 'count'}_{kind}"
    return compute


def one_shoulder(region_codes: list[str] | None) -> Values:
    both = selectors.one_shoulder_communities(region_codes)
    return _fill(region_codes, dict.fromkeys(both, 1.0))


def leaders_total(region_codes: list[str] | None) -> Values:
    coverage = selectors.leader_training_by_community(region_codes)
    return _fill(region_codes, {c: float(v.total) for c, v in coverage.items()})


def leaders_trained_3days_this_year(region_codes: list[str] | None) -> Values:
    coverage = selectors.leader_training_by_community(region_codes)
    return _fill(region_codes, {c: float(v.trained) for c, v in coverage.items()})


def others_total(region_codes: list[str] | None) -> Values:
    coverage = selectors.others_training_by_community(region_codes)
    return _fill(region_codes, {c: float(v.total) for c, v in coverage.items()})


def others_trained_2y(region_codes: list[str] | None) -> Values:
    coverage = selectors.others_training_by_community(region_codes)
    return _fill(region_codes, {c: float(v.trained) for c, v in coverage.items()})


def police_coverage(region_codes: list[str] | None) -> Values:
    regions = Region.objects.filter(level=Region.Level.COMMUNITY)
    if region_codes is not None:
        regions = regions.filter(code__in=region_codes)
    urban = dict(regions.values_list("code", "urban_rural_code"))
    holders = selectors.post_holders_by_community(
        (K.COMMUNITY_POLICE, K.AUXILIARY_POLICE), region_codes
    )
    codes = list(region_codes) if region_codes is not None else list(urban)
    return {
        code: 1.0
        if selectors.police_covered((urban.get(code) or "").startswith("1"), holders.get(code, {}))
        else 0.0
        for code in codes
    }


MEASURES = [
    Measure(
        code="workers_total",
        name="城乡社区工作者人数",
        unit="人",
        compute=workers_total,
        description="在岗、登记在社区或网格的工作者（仅任社区民警、辅警、法律顾问者除外）；"
        "WORKER_DENSITY 的分子",
    ),
    Measure(
        code="certified_social_workers",
        name="持证社会工作者人数",
        unit="人",
        compute=certified_social_workers,
        description="持有效的社会工作者职业资格证书或社会工作专业毕业证书的社区工作者（SW_CERT）",
    ),
    Measure(
        code="has_child_director",
        name="配备儿童主任",
        unit="是/否",
        compute=_posts(K.CHILD_DIRECTOR, presence=True),
        description="1：有在任的儿童主任（CHILD_DIRECTOR）",
    ),
    Measure(
        code="has_legal_advisor",
        name="配备法律顾问",
        unit="是/否",
        compute=_posts(K.LEGAL_ADVISOR, presence=True),
        description="1：有在任的法律顾问（LEGAL_ADVISOR）",
    ),
    Measure(
        code="disaster_officers",
        name="灾害信息员人数",
        unit="人",
        compute=_posts(K.DISASTER_OFFICER, presence=False),
        description="在任灾害信息员人数；≥1 即达到 DISASTER_INFO",
    ),
    Measure(
        code="one_shoulder",
        name="书记、主任“一肩挑”",
        unit="是/否",
        compute=one_shoulder,
        description="1：同一人同时在任社区党组织书记和居/村委会主任（ONE_SHOULDER）",
    ),
    Measure(
        code="leaders_total",
        name="书记、主任人数",
        unit="人",
        compute=leaders_total,
        description="在任党组织书记、居/村委会主任人数（一肩挑者计一人）；TRAIN_LEADER 的分母",
    ),
    Measure(
        code="leaders_trained_3days_this_year",
        name="本年集中轮训满3天的书记、主任人数",
        unit="人",
        compute=leaders_trained_3days_this_year,
        description="本年度集中轮训累计不少于3天的在任书记、主任（专栏4，TRAIN_LEADER 的分子）",
    ),
    Measure(
        code="others_total",
        name="其他社区工作者人数",
        unit="人",
        compute=others_total,
        description="不任书记、主任的城乡社区工作者；TRAIN_OTHER 的分母",
    ),
    Measure(
        code="others_trained_2y",
        name="近两年参加培训的其他社区工作者人数",
        unit="人",
        compute=others_trained_2y,
        description="近两年内参加过集训或轮训的其他社区工作者（专栏4，TRAIN_OTHER 的分子）",
    ),
    Measure(
        code="police_coverage",
        name="警力配备达标（一区一警两辅/一村一辅警）",
        unit="是/否",
        compute=police_coverage,
        description="1：城市社区有1名社区民警和2名辅警，农村社区有1名辅警（或民警）（POLICE）",
    ),
]
