"""Case pages: report (phone), my cases, the grid worker's queue, the operator and department
desks, the supervisor board, statistics, the inbox and the case detail with its timeline."""

from __future__ import annotations

import math
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from linli.cases import selectors, services
from linli.cases.forms import ReportForm
from linli.cases.models import OPEN_STATUSES, CasePhoto, RejectReason, Status, Urgency
from linli.core.errors import ApplicationError, Forbidden, ValidationFailed
from linli.core.scoping import LEVEL_PREFIX_LENGTH, request_scope, scope_of
from linli.core.views_support import AuthedRequest, roles_required

OPERATOR_ROLES = ("county_admin", "town_staff", "community_worker")
SUPERVISOR_ROLES = ("county_admin", "town_staff", "leader")
PAGE_SIZE = 30


def _page(request: AuthedRequest, rows: Any) -> Any:
    return Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))


@login_required
def case_home(request: AuthedRequest) -> HttpResponse:
    """The cases entry sends each person to their own workplace."""
    user = request.user
    if user.is_superuser or user.has_role(*OPERATOR_ROLES):
        return redirect("cases:desk")
    if user.has_role("grid_worker"):
        return redirect("cases:queue")
    if user.has_role("department_handler"):
        return redirect("cases:department")
    if user.has_role("leader"):
        return redirect("cases:board")
    return redirect("cases:mine")


# --- report -------------------------------------------------------------------------------


COUNTY_CENTRE_FALLBACK = (118.3336, 30.9197)  # 南陵县 seat, when the county has no centre


def _map_context(request: AuthedRequest, *, is_staff: bool) -> dict[str, Any]:
    """The report map: a resident's opens on their own home (building, else community),
    staff's on the first community they cover (else their own grid); failing that, on the
    county's centre."""
    scope = scope_of(request.user)
    communities = [
        {"code": r.code, "name": r.name, "lng": r.center_lng, "lat": r.center_lat}
        for r in selectors._regions().communities
        if r.center_lng is not None
        and (not scope.prefixes or scope.covers(r.code) or scope.is_global)
    ]
    if is_staff:
        home = (
            (communities[0]["lng"], communities[0]["lat"], 13)
            if communities
            else selectors.role_region_point(request.user)
        )
    else:
        home = selectors.report_map_home(request.user)
    if home is not None:
        center, zoom = [home[0], home[1]], home[2]
    else:
        county = selectors.county_centre() or COUNTY_CENTRE_FALLBACK
        center, zoom = [county[0], county[1]], 11
    return {
        "map_config": {
            "tiles": getattr(settings, "LINLI_MAP_TILE_URL", ""),
            "communities": communities[:400],
            "center": center,
            "zoom": zoom,
            "nearbyUrl": reverse("cases:nearby"),
        }
    }


@login_required
def case_report_page(request: AuthedRequest) -> HttpResponse:
    """随手拍 / 巡查上报 / 热线登记: one form, fields shown by role."""
    user = request.user
    if not services.may_report(user):  # said before the form is filled, not after
        raise Forbidden("case_forbidden", "您的账号不能上报案件（只读角色）")
    is_operator = user.is_superuser or user.has_role(*OPERATOR_ROLES)
    is_grid = user.has_role("grid_worker")
    form = ReportForm(request.POST or None, user=user, is_operator=is_operator, is_grid=is_grid)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        earlier = selectors.case_just_reported_by(
            user, data["category"], data["description"], data.get("region_code") or None
        )
        if earlier is not None:
            messages.info(
                request, f"您刚才已提交过相同的问题（案件编号 {earlier.number}），没有重复登记。"
            )
            return redirect("cases:detail", pk=earlier.pk)
        try:
            case = services.case_report(
                actor=user,
                category_code=data["category"],
                description=data["description"],
                region_code=data.get("region_code") or None,
                lng=data.get("lng"),
                lat=data.get("lat"),
                coord_system=data.get("coord_system") or "wgs84",
                address=data.get("address", ""),
                urgency=data.get("urgency") or Urgency.NORMAL,
                source=data.get("source") or None,
                reporter_name=data.get("reporter_name", ""),
                reporter_phone=data.get("reporter_phone", ""),
                photo_uploads=request.FILES.getlist("photos"),
                self_handle=bool(data.get("self_handle")),
            )
        except ValidationFailed as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, f"已上报，案件编号 {case.number}。我们会尽快处理。")
            return redirect("cases:detail", pk=case.pk)
    context = {
        "form": form,
        "is_operator": is_operator,
        "is_grid": is_grid,
        **_map_context(request, is_staff=is_operator or is_grid),
    }
    return render(request, "cases/report.html", context)


