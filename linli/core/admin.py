from django.contrib import admin

from linli.core.admin_support import ReadOnlyScopedAdmin
from linli.core.models import AuditEntry


@admin.register(AuditEntry)
class AuditEntryAdmin(ReadOnlyScopedAdmin):
    list_display = (
        "created_at",
        "actor_label",
        "action",
        "model_label",
        "object_repr",
        "ip_address",
    )
    list_filter = ("action", "model_label", ("created_at", admin.DateFieldListFilter))
    search_fields = ("actor_label", "object_repr", "object_pk", "region_code", "reason")
    date_hierarchy = "created_at"
    readonly_fields = [f.name for f in AuditEntry._meta.fields]
