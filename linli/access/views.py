"""Living-circle pages: coverage by region, the walking-time map, the siting tool, the network."""

from __future__ import annotations

import math
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.http import HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from linli.access import selectors, services, siting
from linli.access.models import AccessSettings, LifeCircle
from linli.core.errors import ApplicationError, NotFound
from linli.core.scoping import Scope, request_scope
from linli.core.views_support import AuthedRequest, admin_required, staff_required
from linli.facilities.models import FacilityType
from linli.regions.models import Region
from linli.regions.selectors import region_get_visible

MAP_MAX_BUILDINGS = 30_000


def _county(scope: Scope) -> Region:
    county = selectors.county_of(scope)
    if county is None:
        raise NotFound("region_not_found", _("没有可查看的区域"))
    return county


def _top_region(request: AuthedRequest, scope: Scope, county: Region) -> Region:
    """The region asked for in ?region=, else the widest region the person sees."""
    code = request.GET.get("region", "").strip()
    if code:
        return region_get_visible(request.user, code)
    if scope.is_global or scope.covers(county.code):
        return county
    shortest = min(scope.prefixes, key=len)
    return (
        Region.objects.filter(code__startswith=shortest)
        .exclude(level=Region.Level.GRID)
        .order_by("code")
        .first()
        or county
    )


def _subject(request: AuthedRequest) -> tuple[LifeCircle | None, FacilityType | None, str]:
    """?subject=circle code or type:<facility type code>; default the first circle."""
    value = request.GET.get("subject", "").strip()
    if value.startswith("type:"):
        facility_type = selectors.measured_types().filter(code=value[5:]).first()
        if facility_type is not None:
            return None, facility_type, value
    circle = LifeCircle.objects.filter(code=value).first() if value else None
    circle = circle or LifeCircle.objects.first()
    return circle, None, circle.code if circle else ""


def _breadcrumbs(region: Region, county: Region, scope: Scope) -> list[Region]:
    chain: list[Region] = []
    node: Region | None = region
    while node is not None:
        if scope.covers(node.code) or node.pk == region.pk:
            chain.append(node)
        node = node.parent
    return list(reversed(chain))


@staff_required
def overview(request: AuthedRequest) -> HttpResponse:
    scope = request_scope(request)
    county = _county(scope)
    region = _top_region(request, scope, county)
    circle, facility_type, subject = _subject(request)
    lines = selectors.coverage_table(
        scope, parent=region, circle=circle, facility_type=facility_type
    )
    last = selectors.last_computed(county)
    context = {
        "county": county,
        "region": region,
        "breadcrumbs": _breadcrumbs(region, county, scope),
        "circle": circle,
        "facility_type": facility_type,
        "subject": subject,
        "circles": list(LifeCircle.objects.prefetch_related("requirements__facility_types")),
        "types": list(selectors.measured_types()),
        "totals": selectors.coverage_totals(scope, region=region),
        "lines": lines,
        "threshold": circle.distance_m
        if circle
        else (facility_type.walk_threshold_m if facility_type else None),
        "last": last,
        "network": selectors.active_network(county),
        "drillable": region.level in (Region.Level.COUNTY, Region.Level.TOWN),
        "is_admin": scope.may_write(county.code),
    }
    return render(request, "access/overview.html", context)


def _map_type(request: AuthedRequest) -> FacilityType | None:
    code = request.GET.get("type", "").strip()
    types = selectors.measured_types()
    return (
        types.filter(code=code).first()
        if code
        else types.filter(code="elderly_station").first() or types.first()
    )


@staff_required
def walk_map(request: AuthedRequest) -> HttpResponse:
    scope = request_scope(request)
    county = _county(scope)
    region = _top_region(request, scope, county)
    facility_type = _map_type(request)
    params = services.settings_for(county)
    towns = []
    if region.level == Region.Level.COUNTY:
        towns = list(Region.objects.visible_to(request.user).filter(parent=region).order_by("code"))
    context = {
        "region": region,
        "breadcrumbs": _breadcrumbs(region, county, scope),
        "facility_type": facility_type,
        "types": list(selectors.measured_types()),
        "towns": towns,
        "params": params,
        "data_url": (
            f"{reverse('access:map_data')}?type={facility_type.code}&region={region.code}"
            if facility_type and not towns
            else ""
        ),
    }
    return render(request, "access/map.html", context)


