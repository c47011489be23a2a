"""Imports and exports of the registries: the all-or-nothing engine and the jobs around it.

`import_run` is the engine (ADR 0009, 0040): read the file, validate every row (first pass,
streaming, keeping only natural keys), then — only if no row failed — read it again and
write in batches inside one transaction, as upserts by natural key. Any bad row: nothing is
written and `ImportFailed` carries the row-by-row report.

Jobs (`ImportJob`) wrap the engine for the pages, the API and the worker: the upload is kept
on disk, the job runs inline (small files) or in the task queue (large ones), its progress
is visible while it runs, and its outcome (counts, or the errors and an error report file)
stays with it. Exports are jobs too when they are large.
"""

from __future__ import annotations

import contextlib
import csv
import datetime
import io
import logging
import os
import pickle
import tempfile
from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path
from typing import IO, Any

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import load_workbook

from linli.core import tabular
from linli.core.errors import ApplicationError, Conflict, Forbidden, NotFound, ValidationFailed
from linli.core.middleware import current_request
from linli.core.models import AuditEntry
from linli.core.scoping import LEVEL_PREFIX_LENGTH, Scope, scope_of
from linli.core.tabular import Format, ImportFailed, ImportReport
from linli.imports import bulk, files
from linli.imports.models import ImportJob
from linli.imports.specs import SPECS, Context, Parsed, TableSpec, region_refs
from linli.imports.writer import WriterProcess
from linli.regions.models import Region

__all__ = [
    "ImportFailed",
    "ImportReport",
    "export_job_create",
    "export_job_execute",
    "export_write",
    "import_job_create",
    "import_job_execute",
    "import_job_start",
    "import_run",
    "import_template",
    "job_file",
    "job_files_purge",
    "spec_for",
]

logger = logging.getLogger("linli.imports")

CHUNK_ROWS = 2000
MAX_IMPORT_ROWS = 1_000_000
MAX_UPLOAD_BYTES = 200 * 1024 * 1024
# Files up to this size are imported during the request (about 8,000 resident rows, under a
# second); larger ones go to the worker and show their progress.
INLINE_MAX_BYTES = 1024 * 1024
EXPORT_INLINE_MAX_ROWS = 5000
# The job keeps the first errors for the page and the API; the report file has them all.
REPORT_MAX_ERRORS = 1000
# SQLite page cache during the write phase: the indexes of a 400 k-row table outgrow the
# default 2 MB cache, and every insert then reads index pages back from disk.
SQLITE_IMPORT_CACHE_KIB = 256 * 1024
# The writer process (writer.py) needs less when the indexes are rebuilt at the end.
SQLITE_BULK_LOAD_CACHE_KIB = 96 * 1024
# A load that adds this many rows, and at least as many as the table holds, rebuilds the
# table's non-unique indexes at the end instead of updating them row by row (ADR 0042).
BULK_LOAD_MIN_ROWS = 50_000
# From this many rows (estimated) a writer process writes while this one validates.
WRITER_MIN_ROWS = 20_000

Progress = Callable[[str, int, int], None]


def spec_for(kind: str) -> TableSpec:
    spec = SPECS.get(kind)
    if spec is None:
        raise NotFound(
            "import_kind_unknown",
            _("没有这种导入导出数据类型：%(kind)s") % {"kind": str(kind)[:30]},
        )
    return spec


def import_template(kind: str, fmt: Format) -> bytes:
    """The import template: the header row, and (XLSX) a 填写说明 sheet with every rule."""
    return tabular.template(fmt, spec_for(kind).columns)


# --- the engine ---------------------------------------------------------------------------


def _read(source: tabular.Source) -> bytes:
    if isinstance(source, bytes):
        return source
    if isinstance(source, str | Path):
        return Path(source).read_bytes()
    if hasattr(source, "seek"):
        source.seek(0)
    data = source.read()
    return data if isinstance(data, bytes) else str(data).encode()


