"""Generated over every API route: another town's rows are invisible (404) and unwritable.

Nothing here names a module: a new app's routes are covered as soon as they are mounted,
provided each operation is marked with @scoped_to(Model) (or @not_region_data(reason)) and
the app declares a builder for Model in tests/scoped_builders.py.
"""

from __future__ import annotations

import json

import httpx
import pytest

from linli.accounts.services import api_token_create
from linli.core.testing import scoped_builders
from tests.api_support import ApiOperation, api_operations

OPERATIONS = list(api_operations())


def _token(region, *, can_write=True) -> str:
    from linli.accounts.models import User

    admin = User.objects.filter(is_superuser=True).first() or User.objects.create_superuser(
        "scoping_root", password="x"
    )
    _, raw = api_token_create(actor=admin, name="scoping", region=region, can_write=can_write)
    return raw


def _call(live_server, op: ApiOperation, path: str, token: str, body=None) -> httpx.Response:
    return httpx.request(
        op.method,
        live_server.url + path,
        headers={"Authorization": f"Bearer {token}"},
        json=body if op.method in ("POST", "PUT", "PATCH") else None,
        timeout=10,
    )


def test_every_operation_declares_its_scope():
    # given every mounted API operation
    builders = scoped_builders()
    # then each one is marked, and each marked model has a builder for the generated tests
    unmarked = [
        str(op)
        for op in OPERATIONS
        if not hasattr(op.view, "linli_scoped_model")
        and not hasattr(op.view, "linli_unscoped_reason")
    ]
    assert unmarked == [], (
        f"mark these with @scoped_to(Model) or @not_region_data(reason): {unmarked}"
    )
    missing = sorted(
        {
            op.view.linli_scoped_model.__name__
            for op in OPERATIONS
            if hasattr(op.view, "linli_scoped_model")
        }
        - {model.__name__ for model in builders}
    )
    assert missing == [], f"add a ScopedBuilder in <app>/tests/scoped_builders.py for {missing}"


DETAIL_OPS = [op for op in OPERATIONS if op.params and hasattr(op.view, "linli_scoped_model")]
LIST_OPS = [
    op
    for op in OPERATIONS
    if not op.params and op.method == "GET" and hasattr(op.view, "linli_scoped_model")
]
CREATE_OPS = [
    op
    for op in OPERATIONS
    if not op.params and op.method == "POST" and hasattr(op.view, "linli_scoped_model")
]


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("op", DETAIL_OPS, ids=str)
def test_another_towns_row_answers_404(op, two_towns, live_server):
    # given a row in town B, and tokens for town A (read-write) and for the county
    builder = scoped_builders()[op.view.linli_scoped_model]
    instance, _ = builder.make(two_towns["b"])
    path = op.path
    for param in op.params:
        path = path.replace("{" + param + "}", builder.path_value(instance, param))
    town_a_token = _token(two_towns["a"])
    county_token = _token(two_towns["county"])
    body = {} if op.method in ("POST", "PUT", "PATCH") else None
    # when town A asks for it (read or write)
    response = _call(live_server, op, path, town_a_token, body)
    # then it does not exist for town A, with the one error body
    assert response.status_code == 404, response.text
    assert response.json()["code"] and response.json()["message"]
    # and the county, which covers town B, does see it when reading (the 404 is scoping)
    if op.method == "GET":
        assert _call(live_server, op, path, county_token).status_code == 200


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("op", LIST_OPS, ids=str)
def test_lists_never_show_another_towns_rows(op, two_towns, live_server):
    # given one row in each town
    builder = scoped_builders()[op.view.linli_scoped_model]
    _, marker_a = builder.make(two_towns["a"])
    _, marker_b = builder.make(two_towns["b"])
    # when town A lists (largest page)
    response = _call(live_server, op, op.path + "?page_size=500", _token(two_towns["a"]))
    # then its own row is there and town B's is not
    assert response.status_code == 200, response.text
    text = json.dumps(response.json(), ensure_ascii=False)
    assert marker_a in text
    assert marker_b not in text


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("op", CREATE_OPS, ids=str)
def test_creating_in_another_town_is_refused(op, two_towns, live_server):
    builder = scoped_builders()[op.view.linli_scoped_model]
    if builder.create_payload is None:
        pytest.fail(f"{op}: give the ScopedBuilder a create_payload")
    model = op.view.linli_scoped_model
    before = model.objects.count()
    # when town A tries to create a row inside town B
    response = _call(
        live_server, op, op.path, _token(two_towns["a"]), builder.create_payload(two_towns["b"])
    )
    # then it is refused and nothing is written
    assert response.status_code in (403, 404), response.text
    assert model.objects.count() == before
    # and a read-only token of town B is refused too
    response = _call(
        live_server,
        op,
        op.path,
        _token(two_towns["b"], can_write=False),
        builder.create_payload(two_towns["b"]),
    )
    assert response.status_code == 403, response.text
    assert model.objects.count() == before
