"""Seed the default facility-type catalogue (linli/facilities/catalogue.py).

Only missing codes are created, so running it on a database whose county has already
edited the catalogue changes nothing; reversing removes only unused default types."""

from django.db import migrations


def seed(apps, schema_editor):
    from linli.facilities.catalogue import ensure_default_types

    ensure_default_types(apps.get_model("facilities", "FacilityType"))


def unseed(apps, schema_editor):
    from linli.facilities.catalogue import DEFAULT_CODES

    FacilityType = apps.get_model("facilities", "FacilityType")
    FacilityType.objects.filter(code__in=DEFAULT_CODES, facilities__isnull=True).delete()


class Migration(migrations.Migration):
    dependencies = [("facilities", "0001_initial")]

    operations = [migrations.RunPython(seed, unseed)]
