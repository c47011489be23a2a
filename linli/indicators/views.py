"""Pages of the evaluation system: the 驾驶舱 (overview, drill-down, scorecard, gaps), the
annual report, and the county admins' definition pages."""

from __future__ import annotations

import json
from collections import OrderedDict
from datetime import date
from typing import Any

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import content_disposition_header, url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from linli.core.errors import ApplicationError, ValidationFailed
from linli.core.scoping import request_scope
from linli.core.views_support import AuthedRequest, admin_required, roles_required
from linli.indicators import engine, measures, plans, presenters, report, selectors, services
from linli.indicators.forms import IndicatorForm, PlanUploadForm, TargetForm
from linli.indicators.models import Indicator, Target
from linli.indicators.tasks import indicator_snapshot_month
from linli.regions.models import Region

DASHBOARD_ROLES = ("county_admin", "leader", "town_staff")
dashboard_required = roles_required(*DASHBOARD_ROLES)


def _period(request: AuthedRequest) -> date | None:
    return selectors.period_parse(request.GET.get("period"))


def _common(request: AuthedRequest, dashboard: selectors.Dashboard, code: str) -> dict[str, Any]:
    """Breadcrumbs, the period choice and the admin flag every dashboard page shows."""
    scope = request_scope(request)
    node = dashboard.node(code)
    return {
        "node": node,
        "level_label": presenters.LEVEL_LABELS.get(node.level, ""),
        "path": [dashboard.tree.nodes[c] for c in dashboard.tree.path(code)],
        "period": dashboard.period,
        "period_value": f"{dashboard.period:%Y-%m}" if dashboard.period else "",
        "period_label": selectors.period_label(dashboard.period),
        "periods": selectors.snapshot_periods(scope),
        "as_of": dashboard.as_of,
        "can_edit": request.user.is_superuser or request.user.has_role("county_admin"),
    }


@dashboard_required
def dashboard(request: AuthedRequest) -> HttpResponse:
    """The 驾驶舱: straight to the user's region (the county for county staff)."""
    scope = request_scope(request)
    roots = selectors.dashboard_roots(scope)
    query = f"?{request.GET.urlencode()}" if request.GET else ""
    if len(roots) == 1:
        return redirect(reverse("indicators:region", args=[roots[0]]) + query)
    regions = Region.objects.filter(code__in=roots).order_by("code")
    return render(request, "indicators/roots.html", {"regions": regions})


@dashboard_required
def region_overview(request: AuthedRequest, code: str) -> HttpResponse:
    """Every indicator at one region (the community scorecard when it is a community)."""
    scope = request_scope(request)
    dash = selectors.evaluation_for(scope, _period(request))
    context = _common(request, dash, code)
    trends = selectors.trend_series(scope, [code], until=dash.period or dash.as_of)
    rows = [
        presenters.row_for(
            dash, ind, code, [(p, v) for p, v, _ in trends.get((ind.code, code), [])]
        )
        for ind in dash.indicators
    ]
    groups: OrderedDict[str, list[presenters.Row]] = OrderedDict()
    labels = dict(Indicator.Category.choices)
    for row in rows:
        groups.setdefault(labels.get(row.indicator.category, "其他"), []).append(row)
    children = []
    for child in context["node"].children:
        values = dash.evaluation.for_region(child)
        counts = {s: sum(1 for v in values if v.status == s) for s in (engine.MET, engine.UNMET)}
        children.append((dash.tree.nodes[child], counts))
    context.update(
        groups=list(groups.items()),
        counts=presenters.status_counts(rows),
        children=children,
        child_label=_("社区/村") if context["node"].level == "town" else _("镇/街道"),
        is_scorecard=context["node"].level == "community",
    )
    return render(request, "indicators/region.html", context)


def _map_features(codes: list[str]) -> dict[str, dict[str, Any]]:
    rows = Region.objects.filter(code__in=codes).values(
        "code", "boundary", "center_lng", "center_lat"
    )
    return {r["code"]: dict(r) for r in rows}


