"""Building (楼栋) pages: list by address, detail with households, create and edit.

Kept apart from views.py (the region tree) because buildings are registry data: the same
roles as the people pages read them, and the registry writers change them (ADR 0021).
"""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from linli.core.errors import ApplicationError
from linli.core.scoping import Scope, request_scope
from linli.core.views_support import AuthedRequest, roles_required
from linli.regions import selectors, services
from linli.regions.models import Building

READERS = ("county_admin", "leader", "town_staff", "community_worker", "grid_worker")
WRITERS = tuple(sorted(services.REGISTRY_WRITER_ROLES))
PAGE_SIZE = 30

building_readers = roles_required(*READERS)
building_writers = roles_required(*WRITERS)


class BuildingForm(forms.Form):
    region = forms.ChoiceField(label="所在网格/社区", required=False)
    name = forms.CharField(
        label="楼栋名称", max_length=100, required=False, help_text="如 3栋、张家村12号"
    )
    address = forms.CharField(label="地址", max_length=200, required=False)
    kind = forms.ChoiceField(label="类型", choices=Building.Kind.choices)
    floors = forms.CharField(
        label="层数", required=False, widget=forms.NumberInput(attrs={"min": 1})
    )
    units = forms.CharField(
        label="单元数", required=False, widget=forms.NumberInput(attrs={"min": 1})
    )
    lng = forms.CharField(label="经度", required=False, help_text="WGS84/CGCS2000，如 118.3336")
    lat = forms.CharField(label="纬度", required=False, help_text="如 30.9197")

    def __init__(self, *args: Any, regions: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["region"]).choices = [("", "请选择"), *regions]
        for key in ("region", "name", "address"):
            self.fields[key].widget.is_required = True
        for field in self.fields.values():
            field.widget.attrs.setdefault(
                "class", "form-select" if isinstance(field.widget, forms.Select) else "form-control"
            )
        for key in ("lng", "lat"):
            self.fields[key].widget.attrs["inputmode"] = "decimal"


def _add_errors(form: forms.Form, error: ApplicationError) -> None:
    fields = error.detail.get("fields") if isinstance(error.detail, dict) else None
    if not fields:
        form.add_error(None, error.message)
        return
    for name, message in fields.items():
        form.add_error(name if name in form.fields else None, message)


def _region_choices(scope: Scope, within: str | None = None) -> list[tuple[str, str]]:
    choices = []
    for region in selectors.registry_regions(scope, within=within):
        parent = region.parent
        label = region.name
        if (
            region.level == "grid"
            and parent is not None
            and not region.name.startswith(parent.name)
        ):
            label = f"{parent.name} / {region.name}"
        choices.append((region.code, label))
    return choices


def _is_writer(user: Any) -> bool:
    return bool(user.is_superuser or user.has_role(*WRITERS))


@building_readers
@require_GET
def building_list(request: AuthedRequest) -> HttpResponse:
    scope = request_scope(request)
    query = (request.GET.get("q") or "").strip()[:100]
    region_code = (request.GET.get("region") or "")[:15]
    buildings = selectors.building_list(scope, query=query, region_code=region_code or None)
    page = Paginator(buildings, PAGE_SIZE).get_page(request.GET.get("page"))
    region = selectors.region_get_visible(scope, region_code) if region_code else None
    return render(
        request,
        "regions/building_list.html",
        {
            "page": page,
            "query": query,
            "region": region,
            "safe_query": request.GET,
            "can_write": _is_writer(request.user),
        },
    )


@building_readers
@require_GET
def building_detail(request: AuthedRequest, building_id: int) -> HttpResponse:
    building = selectors.building_get_visible(request_scope(request), building_id)
    # Its households are the people app's rows: the page links to their list (regions
    # depends on core only).
    return render(
        request,
        "regions/building_detail.html",
        {
            "building": building,
            "can_write": services.registry_write_level(request.user, building.region_code)
            == services.FULL_ACCESS,
        },
    )


def _values(form: BuildingForm) -> dict[str, Any]:
    data = dict(form.cleaned_data)
    data["region_code"] = data.pop("region")
    return data


@building_writers
@require_http_methods(["GET", "POST"])
def building_create(request: AuthedRequest) -> HttpResponse:
    scope = request_scope(request)
    initial = {"region": request.GET.get("region", "")[:15]}
    form = BuildingForm(request.POST or None, initial=initial, regions=_region_choices(scope))
    if request.method == "POST" and form.is_valid():
        try:
            building = services.building_create(actor=request.user, **_values(form))
        except ApplicationError as exc:
            _add_errors(form, exc)
        else:
            messages.success(request, f"已登记楼栋“{building.address}”。")
            return redirect("regions:building_detail", building_id=building.pk)
    return render(request, "regions/building_form.html", {"form": form, "building": None})


@building_writers
@require_http_methods(["GET", "POST"])
def building_edit(request: AuthedRequest, building_id: int) -> HttpResponse:
    scope = request_scope(request)
    building = selectors.building_get_visible(scope, building_id)
    initial = {
        "region": building.region_code,
        "name": building.name,
        "address": building.address,
        "kind": building.kind,
        "floors": building.floors or "",
        "units": building.units or "",
        "lng": "" if building.lng is None else building.lng,
        "lat": "" if building.lat is None else building.lat,
    }
    form = BuildingForm(
        request.POST or None,
        initial=initial,
        regions=_region_choices(scope, within=building.region_code[:12]),
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.building_update(actor=request.user, building=building, data=_values(form))
        except ApplicationError as exc:
            _add_errors(form, exc)
        else:
            messages.success(request, "已保存。")
            return redirect("regions:building_detail", building_id=building.pk)
    return render(request, "regions/building_form.html", {"form": form, "building": building})
