"""The leader's journey through the 驾驶舱 on a phone in Chromium, as the issue's "Done when"
reads it: a county leader logs in, opens the dashboard, sees which targets are met and which
are not, drills down county → town → indicator → the community that falls short, opens its
scorecard, and downloads the annual report as PDF and as XLSX.

The county is small and built by hand so that the figures can be checked here: 籍山镇 has
陵阳社区 (urban, with every station) and 城东社区 (urban, no elderly care station); 三里镇 has
澄桥村 (rural). So 城乡社区养老服务站覆盖率 is 2 / 3 = 66.7 % at the county and 1 / 2 = 50 %
in 籍山镇 (target 100 %: not met), and 城东社区 is the community that falls short; the service
centre / one-stop hall coverage is 3 / 3 (met).

Every page visited is checked by `phone.check(step)`: no sideways scroll at 375 px, no request
off the machine, no console/CSP/script error, a screenshot in test-artifacts/screenshots/.
"""

from __future__ import annotations

import io
import re
import zlib
from decimal import Decimal
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from playwright.sync_api import Page, expect

from linli.accounts.models import Role
from linli.accounts.tests.factories import TEST_PASSWORD, user_with_role
from linli.facilities.tests.factories import FacilityFactory, facility_type
from linli.indicators import plans
from linli.indicators.demo import build_indicator_history
from linli.indicators.models import Indicator, Target
from linli.regions.models import Region

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

COUNTY, JISHAN = "340223000000", "340223100000"
LINGYANG, CHENGDONG, CHENGQIAO = "340223100001", "340223100002", "340223106201"
ELDER = "城乡社区养老服务站覆盖率"
CENTRE = "城市社区综合服务中心、农村社区一站式服务大厅覆盖率"


@pytest.fixture
def leader_county(two_towns, community_a, community_b) -> Any:
    """Three communities with the facilities described in the module docstring, the
    preloaded plan (a transactional test's flush empties it), three months of snapshots
    (the sparklines) and a county leader."""
    Region.objects.filter(code=LINGYANG).update(population=3000, households=1000)
    Region.objects.filter(code=CHENGQIAO).update(population=1200, households=400)
    chengdong = Region.objects.create(
        code=CHENGDONG,
        name="城东社区",
        level="community",
        parent=two_towns["a"],
        urban_rural_code="112",
        population=5000,
        households=2000,
    )
    # Centres for the map of 籍山镇's communities (the towns have none: the map says so).
    for code, lng, lat in ((LINGYANG, 118.3336, 30.9197), (CHENGDONG, 118.3450, 30.9230)):
        Region.objects.filter(code=code).update(center_lng=lng, center_lat=lat)
    plans.plan_apply(plans.builtin_plan(), indicator_model=Indicator, target_model=Target)
    stations = ("elderly_station", "volunteer_station", "clinic")
    for region, hall, area, kinds in (
        (community_a, "party_service_center", 400, stations),
        (chengdong, "party_service_center", 300, ("volunteer_station",)),
        (community_b, "one_stop_hall", 350, ("elderly_station", "clinic", "shelter")),
    ):
        FacilityFactory(region=region, type=facility_type(hall), building_area_m2=Decimal(area))
        for kind in kinds:
            FacilityFactory(region=region, type=facility_type(kind))
    build_indicator_history(months=3)
    return user_with_role(Role.LEADER, two_towns["county"], username="county_leader")


def open_menu(page: Page) -> None:
    """On a phone the menu hides behind the navbar toggler."""
    toggler = page.locator(".navbar-toggler")
    if toggler.get_attribute("aria-expanded") != "true":
        toggler.click()
    expect(page.locator("#main-nav")).to_have_class(re.compile(r"\bshow\b"))


def indicator_row(page: Page, name: str):  # type: ignore[no-untyped-def]
    return page.get_by_test_id("indicator-table").locator(
        "tr", has=page.get_by_role("link", name=name, exact=True)
    )


