"""The cases API over real HTTP: intake 201, scoped lists, transitions, 409, errors."""

from __future__ import annotations

import httpx
import pytest

from linli.accounts.models import User
from linli.accounts.services import api_token_create
from linli.cases.models import Case, Status
from linli.cases.tests.factories import report

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
