from django.apps import AppConfig


class AccessConfig(AppConfig):
    name = "linli.access"
    label = "access"
    verbose_name = "生活圈可达性"

    def ready(self) -> None:
        from linli.access.models import AccessSettings, CircleRequirement, LifeCircle, WalkNetwork
        from linli.core import audit

        audit.register(AccessSettings)
        audit.register(LifeCircle)
        audit.register(CircleRequirement)
        audit.register(WalkNetwork)
