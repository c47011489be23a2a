from __future__ import annotations

import io
import json
import re

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from linli.accounts.models import Role
from linli.accounts.tests.factories import user_with_role
from linli.indicators import measures
from linli.indicators.models import IndicatorValue, Target
from linli.indicators.tests.conftest import A1, A2, A3, B1, B2, B3, COUNTY, TOWN_A, TOWN_B
from linli.regions import indicators as region_measures

pytestmark = pytest.mark.django_db

VALUES = {
    "has_volunteer_station": {A1: 1, A2: 1, A3: 0, B1: 1, B3: 0},
    "regular_social_orgs": {A1: 12, A2: 3, B3: 12, A3: 6, B1: 2},
}


def _region(code):
    return reverse("indicators:region", args=[code])


def test_the_dashboard_opens_at_the_users_region(client, evaluate, leader, town_staff_a):
    evaluate(VALUES)
    client.force_login(leader)
    assert client.get(reverse("indicators:dashboard")).url == _region(COUNTY)
    client.force_login(town_staff_a)
    assert client.get(reverse("indicators:dashboard")).url == _region(TOWN_A)


def test_the_county_overview_shows_value_target_status_and_why(client, evaluate, leader):
    evaluate(VALUES)
    client.force_login(leader)
    html = client.get(_region(COUNTY)).content.decode()
    # VOL_STATION: 3 of 6 communities = 50 % against ≥ 80 %
    row = re.search(r'data-indicator="VOL_STATION".*?</tr>', html, re.S).group(0)
    assert "50 %" in row
    assert "达标 3 / 6 个社区/村" in row
    assert "≥ 80 %" in row
    assert "未达标" in row
    # an indicator whose data no module provides yet is listed, not hidden
    missing = re.search(r'data-indicator="ELDER_VISIT".*?</tr>', html, re.S).group(0)
    assert "数据未接入" in missing
    # and the towns are listed for drilling down
    assert _region(TOWN_B) in html


def test_town_staff_see_their_town_and_nothing_above_or_beside_it(client, evaluate, town_staff_a):
    evaluate(VALUES)
    client.force_login(town_staff_a)
    assert client.get(_region(TOWN_A)).status_code == 200
    assert client.get(_region(A1)).status_code == 200  # the community scorecard
    assert client.get(_region(COUNTY)).status_code == 404
    assert client.get(_region(B1)).status_code == 404
    drill = reverse("indicators:drilldown", args=[TOWN_B, "VOL_STATION"])
    assert client.get(drill).status_code == 404


def test_other_roles_have_no_dashboard(client, small_county, plan):
    worker = user_with_role(Role.COMMUNITY_WORKER, small_county[A1], username="worker")
    client.force_login(worker)
    assert client.get(reverse("indicators:dashboard")).status_code == 403


def test_the_drilldown_explains_the_value_and_ranks_the_towns(client, evaluate, county_admin):
    evaluate(VALUES)
    client.force_login(county_admin)
    response = client.get(reverse("indicators:drilldown", args=[COUNTY, "ORG_URBAN"]))
    html = response.content.decode()
    # urban: A1 12 ✓, A2 3 ✗, B3 12 ✓ → 2 of 3
    assert "达标 2 / 3 个社区/村" in html
    table = re.search(r'data-testid="drilldown-table".*?</table>', html, re.S).group(0)
    assert table.index(TOWN_A) < table.index(TOWN_B)  # town A (1 of 2) is behind town B (1 of 1)
    # the community that falls short is named below the county, with its gap
    short = re.search(r'data-testid="short-table".*?</table>', html, re.S).group(0)
    assert "城东社区" in short and "差 9 个" in short
    # chart and map data travel as JSON, and no inline script runs
    data = json.loads(
        re.search(r'id="indicator-chart-data"[^>]*>(.*?)</script>', html, re.S).group(1)
    )
    assert {c["code"] for c in data["children"]} == {TOWN_A, TOWN_B}
    for tag in re.findall(r"<script[^>]*>", html):
        assert "src=" in tag or 'type="application/json"' in tag


def test_the_gap_ranking_puts_the_furthest_behind_first(client, evaluate, leader):
    evaluate(VALUES)
    client.force_login(leader)
    html = client.get(reverse("indicators:gaps", args=[COUNTY])).content.decode()
    rows = re.findall(r'<tr data-region="(\d+)" data-indicator="(\w+)">', html)
    # B2 has none of its 6 organisations (0 %), A2 3 of 12 (25 %), B1 2 of 6 (33 %)
    assert rows.index((B2, "ORG_RURAL")) < rows.index((A2, "ORG_URBAN"))
    assert rows.index((A2, "ORG_URBAN")) < rows.index((B1, "ORG_RURAL"))
    # and what is met is not listed
    assert (A1, "ORG_URBAN") not in rows


