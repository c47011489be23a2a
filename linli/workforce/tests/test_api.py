"""Workforce API over real HTTP: workers, posts, certificates, trainings."""

import httpx
import pytest

from linli.accounts.models import User
from linli.accounts.services import api_token_create
from linli.workforce.models import Position, Training
from linli.workforce.tests.factories import PositionFactory, WorkerFactory

pytestmark = pytest.mark.django_db(transaction=True)


def _client(live_server, region, can_write=True):
    root = User.objects.filter(username="wf_root").first() or User.objects.create_superuser(
        "wf_root", password="x"
    )
    _, raw = api_token_create(actor=root, name="t", region=region, can_write=can_write)
    return httpx.Client(
        base_url=live_server.url + "/api/workforce",
        # "Connection: close": no keep-alive socket outlives the test and its live server.
        headers={"Authorization": f"Bearer {raw}", "Connection": "close"},
        timeout=10,
    )


def test_worker_lifecycle(live_server, two_towns, community_a):
    api = _client(live_server, two_towns["a"])
    # when a worker is registered
    created = api.post(
        "/workers/", json={"region_code": community_a.code, "name": "周敏", "phone": "13700001234"}
    )
    assert created.status_code == 201, created.text
    worker = created.json()
    assert worker["phone_masked"] == "137****1234"
    assert "13700001234" not in created.text
    # and given both leader posts (一肩挑), a certificate and a rotation training
    for kind in ("secretary", "director"):
        assert (
            api.post("/positions", json={"worker_id": worker["id"], "kind": kind}).status_code
            == 201
        )
    cert = api.post(
        "/certificates",
        json={"worker_id": worker["id"], "kind": "social_worker", "issued_on": "2023-06-01"},
    )
    assert cert.status_code == 201, cert.text
    training = api.post(
        "/trainings",
        json={
            "worker_id": worker["id"],
            "course": "履职培训",
            "days": 3,
            "started_on": "2024-04-01",
            "is_rotation": True,
        },
    )
    assert training.status_code == 201, training.text
    # then the detail carries all of it
    detail = api.get(f"/workers/{worker['id']}").json()
    assert sorted(p["kind"] for p in detail["held_posts"]) == ["director", "secretary"]
    assert [c["kind_label"] for c in detail["certificates"]] == ["社会工作师"]
    assert [t["course"] for t in detail["trainings"]] == ["履职培训"]
    # and the list can filter by post
    listed = api.get("/workers/", params={"position": "secretary"}).json()
    assert [w["name"] for w in listed["items"]] == ["周敏"]
    # and a post ends
    post_id = next(p["id"] for p in detail["positions"] if p["kind"] == "director")
    ended = api.post(f"/positions/{post_id}/end", json={})
    assert ended.status_code == 200 and ended.json()["ended_on"]
    assert api.post(f"/positions/{post_id}/end", json={}).status_code == 409
    # and the patch changes fields
    assert (
        api.patch(f"/workers/{worker['id']}", json={"education": "bachelor"}).json()["education"]
        == "bachelor"
    )


def test_a_second_secretary_answers_409(live_server, two_towns, community_a):
    PositionFactory(worker__region=community_a, kind="secretary")
    other = WorkerFactory(region=community_a)
    api = _client(live_server, two_towns["a"])
    response = api.post("/positions", json={"worker_id": other.pk, "kind": "secretary"})
    assert response.status_code == 409
    assert "请先办理其离任" in response.json()["message"]
    assert Position.objects.filter(kind="secretary").count() == 1


def test_training_with_zero_days_answers_422(live_server, two_towns, community_a):
    worker = WorkerFactory(region=community_a)
    api = _client(live_server, two_towns["a"])
    response = api.post(
        "/trainings",
        json={"worker_id": worker.pk, "course": "x", "days": 0, "started_on": "2024-01-01"},
    )
    assert response.status_code == 422
    assert response.json()["message"] == "培训天数应大于 0"
    assert Training.objects.count() == 0


def test_trainings_and_positions_lists(live_server, two_towns, community_a):
    api = _client(live_server, two_towns["a"], can_write=False)
    PositionFactory(worker__region=community_a, kind="child_director", worker__name="儿童主任甲")
    held = api.get("/positions", params={"kind": "child_director"}).json()
    assert [p["worker_name"] for p in held["items"]] == ["儿童主任甲"]
    assert (
        api.get("/trainings", params={"start": "2024-01-01", "end": "2024-12-31"}).json()["count"]
        == 0
    )


def test_worker_list_queries_do_not_grow(
    live_server, two_towns, community_a, django_assert_max_num_queries
):
    from linli.workforce import selectors

    for _ in range(15):
        PositionFactory(worker__region=community_a)
    root = User.objects.create_superuser("q_root", password="x")
    with django_assert_max_num_queries(2):  # workers + their held posts
        rows = list(selectors.worker_list(root)[:50])
        assert all(w.region.name and len(w.held_posts) == 1 for w in rows)
