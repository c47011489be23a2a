from linli.core.nav import NavItem, register

register(
    NavItem(
        "工作者",
        "workforce:list",
        icon="person-badge",
        order=50,
        roles=frozenset({"county_admin", "leader", "town_staff", "community_worker"}),
    ),
)
