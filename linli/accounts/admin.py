from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin

from linli.accounts.models import ApiToken, RoleAssignment, User
from linli.core.admin_support import ScopedAdmin


class RoleAssignmentInline(admin.TabularInline):
    model = RoleAssignment
    fields = ("role", "region", "department", "is_active")
    raw_id_fields = ("region",)
    extra = 0


@admin.register(User)
class UserAdmin(ScopedAdmin, DjangoUserAdmin):
    list_display = ("username", "display_name", "phone_masked", "is_active", "is_staff")
    search_fields = ("username", "display_name")
    readonly_fields = ("phone_masked", "last_login", "date_joined")
    fieldsets = (
        (None, {"fields": ("username", "password", "display_name", "phone_masked")}),
        ("权限", {"fields": ("is_active", "is_staff", "is_superuser", "groups")}),
        ("时间", {"fields": ("last_login", "date_joined")}),
    )
    inlines = [RoleAssignmentInline]

    @admin.display(description="手机号")
    def phone_masked(self, obj: User) -> str:
        return obj.phone_masked


@admin.register(RoleAssignment)
class RoleAssignmentAdmin(ScopedAdmin):
    list_display = ("user", "role", "region", "department", "is_active")
    list_filter = ("role", "is_active")
    search_fields = ("user__username", "user__display_name", "region__name", "region_code")
    raw_id_fields = ("user", "region")
    list_select_related = ("user", "region")


@admin.register(ApiToken)
class ApiTokenAdmin(ScopedAdmin):
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
    readonly_fields = ("key_prefix", "key_hash", "created_by", "last_used_at")
    raw_id_fields = ("region",)

    def has_add_permission(self, request):  # type: ignore[no-untyped-def]
        return False  # tokens are created on the token page, where the key is shown once
