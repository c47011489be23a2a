"""One-off downloads (import error reports): kept on disk, reachable only from the session
that produced them, so an error report full of residents' rows never leaks to anyone else."""

from __future__ import annotations

import secrets
from pathlib import Path

from django.conf import settings
from django.http import FileResponse, Http404, HttpRequest

SESSION_KEY = "linli_downloads"
CONTENT_TYPES = {
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "csv": "text/csv; charset=utf-8",
}


def _folder() -> Path:
    folder = Path(settings.LINLI_DOWNLOAD_DIR)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def download_stash(request: HttpRequest, *, data: bytes, filename: str) -> str:
    """Keep `data` for this session; returns the token of its download URL."""
    token = secrets.token_urlsafe(16)
    (_folder() / token).write_bytes(data)
    stash = dict(request.session.get(SESSION_KEY, {}))
    stash[token] = filename
    request.session[SESSION_KEY] = stash
    return token


def download_response(request: HttpRequest, token: str) -> FileResponse:
    filename = request.session.get(SESSION_KEY, {}).get(token)
    path = _folder() / token
    if not filename or not path.is_file():
        raise Http404("文件不存在或已过期")
    content_type = CONTENT_TYPES.get(filename.rsplit(".", 1)[-1], "application/octet-stream")
    return FileResponse(
        path.open("rb"), as_attachment=True, filename=filename, content_type=content_type
    )
