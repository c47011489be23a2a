"""The planner's journey of issue 6 in Chromium, on a phone.

A county planner imports a walking network (GeoJSON from the surveying office) on the
network page, the background run computes every building's walk, the coverage page shows
who is outside the 5- and 15-minute circles, the map colours the homes by walking time, and
the siting tool answers where 3 new elderly care stations would cover the most people.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from linli.access.tests.factories import LAT, lane_geojson, lng, make_street
from linli.accounts.models import Role
from linli.accounts.tests.factories import TEST_PASSWORD, user_with_role
from linli.people.tests.factories import make_building, make_household, make_resident
from tests.browser.test_journeys import open_menu

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def planner_world(two_towns, community_a, community_b):
    street = make_street(two_towns, community_a, community_b)
    # two more villages' homes far along the lane (nodes 7 and 20), outside every station
    for node, people in ((7, 4), (20, 2)):
        home = make_household(
            community_b, building=make_building(community_b, lng=lng(node), lat=LAT)
        )
        for _ in range(people):
            make_resident(home)
    planner = user_with_role(Role.COUNTY_ADMIN, two_towns["county"], username="planner")
    return street, planner


def test_planner_imports_a_network_reads_the_gaps_and_sites_three_stations(
    phone, planner_world, tmp_path
):
    page = phone.page
    # the planner logs in
    page.goto("/accounts/login/")
    phone.check("login")
    page.locator("#id_username").fill("planner")
    page.locator("#id_password").fill(TEST_PASSWORD)
    page.get_by_role("button", name="登录", exact=True).click()
    expect(page).to_have_url(phone.url("/"))
    phone.check("home")

    # the network page, through the menu (管理 folds the administrators' entries)
    # (waiting for the collapse to settle open: a tap mid-animation is lost on a busy machine)
    open_menu(page)
    page.get_by_test_id("nav-admin").click()
    expect(page.get_by_test_id("nav-admin")).to_have_attribute("aria-expanded", "true")
    page.get_by_test_id("nav").get_by_role("link", name="路网与计算").click()
    expect(page).to_have_url(phone.url("/access/network/"))
    # no network yet: distances would be straight-line estimates
    expect(page.get_by_test_id("no-network")).to_contain_text("直线估算")
    phone.check("network-empty")
    lane = tmp_path / "幸福路.geojson"
    lane.write_bytes(lane_geojson())
    page.locator("#network-file").set_input_files(str(lane))
    page.get_by_role("button", name="上传并导入").click()
    expect(page.get_by_role("alert").first).to_contain_text("后台正在导入")
    expect(page.get_by_test_id("network-name")).to_contain_text("幸福路.geojson")
    expect(page.get_by_test_id("runs-table").locator("tr[data-status=done]")).to_have_count(1)
    phone.check("network-imported")

    # coverage: the 5-minute circle is nowhere met (no shops); town B's homes are outside
    page.goto("/access/?subject=convenience-5")
    expect(page.get_by_test_id("share-convenience-5")).to_have_text("0.0%")
    phone.check("coverage-5")
    page.goto("/access/?subject=type:elderly_station")
    table = page.get_by_test_id("coverage-table")
    expect(table.locator("tr[data-region='340223100000']")).to_contain_text("100.0%")
    expect(table.locator("tr[data-region='340223106000']")).to_contain_text("0.0%")
    phone.check("coverage-elderly")
    table.get_by_role("link", name="三里镇").click()
    expect(page.get_by_test_id("coverage-table")).to_contain_text("澄桥村")
    phone.check("coverage-town-b")

    # the map of town A: both homes within 300 m of the station
    page.goto("/access/map/?region=340223100001&type=elderly_station")
    expect(page.get_by_test_id("walk-map")).to_have_attribute("data-loaded", "2")
    expect(page.get_by_test_id("map-summary")).to_contain_text("阈值内 2 栋")
    phone.check("map")

    # siting: 3 new elderly stations in town B, weighted by residents
    page.goto("/access/siting/")
    phone.check("siting-form")
    page.locator("#s-type").select_option("elderly_station")
    page.locator("#s-region").select_option("340223106000")
    page.locator("#s-k").fill("3")
    page.get_by_role("button", name="计算建议").click()
    expect(page.get_by_test_id("siting-method")).to_have_text("精确最优")
    expect(page.get_by_test_id("share-before")).to_have_text("0.0%")
    expect(page.get_by_test_id("share-after")).to_have_text("100.0%")
    rows = page.get_by_test_id("siting-table").locator("tbody tr")
    expect(rows).to_have_count(2)  # two sites reach all seven people; a third adds nobody
    expect(rows.first).to_contain_text(re.compile(r"路网节点"))
    expect(page.get_by_test_id("siting-map")).to_have_attribute("data-sites", "2")
    phone.check("siting-result")
