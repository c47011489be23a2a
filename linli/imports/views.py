"""Import centre pages: templates, uploads, exports and the jobs with their progress."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import FileResponse, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_POST

from linli.core.downloads import CONTENT_TYPES
from linli.core.errors import ApplicationError
from linli.core.scoping import request_scope
from linli.core.tabular import Format
from linli.core.views_support import AuthedRequest, roles_required
from linli.imports import selectors, services
from linli.imports.models import ImportJob, Kind

IMPORT_ROLES = ("county_admin", "town_staff", "community_worker")
EXPORT_ROLES = (*IMPORT_ROLES, "leader")
RECENT_JOBS = 20


def _format(request: AuthedRequest) -> Format:
    return "csv" if request.GET.get("format") == "csv" else "xlsx"


def _can_import(request: AuthedRequest) -> bool:
    return request_scope(request).can_write and (
        request.user.is_superuser or request.user.has_role(*IMPORT_ROLES)
    )


@roles_required(*EXPORT_ROLES)
def import_centre(request: AuthedRequest) -> HttpResponse:
    """Every registry with its template, upload and export, and the recent jobs."""
    jobs = [
        selectors.job_with_progress(job)
        for job in selectors.job_list(request_scope(request), user=request.user)[:RECENT_JOBS]
    ]
    highlight = request.GET.get("job", "")
    context: dict[str, Any] = {
        "kinds": [{"kind": kind, "spec": services.spec_for(kind.value)} for kind in Kind],
        "jobs": jobs,
        "can_import": _can_import(request),
        "highlight": highlight,
        # The registry of the job just uploaded stays unfolded on a phone, for the corrected file.
        "open_kind": next((job.kind for job in jobs if str(job.pk) == highlight), ""),
    }
    return render(request, "imports/centre.html", context)


@roles_required(*EXPORT_ROLES)
def import_template(request: AuthedRequest, kind: str) -> HttpResponse:
    fmt = _format(request)
    spec = services.spec_for(kind)
    return _attachment(services.import_template(kind, fmt), f"{spec.label}导入模板.{fmt}")


@roles_required(*IMPORT_ROLES)
@require_POST
def import_upload(request: AuthedRequest, kind: str) -> HttpResponse:
    """Keep the upload as a job: small files run now, large ones in the worker."""
    services.spec_for(kind)
    upload = request.FILES.get("file")
    if upload is None:
        messages.error(request, "请选择要导入的 XLSX 或 CSV 文件")
        return redirect("imports:centre")
    try:
        job = services.import_job_create(
            actor=request_scope(request),
            user=request.user,
            kind=kind,
            source=upload,
            filename=upload.name or f"{kind}.xlsx",
        )
    except ApplicationError as exc:
        messages.error(request, exc.message)
        return redirect("imports:centre")
    job = services.import_job_start(job)
    if job.status == ImportJob.Status.SUCCEEDED:
        messages.success(request, job.message)
    elif job.status == ImportJob.Status.FAILED:
        messages.error(request, job.message)
    else:
        messages.info(request, "文件较大，已转入后台导入，可在下方查看进度")
    return redirect(f"{reverse('imports:centre')}?job={job.pk}#job-{job.pk}")


@roles_required(*EXPORT_ROLES)
def import_export(request: AuthedRequest, kind: str) -> HttpResponse:
    """A small export downloads at once; a large one becomes a job with a progress bar."""
    fmt = _format(request)
    spec = services.spec_for(kind)
    scope = request_scope(request)
    if services.export_count(scope, kind) <= services.EXPORT_INLINE_MAX_ROWS:
        data = services.export_write(principal=scope, kind=kind, fmt=fmt)
        return _attachment(data, f"{spec.label}.{fmt}")
    job = services.export_job_create(actor=scope, user=request.user, kind=kind, fmt=fmt)
    job = services.import_job_start(job, inline=False)
    messages.info(request, "数据较多，已转入后台导出，完成后可在下方下载")
    return redirect(f"{reverse('imports:centre')}?job={job.pk}#job-{job.pk}")


@roles_required(*EXPORT_ROLES)
def job_row(request: AuthedRequest, pk: int) -> HttpResponse:
    """One job's table row (polled by htmx every second until the job ends). Whoever polls it
    is watching it finish: a failed import's row errors open at once."""
    job = selectors.job_get(request_scope(request), pk, user=request.user)
    return render(request, "imports/_job_row.html", {"job": job, "watching": True})


@roles_required(*EXPORT_ROLES)
def job_download(request: AuthedRequest, pk: int) -> Any:  # a FileResponse
    """An export file, or an import's error report (only for the person who uploaded it)."""
    job = selectors.job_get(request_scope(request), pk, user=request.user)
    path, filename = services.job_file(job, user=request.user)
    return FileResponse(
        path.open("rb"),
        as_attachment=True,
        filename=filename,
        content_type=CONTENT_TYPES.get(job.file_format, "application/octet-stream"),
    )


def _attachment(data: bytes, filename: str) -> HttpResponse:
    fmt = filename.rsplit(".", 1)[-1]
    response = HttpResponse(data, content_type=CONTENT_TYPES[fmt])
    response["Content-Disposition"] = content_disposition_header(True, filename)
    return response