def _minutes(distance_m: float | None, speed_kmh: float) -> float | None:
    if distance_m is None or not math.isfinite(distance_m):
        return None
    return round(distance_m / (speed_kmh * 1000 / 60), 1)


@staff_required
def map_data(request: AuthedRequest) -> HttpResponse:
    """The map's layer: buildings with walking minutes, the facilities, the threshold."""
    scope = request_scope(request)
    county = _county(scope)
    region = _top_region(request, scope, county)
    facility_type = _map_type(request)
    if facility_type is None:
        raise NotFound("not_found", _("设施类型不存在"))
    params = services.settings_for(county)
    points = selectors.building_layer(
        scope, county=county, facility_type=facility_type, region=region
    )
    if len(points) > MAP_MAX_BUILDINGS:
        raise ApplicationError("too_many", _("楼栋过多，请选择一个乡镇或社区查看"), status=422)
    nearest = {p.facility_id for p in points if p.facility_id}
    facilities = selectors.facilities_of_type(
        scope, facility_type=facility_type, region=region, also_ids=nearest
    )
    threshold = facility_type.walk_threshold_m or 0
    return JsonResponse(
        {
            "type": facility_type.name,
            "threshold_m": threshold,
            "threshold_min": _minutes(threshold, params.walk_speed_kmh),
            "speed_kmh": params.walk_speed_kmh,
            "elderly_speed_kmh": params.elderly_speed_kmh,
            "approximate": selectors.active_network(county) is None,
            "tiles": getattr(settings, "LINLI_MAP_TILE_URL", "") or "",
            "buildings": [
                [p.lat, p.lng, p.distance_m, _minutes(p.distance_m, params.walk_speed_kmh)]
                for p in points
            ],
            "facilities": [[f.lat, f.lng, f.name] for f in facilities],
        },
        json_dumps_params={"ensure_ascii": False},
    )


@staff_required
def siting_page(request: AuthedRequest) -> HttpResponse:
    scope = request_scope(request)
    county = _county(scope)
    visible = Region.objects.visible_to(request.user).filter(
        code__startswith=county.prefix, level__in=(Region.Level.TOWN, Region.Level.COMMUNITY)
    )
    regions = list(visible.order_by("code"))
    types = list(selectors.measured_types())
    form = {
        "type": request.GET.get("type", "elderly_station"),
        "region": request.GET.get("region", regions[0].code if regions else ""),
        "k": request.GET.get("k", "3"),
        "weight": request.GET.get("weight", siting.Weight.POPULATION),
    }
    outcome = None
    error = None
    if request.GET.get("run"):
        try:
            facility_type = next((t for t in types if t.code == form["type"]), None)
            if facility_type is None:
                raise ApplicationError("validation_error", _("请选择设施类型"), status=422)
            try:
                k = int(form["k"])
            except ValueError:
                raise ApplicationError(
                    "validation_error", _("新建数量应为整数"), status=422
                ) from None
            outcome = siting.siting_recommend(
                scope=scope,
                county=county,
                facility_type=facility_type,
                region=region_get_visible(request.user, form["region"]),
                k=k,
                weight=form["weight"],
            )
        except ApplicationError as exc:
            error = exc.message
    context = {
        "regions": regions,
        "types": types,
        "weights": siting.Weight.CHOICES,
        "form": form,
        "outcome": outcome,
        "error": error,
        "map": _siting_map(outcome) if outcome else None,
    }
    return render(request, "access/siting.html", context, status=422 if error else 200)


def _siting_map(outcome: siting.SitingOutcome) -> dict[str, Any]:
    return {
        "tiles": getattr(settings, "LINLI_MAP_TILE_URL", "") or "",
        "radius_m": outcome.threshold_m,
        "sites": [[s.lat, s.lng, s.label, s.population, s.elderly] for s in outcome.sites],
        "homes": [[round(lat, 6), round(lng, 6), int(hit)] for lat, lng, hit in outcome.uncovered],
    }


