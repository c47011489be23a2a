from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from linli.cases.models import (
    Case,
    CaseAssignment,
    CaseCategory,
    CaseEvent,
    TimeLimit,
    WorkdayOverride,
)
from linli.core.admin_support import ReadOnlyScopedAdmin


class CountyConfigAdmin(admin.ModelAdmin):
    """The county's catalogue and calendar: county administrators (and superusers) only."""

    def _allowed(self, request: HttpRequest) -> bool:
        user = request.user
        return bool(
            user.is_active
            and user.is_staff
            and (user.is_superuser or user.has_role("county_admin"))  # type: ignore[union-attr]
        )

    def has_module_permission(self, request: HttpRequest) -> bool:
        return self._allowed(request)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._allowed(request)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return self._allowed(request)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._allowed(request)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # categories are referenced by cases: deactivate instead


@admin.register(CaseCategory)
class CaseCategoryAdmin(CountyConfigAdmin):
    list_display = (
        "code",
        "name",
        "parent",
        "default_department",
        "is_public",
        "is_active",
        "sort_order",
    )
    list_filter = ("is_active", "is_public")
    search_fields = ("code", "name")
    raw_id_fields = ("parent",)

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        from linli.cases.selectors import category_cache_reset

        super().save_model(request, obj, form, change)
        category_cache_reset()


@admin.register(TimeLimit)
class TimeLimitAdmin(CountyConfigAdmin):
    list_display = (
        "category",
        "urgency",
        "sign_hours",
        "contact_hours",
        "resolve_hours",
        "working_time",
    )
    list_filter = ("urgency", "working_time")

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._allowed(request)


@admin.register(WorkdayOverride)
class WorkdayOverrideAdmin(CountyConfigAdmin):
    list_display = ("day", "is_workday", "note")

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._allowed(request)

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        from linli.cases.worktime import workday_overrides_reset

        super().save_model(request, obj, form, change)
        workday_overrides_reset()


class AssignmentInline(admin.TabularInline):
    model = CaseAssignment
    extra = 0
    can_delete = False
    fields = (
        "role",
        "worker",
        "department",
        "state",
        "sign_deadline",
        "signed_at",
        "return_reason",
    )
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class EventInline(admin.TabularInline):
    model = CaseEvent
    extra = 0
    can_delete = False
    fields = ("created_at", "actor_label", "action", "from_status", "to_status", "note")
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Case)
class CaseAdmin(ReadOnlyScopedAdmin):
    """Read-only: a case changes only through its workflow (the pages and the API)."""

    list_display = (
        "id",
        "description_short",
        "category",
        "status",
        "region",
        "created_at",
        "resolve_deadline",
    )
    list_filter = ("status", "source", "urgency", "resolve_overdue")
    search_fields = ("description", "address")
    list_select_related = ("category", "category__parent", "region")
    exclude = ("reporter_phone", "reporter_phone_hash")
    readonly_fields = ("reporter_phone_masked",)
    inlines = (AssignmentInline, EventInline)

    @admin.display(description="问题描述")
    def description_short(self, obj: Case) -> str:
        return obj.description[:40]
