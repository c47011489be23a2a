from django.db import migrations


def load(apps, schema_editor):
    from linli.access.circles import load_default_circles

    load_default_circles(
        apps.get_model("access", "LifeCircle"),
        apps.get_model("access", "CircleRequirement"),
        apps.get_model("facilities", "FacilityType"),
    )


class Migration(migrations.Migration):
    dependencies = [
        ("access", "0001_initial"),
        ("facilities", "0002_default_facility_types"),
    ]

    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
