"""API tokens: generated once, shown once, stored as a SHA-256 digest.

A token found is remembered for `CACHE_SECONDS` per process (ADR 0078): the lookup is a
three-table join on every API request, most of an intake's database work. What that costs:

- A revocation or deletion made in *this* process (any `ApiToken` save or delete, through
  the services, the admin or the shell) empties the cache at once.
- One made in *another* process (another gunicorn worker, `manage.py shell`, a bulk
  `update()`) reaches this process when its entry runs out: **a revoked token keeps working
  for at most `CACHE_SECONDS` (30 s) in the other workers.**
- Expiry is checked on every use, cached or not.
- `last_used_at` is written on a lookup, so it may lag use by up to `CACHE_SECONDS` + 60 s.
"""

from __future__ import annotations

import hashlib
import secrets
import time
from typing import Any

from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.utils import timezone

from linli.accounts.models import ApiToken

TOKEN_PREFIX = "lnl_"
CACHE_SECONDS = 30.0

# digest → (monotonic time found, token). Only live tokens are kept, so it holds at most
# one entry per issued token; entries are replaced whole (safe across threads).
_cache: dict[str, tuple[float, ApiToken]] = {}


def token_digest(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def token_generate() -> str:
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def api_token_authenticate(raw: str) -> ApiToken | None:
    """The live token for a raw key, or None (unknown, revoked or expired)."""
    digest = token_digest(raw)
    now = timezone.now()
    hit = _cache.get(digest)
    if hit is not None and time.monotonic() - hit[0] < CACHE_SECONDS:
        cached = hit[1]
        if cached.expires_at is None or cached.expires_at > now:
            return cached
    token = (
        ApiToken.objects.select_related("region", "created_by")
        .filter(key_hash=digest, revoked_at__isnull=True)
        .first()
    )
    if token is None or (token.expires_at is not None and token.expires_at <= now):
        _cache.pop(digest, None)
        return None
    # Cheap write, at most once a minute per token, so busy integrations don't hammer the DB.
    if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 60:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now
    _cache[digest] = (time.monotonic(), token)
    return token


def api_token_cache_clear(**_: Any) -> None:
    """Forget every remembered token (on any token change in this process) — now, and again
    once the change is committed: a request of another thread that read the row between the
    save and the commit would otherwise remember the token as it was."""
    _cache.clear()
    transaction.on_commit(_cache.clear)


post_save.connect(api_token_cache_clear, sender=ApiToken, dispatch_uid="api_token_cache_save")
post_delete.connect(api_token_cache_clear, sender=ApiToken, dispatch_uid="api_token_cache_delete")
