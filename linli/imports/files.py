"""Where a job's files live: the uploaded source, the error report, the export, the progress.

Under LINLI_DOWNLOAD_DIR/imports/ (a shared volume when the web servers and the worker run
on different hosts). The source and an error report hold the uploaded rows in clear, so the
source is deleted when the job ends and reports are purged after a few days
(`tasks.import_files_purge`).
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any

from django.conf import settings

# Live progress is written to a small file, not the job row: during the write phase the
# import holds one transaction (on SQLite, the database's write lock), so a progress update
# through the database would stay invisible, or wait, until the import ends.
PROGRESS_INTERVAL_SECONDS = 0.5


def folder() -> Path:
    path = Path(settings.LINLI_DOWNLOAD_DIR) / "imports"
    path.mkdir(parents=True, exist_ok=True)
    return path


def source_path(job_id: int, fmt: str) -> Path:
    return folder() / f"job-{job_id}-source.{fmt}"


def report_path(job_id: int, fmt: str) -> Path:
    return folder() / f"job-{job_id}-report.{fmt}"


def export_path(job_id: int, fmt: str) -> Path:
    return folder() / f"job-{job_id}-export.{fmt}"


def progress_path(job_id: int) -> Path:
    return folder() / f"job-{job_id}.progress"


def write_atomically(path: Path, data: bytes) -> None:
    temporary = path.with_name(path.name + ".tmp")
    temporary.write_bytes(data)
    os.replace(temporary, path)


class ProgressFile:
    """Throttled writes of {phase, processed, total} for one job; readers see whole files."""

    def __init__(self, job_id: int) -> None:
        self.path = progress_path(job_id)
        self._last = 0.0

    def write(self, phase: str, processed: int, total: int, *, force: bool = False) -> None:
        now = time.monotonic()
        if not force and now - self._last < PROGRESS_INTERVAL_SECONDS:
            return
        self._last = now
        data = {"phase": phase, "processed": processed, "total": total}
        write_atomically(self.path, json.dumps(data).encode())

    def remove(self) -> None:
        self.path.unlink(missing_ok=True)


def progress_read(job_id: int) -> dict[str, Any] | None:
    try:
        data = json.loads(progress_path(job_id).read_bytes())
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None
