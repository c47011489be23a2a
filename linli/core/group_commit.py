"""Group commit: many small write transactions of one process share one database commit.

A durable commit waits for the disk (`fsync`, ~8 ms here), and SQLite has one writer at a
time: with one commit per request, a busy intake endpoint is capped at ~100 writes/s however
fast the rest of the request is. `run_in_group_commit(work)` queues `work`; one of the waiting
threads (the leader) runs every queued piece of work in one transaction, each inside its own
savepoint, and commits once; every caller then gets its own result or its own exception, as
if it had committed alone (ADR 0093).

- A piece of work that raises is rolled back to its savepoint alone; the others still commit.
- If the commit itself fails, every piece of work of that batch gets the error: nothing is
  reported as saved that is not.
- `transaction.on_commit` callbacks registered by the work run after the shared commit (in the
  leader's thread); those of work that failed are dropped, as Django does for a savepoint.
- The work runs in the caller's `contextvars` context (the request's audit context), but on
  the leader's thread and database connection: it must not rely on thread-local state.
- Inside an existing transaction (a caller's `atomic`, tests) the work simply runs there.

`run_in_group_commit` groups on SQLite; on PostgreSQL each work is its own transaction.

Each caller's wait is bounded by one batch ahead of it: a leader commits the batch its own
work is in and hands over, so no request waits behind an unbounded queue.
"""

from __future__ import annotations

import contextlib
import contextvars
import threading
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import IO, Any

try:
    import fcntl
except ImportError:  # not POSIX: SQLite's own busy handler alone
    fcntl = None  # type: ignore[assignment]

from django.db import DEFAULT_DB_ALIAS, connections, transaction

from linli.core.fast_insert import PreparedInsert, insert_in_layers, insert_together


class _Ticket:
    __slots__ = ("context", "done", "error", "result", "rows", "work")

    def __init__(
        self, work: Callable[[], Any], rows: Sequence[PreparedInsert] | None = None
    ) -> None:
        self.work = work
        self.rows = rows  # the work is only writing these prepared rows
        self.context = contextvars.copy_context()
        self.done = False
        self.result: Any = None
        self.error: BaseException | None = None


