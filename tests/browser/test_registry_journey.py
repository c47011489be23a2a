"""A county admin's registry journey in Chromium on a phone (issue 3's "Done when").

Import a residents file with a bad phone, read the row errors on the page and in the
downloaded error report, correct the report itself and upload it again, then find the new
resident by the pinyin of their name, with the phone masked.
"""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from linli.demo.accounts import DEMO_PASSWORD
from linli.imports.models import ImportJob, Kind
from linli.imports.tests.factories import resident_row, table_bytes
from linli.people.models import Resident
from linli.regions.models import Region
from tests.browser.test_journeys import demo_county, open_menu, staff_login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

__all__ = ["demo_county"]  # the fixture, imported for this module's tests

PHONE_ERROR = "手机号格式不正确（应为 11 位手机号）"
FIXED_PHONE = "13987654321"


def upload_residents(page: Page, path: Path) -> None:
    """Choose the file in the residents card of the import centre and press 导入."""
    card = page.get_by_test_id("kind-residents")
    card.locator("input[type=file]").set_input_files(str(path))
    expect(card.get_by_role("button", name="导入", exact=True)).to_be_visible()
    card.get_by_role("button", name="导入", exact=True).click()


def read_csv(data: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))


def test_a_county_admin_fixes_a_bad_import_from_its_report_and_finds_the_resident_by_pinyin(
    phone, demo_county, tmp_path
):
    page = phone.page
    grid = Region.objects.filter(level="grid").order_by("code").first()
    assert grid is not None
    rows = [
        resident_row(grid.code, 姓名="李四光"),
        resident_row(grid.code, 姓名="张三丰", 手机号="123", 标签="独居、党员、低保、退役军人"),
    ]
    bad_file = tmp_path / "居民.csv"
    bad_file.write_bytes(table_bytes("csv", rows))

    # given the county admin logged in
    page.goto("/accounts/login/")
    expect(page.get_by_role("heading", name="工作人员登录")).to_be_visible()
    phone.check("login")
    staff_login(page, "admin", DEMO_PASSWORD)
    expect(page).to_have_url(phone.url("/"))
    phone.check("home")

    # when they open the import centre from the menu
    open_menu(page)
    page.get_by_test_id("nav").get_by_role("link", name="导入导出", exact=True).click()
    expect(page).to_have_url(phone.url("/imports/"))
    expect(page.get_by_role("heading", level=1)).to_have_text("导入导出")
    expect(page.get_by_test_id("kind-residents")).to_be_visible()
    phone.check("import-centre")
    # on a phone the nine registries are folded to a line each: the page is short
    assert page.evaluate("document.documentElement.scrollHeight") < 1400
    expect(page.get_by_test_id("kind-residents").get_by_role("button", name="导入")).to_be_hidden()
    page.get_by_test_id("kind-residents").locator("summary").click()

    # and upload a residents file whose second data row (sheet row 3) has a bad phone
    upload_residents(page, bad_file)

    # then nothing is imported and the page says which row is wrong and why
    expect(page).to_have_url(re.compile(r"/imports/\?job=\d+#job-\d+$"))
    expect(page.locator(".alert-danger")).to_contain_text("导入文件有 1 行错误，未导入任何数据")
    failed = ImportJob.objects.get()
    row = page.get_by_test_id(f"job-{failed.pk}")
    expect(row).to_have_attribute("data-status", "failed")
    # the errors of the job just uploaded are open: nothing to find behind 查看错误
    expect(row.get_by_test_id("job-errors")).to_be_visible()
    expect(row.get_by_test_id("job-errors")).to_have_text(f"第3行：{PHONE_ERROR}")
    # and they read on the phone's screen, not in a table scrolled sideways
    box = row.get_by_test_id("job-errors").bounding_box()
    assert box is not None and box["x"] + box["width"] <= 375, f"errors off screen: {box}"
    assert Resident.objects.count() == 0
    phone.check("import-failed")

    # when they download the error report
    with page.expect_download() as info:
        row.get_by_test_id("report-link").click()
    download = info.value
    assert download.suggested_filename == "居民-错误报告.csv"
    report_path = download.path()
    assert report_path is not None
    report = read_csv(Path(report_path).read_bytes())

    # then it is their rows plus an 错误 column naming the bad phone on the bad row only
    header, good, bad = report
    assert header[-1] == "错误"
    errors = header.index("错误")
    phone_column = header.index("手机号")
    assert good[header.index("姓名")] == "李四光" and good[errors] == ""
    assert bad[header.index("姓名")] == "张三丰" and bad[errors] == PHONE_ERROR
    assert bad[phone_column] == "123"

    # when they correct the phone in the report itself and upload it again: the residents
    # card is still open for it
    expect(page.get_by_test_id("kind-residents")).to_have_attribute("open", "")
    bad[phone_column] = FIXED_PHONE
    fixed_file = tmp_path / "居民-改正.csv"
    buffer = io.StringIO(newline="")
    csv.writer(buffer).writerows(report)
    fixed_file.write_bytes(("\ufeff" + buffer.getvalue()).encode())
    upload_residents(page, fixed_file)

    # then both rows are imported
    expect(page.locator(".alert-success")).to_contain_text("导入完成：共 2 行，新增 2")
    succeeded = ImportJob.objects.exclude(pk=failed.pk).get()
    expect(page.get_by_test_id(f"job-{succeeded.pk}")).to_have_attribute("data-status", "succeeded")
    assert set(Resident.objects.values_list("name", flat=True)) == {"李四光", "张三丰"}
    phone.check("import-succeeded")

    # when they open the residents list from the menu and search the pinyin of 张三丰
    open_menu(page)
    page.get_by_test_id("nav").get_by_role("link", name="居民", exact=True).click()
    expect(page).to_have_url(phone.url("/people/"))
    phone.check("residents")
    page.locator("#q").fill("zhangsanfeng")
    page.get_by_test_id("resident-search").get_by_role("button", name="查找").click()

    # then 张三丰 alone is found, with the corrected phone masked
    expect(page).to_have_url(re.compile(r"/people/\?.*q=zhangsanfeng"))
    table = page.get_by_test_id("resident-table")
    expect(page.get_by_test_id("result-count")).to_have_text("1 人")
    name = table.get_by_role("link", name="张三丰", exact=True)
    expect(name).to_be_visible()
    assert name.evaluate("n => n.getClientRects().length") == 1, "the name breaks across lines"
    expect(table).not_to_contain_text("李四光")
    expect(table).to_contain_text("139****4321")
    expect(page.locator("body")).not_to_contain_text(FIXED_PHONE)
    phone.check("pinyin-search")

    # on an office screen the import centre shows every registry open, no fold to tap
    page.set_viewport_size({"width": 1280, "height": 800})
    page.goto("/imports/")
    cards = page.get_by_test_id("import-kinds").locator("details")
    expect(cards).to_have_count(len(Kind))
    expect(page.get_by_test_id("import-kinds").get_by_role("button", name="导入")).to_have_count(
        len(Kind)
    )
    for button in page.get_by_test_id("import-kinds").get_by_role("button", name="导入").all():
        expect(button).to_be_visible()
    page.set_viewport_size({"width": 375, "height": 812})
    phone.check("import-centre-again")
