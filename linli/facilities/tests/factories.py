"""Factories for facilities and their types.

facility_type("elderly_station")          # the catalogue's default type (created if missing)
FacilityFactory(region=community)         # an operating 养老服务站 by default
FacilityFactory(region=community, type=facility_type("party_service_center"), building_area_m2=600)

Transactional tests empty the tables, so never rely on the rows the data migration seeded:
`facility_type(code)` re-creates a default type from the catalogue when needed.
"""

from __future__ import annotations

import factory
from factory.django import DjangoModelFactory

from linli.facilities.catalogue import DEFAULT_TYPES, default_type_fields
from linli.facilities.models import Facility, FacilityType


def facility_type(code: str) -> FacilityType:
    for position, default in enumerate(DEFAULT_TYPES):
        if default.code == code:
            found, _ = FacilityType.objects.get_or_create(
                code=code, defaults=default_type_fields(default, position)
            )
            return found
    raise KeyError(code)


class FacilityTypeFactory(DjangoModelFactory):
    class Meta:
        model = FacilityType
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"test_type_{n}")
    name = factory.Sequence(lambda n: f"测试设施类型{n}")
    category = "测试"


class FacilityFactory(DjangoModelFactory):
    class Meta:
        model = Facility

    region = factory.SubFactory("linli.regions.tests.factories.RegionFactory")
    type = factory.LazyFunction(lambda: facility_type("elderly_station"))
    name = factory.Sequence(lambda n: f"测试设施{n}")
    status = Facility.Status.OPERATING
