from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from linli.core.scoping import ACTIVE_PREFIX_SESSION_KEY
from linli.regions.switcher import region_switcher_choices


def region_switcher(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or getattr(user, "is_resident_only", False):
        return {}
    return {
        "region_choices": region_switcher_choices(user),
        "active_region_prefix": request.session.get(ACTIVE_PREFIX_SESSION_KEY, ""),
    }
