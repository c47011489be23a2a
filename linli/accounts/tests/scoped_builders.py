from itertools import count

from linli.accounts.models import ApiToken, Role, RoleAssignment, User
from linli.accounts.services import api_token_create
from linli.accounts.tests.factories import user_with_role
from linli.core.testing import ScopedBuilder

_serial = count(1)


def _user(town) -> tuple[User, str]:
    n = next(_serial)
    user = user_with_role(
        Role.TOWN_STAFF, town, username=f"scoped_user_{n}", display_name=f"范围测试员{n}"
    )
    return user, user.display_name


def _role(town) -> tuple[RoleAssignment, str]:
    user, _ = _user(town)
    return user.roles.get(), user.display_name


def _token(town) -> tuple[ApiToken, str]:
    admin = User.objects.create_superuser(f"token_admin_{next(_serial)}", password="x")
    token, _ = api_token_create(
        actor=admin, name=f"令牌{next(_serial)}", region=town, can_write=False
    )
    return token, token.key_prefix


BUILDERS = {
    User: ScopedBuilder(make=_user),
    RoleAssignment: ScopedBuilder(make=_role),
    ApiToken: ScopedBuilder(make=_token),
}
