"""The cases API over real HTTP: intake 201, scoped lists, transitions, 409, errors."""

from __future__ import annotations

import io
import random
from pathlib import Path

import httpx
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from linli.accounts.models import User
from linli.accounts.services import api_token_create
from linli.cases import services
from linli.cases.models import Case, CaseEvent, CasePhoto, Status
from linli.cases.tests.factories import jpeg_bytes, report

pytestmark = pytest.mark.django_db(transaction=True)


def _token(region, can_write=True) -> str:
    root = User.objects.filter(username="api_root").first() or User.objects.create_superuser(
        "api_root", password="x"
    )
    return api_token_create(actor=root, name="12345", region=region, can_write=can_write)[1]


def _call(live_server, method, path, token, **kwargs):
    return httpx.request(
        method,
        live_server.url + path,
        headers={"Authorization": f"Bearer {token}"},
        timeout=10,
        **kwargs,
    )


def test_intake_answers_201_and_the_case(live_server, two_towns, grid_a):
    token = _token(two_towns["a"])
    response = _call(
        live_server,
        "POST",
        "/api/cases/",
        token,
        json={
            "category_code": "fire-passage",
            "description": "消防通道被三辆车堵住",
            "region_code": grid_a.code,
            "reporter_name": "赵女士",
            "reporter_phone": "13811112222",
            "urgency": "urgent",
        },
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["status"] == "reported" and body["status_label"] == "已上报"
    assert body["category_name"] == "消防安全 / 消防通道堵塞"
    assert body["reporter_phone_masked"] == "138****2222"
    assert "13811112222" not in response.text
    assert Case.objects.get(pk=body["id"]).source == "api"


def test_the_intake_answer_is_the_case_as_its_detail_shows_it(live_server, two_towns, grid_a):
    # The 201 body is built without validating it again (CaseOut.of_new): it must say
    # exactly what the validated detail says of the same case.
    token = _token(two_towns["a"])
    created = _call(
        live_server,
        "POST",
        "/api/cases/",
        token,
        json={
            "category_code": "muni-light",
            "description": "路灯不亮已经一周了",
            "lng": 118.333,
            "lat": 30.933,
            "region_code": grid_a.code,
            "reporter_phone": "13811113333",
        },
    )
    assert created.status_code == 201, created.text
    detail = _call(live_server, "GET", f"/api/cases/{created.json()['id']}", token)
    assert detail.status_code == 200
    assert created.json() == detail.json()
    assert created.json()["lng"] == 118.333 and created.json()["region_name"] == grid_a.name


def test_bad_intake_answers_422_in_chinese_and_writes_nothing(live_server, two_towns, grid_a):
    token = _token(two_towns["a"])
    response = _call(
        live_server,
        "POST",
        "/api/cases/",
        token,
        json={"category_code": "env", "description": "x", "region_code": grid_a.code},
    )
    assert response.status_code == 422
    assert response.json()["code"] == "description_too_short"
    response = _call(live_server, "POST", "/api/cases/", token, json={"description": "没有分类"})
    assert response.status_code == 422 and response.json()["message"] == "提交的数据不符合要求"
    assert Case.objects.count() == 0


def test_lists_are_scoped_and_take_few_queries(
    live_server, two_towns, grid_a, resident, django_assert_max_num_queries
):
    for _ in range(5):
        report(resident, grid_a)
    token = _token(two_towns["a"])
    with django_assert_max_num_queries(8):
        response = _call(live_server, "GET", "/api/cases/?page_size=100&status=reported", token)
    assert response.status_code == 200
    assert response.json()["count"] == 5
    other = _call(live_server, "GET", "/api/cases/", _token(two_towns["b"]))
    assert other.json()["count"] == 0


def test_transitions_and_a_stale_version_conflict(live_server, two_towns, grid_a, resident):
    case = report(resident, grid_a)
    token = _token(two_towns["a"])
    path = f"/api/cases/{case.pk}/transitions"
    accepted = _call(live_server, "POST", path, token, json={"action": "accept", "version": 1})
    assert accepted.status_code == 200 and accepted.json()["status"] == "accepted"
    stale = _call(
        live_server,
        "POST",
        path,
        token,
        json={"action": "reject", "version": 1, "reason": "invalid", "note": "无效"},
    )
    assert stale.status_code == 409
    assert stale.json()["code"] == "case_changed"
    unknown = _call(live_server, "POST", path, token, json={"action": "fly"})
    assert unknown.status_code == 422 and unknown.json()["code"] == "action_unknown"
    read_only = _call(
        live_server, "POST", path, _token(two_towns["a"], can_write=False), json={"action": "close"}
    )
    assert read_only.status_code == 403
    events = _call(live_server, "GET", f"/api/cases/{case.pk}/events", token).json()
    assert [e["action"] for e in events] == ["report", "accept"]
    assert Case.objects.get(pk=case.pk).status == Status.ACCEPTED


def test_categories_and_duplicates(live_server, two_towns, grid_a, resident, other_resident):
    first = report(resident, grid_a, lng=118.3336, lat=30.9197)
    second = report(other_resident, grid_a, lng=118.3338, lat=30.9198)
    token = _token(two_towns["a"])
    categories = _call(live_server, "GET", "/api/cases/categories", token).json()
    assert {
        "code": "env",
        "name": "环境卫生",
        "parent_code": None,
        "description": "生活垃圾、卫生死角、乱堆乱放、污水等",
        "is_public": True,
    } in categories
    duplicates = _call(live_server, "GET", f"/api/cases/{second.pk}/duplicates", token).json()
    assert [d["id"] for d in duplicates] == [first.pk]
    assert duplicates[0]["distance_m"] < 250


# --- photos: POST /api/cases/{id}/photos (multipart) ------------------------------------------


def _media_files(settings) -> list:
    root = Path(settings.LINLI_CASE_MEDIA_DIR)
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def _api_case(live_server, token, grid_a) -> int:
    response = _call(
        live_server,
        "POST",
        "/api/cases/",
        token,
        json={
            "category_code": "env-garbage",
            "description": "小区门口垃圾三天没人清运",
            "region_code": grid_a.code,
        },
    )
    assert response.status_code == 201, response.text
    return response.json()["id"]


def test_a_photo_with_gps_is_accepted_and_shown_without_it(
    live_server, two_towns, grid_a, settings
):
    # given a case an integration reported, and a phone photo carrying the camera's position
    token = _token(two_towns["a"])
    case_id = _api_case(live_server, token, grid_a)
    photo = jpeg_bytes(size=(120, 90), gps=(118.3336, 30.9197))
    with Image.open(io.BytesIO(photo)) as original:
        assert original.getexif().get_ifd(0x8825)  # the upload does carry GPS
    # when it sends the photo, multipart, with the same token
    response = _call(
        live_server,
        "POST",
        f"/api/cases/{case_id}/photos",
        token,
        files=[("photos", ("scene.jpg", photo, "image/jpeg"))],
    )
    # then it is stored, the position kept apart for staff
    assert response.status_code == 201, response.text
    [out] = response.json()
    assert out["kind"] == "report" and (out["width"], out["height"]) == (120, 90)
    stored = CasePhoto.objects.get()
    assert stored.exif_lat == pytest.approx(30.9197, abs=1e-3)
    # and the copy anyone may fetch (a public category, as Open311 links it) has no GPS at all
    public = httpx.get(out["url"], timeout=10)
    assert public.status_code == 200 and public.headers["content-type"] == "image/jpeg"
    with Image.open(io.BytesIO(public.content)) as shown:
        assert shown.format == "JPEG"
        assert not shown.getexif().get_ifd(0x8825)
        assert not shown.getexif()
    assert b"TestCam" not in public.content
    # and the timeline and the list show it
    events = _call(live_server, "GET", f"/api/cases/{case_id}/events", token).json()
    assert [e["action"] for e in events] == ["report", "photos"]
    listed = _call(live_server, "GET", f"/api/cases/{case_id}/photos", token).json()
    assert [p["id"] for p in listed] == [out["id"]]
    # and sending the same photo again (a retry) stores nothing twice
    again = _call(
        live_server,
        "POST",
        f"/api/cases/{case_id}/photos",
        token,
        files=[("photos", ("scene.jpg", photo, "image/jpeg"))],
    )
    assert again.status_code == 201 and again.json() == []
    assert CasePhoto.objects.count() == 1


def test_a_text_file_named_jpg_is_refused_and_nothing_stored(
    live_server, two_towns, grid_a, settings
):
    token = _token(two_towns["a"])
    case_id = _api_case(live_server, token, grid_a)
    response = _call(
        live_server,
        "POST",
        f"/api/cases/{case_id}/photos",
        token,
        files=[
            ("photos", ("ok.jpg", jpeg_bytes(), "image/jpeg")),
            ("photos", ("x.jpg", b"#!/bin/sh\necho not an image\n", "image/jpeg")),
        ],
    )
    assert response.status_code == 422
    assert response.json()["code"] == "photo_invalid"
    assert response.json()["message"] == "文件不是有效的图片，请重新拍照上传"  # as on the pages
    assert CasePhoto.objects.count() == 0
    assert _media_files(settings) == []
    assert CaseEvent.objects.filter(case_id=case_id, action="photos").count() == 0
    # and a request without any photo says what is missing
    empty = _call(live_server, "POST", f"/api/cases/{case_id}/photos", token, data={"x": "1"})
    assert empty.status_code == 422 and empty.json()["message"] == "请选择要上传的照片"


def test_ten_photos_at_once_or_over_nine_on_a_case_are_refused(
    live_server, two_towns, grid_a, settings
):
    token = _token(two_towns["a"])
    case_id = _api_case(live_server, token, grid_a)
    path = f"/api/cases/{case_id}/photos"
    ten = [
        ("photos", (f"{i}.jpg", jpeg_bytes(color=(i * 20, 100, 100)), "image/jpeg"))
        for i in range(10)
    ]
    response = _call(live_server, "POST", path, token, files=ten)
    assert response.status_code == 422
    assert response.json()["message"] == "每次最多上传 9 张照片"  # the pages' message
    assert CasePhoto.objects.count() == 0 and _media_files(settings) == []
    # nine in one go are fine; a tenth later is refused (nine per case's report)
    assert _call(live_server, "POST", path, token, files=ten[:9]).status_code == 201
    tenth = _call(live_server, "POST", path, token, files=ten[9:])
    assert tenth.status_code == 422 and tenth.json()["code"] == "too_many_photos"
    assert "最多 9 张" in tenth.json()["message"]
    assert CasePhoto.objects.count() == 9 and len(_media_files(settings)) == 9


def test_too_large_a_photo_is_refused(live_server, two_towns, grid_a, settings):
    settings.LINLI_CASE_PHOTO_MAX_BYTES = 1024 * 1024
    token = _token(two_towns["a"])
    case_id = _api_case(live_server, token, grid_a)
    noise = Image.frombytes("RGB", (700, 700), random.Random(7).randbytes(700 * 700 * 3))
    big = io.BytesIO()
    noise.save(big, format="PNG")
    assert big.tell() > 1024 * 1024  # a real image, only too large
    response = _call(
        live_server,
        "POST",
        f"/api/cases/{case_id}/photos",
        token,
        files=[("photos", ("big.png", big.getvalue(), "image/png"))],
    )
    assert response.status_code == 422
    assert response.json()["code"] == "photo_too_large"
    assert response.json()["message"] == "照片不能超过 1 MB"
    assert CasePhoto.objects.count() == 0 and _media_files(settings) == []


def test_who_cannot_see_or_act_on_a_case_cannot_add_photos(
    live_server, client, two_towns, grid_a, resident, other_resident, settings
):
    case = report(resident, grid_a)
    path = f"/api/cases/{case.pk}/photos"

    def files():
        return [("photos", ("a.jpg", jpeg_bytes(), "image/jpeg"))]

    # another town's token does not see it; a read-only token of its town may not write
    other_town = _call(live_server, "POST", path, _token(two_towns["b"]), files=files())
    assert other_town.status_code == 404
    read_only = _call(
        live_server, "POST", path, _token(two_towns["a"], can_write=False), files=files()
    )
    assert read_only.status_code == 403
    # another resident does not see it (session, through the test client)
    client.force_login(other_resident)
    photo = SimpleUploadedFile("a.jpg", jpeg_bytes(), content_type="image/jpeg")
    assert client.post(path, {"photos": [photo]}).status_code == 404
    # a follower sees it but may not add to another's report
    services.case_follow(actor=other_resident, case_id=case.pk)
    photo.seek(0)
    refused = client.post(path, {"photos": [photo]})
    assert refused.status_code == 403 and refused.json()["code"] == "case_forbidden"
    assert CasePhoto.objects.count() == 0 and _media_files(settings) == []
    # the reporter may, and sees it on their timeline
    client.force_login(resident)
    photo.seek(0)
    assert client.post(path, {"photos": [photo]}).status_code == 201
    events = client.get(f"/api/cases/{case.pk}/events").json()
    assert events[-1]["action"] == "photos" and events[-1]["action_label"] == "补充照片"
    # and once the case is closed, nobody adds to it
    services.case_reject(
        actor=_token_principal(two_towns["a"]), case_id=case.pk, reason="invalid", note="无效诉求"
    )
    photo.seek(0)
    closed = client.post(path, {"photos": [photo]})
    assert closed.status_code == 409
    assert CasePhoto.objects.count() == 1


def _token_principal(region):
    from linli.accounts.models import ApiToken

    _token(region)
    return ApiToken.objects.filter(region=region, can_write=True).latest("id")


# --- handlers' photos: POST /api/cases/{id}/progress and /resolution (multipart) ------------


def test_a_department_handler_reports_progress_and_resolves_with_photos(
    client, resident, grid_a, town_staff_a, department, handler, other_resident
):
    case = report(resident, grid_a)
    services.case_accept(actor=town_staff_a, case_id=case.pk)
    services.case_dispatch(actor=town_staff_a, case_id=case.pk, department_ids=[department.pk])
    services.case_sign(actor=handler, case_id=case.pk)

    def photo(color: tuple[int, int, int]) -> SimpleUploadedFile:
        return SimpleUploadedFile("scene.jpg", jpeg_bytes(color=color), content_type="image/jpeg")

    # a resident may not write a handler's step, whatever they send
    client.force_login(other_resident)
    stranger = client.post(f"/api/cases/{case.pk}/progress", {"note": "假冒进展"})
    assert stranger.status_code in (403, 404)

    client.force_login(handler)
    progress = client.post(
        f"/api/cases/{case.pk}/progress",
        {"note": "已到现场，正在清理", "photos": [photo((200, 10, 10))]},
    )
    assert progress.status_code == 201, progress.content
    assert progress.json()["action"] == "progress"
    # no note: a clear Chinese error and nothing stored
    empty = client.post(f"/api/cases/{case.pk}/progress", {"photos": [photo((10, 200, 10))]})
    assert empty.status_code == 422 and empty.json()["message"] == "请填写进展说明"
    assert CasePhoto.objects.filter(case=case, kind="progress").count() == 1

    case.refresh_from_db()
    stale = client.post(
        f"/api/cases/{case.pk}/resolution",
        {"result": "已清理完毕", "version": case.version - 1, "photos": [photo((1, 2, 3))]},
    )
    assert stale.status_code == 409
    resolved = client.post(
        f"/api/cases/{case.pk}/resolution",
        {
            "result": "垃圾已全部清运，并安排每日巡查",
            "version": case.version,
            "photos": [photo((10, 10, 200)), photo((10, 100, 200))],
        },
    )
    assert resolved.status_code == 200, resolved.content
    assert resolved.json()["status"] == "resolved"
    assert CasePhoto.objects.filter(case=case, kind="result").count() == 2
    # the reporter sees the result photos on the case
    client.force_login(resident)
    kinds = [p["kind"] for p in client.get(f"/api/cases/{case.pk}/photos").json()]
    assert kinds.count("result") == 2


def test_a_token_has_no_inbox_to_mark_read(live_server, two_towns):
    # schemathesis found it: marking with a token (no user behind it) answered 500
    token = _token(two_towns["a"])
    response = _call(
        live_server, "POST", "/api/cases/notifications/read", token, json={"ids": [1, 2]}
    )
    assert response.status_code == 200, response.text
    assert response.json() == {"marked": 0}
    assert _call(live_server, "GET", "/api/cases/notifications", token).json()["items"] == []
