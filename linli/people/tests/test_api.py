"""The people API over real HTTP (tokens), plus query counts through the test client."""

from datetime import date

import httpx
import pytest

from linli.accounts.models import Role, User
from linli.accounts.services import api_token_create
from linli.accounts.tests.factories import user_with_role
from linli.people.models import Household, Resident, ResidentMove
from linli.people.tests.factories import id_number_for, make_household, make_resident


def _token(region, can_write=True) -> str:
    root = User.objects.filter(username="people_root").first() or User.objects.create_superuser(
        "people_root", password="x"
    )
    return api_token_create(actor=root, name="对接系统", region=region, can_write=can_write)[1]


def _call(live_server, method, path, token, body=None) -> httpx.Response:
    return httpx.request(
        method,
        live_server.url + path,
        headers={"Authorization": f"Bearer {token}"},
        json=body,
        timeout=10,
    )


@pytest.mark.django_db(transaction=True)
def test_households_and_residents_are_created_searched_and_changed(live_server, grid_a):
    token = _token(grid_a.parent)
    # when a household and a resident are created
    response = _call(
        live_server,
        "POST",
        "/api/people/households/",
        token,
        {
            "region_code": grid_a.code,
            "number": "A-9",
            "address": "陵阳路99号",
            "phone": "13900001234",
        },
    )
    assert response.status_code == 201, response.text
    household = response.json()
    assert household["phone_masked"] == "139****1234"
    assert "phone" not in household
    number = id_number_for(date(1945, 3, 3), "M")
    response = _call(
        live_server,
        "POST",
        "/api/people/residents/",
        token,
        {
            "household_id": household["id"],
            "name": "张三",
            "gender": "M",
            "birth_date": "1945-03-03",
            "id_number": number,
            "relation": "head",
            "tags": [
                {"tag": "advanced_age"},
                {"tag": "disability", "disability_kind": "physical", "disability_grade": 3},
            ],
        },
    )
    assert response.status_code == 201, response.text
    resident = response.json()
    assert resident["id_number_masked"] == number[:6] + "********" + number[-4:]
    assert resident["region_code"] == grid_a.code
    assert {t["tag"] for t in resident["tags"]} == {"advanced_age", "disability"}
    # then searches find them by pinyin, initials, ID number and tag
    for query in (
        "?q=zhangsan",
        "?q=zs",
        f"?q={number}",
        "?tags=disability&tags=advanced_age",
        "?age_min=79",
    ):
        answer = _call(live_server, "GET", "/api/people/residents/" + query, token).json()
        assert [r["name"] for r in answer["items"]] == ["张三"], query
        assert answer["count"] == 1
    answer = _call(live_server, "GET", "/api/people/households/?q=陵阳路99", token).json()
    assert answer["items"][0]["head_name"] == "张三"
    assert answer["items"][0]["member_count"] == 1
    # and a patch answers the new state
    response = _call(
        live_server,
        "PATCH",
        f"/api/people/residents/{resident['id']}",
        token,
        {"phone": "13600001111"},
    )
    assert response.status_code == 200
    assert response.json()["phone_masked"] == "136****1111"


@pytest.mark.django_db(transaction=True)
def test_invalid_input_answers_422_with_field_messages_in_chinese(live_server, grid_a):
    token = _token(grid_a.parent)
    household = make_household(grid_a)
    response = _call(
        live_server,
        "POST",
        "/api/people/residents/",
        token,
        {
            "household_id": household.pk,
            "name": "",
            "gender": "M",
            "birth_date": "1960-01-01",
            "id_number": "340223196001011230",
            "phone": "123",
        },
    )
    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "resident_invalid"
    assert body["detail"]["fields"]["name"] == "姓名不能为空"
    assert "身份证号" in body["detail"]["fields"]["id_number"]
    assert Resident.objects.count() == 0


@pytest.mark.django_db(transaction=True)
def test_duplicate_id_number_answers_409(live_server, grid_a):
    token = _token(grid_a.parent)
    household = make_household(grid_a)
    number = id_number_for(date(1970, 7, 7), "F")
    make_resident(household, id_number=number, gender="F", birth_date=date(1970, 7, 7))
    response = _call(
        live_server,
        "POST",
        "/api/people/residents/",
        token,
        {
            "household_id": household.pk,
            "name": "李四",
            "gender": "F",
            "birth_date": "1970-07-07",
            "id_number": number,
        },
    )
    assert response.status_code == 409
    assert response.json()["code"] == "resident_id_number_exists"


