from django.apps import AppConfig


class IndicatorsConfig(AppConfig):
    name = "linli.indicators"
    label = "indicators"
    verbose_name = "评估体系"

    def ready(self) -> None:
        from linli.core import audit
        from linli.indicators import measures
        from linli.indicators.models import Indicator, Target

        audit.register(Indicator)
        audit.register(Target)
        # Like the admin's autodiscovery: each app's indicators.py declares its MEASURES.
        measures.autodiscover()
