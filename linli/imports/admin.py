from django.contrib import admin

from linli.core.admin_support import ScopedAdmin
from linli.imports.models import ImportJob


@admin.register(ImportJob)
class ImportJobAdmin(ScopedAdmin):
    """Jobs are records of what was imported or exported: read them, never edit them."""

    list_display = (
        "created_at",
        "operation",
        "kind",
        "filename",
        "actor_label",
        "status",
        "total",
        "message",
    )
    list_filter = ("operation", "kind", "status")
    search_fields = ("filename", "actor_label")
    readonly_fields = [f.name for f in ImportJob._meta.fields]

    def has_add_permission(self, request):  # type: ignore[no-untyped-def]
        return False

    def has_change_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False
