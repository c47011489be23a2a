"""API tokens: generated once, shown once, stored as a SHA-256 digest."""

from __future__ import annotations

import hashlib
import secrets

from django.utils import timezone

from linli.accounts.models import ApiToken

TOKEN_PREFIX = "lnl_"


def token_digest(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def token_generate() -> str:
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def api_token_authenticate(raw: str) -> ApiToken | None:
    """The live token for a raw key, or None (unknown, revoked or expired)."""
    token = (
        ApiToken.objects.select_related("region", "created_by")
        .filter(key_hash=token_digest(raw), revoked_at__isnull=True)
        .first()
    )
    now = timezone.now()
    if token is None or (token.expires_at is not None and token.expires_at <= now):
        return None
    # Cheap write, at most once a minute per token, so busy integrations don't hammer the DB.
    if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 60:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token
