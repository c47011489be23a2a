"""Menu labels for translation.

The apps register `NavItem("…")` with plain Chinese labels and `base.html` translates them at
render time (`{% translate item.label %}`). `makemessages` cannot see those literals, so they
are listed here with `gettext_noop` to keep them in the catalogue (also after a
`makemessages --no-obsolete` run). Add a line here when an app registers a new menu entry.
"""

from django.utils.translation import gettext_noop

NAV_LABELS = (
    gettext_noop("管理"),
    gettext_noop("区划与网格"),
    gettext_noop("用户与角色"),
    gettext_noop("API 令牌"),
    gettext_noop("随手拍"),
    gettext_noop("我的诉求"),
    gettext_noop("我的待办"),
    gettext_noop("受理派单"),
    gettext_noop("部门办件"),
    gettext_noop("督办看板"),
    gettext_noop("诉求统计"),
    gettext_noop("消息"),
    gettext_noop("设施"),
    gettext_noop("设施类型"),
    gettext_noop("驾驶舱"),
    gettext_noop("生活圈"),
    gettext_noop("路网与计算"),
    gettext_noop("组织"),
    gettext_noop("我的网格"),
    gettext_noop("户"),
    gettext_noop("楼栋"),
    gettext_noop("工作者"),
    gettext_noop("导入导出"),
)
