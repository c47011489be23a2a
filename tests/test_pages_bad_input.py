"""Generated over every page in the menu: a filter the database cannot hold is the visitor's
400, never a 500.

Found by probing the demo county on PostgreSQL, whose text cannot hold a NUL character: every
list filtering by a text or a region code (`?q=%00`, `?region=%00`) answered 500. SQLite
compares the NUL and finds nothing. A new page is covered as soon as it is in the menu.
"""

from __future__ import annotations

import pytest

from linli.core import nav

pytestmark = pytest.mark.django_db

# Every filter name the lists read, each holding a NUL, and a page past 64 bits.
HOSTILE_QUERY = {
    name: "3\x00"
    for name in ("q", "region", "status", "category", "type", "tag", "source", "kind", "month")
} | {"page": str(10**22), "building": str(10**22), "household": str(10**22)}


def test_no_menu_page_answers_500_to_hostile_filters(client, county_admin):
    client.force_login(county_admin)
    items = nav.items_for(county_admin)
    assert len(items) > 10  # the whole menu, not an empty loop
    for item in items:
        response = client.get(item.url, HOSTILE_QUERY, follow=True)
        # 200 (nothing matches), 404 (no such page) or 400 (a value the database refuses)
        assert response.status_code < 500, (item.url_name, response.status_code)
        if response.status_code == 400:
            assert "无法处理的内容" in response.content.decode(), item.url_name
