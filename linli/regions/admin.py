from django.contrib import admin

from linli.core.admin_support import ScopedAdmin
from linli.regions.models import Region


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
