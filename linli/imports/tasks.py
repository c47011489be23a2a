"""Background work of imports and exports (run by the worker, `manage.py db_worker`)."""

from __future__ import annotations

from django.conf import settings
from django.tasks import task

from linli.imports import services

# How long error reports and export files are kept (they are one-off downloads).
DEFAULT_KEEP_DAYS = 7


@task()
def import_job_task(job_id: int) -> str:
    """Run one queued import; the job row records the outcome (the task always ends well)."""
    return services.import_job_execute(job_id=job_id).status


@task()
def export_job_task(job_id: int) -> str:
    return services.export_job_execute(job_id=job_id).status


@task()
def import_files_purge(older_than_days: int | None = None) -> int:
    """Remove old error reports (they hold uploaded rows in clear) and export files."""
    days: int = older_than_days or int(
        getattr(settings, "LINLI_IMPORT_KEEP_DAYS", DEFAULT_KEEP_DAYS)
    )
    return services.job_files_purge(older_than_days=days)


PERIODIC = [(import_files_purge, 6 * 3600)]
