from linli.core.nav import NavItem, register

# Department handlers work on cases; the registry is for the roles that keep or read it.
REGISTRY_READERS = frozenset(
    {"county_admin", "leader", "town_staff", "community_worker", "grid_worker"}
)

register(
    NavItem(
        "我的网格", "people:my_grid", icon="grid-3x3-gap", order=5, roles=frozenset({"grid_worker"})
    ),
    NavItem(
        "居民", "people:resident_list", icon="person-lines-fill", order=20, roles=REGISTRY_READERS
    ),
    NavItem("户", "people:household_list", icon="house-door", order=21, roles=REGISTRY_READERS),
    NavItem("楼栋", "regions:building_list", icon="building", order=22, roles=REGISTRY_READERS),
)
