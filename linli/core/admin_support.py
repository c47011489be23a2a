"""Scoping for the Django admin: the same visible_to() the API and the pages use."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest

from linli.core.scoping import scope_of


class ScopedAdmin(admin.ModelAdmin):
    """Rows outside the user's region are invisible (a change page for one answers 'not found');
    read-only principals (leaders) can't change anything."""

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        return self.model._default_manager.get_queryset().visible_to(request.user)  # type: ignore[attr-defined]

    # Roles, not Django's per-model permissions, decide who may use the admin: staff accounts
    # (is_staff: county admins and town staff) view their region; writers may change it.
    def _may_view(self, request: HttpRequest) -> bool:
        user = request.user
        return bool(
            user.is_active and user.is_staff and (user.is_superuser or scope_of(user).prefixes)
        )

    def _may_write(self, request: HttpRequest) -> bool:
        return self._may_view(request) and scope_of(request.user).can_write

    def _covers(self, request: HttpRequest, obj: Any) -> bool:
        return obj is None or self.get_queryset(request).filter(pk=obj.pk).exists()

    def _writable(self, request: HttpRequest, obj: Any) -> bool:
        if obj is None:
            return True
        field = obj.scope_field
        if "__" in field:  # scoped through a relation: visibility is the test
            return self._covers(request, obj)
        return scope_of(request.user).may_write(getattr(obj, field, None))

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        # Check the values being saved, not only the row opened: moving a row into another
        # region (or creating one there) is refused like reading it would be.
        region = getattr(obj, "region", None) if hasattr(obj, "region_id") else None
        if region is not None and hasattr(obj, "region_code"):
            obj.region_code = region.code
        if not self._writable(request, obj):
            raise PermissionDenied("不能把数据保存到您辖区以外的区划")
        super().save_model(request, obj, form, change)

    def has_module_permission(self, request: HttpRequest) -> bool:
        return self._may_view(request)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._may_view(request) and self._covers(request, obj)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return self._may_write(request)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return (
            self._may_write(request) and self._covers(request, obj) and self._writable(request, obj)
        )

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self.has_change_permission(request, obj)


class ReadOnlyScopedAdmin(ScopedAdmin):
    """For logs: nobody edits history."""

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._may_view(request) and self._covers(request, obj)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
