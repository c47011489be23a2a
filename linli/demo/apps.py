from django.apps import AppConfig


class DemoConfig(AppConfig):
    """Builds the demo county from every app's builders; nothing else depends on it."""

    name = "linli.demo"
    label = "demo"
    verbose_name = "演示数据"