@login_required
def case_nearby(request: AuthedRequest) -> HttpResponse:
    """htmx, when a point is picked: where it is (the grid or community the case will go to:
    without map tiles the reporter has nothing else to recognise), and open cases of the same
    kind near it (附近已有相同问题)."""
    category = selectors.category_by_code(request.GET.get("category", ""))
    try:
        lng = float(request.GET.get("lng", ""))
        lat = float(request.GET.get("lat", ""))
    except ValueError:
        lng = lat = math.nan
    located = math.isfinite(lng) and math.isfinite(lat)
    found = (
        selectors.case_nearby_duplicates(category=category, lng=lng, lat=lat)
        if category is not None and located
        else []
    )
    place = selectors.region_for_point(lng, lat) if located else None
    return render(
        request, "cases/_nearby.html", {"found": found, "located": located, "place": place}
    )


@login_required
@require_POST
def case_follow(request: AuthedRequest, pk: int) -> HttpResponse:
    services.case_follow(actor=request.user, case_id=pk)
    messages.success(request, "已关注该问题，办理结果会通知您。")
    return redirect("cases:mine")


# --- lists --------------------------------------------------------------------------------


@login_required
def case_mine(request: AuthedRequest) -> HttpResponse:
    """A resident's own cases (reported or followed)."""
    rows = selectors.case_list_own(request.user)
    return render(
        request,
        "cases/list.html",
        {"page": _page(request, rows), "title": "我的诉求", "mode": "mine", "can_report": True},
    )


@roles_required("grid_worker", "community_worker")
def case_queue(request: AuthedRequest) -> HttpResponse:
    """A grid worker's queue: what is dispatched to them, nearest deadline first."""
    rows = selectors.case_queue_for_worker(request.user)
    return render(
        request,
        "cases/list.html",
        {"page": _page(request, rows), "title": "我的待办", "mode": "queue", "can_report": True},
    )


DESK_TABS = {
    "reported": ("待受理", (Status.REPORTED,)),
    "dispatch": ("待派单", (Status.ACCEPTED, Status.ESCALATED)),
    "handling": ("办理中", (Status.DISPATCHED, Status.SIGNED, Status.IN_PROGRESS)),
    "resolved": ("待回访", (Status.RESOLVED,)),
    "all": ("全部", ()),
}


@roles_required(*OPERATOR_ROLES, "leader")
def case_desk(request: AuthedRequest) -> HttpResponse:
    """The operator desk: intake, acceptance, dispatch — tabs by stage, with filters."""
    tab = request.GET.get("tab", "reported")
    if tab not in DESK_TABS:
        tab = "reported"
    scope = request_scope(request)
    statuses = DESK_TABS[tab][1]
    overdue = request.GET.get("overdue") == "1"
    rows = selectors.case_list(
        scope,
        statuses=list(statuses) or None,
        category_code=request.GET.get("category") or None,
        overdue=True if overdue else None,
        query=request.GET.get("q") or None,
    )
    counts = {
        key: selectors.case_list(scope, statuses=list(st)).count()
        for key, (_, st) in DESK_TABS.items()
        if st
    }
    return render(
        request,
        "cases/list.html",
        {
            "page": _page(request, rows),
            "title": "受理派单台",
            "mode": "desk",
            "tabs": [(k, v[0], counts.get(k)) for k, v in DESK_TABS.items()],
            "tab": tab,
            "categories": [c for c in selectors.category_tree() if c.parent_id is None],
            "query": request.GET.get("q", ""),
            "overdue": overdue,
            "can_report": services.may_report(request.user),
        },
    )


@roles_required("department_handler")
def case_department_desk(request: AuthedRequest) -> HttpResponse:
    """The department desk: sign for (报到), handle, return."""
    departments = selectors.department_ids_for(request.user)
    assignments = selectors.department_assignments(departments)
    return render(
        request,
        "cases/department.html",
        {"page": _page(request, assignments), "has_departments": bool(departments)},
    )


@roles_required(*SUPERVISOR_ROLES)
def case_board(request: AuthedRequest) -> HttpResponse:
    """The supervisor board: overdue and escalated cases by town and department."""
    scope = request_scope(request)
    visible = selectors.case_visible(scope)
    counts = selectors.board_counts(visible)
    attention = selectors.case_needing_attention(scope)[:50]
    return render(request, "cases/board.html", {"counts": counts, "attention": attention})


