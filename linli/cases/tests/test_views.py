"""Case pages: phone report with photos, desks, detail with its actions, stats, inbox."""

from __future__ import annotations

import io
import json
import re
from html.parser import HTMLParser

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from linli.accounts.models import Role
from linli.accounts.tests.factories import user_with_role
from linli.cases import selectors, services
from linli.cases.models import Case, CasePhoto, Notification, Status
from linli.cases.tests.factories import jpeg_bytes, report
from linli.people.models import Resident
from linli.people.tests.factories import make_building, make_household, make_resident
from linli.regions.models import Building, Region

pytestmark = pytest.mark.django_db


def _photo(name="a.jpg", **kwargs):
    return SimpleUploadedFile(name, jpeg_bytes(**kwargs), content_type="image/jpeg")


def test_a_resident_reports_from_the_phone_with_a_photo(client, resident, grid_a):
    client.force_login(resident)
    page = client.get(reverse("cases:report"))
    assert page.status_code == 200
    assert "随手拍" in page.content.decode()
    # when they send a photo taken with the phone's GPS on
    response = client.post(
        reverse("cases:report"),
        {
            "category": "env-garbage",
            "description": "楼下垃圾桶满了三天没人清运",
            "region_code": grid_a.code[:12],
            "urgency": "normal",
            "photos": [_photo(gps=(118.3336, 30.9197))],
        },
    )
    # then the case exists and its page shows the photo and the first step
    case = Case.objects.get()
    assert response.status_code == 302 and response.url == reverse("cases:detail", args=[case.pk])
    photo = case.photos.get()
    assert photo.exif_lat == pytest.approx(30.9197, abs=1e-3)
    # and the stored file carries no EXIF (no position shown to anyone)
    with Image.open(photo.file.open("rb")) as stored:
        assert not stored.getexif()
    detail = client.get(response.url).content.decode()
    assert "上报" in detail and reverse("cases:photo", args=[photo.pk]) in detail
    assert client.get(reverse("cases:photo", args=[photo.pk])).status_code == 200


def test_the_same_report_sent_twice_by_its_reporter_is_registered_once(
    client, resident, other_resident, grid_a
):
    form = {
        "category": "env-garbage",
        "description": "楼下垃圾桶满了三天没人清运",
        "region_code": grid_a.code[:12],
        "urgency": "normal",
    }
    client.force_login(resident)
    first = client.post(reverse("cases:report"), form)
    # a second tap, or a retry after a slow answer: the first case, said so, nothing new
    again = client.post(reverse("cases:report"), form, follow=True)
    case = Case.objects.get()
    assert first.url == reverse("cases:detail", args=[case.pk])
    assert again.redirect_chain[-1][0] == reverse("cases:detail", args=[case.pk])
    assert f"您刚才已提交过相同的问题（案件编号 {case.number}），没有重复登记" in (
        again.content.decode()
    )
    # another text, or the same text from a neighbour, is a report of its own
    client.post(reverse("cases:report"), {**form, "description": "楼下垃圾桶满了，已经溢出来了"})
    client.force_login(other_resident)
    client.post(reverse("cases:report"), form)
    assert Case.objects.count() == 3


def test_a_read_only_leader_is_offered_no_report_form(client, leader, town_staff_a):
    client.force_login(leader)
    desk = client.get(reverse("cases:desk"))
    assert desk.status_code == 200
    assert reverse("cases:report") not in desk.content.decode()
    # the form itself says no before anything is typed
    page = client.get(reverse("cases:report"))
    assert page.status_code == 403
    assert "您的账号不能上报案件（只读角色）" in page.content.decode()
    # while the town's staff keep their 登记案件
    client.force_login(town_staff_a)
    assert reverse("cases:report") in client.get(reverse("cases:desk")).content.decode()
    assert client.get(reverse("cases:report")).status_code == 200


