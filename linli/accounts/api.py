"""Accounts API: who am I, and (for admins) the users of my region."""

from ninja import Router, Schema
from ninja.pagination import paginate

from linli.accounts import selectors
from linli.accounts.models import ApiToken, User
from linli.core.api import ERROR_RESPONSES, not_region_data, scoped_to
from linli.core.scoping import scope_of
from linli.core.views_support import AuthedRequest

router = Router(tags=["账号 accounts"])


class RoleOut(Schema):
    role: str
    role_label: str
    region_code: str
    region_name: str
    department: str


class MeOut(Schema):
    kind: str  # "user" or "token"
    name: str
    can_write: bool
    region_prefixes: list[str]
    roles: list[RoleOut]


class UserOut(Schema):
    id: int
    username: str
    display_name: str
    phone_masked: str
    is_active: bool
    roles: list[RoleOut]

    @staticmethod
    def resolve_roles(obj: User) -> list[dict[str, str]]:
        return [_role(r) for r in getattr(obj, "listed_roles", obj.active_roles)]


def _role(r) -> dict[str, str]:  # type: ignore[no-untyped-def]
    return {
        "role": r.role,
        "role_label": r.get_role_display(),
        "region_code": r.region_code,
        "region_name": r.region.name,
        "department": r.department,
    }


@router.get("/me", response=MeOut, summary="当前身份")
@not_region_data("the caller's own identity")
def me(request: AuthedRequest):  # type: ignore[no-untyped-def]
    principal = request.auth
    scope = scope_of(principal)
    if isinstance(principal, ApiToken):
        return {
            "kind": "token",
            "name": principal.name,
            "can_write": scope.can_write,
            "region_prefixes": list(scope.prefixes),
            "roles": [],
        }
    return {
        "kind": "user",
        "name": str(principal),
        "can_write": scope.can_write,
        "region_prefixes": list(scope.prefixes),
        "roles": [_role(r) for r in principal.active_roles],
    }


@router.get("/users", response=list[UserOut], summary="本辖区用户")
@paginate
@scoped_to(User)
def user_list(request: AuthedRequest, q: str = "", role: str = ""):  # type: ignore[no-untyped-def]
    return selectors.user_list(request.auth, query=q, role=role)


@router.get("/users/{user_id}", response={200: UserOut, **ERROR_RESPONSES}, summary="用户详情")
@scoped_to(User)
def user_detail(request: AuthedRequest, user_id: int):  # type: ignore[no-untyped-def]
    return selectors.user_get_visible(request.auth, user_id)