def _estimate_rows(data: bytes, fmt: Format) -> int:
    """A quick row count for the progress bar before the first pass has counted them."""
    if fmt == "csv":
        return max(data.count(b"\n") - 1, 0)
    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True)
        rows = workbook.worksheets[0].max_row or 0
        workbook.close()
        return max(rows - 1, 0)
    except Exception:
        return 0


def _present_columns(spec: TableSpec, headers: list[str]) -> list[tuple[str, str]]:
    missing = [c.header for c in spec.columns if c.required and c.header not in headers]
    if missing:
        raise ValidationFailed(
            "missing_columns",
            _("缺少必填列：%(cols)s（请使用导入模板）") % {"cols": "、".join(missing)},
            detail={"columns": missing},
        )
    return [(c.header, c.key) for c in spec.columns if c.header in headers]


def _rows(
    spec: TableSpec, data: bytes, filename: str | None
) -> Iterator[tuple[int, dict[str, str]]]:
    """(spreadsheet row number, {column key: cell text}) for every non-blank data row, as
    `core.tabular.iter_table` reads them (it checks the header row)."""
    headers, rows = tabular.iter_table(data, filename=filename)
    present = _present_columns(spec, headers)
    if tabular.format_of(filename, data) == "csv":
        del rows  # its decoded copy of the file
        yield from _csv_rows(data, present)
        return
    for row in rows:
        yield row.number, {key: row[header] for header, key in present}


def _csv_rows(data: bytes, present: list[tuple[str, str]]) -> Iterator[tuple[int, dict[str, str]]]:
    """`_rows` for a CSV file, a cell read only if the table has its column.

    The same text as `tabular.cell_text` gives (tested): for a string that is `strip()`, unless
    the cell holds a BOM or starts with an apostrophe (an exported formula-like text), which
    only `cell_text` undoes — when the file has either character anywhere, every cell goes
    through `cell_text`. Reading a county's residents this way takes a fifth of the time."""
    text = tabular.csv_text(data)
    clean: Callable[[str], str] = (
        tabular.cell_text if "\ufeff" in text or "'" in text else str.strip
    )
    reader = csv.reader(io.StringIO(text, newline=""))
    del text
    header = [tabular.cell_text(cell) for cell in next(reader)]
    columns = [(header.index(name), key) for name, key in present]
    for number, cells in enumerate(reader, start=2):
        if not any(map(clean, cells)):
            continue  # a blank row
        width = len(cells)
        yield number, {key: clean(cells[i]) if i < width else "" for i, key in columns}


def _user_of(actor: Any) -> Any:
    """The person behind a principal, for the audit log: a user, or a token's creator."""
    if actor is None or isinstance(actor, Scope):
        return None
    if hasattr(actor, "created_by") and not hasattr(actor, "username"):
        return actor.created_by
    return actor if getattr(actor, "is_authenticated", False) else None


def _check_writable(scope: Scope) -> None:
    if not scope.can_write:
        raise Forbidden("read_only", _("当前账号或令牌为只读，不能导入数据"))
    if not scope.is_global and not scope.prefixes:
        raise Forbidden("no_region", _("您的账号没有管理的区划，不能导入数据"))


