"""One new row inserted with an INSERT statement built once per model, for hot write paths.

`Model.save()` compiles its INSERT afresh on every call; for the 40-column case row that is
most of the CPU an intake costs (ADR 0093). `insert_new(instance)` writes the same row —
every concrete field through `pre_save` and `get_db_prep_save`, as `save()` does, so
defaults, `auto_now_add`, encrypted fields and JSON are stored the same way — with a statement
prepared once per model and database vendor, and sets the new primary key.

It sends no `pre_save`/`post_save` signals, so it refuses audited models: their changes must
reach the audit log through `save()`. Model `save()` overrides are not run either; the
region-code copy of `RegionScopedModel` is done here, and callers use it only for models
whose `save()` adds nothing else to a new row.
"""

from __future__ import annotations

from typing import Any

from django.db import connections, models, router

from linli.core import audit
from linli.core.models import RegionScopedModel

_statements: dict[tuple[type[models.Model], str], tuple[str, list[models.Field]]] = {}


def _statement(model: type[models.Model], vendor: str, quote: Any) -> tuple[str, list[Any]]:
    key = (model, vendor)
    found = _statements.get(key)
    if found is None:
        meta = model._meta
        pk = meta.pk
        assert pk is not None
        fields = [
            f for f in meta.concrete_fields if not (f is pk and isinstance(f, models.AutoField))
        ]
        columns = ", ".join(quote(f.column) for f in fields)
        marks = ", ".join(["%s"] * len(fields))
        # Identifiers from the model's metadata, quoted by the backend; values are parameters.
        sql = (
            f"INSERT INTO {quote(meta.db_table)} ({columns}) VALUES ({marks}) "  # noqa: S608
            f"RETURNING {quote(pk.column)}"
        )
        found = _statements[key] = (sql, fields)
    return found


def insert_new(instance: models.Model) -> None:
    """INSERT `instance` (not yet saved) and set its primary key, like `save()` on a new row."""
    model = type(instance)
    if model in audit.registered_models():
        raise TypeError(f"{model.__name__} is audited: save it with save()")
    if instance.pk is not None:
        raise ValueError("insert_new writes new rows only")
    region = getattr(instance, "region", None)
    if isinstance(instance, RegionScopedModel) and region is not None:
        instance.region_code = region.code  # what RegionScopedModel.save() keeps
    alias = router.db_for_write(model, instance=instance)
    connection = connections[alias]
    if not connection.features.can_return_columns_from_insert:  # SQLite < 3.35
        instance.save(force_insert=True)
        return
    sql, fields = _statement(model, connection.vendor, connection.ops.quote_name)
    values = [f.get_db_prep_save(f.pre_save(instance, True), connection) for f in fields]
    with connection.cursor() as cursor:
        cursor.execute(sql, values)
        instance.pk = cursor.fetchone()[0]
    instance._state.adding = False
    instance._state.db = alias
