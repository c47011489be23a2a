from linli.core.nav import NavItem, register

register(
    NavItem(
        "区划与网格",
        "regions:tree",
        icon="diagram-3",
        order=10,
        roles=frozenset(
            {
                "county_admin",
                "leader",
                "town_staff",
                "community_worker",
                "grid_worker",
                "department_handler",
            }
        ),
    ),
)