# --- statistics ---------------------------------------------------------------------------


def _month_start(text: str | None, default: datetime) -> datetime:
    if text:
        try:
            parsed = datetime.strptime(text, "%Y-%m")
            return timezone.make_aware(parsed)
        except ValueError:
            pass
    return default


STATS_GROUPINGS = (
    ("town", _("按镇街")),
    ("community", _("按社区")),
    ("department", _("按部门")),
    ("category", _("按分类")),
    ("month", _("按月份")),
)


@roles_required("county_admin", "town_staff", "community_worker", "leader")
def case_stats(request: AuthedRequest) -> HttpResponse:
    """响应率 · 解决率 · 满意率 and handling statistics by region, department, category, month."""
    scope = request_scope(request)
    now = timezone.localtime()
    default_start = (now.replace(day=1) - timedelta(days=150)).replace(
        day=1, hour=0, minute=0, second=0, microsecond=0
    )
    start = _month_start(request.GET.get("start"), default_start)
    end_month = _month_start(
        request.GET.get("end"), now.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    )
    end = (end_month + timedelta(days=32)).replace(day=1)
    # Grouping by town means something only to who sees several towns (county staff, leaders):
    # a town's or a community's staff group by community.
    county_wide = scope.is_global or any(
        len(prefix) <= LEVEL_PREFIX_LENGTH["county"] for prefix in scope.prefixes
    )
    groupings = [(key, label) for key, label in STATS_GROUPINGS if county_wide or key != "town"]
    group_by = request.GET.get("by", "")
    if group_by not in selectors.GROUPINGS or group_by not in dict(groupings):
        group_by = groupings[0][0]
    visible = selectors.case_visible(scope)
    totals = selectors.case_rate_totals(visible, start=start, end=end)
    rows = selectors.case_rate_labels(
        selectors.case_rates(visible, group_by=group_by, start=start, end=end), group_by
    )
    months = selectors.case_rates(visible, group_by="month", start=start, end=end)
    top = selectors.case_top_categories(visible, start=start, end=end)
    chart = {
        "groups": [r.label for r in rows],
        "response": [r.response_rate for r in rows],
        "solve": [r.solve_rate for r in rows],
        "satisfaction": [r.satisfaction_rate for r in rows],
        "months": [r.key for r in months],
        "monthReported": [r.reported for r in months],
        "monthOverdue": [r.overdue for r in months],
        "top": [{"name": r.label, "value": r.reported} for r in top],
        # The charts' own words, in the page's language (the script has no catalogue).
        "labels": {
            "rates": gettext("三率对比（百分比）"),
            "response": gettext("响应率"),
            "solve": gettext("解决率"),
            "satisfaction": gettext("满意率"),
            "months": gettext("月度案件数"),
            "reported": gettext("上报"),
            "overdue": gettext("超期"),
            "top": gettext("高发问题分类"),
        },
    }
    return render(
        request,
        "cases/stats.html",
        {
            "totals": totals,
            "rows": rows,
            "chart": chart,
            "group_by": group_by,
            "groupings": groupings,
            "start": start.strftime("%Y-%m"),
            "end": end_month.strftime("%Y-%m"),
        },
    )


# --- inbox --------------------------------------------------------------------------------


@login_required
def case_inbox(request: AuthedRequest) -> HttpResponse:
    rows = selectors.notifications_for(request.user)
    return render(request, "cases/inbox.html", {"page": _page(request, rows)})


@login_required
def case_inbox_open(request: AuthedRequest, pk: int) -> HttpResponse:
    """Open one message: it is read now; go to its case (or back to the inbox)."""
    notification = selectors.notification_get_own(request.user, pk)
    services.notification_mark_read(user=request.user, ids=[notification.pk])
    if notification.case_id:
        return redirect("cases:detail", pk=notification.case_id)
    return redirect("cases:inbox")


@login_required
@require_POST
def case_inbox_read(request: AuthedRequest) -> HttpResponse:
    services.notification_mark_read(user=request.user)
    return redirect("cases:inbox")


# --- detail and actions ---------------------------------------------------------------------


