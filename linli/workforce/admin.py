from typing import Any

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.db.models import ForeignKey
from django.http import HttpRequest

from linli.core.admin_support import ScopedAdmin
from linli.core.scoping import scope_of
from linli.regions.models import Region
from linli.workforce.models import Certificate, Position, Training, Worker


class _ScopeGuard(ScopedAdmin):
    """Offer only visible regions, and refuse a save whose region or related rows lie
    outside the scope (ScopedAdmin checks the row opened; this checks the values written)."""

    def formfield_for_foreignkey(self, db_field: ForeignKey, request: HttpRequest, **kwargs: Any):  # type: ignore[no-untyped-def]
        if db_field.related_model is Region:
            kwargs["queryset"] = Region.objects.visible_to(request.user)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        for field in obj._meta.fields:
            value = getattr(obj, field.attname)
            related = field.related_model if isinstance(field, ForeignKey) else None
            if value is None or related is None or not hasattr(related, "scope_field"):
                continue
            if not related.objects.visible_to(request.user).filter(pk=value).exists():  # type: ignore[attr-defined]
                raise PermissionDenied("关联对象超出管理范围")
        if not scope_of(request.user).covers(obj.region.code):
            raise PermissionDenied("超出管理范围")
        super().save_model(request, obj, form, change)


@admin.register(Worker)
class WorkerAdmin(_ScopeGuard):
    list_display = ("name", "region", "phone_masked", "education", "is_active")
    list_filter = ("is_active", "education", "gender")
    search_fields = ("name", "region_code")
    list_select_related = ("region",)
    raw_id_fields = ("resident", "user")
    readonly_fields = ("region_code", "phone_masked")
    # Clear PII never shows in the admin: the phone is changed on the pages (masked here).
    exclude = ("phone", "phone_hash")


class _WorkerChild(_ScopeGuard):
    raw_id_fields = ("worker",)
    readonly_fields = ("region_code",)
    list_select_related = ("worker", "region")

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        if not isinstance(obj, Position):  # certificates and trainings follow their worker
            obj.region = obj.worker.region
        super().save_model(request, obj, form, change)


@admin.register(Position)
class PositionAdmin(_WorkerChild):
    list_display = ("worker", "kind", "region", "started_on", "ended_on")
    list_filter = ("kind",)
    search_fields = ("worker__name", "region_code")


@admin.register(Certificate)
class CertificateAdmin(_WorkerChild):
    list_display = ("worker", "kind", "number", "issued_on", "expires_on")
    list_filter = ("kind",)
    search_fields = ("worker__name", "number")
    exclude = ("region",)


@admin.register(Training)
class TrainingAdmin(_WorkerChild):
    list_display = ("worker", "course", "days", "started_on", "is_rotation")
    list_filter = ("is_rotation",)
    search_fields = ("worker__name", "course")
    exclude = ("region",)
