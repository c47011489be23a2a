"""Reads for accounts, always through the scoping mechanism."""

from __future__ import annotations

from typing import Any

from django.db.models import Prefetch, Q, QuerySet

from linli.accounts.models import ApiToken, RoleAssignment, User
from linli.core.errors import NotFound


def user_list(principal: Any, *, query: str = "", role: str = "") -> QuerySet[User]:
    users = User.objects.visible_to(principal)
    if query:
        users = users.filter(Q(username__icontains=query) | Q(display_name__icontains=query))
    if role:
        users = users.filter(roles__role=role, roles__is_active=True)
    active_roles = RoleAssignment.objects.filter(is_active=True).select_related("region")
    return users.prefetch_related(Prefetch("roles", queryset=active_roles, to_attr="listed_roles"))


def user_get_visible(principal: Any, user_id: int) -> User:
    user = User.objects.visible_to(principal).filter(pk=user_id).first()
    if user is None:
        raise NotFound("user_not_found", "未找到该用户，或您无权查看")
    return user


def user_roles(user: User) -> QuerySet[RoleAssignment]:
    return user.roles.select_related("region").order_by("-is_active", "region_code")


def api_token_list(principal: Any) -> QuerySet[ApiToken]:
    return ApiToken.objects.visible_to(principal).select_related("region", "created_by")
