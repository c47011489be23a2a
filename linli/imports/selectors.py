"""Reads of import/export jobs: what a principal may see, with live progress for running ones."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from linli.core.errors import NotFound
from linli.imports import files
from linli.imports.models import ImportJob


def job_list(principal: Any, *, user: Any = None) -> QuerySet[ImportJob]:
    """Jobs in the principal's regions, plus the user's own (whatever region they started in)."""
    visible = ImportJob.objects.visible_to(principal)
    if user is not None and getattr(user, "pk", None):
        visible = visible | ImportJob.objects.filter(actor_id=user.pk)
    return visible.select_related("actor").order_by("-created_at", "-id")


def job_get(principal: Any, job_id: int, *, user: Any = None) -> ImportJob:
    job = job_list(principal, user=user).filter(pk=job_id).first()
    if job is None:
        raise NotFound("job_not_found", "未找到该任务，或您无权查看")
    return job_with_progress(job)


def job_with_progress(job: ImportJob) -> ImportJob:
    """The job with the live counts of its progress file while it runs (see files.py)."""
    if job.status == ImportJob.Status.RUNNING:
        live = files.progress_read(job.pk)
        if live:
            job.phase = str(live.get("phase", job.phase))
            job.processed = int(live.get("processed", job.processed) or 0)
            job.total = int(live.get("total", job.total) or 0)
    return job