@login_required
def case_detail(request: AuthedRequest, pk: int) -> HttpResponse:
    user = request.user
    case = selectors.case_get_visible(user, pk)
    staff_view = selectors.case_is_staff_view(user, case)
    actions = services.case_allowed_actions(user, case)
    context: dict[str, Any] = {
        "case": case,
        "staff_view": staff_view,
        "actions": actions,
        "timeline": selectors.case_timeline(case, public_only=not staff_view),
        "photos": list(case.photos.order_by("id")),
        "assignments": selectors.case_assignments(case) if staff_view else [],
        "reject_reasons": RejectReason.choices,
        "now": timezone.now(),
    }
    if "dispatch" in actions:
        context["workers"] = list(selectors.worker_choices(case))
        context["departments"] = list(selectors.department_choices(case))
    if staff_view and case.status in OPEN_STATUSES:
        context["duplicates"] = selectors.case_nearby_duplicates(
            category=case.category, lng=case.lng, lat=case.lat, exclude_id=case.pk
        )
    return render(request, "cases/detail.html", context)


def _bool(value: str | None) -> bool:
    return value in ("1", "true", "on", "yes")


@login_required
@require_POST
def case_act(request: AuthedRequest, pk: int, action: str) -> HttpResponse:
    """Every action of the detail page. Bad input: a message and nothing changed; someone
    acting first: the 409 page (ApplicationErrorMiddleware)."""
    user, data = request.user, request.POST
    version = int(data["version"]) if data.get("version", "").isdigit() else None
    note = data.get("note", "")
    files = request.FILES.getlist("photos")
    calls = {
        "accept": lambda: services.case_accept(actor=user, case_id=pk, version=version, note=note),
        "reject": lambda: services.case_reject(
            actor=user,
            case_id=pk,
            version=version,
            reason=data.get("reason", ""),
            note=note,
            redirect_to=data.get("redirect_to", ""),
        ),
        "merge": lambda: services.case_merge(
            actor=user,
            case_id=pk,
            version=version,
            into_case_id=_int(data.get("into_case_id")),
            note=note,
        ),
        "dispatch": lambda: services.case_dispatch(
            actor=user,
            case_id=pk,
            version=version,
            worker_id=_int(data.get("worker_id")) or None,
            department_ids=[_int(d) for d in data.getlist("department_ids") if d],
            lead_department_id=_int(data.get("lead_department_id")) or None,
            note=note,
        ),
        "escalate": lambda: services.case_escalate(
            actor=user, case_id=pk, version=version, note=note
        ),
        "sign": lambda: services.case_sign(actor=user, case_id=pk, version=version, note=note),
        "contact": lambda: services.case_contact(
            actor=user, case_id=pk, version=version, note=note
        ),
        "progress": lambda: services.case_progress(
            actor=user, case_id=pk, note=note, photo_uploads=files
        ),
        "resolve": lambda: services.case_resolve(
            actor=user, case_id=pk, version=version, result=note, photo_uploads=files
        ),
        "return": lambda: services.case_return(
            actor=user, case_id=pk, version=version, reason=note
        ),
        "rate": lambda: services.case_rate(
            actor=user,
            case_id=pk,
            version=version,
            is_solved=_bool(data.get("is_solved")),
            is_satisfied=_bool(data.get("is_satisfied")),
            score=_int(data.get("score")),
            comment=data.get("comment", ""),
        ),
        "reopen": lambda: services.case_reopen(
            actor=user, case_id=pk, version=version, reason=note
        ),
        "close": lambda: services.case_close(actor=user, case_id=pk, version=version, note=note),
        "supervise": lambda: services.case_supervise(actor=user, case_id=pk, note=note),
        "extend_request": lambda: services.case_extension_request(
            actor=user, case_id=pk, version=version, hours=data.get("hours", ""), reason=note
        ),
        "extend_decide": lambda: services.case_extension_decide(
            actor=user, case_id=pk, version=version, approve=_bool(data.get("approve")), note=note
        ),
    }
    call = calls.get(action)
    if call is None:
        raise Http404
    selectors.case_get_visible(user, pk)  # 404 first for what the user may not see
    try:
        call()
    except ValidationFailed as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, "操作成功")
    return redirect("cases:detail", pk=pk)


def _int(value: Any) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0


def case_photo(request: AuthedRequest, pk: int) -> HttpResponseBase:
    """A photo, to who may see its case; photos of public categories to anyone (Open311)."""
    photo = CasePhoto.objects.select_related("case", "case__category").filter(pk=pk).first()
    if photo is None:
        raise Http404
    user = request.user
    public = photo.case.category.is_public and photo.kind != CasePhoto.Kind.PROGRESS
    if not public:
        if not user.is_authenticated:
            raise Http404
        try:
            selectors.case_get_visible(user, photo.case_id)
        except ApplicationError:
            raise Http404 from None
    response = FileResponse(photo.file.open("rb"), content_type="image/jpeg")
    response["Cache-Control"] = "private, max-age=3600"
    return response
