"""Group commit: concurrent writes share one commit, each keeps its own outcome (ADR 0093)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest
from django.db import OperationalError, connection, transaction
from django.db.backends.signals import connection_created

from linli.core.group_commit import GroupCommitter, run_in_group_commit
from linli.core.middleware import RequestContext, current_request
from linli.regions.models import Region

pytestmark = pytest.mark.django_db(transaction=True)


def _grid(code: str) -> Callable[[], int]:
    def work() -> int:
        # A county needs no parent: the simplest row a write can make.
        return Region.objects.create(code=code, name=f"县{code[-3:]}", level="county").pk

    return work


class _Caller(threading.Thread):
    """One request thread: submits its work and keeps what came back."""

    def __init__(
        self, committer: GroupCommitter, work: Callable[[], Any], rows: Any = None
    ) -> None:
        super().__init__()
        self.committer, self.work, self.rows = committer, work, rows
        self.result: Any = None
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            self.result = self.committer.run(self.work, self.rows)
        except BaseException as exc:
            self.error = exc
        finally:
            connection.close()


def _while_leading(
    committer: GroupCommitter, followers: list[Callable[[], Any]], rows: list[Any] | None = None
) -> list[_Caller]:
    """A first caller leads and holds its transaction open until every follower has queued;
    returns the followers' threads once all have finished."""
    gate = threading.Event()

    def first() -> int:
        gate.wait(10)
        return _grid("340223001001901")()

    leader = _Caller(committer, first)
    leader.start()
    while not committer._leading:  # the leader has taken its batch
        threading.Event().wait(0.001)
    callers = [
        _Caller(committer, work, (rows or [None] * len(followers))[n])
        for n, work in enumerate(followers)
    ]
    for caller in callers:
        caller.start()
    while len(committer._queue) < len(callers):
        threading.Event().wait(0.001)
    gate.set()
    for thread in (leader, *callers):
        thread.join(10)
    assert leader.error is None
    return callers


def test_waiting_writes_share_one_commit_and_each_gets_its_own_row():
    committer = GroupCommitter()
    codes = [f"340223001001{n:03d}" for n in range(1, 6)]
    callers = _while_leading(committer, [_grid(code) for code in codes])

    assert [c.error for c in callers] == [None] * 5
    assert committer.batches == 2  # the leader's own, then the five that queued behind it
    assert committer.works == 6
    ids = dict(Region.objects.filter(code__in=codes).values_list("code", "pk"))
    assert [c.result for c in callers] == [ids[code] for code in codes]


def test_a_failing_write_is_rolled_back_alone():
    committer = GroupCommitter()

    def broken() -> None:
        _grid("340223001001002")()
        raise ValueError("这一条出错")

    works = [_grid("340223001001001"), broken, _grid("340223001001003")]
    callers = _while_leading(committer, works)

    assert callers[0].error is None and callers[2].error is None
    assert isinstance(callers[1].error, ValueError)
    assert committer.batches == 2
    codes = set(Region.objects.values_list("code", flat=True))
    assert codes == {"340223001001901", "340223001001001", "340223001001003"}


def test_a_failed_commit_fails_every_write_of_the_batch():
    committer = GroupCommitter()

    def breaks_the_commit() -> None:
        _grid("340223001001002")()

        def refuse() -> None:
            del connection.commit  # once: the connection is used again afterwards
            raise OperationalError("disk I/O error")

        connection.commit = refuse  # type: ignore[method-assign]

    callers = _while_leading(committer, [_grid("340223001001001"), breaks_the_commit])

    assert all(isinstance(c.error, OperationalError) for c in callers)
    assert not Region.objects.filter(code__in=["340223001001001", "340223001001002"]).exists()


def test_callbacks_run_after_the_shared_commit_and_not_for_failed_work():
    committer = GroupCommitter()
    seen: list[tuple[str, bool]] = []

    def with_callback(name: str, fail: bool) -> Callable[[], None]:
        def work() -> None:
            transaction.on_commit(lambda: seen.append((name, connection.in_atomic_block)))
            if fail:
                raise ValueError(name)

        return work

    _while_leading(committer, [with_callback("甲", False), with_callback("乙", True)])

    assert seen == [("甲", False)]


def test_work_runs_in_its_callers_request_context():
    committer = GroupCommitter()
    gate = threading.Event()
    seen: list[str | None] = []

    def first() -> None:
        gate.wait(10)

    def read_context() -> None:
        context = current_request.get()
        seen.append(context.ip_address if context else None)

    def caller() -> None:
        current_request.set(RequestContext(user=None, ip_address="10.0.0.7"))
        committer.run(read_context)
        connection.close()

    leader = _Caller(committer, first)
    leader.start()
    while not committer._leading:
        threading.Event().wait(0.001)
    follower = threading.Thread(target=caller)
    follower.start()
    while not committer._queue:
        threading.Event().wait(0.001)
    gate.set()
    leader.join(10)
    follower.join(10)
    assert seen == ["10.0.0.7"]


def test_inside_a_transaction_the_work_runs_there():
    with transaction.atomic():
        pk = run_in_group_commit(_grid("340223001001001"))
        transaction.set_rollback(True)
    assert pk is not None
    assert not Region.objects.filter(pk=pk).exists()