def import_run(
    *,
    actor: Any,
    kind: str,
    source: tabular.Source,
    filename: str | None = None,
    progress: Progress | None = None,
    user: Any = None,
    reason: str = "",
    scope: Scope | None = None,
) -> ImportReport:
    """Import a file of `kind` for `actor` (a user, an API token or a Scope): all or nothing.

    `scope` narrows where the rows may be (a job's snapshot: the region switcher, an API
    region); the actor's roles still decide who may keep the registry (ADR 0021).

    Returns the report (created / updated / unchanged) when every row is good; otherwise
    raises `ImportFailed` (422 `import_invalid`, `.report` has the errors by spreadsheet row)
    and writes nothing. Importing the same file again reports every row unchanged.
    """
    spec = spec_for(kind)
    scope = scope or scope_of(actor)
    _check_writable(scope)
    if filename is None and isinstance(source, str | Path):
        filename = str(source)
    data = _read(source)
    fmt = tabular.format_of(filename, data)
    estimate = _estimate_rows(data, fmt)
    context = current_request.get()
    ctx = Context(
        scope=scope,
        principal=actor,
        regions=region_refs(),
        user=user if user is not None else _user_of(actor),
        ip_address=context.ip_address if context else None,
        reason=(reason or _("批量导入%(what)s") % {"what": spec.label})[:200],
    )
    spec.prepare(ctx)
    writer_header = _writer_header(spec, ctx, estimate)
    if writer_header is not None and writer_header.get("bulk_load") and spec.preloads_keys:
        # Before the writer drops the table's indexes (ADR 0106).
        spec.preload_keys(ctx)
    if writer_header is not None:
        try:
            writer = WriterProcess(writer_header)
        except ApplicationError:
            logger.warning("import writer process unavailable; importing in-process", exc_info=True)
        else:
            with writer:
                return _import_with_writer(spec, ctx, data, filename, progress, estimate, writer)
    # Validated rows are staged (pickled) in an anonymous temporary file, so that the write
    # phase neither reads the file again nor keeps 400 k parsed rows in memory.
    with (
        tempfile.TemporaryFile(prefix="linli-import-") as stage,
        sqlite_cache(SQLITE_IMPORT_CACHE_KIB),
    ):
        report, new_rows = _validate(
            spec, ctx, data, filename, progress, estimate, lambda rows: _stage_dump(stage, rows)
        )
        del data
        if not report.ok:
            raise ImportFailed(report)
        bulk_load = new_rows >= BULK_LOAD_MIN_ROWS and new_rows >= bulk.table_row_count(spec.model)
        ctx.bulk_load = bulk_load
        try:
            with transaction.atomic():
                indexes = (
                    bulk.deferred_indexes(spec.model, keep=spec.lookup_columns)
                    if bulk_load
                    else contextlib.nullcontext()
                )
                with indexes:
                    _write(spec, ctx, stage, report, progress)
                    spec.finish_write(ctx, report)
                    ctx.flush_audit()
                if bulk_load:
                    bulk.analyze(ctx.written_models())
                audit_summary(ctx, spec, report, filename or "")
        except IntegrityError as exc:
            raise Conflict(
                "import_conflict", _("导入期间数据被他人同时修改，未导入任何数据，请重新导入")
            ) from exc
    return report


def _writer_header(spec: TableSpec, ctx: Context, estimate: int) -> dict[str, Any] | None:
    """How to start a writer process for this import, or None to write in-process.

    Only for large files, outside any transaction of the caller (the writer has its own
    connection and could not see uncommitted rows), and on a database another process can
    open (not SQLite in memory, as in the test suite)."""
    name = str(connection.settings_dict.get("NAME") or "")
    if (
        estimate < WRITER_MIN_ROWS
        or not getattr(settings, "LINLI_IMPORT_WRITER_PROCESS", True)
        or connection.in_atomic_block
        or (connection.vendor == "sqlite" and (name == ":memory:" or "mode=memory" in name))
        or connection.vendor not in ("sqlite", "postgresql")
    ):
        return None
    # Before validation the number of new rows is unknown: a load counts as bulk when the file
    # could at least double the table (an initial load, not a re-import of the same county).
    bulk_load = estimate >= max(BULK_LOAD_MIN_ROWS, 2 * bulk.table_row_count(spec.model))
    if bulk_load and connection.vendor == "postgresql" and not spec.preloads_keys:
        # Dropping the indexes would lock the whole table, which this process still reads
        # while it validates: a bulk load on PostgreSQL validates first, then writes (ADR 0043)
        # — unless the spec reads the stored keys before the writer starts (ADR 0106).
        return None
    return {
        "settings_module": os.environ.get("DJANGO_SETTINGS_MODULE", "config.settings.base"),
        "database_name": name,
        "kind": spec.kind,
        "user_id": getattr(ctx.user, "pk", None),
        "ip_address": ctx.ip_address,
        "reason": ctx.reason,
        "scope_prefixes": list(ctx.scope.prefixes),
        "scope_global": ctx.scope.is_global,
        "scope_write_prefixes": (
            None if ctx.scope.write_prefixes is None else list(ctx.scope.write_prefixes)
        ),
        "bulk_load": bulk_load,
    }