@pytest.mark.django_db(transaction=True)
def test_moves_status_and_head_over_the_api(live_server, grid_a):
    token = _token(grid_a.parent)
    home = make_household(grid_a, number="H1")
    other = make_household(grid_a, number="H2")
    resident = make_resident(home, name="王五")
    response = _call(
        live_server,
        "POST",
        f"/api/people/residents/{resident.pk}/move",
        token,
        {"to_household_id": other.pk, "moved_on": "2024-05-01", "reason": "分户"},
    )
    assert response.status_code == 200, response.text
    assert response.json()["household_id"] == other.pk
    assert response.json()["moves"][0]["reason"] == "分户"
    response = _call(
        live_server, "PATCH", f"/api/people/households/{other.pk}", token, {"head_id": resident.pk}
    )
    assert response.status_code == 200
    assert response.json()["head_name"] == "王五"
    response = _call(
        live_server,
        "POST",
        f"/api/people/residents/{resident.pk}/status",
        token,
        {"status": "deceased", "happened_on": "2024-06-01"},
    )
    assert response.status_code == 200
    assert response.json()["status"] == "deceased"
    assert Household.objects.get(pk=other.pk).head is None
    assert ResidentMove.objects.filter(resident=resident).count() == 2
    response = _call(live_server, "POST", f"/api/people/residents/{resident.pk}/status", token, {})
    assert response.status_code == 422
    assert response.json()["message"].startswith("状态应为")


@pytest.mark.django_db(transaction=True)
def test_reveal_over_the_api_needs_a_person_and_a_reason(live_server, grid_a, client):
    home = make_household(grid_a)
    resident = make_resident(home, phone="13812345678")
    # a token, even a writing one, never reveals
    response = _call(
        live_server,
        "POST",
        f"/api/people/residents/{resident.pk}/reveal",
        _token(grid_a.parent),
        {"field": "phone", "reason": "对接"},
    )
    assert response.status_code == 403
    assert "13812345678" not in response.text
    # a community worker's session may, with a reason
    worker = user_with_role(Role.COMMUNITY_WORKER, grid_a.parent, username="api_worker")
    client.force_login(worker)
    answer = client.post(
        f"/api/people/residents/{resident.pk}/reveal",
        {"field": "phone"},
        content_type="application/json",
    )
    assert answer.status_code == 422
    assert answer.json()["message"] == "请填写查看原因"
    answer = client.post(
        f"/api/people/residents/{resident.pk}/reveal",
        {"field": "phone", "reason": "回访"},
        content_type="application/json",
    )
    assert answer.json() == {"field": "phone", "value": "13812345678"}


@pytest.mark.django_db(transaction=True)
def test_a_read_only_token_reads_but_does_not_write(live_server, grid_a):
    token = _token(grid_a.parent, can_write=False)
    resident = make_resident(make_household(grid_a))
    assert (
        _call(live_server, "GET", f"/api/people/residents/{resident.pk}", token).status_code == 200
    )
    response = _call(
        live_server, "PATCH", f"/api/people/residents/{resident.pk}", token, {"name": "改"}
    )
    assert response.status_code == 403
    assert Resident.objects.get(pk=resident.pk).name == "张三"


@pytest.mark.django_db
def test_lists_answer_in_a_fixed_number_of_queries(client, grid_a, django_assert_max_num_queries):
    # given 40 residents with tags in 20 households
    households = [make_household(grid_a) for _ in range(20)]
    for n in range(40):
        make_resident(households[n % 20], name=f"居民{n}", tags=("veteran", "dibao"))
    admin = User.objects.create_superuser("q_root", password="x")
    client.force_login(admin)
    # when the whole list is read (session, user, count/ids, rows, tags)
    with django_assert_max_num_queries(7):
        response = client.get("/api/people/residents/?page_size=100")
    assert response.json()["count"] == 40
    assert len(response.json()["items"][0]["tags"]) == 2
    with django_assert_max_num_queries(7):
        response = client.get("/api/people/households/?page_size=100")
    assert response.json()["count"] == 20
    with django_assert_max_num_queries(8):
        response = client.get(f"/api/people/households/{households[0].pk}")
    assert len(response.json()["members"]) == 2
