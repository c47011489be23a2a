"""Where case photos live: a private folder under var/ (never served as static media).

Photos are served through a view that checks who asks (the reporter, staff of the region,
or the public for a public category), so they sit outside any web-served folder. The
folder is `settings.LINLI_CASE_MEDIA_DIR` if set, else `var/media/cases` next to the
database and the download stash.
"""

from __future__ import annotations

from functools import cached_property
from pathlib import Path

from django.conf import settings
from django.core.files.storage import FileSystemStorage


def case_media_root() -> Path:
    configured = getattr(settings, "LINLI_CASE_MEDIA_DIR", None)
    if configured:
        return Path(configured)
    return Path(settings.LINLI_DOWNLOAD_DIR).parent / "media" / "cases"


class CasePhotoStorage(FileSystemStorage):
    """A file system storage whose root follows the settings at every use (tests move it)."""

    @property  # type: ignore[override]
    def base_location(self) -> str:
        return str(case_media_root())

    @property  # type: ignore[override]
    def location(self) -> str:
        return str(case_media_root().resolve())

    @cached_property
    def base_url(self) -> None:  # type: ignore[override]
        return None  # never served directly: see views.case_photo


_storage = CasePhotoStorage()


def case_photo_storage() -> CasePhotoStorage:
    return _storage
