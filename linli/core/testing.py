"""Test support shared by every app: the contract for the generated scoping tests, and
SQLite's query plans for the tests that prove a query walks an index.

Each app that has region-scoped rows declares, in `linli/<app>/tests/scoped_builders.py`,
`BUILDERS = {Model: ScopedBuilder(...)}`: how to make one row inside a given town. The
generated tests (tests/test_scoping_*.py) then prove, for every API route and every admin
model, that a user of another town gets 404 and never sees that row.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from importlib import import_module
from typing import Any

from django.apps import apps
from django.db import connection


@dataclass(frozen=True)
class ScopedBuilder:
    # make(town) -> (instance, marker): a row inside `town`, and a string unique to that row
    # (it must appear in a list answer that includes the row).
    make: Callable[[Any], tuple[Any, str]]
    # create_payload(town) -> the JSON body that would create such a row in `town` (optional).
    create_payload: Callable[[Any], dict[str, Any]] | None = None

    def path_value(self, instance: Any, param: str) -> str:
        return str(instance.code if param == "code" else instance.pk)


def scoped_builders() -> dict[type, ScopedBuilder]:
    builders: dict[type, ScopedBuilder] = {}
    for config in apps.get_app_configs():
        if not config.name.startswith("linli."):
            continue
        try:
            module = import_module(f"{config.name}.tests.scoped_builders")
        except ModuleNotFoundError as exc:
            if exc.name not in (f"{config.name}.tests", f"{config.name}.tests.scoped_builders"):
                raise
            continue
        builders.update(module.BUILDERS)
    return builders


def sqlite_plan(query: Any, params: Any = ()) -> list[str]:
    """The steps of SQLite's plan (`EXPLAIN QUERY PLAN`) for a queryset or an SQL string."""
    if not isinstance(query, str):
        query, params = query.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN QUERY PLAN " + query, params)
        return [str(row[-1]) for row in cursor.fetchall()]