def test_a_stored_month_is_shown_when_chosen(client, evaluate, county_admin):
    evaluate(VALUES)
    client.force_login(county_admin)
    client.post(reverse("indicators:snapshot"), {"next": _region(COUNTY)})
    assert IndicatorValue.objects.exists()
    period = IndicatorValue.objects.first().period.strftime("%Y-%m")
    html = client.get(_region(COUNTY) + f"?period={period}").content.decode()
    assert "月度快照" in html
    assert "达标 3 / 6 个社区/村" in html
    assert client.get(_region(COUNTY) + "?period=2025-99").status_code == 422


def test_the_annual_report_as_xlsx(client, evaluate, leader):
    evaluate(VALUES)
    client.force_login(leader)
    response = client.get(reverse("indicators:report", args=[COUNTY, "xlsx"]))
    assert response.status_code == 200
    book = openpyxl.load_workbook(io.BytesIO(response.content))
    summary = [
        [c for c in row if c is not None] for row in book["评估总表"].iter_rows(values_only=True)
    ]
    flat = json.dumps(summary, ensure_ascii=False)
    assert "社区志愿服务站点覆盖率" in flat and "≥ 80 %" in flat and "数据未接入" in flat
    short = json.dumps(list(book["未达标单位"].iter_rows(values_only=True)), ensure_ascii=False)
    assert "籍山镇 · 龙山村" in short  # A3 has no volunteer station
    assert book["评估总表"]._charts  # the attainment chart is included


def test_the_report_compares_towns_without_inventing_their_share_of_a_county_fact(
    client, small_county, plan, leader
):
    # given the county's brand organisations (a county fact) and volunteer stations
    with measures.override(
        *region_measures.MEASURES,
        measures.Measure("brand_orgs_all", "品牌组织", "个", lambda _: {COUNTY: 7}, "county"),
        measures.constant("has_volunteer_station", VALUES["has_volunteer_station"], unit="是/否"),
    ):
        client.force_login(leader)
        response = client.get(reverse("indicators:report", args=[COUNTY, "xlsx"]))
    book = openpyxl.load_workbook(io.BytesIO(response.content))
    rows = {row[0].value: row[1:] for row in book["下级对比"].iter_rows(min_row=2)}
    # then the towns' brand cells are empty, not 0, and coverages keep one decimal
    assert [c.value for c in rows["品牌社区社会组织和品牌服务项目"]] == [None, None]
    volunteer = rows["社区志愿服务站点覆盖率"]
    assert volunteer[0].value == pytest.approx(200 / 3)  # town A: 2 of 3
    assert volunteer[0].number_format == "#,##0.0"


def test_the_annual_report_as_pdf_embeds_a_chinese_font(client, evaluate, leader):
    evaluate(VALUES)
    client.force_login(leader)
    response = client.get(reverse("indicators:report", args=[TOWN_A, "pdf"]))
    assert response.status_code == 200
    assert response.content.startswith(b"%PDF")
    assert b"/FontFile" in response.content  # embedded, not merely named
    assert b"CJK" in response.content
    assert client.get(reverse("indicators:report", args=[A1, "pdf"])).status_code == 422


def test_county_admins_edit_targets_in_pages(client, plan, county_admin, leader):
    client.force_login(leader)
    assert client.get(reverse("indicators:definitions")).status_code == 403
    client.force_login(county_admin)
    assert "VOL_STATION" in client.get(reverse("indicators:definitions")).content.decode()
    target = Target.objects.get(indicator__code="VOL_STATION")
    response = client.post(
        reverse("indicators:target_edit", args=["VOL_STATION", target.pk]),
        {"operator": ">=", "value": "85", "deadline": "2025-12-31", "source": "专栏2", "note": ""},
    )
    assert response.status_code == 302
    target.refresh_from_db()
    assert target.value == 85


def test_a_bad_plan_file_is_refused_with_its_errors(client, plan, county_admin):
    client.force_login(county_admin)
    upload = SimpleUploadedFile("plan.json", b'{"indicators": [{"code": "x"}]}')
    html = client.post(reverse("indicators:plan_import"), {"file": upload}).content.decode()
    assert "未导入任何指标" in html
    assert "缺少名称" in html


def test_without_a_chinese_font_the_pdf_asks_for_the_xlsx(client, evaluate, leader, monkeypatch):
    from linli.indicators import report

    evaluate(VALUES)
    monkeypatch.setattr(report, "cjk_font", lambda: None)
    client.force_login(leader)
    response = client.get(reverse("indicators:report", args=[COUNTY, "pdf"]))
    assert response.status_code == 503
    assert "fonts-noto-cjk" in response.content.decode()
