from django.contrib import admin

from linli.core.admin_support import ReadOnlyScopedAdmin, ScopedAdmin
from linli.regions.models import Building, Region


@admin.register(Region)
class RegionAdmin(ScopedAdmin):
    list_display = (
        "code",
        "name",
        "level",
        "urban_rural_code",
        "parent",
        "population",
        "households",
    )
    list_filter = ("level", "urban_rural_code", "is_illustrative")
    search_fields = ("code", "name")
    list_select_related = ("parent",)
    # The tree's shape (code, level, parent) changes only through the import and the API,
    # whose services check it; here only descriptive fields are edited.
    readonly_fields = ("code", "level", "parent", "is_illustrative")

    def has_add_permission(self, request):  # type: ignore[no-untyped-def]
        return False


@admin.register(Building)
class BuildingAdmin(ReadOnlyScopedAdmin):
    """Read-only: buildings change through the pages and the API, whose services check the
    region level and the address (ADR 0024)."""

    list_display = ("address", "name", "kind", "floors", "units", "region")
    list_filter = ("kind",)
    search_fields = ("address", "name", "region_code")
    list_select_related = ("region",)
    readonly_fields = (
        "region",
        "region_code",
        "name",
        "address",
        "kind",
        "floors",
        "units",
        "lng",
        "lat",
        "created_at",
        "updated_at",
    )
    fields = readonly_fields