def _import_with_writer(
    spec: TableSpec,
    ctx: Context,
    data: bytes,
    filename: str | None,
    progress: Progress | None,
    estimate: int,
    writer: WriterProcess,
) -> ImportReport:
    """Validate here while the writer process writes each good batch (see writer.py)."""
    report, _new_rows = _validate(
        spec,
        ctx,
        data,
        filename,
        progress,
        estimate,
        lambda rows: _hand_over(spec, ctx, writer, rows),
    )
    if not report.ok:
        writer.abort()
        raise ImportFailed(report)

    def waiting() -> None:
        if progress:
            progress("writing", min(writer.written, report.total), report.total)

    counts = writer.commit(total=report.total, filename=filename or "", waiting=waiting)
    report.created, report.updated, report.unchanged = (
        counts["created"],
        counts["updated"],
        counts["unchanged"],
    )
    if progress:
        progress("writing", report.total, report.total)
    return report


def _hand_over(spec: TableSpec, ctx: Context, writer: WriterProcess, rows: list[Parsed]) -> None:
    spec.share_work(ctx, rows)
    writer.send([(p.number, p.key, p.region, p.values, p.extra) for p in rows])


def _validate(
    spec: TableSpec,
    ctx: Context,
    data: bytes,
    filename: str | None,
    progress: Progress | None,
    estimate: int,
    sink: Callable[[list[Parsed]], None],
) -> tuple[ImportReport, int]:
    """First pass: every rule on every row. Only the natural keys stay in memory; each
    checked batch goes to `sink` (the staging file, or the writer process) until the first
    error; after it only errors are kept. Returns the report and the number of new rows."""
    report = ImportReport()
    first_row: dict[Any, int] = {}
    chunk: list[Parsed] = []
    new_rows = 0

    def check(rows: list[Parsed]) -> None:
        nonlocal new_rows
        spec.check_chunk(ctx, rows)
        for parsed in rows:
            if parsed.errors:
                report.errors[parsed.number] = parsed.errors
            elif not parsed.extra.get("exists"):
                new_rows += 1
        if report.ok and rows:
            sink(rows)

    for number, row in _rows(spec, data, filename):
        parsed = spec.parse(row, number, ctx)
        spec.track(ctx, parsed)
        if parsed.key is not None:
            first = first_row.setdefault(parsed.key, number)
            if first != number:
                parsed.errors.append(spec.duplicate_message(first))
        chunk.append(parsed)
        report.total += 1
        if report.total > MAX_IMPORT_ROWS:
            raise ValidationFailed(
                "import_too_large",
                _("一次最多导入 %(n)d 行，请分批导入") % {"n": MAX_IMPORT_ROWS},
            )
        if len(chunk) >= CHUNK_ROWS:
            check(chunk)
            chunk = []
            if progress:
                progress("validating", report.total, max(estimate, report.total))
    check(chunk)
    if report.total == 0:
        raise ValidationFailed("import_empty", _("文件中没有数据行"))
    late = spec.finish_check(ctx)
    if late:  # references between rows: known once every row has been read
        for number, messages in late.items():
            report.errors.setdefault(number, []).extend(messages)
        report.errors = dict(sorted(report.errors.items()))
    if progress:
        progress("validating", report.total, report.total)
    return report, new_rows


def _stage_dump(stage: IO[bytes], rows: list[Parsed]) -> None:
    packed = [(p.number, p.key, p.region, p.values, p.extra) for p in rows]
    pickle.dump(packed, stage, protocol=pickle.HIGHEST_PROTOCOL)


