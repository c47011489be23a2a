from linli.core.nav import NavItem, register

register(
    NavItem(
        "设施",
        "facilities:list",
        icon="building",
        order=40,
        roles=frozenset(
            {"county_admin", "leader", "town_staff", "community_worker", "grid_worker"}
        ),
    ),
    NavItem(
        "设施类型",
        "facilities:type_list",
        icon="tags",
        order=920,
        roles=frozenset({"county_admin"}),
    ),
)
