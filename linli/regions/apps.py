from django.apps import AppConfig


class RegionsConfig(AppConfig):
    name = "linli.regions"
    label = "regions"
    verbose_name = "区划与网格"

    def ready(self) -> None:
        from linli.core import audit
        from linli.regions.models import Building, Region

        audit.register(Region)
        audit.register(Building)
