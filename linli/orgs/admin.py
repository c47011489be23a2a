from typing import Any

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.db.models import ForeignKey
from django.http import HttpRequest

from linli.core.admin_support import ScopedAdmin
from linli.core.scoping import scope_of
from linli.orgs.models import Membership, Organisation
from linli.regions.models import Region


class _RegionGuard:
    """Offer only visible regions and organisations, and refuse a save outside the scope:
    ScopedAdmin checks the row opened, this checks the values written (ADR 0010's gap)."""

    def formfield_for_foreignkey(self, db_field: ForeignKey, request: HttpRequest, **kwargs: Any):  # type: ignore[no-untyped-def]
        if db_field.related_model in (Region, Organisation):
            kwargs["queryset"] = db_field.related_model.objects.visible_to(request.user)  # type: ignore[union-attr,attr-defined]
        return super().formfield_for_foreignkey(db_field, request, **kwargs)  # type: ignore[misc]

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        if not scope_of(request.user).covers(obj.region.code):
            raise PermissionDenied("超出管理范围")
        for field in obj._meta.fields:
            value = getattr(obj, field.attname)
            related = field.related_model if isinstance(field, ForeignKey) else None
            if value is None or related is None or not hasattr(related, "scope_field"):
                continue
            if not related.objects.visible_to(request.user).filter(pk=value).exists():  # type: ignore[attr-defined]
                raise PermissionDenied("关联对象超出管理范围")
        super().save_model(request, obj, form, change)  # type: ignore[misc]


@admin.register(Organisation)
class OrganisationAdmin(_RegionGuard, ScopedAdmin):
    list_display = ("name", "kind", "region", "is_regular_service", "is_brand", "is_active")
    list_filter = ("kind", "is_regular_service", "is_brand", "is_active")
    search_fields = ("name", "credit_code", "region_code")
    list_select_related = ("region",)
    raw_id_fields = ("parent",)
    readonly_fields = ("region_code", "contact_phone_masked")
    # Clear PII never shows in the admin: the phone is changed on the pages (masked here).
    exclude = ("contact_phone",)


@admin.register(Membership)
class MembershipAdmin(_RegionGuard, ScopedAdmin):
    list_display = ("name", "organisation", "role", "joined_on", "region")
    list_filter = ("role",)
    search_fields = ("name", "organisation__name")
    list_select_related = ("organisation", "region")
    raw_id_fields = ("organisation", "resident", "user")
    readonly_fields = ("region_code",)
    exclude = ("region",)  # always the organisation's region

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        obj.region = obj.organisation.region
        super().save_model(request, obj, form, change)
