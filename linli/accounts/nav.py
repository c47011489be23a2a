from linli.core.nav import NavItem, register

register(
    NavItem(
        "用户与角色",
        "accounts:user_list",
        icon="people",
        order=900,
        roles=frozenset({"county_admin"}),
    ),
    NavItem(
        "API 令牌", "accounts:token_list", icon="key", order=910, roles=frozenset({"county_admin"})
    ),
)
