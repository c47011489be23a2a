from django.apps import AppConfig


class WorkforceConfig(AppConfig):
    name = "linli.workforce"
    label = "workforce"
    verbose_name = "服务队伍"

    def ready(self) -> None:
        from linli.core import audit
        from linli.workforce.models import Certificate, Position, Training, Worker

        audit.register(Worker, pii_fields=("phone",))
        audit.register(Position)
        audit.register(Certificate)
        audit.register(Training)
