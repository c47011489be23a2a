"""Fast bulk writes for imports: INSERT and UPDATE with executemany, values prepared once.

`QuerySet.bulk_create` costs ~150 µs a resident row here (model instances, per-field
preparation, one huge multi-row statement); a prepared statement run with executemany over
ready tuples costs ~30 µs (bench/import_residents.py). The writer still takes its columns,
defaults and conversions from the model's fields, so a new field with a default needs no
change here. Encrypted fields are encrypted here (they bypass the field's get_prep_value),
and `region_code` and the timestamps are set explicitly: nothing of `save()` runs.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from django.db import connection, models
from django.utils import timezone

from linli.core.pii import EncryptedTextField, encrypt
from linli.imports.crypto import BatchCipher

_IDENTITY_TYPES = (models.CharField, models.TextField, models.ForeignKey, models.IntegerField)
# Fields whose values psycopg sends as arrays that cast to the column's type.
_ARRAY_TYPES = (
    models.CharField,
    models.TextField,
    models.IntegerField,
    models.ForeignKey,
    models.DateField,
    models.BooleanField,
    models.DecimalField,
    models.FloatField,
)


def _encrypted(value: Any) -> str:
    # A value already encrypted on the validating side arrives as the token's bytes.
    return value.decode() if type(value) is bytes else encrypt(value)


def _column(model: type[models.Model], name: str) -> str:
    return str(model._meta.get_field(name).column)  # type: ignore[union-attr]


def _converter(field: models.Field) -> Callable[[Any], Any] | None:
    """How a Python value becomes a database parameter (None: as it is)."""
    if isinstance(field, EncryptedTextField):
        return _encrypted
    if isinstance(field, models.DateTimeField):
        return connection.ops.adapt_datetimefield_value
    if isinstance(field, models.DateField):
        return connection.ops.adapt_datefield_value
    if isinstance(field, _IDENTITY_TYPES) and not isinstance(field, models.BooleanField):
        return None

    def prepare(value: Any) -> Any:
        return field.get_db_prep_save(value, connection)

    return prepare


class TableWriter:
    """INSERT and UPDATE rows of one model, given as {attname: python value} mappings."""

    def __init__(self, model: type[models.Model]) -> None:
        self.model = model
        self.table = connection.ops.quote_name(str(model._meta.db_table))
        self.fields = [f for f in model._meta.concrete_fields if not f.primary_key]
        self.by_attname = {f.attname: f for f in self.fields}
        self.converters = {f.attname: _converter(f) for f in self.fields}
        self.defaults = {
            f.attname: (f.get_default() if f.has_default() or f.null or f.blank else None)
            for f in self.fields
        }
        columns = ", ".join(connection.ops.quote_name(str(f.column)) for f in self.fields)
        placeholders = ", ".join(["%s"] * len(self.fields))
        # Table and column names come from the model, never from input.
        self.insert_sql = f"INSERT INTO {self.table} ({columns}) VALUES ({placeholders})"  # noqa: S608
        # PostgreSQL loads rows fastest with COPY … FROM STDIN (psycopg adapts each value).
        self.copy_sql = (
            f"COPY {self.table} ({columns}) FROM STDIN" if connection.vendor == "postgresql" else ""
        )
        pk = connection.ops.quote_name(str(model._meta.pk.column))  # type: ignore[union-attr]
        self.copy_with_ids_sql = (
            f"COPY {self.table} ({pk}, {columns}) FROM STDIN" if self.copy_sql else ""
        )
        now = timezone.now()
        self.now = now
        self._now_param = connection.ops.adapt_datetimefield_value(now)
        self.encrypted = [f.attname for f in self.fields if isinstance(f, EncryptedTextField)]
        self._cipher: BatchCipher | None = None
        self._sequence = ""
        self._plan = [
            (
                f.attname,
                self.defaults[f.attname],
                self.converters[f.attname],
                f.attname in ("created_at", "updated_at"),
            )
            for f in self.fields
        ]

    def _param(self, attname: str, value: Any) -> Any:
        convert = self.converters[attname]
        if value is None or convert is None:
            return value
        return convert(value)

    def _encrypt_all(self, rows: list[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
        """The rows with their encrypted fields' plain values encrypted, a batch per field
        (crypto.BatchCipher: a third of the time of one `encrypt` per value)."""
        for attname in self.encrypted:
            plain = [i for i, row in enumerate(rows) if type(row.get(attname)) is str]
            if not plain:
                continue
            if self._cipher is None:
                self._cipher = BatchCipher()
            tokens = self._cipher.encrypt_many([rows[i][attname] for i in plain])
            for i, token in zip(plain, tokens, strict=True):
                rows[i] = {**rows[i], attname: token.encode()}
        return rows

    def _params(self, rows: Iterable[Mapping[str, Any]]) -> list[list[Any]]:
        params = []
        if self.encrypted:
            rows = self._encrypt_all(list(rows))
        now = self._now_param
        for row in rows:
            values = []
            for attname, default, convert, is_timestamp in self._plan:
                if is_timestamp:
                    values.append(now)
                    continue
                value = row.get(attname, default)
                values.append(value if value is None or convert is None else convert(value))
            params.append(values)
        return params

    def insert(self, rows: Iterable[Mapping[str, Any]]) -> int:
        params = self._params(rows)
        if params:
            with connection.cursor() as cursor:
                if self.copy_sql:
                    with cursor.cursor.copy(self.copy_sql) as copy:
                        for values in params:
                            copy.write_row(values)
                else:
                    cursor.executemany(self.insert_sql, params)
        return len(params)

    def insert_with_ids(self, rows: Iterable[Mapping[str, Any]]) -> list[int] | None:
        """Insert the rows and return their ids in order, where that costs no lookup: on
        PostgreSQL the ids are drawn from the table's sequence first and copied with the rows
        (a load that looks its new rows up again by natural key scans the whole unanalysed
        table each batch: 12 s of a county's first load). Elsewhere the rows are inserted as by
        `insert` and None says that the caller must look them up."""
        if not self.copy_with_ids_sql:
            self.insert(rows)
            return None
        params = self._params(rows)
        if not params:
            return []
        with connection.cursor() as cursor:
            if not self._sequence:
                cursor.execute(
                    "SELECT pg_get_serial_sequence(%s, %s)",
                    [self.table, str(self.model._meta.pk.column)],  # type: ignore[union-attr]
                )
                self._sequence = str(cursor.fetchone()[0])
            # The sequence named once: as an argument of nextval it would be looked up per row.
            cursor.execute(
                "SELECT nextval(%s::regclass) FROM generate_series(1, %s)",
                [self._sequence, len(params)],
            )
            ids = [row[0] for row in cursor.fetchall()]
            with cursor.cursor.copy(self.copy_with_ids_sql) as copy:
                for pk, values in zip(ids, params, strict=True):
                    copy.write_row([pk, *values])
        return ids

    def update(self, changes: Iterable[tuple[int, Mapping[str, Any]]]) -> int:
        """Each (pk, {attname: new value}); rows changing the same fields share a statement."""
        groups: dict[tuple[str, ...], list[list[Any]]] = defaultdict(list)
        count = 0
        for pk, values in changes:
            names = tuple(sorted(values))
            groups[names].append([self._param(n, values[n]) for n in names] + [self._now_param, pk])
            count += 1
        with connection.cursor() as cursor:
            for names, params in groups.items():
                if self._update_from_arrays(cursor, names, params):
                    continue
                assignments = ", ".join(
                    f"{connection.ops.quote_name(str(self.by_attname[n].column))} = %s"
                    for n in (*names, "updated_at")
                )
                cursor.executemany(
                    f"UPDATE {self.table} SET {assignments} WHERE id = %s",  # noqa: S608
                    params,
                )
        return count

    def _update_from_arrays(
        self, cursor: Any, names: tuple[str, ...], params: list[list[Any]]
    ) -> bool:
        """On PostgreSQL, rows changing the same fields in one `UPDATE … FROM unnest(arrays)`
        (one statement a batch instead of one a row: 140 k household heads of a county's load
        cost 20 s one by one). False when it does not apply: another database, a single row,
        a field type it does not cast, or a row named twice (executemany keeps the last)."""
        if connection.vendor != "postgresql" or len(params) < 2:
            return False
        fields = [self.by_attname[n] for n in (*names, "updated_at")]
        if not all(isinstance(f, _ARRAY_TYPES) for f in fields):
            return False
        pks = [row[-1] for row in params]
        if len(set(pks)) != len(pks):
            return False
        quote = connection.ops.quote_name
        types = [str(f.db_type(connection)) for f in fields] + ["bigint"]
        columns = [f"c{i}" for i in range(len(fields))]
        assignments = ", ".join(
            f"{quote(str(f.column))} = v.{c}" for f, c in zip(fields, columns, strict=True)
        )
        arrays = ", ".join(f"%s::{t}[]" for t in types)
        # Table, column and type names come from the model, never from input.
        cursor.execute(
            f"UPDATE {self.table} AS t SET {assignments} "  # noqa: S608
            f"FROM unnest({arrays}) AS v({', '.join(columns)}, pk) WHERE t.id = v.pk",
            [list(column) for column in zip(*params, strict=True)],
        )
        return True


def chunked(items: Sequence[Any], size: int) -> Iterable[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def select_in(
    model: type[models.Model], columns: Sequence[str], key: str, values: Iterable[Any]
) -> list[tuple[Any, ...]]:
    """Raw `SELECT columns FROM table WHERE key IN (values)` for text and integer columns.

    For hot lookups by natural key (2,000 keys a batch): the ORM spends more time building
    a 2,000-parameter IN than the database spends answering it. Values come back as the
    driver gives them, so use it for keys, ids and codes, not dates or encrypted fields.
    """
    values = list(values)
    if not values:
        return []
    quote = connection.ops.quote_name
    meta = model._meta
    column_sql = ", ".join(quote(_column(model, c)) for c in columns)
    placeholders = ", ".join(["%s"] * len(values))
    sql = (
        f"SELECT {column_sql} FROM {quote(str(meta.db_table))} "  # noqa: S608 - names from _meta
        f"WHERE {quote(_column(model, key))} IN ({placeholders})"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, values)
        return list(cursor.fetchall())


_FIRST_COLUMN_RE = re.compile(r"\(\s*\"?([A-Za-z0-9_]+)")


def _first_column(index_sql: str) -> str:
    """The leading column of a CREATE INDEX statement (SQLite's or PostgreSQL's form)."""
    match = _FIRST_COLUMN_RE.search(index_sql, index_sql.upper().find(" ON "))
    return match.group(1) if match else ""


def table_row_count(model: type[models.Model]) -> int:
    with connection.cursor() as cursor:
        table = connection.ops.quote_name(str(model._meta.db_table))
        cursor.execute(f"SELECT COUNT(*) FROM {table}")  # noqa: S608 - a model's table
        return int(cursor.fetchone()[0])


def analyze(models_: Iterable[type[models.Model]]) -> None:
    """Fresh planner statistics for tables a bulk load filled (PostgreSQL; ADR 0106).

    Without them (autovacuum off, or not yet run) PostgreSQL guesses that `hash IN (2,000
    keys)` matches most of the table and scans all of it: 0.2 s a batch for 400 k residents,
    six minutes for a re-import. Inside the import's transaction: the statistics are visible
    when it commits. SQLite plans without statistics by design (people.selectors)."""
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        for model in models_:
            cursor.execute(f"ANALYZE {connection.ops.quote_name(str(model._meta.db_table))}")


class deferred_indexes:
    """Drop the table's non-unique indexes for a bulk load; recreate them when it ends well.

    Keeping 15 indexes up to date row by row costs half of a 400 k-row resident import;
    building them once at the end sorts each key once. Only for loads that add at least as
    many rows as the table holds (the caller decides), and only inside a transaction: the
    DDL is transactional on SQLite and PostgreSQL, so a failed import rolls back to the old
    indexes. Unique indexes stay (they guard the natural keys). SQLite readers keep reading
    the last committed snapshot (WAL); on PostgreSQL the table is locked for the duration.
    """

    def __init__(self, model: type[models.Model], *, keep: Iterable[str] = ()) -> None:
        self.table = str(model._meta.db_table)
        # Indexes led by these columns stay: the load itself looks rows up by them. Not their
        # pattern-matching twins (the `varchar_pattern_ops` index Django adds on PostgreSQL
        # beside an indexed text column): a lookup by equality uses the plain index, and
        # keeping a third index of random keys up to date cost 2 s of a county's COPY (ADR 0107).
        self.keep = {_column(model, name) for name in keep}
        self.saved: list[tuple[str, str]] = []

    def _indexes(self) -> list[tuple[str, str]]:
        with connection.cursor() as cursor:
            if connection.vendor == "sqlite":
                cursor.execute(
                    "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = %s "
                    "AND sql IS NOT NULL",
                    [self.table],
                )
            elif connection.vendor == "postgresql":
                cursor.execute(
                    "SELECT i.indexname, i.indexdef FROM pg_indexes i "
                    "JOIN pg_class c ON c.relname = i.indexname "
                    "JOIN pg_index x ON x.indexrelid = c.oid "
                    "WHERE i.tablename = %s AND i.schemaname = current_schema() "
                    "AND NOT x.indisunique AND NOT x.indisprimary",
                    [self.table],
                )
            else:  # pragma: no cover - other engines keep their indexes
                return []
            rows = [(str(name), str(sql)) for name, sql in cursor.fetchall()]
        return [
            (name, sql)
            for name, sql in rows
            if not sql.upper().startswith("CREATE UNIQUE")
            and (_first_column(sql) not in self.keep or "_pattern_ops" in sql)
        ]

    def __enter__(self) -> None:
        if not connection.in_atomic_block:  # pragma: no cover - a programming error
            raise RuntimeError("deferred_indexes needs a transaction")
        self.saved = self._indexes()
        with connection.cursor() as cursor:
            for name, _sql in self.saved:
                cursor.execute(f"DROP INDEX {connection.ops.quote_name(name)}")

    def __exit__(self, exc_type: object, *exc: object) -> None:
        if exc_type is not None:
            return  # the transaction rolls back, indexes included
        with connection.cursor() as cursor:
            if connection.vendor == "sqlite":
                # Let SQLite sort each index's keys on more than one core.
                cursor.execute("PRAGMA threads = 4")
            elif connection.vendor == "postgresql":
                # Django's foreign keys are deferred; PostgreSQL builds no index on a table
                # with pending checks, so run them now (a violation fails the import here).
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            for _name, sql in self.saved:
                cursor.execute(sql)
            if connection.vendor == "sqlite":
                cursor.execute("PRAGMA threads = 0")
            elif connection.vendor == "postgresql":
                cursor.execute("SET CONSTRAINTS ALL DEFERRED")
