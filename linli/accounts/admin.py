"""Accounts in the admin: for looking things up. Roles, tokens and privileges change only
through the account pages (services check role levels and scope); nobody but a platform
superuser edits privilege fields here."""

from typing import Any

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.http import HttpRequest

from linli.accounts.models import ApiToken, RoleAssignment, User
from linli.core.admin_support import ReadOnlyScopedAdmin, ScopedAdmin

PRIVILEGE_FIELDS = ("is_staff", "is_superuser", "groups", "user_permissions", "username")


class RoleAssignmentInline(admin.TabularInline):
    model = RoleAssignment
    fields = ("role", "region", "department", "is_active")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(User)
class UserAdmin(ScopedAdmin, DjangoUserAdmin):
    list_display = ("username", "display_name", "phone_masked", "is_active", "is_staff")
    search_fields = ("username", "display_name")
    fieldsets = (
        (None, {"fields": ("username", "display_name", "phone_masked")}),
        ("权限", {"fields": ("is_active", "is_staff", "is_superuser", "groups")}),
        ("时间", {"fields": ("last_login", "date_joined")}),
    )
    inlines = [RoleAssignmentInline]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> tuple[str, ...]:
        base = ("phone_masked", "last_login", "date_joined")
        return base if request.user.is_superuser else (*base, *PRIVILEGE_FIELDS)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return request.user.is_superuser  # accounts are opened on the account pages

    def _may_write(self, request: HttpRequest) -> bool:
        user = request.user
        return super()._may_write(request) and (
            user.is_superuser or user.has_role("county_admin")  # type: ignore[union-attr]
        )

    @admin.display(description="手机号")
    def phone_masked(self, obj: User) -> str:
        return obj.phone_masked


@admin.register(RoleAssignment)
class RoleAssignmentAdmin(ReadOnlyScopedAdmin):
    list_display = ("user", "role", "region", "department", "is_active")
    list_filter = ("role", "is_active")
    search_fields = ("user__username", "user__display_name", "region__name", "region_code")
    list_select_related = ("user", "region")


@admin.register(ApiToken)
class ApiTokenAdmin(ReadOnlyScopedAdmin):
    list_display = (
        "name",
        "key_prefix",
        "region",
        "can_write",
        "created_by",
        "last_used_at",
        "revoked_at",
    )
    list_filter = ("can_write",)
    exclude = ("key_hash",)
