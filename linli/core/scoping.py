"""Region scoping: who may see which rows.

Every scoped row stores the 12/15-digit code of its region. A principal (a user or an API
token) holds a set of code *prefixes*; a row is visible when its code starts with one of
them. This module is the one mechanism behind the API, the pages and the admin.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

from django.db.models import Q

# Length of the significant prefix of a region code at each level of the tree.
LEVEL_PREFIX_LENGTH = {"county": 6, "town": 9, "community": 12, "grid": 15}


def region_prefix(code: str, level: str) -> str:
    """The prefix that every descendant of a region shares with it."""
    return code[: LEVEL_PREFIX_LENGTH[level]]


def prefix_range(field_name: str, prefix: str) -> dict[str, str]:
    """The values that start with `prefix` as a range, `prefix <= value < upper`, which both
    databases answer from an ordinary index (SQLite's LIKE, being case-insensitive, cannot
    use one and scans the table). Exact for codes ordered by code point (SQLite, PostgreSQL's
    C collation); `starts_with` adds the LIKE that keeps it exact under any collation."""
    upper = prefix[:-1] + chr(ord(prefix[-1]) + 1)
    return {f"{field_name}__gte": prefix, f"{field_name}__lt": upper}


def starts_with(field_name: str, prefix: str) -> Q:
    """`field__startswith=prefix` that walks an index on both databases (`prefix_range`)."""
    return Q(**prefix_range(field_name, prefix), **{f"{field_name}__startswith": prefix})


@dataclass(frozen=True)
class Scope:
    """What a principal may see (prefixes) and where it may write.

    `write_prefixes` is None when the principal writes wherever it reads (a token, a single
    role); a user holding a read-only role at the county and a writing role in one town
    reads the county but writes only in the town.
    """

    prefixes: tuple[str, ...] = ()
    can_write: bool = False  # may write somewhere
    is_global: bool = False  # platform superuser: everything
    department_ids: tuple[int, ...] = field(default=())
    write_prefixes: tuple[str, ...] | None = None

    def covers(self, code: str | None) -> bool:
        if self.is_global:
            return True
        return bool(code) and any(code.startswith(p) for p in self.prefixes)  # type: ignore[union-attr]

    def may_write(self, code: str | None) -> bool:
        """Whether a row of region `code` may be written (created, changed, deleted)."""
        if self.is_global:
            return self.can_write
        if not self.can_write or not code:
            return False
        writable = self.prefixes if self.write_prefixes is None else self.write_prefixes
        return any(code.startswith(p) for p in writable)

    def narrowed_to(self, prefix: str) -> Scope:
        """The same scope restricted to one sub-region (the region switcher)."""
        if not self.is_global and not any(prefix.startswith(p) for p in self.prefixes):
            return self
        writes = self.may_write(prefix.ljust(15, "0")) or self.may_write(prefix)
        return Scope(
            prefixes=(prefix,),
            can_write=writes,
            department_ids=self.department_ids,
            write_prefixes=(prefix,) if writes else (),
        )


EMPTY_SCOPE = Scope()


class HasScope(Protocol):
    @property
    def linli_scope(self) -> Scope: ...


def scope_of(principal: Any) -> Scope:
    """The scope of a user, an API token, or a Scope itself; nothing for anyone else."""
    if isinstance(principal, Scope):
        return principal
    if principal is None or not getattr(principal, "is_authenticated", True):
        return EMPTY_SCOPE
    scope = getattr(principal, "linli_scope", None)
    return scope if isinstance(scope, Scope) else EMPTY_SCOPE


ACTIVE_PREFIX_SESSION_KEY = "linli_active_region_prefix"


def request_scope(request: Any) -> Scope:
    """The user's scope, narrowed to the region chosen in the region switcher (pages only)."""
    scope = scope_of(getattr(request, "user", None))
    prefix = request.session.get(ACTIVE_PREFIX_SESSION_KEY) if hasattr(request, "session") else None
    return scope.narrowed_to(prefix) if prefix else scope
