from django.apps import AppConfig


class PeopleConfig(AppConfig):
    name = "linli.people"
    label = "people"
    verbose_name = "人口与户籍"

    def ready(self) -> None:
        from linli.core import audit
        from linli.people.models import Household, Resident, ResidentMove, ResidentTag

        audit.register(Household, pii_fields=("phone",))
        audit.register(Resident, pii_fields=("id_number", "phone"))
        audit.register(ResidentTag)
        audit.register(ResidentMove)
