"""Preload the county plan's indicators and targets (plans/nanling-2025.json)."""

from django.db import migrations


def load(apps, schema_editor):
    from linli.indicators.plans import builtin_plan, plan_apply

    indicator_model = apps.get_model("indicators", "Indicator")
    if indicator_model.objects.exists():
        return
    plan_apply(
        builtin_plan("nanling-2025"),
        indicator_model=indicator_model,
        target_model=apps.get_model("indicators", "Target"),
    )


class Migration(migrations.Migration):
    dependencies = [("indicators", "0001_initial")]

    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
