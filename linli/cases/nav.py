from linli.core.nav import NavItem, register

# "我的诉求" is for residents only: a role no staff holds keeps it out of staff menus.

register(
    NavItem(
        "随手拍",
        "cases:report",
        icon="camera",
        order=20,
        roles=frozenset({"grid_worker"}),
        residents=True,
    ),
    NavItem(
        "我的诉求",
        "cases:mine",
        icon="chat-left-text",
        order=21,
        roles=frozenset({"_none"}),
        residents=True,
    ),
    NavItem(
        "我的待办", "cases:queue", icon="list-check", order=22, roles=frozenset({"grid_worker"})
    ),
    NavItem(
        "受理派单",
        "cases:desk",
        icon="inboxes",
        order=23,
        roles=frozenset({"county_admin", "town_staff", "community_worker"}),
    ),
    NavItem(
        "部门办件",
        "cases:department",
        icon="building-check",
        order=24,
        roles=frozenset({"department_handler"}),
    ),
    NavItem(
        "督办看板",
        "cases:board",
        icon="exclamation-triangle",
        order=25,
        roles=frozenset({"county_admin", "town_staff", "leader"}),
    ),
    NavItem(
        "诉求统计",
        "cases:stats",
        icon="bar-chart",
        order=26,
        roles=frozenset({"county_admin", "town_staff", "community_worker", "leader"}),
    ),
    NavItem("消息", "cases:inbox", icon="bell", order=90, residents=True),
)
