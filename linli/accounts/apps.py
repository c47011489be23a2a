from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "linli.accounts"
    label = "accounts"
    verbose_name = "账号与角色"

    def ready(self) -> None:
        from linli.accounts.models import ApiToken, RoleAssignment, User
        from linli.core import audit

        audit.register(User, pii_fields=("phone",))
        audit.register(RoleAssignment)
        audit.register(ApiToken)
