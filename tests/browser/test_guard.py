"""The browser fixtures' own checks must be able to fail: prove each one catches its fault."""

from __future__ import annotations

import pytest
from playwright.sync_api import Error as PlaywrightError

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_guard_catches_csp_violations_sideways_scroll_and_off_site_requests(phone):
    page = phone.page
    guard = phone.guard
    page.goto("/accounts/login/")
    phone.check("clean")

    # when the page loads from the internet and runs an inline handler
    page.evaluate(
        "fetch('https://cdn.example.com/lib.js').catch(() => null);"
        "const img = new Image(); img.src = 'http://203.0.113.9/tile.png';"
        "document.body.appendChild(img);"
        "const b = document.createElement('button');"
        "b.setAttribute('onclick', 'window.__ran = true');"
        "document.body.appendChild(b); b.click();"
    )
    # and grows wider than the phone
    page.evaluate(
        "const wide = document.createElement('div'); wide.style.width = '600px';"
        "wide.textContent = 'wide'; document.querySelector('main').appendChild(wide);"
    )
    page.wait_for_timeout(200)

    # then the Content Security Policy blocked all three and the guard heard of each
    violations = "\n".join(guard.csp_violations)
    assert "cdn.example.com" in violations, violations
    assert "203.0.113.9" in violations, violations
    assert "script-src" in violations, violations
    assert page.evaluate("window.__ran === undefined")
    # and the page check fails on the width
    with pytest.raises(AssertionError, match="scrolls sideways"):
        phone.check("faulty")
    guard.csp_violations.clear()
    guard.console_errors.clear()

    # when a link leads off the machine (no CSP directive covers navigation)
    with pytest.raises(PlaywrightError):
        page.goto("https://map.example.com/tiles/")

    # then the route refused it and the guard recorded it
    assert guard.blocked_requests == ["https://map.example.com/tiles/"]
    assert any("request to a non-local host" in p for p in guard.problems())

    # the faults were injected on purpose: leave a clean guard for the fixture's final check,
    # once the browser has finished reporting them (the error page's events arrive late)
    page.wait_for_load_state()
    page.wait_for_timeout(500)
    guard.blocked_requests.clear()
    guard.csp_violations.clear()
    guard.page_errors.clear()
    guard.console_errors.clear()
    guard.checked_navigations = len(guard.navigations)
