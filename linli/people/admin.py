"""Admin for the people registry: read-only, scoped, masked (ADR 0024).

Registry rows change through the pages and the API, whose services validate ID numbers,
keep pinyin keys and household heads in step and record moves; the admin only looks. No
form shows a clear 身份证号 or phone: the PII columns are excluded and replaced by masks.
"""

from typing import Any

from django.contrib import admin

from linli.core.admin_support import ReadOnlyScopedAdmin
from linli.core.models import PiiReveal
from linli.people.models import Household, Resident, ResidentMove, ResidentTag


class MaskedPiiMixin:
    """Columns that show PII masked (the model's clear fields are never listed)."""

    @admin.display(description="身份证号")
    def id_number_masked(self, obj: Resident) -> str:
        return obj.id_number_masked

    @admin.display(description="手机号")
    def phone_masked(self, obj: Any) -> str:
        return obj.phone_masked


@admin.register(Household)
class HouseholdAdmin(MaskedPiiMixin, ReadOnlyScopedAdmin):
    list_display = ("number", "address", "region", "building", "head", "phone_masked")
    list_filter = ("residence_type",)
    search_fields = ("number", "address", "region_code")
    list_select_related = ("region", "building", "head")
    fields = (
        "region",
        "region_code",
        "number",
        "address",
        "building",
        "residence_type",
        "head",
        "phone_masked",
        "created_at",
        "updated_at",
    )
    readonly_fields = fields


@admin.register(Resident)
class ResidentAdmin(MaskedPiiMixin, ReadOnlyScopedAdmin):
    list_display = (
        "name",
        "gender",
        "birth_date",
        "id_number_masked",
        "phone_masked",
        "region",
        "household",
        "status",
    )
    list_filter = ("status", "gender", "residence_type")
    search_fields = ("name", "name_pinyin", "name_initials", "region_code")
    list_select_related = ("region", "household")
    fields = (
        "region",
        "region_code",
        "household",
        "relation",
        "name",
        "name_pinyin",
        "gender",
        "birth_date",
        "id_number_masked",
        "phone_masked",
        "residence_type",
        "status",
        "created_at",
        "updated_at",
    )
    readonly_fields = fields


@admin.register(ResidentTag)
class ResidentTagAdmin(ReadOnlyScopedAdmin):
    list_display = ("resident", "tag", "disability_kind", "disability_grade", "since", "region")
    list_filter = ("tag", "disability_kind", "disability_grade")
    search_fields = ("resident__name", "region_code")
    list_select_related = ("resident", "region")
    fields = ("resident", "region", "tag", "disability_kind", "disability_grade", "since")
    readonly_fields = fields


@admin.register(ResidentMove)
class ResidentMoveAdmin(ReadOnlyScopedAdmin):
    list_display = (
        "resident",
        "moved_on",
        "from_household",
        "to_household",
        "from_region_code",
        "reason",
    )
    search_fields = ("resident__name", "reason", "region_code", "from_region_code")
    list_select_related = ("resident", "from_household", "to_household")
    date_hierarchy = "moved_on"
    fields = (
        "resident",
        "moved_on",
        "from_household",
        "from_region_code",
        "to_household",
        "region",
        "reason",
        "created_at",
    )
    readonly_fields = fields


# The reveal log is a core model; core/admin.py registers only the audit log, so it is
# registered here, next to the flow that writes it.
@admin.register(PiiReveal)
class PiiRevealAdmin(ReadOnlyScopedAdmin):
    list_display = (
        "created_at",
        "actor_label",
        "object_repr",
        "field_name",
        "reason",
        "ip_address",
        "region_code",
    )
    list_filter = ("field_name", "model_label", ("created_at", admin.DateFieldListFilter))
    search_fields = ("actor_label", "object_repr", "reason", "region_code")
    date_hierarchy = "created_at"
    readonly_fields = [f.name for f in PiiReveal._meta.fields]
