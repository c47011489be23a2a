from linli.core.nav import NavItem, register

register(
    NavItem(
        "驾驶舱",
        "indicators:dashboard",
        icon="speedometer2",
        order=5,
        roles=frozenset({"county_admin", "leader", "town_staff"}),
    ),
)
