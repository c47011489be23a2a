"""One new row inserted with an INSERT statement built once per model, for hot write paths.

`Model.save()` compiles its INSERT afresh on every call; for the 40-column case row that is
most of the CPU an intake costs (ADR 0093). `insert_new(instance)` writes the same row —
every concrete field through `pre_save` and `get_db_prep_save`, as `save()` does, so
defaults, `auto_now_add`, encrypted fields and JSON are stored the same way (a plain string,
number or key of Django's own field classes is passed as it is, which is what those two calls
return for it) — with a statement built once per model and database vendor (on PostgreSQL
with its values bound on the server), and sets the new primary key.

It sends no `pre_save`/`post_save` signals, so it refuses audited models: their changes must
reach the audit log through `save()`. Model `save()` overrides are not run either; the
region-code copy of `RegionScopedModel` is done here, and callers use it only for models
whose `save()` adds nothing else to a new row.
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.db import connections, models, router, transaction
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.backends.base.operations import BaseDatabaseOperations
from django.db.backends.sqlite3.base import FORMAT_QMARK_REGEX, SQLiteCursorWrapper

from linli.core import audit
from linli.core.models import RegionScopedModel

# Fields whose `pre_save` + `get_db_prep_save` hand a value of these exact types to the
# database unchanged (Django's own classes only: a subclass may convert, e.g. encrypted text).
# For such a value the two calls are skipped; any other value goes the whole way.
_PASSED_AS_IS: dict[type[models.Field], tuple[type, ...]] = {
    models.CharField: (str,),
    models.TextField: (str,),
    models.BooleanField: (bool,),
    models.FloatField: (float,),
    **dict.fromkeys((models.AutoField, models.BigAutoField, models.SmallAutoField), (int,)),
}
# Plain integer columns too, unless the backend wraps integers (psycopg 3 types them by size).
_INTEGERS = (
    models.IntegerField,
    models.SmallIntegerField,
    models.BigIntegerField,
    models.PositiveIntegerField,
    models.PositiveSmallIntegerField,
    models.PositiveBigIntegerField,
)


@dataclass(frozen=True, slots=True)
class _Column:
    field: Any
    attname: str
    as_is: tuple[type, ...]  # value types sent unchanged; () = always prepare


def _as_is(field: Any, ops: BaseDatabaseOperations) -> tuple[type, ...]:
    if type(field) in (models.DateTimeField, models.DateField):
        # An empty date is stored as NULL; a set one is adapted by the backend.
        return () if field.auto_now or field.auto_now_add else (type(None),)
    if type(field).pre_save is not models.Field.pre_save:  # auto_now and the like
        return ()
    if type(field) is models.ForeignKey:
        # A key is prepared by its target field (the referenced primary key).
        return _as_is(field.target_field, ops)
    types = _PASSED_AS_IS.get(type(field), ())
    adapts_integers = (
        type(ops).adapt_integerfield_value is not BaseDatabaseOperations.adapt_integerfield_value
    )
    if type(field) in _INTEGERS and not adapts_integers:
        types = (int,)
    return types and (*types, type(None))


@dataclass(frozen=True, slots=True)
class _Statement:
    table: str  # quoted
    columns: list[_Column]
    column_list: str  # quoted names, in `columns` order
    pk_column: str  # quoted
    sql: str  # the single-row INSERT … RETURNING pk


_statements: dict[tuple[type[models.Model], str], _Statement] = {}


def _statement(model: type[models.Model], connection: BaseDatabaseWrapper) -> _Statement:
    key = (model, connection.vendor)
    found = _statements.get(key)
    if found is None:
        meta = model._meta
        quote: Any = connection.ops.quote_name
        pk = meta.pk
        assert pk is not None
        fields = [
            f for f in meta.concrete_fields if not (f is pk and isinstance(f, models.AutoField))
        ]
        table, column_list = quote(meta.db_table), ", ".join(quote(f.column) for f in fields)
        marks = ", ".join(["%s"] * len(fields))
        # Identifiers from the model's metadata, quoted by the backend; values are parameters.
        sql = f"INSERT INTO {table} ({column_list}) VALUES ({marks}) RETURNING {quote(pk.column)}"  # noqa: S608
        found = _statements[key] = _Statement(
            table,
            [_Column(f, f.attname, _as_is(f, connection.ops)) for f in fields],
            column_list,
            quote(pk.column),
            sql,
        )
    return found


@functools.cache
def _qmark(sql: str) -> str:
    """Django's SQLite cursor rewrites `%s` as `?` with a regular expression on every call
    (0.05 ms for the case's INSERT); a prepared statement's SQL is rewritten once."""
    return FORMAT_QMARK_REGEX.sub("?", sql).replace("%%", "%")


class _SQLiteCursor(SQLiteCursorWrapper):
    def convert_query(self, query: str, *, param_names: Any = None) -> str:
        if param_names is not None:
            return super().convert_query(query, param_names=param_names)
        return _qmark(query)


def _cursor(connection: Any) -> Any:
    """A cursor for the prepared INSERTs, wrapped like Django's own (query capture and execute
    wrappers still see it). On PostgreSQL one that binds parameters on the server: Django's
    cursors interpolate all 40 values into the SQL text on the client, and the server then
    parses them back (intake: 0.4 ms less client and 0.1 ms less server CPU); being server-side,
    it is also the one cursor whose statements psycopg prepares (`prepare_threshold` in the
    settings; Django's client-side cursors never are, ADR 0112). On SQLite one
    that rewrites a statement's placeholders once (`_qmark`)."""
    connection.ensure_connection()
    if connection.vendor == "postgresql":
        from django.db.backends.postgresql.base import ServerBindingCursor

        return connection._prepare_cursor(ServerBindingCursor(connection.connection))  # type: ignore[call-arg]
    if connection.vendor == "sqlite":
        return connection._prepare_cursor(connection.connection.cursor(factory=_SQLiteCursor))
    return connection.cursor()


@dataclass(slots=True)
class PreparedInsert:
    """A new row's INSERT with its values computed — defaults, dates, encryption, JSON — so
    that running it (`insert_together`) costs little more than the database's own work: on
    SQLite the rows of a report are prepared before the writer lock is taken.

    A foreign key to an object that had no key yet when the row was prepared (a case's first
    event, prepared with the case) takes that object's key when the row is written, as
    `save()` would."""

    instance: models.Model
    alias: str
    statement: _Statement
    values: list[Any]
    # (position in `values`, foreign key field, the object it points to)
    pending: tuple[tuple[int, Any, models.Model], ...]

    def _written(self, pk: Any) -> None:
        self.instance.pk = pk
        self.instance._state.adding = False
        self.instance._state.db = self.alias

    def unwrite(self) -> None:
        """Forget the key of a write that was rolled back, so that the row can be written
        again."""
        self.instance.pk = None
        self.instance._state.adding = True

    def _take_pending_keys(self) -> None:
        for position, field, target in self.pending:
            if target.pk is None:
                raise ValueError(f"{field.name} is not saved: save it before this row")
            setattr(self.instance, field.name, target)  # its key, and the object kept
            self.values[position] = target.pk


def prepare_insert(instance: models.Model) -> PreparedInsert:
    """The INSERT of `instance` (not yet saved), its values computed now; see PreparedInsert."""
    model = type(instance)
    if audit.is_audited(model):
        raise TypeError(f"{model.__name__} is audited: save it with save()")
    if instance.pk is not None:
        raise ValueError("insert_new writes new rows only")
    region = getattr(instance, "region", None)
    if isinstance(instance, RegionScopedModel) and region is not None:
        instance.region_code = region.code  # what RegionScopedModel.save() keeps
    alias = router.db_for_write(model, instance=instance)
    connection = connections[alias]
    statement = _statement(model, connection)
    values: list[Any] = []
    pending: list[tuple[int, Any, models.Model]] = []
    for column in statement.columns:
        field = column.field
        value = getattr(instance, column.attname)
        if value is None and field.is_relation and field.is_cached(instance):
            target = field.get_cached_value(instance)
            if target is not None and target.pk is None:  # written before this row
                pending.append((len(values), field, target))
                values.append(None)
                continue
        if type(value) not in column.as_is:
            value = field.get_db_prep_save(field.pre_save(instance, True), connection)
        values.append(value)
    return PreparedInsert(instance, alias, statement, values, tuple(pending))


def insert_together(rows: Sequence[PreparedInsert]) -> None:
    """Write prepared rows, in order, and set their keys; a row may refer to an earlier one.

    On PostgreSQL they are one statement (data-modifying CTEs): atomic on its own, one round
    trip, and a commit of its own when no transaction is open. On SQLite they are one
    statement each, inside the caller's transaction (or one of their own)."""
    if not rows:
        return
    connection = connections[rows[0].alias]
    if connection.vendor == "postgresql":
        _insert_as_one_statement(connection, rows)
        return
    with contextlib.ExitStack() as stack:
        if len(rows) > 1 and not connection.in_atomic_block:
            stack.enter_context(transaction.atomic(using=rows[0].alias))
        with _cursor(connection) as cursor:
            for row in rows:
                row._take_pending_keys()
                cursor.execute(row.statement.sql, row.values)
                row._written(cursor.fetchone()[0])


def insert_in_layers(rows: Sequence[PreparedInsert]) -> None:
    """Write many prepared rows — several reports' cases and events — with one multi-row
    INSERT per model and layer (cases first, then the events that refer to them), inside the
    caller's transaction; set their keys. For SQLite's group commit (ADR 0112): the writer
    lock is held for two statements, whatever the number of reports, and every statement's
    return to Python waits for the GIL.

    A multi-row INSERT's RETURNING comes back in no promised order; the keys are sorted, as
    SQLite gives the rows of one statement increasing keys in the order of its VALUES."""
    layer_of: dict[int, int] = {}
    layers: dict[tuple[int, type[models.Model]], list[PreparedInsert]] = {}
    for row in rows:
        layer = 1 + max((layer_of.get(id(t), -1) for _, _, t in row.pending), default=-1)
        layer_of[id(row.instance)] = layer
        layers.setdefault((layer, type(row.instance)), []).append(row)
    connection = connections[rows[0].alias]
    with _cursor(connection) as cursor:
        for (_, _), group in sorted(layers.items(), key=lambda item: item[0][0]):
            statement = group[0].statement
            for row in group:
                row._take_pending_keys()
            cursor.execute(
                _multi_row_sql(statement.sql, len(statement.columns), len(group)),
                [value for row in group for value in row.values],
            )
            keys = sorted(key for (key,) in cursor.fetchall())
            for row, key in zip(group, keys, strict=True):
                row._written(key)


@functools.lru_cache(maxsize=64)
def _multi_row_sql(single_row_sql: str, width: int, count: int) -> str:
    one = "(" + ", ".join(["%s"] * width) + ")"
    head, _, returning = single_row_sql.partition(f" VALUES {one} ")
    return f"{head} VALUES {', '.join([one] * count)} {returning}"


def _insert_as_one_statement(connection: Any, rows: Sequence[PreparedInsert]) -> None:
    """WITH r0 AS (INSERT … RETURNING id), r1 AS (INSERT … VALUES (…, (SELECT id FROM r0), …)
    RETURNING id) SELECT (SELECT id FROM r0), (SELECT id FROM r1); one row is a plain INSERT.

    A key taken from an earlier row is a scalar subquery in the VALUES list, so every
    parameter keeps its column's type. An empty value is written as NULL in the text: psycopg
    parses a statement's placeholders again on every call once it has more than 50
    parameters (the case row alone has 50), and that parsing cost more than the insert."""
    position_of = {id(row.instance): n for n, row in enumerate(rows)}
    parts, params = [], []
    for n, row in enumerate(rows):
        values, earlier_keys = list(row.values), {}
        for position, field, target in row.pending:
            if target.pk is not None:  # written since this row was prepared
                values[position] = target.pk
            elif position_of.get(id(target), n) < n:
                earlier = position_of[id(target)]
                earlier_keys[position] = (
                    f"(SELECT {rows[earlier].statement.pk_column} FROM r{earlier})"  # noqa: S608
                )
            else:
                raise ValueError(f"{field.name} is not saved: save it before this row")
        marks = []
        for position, value in enumerate(values):
            if position in earlier_keys:
                marks.append(earlier_keys[position])
            elif value is None:
                marks.append("NULL")
            else:
                marks.append("%s")
                params.append(value)
        statement = row.statement
        parts.append(
            f"INSERT INTO {statement.table} ({statement.column_list}) "  # noqa: S608
            f"VALUES ({', '.join(marks)}) RETURNING {statement.pk_column}"
        )
    if len(rows) == 1:
        sql = parts[0]
    else:
        keys = ", ".join(
            f"(SELECT {row.statement.pk_column} FROM r{n})"  # noqa: S608
            for n, row in enumerate(rows)
        )
        ctes = ", ".join(f"r{n} AS ({part})" for n, part in enumerate(parts))
        sql = f"WITH {ctes} SELECT {keys}"
    with _cursor(connection) as cursor:
        cursor.execute(sql, params)
        pks = cursor.fetchone()
    for row, pk in zip(rows, pks, strict=True):
        row._written(pk)
    for row in rows:
        row._take_pending_keys()


def insert_new(instance: models.Model) -> None:
    """INSERT `instance` (not yet saved) and set its primary key, like `save()` on a new row."""
    connection = connections[router.db_for_write(type(instance), instance=instance)]
    if not connection.features.can_return_columns_from_insert:  # SQLite < 3.35
        if audit.is_audited(type(instance)):
            raise TypeError(f"{type(instance).__name__} is audited: save it with save()")
        instance.save(force_insert=True)
        return
    insert_together([prepare_insert(instance)])