def test_the_grid_workers_queue_shows_the_deadline_the_case_waits_on(
    client, resident, grid_a, town_staff_a, grid_worker
):
    case = report(resident, grid_a)
    case = services.case_dispatch(actor=town_staff_a, case_id=case.pk, worker_id=grid_worker.pk)
    client.force_login(grid_worker)
    queue = client.get(reverse("cases:queue")).content.decode()
    # waiting to be signed for: the sign-for deadline, not the resolution's
    assert f"签收期限 {timezone.localtime(case.sign_deadline):%m-%d %H:%M}" in queue
    assert "办结期限" not in queue
    services.case_sign(actor=grid_worker, case_id=case.pk)
    case.refresh_from_db()
    queue = client.get(reverse("cases:queue")).content.decode()
    assert f"办结期限 {timezone.localtime(case.resolve_deadline):%m-%d %H:%M}" in queue
    assert "签收期限" not in queue


def test_a_report_sent_back_with_an_error_asks_for_the_photos_again(client, resident, grid_a):
    client.force_login(resident)
    fresh = client.get(reverse("cases:report")).content.decode()
    assert 'data-testid="photos-again"' not in fresh
    response = client.post(
        reverse("cases:report"),
        {"category": "env-garbage", "description": "灯坏", "region_code": grid_a.code[:12]},
    )
    page = response.content.decode()
    assert response.status_code == 200 and "问题描述至少" in page
    assert 'data-testid="photos-again"' in page and "请重新选择" in page


def test_statistics_group_by_town_only_for_who_sees_several_towns(
    client, resident, grid_a, community_worker, county_admin
):
    report(resident, grid_a)
    client.force_login(community_worker)
    page = client.get(reverse("cases:stats")).content.decode()
    # a community's worker groups by community: no town row standing for their own cases
    assert 'value="town"' not in page
    assert '<option value="community" selected>' in page
    assert 'value="town"' not in client.get(reverse("cases:stats") + "?by=town").content.decode()
    client.force_login(county_admin)
    page = client.get(reverse("cases:stats")).content.decode()
    assert '<option value="town" selected>' in page


def test_a_fake_image_or_bad_form_changes_nothing(client, resident, grid_a):
    client.force_login(resident)
    fake = SimpleUploadedFile("x.jpg", b"#!/bin/sh\necho not an image", content_type="image/jpeg")
    response = client.post(
        reverse("cases:report"),
        {
            "category": "env",
            "description": "路边有一堆建筑垃圾",
            "region_code": grid_a.code[:12],
            "urgency": "normal",
            "photos": [fake],
        },
    )
    assert response.status_code == 200
    assert "不是有效的图片" in response.content.decode()
    response = client.post(
        reverse("cases:report"), {"category": "", "description": "短", "urgency": "normal"}
    )
    assert "问题描述至少 5 个字" in response.content.decode()
    assert Case.objects.count() == 0
    assert CasePhoto.objects.count() == 0


def test_too_large_a_photo_is_refused(client, resident, grid_a, settings):
    settings.LINLI_CASE_PHOTO_MAX_BYTES = 500
    client.force_login(resident)
    response = client.post(
        reverse("cases:report"),
        {
            "category": "env",
            "description": "路边有一堆建筑垃圾",
            "region_code": grid_a.code[:12],
            "urgency": "normal",
            "photos": [_photo(size=(400, 400))],
        },
    )
    assert "照片不能超过" in response.content.decode()
    assert Case.objects.count() == 0


def test_the_loop_through_the_pages(client, resident, grid_a, town_staff_a, department, handler):
    case = report(resident, grid_a)
    # the operator sees it on the desk and accepts, then dispatches to 城管
    client.force_login(town_staff_a)
    desk = client.get(reverse("cases:desk")).content.decode()
    assert case.number in desk
    client.post(reverse("cases:act", args=[case.pk, "accept"]), {"version": case.version})
    detail = client.get(reverse("cases:detail", args=[case.pk])).content.decode()
    assert "act-dispatch" in detail and "城管" in detail
    client.post(
        reverse("cases:act", args=[case.pk, "dispatch"]),
        {"version": 2, "department_ids": [department.pk], "note": "请尽快处理"},
    )
    assert Case.objects.get(pk=case.pk).status == Status.DISPATCHED
    # the department signs for it on its desk, and resolves it with a photo
    client.force_login(handler)
    assert case.number in client.get(reverse("cases:department")).content.decode()
    client.post(reverse("cases:act", args=[case.pk, "sign"]), {"version": 3})
    client.post(
        reverse("cases:act", args=[case.pk, "resolve"]),
        {"version": 4, "note": "已清运完毕", "photos": [_photo("done.jpg")]},
    )
    case.refresh_from_db()
    assert case.status == Status.RESOLVED
    assert case.photos.filter(kind="result").count() == 1
    # the resident sees the result, not the staff's names, and rates it
    client.force_login(resident)
    page = client.get(reverse("cases:detail", args=[case.pk])).content.decode()
    assert "已清运完毕" in page and "rate-form" in page
    assert handler.display_name not in page
    client.post(
        reverse("cases:act", args=[case.pk, "rate"]),
        {"version": case.version, "is_solved": "1", "is_satisfied": "1", "score": "5"},
    )
    assert Case.objects.get(pk=case.pk).status == Status.CLOSED
    assert case.number in client.get(reverse("cases:mine")).content.decode()