@dashboard_required
def indicator_drilldown(request: AuthedRequest, code: str, indicator: str) -> HttpResponse:
    """One indicator at a region: why (numerator/denominator), trend, the children's table
    and map coloured by attainment, and the units that fall short."""
    scope = request_scope(request)
    dash = selectors.evaluation_for(scope, _period(request))
    context = _common(request, dash, code)
    ind = dash.by_code.get(indicator)
    if ind is None:
        raise Http404("指标不存在")
    node = context["node"]
    until = dash.period or dash.as_of
    trends = selectors.trend_series(scope, [code], indicator_codes=[ind.code], until=until)
    row = presenters.row_for(
        dash, ind, code, [(p, v) for p, v, _ in trends.get((ind.code, code), [])]
    )
    all_children = [presenters.row_for(dash, ind, c) for c in node.children]
    children = [r for r in all_children if r.value.status != engine.NA]
    not_applicable = len(all_children) - len(children)
    children.sort(
        key=lambda r: (
            r.value.status != engine.UNMET,
            r.value.attainment if r.value.attainment is not None else 9,
            r.node.code,
        )
    )
    short = [
        (presenters.row_for(dash, ind, v.region), dash.tree.nodes[v.region].parent)
        for v in dash.evaluation.short_units(ind.code, code)
        if v.region not in node.children and v.region != code
    ]
    short_rows = [
        (row, dash.tree.nodes[parent].name if parent and parent in dash.tree else "")
        for row, parent in short
    ]
    features = _map_features([code, *node.children])
    chart = {
        "name": ind.name,
        "unit": ind.unit if not row.value.is_unit else presenters.measure_unit(ind.numerator),
        "target": row.value.target_value,
        "series": [[p.strftime("%Y-%m"), v] for p, v in row.trend],
        "children": [
            {
                "code": r.node.code,
                "name": r.node.name,
                "value": r.value.value,
                "text": r.value_text,
                "status": r.value.status,
                "status_label": r.status_label,
                "attainment": r.value.attainment,
                "url": reverse("indicators:drilldown", args=[r.node.code, ind.code])
                + (f"?period={context['period_value']}" if context["period_value"] else ""),
                "boundary": features.get(r.node.code, {}).get("boundary"),
                "center": [
                    features.get(r.node.code, {}).get("center_lat"),
                    features.get(r.node.code, {}).get("center_lng"),
                ],
            }
            for r in sorted(all_children, key=lambda r: r.value.status != engine.NA)
        ],
        "self": {"boundary": features.get(code, {}).get("boundary")},
        "tiles": _tile_url(),
    }
    targets = list(ind.targets.all())
    context.update(
        indicator=ind,
        row=row,
        children_rows=children,
        not_applicable=not_applicable,
        short_rows=short_rows,
        chart=chart,
        targets=targets,
        measure_sources=[
            (c, presenters.measure_label(c), measures.source_of(c) if measures.get(c) else "")
            for c in ind.measure_codes()
        ],
        kind_label=ind.get_kind_display(),
    )
    return render(request, "indicators/drilldown.html", context)


def _tile_url() -> str:
    from django.conf import settings

    return getattr(settings, "LINLI_MAP_TILE_URL", "") or ""


@dashboard_required
def gaps(request: AuthedRequest, code: str) -> HttpResponse:
    """Where are we furthest behind: the failing units and indicators, worst first."""
    scope = request_scope(request)
    dash = selectors.evaluation_for(scope, _period(request))
    context = _common(request, dash, code)
    items = []
    for gap in selectors.gaps_ranked(dash, code):
        row = presenters.row_for(dash, gap.indicator, gap.region.code)
        items.append(row)
    context["items"] = items
    return render(request, "indicators/gaps.html", context)


@dashboard_required
def report_download(request: AuthedRequest, code: str, fmt: str) -> HttpResponse:
    """The annual evaluation report of the county or a town, as XLSX or PDF."""
    scope = request_scope(request)
    year_text = request.GET.get("year") or str(timezone.localdate().year)
    if not year_text.isdigit() or not 2000 <= int(year_text) <= 2100:
        raise ValidationFailed("invalid_year", "年份格式不正确")
    year = int(year_text)
    dash = report.report_dashboard(scope, year)
    node = dash.node(code)
    if node.level == "community":
        raise ValidationFailed("report_level", "评估报告按县或镇/街道生成，社区请查看指标卡")
    if fmt == "pdf":
        data, content_type = report.report_pdf(scope, dash, code, year), "application/pdf"
    else:
        data = report.report_xlsx(scope, dash, code, year)
        content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    response = HttpResponse(data, content_type=content_type)
    filename = f"{node.name}{year}年度城乡社区服务评估报告.{fmt}"
    response["Content-Disposition"] = content_disposition_header(True, filename)
    return response


# --- definitions (county admins) ------------------------------------------------------------


@admin_required
def definition_list(request: AuthedRequest) -> HttpResponse:
    indicators = list(selectors.indicator_list(active_only=False))
    available = measures.available()
    rows = [
        (
            ind,
            [(c, c in available, measures.source_of(c)) for c in ind.measure_codes()],
        )
        for ind in indicators
    ]
    return render(
        request,
        "indicators/definitions.html",
        {"rows": rows, "measures": sorted(available.values(), key=lambda m: m.code)},
    )


