"""Organisation pages: the filtered list, detail with members, forms, 经常性参与 by community."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from linli.core.errors import ApplicationError
from linli.core.scoping import request_scope
from linli.core.views_support import AuthedRequest, staff_required
from linli.orgs import selectors, services
from linli.orgs.forms import MemberForm, OrganisationForm
from linli.orgs.models import Organisation
from linli.regions.selectors import region_get_visible

PAGE_SIZE = 30


def _flag(value: str | None) -> bool | None:
    return {"1": True, "0": False}.get(value or "")


@staff_required
def organisation_list(request: AuthedRequest) -> HttpResponse:
    scope = request_scope(request)
    filters = {
        "kind": request.GET.get("kind", ""),
        "regular": request.GET.get("regular", ""),
        "brand": request.GET.get("brand", ""),
        "active": request.GET.get("active", "1"),
        "q": request.GET.get("q", "").strip(),
        "region": request.GET.get("region", "").strip(),
    }
    orgs = selectors.organisation_list(
        scope,
        kind=filters["kind"] or None,
        is_regular_service=_flag(filters["regular"]),
        is_brand=_flag(filters["brand"]),
        is_active=_flag(filters["active"]),
        q=filters["q"] or None,
        region_code=filters["region"] or None,
    )
    page = Paginator(orgs, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "page": page,
        "filters": filters,
        "kinds": Organisation.Kind.choices,
        "querystring": query.urlencode(),
        "can_write": scope.can_write,
    }
    template = "orgs/list.html#results" if request.htmx else "orgs/list.html"  # type: ignore[attr-defined]
    return render(request, template, context)


@staff_required
def organisation_detail(request: AuthedRequest, org_id: int) -> HttpResponse:
    scope = request_scope(request)
    org = selectors.organisation_get_visible(scope, org_id)
    return render(
        request,
        "orgs/detail.html",
        {
            "org": org,
            "members": selectors.organisation_members(scope, org),
            "children": selectors.organisation_children(scope, org),
            "member_form": MemberForm(),
            "can_write": scope.can_write,
        },
    )


@staff_required
def organisation_create(request: AuthedRequest) -> HttpResponse:
    scope = request_scope(request)
    form = OrganisationForm(request.POST or None, scope=scope)
    if request.method == "POST" and form.is_valid():
        data: dict[str, Any] = dict(form.cleaned_data)
        try:
            region = region_get_visible(scope, data.pop("region_code"))
            org = services.organisation_create(actor=request.user, region=region, **data)
        except ApplicationError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, f"已登记组织“{org.name}”。")
            return redirect("orgs:detail", org_id=org.pk)
    return render(request, "orgs/form.html", {"form": form, "org": None})


@staff_required
def organisation_edit(request: AuthedRequest, org_id: int) -> HttpResponse:
    scope = request_scope(request)
    org = selectors.organisation_get_visible(scope, org_id)
    initial = {
        field: getattr(org, field)
        for field in (
            "name",
            "kind",
            "party_level",
            "parent",
            "credit_code",
            "is_regular_service",
            "is_brand",
            "contact_name",
            "founded_on",
            "is_active",
        )
    }
    form = OrganisationForm(request.POST or None, scope=scope, instance=org, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.organisation_update(
                actor=request.user, organisation=org, data=form.changed_data_for_update()
            )
        except ApplicationError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, "已保存。")
            return redirect("orgs:detail", org_id=org.pk)
    return render(request, "orgs/form.html", {"form": form, "org": org})


@staff_required
@require_POST
def member_add(request: AuthedRequest, org_id: int) -> HttpResponse:
    scope = request_scope(request)
    org = selectors.organisation_get_visible(scope, org_id)
    form = MemberForm(request.POST)
    if form.is_valid():
        try:
            services.membership_add(actor=request.user, organisation=org, **form.cleaned_data)
        except ApplicationError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, f"已添加成员“{form.cleaned_data['name']}”。")
    else:
        errors = [str(e) for field_errors in form.errors.values() for e in field_errors]
        messages.error(request, "；".join(errors))
    return redirect("orgs:detail", org_id=org.pk)


@staff_required
@require_POST
def member_remove(request: AuthedRequest, org_id: int, membership_id: int) -> HttpResponse:
    scope = request_scope(request)
    membership = selectors.membership_get_visible(scope, membership_id)
    if membership.organisation_id != org_id:
        membership = selectors.membership_get_visible(scope, -1)  # 404, same message
    try:
        services.membership_remove(actor=request.user, membership=membership)
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"已移除成员“{membership.name}”。")
    return redirect("orgs:detail", org_id=org_id)


@staff_required
def regular_summary(request: AuthedRequest) -> HttpResponse:
    """Each community's count of regularly serving social organisations against 专栏2."""
    rows = selectors.regular_org_counts(request_scope(request))
    return render(
        request,
        "orgs/regular.html",
        {
            "rows": rows,
            "met": sum(1 for r in rows if r.met),
            "urban_target": selectors.REGULAR_TARGET_URBAN,
            "rural_target": selectors.REGULAR_TARGET_RURAL,
        },
    )
