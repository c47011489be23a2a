from django.contrib import admin

from linli.core.admin_support import ReadOnlyScopedAdmin
from linli.indicators.models import Indicator, IndicatorValue, Target


class TargetInline(admin.TabularInline):
    model = Target
    extra = 0


# The plan is county-wide data edited by county admins in the pages (/indicators/definitions/);
# in the admin it is for platform superusers only (plain ModelAdmin: no role grants it).
@admin.register(Indicator)
class IndicatorAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "kind", "numerator", "denominator", "applies_to", "judged_at")
    list_filter = ("kind", "category", "applies_to", "judged_at", "is_active")
    search_fields = ("code", "name")
    inlines = [TargetInline]


@admin.register(IndicatorValue)
class IndicatorValueAdmin(ReadOnlyScopedAdmin):
    list_display = ("period", "region", "indicator", "value", "numerator", "denominator", "status")
    list_filter = ("period", "level", "status")
    search_fields = ("region_code", "indicator__code")
    list_select_related = ("region", "indicator")
