"""The large-import paths: rebuilt indexes, the writer process, the PII fast paths."""

import pytest
from django.db import connection

from linli.core.errors import ApplicationError
from linli.core.pii import blind_index, id_number_error
from linli.imports import services, specs
from linli.imports.tests.factories import new_id, resident_row, table_bytes
from linli.people.models import Household, Resident
from linli.people.tests.factories import make_household


def _indexes(model=Resident) -> set[str]:
    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(cursor, model._meta.db_table)
    return {name for name, info in constraints.items() if info["index"]}


def _tables_rebuilt(monkeypatch) -> list[str]:
    """The tables whose indexes a bulk load drops from now on (in this process)."""
    tables: list[str] = []
    original = services.bulk.deferred_indexes.__enter__

    def spy(self):
        original(self)
        tables.append(self.table)

    monkeypatch.setattr(services.bulk.deferred_indexes, "__enter__", spy)
    return tables


def _writers_started(monkeypatch) -> list[dict]:
    """The headers of the writer processes started from now on (filled as they start)."""
    started: list[dict] = []
    original = services.WriterProcess.__init__

    def spy(self, header):
        started.append(header)
        original(self, header)

    monkeypatch.setattr(services.WriterProcess, "__init__", spy)
    return started


@pytest.mark.django_db
def test_a_bulk_load_rebuilds_the_indexes_it_dropped(county_admin, grid_a, monkeypatch):
    # given a threshold so low that this import counts as a bulk load
    monkeypatch.setattr(services, "BULK_LOAD_MIN_ROWS", 1)
    before = _indexes()
    dropped: list[str] = []
    original = services.bulk.deferred_indexes.__enter__

    def spy(self):
        original(self)
        dropped.extend(name for name, _sql in self.saved)

    monkeypatch.setattr(services.bulk.deferred_indexes, "__enter__", spy)
    # when residents are imported
    services.import_run(
        actor=county_admin,
        kind="residents",
        source=table_bytes("csv", [resident_row(grid_a.code) for _ in range(3)]),
        filename="a.csv",
    )
    # then indexes were dropped for the load (not the unique one, not the lookup one; on
    # PostgreSQL the lookup column's pattern-matching twin is rebuilt like the others)
    assert dropped and "resident_unique_id_number" not in dropped
    assert all("id_number_hash" not in name or name.endswith("_like") for name in dropped)
    lookup = {n for n in before if "id_number_hash" in n and not n.endswith("_like")}
    assert lookup and not lookup & set(dropped)
    # and every index is back, and the rows are there
    assert _indexes() == before
    assert Resident.objects.count() == 3


