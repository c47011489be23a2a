"""Case pages: phone report with photos, desks, detail with its actions, stats, inbox."""

from __future__ import annotations

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from linli.cases import services
from linli.cases.models import Case, CasePhoto, Notification, Status
from linli.cases.tests.factories import jpeg_bytes, report

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


def test_the_second_person_gets_a_clear_409_page(client, resident, grid_a, town_staff_a):
    case = report(resident, grid_a)
    client.force_login(town_staff_a)
    client.post(reverse("cases:act", args=[case.pk, "accept"]), {"version": case.version})
    response = client.post(
        reverse("cases:act", args=[case.pk, "reject"]),
        {"version": case.version, "reason": "invalid", "note": "无效"},
    )
    assert response.status_code == 409
    assert "刚被他人处理" in response.content.decode()


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
