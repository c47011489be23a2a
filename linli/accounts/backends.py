"""Residents log in with phone number + one-time code (see services.phone_code_verify)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.backends import BaseBackend
from django.http import HttpRequest

from linli.accounts.models import User


class PhoneCodeBackend(BaseBackend):
    def authenticate(  # type: ignore[override]
        self,
        request: HttpRequest | None,
        phone: str | None = None,
        code: str | None = None,
        **kwargs: Any,
    ) -> User | None:
        if not phone or not code:
            return None
        from linli.accounts.services import phone_code_verify

        return phone_code_verify(phone=phone, code=code)

    def get_user(self, user_id: int) -> User | None:
        return User.objects.filter(pk=user_id, is_active=True).first()