def pdf_text(data: bytes) -> str:
    """The text of an fpdf2 PDF, without a PDF library: the pages' `(…) Tj` strings hold
    2-byte glyph ids, which the embedded font's ToUnicode table maps back to characters."""
    glyphs: dict[int, str] = {}
    for table in re.findall(rb"beginbfchar(.*?)endbfchar", data, re.S):
        for glyph, code in re.findall(rb"<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>", table):
            glyphs[int(glyph, 16)] = bytes.fromhex(code.decode()).decode("utf-16-be")
    escapes = {b"n": b"\n", b"r": b"\r", b"t": b"\t", b"b": b"\b", b"f": b"\f"}
    lines = []
    for stream in re.finditer(rb"<<([^>]*?)>>\s*stream\r?\n", data, re.S):
        header = stream.group(1)
        if b"FlateDecode" not in header or b"Subtype" in header:  # page contents only
            continue
        # Cut the body by its /Length: compressed bytes may end in "\r", which a pattern
        # ending in "\r?\nendstream" would take off (a flake, one run in a few hundred).
        length = re.search(rb"/Length\s+(\d+)", header)
        assert length is not None, header
        body = data[stream.end() : stream.end() + int(length.group(1))]
        for literal in re.findall(rb"\(((?:\\.|[^\\)])*)\)\s*Tj", zlib.decompress(body), re.S):
            raw = re.sub(
                rb"\\(.)", lambda m: escapes.get(m.group(1), m.group(1)), literal, flags=re.S
            )
            lines.append(
                "".join(
                    glyphs.get(int.from_bytes(raw[i : i + 2], "big"), "?")
                    for i in range(0, len(raw) - 1, 2)
                )
            )
    return "\n".join(lines)


def download(page: Page, test_id: str, suffix: str) -> bytes:
    # The PDF parses and subsets a CJK font: seconds on a loaded CI machine.
    with page.expect_download(timeout=90_000) as info:
        page.get_by_test_id(test_id).click(timeout=90_000)
    assert info.value.suggested_filename.endswith(suffix)
    path = info.value.path()
    assert path is not None
    return Path(path).read_bytes()


