"""Kernel housekeeping run by the worker."""

from __future__ import annotations

import time
from pathlib import Path

from django.conf import settings
from django.tasks import task


@task()
def downloads_purge(max_age_hours: int = 24) -> int:
    """Delete one-off downloads (import error reports hold residents' rows) after a day."""
    folder = Path(settings.LINLI_DOWNLOAD_DIR)
    if not folder.is_dir():
        return 0
    cutoff = time.time() - max_age_hours * 3600
    removed = 0
    for path in folder.iterdir():
        if path.is_file() and path.stat().st_mtime < cutoff:
            path.unlink(missing_ok=True)
            removed += 1
    return removed


PERIODIC = [(downloads_purge, 3600)]
