"""Evaluation API: definitions, values and scorecards, scoped like everything else, so a city
or province platform can pull a county's figures (DESIGN §10)."""

from datetime import date
from typing import Any

from django.http import Http404
from ninja import Query, Router, Schema
from ninja.pagination import paginate

from linli.core.api import ERROR_RESPONSES, not_region_data, scoped_to
from linli.core.views_support import AuthedRequest
from linli.indicators import engine, presenters, selectors
from linli.indicators.models import Indicator, IndicatorValue
from linli.regions.models import Region

router = Router(tags=["评估体系 indicators"])


class TargetOut(Schema):
    operator: str
    value: float
    deadline: date
    source: str
    note: str


class IndicatorOut(Schema):
    code: str
    name: str
    short_name: str
    description: str
    category: str
    kind: str
    numerator: str
    denominator: str
    factor: float
    unit: str
    decimals: int
    applies_to: str
    judged_at: str
    unit_operator: str
    unit_threshold: float
    source: str
    is_active: bool
    data_available: bool
    targets: list[TargetOut]

    @staticmethod
    def resolve_data_available(obj: Indicator) -> bool:
        return all(selectors.measures.get(c) is not None for c in obj.measure_codes())

    @staticmethod
    def resolve_targets(obj: Indicator) -> list[Any]:
        return list(obj.targets.all())


class ValueOut(Schema):
    indicator: str
    indicator_name: str
    region_code: str
    region_name: str
    level: str
    period: str
    value: float | None
    numerator: float | None
    denominator: float | None
    units_met: int | None
    units_total: int | None
    unit: str
    target_operator: str | None
    target_value: float | None
    status: str
    status_label: str
    gap: float | None
    attainment: float | None
    value_text: str
    why: str


class ValueFilter(Schema):
    region: str | None = None
    level: Indicator.Level | None = None
    period: str | None = None
    indicator: str | None = None


class ScorecardOut(Schema):
    region_code: str
    region_name: str
    level: str
    period: str
    met: int
    unmet: int
    tracked: int
    missing: int
    values: list[ValueOut]


def _period_text(dashboard: selectors.Dashboard) -> str:
    return dashboard.period.strftime("%Y-%m") if dashboard.period else selectors.LIVE


def _payload(dashboard: selectors.Dashboard, ind: Indicator, region: str) -> dict[str, Any]:
    value = dashboard.evaluation.get(ind.code, region)
    data = presenters.value_payload(ind, value, dashboard.tree.nodes[region])
    data["period"] = _period_text(dashboard)
    return data


@router.get("/definitions", response=list[IndicatorOut], summary="评估指标定义（含目标值）")
@not_region_data("指标定义和目标值是全县统一的规划数据，不属于某个区划")
def definition_list(request: AuthedRequest):  # type: ignore[no-untyped-def]
    return list(selectors.indicator_list())


@router.get(
    "/definitions/{indicator}",
    response={200: IndicatorOut, **ERROR_RESPONSES},
    summary="单个指标定义",
)
@not_region_data("指标定义和目标值是全县统一的规划数据，不属于某个区划")
def definition_detail(request: AuthedRequest, indicator: str):  # type: ignore[no-untyped-def]
    return selectors.indicator_get(indicator)


@router.get("/values", response=list[ValueOut], summary="指标值（按区划、层级、月份、指标筛选）")
@paginate
@scoped_to(IndicatorValue)
def value_list(request: AuthedRequest, filters: Query[ValueFilter]):  # type: ignore[no-untyped-def]
    """Values of every visible region (period=YYYY-MM for a stored month, default live)."""
    dashboard = selectors.evaluation_for(request.auth, selectors.period_parse(filters.period))
    tree = dashboard.tree
    if filters.region:
        dashboard.node(filters.region)  # 404 outside the caller's scope
        codes = [
            c for c in tree.nodes if c == filters.region or tree.nodes[c].parent == filters.region
        ]
    else:
        codes = list(tree.nodes)
    if filters.level:
        codes = [c for c in codes if tree.nodes[c].level == filters.level]
    indicators = dashboard.indicators
    if filters.indicator:
        indicators = [i for i in indicators if i.code == filters.indicator]
        if not indicators:
            raise Http404
    return [_payload(dashboard, ind, code) for code in sorted(codes) for ind in indicators]


@router.get(
    "/scorecard/{code}",
    response={200: ScorecardOut, **ERROR_RESPONSES},
    summary="区划指标卡（社区、镇或县的全部指标）",
)
@scoped_to(Region)
def scorecard(request: AuthedRequest, code: str, period: str | None = None):  # type: ignore[no-untyped-def]
    dashboard = selectors.evaluation_for(request.auth, selectors.period_parse(period))
    node = dashboard.node(code)
    values = [_payload(dashboard, ind, code) for ind in dashboard.indicators]
    statuses = [v["status"] for v in values]
    return {
        "region_code": node.code,
        "region_name": node.name,
        "level": node.level,
        "period": _period_text(dashboard),
        "met": statuses.count(engine.MET),
        "unmet": statuses.count(engine.UNMET),
        "tracked": statuses.count(engine.TRACKED),
        "missing": statuses.count(engine.MISSING),
        "values": values,
    }
