from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from linli.core import nav


def shell(request: HttpRequest) -> dict[str, Any]:
    """Menu entries the current user's roles allow (each app registers its own)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav_items": []}
    return {"nav_items": nav.items_for(user)}