def test_the_second_person_gets_a_clear_409_page(
    client, resident, grid_a, town_staff_a, community_worker
):
    case = report(resident, grid_a)
    client.force_login(town_staff_a)
    client.post(reverse("cases:act", args=[case.pk, "accept"]), {"version": case.version})
    stale = {"version": case.version, "reason": "invalid", "note": "无效"}
    client.force_login(community_worker)
    response = client.post(reverse("cases:act", args=[case.pk, "reject"]), stale)
    assert response.status_code == 409
    assert "刚被他人处理" in response.content.decode()
    # the one who acted, on their own stale page, is told it was them
    client.force_login(town_staff_a)
    response = client.post(reverse("cases:act", args=[case.pk, "reject"]), stale)
    assert response.status_code == 409
    assert "您刚在另一个页面处理过该案件" in response.content.decode()


def test_a_bad_action_input_is_a_message_and_changes_nothing(
    client, resident, grid_a, town_staff_a
):
    case = report(resident, grid_a)
    client.force_login(town_staff_a)
    response = client.post(
        reverse("cases:act", args=[case.pk, "reject"]),
        {"reason": "not_ours", "note": "不归我们"},
        follow=True,
    )
    assert "请告知诉求人办理渠道" in response.content.decode()
    assert Case.objects.get(pk=case.pk).status == Status.REPORTED


def test_pages_are_scoped(client, resident, grid_a, town_staff_b, other_resident):
    case = report(resident, grid_a, photo_uploads=[jpeg_bytes()])
    photo = case.photos.get()
    client.force_login(town_staff_b)
    assert client.get(reverse("cases:detail", args=[case.pk])).status_code == 404
    assert case.number not in client.get(reverse("cases:desk")).content.decode()
    client.force_login(other_resident)
    assert client.get(reverse("cases:detail", args=[case.pk])).status_code == 404
    # photos of a public category are public (Open311), private categories' are not
    client.logout()
    assert client.get(reverse("cases:photo", args=[photo.pk])).status_code == 200
    private = report(resident, grid_a, category_code="dispute-noise", photo_uploads=[jpeg_bytes()])
    assert client.get(reverse("cases:photo", args=[private.photos.get().pk])).status_code == 404


def test_the_desk_lists_in_a_few_queries(
    client, resident, grid_a, town_staff_a, django_assert_max_num_queries
):
    for _ in range(12):
        report(resident, grid_a)
    client.force_login(town_staff_a)
    with django_assert_max_num_queries(20):
        response = client.get(reverse("cases:desk") + "?tab=all")
    assert response.content.decode().count("list-group-item-action") == 12


def test_nearby_duplicates_are_offered_while_reporting(client, resident, other_resident, grid_a):
    report(resident, grid_a, lng=118.3336, lat=30.9197)
    client.force_login(other_resident)
    response = client.get(
        reverse("cases:nearby"), {"category": "env-garbage", "lng": "118.3340", "lat": "30.9199"}
    )
    assert "附近已有相同问题" in response.content.decode()
    far = client.get(
        reverse("cases:nearby"), {"category": "env-garbage", "lng": "118.35", "lat": "30.93"}
    )
    assert "附近已有相同问题" not in far.content.decode()
    other_kind = client.get(
        reverse("cases:nearby"), {"category": "road-damage", "lng": "118.3340", "lat": "30.9199"}
    )
    assert "附近已有相同问题" not in other_kind.content.decode()


