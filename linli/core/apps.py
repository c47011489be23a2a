from django.apps import AppConfig
from django.utils.module_loading import autodiscover_modules


class CoreConfig(AppConfig):
    name = "linli.core"
    label = "core"
    verbose_name = "核心"

    def ready(self) -> None:
        from linli.core import audit

        audit.connect_signals()
        # Each app contributes its menu entries in its own nav.py (found like admin.py).
        autodiscover_modules("nav")