def test_a_leader_finds_the_community_behind_an_unmet_target_and_downloads_the_report(
    phone, leader_county
):
    page = phone.page

    # given a county leader who logs in on a phone
    page.goto("/accounts/login/")
    phone.check("login")
    page.locator("#id_username").fill(leader_county.username)
    page.locator("#id_password").fill(TEST_PASSWORD)
    page.get_by_role("button", name="登录", exact=True).click()
    expect(page).to_have_url(phone.url("/"))
    phone.check("home")

    # when they open the 驾驶舱 from the menu
    open_menu(page)
    page.locator("#main-nav").get_by_role("link", name="驾驶舱").click()

    # then the county's indicators show, met and not met, with the counts on top
    expect(page).to_have_url(phone.url(f"/indicators/r/{COUNTY}/"))
    expect(page.get_by_role("heading", name=re.compile("南陵县"))).to_be_visible()
    summary = page.get_by_test_id("status-summary")
    met, unmet = (int(summary.locator(".fs-4").nth(i).inner_text()) for i in (0, 1))
    assert met >= 1 and unmet >= 1
    expect(indicator_row(page, CENTRE)).to_have_attribute("data-status", "met")
    elder = indicator_row(page, ELDER)
    expect(elder).to_have_attribute("data-status", "unmet")
    expect(elder).to_contain_text("66.7 %")
    expect(elder).to_contain_text("达标 2 / 3 个社区/村")
    expect(elder.locator(".badge").first).to_have_text("未达标")
    phone.check("county")

    # when they open the unmet indicator: the towns, and which of them fall short
    elder.get_by_role("link", name=ELDER).click()
    expect(page).to_have_url(phone.url(f"/indicators/r/{COUNTY}/ELDER_STATION/"))
    towns = page.get_by_test_id("drilldown-table")
    expect(towns.locator(f"tr[data-region='{JISHAN}']")).to_have_attribute("data-status", "unmet")
    expect(towns.locator(f"tr[data-region='{JISHAN}']")).to_contain_text("50 %")
    expect(towns.locator("tr[data-region='340223106000']")).to_have_attribute("data-status", "met")
    # the communities that fall short, whichever town they are in
    short = page.get_by_test_id("short-table")
    expect(short.locator("tbody tr")).to_have_count(1)
    expect(short).to_contain_text("籍山镇 · 城东社区")
    # the towns have no boundary or centre here: the map says so instead of staying blank
    expect(page.locator(".map-empty-note")).to_be_visible()
    phone.check("county-indicator")

    # and follow the town: its communities on the map, in the table, and the one short of it
    towns.get_by_role("link", name="籍山镇").click()
    expect(page).to_have_url(phone.url(f"/indicators/r/{JISHAN}/ELDER_STATION/"))
    expect(page.get_by_test_id("indicator-status")).to_have_text("未达标")
    expect(page.get_by_test_id("indicator-map").locator("path.leaflet-interactive")).to_have_count(
        2
    )
    communities = page.get_by_test_id("drilldown-table")
    expect(communities.locator(f"tr[data-region='{CHENGDONG}']")).to_have_attribute(
        "data-status", "unmet"
    )
    expect(communities.locator(f"tr[data-region='{LINGYANG}']")).to_have_attribute(
        "data-status", "met"
    )
    phone.check("town-indicator")

    # when they follow the community that falls short, then open its whole scorecard
    communities.get_by_role("link", name="城东社区").click()
    expect(page).to_have_url(phone.url(f"/indicators/r/{CHENGDONG}/ELDER_STATION/"))
    expect(page.get_by_test_id("indicator-value")).to_have_text("无")
    phone.check("community-indicator")
    page.get_by_test_id("breadcrumb").get_by_role("link", name="城东社区").click()
    expect(page).to_have_url(phone.url(f"/indicators/r/{CHENGDONG}/"))
    expect(page.get_by_role("heading", name=re.compile("城东社区"))).to_be_visible()
    row = indicator_row(page, ELDER)
    expect(row).to_have_attribute("data-status", "unmet")
    expect(row).to_contain_text("无")
    # 300 m² for 2,000 households: 15 m² per 100 households, short of 30
    expect(indicator_row(page, "城市社区每百户居民拥有综合服务设施面积")).to_have_attribute(
        "data-status", "unmet"
    )
    phone.check("scorecard")

    # when they go back to the county and download the annual report as PDF
    page.get_by_test_id("breadcrumb").get_by_role("link", name="南陵县").click()
    expect(page).to_have_url(phone.url(f"/indicators/r/{COUNTY}/"))
    phone.check("county-again")
    pdf = download(page, "report-pdf", ".pdf")

    # then it is a real PDF with the indicators, the figures and the community that falls short
    assert pdf.startswith(b"%PDF-")
    assert pdf.rstrip().endswith(b"%%EOF")
    pages = len(re.findall(rb"/Type\s*/Page\b", pdf))
    assert 3 <= pages <= 20
    assert b"/FontFile3" in pdf or b"/FontFile2" in pdf  # the Chinese font is embedded
    text = pdf_text(pdf)
    assert "南陵县" in text and "评估报告" in text
    assert ELDER in text
    assert "66.7 %" in text
    assert "城东社区" in text  # 三、未达标的社区（镇）

    # and the XLSX holds the same figures, one row per indicator
    workbook = openpyxl.load_workbook(io.BytesIO(download(page, "report-xlsx", ".xlsx")))
    summary_sheet = workbook["评估总表"]
    rows = {r[1]: r for r in summary_sheet.iter_rows(values_only=True) if r and r[1]}
    assert rows["ELDER_STATION"][2] == ELDER
    assert rows["ELDER_STATION"][4] == "66.7 %"
    assert rows["ELDER_STATION"][6] == "未达标"
    assert rows["FAC_CENTER"][6] == "达标"
    short_units = [r for r in workbook["未达标单位"].iter_rows(values_only=True)]
    assert any(r[0] == "ELDER_STATION" and "城东社区" in (r[2] or "") for r in short_units)