def test_a_picked_point_is_named_before_the_report_is_sent(client, resident, grid_a):
    Region.objects.filter(code=grid_a.code[:12]).update(center_lng=118.3336, center_lat=30.9197)
    selectors.region_cache_reset()
    client.force_login(resident)
    where = selectors.region_for_point(118.3340, 30.9199)
    assert where is not None and where.code.startswith(grid_a.code[:12])
    # a point picked before any category: where the case will go, and no duplicates asked
    page = client.get(reverse("cases:nearby"), {"lng": "118.3340", "lat": "30.9199"})
    html = page.content.decode()
    assert page.status_code == 200 and f"所在位置：{where.name}" in html
    assert "附近已有相同问题" not in html
    # a point far from every community says so; no point, no words
    far = client.get(reverse("cases:nearby"), {"lng": "100.0", "lat": "10.0"}).content.decode()
    assert "这个位置不在本县的社区附近" in far and "所在位置" not in far
    for bad in ({}, {"lng": "nan", "lat": "30.9"}, {"lng": "x", "lat": "y"}):
        answer = client.get(reverse("cases:nearby"), bad)
        assert answer.status_code == 200
        assert 'data-testid="place-name"' not in answer.content.decode()


def test_following_a_nearby_case_informs_the_follower(client, resident, other_resident, grid_a):
    case = report(resident, grid_a, lng=118.3336, lat=30.9197)
    client.force_login(other_resident)
    client.post(reverse("cases:follow", args=[case.pk]))
    assert case.number in client.get(reverse("cases:mine")).content.decode()
    assert client.get(reverse("cases:detail", args=[case.pk])).status_code == 200


def test_stats_board_and_inbox(client, resident, grid_a, town_staff_a, department, handler, leader):
    case = report(resident, grid_a)
    services.case_dispatch(actor=town_staff_a, case_id=case.pk, department_ids=[department.pk])
    services.case_sign(actor=handler, case_id=case.pk)
    services.case_resolve(actor=handler, case_id=case.pk, result="已处理")
    services.case_rate(actor=resident, case_id=case.pk, is_solved=True, is_satisfied=False, score=3)
    client.force_login(leader)
    stats = client.get(reverse("cases:stats") + "?by=department").content.decode()
    assert "100.0%" in stats  # responded in time, solved
    assert "0.0%" in stats  # not satisfied
    assert "城管" in stats
    assert client.get(reverse("cases:board")).status_code == 200
    client.force_login(handler)
    inbox = client.get(reverse("cases:inbox")).content.decode()
    assert "新派单" in inbox
    client.post(reverse("cases:inbox_read"))
    assert not Notification.objects.filter(user=handler, read_at__isnull=True).exists()


def test_home_sends_each_role_to_its_place(client, resident, grid_worker, handler, town_staff_a):
    expected = {
        resident: "cases:mine",
        grid_worker: "cases:queue",
        handler: "cases:department",
        town_staff_a: "cases:desk",
    }
    for user, name in expected.items():
        client.force_login(user)
        assert client.get(reverse("cases:home")).url == reverse(name)


def test_a_png_with_transparency_is_accepted(client, resident, grid_a):
    image = Image.new("RGBA", (20, 20), (0, 0, 255, 100))
    out = io.BytesIO()
    image.save(out, format="PNG")
    client.force_login(resident)
    client.post(
        reverse("cases:report"),
        {
            "category": "env",
            "description": "河边有漂浮垃圾",
            "region_code": grid_a.code[:12],
            "urgency": "normal",
            "photos": [SimpleUploadedFile("p.png", out.getvalue(), content_type="image/png")],
        },
    )
    assert CasePhoto.objects.count() == 1


# --- what a resident reads, the inbox, the follow form, where the map opens ---------------------


