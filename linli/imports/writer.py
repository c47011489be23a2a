"""The write side of a large import, in a process of its own (ADR 0043).

A 400 k-row import is two kinds of work of about the same size: reading and checking rows
(Python: the spreadsheet, ID check digits, regions, duplicates) and writing them (Fernet
encryption, pinyin keys, SQL). In one process they run one after the other on one core.
For large files the importing process validates and hands each good batch, as soon as it
is checked, to a writer process (`python -m linli.imports.writer`), which writes it inside
one transaction on the machine's other core. The transaction commits only when the last
row has been validated without error; the first bad row makes the writer roll everything
back (the importing process goes on checking, to report every error). So the outcome is
the same as validating first and writing after — all or nothing — in about half the time.

The writer is a fresh interpreter with the same settings and database: it reads pickled
messages on its stdin (a header, batches, then "commit" or "abort") and answers on its
stdout ("ready", "written", then "done" with the counts, or "error").
"""

from __future__ import annotations

import contextlib
import os
import pickle
import subprocess
import sys
import threading
from pathlib import Path
from queue import Empty, Queue
from typing import IO, Any

from django.utils.translation import gettext as _

from linli.core.errors import ApplicationError

# Waiting longer than this for the writer means it is stuck (it answers every batch).
REPLY_TIMEOUT_SECONDS = 600


class WriterFailed(ApplicationError):
    status = 500