def _staged(stage: IO[bytes]) -> Iterator[list[Parsed]]:
    stage.seek(0)
    while True:
        try:
            packed = pickle.load(stage)  # noqa: S301 - our own temporary file
        except EOFError:
            return
        yield [
            Parsed(number, [], key, region, values, extra)
            for number, key, region, values, extra in packed
        ]


def write_batch(spec: TableSpec, ctx: Context, rows: list[Parsed], report: ImportReport) -> None:
    """Write one batch of validated rows (in this process, or in the writer process)."""
    spec.write_chunk(ctx, rows, report)
    failed = next((p for p in rows if p.errors), None)
    if failed is not None:  # pragma: no cover - only a concurrent change gets here
        raise Conflict(
            "import_conflict",
            _("导入期间数据被他人修改（第%(row)d行：%(error)s），未导入任何数据，请重新导入")
            % {"row": failed.number, "error": failed.errors[0]},
        )
    ctx.flush_audit()


def _write(
    spec: TableSpec,
    ctx: Context,
    stage: IO[bytes],
    report: ImportReport,
    progress: Progress | None,
) -> None:
    """Second pass: write the staged (all good) rows batch by batch."""
    done = 0
    for chunk in _staged(stage):
        write_batch(spec, ctx, chunk, report)
        done += len(chunk)
        if progress:
            progress("writing", done, report.total)


class sqlite_cache:
    """A larger SQLite page cache for the duration of an import (no-op elsewhere)."""

    def __init__(self, kib: int) -> None:
        self.kib = kib
        self.previous: int | None = None

    def __enter__(self) -> None:
        if connection.vendor != "sqlite":
            return
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA cache_size")
            self.previous = cursor.fetchone()[0]
            cursor.execute(f"PRAGMA cache_size = -{int(self.kib)}")

    def __exit__(self, *exc: object) -> None:
        if self.previous is not None:
            with connection.cursor() as cursor:
                cursor.execute(f"PRAGMA cache_size = {int(self.previous)}")


def audit_summary(ctx: Context, spec: TableSpec, report: ImportReport, filename: str) -> None:
    """One audit entry for the import (updated rows have their own entries, ADR 0041)."""
    AuditEntry.objects.create(
        actor=ctx.user,
        actor_label=str(ctx.user) if ctx.user else "系统",
        ip_address=ctx.ip_address,
        action=AuditEntry.Action.CREATE,
        model_label=spec.model._meta.label,
        object_pk="import",
        object_repr=(_("批量导入%(what)s：%(file)s") % {"what": spec.label, "file": filename})[
            :200
        ],
        region_code=_scope_root_code(ctx.scope),
        changes={
            "import": {
                "kind": spec.kind,
                "file": Path(filename).name[:200],
                "total": report.total,
                "created": report.created,
                "updated": report.updated,
                "unchanged": report.unchanged,
            }
        },
        reason=ctx.reason,
    )


# --- error reports and exports ------------------------------------------------------------


def error_report_write(
    fmt: Format, data: bytes, filename: str | None, errors: Mapping[int, list[str]]
) -> bytes:
    """The uploaded rows as they were, plus an '错误' column (streamed, not a list in memory)."""
    headers, rows = tabular.iter_table(data, filename=filename)
    headers = [h for h in headers if h != tabular.ERROR_HEADER]
    body = (
        [row.get(h, "") for h in headers] + ["；".join(errors.get(row.number, ()))] for row in rows
    )
    return tabular.write_table(fmt, [*headers, tabular.ERROR_HEADER], body)


def export_count(principal: Any, kind: str) -> int:
    spec = spec_for(kind)
    return spec.model.objects.visible_to(scope_of(principal)).count()  # type: ignore[attr-defined]


def export_write(
    *,
    principal: Any,
    kind: str,
    fmt: Format,
    progress: Callable[[int], None] | None = None,
) -> bytes:
    """Every row of `kind` the principal may see, in the import's columns.

    ID numbers and phones are masked (PIPL: exports mask by default); every text cell is
    neutralised against formula injection by `core.tabular`.
    """
    spec = spec_for(kind)
    records: Iterable[Mapping[str, Any]] = spec.export_records(scope_of(principal))
    if progress is not None:
        records = _counting(records, progress)
    return tabular.export_rows(fmt, spec.columns, records)