def test_a_resident_reads_only_what_is_meant_for_them(
    client, resident, grid_a, town_staff_a, department, handler, grid_worker
):
    # given a case accepted, dispatched and signed for with internal notes, then resolved
    case = report(resident, grid_a)
    services.case_accept(actor=town_staff_a, case_id=case.pk, note="内部：核实过，确有此事")
    services.case_dispatch(
        actor=town_staff_a,
        case_id=case.pk,
        department_ids=[department.pk],
        note="内部：请王科长带两人去，别惊动三楼住户",
    )
    services.case_sign(actor=handler, case_id=case.pk, note="内部：明早安排车辆")
    services.case_resolve(actor=handler, case_id=case.pk, result="垃圾已全部清运，已消毒")
    # and another dispatched to a grid worker by name
    other = report(resident, grid_a, description="楼道里堆满了杂物，影响通行")
    services.case_dispatch(actor=town_staff_a, case_id=other.pk, worker_id=grid_worker.pk)
    internal = ("内部：核实过", "内部：请王科长", "内部：明早安排车辆")
    # when the resident opens their case
    client.force_login(resident)
    page = client.get(reverse("cases:detail", args=[case.pk])).content.decode()
    # then they read the steps, the department and the result, and none of the internal notes
    assert "垃圾已全部清运，已消毒" in page and "城管（主办）" in page and "签收" in page
    for note in internal:
        assert note not in page
    assert handler.display_name not in page and town_staff_a.display_name not in page
    # nor the grid worker's name on the other case, only that a grid worker has it
    page = client.get(reverse("cases:detail", args=[other.pk])).content.decode()
    assert grid_worker.display_name not in page and "网格员（主办）" in page
    # and the API tells them no more than the page
    events = client.get(f"/api/cases/{case.pk}/events").json()
    assert [e["note"] for e in events if e["action"] == "dispatch"] == [""]
    assert [e["note"] for e in events if e["action"] == "resolve"] == ["垃圾已全部清运，已消毒"]
    assert {e["actor_label"] for e in events} == {"我", "工作人员"}
    assert all(note not in str(events) for note in internal)
    # while staff still read every note
    client.force_login(town_staff_a)
    staff_page = client.get(reverse("cases:detail", args=[case.pk])).content.decode()
    assert all(note in staff_page for note in internal)


def test_opening_a_message_marks_it_read(client, resident, other_resident, grid_a, town_staff_a):
    case = report(resident, grid_a)
    services.case_reject(actor=town_staff_a, case_id=case.pk, reason="invalid", note="无效诉求")
    message = Notification.objects.get(user=resident)
    assert message.read_at is None
    # another person cannot open (or mark) it
    client.force_login(other_resident)
    assert client.get(reverse("cases:inbox_open", args=[message.pk])).status_code == 404
    message.refresh_from_db()
    assert message.read_at is None
    # when the resident opens it from the inbox
    client.force_login(resident)
    inbox = client.get(reverse("cases:inbox")).content.decode()
    link = reverse("cases:inbox_open", args=[message.pk])
    assert f'href="{link}"' in inbox
    response = client.get(link)
    # then it is read and they are on its case
    assert response.status_code == 302
    assert response.url == reverse("cases:detail", args=[case.pk])
    message.refresh_from_db()
    assert message.read_at is not None
    inbox = client.get(reverse("cases:inbox")).content.decode()
    [item] = re.findall(rf'<a class="([^"]*)" href="{re.escape(link)}">', inbox)
    assert "fw-semibold" not in item  # no longer shown as unread


class _FormNesting(HTMLParser):
    """Records each <form>'s id and the forms open around every <button>."""

    def __init__(self) -> None:
        super().__init__()
        self.open: list[str] = []
        self.nested = False
        self.forms: list[str] = []
        self.buttons: list[tuple[dict, list[str]]] = []

    def handle_starttag(self, tag, attrs):
        if tag == "form":
            self.nested = self.nested or bool(self.open)
            self.open.append(dict(attrs).get("id") or dict(attrs).get("data-testid") or "form")
            self.forms.append(self.open[-1])
        elif tag == "button":
            self.buttons.append((dict(attrs), list(self.open)))

    def handle_endtag(self, tag):
        if tag == "form" and self.open:
            self.open.pop()