class GroupCommitter:
    """One per process and database alias (see `run_in_group_commit`)."""

    def __init__(self, using: str = DEFAULT_DB_ALIAS) -> None:
        self.using = using
        self._cond = threading.Condition()
        self._queue: list[_Ticket] = []
        self._leading = False
        self.batches = 0  # counters for tests and the bench
        self.works = 0
        self._lock_file: IO[bytes] | None = None
        settings = connections[using].settings_dict
        name = str(settings.get("NAME") or "")
        if settings["ENGINE"].endswith("sqlite3") and fcntl is not None and Path(name).is_file():
            self._lock_file = Path(f"{name}.writer").open("ab")  # noqa: SIM115 (kept open)

    def run[T](self, work: Callable[[], T], rows: Sequence[PreparedInsert] | None = None) -> T:
        if connections[self.using].in_atomic_block:
            return work()
        ticket = _Ticket(work, rows)
        with self._cond:
            self._queue.append(ticket)
            while self._leading and not ticket.done:
                self._cond.wait()
            if not ticket.done:
                self._leading = True
                batch, self._queue = self._queue, []
        if not ticket.done:
            try:
                with self._writers_of_other_processes_wait():
                    self._commit(batch)
            finally:
                with self._cond:
                    self._leading = False
                    self._cond.notify_all()
        if ticket.error is not None:
            raise ticket.error
        return ticket.result  # type: ignore[no-any-return]

    @contextlib.contextmanager
    def _writers_of_other_processes_wait(self) -> Iterator[None]:
        """On a SQLite file, hold a blocking lock on `<file>.writer` around the transaction.

        SQLite lets one writer in at a time and makes the others poll, sleeping up to 100 ms
        between tries: with several server processes that sleep, not the work, made the slow
        tail. A waiting leader of another process now wakes the moment this one commits.
        Writes outside the group commit still rely on SQLite's own busy handler."""
        if self._lock_file is None:
            yield
            return
        fcntl.flock(self._lock_file, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(self._lock_file, fcntl.LOCK_UN)

    def _commit(self, batch: list[_Ticket]) -> None:
        if len(batch) == 1:  # alone: a plain transaction, no savepoint
            return self._commit_alone(batch[0])
        if all(ticket.rows is not None for ticket in batch) and self._commit_rows(batch):
            return None
        try:
            with transaction.atomic(using=self.using):
                for ticket in batch:
                    try:
                        with transaction.atomic(using=self.using):
                            ticket.result = ticket.context.run(ticket.work)
                    except Exception as exc:  # this work alone is rolled back
                        ticket.error = exc
        except BaseException as exc:  # the commit (or the transaction) failed: nothing is saved
            for ticket in batch:
                if ticket.error is None:
                    ticket.error = exc
                    ticket.result = None
            if not isinstance(exc, Exception):
                raise
        finally:
            self.batches += 1
            self.works += len(batch)
            for ticket in batch:
                ticket.done = True

    def _commit_rows(self, batch: list[_Ticket]) -> bool:
        """A batch of prepared rows only: one multi-row INSERT per table, no savepoint per
        work — two statements while the writer lock is held, not four per report (ADR 0112).
        If anything fails, nothing is kept and the batch goes the careful way (False)."""
        rows = [row for ticket in batch for row in ticket.rows or ()]
        try:
            with transaction.atomic(using=self.using):
                insert_in_layers(rows)
        except Exception:
            for row in rows:
                row.unwrite()
            return False
        except BaseException as exc:
            for ticket in batch:
                ticket.error, ticket.done = exc, True
            raise
        self.batches += 1
        self.works += len(batch)
        for ticket in batch:
            ticket.done = True
        return True

    def _commit_alone(self, ticket: _Ticket) -> None:
        try:
            with transaction.atomic(using=self.using):
                ticket.result = ticket.context.run(ticket.work)
        except BaseException as exc:
            ticket.error = exc
            if not isinstance(exc, Exception):
                raise
        finally:
            self.batches += 1
            self.works += 1
            ticket.done = True


_committers: dict[str, GroupCommitter] = {}
_committers_lock = threading.Lock()


def run_in_group_commit[T](work: Callable[[], T], *, using: str = DEFAULT_DB_ALIAS) -> T:
    """Run `work` in a transaction shared with other threads' concurrent work; return its
    result or raise its exception once the shared transaction has committed.

    On SQLite only: one writer at a time is what the grouping answers. PostgreSQL runs
    concurrent transactions side by side and flushes their commits' WAL together itself;
    funnelling a process's writes through one connection there left a fifth of the CPUs idle
    and cost throughput (ADR 0111), so the work gets its own transaction."""
    connection = connections[using]
    if connection.vendor != "sqlite":
        if connection.in_atomic_block:  # as the committer does: the caller's transaction
            return work()
        with transaction.atomic(using=using):
            return work()
    return _committer(using).run(work)


def _committer(using: str) -> GroupCommitter:
    # Made at first use, in the server process that uses it (after gunicorn forks): a lock
    # file opened before a fork would be one open file and exclude no other process.
    committer = _committers.get(using)
    if committer is None:
        with _committers_lock:
            committer = _committers.setdefault(using, GroupCommitter(using))
    return committer


def insert_durably(rows: Sequence[PreparedInsert], *, using: str = DEFAULT_DB_ALIAS) -> None:
    """Write new rows that belong together (a case and its first event) as one durable write
    and set their keys; their values were computed beforehand (`prepare_insert`).

    On PostgreSQL they are one statement, which needs no transaction around it: outside one
    it commits alone — one round trip instead of BEGIN, two INSERTs and COMMIT (ADR 0112).
    On SQLite they go through the group commit, where the writer lock is held only for the
    statements themselves."""
    connection = connections[using]
    if connection.vendor == "postgresql" or connection.in_atomic_block:
        insert_together(rows)
        return
    committer = _committer(using)
    committer.run(lambda: insert_together(rows), rows)
