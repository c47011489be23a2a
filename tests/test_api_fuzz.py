"""DESIGN §9: no 5xx under schemathesis. Every operation of the API's own OpenAPI document,
with inputs generated from it (valid and invalid), over real HTTP with a county token.

A bounded, repeatable run (`derandomize`): the same examples on every run, so a red CI points
at a change, not at luck. Deeper runs against the demo county: docs/modules/core.md (ADR 0114).
"""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error

from config.api import api
from tests.test_scoping_api import _token

schema = schemathesis.openapi.from_dict(api.get_openapi_schema())


@pytest.fixture
def county_token(two_towns) -> str:
    return _token(two_towns["county"])


@pytest.mark.django_db(transaction=True)
@schema.parametrize()
@settings(
    max_examples=8,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=list(HealthCheck),
)
def test_no_operation_answers_500(case, live_server, county_token):
    response = case.call(
        base_url=live_server.url, headers={"Authorization": f"Bearer {county_token}"}, timeout=10
    )
    case.validate_response(response, checks=[not_a_server_error])
