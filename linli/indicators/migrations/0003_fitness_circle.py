"""Add the plan's 15-minute fitness circle (FITNESS_CIRCLE_15) to databases loaded before it
was in plans/nanling-2025.json; indicators a county already has are left as they are."""

from django.db import migrations


def load(apps, schema_editor):
    from linli.indicators.plans import builtin_plan, plan_apply

    indicator_model = apps.get_model("indicators", "Indicator")
    if not indicator_model.objects.exists():
        return  # an empty database: 0002 was a no-op by design; nothing to add to
    plan = builtin_plan("nanling-2025")
    position = {item["code"]: n for n, item in enumerate(plan["indicators"], start=1)}
    missing = [
        {**item, "sort_order": position[item["code"]] * 10}
        for item in plan["indicators"]
        if item["code"] == "FITNESS_CIRCLE_15"
        and not indicator_model.objects.filter(code=item["code"]).exists()
    ]
    if missing:
        plan_apply(
            {**plan, "indicators": missing},
            indicator_model=indicator_model,
            target_model=apps.get_model("indicators", "Target"),
        )


class Migration(migrations.Migration):
    dependencies = [("indicators", "0002_load_nanling_plan")]

    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
