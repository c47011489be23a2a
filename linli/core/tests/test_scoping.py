import pytest
from django.db import connection

from linli.core.scoping import Scope
from linli.core.testing import sqlite_plan
from linli.regions.models import Region

pytestmark = pytest.mark.django_db


def test_a_prefix_scope_sees_exactly_its_subtree(two_towns):
    # given codes just inside and just outside town A's prefix 340223100
    Region.objects.create(
        code="340223101000", name="边界镇", level="town", parent=two_towns["county"]
    )
    Region.objects.create(
        code="340223099000", name="前镇", level="town", parent=two_towns["county"]
    )
    visible = set(
        Region.objects.visible_to(Scope(prefixes=("340223100",))).values_list("code", flat=True)
    )
    assert visible == {"340223100000", "340223100001", "340223100001001"}


def test_a_prefix_of_nines_has_no_upper_bound_but_still_filters(county):
    Region.objects.create(code="340223999000", name="九镇", level="town", parent=county)
    visible = list(
        Region.objects.visible_to(Scope(prefixes=("340223999",))).values_list("code", flat=True)
    )
    assert visible == ["340223999000"]


def test_pages_are_chinese_whatever_the_browser_asks_until_english_is_chosen(client):
    # given a browser whose Accept-Language is English
    page = client.get("/accounts/login/", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")
    assert "工作人员登录" in page.content.decode()
    # when the user picks English in the footer
    client.post("/i18n/setlang/", {"language": "en", "next": "/accounts/login/"})
    page = client.get("/accounts/login/", HTTP_ACCEPT_LANGUAGE="zh-CN")
    # then the pages are English
    assert "Staff login" in page.content.decode()


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's LIKE is what scans")
def test_a_scope_walks_the_code_index_on_sqlite(two_towns):
    # SQLite cannot answer LIKE 'prefix%' from an ordinary index: the scope is a range too.
    steps = sqlite_plan(Region.objects.visible_to(Scope(prefixes=("340223100", "340223200"))))
    assert not any(step.startswith("SCAN regions_region") for step in steps), steps
    assert any("INDEX" in step and "code" in step for step in steps), steps
