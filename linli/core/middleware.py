"""Request context for the audit log (who and from where), kept in a context variable."""

from __future__ import annotations

import logging
from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import DataError
from django.http import HttpRequest, HttpResponse


@dataclass
class RequestContext:
    user: Any = None
    ip_address: str | None = None


current_request: ContextVar[RequestContext | None] = ContextVar("linli_request", default=None)


def client_ip(request: HttpRequest) -> str | None:
    """The client's address. X-Forwarded-For is trusted only for the number of proxies the
    operator declares (LINLI_TRUSTED_PROXIES): a client can put anything in front of it."""
    proxies = settings.LINLI_TRUSTED_PROXIES
    hops = [h.strip() for h in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if h.strip()]
    if proxies and len(hops) >= proxies:
        return hops[-proxies]
    return request.META.get("REMOTE_ADDR")


class RequestContextMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        context = RequestContext(user=getattr(request, "user", None), ip_address=client_ip(request))
        token = current_request.set(context)
        try:
            return self.get_response(request)
        finally:
            current_request.reset(token)


class ApplicationErrorMiddleware:
    """Renders an ApplicationError raised by a page as a page with its status and message
    (the API renders the same error as JSON through its own handlers)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        from django.shortcuts import render

        from linli.core.errors import ApplicationError

        if isinstance(exception, DataError | OverflowError):
            # A value the database cannot hold or compare — a NUL character in a filter
            # (PostgreSQL), a number past 64 bits — came from the address bar or a form: the
            # visitor's 400, not our 500. Logged, in case a value of ours is the one refused.
            logging.getLogger("linli.pages").warning("value refused by the database: %s", exception)
            exception = ApplicationError(
                "invalid_value",
                "链接或表单中含有无法处理的内容（如空字符或超出范围的数值），请检查后重试",
            )
        if not isinstance(exception, ApplicationError):
            return None
        return render(request, "core/error.html", {"error": exception}, status=exception.status)


class ChosenLanguageMiddleware:
    """Chinese unless the user chose another language with the language switcher (cookie).

    The browser's Accept-Language is ignored on purpose: many office PCs in the county run an
    English-language browser, and their users expect the platform in Chinese."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        from django.utils import translation

        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME, "")
        codes = {code for code, _ in settings.LANGUAGES}
        language = chosen if chosen in codes else settings.LANGUAGE_CODE
        request.LANGUAGE_CODE = language  # type: ignore[attr-defined]
        # override(), not activate(): the thread goes back to its language after the request.
        with translation.override(language):
            response = self.get_response(request)
        response.headers.setdefault("Content-Language", language)
        return response
