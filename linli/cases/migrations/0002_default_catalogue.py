"""Load the default case catalogue and time limits (linli/cases/catalogue.py)."""

from django.db import migrations


def load(apps, schema_editor):
    from linli.cases.catalogue import DEFAULT_CATALOGUE, DEFAULT_CATEGORY_LIMITS, DEFAULT_LIMITS

    Category = apps.get_model("cases", "CaseCategory")
    TimeLimit = apps.get_model("cases", "TimeLimit")
    for order, spec in enumerate(DEFAULT_CATALOGUE):
        top, _ = Category.objects.get_or_create(
            code=spec.code,
            defaults={
                "name": spec.name,
                "description": spec.description,
                "default_department": spec.department,
                "is_public": spec.is_public,
                "sort_order": order * 10,
            },
        )
        for child_order, (code, name) in enumerate(spec.children):
            Category.objects.get_or_create(
                code=code,
                defaults={
                    "name": name,
                    "parent": top,
                    "default_department": spec.department,
                    "is_public": spec.is_public,
                    "sort_order": child_order,
                },
            )
    for urgency, spec in DEFAULT_LIMITS.items():
        TimeLimit.objects.get_or_create(
            category=None,
            urgency=urgency,
            defaults={
                "sign_hours": spec.sign_hours,
                "contact_hours": spec.contact_hours,
                "resolve_hours": spec.resolve_hours,
                "working_time": spec.working_time,
            },
        )
    for (code, urgency), spec in DEFAULT_CATEGORY_LIMITS.items():
        category = Category.objects.filter(code=code).first()
        if category is not None:
            TimeLimit.objects.get_or_create(
                category=category,
                urgency=urgency,
                defaults={
                    "sign_hours": spec.sign_hours,
                    "contact_hours": spec.contact_hours,
                    "resolve_hours": spec.resolve_hours,
                    "working_time": spec.working_time,
                },
            )


class Migration(migrations.Migration):
    dependencies = [("cases", "0001_initial")]

    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
