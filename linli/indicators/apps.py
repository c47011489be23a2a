from django.apps import AppConfig


class IndicatorsConfig(AppConfig):
    name = "linli.indicators"
    label = "indicators"
    verbose_name = "评估体系"
