"""Imports and exports over the API: upload a file as a job, follow it, fetch exports.

Every route works on import/export jobs (`ImportJob`), scoped like any regional row. An
upload answers at once with the job (status `queued`, or already finished for a small
file); large files run in the worker. A failed import lists its errors by spreadsheet row
in `errors` (the row-by-row report file, with the uploaded data, is offered on the page to
the uploader only). Exports are jobs too: ask for one, then download its file.
"""

from datetime import datetime
from typing import Literal

from django.http import FileResponse
from ninja import File, Form, Router, Schema
from ninja.files import UploadedFile
from ninja.pagination import paginate
from ninja.responses import Status

from linli.core.api import ERROR_RESPONSES, scoped_to, write_allowed
from linli.core.downloads import CONTENT_TYPES
from linli.core.errors import NotFound, ValidationFailed
from linli.core.views_support import AuthedRequest
from linli.imports import selectors, services
from linli.imports.models import ImportJob

router = Router(tags=["导入导出 imports"])


class RowErrors(Schema):
    row: int
    messages: list[str]


class JobOut(Schema):
    id: int
    operation: str
    kind: str
    status: str
    phase: str
    filename: str
    file_format: str
    region_code: str
    actor_label: str
    total: int
    processed: int
    percent: int
    message: str
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    error_count: int = 0
    errors: list[RowErrors] = []
    created_at: datetime
    finished_at: datetime | None
    file_url: str | None = None

    @staticmethod
    def resolve_created(obj: ImportJob) -> int:
        return int(obj.report.get("created", 0))

    @staticmethod
    def resolve_updated(obj: ImportJob) -> int:
        return int(obj.report.get("updated", 0))

    @staticmethod
    def resolve_unchanged(obj: ImportJob) -> int:
        return int(obj.report.get("unchanged", 0))

    @staticmethod
    def resolve_error_count(obj: ImportJob) -> int:
        return int(obj.report.get("error_count", 0))

    @staticmethod
    def resolve_errors(obj: ImportJob) -> list[dict]:
        return list(obj.report.get("errors", []))

    @staticmethod
    def resolve_file_url(obj: ImportJob) -> str | None:
        if obj.operation == ImportJob.Operation.EXPORT and obj.status == ImportJob.Status.SUCCEEDED:
            return f"/api/imports/jobs/{obj.pk}/file"
        return None


def _user(request: AuthedRequest):  # type: ignore[no-untyped-def]
    """The signed-in user (their own jobs are theirs to see); None for an API token, which
    sees its region's jobs only (tokens share their creator, not their regions)."""
    auth = request.auth
    return auth if hasattr(auth, "username") else None


@router.get("/jobs", response=list[JobOut], summary="导入导出任务列表")
@paginate
@scoped_to(ImportJob)
def job_list(request: AuthedRequest):  # type: ignore[no-untyped-def]
    return selectors.job_list(request.auth, user=_user(request))


@router.get("/jobs/{job_id}", response={200: JobOut, **ERROR_RESPONSES}, summary="任务状态与结果")
@scoped_to(ImportJob)
def job_detail(request: AuthedRequest, job_id: int):  # type: ignore[no-untyped-def]
    return selectors.job_get(request.auth, job_id, user=_user(request))


@router.get(
    "/jobs/{job_id}/file",
    response=ERROR_RESPONSES,
    summary="下载导出文件",
    openapi_extra={
        "responses": {
            "200": {
                "description": "XLSX 或 CSV 文件（身份证号、电话已脱敏）",
                "content": {CONTENT_TYPES["xlsx"]: {}, CONTENT_TYPES["csv"]: {}},
            }
        }
    },
)
@scoped_to(ImportJob)
def job_file(request: AuthedRequest, job_id: int):  # type: ignore[no-untyped-def]
    job = selectors.job_get(request.auth, job_id, user=_user(request))
    if job.operation != ImportJob.Operation.EXPORT:
        raise NotFound("job_file_missing", "该任务没有可下载的文件")
    path, filename = services.job_file(job, user=_user(request))
    return FileResponse(
        path.open("rb"),
        as_attachment=True,
        filename=filename,
        content_type=CONTENT_TYPES.get(job.file_format, "application/octet-stream"),
    )


@router.post(
    "/{kind}/jobs",
    response={202: JobOut, **ERROR_RESPONSES},
    summary="上传导入文件（全部正确才导入）",
)
@scoped_to(ImportJob)
def import_upload(  # type: ignore[no-untyped-def]
    request: AuthedRequest,
    kind: str,
    file: File[UploadedFile] = None,  # type: ignore[assignment]
    region: Form[str] = "",
):
    """`kind`: buildings, households, residents, organisations, facilities, workers.
    `region` (optional): a region code the rows must lie in (default: the token's region)."""
    services.spec_for(kind)  # an unknown kind is 404 before anything else
    write_allowed(request)
    if file is None:
        raise ValidationFailed("file_required", "请上传 XLSX 或 CSV 文件（字段 file）")
    job = services.import_job_create(
        actor=request.auth,
        kind=kind,
        source=file,
        filename=file.name or f"{kind}.xlsx",
        region_code=region,
    )
    return Status(202, services.import_job_start(job))


@router.post(
    "/{kind}/exports", response={202: JobOut, **ERROR_RESPONSES}, summary="导出（后台生成文件）"
)
@scoped_to(ImportJob)
def export_create(  # type: ignore[no-untyped-def]
    request: AuthedRequest,
    kind: str,
    format: Literal["xlsx", "csv"] = "xlsx",
    region: str = "",
):
    """Every row of `kind` the token may see (narrowed to `region` if given), PII masked."""
    services.spec_for(kind)
    job = services.export_job_create(actor=request.auth, kind=kind, fmt=format, region_code=region)
    return Status(202, services.import_job_start(job, inline=False))
