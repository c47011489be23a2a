"""Navigation that each app contributes: an app's nav.py calls `nav.register(...)`.

The shell renders the entries the current user's roles allow, so a new app adds its menu
without editing the shell.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.urls import reverse


@dataclass(frozen=True)
class NavItem:
    label: str
    url_name: str
    icon: str = "circle"
    order: int = 100
    roles: frozenset[str] = field(default_factory=frozenset)  # empty: every logged-in staff
    residents: bool = False  # shown to residents
    superuser_only: bool = False

    @property
    def is_admin(self) -> bool:
        return self.order >= ADMIN_ORDER

    @property
    def url(self) -> str:
        return reverse(self.url_name)

    def allowed(self, user: Any) -> bool:
        if not getattr(user, "is_authenticated", False):
            return False
        if user.is_superuser:
            return True
        if self.superuser_only:
            return False
        roles = {r.role for r in getattr(user, "active_roles", [])}
        if roles == {"resident"}:
            return self.residents
        return not self.roles or bool(roles & self.roles)


# Entries ordered from here on are configuration for administrators; the shell folds them
# into one 管理 menu so the bar stays one readable row on a desktop.
ADMIN_ORDER = 900

_items: list[NavItem] = []


def register(*items: NavItem) -> None:
    for item in items:
        if item.url_name not in {i.url_name for i in _items}:
            _items.append(item)


def items_for(user: Any) -> list[NavItem]:
    return sorted((i for i in _items if i.allowed(user)), key=lambda i: (i.order, i.label))
