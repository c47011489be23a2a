from typing import Any

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.db.models import ForeignKey
from django.http import HttpRequest

from linli.core.admin_support import ScopedAdmin
from linli.core.scoping import scope_of
from linli.facilities.models import Facility, FacilityType


@admin.register(FacilityType)
class FacilityTypeAdmin(admin.ModelAdmin):
    """A county catalogue without a region: platform superusers here, county admins on the
    pages (/facilities/types/)."""

    list_display = ("name", "code", "category", "life_circle", "walk_threshold_m", "is_active")
    list_filter = ("category", "life_circle", "is_active")
    search_fields = ("name", "code")


@admin.register(Facility)
class FacilityAdmin(ScopedAdmin):
    list_display = ("name", "type", "region", "building_area_m2", "status")
    list_filter = ("status", "type__category", "type")
    search_fields = ("name", "address", "region_code")
    list_select_related = ("region", "type")
    raw_id_fields = ("building", "operator")
    readonly_fields = ("region_code",)

    def formfield_for_foreignkey(self, db_field: ForeignKey, request: HttpRequest, **kwargs: Any):  # type: ignore[no-untyped-def]
        if db_field.name == "region":
            kwargs["queryset"] = db_field.related_model.objects.visible_to(request.user)  # type: ignore[union-attr,attr-defined]
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        # ScopedAdmin checks the row opened; this checks the values written (ADR 0010's gap).
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
