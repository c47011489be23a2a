"""Region pages: the tree (drill-down), import/export, and the region switcher."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import content_disposition_header, url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from linli.core.downloads import CONTENT_TYPES, download_stash
from linli.core.errors import ApplicationError
from linli.core.scoping import ACTIVE_PREFIX_SESSION_KEY, request_scope
from linli.core.tabular import Format, ImportFailed
from linli.core.views_support import AuthedRequest, roles_required, staff_required
from linli.regions import io, selectors, services
from linli.regions.switcher import region_switch_validate


@staff_required
def region_tree(request: AuthedRequest) -> HttpResponse:
    """The subtree the user may see; `?root=CODE` drills down to one node."""
    scope = request_scope(request)
    root_code = request.GET.get("root") or None
    root = selectors.region_get_visible(scope, root_code) if root_code else None
    nodes = selectors.region_tree_for(scope, root_code=root_code)
    context = {
        "roots": selectors.region_tree_nested(nodes),
        "has_illustrative": any(node.is_illustrative for node in nodes),
        "root": root,
        "can_import": scope.can_write
        and (request.user.is_superuser or request.user.has_role("county_admin", "town_staff")),
    }
    return render(request, "regions/tree.html", context)


@staff_required
@require_POST
def region_switch(request: AuthedRequest) -> HttpResponse:
    try:
        prefix = region_switch_validate(request.user, request.POST.get("prefix", ""))
    except ApplicationError as exc:
        messages.error(request, exc.message)
        prefix = ""
    if prefix:
        request.session[ACTIVE_PREFIX_SESSION_KEY] = prefix
    else:
        request.session.pop(ACTIVE_PREFIX_SESSION_KEY, None)
    target = request.POST.get("next", "/")
    if not url_has_allowed_host_and_scheme(target, {request.get_host()}):
        target = "/"
    return redirect(target)


def _format(request: AuthedRequest) -> Format:
    return "csv" if request.GET.get("format") == "csv" else "xlsx"


@staff_required
def region_export(request: AuthedRequest) -> HttpResponse:
    fmt = _format(request)
    data = io.region_export(request_scope(request), fmt)
    return _attachment(data, f"区划树.{fmt}")


@staff_required
def region_template(request: AuthedRequest) -> HttpResponse:
    fmt = _format(request)
    return _attachment(io.region_template(fmt), f"区划导入模板.{fmt}")


@roles_required("county_admin", "town_staff")
def region_import(request: AuthedRequest) -> HttpResponse:
    """Upload a tree file: all rows imported, or none with a row-by-row error report."""
    context: dict[str, Any] = {}
    upload = request.FILES.get("file") if request.method == "POST" else None
    if request.method == "POST" and upload is None:
        context["error"] = "请选择要导入的 XLSX 或 CSV 文件"
    elif upload is not None:
        try:
            table, rows = io.region_table_read(upload, filename=upload.name)
            report = services.region_tree_import(actor=request.user, rows=rows)
        except ImportFailed as exc:
            fmt: Format = "csv" if (upload.name or "").lower().endswith(".csv") else "xlsx"
            token = download_stash(
                request,
                data=io.region_error_report(fmt, table, exc.report),
                filename=f"区划导入错误报告.{fmt}",
            )
            context.update(report=exc.report, error=exc.message, report_token=token)
        except ApplicationError as exc:
            context["error"] = exc.message
        else:
            messages.success(request, report.lines()[0])
            return redirect("regions:tree")
    return render(request, "regions/import.html", context)


def _attachment(data: bytes, filename: str) -> HttpResponse:
    fmt = filename.rsplit(".", 1)[-1]
    response = HttpResponse(data, content_type=CONTENT_TYPES[fmt])
    response["Content-Disposition"] = content_disposition_header(True, filename)
    return response
