"""People pages: residents (search, detail, forms, move, leave, reveal), households, my grid.

Reads follow the region switcher (`request_scope`); writes act as the user, whose services
decide. Clear PII is never rendered except in the reveal answer (ADR 0020).
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods

from linli.core.errors import ApplicationError, Forbidden, NotFound
from linli.core.pii import id_number_error
from linli.core.scoping import Scope, request_scope
from linli.core.views_support import AuthedRequest, roles_required
from linli.people import selectors, services
from linli.people.forms import (
    HouseholdForm,
    LeaveForm,
    MoveForm,
    PiiLookupForm,
    ResidentFilterForm,
    ResidentForm,
    RevealForm,
    add_service_errors,
    region_label,
)
from linli.people.models import Household, Resident
from linli.regions import selectors as region_selectors
from linli.regions.services import FULL_ACCESS, REGISTRY_WRITER_ROLES, registry_write_level

# Department handlers work on cases, not on the registry: the people pages are not theirs.
READERS = ("county_admin", "leader", "town_staff", "community_worker", "grid_worker")
WRITERS = tuple(sorted(REGISTRY_WRITER_ROLES))
PAGE_SIZE = 30
PII_LOOKUP_SESSION_KEY = "people_pii_lookup"

registry_readers = roles_required(*READERS)
registry_writers = roles_required(*WRITERS)


def _is_writer(user: Any) -> bool:
    return bool(user.is_superuser or user.has_role(*WRITERS))


def _region_choices(scope: Scope, within: str | None = None) -> list[tuple[str, str]]:
    return [
        (r.code, region_label(r)) for r in region_selectors.registry_regions(scope, within=within)
    ]


def _household_choices(scope: Scope, region_code: str) -> list[tuple[int, str]]:
    return [
        (h.pk, f"{h.number} {h.address}")
        for h in selectors.household_options(scope, region_code)[:1000]
    ]


def _building_choices(scope: Scope, region_code: str) -> list[tuple[int, str]]:
    return [
        (b.pk, f"{b.name} {b.address}")
        for b in region_selectors.building_options(scope, region_code)[:1000]
    ]


def _drilldown(scope: Scope, code: str) -> dict[str, Any]:
    """Breadcrumb and child regions for the region filter of a list page."""
    current = region_selectors.region_get_visible(scope, code) if code else None
    if current is None:
        roots = list(region_selectors.region_roots_for(scope))
        if len(roots) != 1:
            return {"region": None, "crumbs": [], "children": roots}
        top = roots[0]
        children = list(region_selectors.region_children(scope, top.code))
        return {"region": None, "crumbs": [], "children": children, "top": top}
    return {
        "region": current,
        "crumbs": region_selectors.region_ancestors(scope, current),
        "children": list(region_selectors.region_children(scope, current.code)),
    }


# --- residents --------------------------------------------------------------------------------


@registry_readers
@require_http_methods(["GET", "POST"])
def resident_list(request: AuthedRequest) -> HttpResponse:
    """Search with filters (GET), or an exact lookup by ID number / phone (POST, so that the
    value never sits in a URL or comes back in the page)."""
    scope = request_scope(request)
    typed = (request.GET.get("q") or "").strip()
    if selectors.looks_like_pii(typed):
        # An ID number or phone typed into the name box (no JavaScript to divert it): keep
        # it out of the page and the next URLs — stash it server-side and come back clean.
        request.session[PII_LOOKUP_SESSION_KEY] = typed
        clean = request.GET.copy()
        clean.pop("q")
        clean["lookup"] = "1"
        return redirect(f"{request.path}?{clean.urlencode()}")
    filters = ResidentFilterForm(request.GET or None)
    lookup = PiiLookupForm(request.POST or None)
    params: dict[str, Any] = {"status": "active"}
    pii_searched = False
    stashed = request.session.pop(PII_LOOKUP_SESSION_KEY, None) if "lookup" in request.GET else None
    if request.method == "POST" and lookup.is_valid() and lookup.cleaned_data["pii_q"]:
        params = {"q": lookup.cleaned_data["pii_q"]}
        pii_searched = True
        if not selectors.looks_like_pii(params["q"]):
            lookup.add_error("pii_q", "请输入完整的18位身份证号或11位手机号")
    elif stashed:
        params = {"q": stashed}
        pii_searched = True
    elif filters.is_bound and filters.is_valid():
        data = filters.cleaned_data
        status = data["status"] or "active"
        params = {
            "q": data["q"],
            "tags": data["tag"],
            "age_min": data["age_min"],
            "age_max": data["age_max"],
            "region_code": data["region"] or None,
            "status": None if status == "all" else status,
        }
    residents = selectors.resident_search(scope, **params)
    page = Paginator(residents, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "safe_query": request.GET,
        "page": page,
        "filters": filters,
        "lookup": lookup,
        "pii_searched": pii_searched,
        # The number is not shown again, so a typo must be named: no match, and why.
        "pii_problem": (
            _lookup_problem(params["q"]) if pii_searched and not page.object_list else ""
        ),
        "drill": _drilldown(scope, request.GET.get("region", "")),
        "can_write": _is_writer(request.user),
    }
    return render(request, "people/resident_list.html", context)


def _lookup_problem(number: str) -> str:
    """Why an exact lookup by an ID number found nobody, when the number itself is wrong."""
    if selectors.query_kind(number) != "id_number":
        return ""
    error = id_number_error(number)
    return f"{error}，请核对后重新输入" if error else ""


def _resident_context(request: AuthedRequest, resident: Resident) -> dict[str, Any]:
    user = request.user
    household = resident.household
    members = selectors.household_members(request_scope(request), household) if household else []
    level = registry_write_level(user, resident.region_code)
    return {
        "resident": resident,
        "members": members,
        "moves": selectors.resident_moves(request_scope(request), resident),
        "can_write": level == FULL_ACCESS,
        "can_edit": level is not None,
        "can_reveal": services.may_reveal(user, resident.region_code),
    }


@registry_readers
@require_GET
def resident_detail(request: AuthedRequest, resident_id: int) -> HttpResponse:
    resident = selectors.resident_get_visible(request_scope(request), resident_id)
    return render(request, "people/resident_detail.html", _resident_context(request, resident))


@registry_writers
@require_http_methods(["GET", "POST"])
def resident_create(request: AuthedRequest) -> HttpResponse:
    scope = request_scope(request)
    preset = request.GET.get("household")
    initial: dict[str, Any] = {}
    if preset and preset.isdigit():
        household = selectors.household_get_visible(scope, int(preset))
        initial = {"region": household.region_code, "household": household.pk}
    region_code = request.POST.get("region") or initial.get("region") or ""
    form = ResidentForm(
        request.POST or None,
        initial=initial,
        mode="create",
        regions=_region_choices(scope),
        households=_household_choices(scope, region_code),
    )
    if request.method == "POST" and form.is_valid():
        data = form.service_data()
        try:
            resident = services.resident_create(
                actor=request.user,
                household=data.pop("household"),
                region_code=data.pop("region"),
                **data,
            )
        except ApplicationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, f"已登记居民“{resident.name}”。")
            return redirect("people:resident_detail", resident_id=resident.pk)
    return render(request, "people/resident_form.html", {"form": form, "resident": None})


@registry_readers
@require_http_methods(["GET", "POST"])
def resident_edit(request: AuthedRequest, resident_id: int) -> HttpResponse:
    """Writers edit everything but household and status; grid workers phone and tags."""
    resident = selectors.resident_get_visible(request_scope(request), resident_id)
    level = registry_write_level(request.user, resident.region_code)
    if level is None:
        raise Forbidden("registry_forbidden", "您无权修改该居民的信息")
    mode = "edit" if level == FULL_ACCESS else "limited"
    tags = list(resident.tags.all())
    disability = next((t for t in tags if t.tag == "disability"), None)
    initial = {
        "name": resident.name,
        "gender": resident.gender,
        "birth_date": resident.birth_date.isoformat(),
        "relation": resident.relation,
        "residence_type": resident.residence_type,
        "tags": [t.tag for t in tags],
        "disability_kind": disability.disability_kind if disability else "",
        "disability_grade": str(disability.disability_grade or "") if disability else "",
    }
    form = ResidentForm(request.POST or None, initial=initial, mode=mode, resident=resident)
    if request.method == "POST" and form.is_valid():
        try:
            services.resident_update(
                actor=request.user, resident=resident, data=form.service_data(resident)
            )
        except ApplicationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, "已保存。")
            return redirect("people:resident_detail", resident_id=resident.pk)
    return render(request, "people/resident_form.html", {"form": form, "resident": resident})


@registry_writers
@require_http_methods(["GET", "POST"])
def resident_move(request: AuthedRequest, resident_id: int) -> HttpResponse:
    scope = request_scope(request)
    resident = selectors.resident_get_visible(scope, resident_id)
    region_code = request.POST.get("region") or request.GET.get("region") or resident.region_code
    form = MoveForm(
        request.POST or None,
        initial={"region": region_code},
        regions=_region_choices(scope),
        households=[
            c for c in _household_choices(scope, region_code) if c[0] != resident.household_id
        ],
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            if data["to_household"] is None:
                raise services.field_error("to_household", "请选择迁入的户")
            services.resident_move(
                actor=request.user,
                resident=resident,
                to_household=data["to_household"],
                moved_on=data["moved_on"],
                reason=data["reason"],
                relation=data["relation"],
            )
        except ApplicationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, "已办理迁移。")
            return redirect("people:resident_detail", resident_id=resident.pk)
    return render(request, "people/resident_move.html", {"form": form, "resident": resident})


@registry_writers
@require_http_methods(["GET", "POST"])
def resident_leave(request: AuthedRequest, resident_id: int) -> HttpResponse:
    """迁出 or 死亡 registration."""
    resident = selectors.resident_get_visible(request_scope(request), resident_id)
    form = LeaveForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            if data["status"] == Resident.Status.DECEASED:
                services.resident_mark_deceased(
                    actor=request.user, resident=resident, died_on=data["on"], reason=data["reason"]
                )
            else:
                services.resident_mark_moved_out(
                    actor=request.user,
                    resident=resident,
                    moved_on=data["on"],
                    reason=data["reason"],
                )
        except ApplicationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, "已登记。")
            return redirect("people:resident_detail", resident_id=resident.pk)
    return render(request, "people/resident_leave.html", {"form": form, "resident": resident})


# --- reveal -----------------------------------------------------------------------------------


def _reveal(
    request: AuthedRequest, obj: Resident | Household, field: str, back: str
) -> HttpResponse:
    """GET: the reason form; POST: the clear value (recorded) or the form with its error.
    htmx requests get the fragment, others a small page (works without JavaScript)."""
    if field not in services.REVEALABLE_FIELDS[type(obj)]:
        raise NotFound("not_found", "未找到该字段")
    if not services.may_reveal(request.user, obj.region_code):
        raise services.reveal_refusal()
    form = RevealForm(request.POST or None)
    context: dict[str, Any] = {
        "obj": obj,
        "field": field,
        "field_label": services.FIELD_LABELS[field],
        "form": form,
        "action": request.path,
        "back": back,
    }
    template = "people/reveal_form.html"
    if request.method == "POST" and form.is_valid():
        try:
            value = services.pii_reveal(
                actor=request.user, obj=obj, field=field, reason=form.cleaned_data["reason"]
            )
        except ApplicationError as exc:
            add_service_errors(form, exc)
        else:
            context["value"] = value
            template = "people/reveal_value.html"
    if not getattr(request, "htmx", False):
        context["fragment"] = template
        template = "people/reveal_page.html"
    response = render(request, template, context)
    response["Cache-Control"] = "no-store"  # a clear value must not stay in any cache
    return response


@registry_readers
@require_http_methods(["GET", "POST"])
def resident_reveal(request: AuthedRequest, resident_id: int, field: str) -> HttpResponse:
    resident = selectors.resident_get_visible(request_scope(request), resident_id)
    return _reveal(request, resident, field, reverse("people:resident_detail", args=[resident.pk]))


@registry_readers
@require_http_methods(["GET", "POST"])
def household_reveal(request: AuthedRequest, household_id: int, field: str) -> HttpResponse:
    household = selectors.household_get_visible(request_scope(request), household_id)
    return _reveal(
        request, household, field, reverse("people:household_detail", args=[household.pk])
    )


# --- households -------------------------------------------------------------------------------


@registry_readers
@require_GET
def household_list(request: AuthedRequest) -> HttpResponse:
    scope = request_scope(request)
    query = (request.GET.get("q") or "").strip()[:100]
    region_code = (request.GET.get("region") or "")[:15]
    building_raw = request.GET.get("building") or ""
    building = (
        region_selectors.building_get_visible(scope, int(building_raw))
        if building_raw.isdigit()
        else None
    )
    households = selectors.household_list(
        scope,
        q=query,
        region_code=region_code or None,
        building=building.pk if building else None,
    )
    page = Paginator(households, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "people/household_list.html",
        {
            "safe_query": request.GET,
            "page": page,
            "query": query,
            "building": building,
            "drill": _drilldown(scope, region_code),
            "can_write": _is_writer(request.user),
        },
    )


@registry_readers
@require_GET
def household_detail(request: AuthedRequest, household_id: int) -> HttpResponse:
    scope = request_scope(request)
    household = selectors.household_get_visible(scope, household_id)
    level = registry_write_level(request.user, household.region_code)
    return render(
        request,
        "people/household_detail.html",
        {
            "household": household,
            "members": selectors.household_members(scope, household),
            "former": selectors.household_former_members(scope, household),
            "can_write": level == FULL_ACCESS,
            "can_reveal": services.may_reveal(request.user, household.region_code),
        },
    )


def _household_form(request: AuthedRequest, household: Household | None) -> HttpResponse:
    scope = request_scope(request)
    region_code = request.POST.get("region") or (household.region_code if household else "")
    initial: dict[str, Any] = {}
    if household is not None:
        initial = {
            "region": household.region_code,
            "number": household.number,
            "address": household.address,
            "building": household.building_id,
            "residence_type": household.residence_type,
        }
    elif request.GET.get("region"):
        region_code = request.GET["region"][:15]
        initial = {"region": region_code}
    regions = _region_choices(scope, within=household.region_code[:12] if household else None)
    form = HouseholdForm(
        request.POST or None,
        initial=initial,
        regions=regions,
        buildings=_building_choices(scope, region_code),
        household=household,
    )
    if request.method == "POST" and form.is_valid():
        data = form.service_data(household)
        try:
            if household is None:
                data.pop("clear_phone", None)
                created = services.household_create(
                    actor=request.user, building=data.pop("building_id"), **data
                )
                target = created.pk
            else:
                services.household_update(actor=request.user, household=household, data=data)
                target = household.pk
        except ApplicationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, "已保存。")
            return redirect("people:household_detail", household_id=target)
    return render(request, "people/household_form.html", {"form": form, "household": household})


@registry_writers
@require_http_methods(["GET", "POST"])
def household_create(request: AuthedRequest) -> HttpResponse:
    return _household_form(request, None)


@registry_writers
@require_http_methods(["GET", "POST"])
def household_edit(request: AuthedRequest, household_id: int) -> HttpResponse:
    household = selectors.household_get_visible(request_scope(request), household_id)
    return _household_form(request, household)


@registry_writers
@require_http_methods(["POST"])
def household_head(request: AuthedRequest, household_id: int) -> HttpResponse:
    household = selectors.household_get_visible(request_scope(request), household_id)
    raw = request.POST.get("resident", "")
    try:
        services.household_set_head(
            actor=request.user,
            household=household,
            resident=int(raw) if raw.isdigit() else None,
        )
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, "已更新户主。")
    return redirect("people:household_detail", household_id=household.pk)


# --- my grid and pickers ----------------------------------------------------------------------


@registry_readers
@require_GET
def my_grid(request: AuthedRequest) -> HttpResponse:
    """A grid worker's phone list: the households of their grid with members and tags."""
    query = (request.GET.get("q") or "").strip()[:100]
    overview = selectors.grid_overview(request_scope(request), q=query)
    return render(request, "people/my_grid.html", {"overview": overview, "query": query})


@registry_readers
@require_GET
def household_options(request: AuthedRequest) -> HttpResponse:
    """<option>s of the households of a region (htmx picker)."""
    scope = request_scope(request)
    code = (request.GET.get("region") or "")[:15]
    exclude = request.GET.get("exclude", "")
    choices = [c for c in _household_choices(scope, code) if str(c[0]) != exclude] if code else []
    return render(
        request,
        "people/options.html",
        {"choices": choices, "empty": "请选择" if code else "请先选择网格/社区"},
    )


@registry_readers
@require_GET
def building_options(request: AuthedRequest) -> HttpResponse:
    """<option>s of the buildings of a region's community (htmx picker)."""
    code = (request.GET.get("region") or "")[:15]
    choices = _building_choices(request_scope(request), code) if code else []
    return render(request, "people/options.html", {"choices": choices, "empty": "不选"})
