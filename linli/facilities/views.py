"""Facility pages: list with filters, detail, forms, close; the type catalogue; service area."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from linli.core.errors import ApplicationError
from linli.core.scoping import request_scope
from linli.core.views_support import AuthedRequest, admin_required, staff_required
from linli.facilities import selectors, services
from linli.facilities.forms import FacilityForm, FacilityTypeForm
from linli.facilities.models import Facility
from linli.regions.selectors import region_get_visible

PAGE_SIZE = 30
EDIT_FIELDS = (
    "type",
    "name",
    "address",
    "building_area_m2",
    "weekday_hours",
    "extended_evening",
    "weekend_open",
    "operator_name",
    "status",
    "lng",
    "lat",
)


@staff_required
def facility_list(request: AuthedRequest) -> HttpResponse:
    scope = request_scope(request)
    filters = {
        key: request.GET.get(key, "").strip()
        for key in ("type", "category", "status", "q", "region")
    }
    facilities = selectors.facility_list(
        scope,
        type_code=filters["type"] or None,
        category=filters["category"] or None,
        status=filters["status"] or None,
        region_code=filters["region"] or None,
        q=filters["q"] or None,
    )
    page = Paginator(facilities, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    types = list(selectors.facility_type_list())
    context = {
        "page": page,
        "filters": filters,
        "types": types,
        "categories": sorted({t.category for t in types if t.category}),
        "statuses": Facility.Status.choices,
        "querystring": query.urlencode(),
        "can_write": scope.can_write,
    }
    template = "facilities/list.html#results" if request.htmx else "facilities/list.html"  # type: ignore[attr-defined]
    return render(request, template, context)


@staff_required
def facility_detail(request: AuthedRequest, facility_id: int) -> HttpResponse:
    scope = request_scope(request)
    facility = selectors.facility_get_visible(scope, facility_id)
    return render(
        request,
        "facilities/detail.html",
        {"facility": facility, "can_write": scope.can_write},
    )


def _service_data(form: FacilityForm) -> dict[str, Any]:
    data = dict(form.cleaned_data)
    data.pop("region_code", None)
    return data


@staff_required
def facility_create(request: AuthedRequest) -> HttpResponse:
    scope = request_scope(request)
    form = FacilityForm(request.POST or None, scope=scope)
    if request.method == "POST" and form.is_valid():
        data = _service_data(form)
        try:
            region = region_get_visible(scope, form.cleaned_data["region_code"])
            facility = services.facility_create(actor=request.user, region=region, **data)
        except ApplicationError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, f"已登记设施“{facility.name}”。")
            return redirect("facilities:detail", facility_id=facility.pk)
    return render(request, "facilities/form.html", {"form": form, "facility": None})


@staff_required
def facility_edit(request: AuthedRequest, facility_id: int) -> HttpResponse:
    scope = request_scope(request)
    facility = selectors.facility_get_visible(scope, facility_id)
    initial = {field: getattr(facility, field) for field in EDIT_FIELDS}
    form = FacilityForm(request.POST or None, scope=scope, instance=facility, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = _service_data(form)
        coord_system = data.pop("coord_system")
        try:
            services.facility_update(
                actor=request.user, facility=facility, data=data, coord_system=coord_system
            )
        except ApplicationError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, "已保存。")
            return redirect("facilities:detail", facility_id=facility.pk)
    return render(request, "facilities/form.html", {"form": form, "facility": facility})


@staff_required
@require_POST
def facility_close(request: AuthedRequest, facility_id: int) -> HttpResponse:
    facility = selectors.facility_get_visible(request_scope(request), facility_id)
    try:
        services.facility_close(actor=request.user, facility=facility)
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"设施“{facility.name}”已关闭，不再计入指标。")
    return redirect("facilities:detail", facility_id=facility.pk)


@staff_required
def service_area(request: AuthedRequest) -> HttpResponse:
    rows = selectors.service_area_summary(request_scope(request))
    return render(request, "facilities/area.html", {"rows": rows})


# --- the type catalogue (county admins) ------------------------------------------------------


@admin_required
def type_list(request: AuthedRequest) -> HttpResponse:
    return render(request, "facilities/type_list.html", {"types": selectors.facility_type_list()})


@admin_required
def type_create(request: AuthedRequest) -> HttpResponse:
    form = FacilityTypeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.facility_type_create(actor=request.user, **form.cleaned_data)
        except ApplicationError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, f"已新增设施类型“{form.cleaned_data['name']}”。")
            return redirect("facilities:type_list")
    return render(request, "facilities/type_form.html", {"form": form, "facility_type": None})


@admin_required
def type_edit(request: AuthedRequest, type_id: int) -> HttpResponse:
    facility_type = selectors.facility_type_get(type_id)
    form = FacilityTypeForm(request.POST or None, instance=facility_type)
    if request.method == "POST" and form.is_valid():
        data = {k: v for k, v in form.cleaned_data.items() if k != "code"}
        try:
            # the form validated a copy; the service decides on the stored row
            facility_type.refresh_from_db()
            services.facility_type_update(
                actor=request.user, facility_type=facility_type, data=data
            )
        except ApplicationError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, "已保存。")
            return redirect("facilities:type_list")
    return render(
        request, "facilities/type_form.html", {"form": form, "facility_type": facility_type}
    )
