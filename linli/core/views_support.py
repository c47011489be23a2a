"""Helpers shared by the apps' views: role checks and rendering ApplicationError as a page."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse


def roles_required(
    *roles: str,
) -> Callable[[Callable[..., HttpResponse]], Callable[..., HttpResponse]]:
    """Login, then one of `roles` (superusers pass); others get 403."""

    def decorator(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @wraps(view)
        @login_required
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            user = request.user
            if not (user.is_superuser or user.has_role(*roles)):  # type: ignore[union-attr]
                raise PermissionDenied("没有权限访问此页面")
            return view(request, *args, **kwargs)

        return wrapped

    return decorator


admin_required = roles_required("county_admin")
staff_required = roles_required(
    "county_admin", "leader", "town_staff", "community_worker", "grid_worker", "department_handler"
)


class AuthedRequest(HttpRequest):
    """What views and API functions see after authentication (for type checking): `user` is
    the accounts User, `auth` the API principal (a User or an ApiToken)."""

    user: Any
    auth: Any
