"""The API's common behaviour over real HTTP: auth, the one error body, CSRF, pagination, docs."""

import httpx
import pytest

from linli.accounts.models import User
from linli.accounts.services import api_token_create, api_token_revoke

pytestmark = pytest.mark.django_db(transaction=True)


def _token(region, can_write=True):
    root = User.objects.filter(username="api_root").first() or User.objects.create_superuser(
        "api_root", password="x"
    )
    return api_token_create(actor=root, name="t", region=region, can_write=can_write)


def _get(live_server, path, token=None, **kwargs):
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return httpx.get(live_server.url + path, headers=headers, timeout=10, **kwargs)


def test_no_credentials_answers_401_with_the_error_body(live_server, two_towns):
    response = _get(live_server, "/api/regions/")
    assert response.status_code == 401
    assert response.json() == {
        "code": "unauthenticated",
        "message": "请先登录或提供有效的 API 令牌",
        "detail": None,
    }


def test_a_revoked_or_unknown_token_answers_401(live_server, two_towns):
    token, raw = _token(two_towns["a"])
    assert _get(live_server, "/api/regions/", raw).status_code == 200
    api_token_revoke(actor=User.objects.get(username="api_root"), token_id=token.pk)
    assert _get(live_server, "/api/regions/", raw).status_code == 401
    assert _get(live_server, "/api/regions/", "lnl_made_up").status_code == 401


def test_tokens_are_stored_hashed(two_towns):
    token, raw = _token(two_towns["a"])
    token.refresh_from_db()
    assert raw not in (token.key_hash, token.key_prefix)
    assert len(token.key_hash) == 64


def test_invalid_input_answers_422_in_chinese(live_server, two_towns):
    _, raw = _token(two_towns["county"])
    response = httpx.post(
        live_server.url + "/api/regions/",
        headers={"Authorization": f"Bearer {raw}"},
        json={"code": "340223100009", "name": "x", "level": "nonsense"},
        timeout=10,
    )
    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "invalid_input"
    assert body["message"] == "提交的数据不符合要求"
    assert body["detail"][0]["loc"][-1] == "level"


def test_a_read_only_token_cannot_write(live_server, two_towns):
    _, raw = _token(two_towns["county"], can_write=False)
    response = httpx.patch(
        live_server.url + "/api/regions/340223100000",
        headers={"Authorization": f"Bearer {raw}"},
        json={"name": "改名"},
        timeout=10,
    )
    assert response.status_code == 403
    assert response.json()["code"] == "read_only"


def test_a_conflicting_create_answers_409(live_server, two_towns):
    _, raw = _token(two_towns["county"])
    response = httpx.post(
        live_server.url + "/api/regions/",
        headers={"Authorization": f"Bearer {raw}"},
        json={
            "code": "340223100000",
            "name": "重复",
            "level": "town",
            "parent_code": "340223000000",
        },
        timeout=10,
    )
    assert response.status_code == 409
    assert response.json()["message"]


def test_lists_are_paginated(live_server, two_towns):
    _, raw = _token(two_towns["county"])
    body = _get(live_server, "/api/regions/?page_size=2&page=2", raw).json()
    assert body["count"] == 7  # county, 2 towns, 2 communities, 2 grids
    assert len(body["items"]) == 2
    assert body["items"][0]["code"] == "340223100001"


def test_session_writes_need_the_csrf_token(live_server, two_towns, password):
    # given a county admin logged in through the browser login form
    from linli.accounts.models import Role
    from linli.accounts.tests.factories import user_with_role

    user_with_role(Role.COUNTY_ADMIN, two_towns["county"], username="boss")
    with httpx.Client(base_url=live_server.url, timeout=10) as browser:
        page = browser.get("/accounts/login/")
        csrf = page.cookies["csrftoken"]
        login = browser.post(
            "/accounts/login/",
            data={"username": "boss", "password": password, "csrfmiddlewaretoken": csrf},
            headers={"Referer": live_server.url + "/accounts/login/"},
        )
        assert login.status_code == 302
        # reading works with the session alone
        assert browser.get("/api/accounts/me").json()["name"]
        # a write without the CSRF header is refused
        patch = browser.patch("/api/regions/340223100000", json={"name": "无令牌"})
        assert patch.status_code == 403
        # and succeeds with it
        token = browser.cookies["csrftoken"]
        patch = browser.patch(
            "/api/regions/340223100000",
            json={"name": "籍山镇"},
            headers={"X-CSRFToken": token, "Referer": live_server.url + "/"},
        )
        assert patch.status_code == 200, patch.text


def test_openapi_documents_the_error_statuses(live_server, two_towns):
    schema = httpx.get(live_server.url + "/api/openapi.json", timeout=10).json()
    assert schema["openapi"].startswith("3.1")
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            assert {"401", "403", "404", "409", "422"} <= set(operation["responses"]), (
                method,
                path,
            )
    error = schema["paths"]["/api/regions/"]["get"]["responses"]["401"]
    assert (
        error["content"]["application/json"]["schema"]["$ref"] == "#/components/schemas/ErrorBody"
    )


def test_docs_are_served_offline(live_server, client, two_towns):
    html = httpx.get(live_server.url + "/api/docs", timeout=10).text
    assert "/static/ninja/swagger-ui-bundle.js" in html
    assert "cdn" not in html.lower()
    assert (
        httpx.get(live_server.url + "/static/ninja/swagger-ui-bundle.js", timeout=10).status_code
        == 200
    )