def _measure_choices() -> list[tuple[str, str]]:
    return [(m.code, m.name) for m in sorted(measures.available().values(), key=lambda m: m.code)]


@admin_required
def definition_edit(request: AuthedRequest, indicator: str | None = None) -> HttpResponse:
    instance = selectors.indicator_get(indicator) if indicator else None
    form = IndicatorForm(
        request.POST or None, instance=instance, measure_choices=_measure_choices()
    )
    if request.method == "POST" and form.is_valid():
        data = {f: form.cleaned_data[f] for f in form.fields if f in form.cleaned_data}
        try:
            saved = services.indicator_save(actor=request.user, indicator=instance, data=data)
        except ValidationFailed as exc:
            _form_errors(form, exc)
        else:
            messages.success(request, f"已保存指标 {saved.code}")
            return redirect("indicators:definition_edit", indicator=saved.code)
    context = {
        "form": form,
        "indicator": instance,
        "targets": list(instance.targets.all()) if instance else [],
        "target_form": TargetForm(),
    }
    return render(request, "indicators/definition_form.html", context)


def _form_errors(form: Any, exc: ApplicationError) -> None:
    detail = exc.detail if isinstance(exc.detail, dict) else {}
    for field, errors in detail.items():
        for error in errors:
            form.add_error(field if field in form.fields else None, error)
    if not detail:
        form.add_error(None, exc.message)


@admin_required
def target_edit(request: AuthedRequest, indicator: str, pk: int | None = None) -> HttpResponse:
    ind = selectors.indicator_get(indicator)
    target = get_object_or_404(Target, pk=pk, indicator=ind) if pk else None
    form = TargetForm(request.POST or None, instance=target)
    if request.method == "POST" and form.is_valid():
        try:
            services.target_save(
                actor=request.user, indicator=ind, target=target, data=form.cleaned_data
            )
        except ValidationFailed as exc:
            _form_errors(form, exc)
        else:
            messages.success(request, "已保存目标值")
            return redirect("indicators:definition_edit", indicator=ind.code)
    return render(
        request, "indicators/target_form.html", {"form": form, "indicator": ind, "target": target}
    )


@admin_required
@require_POST
def target_delete(request: AuthedRequest, indicator: str, pk: int) -> HttpResponse:
    ind = selectors.indicator_get(indicator)
    target = get_object_or_404(Target, pk=pk, indicator=ind)
    services.target_delete(actor=request.user, target=target)
    messages.success(request, "已删除目标值")
    return redirect("indicators:definition_edit", indicator=ind.code)


@admin_required
def plan_import(request: AuthedRequest) -> HttpResponse:
    form = PlanUploadForm(request.POST or None, request.FILES or None)
    errors: list[str] = []
    if request.method == "POST" and form.is_valid():
        try:
            data = plans.plan_parse(form.cleaned_data["file"].read())
            created, updated, deactivated = services.plan_load(
                actor=request.user,
                data=data,
                deactivate_missing=form.cleaned_data["deactivate_missing"],
            )
        except ValueError as exc:
            errors = [str(exc)]
        except ValidationFailed as exc:
            errors = list(exc.detail or [exc.message])
        else:
            messages.success(
                request,
                _("规划已导入：新增 %(created)s 个、更新 %(updated)s 个、停用 %(off)s 个指标")
                % {"created": created, "updated": updated, "off": deactivated},
            )
            return redirect("indicators:definitions")
    return render(request, "indicators/plan_import.html", {"form": form, "errors": errors})


@admin_required
def plan_export(request: AuthedRequest) -> HttpResponse:
    data = plans.plan_export(
        list(selectors.indicator_list(active_only=False)),
        plan={"exported": timezone.localdate().isoformat()},
    )
    response = HttpResponse(
        json.dumps(data, ensure_ascii=False, indent=2), content_type="application/json"
    )
    response["Content-Disposition"] = content_disposition_header(True, "评估指标规划.json")
    return response


@admin_required
@require_POST
def snapshot_now(request: AuthedRequest) -> HttpResponse:
    """On demand: the worker stores this month's snapshot (replacing an earlier one)."""
    services.indicator_editor_check(request.user)
    indicator_snapshot_month.enqueue(None)
    messages.success(request, "已提交本月快照任务，后台完成后趋势图将更新")
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(target, {request.get_host()}):
        target = reverse("indicators:dashboard")
    return redirect(target)
