from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from linli.core import nav


def shell(request: HttpRequest) -> dict[str, Any]:
    """Menu entries the current user's roles allow (each app registers its own)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav_items": [], "nav_admin_items": []}
    items = nav.items_for(user)
    return {
        "nav_items": [i for i in items if not i.is_admin],
        "nav_admin_items": [i for i in items if i.is_admin],
    }
