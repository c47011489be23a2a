"""The WSGI application `bench/intake_floor.py` serves: the platform, plus `POST /floor`.

`/floor` is a measuring device, never a product path: it sends the very statement the
platform's intake sends for a report (captured once from `case_report`, ADR 0112's single
INSERT … RETURNING on PostgreSQL), with the request's description and two freshly encrypted
PII values bound into it, and answers 201 with a small JSON body — no Django request,
middleware, django-ninja, token check, model instance or rule. What it costs is what any
intake path must pay on this machine (HTTP in gunicorn, JSON, encryption, the statement and the
database's own work): the floor under which no rework inside the framework can go.
Every other path goes to the platform unchanged, so `/healthz` is the bench's bare endpoint.
"""

from __future__ import annotations

import json
import os
from typing import Any

import django

django.setup()

from django.core.wsgi import get_wsgi_application  # noqa: E402
from django.db import connection  # noqa: E402
from django.utils import timezone  # noqa: E402

from linli.accounts.models import User  # noqa: E402
from linli.cases.services import case_report  # noqa: E402
from linli.core.pii import decrypt, encrypt  # noqa: E402

platform = get_wsgi_application()
MARKER = "测量用的上报内容，仅用于捕获语句"
_statement: dict[str, Any] = {}


def _capture() -> None:
    """Record the last INSERT a real report sends, with its parameters."""
    seen: list[tuple[str, list[Any]]] = []

    def keep(execute, sql, params, many, context):  # type: ignore[no-untyped-def]
        if sql.lstrip().upper().startswith(("INSERT", "WITH")):
            seen.append((sql, list(params or ())))
        return execute(sql, params, many, context)

    with connection.execute_wrapper(keep):
        case_report(
            actor=User.objects.get(username="bench"),
            category_code="env-garbage",
            description=MARKER,
            region_code=os.environ["FLOOR_GRID"],
            reporter_name="压测",
            reporter_phone="13800000000",
        )
    _statement["sql"], _statement["params"] = seen[-1]
    # Which parameters hold an encrypted field of the request (by the value it was given).
    fields = {"压测": "reporter_name", "13800000000": "reporter_phone"}
    _statement["encrypted"] = {
        i: fields[decrypt(p)]
        for i, p in enumerate(seen[-1][1])
        if isinstance(p, str) and p.startswith("gAAAA")
    }


def application(environ, start_response):  # type: ignore[no-untyped-def]
    if environ["PATH_INFO"] != "/floor":
        return platform(environ, start_response)
    if not _statement:
        _capture()
    length = int(environ.get("CONTENT_LENGTH") or 0)
    data = json.loads(environ["wsgi.input"].read(length))
    params = [data["description"] if p == MARKER else p for p in _statement["params"]]
    for i, name in _statement["encrypted"].items():
        params[i] = encrypt(data[name])
    with connection.cursor() as cursor:
        cursor.execute(_statement["sql"], params)
        new_id = cursor.fetchone()[0]
    body = json.dumps(
        {
            "id": new_id,
            "category_code": data["category_code"],
            "region_code": data["region_code"],
            "description": data["description"],
            "created_at": timezone.now().isoformat(),
        },
        ensure_ascii=False,
    ).encode()
    start_response(
        "201 Created", [("Content-Type", "application/json"), ("Content-Length", str(len(body)))]
    )
    return [body]
