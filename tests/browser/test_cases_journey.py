"""The 接诉即办 loop on a phone in Chromium, as the issue's "Done when" reads it.

1. A resident reports a problem on the phone page (category, description, a real JPEG, a
   point picked on the map), an operator accepts and dispatches it to a department, the
   department's handler signs for it (报到), handles and resolves it, the resident reads the
   timeline and rates it — and the statistics page shows 响应率 · 解决率 · 满意率 moved.
2. A dispatched case whose deadlines have passed escalates by itself: the periodic sweep
   (`manage.py cases_sweep`, as cron or the scheduler runs it) marks it 超期, the town's
   supervisor board shows it and the supervisor's inbox holds the notice — once, however
   often the sweep runs.

Each person has their own session (cookies kept per person, as if each held their own
phone); every page visited is checked by `phone.check(step)`: no sideways scroll at 375 px,
no request off the machine, no console/CSP/script error, a screenshot.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.utils import timezone
from PIL import Image, ImageDraw
from playwright.sync_api import Page, expect

from linli.accounts.models import Role, User
from linli.accounts.sms import ConsoleSmsBackend
from linli.accounts.tests.factories import TEST_PASSWORD, user_with_role
from linli.cases import selectors, services, worktime
from linli.cases.models import Case, CaseAssignment, Notification, Status
from linli.orgs.models import Organisation
from linli.regions.models import Region

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

RESIDENT_PHONE = "13800000001"
# 陵阳社区's centre: the resident's report map opens on it (the community of their account).
LINGYANG_CENTRE = (118.3336, 30.9197)


@dataclass
class Cast:
    """The people of the loop and the department they work with."""

    resident: User
    operator: User  # community worker: the operator desk (受理派单) of 陵阳社区
    handler: User  # 城管 handler at the county (RoleAssignment.department == the org's name)
    supervisor: User  # town staff of 籍山镇: one level up from a department's overdue case
    department: Organisation
    grid: Region
    cookies: dict[str, list[Any]] = field(default_factory=dict)
    current: str = ""  # who holds the phone now


@pytest.fixture
def cast(two_towns, community_a, grid_a, settings, tmp_path) -> Any:
    """A county with two towns; 陵阳社区 and its grid have centres (the map needs them)."""
    settings.LINLI_CASE_MEDIA_DIR = str(tmp_path / "case-media")
    Region.objects.filter(pk=community_a.pk).update(
        center_lng=LINGYANG_CENTRE[0], center_lat=LINGYANG_CENTRE[1]
    )
    Region.objects.filter(pk=grid_a.pk).update(center_lng=118.3340, center_lat=30.9200)
    # The live server runs in this process: its per-process caches must not remember the
    # rows of an earlier test's (flushed) database.
    selectors.region_cache_reset()
    selectors.category_cache_reset()
    worktime.workday_overrides_reset()
    services.category_catalogue_load()  # a transactional test's flush also empties the catalogue
    county = two_towns["county"]
    yield Cast(
        resident=user_with_role(
            Role.RESIDENT, community_a, username="resident", phone=RESIDENT_PHONE
        ),
        operator=user_with_role(Role.COMMUNITY_WORKER, community_a, username="lingyang"),
        handler=user_with_role(
            Role.DEPARTMENT_HANDLER,
            county,
            username="chengguan",
            department="城管",
            phone="13900000002",
        ),
        supervisor=user_with_role(
            Role.TOWN_STAFF, two_towns["a"], username="jishan", phone="13900000003"
        ),
        department=Organisation.objects.create(
            region=county, name="城管", kind=Organisation.Kind.DEPARTMENT
        ),
        grid=Region.objects.get(pk=grid_a.pk),
    )
    selectors.region_cache_reset()
    selectors.category_cache_reset()
    worktime.workday_overrides_reset()


# --- helpers -----------------------------------------------------------------------------


def become(phone: Any, cast: Cast, who: str) -> None:
    """Hand the phone to another person: keep the current person's cookies, take theirs
    (a person seen before opens the home page already logged in)."""
    context = phone.page.context
    if cast.current:
        cast.cookies[cast.current] = context.cookies()
    context.clear_cookies()
    cast.current = who
    if who in cast.cookies:
        context.add_cookies(cast.cookies[who])
        phone.page.goto("/")
        expect(phone.page).to_have_url(phone.url("/"))
        phone.check(f"home-{who}")


def staff_login(phone: Any, username: str) -> None:
    page = phone.page
    page.goto("/accounts/login/")
    phone.check(f"login-{username}")
    page.locator("#id_username").fill(username)
    page.locator("#id_password").fill(TEST_PASSWORD)
    page.get_by_role("button", name="登录", exact=True).click()
    expect(page).to_have_url(phone.url("/"))
    phone.check(f"home-{username}")


def resident_login(phone: Any) -> None:
    page = phone.page
    page.goto("/accounts/login/resident/")
    phone.check("resident-login")
    page.locator("#id_phone").fill(RESIDENT_PHONE)
    page.get_by_role("button", name="获取验证码").click()
    expect(page.locator(".alert-success")).to_contain_text("验证码已发送")
    phone.check("code-sent")
    texts = [text for to, text in ConsoleSmsBackend.outbox if to == RESIDENT_PHONE]
    code = re.search(r"\b(\d{6})\b", texts[-1])
    assert code, texts
    page.locator("#id_code").fill(code.group(1))
    page.locator("button[name=login]").click()
    expect(page).to_have_url(phone.url("/"))
    phone.check("resident-home")


def open_nav(phone: Any, label: str) -> None:
    """Follow a menu entry: on a phone the menu hides behind the navbar toggler."""
    page = phone.page
    toggler = page.locator(".navbar-toggler")
    if toggler.get_attribute("aria-expanded") != "true":
        toggler.click()
    expect(page.locator("#main-nav")).to_have_class(re.compile(r"\bshow\b"))
    page.get_by_test_id("nav").get_by_role("link", name=label, exact=True).click()


def act(phone: Any, testid: str, step: str) -> None:
    """Press an action button of the case page and check the page it comes back to."""
    page = phone.page
    page.get_by_test_id(testid).click()
    expect(page.get_by_role("alert").first).to_contain_text("操作成功")
    phone.check(step)


def rate_cards(page: Page) -> dict[str, tuple[str, str]]:
    """{rate: (percentage shown, numerator/denominator)} from the statistics page."""
    cards = {}
    for name in ("响应率", "解决率", "满意率"):
        text = page.get_by_test_id("rate-cards").locator(".card", has_text=name).inner_text()
        lines = [line.strip() for line in text.splitlines() if line.strip()]
        assert lines[0] == name, lines
        cards[name] = (lines[1], lines[2])
    return cards


def photo_file(tmp_path: Path) -> Path:
    """A small real JPEG, as a phone camera would send (with a drawing, not one colour)."""
    image = Image.new("RGB", (640, 480), (90, 140, 60))
    draw = ImageDraw.Draw(image)
    draw.rectangle((200, 150, 440, 400), fill=(60, 60, 60))  # the overflowing bin
    draw.ellipse((260, 60, 380, 170), fill=(200, 200, 40))
    path = tmp_path / "garbage.jpg"
    image.save(path, format="JPEG", quality=80)
    return path


def earlier_rated_case(cast: Cast) -> Case:
    """One case from last hour that went badly: answered late, not solved, not satisfied."""
    case = services.case_report(
        actor=cast.resident,
        category_code="muni-light",
        description="楼道灯坏了一个月没人修",
        region_code=cast.grid.code,
    )
    now = timezone.now()
    Case.objects.filter(pk=case.pk).update(
        status=Status.CLOSED,
        accepted_at=now - timedelta(hours=3),
        dispatched_at=now - timedelta(hours=3),
        responded_in_time=False,
        resolved_at=now - timedelta(hours=2),
        rated_at=now - timedelta(hours=1),
        closed_at=now - timedelta(hours=1),
        is_solved=False,
        is_satisfied=False,
        rating_score=2,
        rating_channel="resident",
    )
    return case


# --- 1. the loop ----------------------------------------------------------------------------


def test_a_resident_report_goes_round_the_loop_and_moves_the_three_rates(phone, cast, tmp_path):
    page = phone.page
    earlier_rated_case(cast)

    # given the operator's statistics before: one case, answered late, not solved, unhappy
    become(phone, cast, "operator")
    staff_login(phone, cast.operator.username)
    open_nav(phone, "诉求统计")
    expect(page).to_have_url(phone.url("/cases/stats/"))
    phone.check("stats-before")
    before = rate_cards(page)
    assert before == {
        "响应率": ("0.0%", "0/1"),
        "解决率": ("0.0%", "0/1"),
        "满意率": ("0.0%", "0/1"),
    }, before

    # when the resident logs in with a code and opens 随手拍 from the menu
    become(phone, cast, "resident")
    resident_login(phone)
    open_nav(phone, "随手拍")
    expect(page).to_have_url(phone.url("/cases/report/"))
    expect(page.get_by_role("heading", level=1)).to_contain_text("随手拍")
    phone.check("report-page")

    # and picks a category, describes the problem, adds a photo
    form = page.get_by_test_id("report-form")
    form.locator("select[name=category]").select_option("env-garbage")
    description = "陵阳社区幸福路口的垃圾桶满了三天没人清运，气味很大"
    form.locator("textarea[name=description]").fill(description)
    page.locator("#case-photos").set_input_files(photo_file(tmp_path))
    # and the phone's position can be used (the browser is told where the phone is) …
    page.context.grant_permissions(["geolocation"], origin=phone.url("/").rstrip("/"))
    page.context.set_geolocation({"longitude": 118.3351, "latitude": 30.9188})
    page.get_by_test_id("locate").click()
    expect(page.locator("#case-location-label")).to_contain_text("当前位置")
    assert form.locator("input[name=lng]").input_value() == "118.3351000"
    # … or, as here, the place picked on the map (no tiles offline: the map still takes a tap)
    map_box = page.locator("#case-map")
    expect(map_box.locator(".leaflet-interactive").first).to_be_attached()
    box = map_box.bounding_box()
    assert box is not None
    with page.expect_response(re.compile(r"/cases/nearby/\?category=env-garbage")) as nearby:
        page.mouse.click(box["x"] + box["width"] / 2 + 25, box["y"] + box["height"] / 2 + 25)
    assert nearby.value.ok  # 附近已有相同问题 asked as soon as category and point are known
    expect(page.locator("#case-location-label")).to_contain_text("已选择位置")
    # named, since an offline map has nothing to recognise: the case goes to 陵阳社区
    expect(page.get_by_test_id("place-name")).to_contain_text("所在位置：陵阳社区")
    lng = float(form.locator("input[name=lng]").input_value())
    lat = float(form.locator("input[name=lat]").input_value())
    assert abs(lng - LINGYANG_CENTRE[0]) < 0.01 and abs(lat - LINGYANG_CENTRE[1]) < 0.01
    form.locator("input[name=address]").fill("幸福路与春谷路交叉口")
    phone.check("report-filled")
    # and taps 提交 three times in a row, as on a slow phone: the form goes once
    page.get_by_test_id("report-submit").evaluate(
        "b => { b.click(); setTimeout(() => b.click(), 40); setTimeout(() => b.click(), 80); }"
    )

    # then the case page thanks them, shows the photo and the first step
    expect(page.get_by_role("alert").first).to_contain_text("已上报，案件编号")
    case = Case.objects.get(description=description)
    expect(page).to_have_url(phone.url(f"/cases/{case.pk}/"))
    expect(page.get_by_test_id("case-status")).to_contain_text("已上报")
    photo = page.get_by_test_id("photos").locator("img").first
    expect(photo).to_be_visible()
    page.wait_for_function(
        "img => img.complete && img.naturalWidth > 0", arg=photo.element_handle()
    )
    phone.check("reported")
    assert case.region_id == cast.grid.pk  # the tap near 陵阳社区's centre → its grid
    assert case.source == "resident" and case.reporter_id == cast.resident.pk
    assert case.photos.count() == 1

    # when the operator finds it on the desk (待受理), accepts and dispatches it to 城管
    become(phone, cast, "operator")
    open_nav(phone, "受理派单")
    expect(page).to_have_url(phone.url("/cases/desk/"))
    phone.check("desk")
    # every stage's tab is on the phone's screen, even with a count on each
    page.get_by_test_id("desk-tabs").evaluate(
        "ul => ul.querySelectorAll('a').forEach(a => { if (!a.querySelector('.badge'))"
        " a.insertAdjacentHTML('beforeend', ' <span class=\"badge\">999</span>'); })"
    )
    for tab in page.get_by_test_id("desk-tabs").get_by_role("link").all():
        box = tab.bounding_box()
        assert box is not None and box["x"] + box["width"] <= 375, f"a tab is off screen: {box}"
    page.get_by_test_id("case-list").get_by_role("link", name=re.compile(case.number)).click()
    expect(page).to_have_url(phone.url(f"/cases/{case.pk}/"))
    expect(page.get_by_test_id("reporter")).to_contain_text("138****0001")
    phone.check("desk-case")
    act(phone, "act-accept", "accepted")
    expect(page.get_by_test_id("case-status")).to_contain_text("已受理")
    page.get_by_label(re.compile("^城管")).check()
    page.locator("#dispatch-note").fill("请城管中队今天清运")
    act(phone, "act-dispatch", "dispatched")
    expect(page.get_by_test_id("case-status")).to_contain_text("已派单")
    expect(page.get_by_test_id("assignments")).to_contain_text("城管")
    expect(page.get_by_test_id("deadlines")).to_be_visible()

    # then the department's handler was told, by inbox and by text
    assert Notification.objects.filter(user=cast.handler, case=case, kind="dispatch").exists()
    assert any(to == cast.handler.phone for to, _ in ConsoleSmsBackend.outbox)

    # when the 城管 handler opens the department desk, signs for it (报到) and handles it
    become(phone, cast, "handler")
    staff_login(phone, cast.handler.username)
    open_nav(phone, "部门办件")
    expect(page).to_have_url(phone.url("/cases/department/"))
    listing = page.get_by_test_id("department-list")
    expect(listing).to_contain_text("待签收")
    phone.check("department-desk")
    listing.get_by_role("link", name=re.compile(case.number)).click()
    phone.check("department-case")
    act(phone, "act-sign", "signed")
    expect(page.get_by_test_id("case-status")).to_contain_text("已签收")
    page.locator("#contact-note").fill("已电话联系诉求人，今天上午到场")
    act(phone, "act-contact", "in-progress")
    expect(page.get_by_test_id("case-status")).to_contain_text("处置中")
    page.get_by_test_id("actions").locator("summary").filter(has_text=re.compile("^办结$")).click()
    page.locator("#resolve-note").fill("已清运垃圾并冲洗地面，增加每日清运一次")
    act(phone, "act-resolve", "resolved")
    expect(page.get_by_test_id("case-status")).to_contain_text("已办结")

    # then the resident is asked to rate, by inbox and by text
    assert any(
        to == RESIDENT_PHONE and "请评价" in text for to, text in ConsoleSmsBackend.outbox
    ), ConsoleSmsBackend.outbox

    # when the resident opens the message, reads the timeline and rates it
    become(phone, cast, "resident")
    open_nav(phone, "消息")
    expect(page).to_have_url(phone.url("/cases/inbox/"))
    message = page.get_by_test_id("inbox").get_by_role("link", name=re.compile("请评价"))
    expect(message).to_contain_text(case.number)
    phone.check("resident-inbox")
    message.click()
    expect(page).to_have_url(phone.url(f"/cases/{case.pk}/"))
    timeline = page.get_by_test_id("timeline")
    for step in ("上报", "受理", "派单", "签收", "办结"):
        expect(timeline).to_contain_text(step)
    expect(timeline).to_contain_text("已清运垃圾并冲洗地面")
    expect(timeline).not_to_contain_text(cast.handler.display_name)  # staff names hidden
    expect(page.get_by_test_id("reporter")).to_have_count(0)  # staff-only details hidden
    phone.check("resident-timeline")
    rate = page.get_by_test_id("rate-form")
    rate.get_by_label("已解决").check()
    rate.get_by_label("满意", exact=True).check()
    rate.locator("select[name=score]").select_option("5")
    rate.locator("input[name=comment]").fill("处理很及时，谢谢")
    act(phone, "act-rate", "rated")
    expect(page.get_by_test_id("case-status")).to_contain_text("已关闭")
    expect(page.get_by_test_id("rating")).to_contain_text("已解决 · 满意 · 5/5")
    expect(timeline).to_contain_text("回访评价")

    # then the operator's statistics moved: 1 of 2 on time, solved, satisfied
    become(phone, cast, "operator")
    open_nav(phone, "诉求统计")
    expect(page).to_have_url(phone.url("/cases/stats/"))
    phone.check("stats-after")
    after = rate_cards(page)
    assert after == {
        "响应率": ("50.0%", "1/2"),
        "解决率": ("50.0%", "1/2"),
        "满意率": ("50.0%", "1/2"),
    }, after
    # and the table of rates reads on the phone without scrolling sideways
    widths = page.get_by_test_id("rate-table").evaluate(
        "t => [t.scrollWidth, t.parentElement.clientWidth]"
    )
    assert widths[0] <= widths[1], f"the rate table is wider than the screen: {widths}"
    case.refresh_from_db()
    assert case.status == Status.CLOSED and case.responded_in_time is True
    assert (case.is_solved, case.is_satisfied, case.rating_score) == (True, True, 5)


# --- 2. an overdue case escalates by itself ------------------------------------------------


def test_an_overdue_case_escalates_by_itself_to_the_town_supervisor(phone, cast):
    page = phone.page

    # given a case dispatched to 城管 whose sign-for and resolution deadlines have passed
    case = services.case_report(
        actor=cast.resident,
        category_code="env-dumping",
        description="小区后门堆了大量建筑垃圾，一直没人管",
        region_code=cast.grid.code,
    )
    services.case_dispatch(
        actor=cast.operator, case_id=case.pk, department_ids=[cast.department.pk]
    )
    past = timezone.now() - timedelta(hours=2)
    Case.objects.filter(pk=case.pk).update(
        sign_deadline=past, contact_deadline=past, resolve_deadline=past
    )
    CaseAssignment.objects.filter(case=case).update(sign_deadline=past)
    case.refresh_from_db()
    assert not case.is_overdue

    # and the supervisor's board shows nothing to worry about yet
    become(phone, cast, "supervisor")
    staff_login(phone, cast.supervisor.username)
    open_nav(phone, "督办看板")
    expect(page).to_have_url(phone.url("/cases/board/"))
    expect(page.get_by_test_id("board-attention")).to_contain_text("没有超期或吹哨的案件")
    phone.check("board-before")

    # when the periodic sweep runs, as cron or the scheduler runs it — twice, as a restart may
    call_command("cases_sweep")
    call_command("cases_sweep")

    # then the board shows the case 超期 under 籍山镇 and under 城管
    page.reload()
    phone.check("board-after")
    attention = page.get_by_test_id("board-attention")
    item = attention.get_by_role("link").filter(has_text="乱堆乱放")
    expect(item).to_have_count(1)
    expect(item.get_by_test_id("overdue")).to_have_text("超期")
    town_row = page.get_by_test_id("board-towns").locator("tr", has_text="籍山镇")
    expect(town_row.locator("td").nth(2)).to_have_text("1")
    department_row = page.get_by_test_id("board-departments").locator("tr", has_text="城管")
    expect(department_row.locator("td").nth(3)).to_have_text("1")  # 签收超期
    expect(department_row.locator("td").nth(4)).to_have_text("1")  # 办理超期

    # and the supervisor's inbox holds each notice once, however often the sweep ran
    open_nav(phone, "消息")
    expect(page).to_have_url(phone.url("/cases/inbox/"))
    inbox = page.get_by_test_id("inbox")
    expect(
        inbox.get_by_role("link", name=re.compile(f"办结超期：案件 {case.number}"))
    ).to_have_count(1)
    expect(
        inbox.get_by_role("link", name=re.compile(f"签收超期：案件 {case.number}"))
    ).to_have_count(1)
    phone.check("supervisor-inbox")

    # and the case page says so to the supervisor, with the system's own step in the history
    inbox.get_by_role("link", name=re.compile("办结超期")).click()
    expect(page).to_have_url(phone.url(f"/cases/{case.pk}/"))
    expect(page.get_by_test_id("case-status").get_by_test_id("overdue")).to_have_text("超期")
    expect(page.get_by_test_id("timeline")).to_contain_text("超过办结时限，已上报上级督办")
    expect(page.get_by_test_id("actions")).to_contain_text("督办")
    phone.check("supervisor-case")
    case.refresh_from_db()
    assert case.resolve_overdue and case.sign_overdue and case.escalation_level == 1
    assert case.responded_in_time is False
