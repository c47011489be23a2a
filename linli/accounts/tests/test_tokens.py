"""The API-token lookup and its per-process cache (ADR 0078): fast, and never slow to forget
a token revoked, deleted or expired in this process; at most 30 s late for another process."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest
from django.utils import timezone

from linli.accounts import services, tokens
from linli.accounts.models import ApiToken

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _empty_cache():
    tokens.api_token_cache_clear()
    yield
    tokens.api_token_cache_clear()


@pytest.fixture
def issued(county_admin, town_a):
    token, raw = services.api_token_create(
        actor=county_admin, name="12345 平台", region=town_a, can_write=True
    )
    return token, raw


def test_a_token_found_is_remembered(issued, django_assert_num_queries):
    token, raw = issued
    with django_assert_num_queries(2):  # the lookup, and last_used_at once a minute
        assert tokens.api_token_authenticate(raw).pk == token.pk
    # when it is used again: no query at all
    with django_assert_num_queries(0):
        again = tokens.api_token_authenticate(raw)
    assert again.pk == token.pk and again.region.code == token.region.code
    assert again.created_by.username == "county_admin"
    # and unknown keys are never remembered
    with django_assert_num_queries(1):
        assert tokens.api_token_authenticate("lnl_unknown") is None


def test_revoking_in_this_process_takes_effect_at_once(issued, county_admin):
    token, raw = issued
    assert tokens.api_token_authenticate(raw) is not None  # now remembered
    services.api_token_revoke(actor=county_admin, token_id=token.pk)
    assert tokens.api_token_authenticate(raw) is None


def test_deleting_in_this_process_takes_effect_at_once(issued):
    token, raw = issued
    assert tokens.api_token_authenticate(raw) is not None
    ApiToken.objects.get(pk=token.pk).delete()
    assert tokens.api_token_authenticate(raw) is None


def test_expiry_is_checked_on_every_use(issued, monkeypatch):
    token, raw = issued
    ApiToken.objects.filter(pk=token.pk).update(expires_at=timezone.now() + timedelta(seconds=5))
    assert tokens.api_token_authenticate(raw) is not None  # remembered with its expiry
    later = timezone.now() + timedelta(seconds=6)
    monkeypatch.setattr(tokens.timezone, "now", lambda: later)
    assert tokens.api_token_authenticate(raw) is None


def test_another_process_revoking_takes_effect_within_the_cache_lifetime(issued, monkeypatch):
    token, raw = issued
    assert tokens.api_token_authenticate(raw) is not None
    # given a revocation this process does not hear of (another worker's, or a bulk update)
    ApiToken.objects.filter(pk=token.pk).update(revoked_at=timezone.now())
    # then the remembered token still works — within the cache's lifetime only
    assert tokens.api_token_authenticate(raw) is not None
    found_at = tokens._cache[tokens.token_digest(raw)][0]
    monkeypatch.setattr(tokens.time, "monotonic", lambda: found_at + tokens.CACHE_SECONDS)
    assert tokens.api_token_authenticate(raw) is None
    assert tokens.CACHE_SECONDS <= 30  # the bound ADR 0078 promises


@pytest.mark.django_db(transaction=True)
def test_a_revoked_token_is_refused_by_the_api_at_once(live_server, county_admin, town_a):
    token, raw = services.api_token_create(
        actor=county_admin, name="城市平台", region=town_a, can_write=False
    )
    headers = {"Authorization": f"Bearer {raw}"}
    url = live_server.url + "/api/cases/categories"
    assert httpx.get(url, headers=headers, timeout=10).status_code == 200
    assert httpx.get(url, headers=headers, timeout=10).status_code == 200  # from the cache
    services.api_token_revoke(actor=county_admin, token_id=token.pk)
    refused = httpx.get(url, headers=headers, timeout=10)
    assert refused.status_code == 401 and refused.json()["code"] == "unauthenticated"
