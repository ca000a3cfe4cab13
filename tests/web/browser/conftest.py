"""Browser tests: Playwright's sync API driving Debian's Chromium against pytest-django's
`live_server` (a transactional database: create the data, then drive the pages).

Fixtures for every page area (keep their names):
    browser                 the session's Chromium
    page                    a fresh context and page at 1280x800, `base_url` = live_server.url:
                            `page.goto("/signup/")`; fails the test on any console message about
                            the Content Security Policy, and on any uncaught script error
    phone_page              the same at 390x844, a mobile, touch viewport
    sign_in(page, user)     signs `user` in on that page's context (a session cookie)
    axe_check(page)         asserts axe-core finds no WCAG 2.0/2.1 A or AA violation
    screenshot(page, name)  writes docs/screenshots/<name>-<width>.png (the full page)

Without Chromium (/usr/bin/chromium or $CHROMIUM) the tests skip, saying why; with CI=true
they fail instead (.ci/run installs it).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

# Playwright's sync API runs an event loop in this thread; Django's ORM would refuse to work
# under it. The tests' own queries are made between browser steps, never concurrently.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
SCREENSHOTS = Path(__file__).resolve().parents[3] / "docs" / "screenshots"
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    if not Path(CHROMIUM).is_file():
        reason = f"Chromium is missing at {CHROMIUM} (apt-get install chromium, or set CHROMIUM)"
        if IN_CI:
            pytest.fail(f"CI must run the browser tests: {reason}")
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield chromium
        chromium.close()


def _open(browser: Any, live_server: Any, **options: Any) -> Iterator[Any]:
    context = browser.new_context(base_url=live_server.url, **options)
    context.set_default_timeout(10_000)
    page = context.new_page()
    problems: list[str] = []
    page.on(
        "console",
        lambda message: (
            problems.append(f"console {message.type}: {message.text}")
            if "Content Security Policy" in message.text
            else None
        ),
    )
    page.on("pageerror", lambda error: problems.append(f"script error: {error}"))
    yield page
    context.close()
    assert not problems, "\n".join(problems)


@pytest.fixture
def page(browser: Any, live_server: Any, transactional_db: None) -> Iterator[Any]:
    yield from _open(browser, live_server, viewport=DESKTOP)


@pytest.fixture
def phone_page(browser: Any, live_server: Any, transactional_db: None) -> Iterator[Any]:
    yield from _open(browser, live_server, viewport=PHONE, is_mobile=True, has_touch=True)


@pytest.fixture
def sign_in(live_server: Any) -> Callable[[Any, Any], None]:
    """Signs a user in on a page's browser context with a session made by Django's test
    client (fast; the sign-in form itself is tested in test_accounts.py)."""
    from django.conf import settings
    from django.test import Client

    def _sign_in(page: Any, user: Any) -> None:
        client = Client()
        client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
        cookie = client.cookies[settings.SESSION_COOKIE_NAME]
        page.context.add_cookies(
            [{"name": settings.SESSION_COOKIE_NAME, "value": cookie.value, "url": live_server.url}]
        )

    return _sign_in


@pytest.fixture
def axe_check() -> Callable[[Any], None]:
    """axe-core (shipped by axe-playwright-python) on the page as it is now: no violation of
    WCAG 2.0/2.1 A and AA. Playwright's evaluate is not subject to the page's CSP."""
    from axe_playwright_python.sync_playwright import Axe

    axe = Axe()

    def _check(page: Any) -> None:
        results = axe.run(
            page, options={"runOnly": {"type": "tag", "values": WCAG_TAGS}, "resultTypes": ["violations"]}
        )
        assert results.violations_count == 0, f"{page.url}\n{results.generate_report()}"

    return _check


@pytest.fixture
def screenshot() -> Callable[[Any, str], Path]:
    """The full page as docs/screenshots/<name>-<width>.png (committed: the README links them)."""

    def _shot(page: Any, name: str) -> Path:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        width = page.viewport_size["width"] if page.viewport_size else 0
        path = SCREENSHOTS / f"{name}-{width}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return _shot