class WriterProcess:
    """The importing side: start the writer, feed it batches, commit or abort."""

    def __init__(self, header: dict[str, Any]) -> None:
        root = Path(__file__).resolve().parents[2]
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(root), env.get("PYTHONPATH")]))
        # Our own interpreter running our own module, with the same environment.
        self._process = subprocess.Popen(
            [sys.executable, "-m", "linli.imports.writer"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            env=env,
        )
        assert self._process.stdin is not None and self._process.stdout is not None
        self._stdin: IO[bytes] = self._process.stdin
        self._stdout: IO[bytes] = self._process.stdout
        self._replies: Queue[tuple[Any, ...]] = Queue()
        self.written = 0
        self._reader = threading.Thread(target=self._read, name="linli-writer", daemon=True)
        self._reader.start()
        self._send(header)
        self._expect("ready")

    def _read(self) -> None:
        while True:
            try:
                reply = pickle.load(self._stdout)  # noqa: S301 - our own writer's replies
            except (EOFError, OSError, pickle.UnpicklingError):
                self._replies.put(("gone",))
                return
            if reply[0] == "written":
                self.written += reply[1]
            else:
                self._replies.put(reply)

    def _send(self, message: Any) -> None:
        try:
            pickle.dump(message, self._stdin, protocol=pickle.HIGHEST_PROTOCOL)
            self._stdin.flush()
        except OSError:
            # The writer is gone: its last reply (an error) says why.
            self._expect("ready")

    def _expect(self, kind: str, *, waiting: Any = None) -> tuple[Any, ...]:
        """The writer's next reply, which must be `kind`; `waiting()` runs every half second."""
        waited = 0.0
        while True:
            try:
                reply = self._replies.get(timeout=0.5)
                break
            except Empty as exc:
                waited += 0.5
                if waited >= REPLY_TIMEOUT_SECONDS:
                    raise WriterFailed(
                        "import_writer_stuck", _("导入写入进程无响应，未导入任何数据")
                    ) from exc
                if waiting is not None:
                    waiting()
        if reply[0] == "error":
            raise ApplicationError(reply[1], reply[2], status=reply[3])
        if reply[0] != kind:
            raise WriterFailed(
                "import_writer_gone", _("导入写入进程意外退出，未导入任何数据，请重试")
            )
        return reply

    def send(self, rows: list[tuple[Any, ...]]) -> None:
        """One validated batch: (number, key, region, values, extra) per row."""
        self._send(("chunk", rows))

    def commit(self, *, total: int, filename: str, waiting: Any = None) -> dict[str, int]:
        """Let the writer finish (rebuild indexes, commit); its created/updated/unchanged."""
        self._send(("commit", {"total": total, "filename": filename}))
        return dict(self._expect("done", waiting=waiting)[1])

    def abort(self) -> None:
        self._send(("abort",))
        with contextlib.suppress(ApplicationError):
            self._expect("aborted")

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self._stdin.close()
        try:
            self._process.wait(timeout=60)
        except subprocess.TimeoutExpired:  # pragma: no cover
            self._process.kill()
            self._process.wait()
        self._reader.join(timeout=5)

    def __enter__(self) -> WriterProcess:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


# --- the writer's side --------------------------------------------------------------------


class _Aborted(Exception):
    pass


def _reply(stdout: IO[bytes], message: tuple[Any, ...]) -> None:
    pickle.dump(message, stdout, protocol=pickle.HIGHEST_PROTOCOL)
    stdout.flush()


def serve(stdin: IO[bytes], stdout: IO[bytes]) -> None:
    header = pickle.load(stdin)  # noqa: S301 - from the importing process
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", header["settings_module"])
    import django

    django.setup()
    from django.db import IntegrityError, connections

    # The importing process's database (a test database has another name than settings').
    connections.settings["default"]["NAME"] = header["database_name"]
    try:
        _write_all(header, stdin, stdout)
    except _Aborted:
        _reply(stdout, ("aborted",))
    except ApplicationError as exc:
        _reply(stdout, ("error", exc.code, exc.message, exc.status))
    except IntegrityError:
        _reply(
            stdout,
            (
                "error",
                "import_conflict",
                _("导入期间数据被他人同时修改，未导入任何数据，请重新导入"),
                409,
            ),
        )
    except BaseException as exc:
        import logging

        logging.getLogger("linli.imports").exception("import writer failed")
        _reply(
            stdout,
            ("error", "import_writer_failed", _("导入写入时发生内部错误，未导入任何数据"), 500),
        )
        if not isinstance(exc, Exception):
            raise


def _write_all(header: dict[str, Any], stdin: IO[bytes], stdout: IO[bytes]) -> None:
    from django.contrib.auth import get_user_model
    from django.db import transaction

    from linli.core.scoping import Scope
    from linli.core.tabular import ImportReport
    from linli.imports import bulk, services
    from linli.imports.specs import SPECS, Context, Parsed

    spec = SPECS[header["kind"]]
    user = None
    if header.get("user_id"):
        user = get_user_model().objects.filter(pk=header["user_id"]).first()
    ctx = Context(
        # The rows were checked against the importer's scope by the importing process.
        scope=Scope(
            prefixes=tuple(header["scope_prefixes"]),
            can_write=True,
            is_global=bool(header.get("scope_global")),
            write_prefixes=(
                None
                if header["scope_write_prefixes"] is None
                else tuple(header["scope_write_prefixes"])
            ),
        ),
        regions={},
        user=user,
        ip_address=header.get("ip_address"),
        reason=header["reason"],
        bulk_load=header["bulk_load"],
    )
    report = ImportReport()
    cache = (
        services.SQLITE_BULK_LOAD_CACHE_KIB
        if header["bulk_load"]
        else services.SQLITE_IMPORT_CACHE_KIB
    )
    with services.sqlite_cache(cache), transaction.atomic():
        indexes = (
            bulk.deferred_indexes(spec.model, keep=spec.lookup_columns)
            if header["bulk_load"]
            else contextlib.nullcontext()
        )
        with indexes:
            _reply(stdout, ("ready",))
            while True:
                message = pickle.load(stdin)  # noqa: S301 - from the importing process
                if message[0] == "chunk":
                    rows = [
                        Parsed(n, [], key, region, values, extra)
                        for n, key, region, values, extra in message[1]
                    ]
                    services.write_batch(spec, ctx, rows, report)
                    _reply(stdout, ("written", len(rows)))
                elif message[0] == "abort":
                    raise _Aborted
                else:
                    report.total = message[1]["total"]
                    filename = message[1]["filename"]
                    break
            spec.finish_write(ctx, report)
            ctx.flush_audit()
        if header["bulk_load"]:
            bulk.analyze(ctx.written_models())
        services.audit_summary(ctx, spec, report, filename)
    _reply(
        stdout,
        (
            "done",
            {"created": report.created, "updated": report.updated, "unchanged": report.unchanged},
        ),
    )


if __name__ == "__main__":
    serve(sys.stdin.buffer, sys.stdout.buffer)
