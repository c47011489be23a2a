from django.apps import AppConfig


class FacilitiesConfig(AppConfig):
    name = "linli.facilities"
    label = "facilities"
    verbose_name = "服务设施"

    def ready(self) -> None:
        from linli.core import audit
        from linli.facilities.models import Facility, FacilityType

        audit.register(FacilityType)
        audit.register(Facility)
