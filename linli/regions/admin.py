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
    raw_id_fields = ("parent",)
    list_select_related = ("parent",)