def _counting(
    records: Iterable[Mapping[str, Any]], progress: Callable[[int], None]
) -> Iterator[Mapping[str, Any]]:
    count = 0
    for record in records:
        count += 1
        if count % CHUNK_ROWS == 0:
            progress(count)
        yield record
    progress(count)


# --- jobs ---------------------------------------------------------------------------------


def _scope_root_code(scope: Scope) -> str:
    """The code of the region a scope is rooted at ('' for the platform or no region)."""
    if scope.is_global or not scope.prefixes:
        return ""
    common = os.path.commonprefix(list(scope.prefixes))  # noqa: RUF071 - codes, not paths
    lengths = sorted(LEVEL_PREFIX_LENGTH.values(), reverse=True)
    length = next((n for n in lengths if n <= len(common)), 0)
    if not length:
        return ""
    prefix = common[:length]
    return prefix if length > 12 else prefix.ljust(12, "0")


def _job_scope(actor: Any, region_code: str) -> Scope:
    """The principal's scope, narrowed to `region_code` when given (it must be visible)."""
    scope = scope_of(actor)
    if not region_code:
        return scope
    region = Region.objects.filter(code=region_code).first()
    if region is None or not scope.covers(region.code):
        raise NotFound("region_not_found", _("未找到该区划，或您无权查看"))
    return scope.narrowed_to(region.prefix)


def _job_new(
    *, actor: Any, user: Any, scope: Scope, operation: str, kind: str, fmt: str, filename: str
) -> ImportJob:
    root_code = _scope_root_code(scope)
    region = Region.objects.filter(code=root_code).first() if root_code else None
    user = user if user is not None else _user_of(actor)
    if hasattr(actor, "key_prefix"):
        label = _("API 令牌 %(name)s") % {"name": actor.name}
    else:
        label = str(user) if user else _("系统")
    job = ImportJob(
        region=region,
        region_code=region.code if region else "",
        actor=user,
        actor_label=label[:150],
        operation=operation,
        kind=kind,
        file_format=fmt,
        filename=Path(filename).name[:200],
        scope_prefixes=list(scope.prefixes),
        scope_write_prefixes=(None if scope.write_prefixes is None else list(scope.write_prefixes)),
        scope_global=scope.is_global,
        can_write=scope.can_write,
        via_token=hasattr(actor, "key_prefix"),
    )
    job.save()
    return job