@pytest.mark.django_db
def test_a_failed_bulk_load_keeps_the_indexes(county_admin, grid_a, monkeypatch):
    monkeypatch.setattr(services, "BULK_LOAD_MIN_ROWS", 1)
    before = _indexes()

    def explode(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(services, "audit_summary", explode)
    with pytest.raises(RuntimeError):
        services.import_run(
            actor=county_admin,
            kind="residents",
            source=table_bytes("csv", [resident_row(grid_a.code)]),
            filename="a.csv",
        )
    assert _indexes() == before
    assert Resident.objects.count() == 0


def test_the_fast_checks_agree_with_the_kernel(settings):
    hasher = specs.Hasher()
    for value in ("340223199001011234", " 34022319900101123x ", "13812345678", ""):
        assert hasher(value) == blind_index(value)
    for number in [new_id() for _ in range(200)] + [
        "340223199013011234",
        "34022319900101123X",
        "1" * 18,
    ]:
        assert (specs.id_number_birth(number) is not None) == (id_number_error(number) is None)


# --- the writer process (writer.py) -------------------------------------------------------

needs_shared_database = pytest.mark.skipif(
    connection.vendor == "sqlite",
    reason="the writer process opens the database itself: not the in-memory test database",
)


@needs_shared_database
@pytest.mark.django_db(transaction=True)
def test_a_writer_process_writes_while_this_one_validates(county_admin, grid_a, monkeypatch):
    # given every import counts as large, in batches of two rows
    monkeypatch.setattr(services, "WRITER_MIN_ROWS", 1)
    monkeypatch.setattr(services, "CHUNK_ROWS", 2)
    started = _writers_started(monkeypatch)
    rows = [resident_row(grid_a.code, 标签="党员") for _ in range(5)]
    data = table_bytes("csv", rows)
    # when the file is imported, then imported again
    first = services.import_run(actor=county_admin, kind="residents", source=data, filename="a.csv")
    again = services.import_run(actor=county_admin, kind="residents", source=data, filename="a.csv")
    # then a writer process did the writing: every row, once, with its tags and PII
    assert len(started) == 2 and started[0]["user_id"] == county_admin.pk
    assert (first.created, again.unchanged) == (5, 5)
    stored = Resident.objects.get(id_number_hash=blind_index(rows[0]["身份证号"]))
    assert stored.id_number == rows[0]["身份证号"] and stored.phone == rows[0]["手机号"]
    assert stored.name_pinyin and stored.tags.count() == 1


@needs_shared_database
@pytest.mark.django_db(transaction=True)
def test_a_bulk_load_validates_against_the_keys_read_before_the_writer_starts(
    county_admin, grid_a, monkeypatch
):
    # given one stored resident, and every import a large bulk load in batches of two rows
    stored = resident_row(grid_a.code)
    services.import_run(
        actor=county_admin, kind="residents", source=table_bytes("csv", [stored]), filename="a.csv"
    )
    monkeypatch.setattr(services, "WRITER_MIN_ROWS", 1)
    monkeypatch.setattr(services, "BULK_LOAD_MIN_ROWS", 1)
    monkeypatch.setattr(services, "CHUNK_ROWS", 2)
    started = _writers_started(monkeypatch)
    rows = [stored] + [resident_row(grid_a.code, 标签="党员") for _ in range(4)]
    # when a file with it and four new residents is imported
    report = services.import_run(
        actor=county_admin, kind="residents", source=table_bytes("csv", rows), filename="b.csv"
    )
    # then a writer process wrote it as a bulk load (indexes rebuilt, on PostgreSQL too),
    # and the stored resident was found among the keys read before it started
    assert started and started[0]["bulk_load"]
    assert (report.created, report.unchanged) == (4, 1)
    assert Resident.objects.count() == 5
    assert _indexes() >= {"resident_unique_id_number"}


@needs_shared_database
@pytest.mark.django_db(transaction=True)
def test_a_bad_row_after_written_batches_rolls_the_writer_back(county_admin, grid_a, monkeypatch):
    # given batches of two rows, and a bad row in the third batch
    monkeypatch.setattr(services, "WRITER_MIN_ROWS", 1)
    monkeypatch.setattr(services, "CHUNK_ROWS", 2)
    rows = [resident_row(grid_a.code) for _ in range(4)] + [resident_row(grid_a.code, 手机号="1")]
    # when it is imported
    with pytest.raises(services.ImportFailed) as failed:
        services.import_run(
            actor=county_admin, kind="residents", source=table_bytes("csv", rows), filename="a.csv"
        )
    # then the error is reported and the two written batches were rolled back
    assert list(failed.value.report.errors) == [6]
    assert Resident.objects.count() == 0


@pytest.mark.django_db
def test_without_a_writer_process_the_import_runs_here(county_admin, grid_a, monkeypatch):
    # given a writer process that cannot start
    monkeypatch.setattr(services, "_writer_header", lambda *args: {"kind": "residents"})

    def cannot_start(self, header):
        raise services.ApplicationError("import_writer_gone", "gone")

    monkeypatch.setattr(services.WriterProcess, "__init__", cannot_start)
    report = services.import_run(
        actor=county_admin,
        kind="residents",
        source=table_bytes("csv", [resident_row(grid_a.code)]),
        filename="a.csv",
    )
    assert report.created == 1 and Resident.objects.count() == 1


@pytest.mark.django_db
def test_updates_of_many_rows_set_every_field_as_one_by_one(county_admin, grid_a):
    # given three stored residents with a household
    rows = [resident_row(grid_a.code) for _ in range(3)]
    services.import_run(
        actor=county_admin, kind="residents", source=table_bytes("csv", rows), filename="a.csv"
    )
    residents = list(Resident.objects.order_by("id"))
    writer = services.bulk.TableWriter(Resident)
    # when they change text, date, encrypted and foreign-key fields in one update (one
    # statement from arrays on PostgreSQL), and a fourth change names one of them again
    changes = [
        (r.pk, {"name": f"新名{i}", "birth_date": r.birth_date, "phone": f"1390000000{i}"})
        for i, r in enumerate(residents)
    ]
    writer.update(changes)
    writer.update([(residents[0].pk, {"household_id": None}), (residents[0].pk, {"name": "末"})])
    writer.update([(r.pk, {"status": "moved_out", "name": "甲"}) for r in residents[1:]] * 2)
    # then every row has its new values, as executemany would leave them
    stored = list(Resident.objects.order_by("id"))
    assert [r.name for r in stored] == ["末", "甲", "甲"]
    assert [r.phone for r in stored] == ["13900000000", "13900000001", "13900000002"]
    assert [r.status for r in stored] == ["active", "moved_out", "moved_out"]
    assert stored[0].household_id is None


@pytest.mark.parametrize("through_writer", [False, pytest.param(True, marks=needs_shared_database)])
@pytest.mark.django_db(transaction=True)
def test_household_heads_named_in_any_batch_are_set_once_every_row_is_written(
    through_writer, county_admin, grid_a, monkeypatch
):
    # given four households, two of them headed by stored residents
    for number in ("T0", "T1", "T2", "T3"):
        make_household(grid_a, number=number)
    stays = resident_row(grid_a.code, 户编号="T0", 与户主关系="户主")
    was_head = resident_row(grid_a.code, 户编号="T1", 与户主关系="户主")
    spouse = resident_row(grid_a.code, 户编号="T1", 与户主关系="配偶")
    services.import_run(
        actor=county_admin,
        kind="residents",
        source=table_bytes("csv", [stays, was_head, spouse]),
        filename="a.csv",
    )
    # and a bulk load in batches of two rows (written by a writer process, or here)
    monkeypatch.setattr(services, "BULK_LOAD_MIN_ROWS", 1)
    monkeypatch.setattr(services, "CHUNK_ROWS", 2)
    monkeypatch.setattr(services, "WRITER_MIN_ROWS", 1 if through_writer else 10**9)
    rebuilt = _tables_rebuilt(monkeypatch)
    indexes_before = _indexes(Household)
    new_head_t2 = resident_row(grid_a.code, 户编号="T2", 与户主关系="户主", 标签="党员")
    new_head_t3 = resident_row(grid_a.code, 户编号="T3", 与户主关系="户主")
    rows = [
        resident_row(grid_a.code, 户编号="T2", 与户主关系="子女"),
        stays,
        new_head_t2,
        {**spouse, "与户主关系": "户主"},
        {**was_head, "与户主关系": "配偶"},
        new_head_t3,
        resident_row(grid_a.code, 户编号="T3", 与户主关系="子女"),
    ]
    # when a file names heads in the first, second and third batches
    report = services.import_run(
        actor=county_admin, kind="residents", source=table_bytes("csv", rows), filename="b.csv"
    )
    # then each household is headed by the resident its file row named
    heads = dict(Household.objects.values_list("number", "head__id_number_hash"))
    named = {"T0": stays, "T1": spouse, "T2": new_head_t2, "T3": new_head_t3}
    assert heads == {number: blind_index(row["身份证号"]) for number, row in named.items()}
    # and the counts are those of one head per household
    assert (report.created, report.updated, report.unchanged) == (4, 2, 1)
    tagged = Resident.objects.get(id_number_hash=blind_index(new_head_t2["身份证号"]))
    assert list(tagged.tags.values_list("tag", flat=True)) == ["party_member"]
    # and the household table has all its indexes, rebuilt on PostgreSQL in-process
    assert _indexes(Household) == indexes_before
    if not through_writer:
        rebuilds_households = connection.vendor == "postgresql"
        assert rebuilt == ["people_resident"] + ["people_household"] * rebuilds_households


@pytest.mark.parametrize("through_writer", [False, pytest.param(True, marks=needs_shared_database)])
@pytest.mark.django_db(transaction=True)
def test_a_bulk_load_referring_to_a_vanished_household_writes_nothing(
    through_writer, county_admin, grid_a, monkeypatch
):
    # given two households, one of which vanishes after the file's rows were checked (its id
    # in the rows no longer names a household when they are written)
    for number in ("T0", "T1"):
        make_household(grid_a, number=number)
    vanished = Household.objects.get(number="T1").pk
    resolve = specs.ResidentSpec._resolve_households

    def resolve_then_vanish(self, ctx, chunk):
        resolve(self, ctx, chunk)
        for parsed in chunk:
            if parsed.values.get("household_id") == vanished:
                parsed.values["household_id"] = vanished + 1000

    monkeypatch.setattr(specs.ResidentSpec, "_resolve_households", resolve_then_vanish)
    monkeypatch.setattr(services, "BULK_LOAD_MIN_ROWS", 1)
    monkeypatch.setattr(services, "CHUNK_ROWS", 2)
    monkeypatch.setattr(services, "WRITER_MIN_ROWS", 1 if through_writer else 10**9)
    indexes_before = (_indexes(Resident), _indexes(Household))
    rows = [
        resident_row(grid_a.code, 户编号="T0", 与户主关系="户主"),
        resident_row(grid_a.code, 户编号="T0", 与户主关系="配偶"),
        resident_row(grid_a.code, 户编号="T1", 与户主关系="户主"),
        resident_row(grid_a.code, 户编号="T1", 与户主关系="子女"),
        resident_row(grid_a.code),
    ]
    # when the file is imported as a bulk load
    with pytest.raises(ApplicationError) as failed:
        services.import_run(
            actor=county_admin, kind="residents", source=table_bytes("csv", rows), filename="a.csv"
        )
    # then the foreign key's check refuses it as a concurrent change, and nothing is written:
    # no resident, no head, every index back
    assert (failed.value.code, failed.value.status) == ("import_conflict", 409)
    assert Resident.objects.count() == 0
    assert not Household.objects.filter(head__isnull=False).exists()
    assert (_indexes(Resident), _indexes(Household)) == indexes_before
