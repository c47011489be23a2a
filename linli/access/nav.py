from linli.core.nav import NavItem, register

register(
    NavItem(
        "生活圈",
        "access:overview",
        icon="bullseye",
        order=45,
        roles=frozenset({"county_admin", "leader", "town_staff", "community_worker"}),
    ),
    NavItem(
        "路网与计算",
        "access:network",
        icon="signpost-split",
        order=925,
        roles=frozenset({"county_admin"}),
    ),
)