def import_job_create(
    *,
    actor: Any,
    kind: str,
    source: bytes | IO[bytes],
    filename: str,
    region_code: str = "",
    user: Any = None,
) -> ImportJob:
    """Keep an uploaded file as a queued import job (run it with `import_job_start`)."""
    spec_for(kind)
    scope = _job_scope(actor, region_code)
    _check_writable(scope)
    size = getattr(source, "size", None)
    if size is not None and size > MAX_UPLOAD_BYTES:
        raise ValidationFailed(
            "file_too_large",
            _("文件过大（最大 %(mb)d MB），请分批导入") % {"mb": MAX_UPLOAD_BYTES // 2**20},
        )
    data = _read(source)
    if len(data) > MAX_UPLOAD_BYTES:
        raise ValidationFailed(
            "file_too_large",
            _("文件过大（最大 %(mb)d MB），请分批导入") % {"mb": MAX_UPLOAD_BYTES // 2**20},
        )
    if not data:
        raise ValidationFailed("file_empty", _("文件是空的，第1行应为表头"))
    fmt = tabular.format_of(filename, data)
    with transaction.atomic():
        job = _job_new(
            actor=actor,
            user=user,
            scope=scope,
            operation=ImportJob.Operation.IMPORT,
            kind=kind,
            fmt=fmt,
            filename=filename or f"{kind}.{fmt}",
        )
        files.write_atomically(files.source_path(job.pk, fmt), data)
    return job


def import_job_start(job: ImportJob, *, inline: bool | None = None) -> ImportJob:
    """Run a queued job now (small files) or hand it to the worker (large ones)."""
    if inline is None:
        path = files.source_path(job.pk, job.file_format)
        inline = job.operation == ImportJob.Operation.IMPORT and (
            path.is_file() and path.stat().st_size <= INLINE_MAX_BYTES
        )
    if inline:
        if job.operation == ImportJob.Operation.IMPORT:
            return import_job_execute(job_id=job.pk)
        return export_job_execute(job_id=job.pk)
    from linli.imports import tasks  # the tasks module imports this one

    task = (
        tasks.import_job_task
        if job.operation == ImportJob.Operation.IMPORT
        else tasks.export_job_task
    )
    task.enqueue(job.pk)
    job.refresh_from_db()
    return job


class _JobProgress:
    """Progress of a running job, in its progress file (files.py says why not the job row:
    the import holds the database's write lock, on SQLite, while it runs)."""

    def __init__(self, job: ImportJob, *, also: Progress | None = None) -> None:
        self.job = job
        self.file = files.ProgressFile(job.pk)
        self.also = also
        self._phase = ""

    def __call__(self, phase: str, processed: int, total: int) -> None:
        if self.also is not None:
            self.also(phase, processed, total)
        force = phase != self._phase or processed >= total
        self._phase = phase
        self.file.write(phase, processed, total, force=force)


def _claim(job_id: int, operation: str) -> ImportJob | None:
    """Mark a queued job running; None if it is gone or was already taken (a retried task)."""
    claimed = ImportJob.objects.filter(
        pk=job_id, operation=operation, status=ImportJob.Status.QUEUED
    ).update(status=ImportJob.Status.RUNNING, updated_at=timezone.now())
    if not claimed:
        return None
    return ImportJob.objects.get(pk=job_id)


def import_job_execute(*, job_id: int, progress: Progress | None = None) -> ImportJob:
    """Run an import job: its outcome (counts or errors and a report file) stays on the job.
    `progress` is told too (the command line's progress bar)."""
    job = _claim(job_id, ImportJob.Operation.IMPORT)
    if job is None:
        return ImportJob.objects.get(pk=job_id)
    source = files.source_path(job.pk, job.file_format)
    job_progress = _JobProgress(job, also=progress)
    data = b""
    try:
        if not source.is_file():
            raise ValidationFailed("file_missing", _("上传的文件已不存在，请重新上传"))
        data = source.read_bytes()
        report = import_run(
            actor=job.principal,
            scope=job.scope,
            kind=job.kind,
            source=data,
            filename=job.filename,
            progress=job_progress,
            user=job.actor,
            reason=_("导入任务 #%(id)d") % {"id": job.pk},
        )
    except ImportFailed as exc:
        files.write_atomically(
            files.report_path(job.pk, job.file_format),
            error_report_write(job.file_format, data, job.filename, exc.report.errors),  # type: ignore[arg-type]
        )
        _finish(job, ImportJob.Status.FAILED, exc.message, _report_json(exc.report), exc.report)
    except ApplicationError as exc:
        _finish(job, ImportJob.Status.FAILED, exc.message, {"code": exc.code})
    except Exception:
        logger.exception("import job %s failed", job.pk)
        _finish(
            job,
            ImportJob.Status.FAILED,
            _("导入时发生内部错误，未导入任何数据，请联系管理员"),
            {"code": "server_error"},
        )
    else:
        _finish(job, ImportJob.Status.SUCCEEDED, report.lines()[0], _report_json(report), report)
    finally:
        source.unlink(missing_ok=True)
        job_progress.file.remove()
    return job


def _report_json(report: ImportReport) -> dict[str, Any]:
    data = report.as_dict()
    data["errors"] = data["errors"][:REPORT_MAX_ERRORS]
    data["errors_truncated"] = report.error_count > REPORT_MAX_ERRORS
    return data


def _finish(
    job: ImportJob,
    status: str,
    message: str,
    report: dict[str, Any],
    counts: ImportReport | None = None,
) -> None:
    job.status = status
    job.message = message[:300]
    job.report = report
    job.phase = ""
    if counts is not None:
        job.total = counts.total
        job.processed = counts.total if status == ImportJob.Status.SUCCEEDED else job.processed
    job.finished_at = timezone.now()
    job.save()


def export_job_create(
    *, actor: Any, kind: str, fmt: Format, region_code: str = "", user: Any = None
) -> ImportJob:
    """A queued export of every `kind` row the principal (narrowed to a region) may see."""
    spec = spec_for(kind)
    scope = _job_scope(actor, region_code)
    if not scope.is_global and not scope.prefixes:
        raise Forbidden("no_region", _("您的账号没有管理的区划，不能导出数据"))
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M%S")
    return _job_new(
        actor=actor,
        user=user,
        scope=scope,
        operation=ImportJob.Operation.EXPORT,
        kind=kind,
        fmt=fmt,
        filename=f"{spec.label}导出-{stamp}.{fmt}",
    )


def export_job_execute(*, job_id: int) -> ImportJob:
    job = _claim(job_id, ImportJob.Operation.EXPORT)
    if job is None:
        return ImportJob.objects.get(pk=job_id)
    progress = files.ProgressFile(job.pk)
    scope = job.scope
    try:
        total = export_count(scope, job.kind)
        ImportJob.objects.filter(pk=job.pk).update(total=total, phase="exporting")
        data = export_write(
            principal=scope,
            kind=job.kind,
            fmt=job.file_format,  # type: ignore[arg-type]
            progress=lambda n: progress.write("exporting", n, total),
        )
        files.write_atomically(files.export_path(job.pk, job.file_format), data)
    except ApplicationError as exc:
        _finish(job, ImportJob.Status.FAILED, exc.message, {"code": exc.code})
    except Exception:
        logger.exception("export job %s failed", job.pk)
        _finish(
            job,
            ImportJob.Status.FAILED,
            _("导出时发生内部错误，请联系管理员"),
            {"code": "server_error"},
        )
    else:
        job.total = job.processed = total
        _finish(
            job,
            ImportJob.Status.SUCCEEDED,
            _("导出完成：共 %(n)d 行") % {"n": total},
            {"total": total},
        )
    finally:
        progress.remove()
    return job


def job_file(job: ImportJob, *, user: Any) -> tuple[Path, str]:
    """The file a finished job offers: an export (to whoever sees the job) or an import's
    error report (only to the person who uploaded it: it holds their rows in clear)."""
    if job.operation == ImportJob.Operation.EXPORT and job.status == ImportJob.Status.SUCCEEDED:
        path = files.export_path(job.pk, job.file_format)
        name = job.filename
    elif job.operation == ImportJob.Operation.IMPORT and job.status == ImportJob.Status.FAILED:
        if user is None or job.actor_id != getattr(user, "pk", None):
            raise Forbidden(
                "report_owner_only", _("错误报告包含上传的原始数据，只有上传者可以下载")
            )
        path = files.report_path(job.pk, job.file_format)
        stem = Path(job.filename).stem
        name = f"{stem}-错误报告.{job.file_format}"
    else:
        raise NotFound("job_file_missing", _("该任务没有可下载的文件"))
    if not path.is_file():
        raise NotFound("job_file_missing", _("文件已过期或被清理，请重新导入或导出"))
    return path, name


def job_files_purge(*, older_than_days: int) -> int:
    """Delete the files of jobs finished more than `older_than_days` ago; returns the count."""
    cutoff = timezone.now() - datetime.timedelta(days=older_than_days)
    removed = 0
    for job_id, fmt in ImportJob.objects.filter(finished_at__lt=cutoff).values_list(
        "id", "file_format"
    ):
        for path in (
            files.report_path(job_id, fmt),
            files.export_path(job_id, fmt),
            files.source_path(job_id, fmt),
        ):
            if path.is_file():
                path.unlink()
                removed += 1
    return removed
