"""Generated over every API route: bad input is the client's error (4xx, Chinese), never a 500.

Found by schemathesis against the demo county (DESIGN §9: "no 5xx under schemathesis"): a page
number past what the databases' integers hold, a multipart body without its boundary, and a
JSON null for a field that may not be empty each answered 500. These tests replay each kind of
input on every operation it can reach, so a new route is covered as soon as it is mounted.
"""

from __future__ import annotations

import typing

import httpx
import pytest
from ninja import Schema

from config.api import api
from linli.core.api import MAX_PAGE
from linli.core.testing import scoped_builders
from tests.api_support import ApiOperation, api_operations
from tests.test_scoping_api import _token

pytestmark = pytest.mark.django_db(transaction=True)

OPERATIONS = list(api_operations())
LIST_OPS = [op for op in OPERATIONS if not op.params and op.method == "GET"]
WRITE_OPS = [op for op in OPERATIONS if op.method in ("POST", "PUT", "PATCH")]
PATCH_OPS = [op for op in OPERATIONS if op.method == "PATCH"]


def _request(live_server, method: str, path: str, token: str, **kwargs) -> httpx.Response:
    headers = {"Authorization": f"Bearer {token}", **kwargs.pop("headers", {})}
    return httpx.request(method, live_server.url + path, headers=headers, timeout=10, **kwargs)


def _send_raw(live_server, op, path, two_towns, content_type, *, content) -> httpx.Response:
    """`op` called on `path` by the county with a body of the given type, as sent."""
    return _request(
        live_server,
        op.method,
        path,
        _token(two_towns["county"]),
        headers={"Content-Type": content_type},
        content=content,
    )


def _takes_json(op: ApiOperation) -> bool:
    operation = api.get_openapi_schema()["paths"][op.path][op.method.lower()]
    return "application/json" in operation.get("requestBody", {}).get("content", {})


def _path_in(op: ApiOperation, town) -> str:
    """The operation's path with its parameters filled from a row built inside `town`."""
    if not op.params:
        return op.path
    model = getattr(op.view, "linli_scoped_model", None)
    builder = scoped_builders().get(model) if model else None
    if builder is None:
        pytest.skip(f"{op}: no row to address (not region data)")
    instance, _ = builder.make(town)
    path = op.path
    for param in op.params:
        path = path.replace("{" + param + "}", builder.path_value(instance, param))
    return path


def _assert_client_error(response: httpx.Response, *statuses: int) -> dict:
    assert response.status_code in statuses, (response.status_code, response.text)
    body = response.json()
    assert body["code"] and body["message"], body
    assert any("\u4e00" <= ch <= "\u9fff" for ch in body["message"]), body  # in Chinese
    return body


def test_a_page_past_any_list_is_a_422_and_the_last_allowed_page_is_empty(live_server, two_towns):
    token = _token(two_towns["county"])
    # a page whose offset no 64-bit integer holds (schemathesis sent 343668816415107776)
    response = _request(live_server, "GET", f"/api/cases/?page={10**20}", token)
    body = _assert_client_error(response, 422)
    assert body["code"] == "invalid_input" and "page" in str(body["detail"])
    # the largest page allowed is simply empty
    response = _request(live_server, "GET", f"/api/cases/?page={MAX_PAGE}&page_size=500", token)
    assert response.status_code == 200, response.text
    assert response.json()["items"] == []


@pytest.mark.parametrize("op", LIST_OPS, ids=str)
def test_no_list_answers_500_to_a_huge_page(op, live_server, two_towns):
    response = _request(live_server, "GET", f"{op.path}?page={10**20}", _token(two_towns["county"]))
    # paginated lists refuse the page (422); the others ignore a parameter they do not take
    assert response.status_code in (200, 422), (response.status_code, response.text)


@pytest.mark.parametrize("op", WRITE_OPS, ids=str)
def test_a_multipart_body_without_its_boundary_is_a_client_error(op, live_server, two_towns):
    path = _path_in(op, two_towns["a"])
    response = _send_raw(
        live_server, op, path, two_towns, "multipart/form-data", content=b"--x\r\n"
    )
    # an operation that reads a body refuses it; one that takes none (a close) never reads it
    assert response.status_code < 500, (response.status_code, response.text)
    if response.status_code >= 400:
        _assert_client_error(response, response.status_code)


