from linli.core.nav import NavItem, register

register(
    NavItem(
        "组织",
        "orgs:list",
        icon="people-fill",
        order=30,
        roles=frozenset(
            {"county_admin", "leader", "town_staff", "community_worker", "department_handler"}
        ),
    ),
)
