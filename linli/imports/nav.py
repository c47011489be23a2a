from linli.core.nav import NavItem, register

register(
    NavItem(
        "导入导出",
        "imports:centre",
        icon="arrow-down-up",
        order=90,
        roles=frozenset({"county_admin", "town_staff", "community_worker", "leader"}),
    ),
)
