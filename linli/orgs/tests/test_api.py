"""Organisation API over real HTTP: create, list with filters, patch, members."""

import httpx
import pytest

from linli.accounts.models import User
from linli.accounts.services import api_token_create
from linli.orgs.models import Membership, Organisation
from linli.orgs.tests.factories import OrganisationFactory, valid_credit_code

pytestmark = pytest.mark.django_db(transaction=True)


def _client(live_server, region, can_write=True):
    root = User.objects.filter(username="orgs_root").first() or User.objects.create_superuser(
        "orgs_root", password="x"
    )
    _, raw = api_token_create(actor=root, name="t", region=region, can_write=can_write)
    return httpx.Client(
        base_url=live_server.url + "/api/orgs",
        # "Connection: close": no keep-alive socket outlives the test and its live server.
        headers={"Authorization": f"Bearer {raw}", "Connection": "close"},
        timeout=10,
    )


def test_create_list_patch_and_members(live_server, two_towns, community_a):
    api = _client(live_server, two_towns["a"])
    code = valid_credit_code("52340223MJ0000020")
    # when town A registers a social organisation
    response = api.post(
        "/",
        json={
            "region_code": community_a.code,
            "name": "陵阳社区乐龄服务社",
            "kind": "social",
            "credit_code": code,
            "contact_phone": "13912345678",
            "is_regular_service": True,
        },
    )
    # then it answers 201 with the masked phone only
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["credit_code"] == code
    assert body["contact_phone_masked"] == "139****5678"
    assert "13912345678" not in response.text
    assert body["region_name"] == "陵阳社区"
    org_id = body["id"]
    # and the filtered list finds it
    listed = api.get("/", params={"regular": "true", "kind": "social"}).json()
    assert [o["id"] for o in listed["items"]] == [org_id]
    assert api.get("/", params={"brand": "true"}).json()["count"] == 0
    # when it is patched
    patched = api.patch(f"/{org_id}", json={"is_brand": True, "name": "乐龄服务社"})
    assert patched.status_code == 200
    assert patched.json()["is_brand"] is True
    # and a member is added, listed, removed
    added = api.post(
        "/memberships", json={"organisation_id": org_id, "name": "张伟", "role": "leader"}
    )
    assert added.status_code == 201, added.text
    assert added.json()["role_label"] == "负责人"
    members = api.get(f"/{org_id}/members").json()
    assert [m["name"] for m in members] == ["张伟"]
    assert api.delete(f"/memberships/{added.json()['id']}").status_code == 204
    assert Membership.objects.count() == 0


def test_invalid_credit_code_answers_422_and_writes_nothing(live_server, two_towns, community_a):
    api = _client(live_server, two_towns["a"])
    response = api.post(
        "/",
        json={
            "region_code": community_a.code,
            "name": "x",
            "kind": "social",
            "credit_code": "91340223MA2NXXXX0A",
        },
    )
    assert response.status_code == 422
    assert response.json()["code"] == "org_invalid"
    assert "校验位" in response.json()["message"]
    assert Organisation.objects.count() == 0


def test_party_organisation_without_level_answers_422(live_server, two_towns, community_a):
    api = _client(live_server, two_towns["a"])
    response = api.post(
        "/", json={"region_code": community_a.code, "name": "党委", "kind": "party"}
    )
    assert response.status_code == 422
    assert "党组织须填写层级" in response.json()["message"]


def test_departments_route_lists_departments_above_a_community(live_server, two_towns, community_a):
    OrganisationFactory(region=two_towns["county"], name="县卫健委", kind="department")
    OrganisationFactory(region=two_towns["b"], name="三里镇派出所", kind="department")
    api = _client(live_server, community_a)
    names = [d["name"] for d in api.get("/departments").json()["items"]]
    assert names == ["县卫健委"]


def test_list_query_count_does_not_grow_with_rows(
    live_server, two_towns, community_a, django_assert_max_num_queries
):
    from linli.orgs import selectors

    for i in range(20):
        OrganisationFactory(region=community_a, name=f"组织{i}")
    root = User.objects.create_superuser("q_root", password="x")
    with django_assert_max_num_queries(2):  # count + page, relations joined
        rows = list(selectors.organisation_list(root)[:50])
        assert all(r.region.name for r in rows)
    assert len(rows) == 20
