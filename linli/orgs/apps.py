from django.apps import AppConfig


class OrgsConfig(AppConfig):
    name = "linli.orgs"
    label = "orgs"
    verbose_name = "组织"

    def ready(self) -> None:
        from linli.core import audit
        from linli.orgs.models import Membership, Organisation

        audit.register(Organisation, pii_fields=("contact_phone",))
        audit.register(Membership)
