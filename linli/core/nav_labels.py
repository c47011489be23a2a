"""Menu labels for translation.

The apps register `NavItem("…")` with plain Chinese labels and `base.html` translates them at
render time (`{% translate item.label %}`). `makemessages` cannot see those literals, so they
are listed here with `gettext_noop` to keep them in the catalogue (also after a
`makemessages --no-obsolete` run). Add a line here when an app registers a new menu entry.
"""

from django.utils.translation import gettext_noop

NAV_LABELS = (
    gettext_noop("区划与网格"),
    gettext_noop("用户与角色"),
    gettext_noop("API 令牌"),
)
