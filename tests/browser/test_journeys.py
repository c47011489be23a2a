"""Phone-sized journeys through the demo county in Chromium: staff, resident, lock-out.

Each page visited is checked by `phone.check(step)`: no sideways scroll at 375 px, no request
off the machine, no console/CSP/script error, and a screenshot in test-artifacts/screenshots/.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from linli.accounts.sms import ConsoleSmsBackend
from linli.demo.accounts import DEMO_PASSWORD, build_demo_accounts
from linli.regions.demo import build_demo_regions

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

RESIDENT_PHONE = "13800000001"
JISHAN_CODE = "340223100000"  # 籍山镇
LINGYANG_CODE = "340223100001"  # 陵阳社区, under 籍山镇
SANLI_CODE = "340223105000"  # 三里镇


@pytest.fixture
def demo_county():
    build_demo_regions()
    build_demo_accounts()


def open_menu(page: Page) -> None:
    """On a phone the menu hides behind the navbar toggler."""
    toggler = page.locator(".navbar-toggler")
    expect(toggler).to_be_visible()
    if toggler.get_attribute("aria-expanded") != "true":
        toggler.click()
    # Bootstrap animates the collapse: wait until it has settled open (`show`).
    expect(page.locator("#main-nav")).to_have_class(re.compile(r"\bshow\b"))
    expect(page.locator("#main-nav")).to_be_visible()


def staff_login(page: Page, username: str, password: str) -> None:
    page.locator("#id_username").fill(username)
    page.locator("#id_password").fill(password)
    page.get_by_role("button", name="登录", exact=True).click()


def tree_codes(page: Page) -> list[str]:
    return page.locator("[data-testid=region-tree] [data-code]").evaluate_all(
        "nodes => nodes.map(n => n.dataset.code)"
    )


def test_town_staff_sees_only_their_town_narrows_it_and_reads_it_in_english(phone, demo_county):
    page = phone.page

    # given the staff login page
    page.goto("/accounts/login/")
    expect(page.get_by_role("heading", name="工作人员登录")).to_be_visible()
    phone.check("login-page")

    # when 籍山镇's staff member logs in
    staff_login(page, "jishan", DEMO_PASSWORD)

    # then the workbench greets them at their town
    expect(page).to_have_url(phone.url("/"))
    expect(page).to_have_title(re.compile("^工作台"))
    expect(page.get_by_role("heading", level=1)).to_contain_text("籍山镇工作人员")
    expect(page.get_by_test_id("roles")).to_contain_text("籍山镇")
    phone.check("home")

    # when they open the region tree from the collapsed menu
    expect(page.locator("#main-nav")).to_be_hidden()
    open_menu(page)
    phone.check("menu-open")
    page.get_by_test_id("nav").get_by_role("link", name="区划与网格").click()

    # then they see their town and its communities, nothing of other towns
    expect(page).to_have_url(phone.url("/regions/"))
    tree = page.get_by_test_id("region-tree")
    expect(tree.get_by_role("link", name="籍山镇", exact=True)).to_be_visible()
    expect(tree.get_by_role("link", name="陵阳社区", exact=True)).to_be_visible()
    expect(tree).not_to_contain_text("三里镇")
    expect(tree).not_to_contain_text("澄桥村")
    codes = tree_codes(page)
    assert JISHAN_CODE in codes and LINGYANG_CODE in codes
    assert all(code.startswith("340223100") for code in codes), codes
    assert not any(code.startswith(SANLI_CODE[:9]) for code in codes)
    phone.check("region-tree")

    # when they narrow the pages to 陵阳社区 with the region switcher
    open_menu(page)
    switcher = page.locator("#region-switch")
    expect(switcher.locator("option", has_text="三里镇")).to_have_count(0)
    lingyang = switcher.locator("option", has_text="陵阳社区").get_attribute("value")
    assert lingyang and LINGYANG_CODE.startswith(lingyang)
    with page.expect_navigation():
        switcher.select_option(lingyang)  # submits itself (js-autosubmit)

    # then the tree holds 陵阳社区 and its grids only
    expect(page).to_have_url(phone.url("/regions/"))
    tree = page.get_by_test_id("region-tree")
    expect(tree.get_by_role("link", name="陵阳社区", exact=True)).to_be_visible()
    expect(tree.get_by_role("link", name="籍山镇", exact=True)).to_have_count(0)
    narrowed = tree_codes(page)
    assert narrowed and narrowed[0] == LINGYANG_CODE
    assert all(code.startswith(LINGYANG_CODE) for code in narrowed), narrowed
    assert len(narrowed) < len(codes)
    expect(page.locator("#region-switch")).to_have_value(lingyang)
    phone.check("region-tree-narrowed")

    # when they switch the language to English in the footer
    page.get_by_test_id("language-switcher").get_by_role("button", name="English").click()

    # then the same page speaks English
    expect(page).to_have_url(phone.url("/regions/"))
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_role("heading", level=1)).to_have_text("Regions and grids")
    expect(page.get_by_test_id("logout")).to_have_text("Log out")
    expect(page.get_by_test_id("nav")).to_contain_text("Regions and grids")
    expect(page.locator("body")).not_to_contain_text("区划与网格")
    phone.check("english")

    # when they log out
    open_menu(page)
    page.get_by_test_id("logout").click()

    # then they are back on the (English) login page and the session is gone
    expect(page).to_have_url(phone.url("/accounts/login/"))
    expect(page.get_by_role("heading", name="Staff login")).to_be_visible()
    expect(page.get_by_test_id("logout")).to_have_count(0)
    phone.check("logged-out")
    page.goto("/")
    expect(page).to_have_url(phone.url("/accounts/login/?next=/"))
    phone.check("home-needs-login")


def test_resident_logs_in_with_a_phone_code_and_sees_no_staff_pages(phone, demo_county):
    page = phone.page

    # given the resident login page
    page.goto("/accounts/login/resident/")
    expect(page.get_by_role("heading", name="居民登录")).to_be_visible()
    phone.check("resident-login")

    # when the resident asks for a code
    page.locator("#id_phone").fill(RESIDENT_PHONE)
    page.get_by_role("button", name="获取验证码").click()

    # then a text message with a 6-digit code went to their phone
    expect(page.locator(".alert-success")).to_contain_text("验证码已发送")
    phone.check("code-sent")
    messages = [text for to, text in ConsoleSmsBackend.outbox if to == RESIDENT_PHONE]
    assert len(messages) == 1, ConsoleSmsBackend.outbox
    match = re.search(r"\b(\d{6})\b", messages[0])
    assert match, messages[0]
    code = match.group(1)

    # when they type a wrong code
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    expect(page.locator("#id_phone")).to_have_value(RESIDENT_PHONE)
    page.locator("#id_code").fill(wrong)
    page.locator("button[name=login]").click()

    # then the page says so in Chinese and they are not logged in
    expect(page.get_by_test_id("code-error")).to_contain_text("验证码不正确或已过期")
    expect(page).to_have_url(phone.url("/accounts/login/resident/"))
    phone.check("wrong-code")

    # when they type the right code
    page.locator("#id_code").fill(code)
    page.locator("button[name=login]").click()

    # then they land on the resident home
    expect(page).to_have_url(phone.url("/"))
    expect(page).to_have_title(re.compile("^居民服务"))
    expect(page.get_by_role("heading", level=1)).to_contain_text("陵阳社区居民")
    expect(page.get_by_test_id("roles")).to_contain_text("陵阳社区")
    phone.check("resident-home")

    # and they see no region tree, no region switcher
    open_menu(page)
    expect(page.get_by_role("link", name="区划与网格")).to_have_count(0)
    expect(page.get_by_test_id("region-switcher")).to_have_count(0)
    phone.check("resident-menu")

    # and the staff page refuses them
    phone.guard.allow_status(403)
    response = page.goto("/regions/")
    assert response is not None and response.status == 403
    expect(page.locator("main")).to_contain_text("没有权限")
    expect(page.get_by_test_id("region-tree")).to_have_count(0)
    phone.check("regions-forbidden")


def test_five_wrong_passwords_lock_the_account_even_against_the_right_one(phone, demo_county):
    page = phone.page
    phone.guard.allow_status(429)  # the lock-out page answers 429 Too Many Requests

    page.goto("/accounts/login/")
    phone.check("login-page")

    # when four wrong passwords are tried
    for attempt in range(1, 5):
        staff_login(page, "jishan", f"wrong-password-{attempt}")
        # then each is refused with the ordinary message
        expect(page.get_by_role("alert")).to_contain_text("用户名或密码不正确")
        expect(page.get_by_test_id("locked-out")).to_have_count(0)
        phone.check(f"wrong-{attempt}")

    # when the fifth wrong password is tried
    staff_login(page, "jishan", "wrong-password-5")

    # then the account is locked
    expect(page.get_by_test_id("locked-out")).to_contain_text("账号已暂时锁定")
    phone.check("locked-out")

    # when the right password is tried next
    page.goto("/accounts/login/")
    phone.check("login-again")
    staff_login(page, "jishan", DEMO_PASSWORD)

    # then it is refused too, and no session was opened
    expect(page.get_by_test_id("locked-out")).to_contain_text("账号已暂时锁定")
    phone.check("locked-right-password")
    page.goto("/")
    expect(page).to_have_url(phone.url("/accounts/login/?next=/"))
    phone.check("still-logged-out")