def test_the_follow_button_sits_in_the_report_form_without_a_nested_form(
    client, resident, other_resident, grid_a
):
    case = report(resident, grid_a, lng=118.3336, lat=30.9197)
    client.force_login(other_resident)
    page = client.get(reverse("cases:report")).content.decode()
    nearby = client.get(
        reverse("cases:nearby"), {"category": "env-garbage", "lng": "118.3337", "lat": "30.9198"}
    ).content.decode()
    assert "附近已有相同问题" in nearby
    # as the browser builds it: the nearby answer is swapped into #case-nearby, in the form
    marker = '<div id="case-nearby" aria-live="polite">'
    assert marker in page
    built = page.replace(marker, marker + nearby)
    parser = _FormNesting()
    parser.feed(built)
    assert not parser.nested
    [(follow, around)] = [(a, o) for a, o in parser.buttons if a.get("data-testid") == "follow"]
    assert around == ["report-form"]  # shown inside the report form …
    assert follow["form"] == "case-follow-form" in parser.forms  # … submitting its own form
    assert follow["formaction"] == reverse("cases:follow", args=[case.pk])
    # and that form posts, with its CSRF token, to the follow URL
    assert (
        'id="case-follow-form"' in page
        and "csrfmiddlewaretoken" in page.split('id="case-follow-form"')[1].split("</form>")[0]
    )
    client.post(follow["formaction"])
    assert case.followers.filter(user=other_resident).exists()


def _map_config(client) -> dict:
    page = client.get(reverse("cases:report")).content.decode()
    raw = page.split('<script id="case-map-config" type="application/json">')[1].split("</script>")
    return json.loads(raw[0])


def test_the_report_map_opens_on_the_residents_home(client, two_towns, community_a, grid_b):
    # given communities with centres (陵阳 first in the county's list) and a county centre
    Region.objects.filter(pk=community_a.pk).update(center_lng=118.3336, center_lat=30.9197)
    chengqiao = Region.objects.get(code=grid_b.code[:12])
    Region.objects.filter(pk=chengqiao.pk).update(center_lng=118.2500, center_lat=30.8000)
    Region.objects.filter(pk=two_towns["county"].pk).update(center_lng=118.3000, center_lat=30.9000)
    selectors.region_cache_reset()
    # a resident of 澄桥村 whose household lives in a building the registry has placed
    resident = user_with_role(Role.RESIDENT, chengqiao, username="cq", phone="13800000077")
    building = make_building(grid_b, lng=118.2512, lat=30.8011)
    make_resident(make_household(grid_b, building=building), name="李四", phone="13800000077")
    client.force_login(resident)
    config = _map_config(client)
    # then the map opens on their building, not on the county's first community
    assert config["center"] == [118.2512, 30.8011] and config["zoom"] == 17
    # a household without a placed building: their community's centre
    Building.objects.filter(pk=building.pk).update(lng=None, lat=None)
    assert _map_config(client)["center"] == [118.25, 30.8]
    # no household in the registry: the community their account was opened at
    Resident.objects.all().delete()
    assert _map_config(client)["center"] == [118.25, 30.8]
    # nothing placed at all: the county's centre
    Region.objects.filter(pk=chengqiao.pk).update(center_lng=None, center_lat=None)
    selectors.region_cache_reset()
    assert _map_config(client)["center"] == [118.3, 30.9]
    # and the page still offers the phone's position
    assert 'data-testid="locate"' in client.get(reverse("cases:report")).content.decode()


def _region_options(page: str) -> list[str]:
    select = re.search(r'<select name="region_code".*?</select>', page, re.S)
    assert select is not None
    return re.findall(r'<option value="(\d+)"', select.group(0))


def test_a_grid_worker_can_choose_their_grid_when_reporting(client, grid_worker, two_towns):
    grid_a, grid_b = Region.objects.filter(level="grid").order_by("code")
    client.force_login(grid_worker)
    # the grid worker's scope is one grid: it holds no community, so their grid is offered
    assert _region_options(client.get(reverse("cases:report")).content.decode()) == [grid_a.code]
    response = client.post(
        reverse("cases:report"),
        {
            "category": "env-garbage",
            "description": "巡查发现垃圾桶满溢",
            "region_code": grid_a.code,
            "urgency": "normal",
        },
    )
    case = Case.objects.get()
    assert response.status_code == 302 and case.region == grid_a
    assert grid_b.code not in client.get(reverse("cases:report")).content.decode()


def test_a_community_worker_chooses_among_communities(client, community_worker, two_towns):
    client.force_login(community_worker)
    page = client.get(reverse("cases:report")).content.decode()
    assert _region_options(page) == [community_worker.roles.get().region.code]
