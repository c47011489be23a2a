"""Playwright fixtures: Debian's Chromium as a phone, offline, with CSP and console watched.

Every test gets a fresh browser context shaped like a cheap phone (375×812, touch, zh-CN).
The context refuses every request that leaves the machine and remembers it: the platform
must work on a government intranet without internet (DESIGN §3 "Offline first"). Console
errors, Content Security Policy violations and uncaught script errors fail the test.

Chromium is never downloaded: the tests drive /usr/bin/chromium (Debian package). If it is
missing the tests fail rather than skip, so that a broken CI image cannot pass silently.
"""

from __future__ import annotations

import glob
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from playwright.sync_api import Browser, ConsoleMessage, Page, Route, sync_playwright

from linli.accounts.sms import ConsoleSmsBackend

CHROMIUM = Path(os.environ.get("LINLI_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PHONE_WIDTH, PHONE_HEIGHT = 375, 812
LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1", "[::1]"}
SCREENSHOT_DIR = Path(settings.BASE_DIR) / "test-artifacts" / "screenshots"
# How Chromium reports a document that answered with an error status.
_STATUS_ERROR = re.compile(r"the server responded with a status of (\d{3})")


@pytest.fixture(scope="package")
def browser() -> Iterator[Browser]:
    """One Chromium for the browser tests, closed when they are done.

    While Playwright's sync API is open it registers its asyncio loop as running on the main
    thread, and Django then refuses the tests' own ORM calls (demo data, flushing the
    database) as "async context". The tests are synchronous code and the live server runs
    in its own thread, so Django's guard is lifted for this package only.
    """
    assert CHROMIUM.exists(), (
        f"Chromium not found at {CHROMIUM}: install Debian's `chromium` package "
        "(the browser tests never download a browser)"
    )
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
            yield browser
            browser.close()
    finally:
        if previous is None:
            del os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"]
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@dataclass
class PageGuard:
    """What went wrong in the page so far: off-machine requests, console and script errors."""

    blocked_requests: list[str] = field(default_factory=list)
    csp_violations: list[str] = field(default_factory=list)
    console_errors: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)
    allowed_statuses: set[int] = field(default_factory=set)
    navigations: list[str] = field(default_factory=list)
    checked_navigations: int = 0

    def allow_status(self, status: int) -> None:
        """A test expects a page to answer with this error status (e.g. 429 on lock-out)."""
        self.allowed_statuses.add(status)

    def on_console(self, message: ConsoleMessage) -> None:
        if message.type != "error":
            return
        text = message.text
        if "Content Security Policy" in text:
            self.csp_violations.append(text)
            return
        status = _STATUS_ERROR.search(text)
        if status and int(status.group(1)) in self.allowed_statuses:
            return
        self.console_errors.append(text)

    def problems(self) -> list[str]:
        return [
            *(f"request to a non-local host: {url}" for url in self.blocked_requests),
            *(f"CSP violation: {text}" for text in self.csp_violations),
            *(f"console error: {text}" for text in self.console_errors),
            *(f"script error: {text}" for text in self.page_errors),
        ]


def _offline_only(guard: PageGuard):  # type: ignore[no-untyped-def]
    def handle(route: Route) -> None:
        url = route.request.url
        parts = urlsplit(url)
        if parts.scheme in {"data", "blob", "about"} or parts.hostname in LOCAL_HOSTS:
            route.continue_()
        else:
            guard.blocked_requests.append(url)
            route.abort("blockedbyclient")

    return handle


@dataclass
class PhoneSession:
    """The page of one test plus the checks that run after every navigation."""

    page: Page
    guard: PageGuard
    test_name: str
    base_url: str
    step_number: int = 0

    def url(self, path: str) -> str:
        return self.base_url + path

    def check(self, step: str) -> None:
        """After a navigation: no horizontal scroll at phone width, a clean console, a shot."""
        page = self.page
        page.wait_for_load_state("load")
        self.step_number += 1
        name = f"{self.test_name}-{self.step_number:02d}-{step}.png"
        SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=SCREENSHOT_DIR / name, full_page=True)
        widths = page.evaluate(
            "[document.documentElement.scrollWidth, document.body ? document.body.scrollWidth : 0]"
        )
        assert max(widths) <= PHONE_WIDTH, (
            f"{page.url} scrolls sideways on a {PHONE_WIDTH}-px phone: "
            f"scrollWidth {widths} (step {step}, see {name})"
        )
        unchecked = self.guard.navigations[self.guard.checked_navigations :]
        assert len(unchecked) <= 1, f"pages visited without a check: {unchecked[:-1]}"
        self.guard.checked_navigations = len(self.guard.navigations)
        assert not self.guard.problems(), "\n".join(self.guard.problems())


@pytest.fixture
def phone(browser: Browser, live_server, request) -> Iterator[PhoneSession]:  # type: ignore[no-untyped-def]
    """A fresh phone-sized, offline browser context on the live server."""
    ConsoleSmsBackend.outbox = []
    guard = PageGuard()
    context = browser.new_context(
        viewport={"width": PHONE_WIDTH, "height": PHONE_HEIGHT},
        is_mobile=True,
        has_touch=True,
        device_scale_factor=2,
        locale="zh-CN",
        timezone_id="Asia/Shanghai",
        base_url=live_server.url,
    )
    context.set_default_timeout(10_000)
    context.route("**/*", _offline_only(guard))
    page = context.new_page()
    page.on("console", guard.on_console)
    page.on("pageerror", lambda error: guard.page_errors.append(str(error)))
    page.on(
        "framenavigated",
        lambda frame: guard.navigations.append(frame.url) if frame == page.main_frame else None,
    )
    # Violations reported by the browser's own event too, in case the console text changes.
    page.add_init_script(
        "document.addEventListener('securitypolicyviolation', function (e) {"
        " console.error('Content Security Policy violation: ' + e.violatedDirective"
        " + ' blocked ' + e.blockedURI); });"
    )
    for stale in SCREENSHOT_DIR.glob(f"{glob.escape(request.node.name)}-*.png"):
        stale.unlink()
    session = PhoneSession(
        page=page, guard=guard, test_name=request.node.name, base_url=live_server.url
    )
    try:
        yield session
    finally:
        context.close()
    assert not guard.problems(), "\n".join(guard.problems())
    unchecked = guard.navigations[guard.checked_navigations :]
    assert not unchecked, f"pages visited without a width/console check: {unchecked}"