def test_a_lone_failing_write_leaves_nothing():
    committer = GroupCommitter()

    def broken() -> None:
        _grid("340223001001001")()
        raise ValueError("出错")

    with pytest.raises(ValueError):
        committer.run(broken)
    assert committer.batches == 1
    assert not Region.objects.filter(code="340223001001001").exists()
    assert committer.run(_grid("340223001001002")) is not None


@pytest.mark.skipif(connection.vendor != "sqlite", reason="the writer lock is SQLite's")
def test_on_a_sqlite_file_other_processes_leaders_wait_for_the_commit(tmp_path, monkeypatch):
    import fcntl

    database = tmp_path / "linli.sqlite3"
    database.touch()
    monkeypatch.setitem(connection.settings_dict, "NAME", str(database))
    committer = GroupCommitter()  # opens <file>.writer, as each server process does
    monkeypatch.undo()  # the test database again
    # another open file description behaves as another process's
    other_process = (tmp_path / "linli.sqlite3.writer").open("ab")
    blocked: list[bool] = []

    def work() -> None:
        try:
            fcntl.flock(other_process, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            blocked.append(True)
        else:
            blocked.append(False)
            fcntl.flock(other_process, fcntl.LOCK_UN)

    committer.run(work)
    assert blocked == [True]  # held during the transaction
    fcntl.flock(other_process, fcntl.LOCK_EX | fcntl.LOCK_NB)  # and released after it
    other_process.close()


def test_only_sqlite_groups_writes(monkeypatch):
    from linli.core import group_commit

    made = []
    monkeypatch.setattr(group_commit, "_committers", {})
    monkeypatch.setattr(group_commit, "GroupCommitter", lambda using: made.append(using) or 1 / 0)
    if connection.vendor == "sqlite":
        with pytest.raises(ZeroDivisionError):  # it went to the (here broken) committer
            run_in_group_commit(_grid("340223001001002"))
        assert made == ["default"]
    else:  # PostgreSQL: a transaction of its own, no committer
        pk = run_in_group_commit(_grid("340223001001002"))
        assert made == [] and Region.objects.filter(pk=pk).exists()


def _report_rows(
    grid: Region, category: Any, score: int | None = None, text: str = "楼道灯坏了"
) -> list[Any]:
    """A case and its first event, prepared as `case_report` prepares them."""
    from linli.cases.models import Case, CaseEvent
    from linli.core.fast_insert import prepare_insert

    case = Case(region=grid, category=category, source="api", description=text, rating_score=score)
    event = CaseEvent(case=case, region=grid, actor_label="接口", action="report")
    return [prepare_insert(case), prepare_insert(event)]


@pytest.fixture
def grid_and_category() -> tuple[Region, Any]:
    from linli.cases.models import CaseCategory

    county = Region.objects.create(code="340223000000", name="南陵县", level="county")
    grid = Region.objects.create(
        code="340223100001001", name="第一网格", level="grid", parent=county
    )
    return grid, CaseCategory.objects.create(code="gc-light", name="路灯")


def test_a_batch_of_prepared_reports_is_written_in_one_go(grid_and_category):
    from linli.cases.models import CaseEvent
    from linli.core.fast_insert import insert_together

    grid, category = grid_and_category
    committer = GroupCommitter()
    reports = [_report_rows(grid, category, text=f"第{n}号楼道灯坏了") for n in range(4)]
    works = [lambda rows=rows: insert_together(rows) for rows in reports]
    statements: list[str] = []

    def record(execute, sql, params, many, context):  # type: ignore[no-untyped-def]
        statements.append(sql)
        return execute(sql, params, many, context)

    def on_connect(sender, connection, **kwargs):  # type: ignore[no-untyped-def]
        connection.execute_wrappers.append(record)  # the callers' threads' own connections

    connection_created.connect(on_connect)
    try:
        callers = _while_leading(committer, works, reports)
    finally:
        connection_created.disconnect(on_connect)

    assert [c.error for c in callers] == [None] * 4
    assert committer.batches == 2 and committer.works == 5
    for n, (case_row, event_row) in enumerate(reports):  # each report got its own keys
        event = CaseEvent.objects.select_related("case").get(pk=event_row.instance.pk)
        assert event.case_id == case_row.instance.pk
        assert event.case.description == f"第{n}号楼道灯坏了"
    # one INSERT per table for the four reports
    assert sum(sql.startswith('INSERT INTO "cases_') for sql in statements) == 2
    assert not any("SAVEPOINT" in sql.upper() for sql in statements)  # none per report


def test_a_failing_row_sends_its_batch_the_careful_way(grid_and_category):
    from django.db import IntegrityError

    from linli.cases.models import Case, CaseEvent
    from linli.core.fast_insert import insert_together

    grid, category = grid_and_category
    committer = GroupCommitter()
    reports = [_report_rows(grid, category, score) for score in (None, 9, None)]  # 9: not 1–5
    works = [lambda rows=rows: insert_together(rows) for rows in reports]
    callers = _while_leading(committer, works, reports)

    assert callers[0].error is None and callers[2].error is None
    assert isinstance(callers[1].error, IntegrityError)
    kept = {reports[0][0].instance.pk, reports[2][0].instance.pk}
    assert set(Case.objects.values_list("pk", flat=True)) == kept
    assert set(CaseEvent.objects.values_list("case_id", flat=True)) == kept
