"""The prepared INSERT stores a row exactly as save() would (ADR 0093)."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils.translation import gettext_lazy

from linli.cases.models import Case, CaseCategory, CaseEvent
from linli.core.fast_insert import (
    _as_is,
    _cursor,
    insert_new,
    insert_together,
    prepare_insert,
)
from linli.regions.models import Region

pytestmark = pytest.mark.django_db


@pytest.fixture
def grid() -> Region:
    county = Region.objects.create(code="340223000000", name="南陵县", level="county")
    town = Region.objects.create(code="340223100000", name="籍山镇", level="town", parent=county)
    community = Region.objects.create(
        code="340223100001", name="春谷社区", level="community", parent=town
    )
    return Region.objects.create(
        code="340223100001001", name="第一网格", level="grid", parent=community
    )


def _case(grid: Region) -> Case:
    category, _ = CaseCategory.objects.get_or_create(
        code="bench-garbage", defaults={"name": "垃圾未清运"}
    )
    return Case(
        region=grid,
        category=category,
        source="resident",
        description="小区门口垃圾三天没有清运",
        address="春谷路 8 号",
        lng=118.33,
        lat=30.92,
        reporter_name="张三",
        reporter_phone="13800000001",
        reporter_phone_hash="hash",
    )


def _stored(model, pk):  # type: ignore[no-untyped-def]
    row = model.objects.get(pk=pk)
    moments = {"id", "created_at", "updated_at"}  # differ between any two rows
    values = {f.attname: getattr(row, f.attname) for f in model._meta.concrete_fields}
    return {k: v for k, v in values.items() if k not in moments}, row


def test_a_case_is_stored_as_save_stores_it(grid: Region):
    by_save, by_insert = _case(grid), _case(grid)
    by_insert.category = by_save.category
    by_save.save()
    insert_new(by_insert)

    assert by_insert.pk is not None and by_insert.pk != by_save.pk
    assert by_insert._state.adding is False
    saved, _ = _stored(Case, by_save.pk)
    inserted, inserted_row = _stored(Case, by_insert.pk)
    assert inserted == saved
    assert inserted_row.region_code == grid.code
    assert inserted_row.reporter_phone == "13800000001"  # encrypted at rest, read back clear
    assert inserted_row.created_at is not None and inserted_row.updated_at is not None


def test_an_event_keeps_its_json(grid: Region):
    case = _case(grid)
    insert_new(case)
    event = CaseEvent(
        case=case, region=grid, actor_label="张三", action="report", data={"来源": "resident"}
    )
    insert_new(event)
    assert CaseEvent.objects.get(pk=event.pk).data == {"来源": "resident"}


def test_audited_models_and_saved_rows_are_refused(grid: Region):
    with pytest.raises(TypeError):
        insert_new(Region(code="340223100002", name="新社区", level="community"))
    case = _case(grid)
    case.save()
    with pytest.raises(ValueError):
        insert_new(case)


def test_only_values_django_passes_unchanged_skip_the_preparation(grid: Region):
    fields, ops = {f.name: f for f in Case._meta.concrete_fields}, connection.ops
    assert _as_is(fields["description"], ops) == (str, type(None))
    assert _as_is(fields["category"], ops) == (int, type(None))  # a key, by its target's rule
    assert _as_is(fields["accepted_at"], ops) == (type(None),)  # a set moment is adapted
    assert _as_is(fields["created_at"], ops) == ()  # auto_now_add: always prepared
    assert _as_is(fields["reporter_phone"], ops) == ()  # encrypted: a subclass converts
    # psycopg 3 types integers by column size: there a plain integer is prepared.
    integers = _as_is(fields["version"], ops)
    assert integers == (() if connection.vendor == "postgresql" else (int, type(None)))
    # A lazy (translated) string is not a str: it is prepared, and stored as its text.
    case = _case(grid)
    case.address = gettext_lazy("春谷路 8 号")
    insert_new(case)
    assert Case.objects.get(pk=case.pk).address == "春谷路 8 号"


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's cursors")
def test_postgresql_binds_the_values_on_the_server(grid: Region):
    import psycopg

    # Django's own cursors write every value into the SQL text on the client
    with _cursor(connection) as cursor:
        assert not isinstance(cursor.cursor, psycopg.ClientCursor)
    case = _case(grid)
    with CaptureQueriesContext(connection) as queries:  # and the insert is still seen
        insert_new(case)
    assert [q["sql"][:24] for q in queries.captured_queries] == ['INSERT INTO "cases_case"']


def _report_event(case: Case, grid: Region) -> CaseEvent:
    return CaseEvent(case=case, region=grid, actor_label="张三", action="report", data={"a": 1})


def test_a_case_and_its_first_event_are_prepared_before_either_is_written(grid: Region):
    case = _case(grid)
    event = _report_event(case, grid)  # the case has no key yet
    rows = [prepare_insert(case), prepare_insert(event)]
    assert Case.objects.count() == 0

    insert_together(rows)

    assert case.pk is not None and event.pk is not None
    assert event.case_id == case.pk
    stored = CaseEvent.objects.get(pk=event.pk)
    assert (stored.case_id, stored.region_code, stored.data) == (case.pk, grid.code, {"a": 1})


def test_a_row_whose_target_is_written_nowhere_before_it_is_refused(grid: Region):
    case = _case(grid)
    rows = [prepare_insert(_report_event(case, grid))]  # the case is not among the rows
    with pytest.raises(ValueError, match="case is not saved"):
        insert_together(rows)
    assert CaseEvent.objects.count() == 0


def test_a_target_saved_since_the_row_was_prepared_gives_its_key(grid: Region):
    case = _case(grid)
    row = prepare_insert(_report_event(case, grid))
    insert_new(case)
    insert_together([row])
    assert CaseEvent.objects.get(pk=row.instance.pk).case_id == case.pk


def test_on_postgresql_the_two_rows_are_one_statement_psycopg_keeps_parsed(grid: Region):
    case = _case(grid)
    rows = [prepare_insert(case), prepare_insert(_report_event(case, grid))]
    with CaptureQueriesContext(connection) as queries:
        insert_together(rows)
    if connection.vendor != "postgresql":
        assert len(queries.captured_queries) == 2  # one INSERT each, in the caller's transaction
        return
    from psycopg._queries import MAX_CACHED_STATEMENT_PARAMS

    (query,) = queries.captured_queries
    assert query["sql"].startswith('WITH r0 AS (INSERT INTO "cases_case"')
    # Empty values are NULL in the text: above 50 parameters psycopg parses on every call.
    parameters = sum(1 for v in rows[0].values + rows[1].values if v is not None)
    assert parameters <= MAX_CACHED_STATEMENT_PARAMS


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's prepared statements")
def test_postgresql_prepares_the_repeated_insert_and_nothing_of_djangos(grid: Region):
    for _ in range(7):
        case = _case(grid)
        insert_together([prepare_insert(case), prepare_insert(_report_event(case, grid))])
    list(Case.objects.filter(region=grid))  # a query of Django's own
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        prepared = [row[0] for row in cursor.fetchall()]
    assert any(s.startswith('WITH r0 AS (INSERT INTO "cases_case"') for s in prepared), prepared
    assert not any(s.startswith("SELECT") for s in prepared), prepared