@admin_required
def network_page(request: AuthedRequest) -> HttpResponse:
    scope = request_scope(request)
    county = _county(scope)
    return render(
        request,
        "access/network.html",
        {
            "county": county,
            "network": selectors.active_network(county),
            "networks": list(selectors.networks(county)[:10]),
            "params": services.settings_for(county),
            "runs": selectors.runs(county),
            "circles": list(LifeCircle.objects.prefetch_related("requirements__facility_types")),
            "last": selectors.last_computed(county),
            "max_mb": services.MAX_UPLOAD_BYTES // 2**20,
        },
    )


@admin_required
@require_POST
def network_upload(request: AuthedRequest) -> HttpResponse:
    scope = request_scope(request)
    county = _county(scope)
    upload = request.FILES.get("file")
    if upload is None:
        messages.error(request, _("请选择路网文件"))
        return redirect("access:network")
    try:
        run = services.network_import_start(
            scope=scope, county=county, upload=upload, actor=request.user
        )
    except ApplicationError as exc:
        messages.error(request, exc.message)
        return redirect("access:network")
    messages.success(
        request, _("已上传 %(name)s，后台正在导入并重新计算") % {"name": run.upload_name}
    )
    return redirect("access:network")


@admin_required
@require_POST
def refresh(request: AuthedRequest) -> HttpResponse:
    scope = request_scope(request)
    services.refresh_start(scope=scope, county=_county(scope), actor=request.user)
    messages.success(request, _("已开始重新计算，完成后页面会自动更新"))
    return redirect("access:network")


@admin_required
@require_POST
def settings_update(request: AuthedRequest) -> HttpResponse:
    scope = request_scope(request)
    county = _county(scope)
    values = {
        name: request.POST.get(name, "").strip()
        for name in ("walk_speed_kmh", "elderly_speed_kmh", "detour_factor", "cutoff_m")
        if name in request.POST
    }
    try:
        services.access_settings_update(scope=scope, county=county, values=values)
    except ApplicationError as exc:
        detail = exc.detail or {}
        labels = {f.name: str(f.verbose_name) for f in AccessSettings._meta.fields}
        text = "；".join(f"{labels.get(k, k)}：{v}" for k, v in detail.items()) or exc.message
        messages.error(request, text)
        return redirect("access:network")
    messages.success(request, _("参数已保存，重新计算后生效"))
    return redirect("access:network")


@admin_required
def run_row(request: AuthedRequest, run_id: int) -> HttpResponse:
    run = selectors.run_get(request_scope(request), run_id)
    if run is None:
        raise NotFound("not_found", _("任务不存在"))
    return render(request, "access/_run_row.html", {"run": run})


def _requirements_from(post: Any, rows: int) -> list[tuple[str, list[str]]]:
    return [
        (post.get(f"req_name_{i}", ""), [c for c in post.getlist(f"req_types_{i}") if c])
        for i in range(rows)
    ]


@admin_required
def circle_edit(request: AuthedRequest, circle_id: int) -> HttpResponse:
    scope = request_scope(request)
    county = _county(scope)
    circle = LifeCircle.objects.filter(pk=circle_id).first()
    if circle is None:
        raise NotFound("not_found", _("生活圈不存在"))
    current = [
        (r.name, [t.code for t in r.facility_types.all()]) for r in circle.requirements.all()
    ]
    values = {"name": circle.name, "minutes": circle.minutes, "distance_m": circle.distance_m}
    requirements = [*current, ("", [])]  # one empty row to add a requirement
    errors: dict[str, str] = {}
    status = 200
    if request.method == "POST":
        rows = int(request.POST.get("rows", len(requirements)) or 0)
        requirements = _requirements_from(request.POST, min(rows, 30))
        values = {k: str(request.POST.get(k, "")) for k in ("name", "minutes", "distance_m")}
        try:
            services.circle_update(
                scope=scope,
                county=county,
                circle=circle,
                name=str(values["name"]),
                minutes=values["minutes"],
                distance_m=values["distance_m"],
                requirements=requirements,
                actor=request.user,
            )
        except ApplicationError as exc:
            errors = exc.detail or {"__all__": exc.message}
            status = 422
        else:
            messages.success(
                request, _("已保存“%(name)s”，正在重新汇总覆盖情况") % {"name": values["name"]}
            )
            return redirect("access:network")
    return render(
        request,
        "access/circle_form.html",
        {
            "circle": circle,
            "values": values,
            "requirements": requirements,
            "types": list(selectors.measured_types()),
            "errors": errors,
        },
        status=status,
    )