def _body_schema(op: ApiOperation) -> type[Schema]:
    hints = typing.get_type_hints(op.view)
    schemas = [t for t in hints.values() if isinstance(t, type) and issubclass(t, Schema)]
    assert len(schemas) == 1, f"{op}: expected one body schema, found {schemas}"
    return schemas[0]


@pytest.mark.parametrize("op", PATCH_OPS, ids=str)
def test_a_patch_of_nulls_is_a_422_that_changes_nothing(op, live_server, two_towns):
    path = _path_in(op, two_towns["a"])
    model = op.view.linli_scoped_model
    before = [vars(row).copy() for row in model.objects.order_by("pk")]
    every_field_null = dict.fromkeys(_body_schema(op).model_fields)
    response = _request(
        live_server, "PATCH", path, _token(two_towns["county"]), json=every_field_null
    )
    body = _assert_client_error(response, 422)
    assert body["code"] in ("null_not_allowed", "invalid_input"), body
    after = [vars(row).copy() for row in model.objects.order_by("pk")]
    for row in (*before, *after):
        row.pop("_state")
    assert after == before


def test_a_null_for_a_required_field_names_it_in_chinese(live_server, two_towns):
    from linli.orgs.models import Organisation

    builder = scoped_builders()[Organisation]
    org, _ = builder.make(two_towns["a"])
    response = _request(
        live_server,
        "PATCH",
        f"/api/orgs/{org.pk}",
        _token(two_towns["county"]),
        json={"is_brand": None, "contact_name": None},
    )
    body = _assert_client_error(response, 422)
    assert body["code"] == "null_not_allowed"
    assert body["detail"] == {"fields": ["is_brand"]}
    assert str(Organisation._meta.get_field("is_brand").verbose_name) in body["message"]
    # a null for a text field that may be blank clears it
    response = _request(
        live_server,
        "PATCH",
        f"/api/orgs/{org.pk}",
        _token(two_towns["county"]),
        json={"contact_name": None},
    )
    assert response.status_code == 200, response.text
    org.refresh_from_db()
    assert org.contact_name == ""


def test_a_nul_character_in_a_filter_is_a_422(live_server, two_towns):
    # schemathesis found it on PostgreSQL, whose text cannot hold NUL: a 500 from every list
    # filtering by a text; SQLite matched nothing. Both now refuse it alike.
    response = _request(live_server, "GET", "/api/orgs/?region=34%00", _token(two_towns["county"]))
    body = _assert_client_error(response, 422)
    assert body["code"] == "nul_character"


@pytest.mark.parametrize("op", WRITE_OPS, ids=str)
def test_a_nul_character_in_a_json_body_is_a_422_that_writes_nothing(op, live_server, two_towns):
    path = _path_in(op, two_towns["a"])
    model = getattr(op.view, "linli_scoped_model", None)
    before = model.objects.count() if model else None
    response = _send_raw(
        live_server,
        op,
        path,
        two_towns,
        "application/json",
        content=b'{"name": "a\\u0000b", "description": "\\u0000", "note": "x"}',
    )
    if _takes_json(op):
        body = _assert_client_error(response, 422)
        assert body["code"] == "nul_character", body
    else:  # one that takes no body, or a form or upload, never parses it as JSON
        assert response.status_code < 500, (response.status_code, response.text)
    if model is not None and response.status_code >= 400:
        assert model.objects.count() == before


def test_an_id_past_64_bits_in_a_filter_is_not_a_500(live_server, two_towns):
    # schemathesis: ?household=-993736206188864471040 overflowed SQLite's driver (a 500)
    response = _request(
        live_server,
        "GET",
        f"/api/people/residents/?household=-{10**21}",
        _token(two_towns["county"]),
    )
    if response.status_code == 200:  # PostgreSQL compares it as a number: no such household
        assert response.json()["items"] == []
    else:
        body = _assert_client_error(response, 422)
        assert body["code"] == "invalid_value"


def test_a_body_that_is_not_json_says_so_in_chinese(live_server, two_towns):
    response = _request(
        live_server,
        "POST",
        "/api/cases/",
        _token(two_towns["county"]),
        headers={"Content-Type": "application/json"},
        content="{不是 JSON".encode(),
    )
    body = _assert_client_error(response, 400)
    assert body["code"] == "invalid_json"
