"""Workforce pages: worker list/detail (posts, certificates, trainings), forms, 队伍配备."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from linli.core.errors import ApplicationError
from linli.core.scoping import request_scope
from linli.core.views_support import AuthedRequest, staff_required
from linli.regions.selectors import region_get_visible
from linli.workforce import selectors, services
from linli.workforce.forms import CertificateForm, PositionForm, TrainingForm, WorkerForm
from linli.workforce.models import Position

PAGE_SIZE = 30


def _flag(value: str | None) -> bool | None:
    return {"1": True, "0": False}.get(value or "")


@staff_required
def worker_list(request: AuthedRequest) -> HttpResponse:
    scope = request_scope(request)
    filters = {
        "q": request.GET.get("q", "").strip(),
        "position": request.GET.get("position", ""),
        "active": request.GET.get("active", "1"),
        "region": request.GET.get("region", "").strip(),
    }
    workers = selectors.worker_list(
        scope,
        q=filters["q"] or None,
        position_kind=filters["position"] or None,
        is_active=_flag(filters["active"]),
        region_code=filters["region"] or None,
    )
    page = Paginator(workers, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "page": page,
        "filters": filters,
        "kinds": Position.Kind.choices,
        "querystring": query.urlencode(),
        "can_write": scope.can_write,
    }
    template = "workforce/list.html#results" if request.htmx else "workforce/list.html"  # type: ignore[attr-defined]
    return render(request, template, context)


@staff_required
def worker_detail(request: AuthedRequest, worker_id: int) -> HttpResponse:
    scope = request_scope(request)
    worker = selectors.worker_get_visible(scope, worker_id)
    return render(
        request,
        "workforce/detail.html",
        {
            "worker": worker,
            "positions": selectors.worker_positions(scope, worker),
            "certificates": selectors.worker_certificates(scope, worker),
            "trainings": selectors.worker_trainings(scope, worker),
            "position_form": PositionForm(scope=scope),
            "certificate_form": CertificateForm(),
            "training_form": TrainingForm(),
            "can_write": scope.can_write,
        },
    )


@staff_required
def worker_create(request: AuthedRequest) -> HttpResponse:
    scope = request_scope(request)
    form = WorkerForm(request.POST or None, scope=scope)
    if request.method == "POST" and form.is_valid():
        try:
            region = region_get_visible(scope, form.cleaned_data["region_code"])
            worker = services.worker_create(
                actor=request.user, region=region, **form.service_data()
            )
        except ApplicationError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, f"已登记工作者“{worker.name}”。")
            return redirect("workforce:detail", worker_id=worker.pk)
    return render(request, "workforce/form.html", {"form": form, "worker": None})


@staff_required
def worker_edit(request: AuthedRequest, worker_id: int) -> HttpResponse:
    scope = request_scope(request)
    worker = selectors.worker_get_visible(scope, worker_id)
    initial = {
        f: getattr(worker, f)
        for f in ("name", "gender", "birth_date", "education", "employed_since", "is_active")
    }
    form = WorkerForm(request.POST or None, scope=scope, editing=True, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.worker_update(actor=request.user, worker=worker, data=form.service_data())
        except ApplicationError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, "已保存。")
            return redirect("workforce:detail", worker_id=worker.pk)
    return render(request, "workforce/form.html", {"form": form, "worker": worker})


def _post_form(
    request: AuthedRequest,
    worker_id: int,
    form: forms.Form,
    action: Callable[[Any, dict[str, Any]], Any],
    done: str,
) -> HttpResponse:
    """Validate a small detail-page form, run the service, report the result as a message."""
    worker = selectors.worker_get_visible(request_scope(request), worker_id)
    if form.is_valid():
        try:
            action(worker, dict(form.cleaned_data))
        except ApplicationError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, done)
    else:
        messages.error(request, "；".join(str(e) for errs in form.errors.values() for e in errs))
    return redirect("workforce:detail", worker_id=worker.pk)


@staff_required
@require_POST
def position_add(request: AuthedRequest, worker_id: int) -> HttpResponse:
    scope = request_scope(request)

    def assign(worker: Any, data: dict[str, Any]) -> Any:
        code = data.pop("region_code")
        region = region_get_visible(scope, code) if code else None
        return services.position_assign(actor=request.user, worker=worker, region=region, **data)

    return _post_form(
        request, worker_id, PositionForm(request.POST, scope=scope), assign, "已任职。"
    )


@staff_required
@require_POST
def position_end(request: AuthedRequest, worker_id: int, position_id: int) -> HttpResponse:
    scope = request_scope(request)
    position = selectors.position_get_visible(scope, position_id)
    if position.worker_id != worker_id:
        selectors.position_get_visible(scope, -1)  # 404, same message
    try:
        services.position_end(actor=request.user, position=position)
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"已办理{position.get_kind_display()}离任。")
    return redirect("workforce:detail", worker_id=worker_id)


@staff_required
@require_POST
def certificate_add(request: AuthedRequest, worker_id: int) -> HttpResponse:
    return _post_form(
        request,
        worker_id,
        CertificateForm(request.POST),
        lambda worker, data: services.certificate_add(actor=request.user, worker=worker, **data),
        "已登记证书。",
    )


@staff_required
@require_POST
def training_add(request: AuthedRequest, worker_id: int) -> HttpResponse:
    return _post_form(
        request,
        worker_id,
        TrainingForm(request.POST),
        lambda worker, data: services.training_add(actor=request.user, worker=worker, **data),
        "已登记培训。",
    )


@staff_required
def staffing(request: AuthedRequest) -> HttpResponse:
    """Each community's 队伍配备 against 专栏4 and 专栏5."""
    rows = selectors.community_staffing(request_scope(request))
    return render(request, "workforce/staffing.html", {"rows": rows})
