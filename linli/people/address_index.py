"""A trigram index on the households' addresses, so that "address contains" is an index
lookup instead of a scan of every household (ADR 0025).

- SQLite: an FTS5 table with the trigram tokenizer over `people_household.address`. It has
  external content (it stores the index only, the text stays in the table) and three triggers
  keep it current, so every writer — pages, API, the importer's bulk writes, the demo — keeps
  it up to date as it keeps an ordinary index.
- PostgreSQL: a GIN index with pg_trgm's `gin_trgm_ops`, which `address LIKE '%q%'` uses.

A trigram index answers fragments of three characters or more; shorter ones scan as before.
Django remakes an SQLite table for some column changes (copy, drop, rename), which drops its
triggers: a migration that alters `Household` must call `install` again (the people tests
check that the triggers are there).
"""

from __future__ import annotations

from typing import Any

from django.db.models.expressions import RawSQL

TABLE = "people_household"
FTS_TABLE = "people_household_address"
PG_INDEX = "household_address_trgm"
MIN_LENGTH = 3  # characters: a trigram index finds nothing shorter
TRIGGERS = (f"{FTS_TABLE}_insert", f"{FTS_TABLE}_delete", f"{FTS_TABLE}_update")

# Written out in full (the names above, no formatting): SQL text that never varies.
_SQLITE_INSTALL = (
    "CREATE VIRTUAL TABLE IF NOT EXISTS people_household_address USING fts5(address,"
    " content='people_household', content_rowid='id', tokenize='trigram case_sensitive 1')",
    # Index what the table already holds (a fresh database has nothing to index).
    "INSERT INTO people_household_address(people_household_address) VALUES ('rebuild')",
    "DROP TRIGGER IF EXISTS people_household_address_insert",
    "CREATE TRIGGER people_household_address_insert AFTER INSERT ON people_household BEGIN"
    " INSERT INTO people_household_address(rowid, address) VALUES (new.id, new.address); END",
    "DROP TRIGGER IF EXISTS people_household_address_delete",
    "CREATE TRIGGER people_household_address_delete AFTER DELETE ON people_household BEGIN"
    " INSERT INTO people_household_address(people_household_address, rowid, address)"
    " VALUES ('delete', old.id, old.address); END",
    "DROP TRIGGER IF EXISTS people_household_address_update",
    "CREATE TRIGGER people_household_address_update AFTER UPDATE OF address ON people_household"
    " BEGIN INSERT INTO people_household_address(people_household_address, rowid, address)"
    " VALUES ('delete', old.id, old.address);"
    " INSERT INTO people_household_address(rowid, address) VALUES (new.id, new.address); END",
)
_SQLITE_REMOVE = (
    "DROP TRIGGER IF EXISTS people_household_address_insert",
    "DROP TRIGGER IF EXISTS people_household_address_delete",
    "DROP TRIGGER IF EXISTS people_household_address_update",
    "DROP TABLE IF EXISTS people_household_address",
)
_PG_INSTALL = (
    # A trusted extension (PostgreSQL 13+): the database owner may create it.
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    "CREATE INDEX IF NOT EXISTS household_address_trgm ON people_household"
    " USING gin (address gin_trgm_ops)",
)
_PG_REMOVE = ("DROP INDEX IF EXISTS household_address_trgm",)


def _run(schema_editor: Any, statements: tuple[str, ...]) -> None:
    for sql in statements:
        schema_editor.execute(sql)


def install(apps: Any, schema_editor: Any) -> None:
    """Create the index (and on SQLite fill it and its triggers); safe to run again."""
    vendor = schema_editor.connection.vendor
    if vendor == "sqlite":
        _run(schema_editor, _SQLITE_INSTALL)
    elif vendor == "postgresql":
        _run(schema_editor, _PG_INSTALL)


def remove(apps: Any, schema_editor: Any) -> None:
    vendor = schema_editor.connection.vendor
    if vendor == "sqlite":
        _run(schema_editor, _SQLITE_REMOVE)
    elif vendor == "postgresql":
        _run(schema_editor, _PG_REMOVE)


def installed(connection: Any) -> bool:
    """Whether the index (SQLite: and its three triggers) is in the database."""
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute(
                "SELECT COUNT(*) FROM sqlite_master WHERE (type = 'table' AND name = %s) "
                "OR (type = 'trigger' AND tbl_name = %s AND name IN (%s, %s, %s))",
                [FTS_TABLE, TABLE, *TRIGGERS],
            )
            return bool(cursor.fetchone()[0] == 1 + len(TRIGGERS))
        if connection.vendor == "postgresql":
            cursor.execute("SELECT COUNT(*) FROM pg_indexes WHERE indexname = %s", [PG_INDEX])
            return bool(cursor.fetchone()[0] == 1)
    return False


def sqlite_candidates(q: str) -> RawSQL:
    """Ids of the households whose address may contain `q` (3+ characters) or whose number may
    start with it — a superset for the caller's exact test, from indexes only: the trigram
    index (a phrase query, which the trigram tokenizer answers as a substring) and ranges of
    the number index. SQLite's LIKE ignores the case of ASCII letters, so the ranges cover the
    number prefix up to its first letter (both cases of the letter if it comes first)."""
    phrase = '"' + q.replace('"', '""') + '"'
    ranges = _case_blind_ranges(q)
    first, second = ranges[0], ranges[-1]  # one range twice when one will do
    return RawSQL(  # constant SQL text, every value bound
        "SELECT rowid FROM people_household_address WHERE people_household_address MATCH %s"
        " UNION SELECT id FROM people_household"
        " WHERE (number >= %s AND number < %s) OR (number >= %s AND number < %s)",
        [phrase, *first, *second],
    )


def _case_blind_ranges(prefix: str) -> list[tuple[str, str]]:
    """[low, high) ranges holding every string that starts with `prefix`, ASCII case aside."""
    head = prefix
    for position, char in enumerate(prefix):
        if char.isascii() and char.isalpha():
            head = prefix[:position]
            break
    starts = [head] if head else sorted({prefix[0].upper(), prefix[0].lower()})
    return [(start, start[:-1] + chr(ord(start[-1]) + 1)) for start in starts]
