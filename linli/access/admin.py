"""Admin of the county-wide configuration (platform superusers; county admins use the pages).

Coverage rows and distance layers are derived data, rebuilt by every computation, so they are
not editable here.
"""

from django.contrib import admin

from linli.access.models import (
    AccessRun,
    AccessSettings,
    CircleRequirement,
    LifeCircle,
    WalkNetwork,
)


class CircleRequirementInline(admin.TabularInline):
    model = CircleRequirement
    extra = 1
    filter_horizontal = ("facility_types",)


@admin.register(LifeCircle)
class LifeCircleAdmin(admin.ModelAdmin):
    list_display = ("name", "code", "measure_code", "minutes", "distance_m", "sort_order")
    inlines = (CircleRequirementInline,)


@admin.register(AccessSettings)
class AccessSettingsAdmin(admin.ModelAdmin):
    list_display = ("county", "walk_speed_kmh", "elderly_speed_kmh", "detour_factor", "cutoff_m")


@admin.register(WalkNetwork)
class WalkNetworkAdmin(admin.ModelAdmin):
    list_display = (
        "name",
        "county",
        "source",
        "node_count",
        "edge_count",
        "is_active",
        "created_at",
    )
    exclude = ("data",)
    readonly_fields = (
        "county",
        "source",
        "node_count",
        "edge_count",
        "total_length_km",
        "imported_by",
    )


@admin.register(AccessRun)
class AccessRunAdmin(admin.ModelAdmin):
    list_display = ("created_at", "county", "kind", "status", "message")
    list_filter = ("kind", "status")

    def has_add_permission(self, request):  # type: ignore[no-untyped-def]
        return False

    def has_change_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False
