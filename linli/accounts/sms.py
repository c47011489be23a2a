"""Pluggable SMS sending. The console backend prints the message (development, tests)."""

from __future__ import annotations

import logging
from typing import Protocol

from django.conf import settings
from django.utils.module_loading import import_string

logger = logging.getLogger("linli.sms")


class SmsBackend(Protocol):
    def send(self, *, phone: str, message: str) -> None: ...


class ConsoleSmsBackend:
    """Prints the text to the server's log and keeps it in `outbox` (the last 100)."""

    outbox: list[tuple[str, str]] = []

    def send(self, *, phone: str, message: str) -> None:
        type(self).outbox = [*type(self).outbox[-99:], (phone, message)]
        print(f"[短信] 发往 {phone}: {message}", flush=True)
        logger.info("SMS to %s: %s", phone, message)


def sms_send(*, phone: str, message: str) -> None:
    backend: SmsBackend = import_string(settings.SMS_BACKEND)()
    backend.send(phone=phone, message=message)
