"""Browser-test fixtures: Playwright (Python) driving Debian's chromium, never a downloaded one.

A pytest plugin (loaded from ``addopts``) so every browser test of every app shares ONE
Playwright instance and browser per worker: Playwright's sync API refuses to start a second
instance in a thread where one is running, so per-module browsers fail depending on which
tests a worker happens to run. Use in any test module::

    pytestmark = [pytest.mark.browser, pytest.mark.slow]

    def test_something(phone_page, live_server, demo):
        phone_page.goto(live_server.url + "/")

``live_server`` (pytest-django) implies ``transactional_db``: the database is flushed after
each test, and the ``demo`` fixture re-imports the demo catalog when it is missing.

Without ``/usr/bin/chromium`` the tests are skipped with a message — except in CI (``CI`` set),
where a missing browser is a failure.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
PHONE = {
    "viewport": {"width": 390, "height": 844},
    "is_mobile": True,
    "has_touch": True,
    "device_scale_factor": 2,
}
DESKTOP = {"viewport": {"width": 1280, "height": 900}}
SCREENSHOT_DIR = Path(os.environ.get("ONETHING_SCREENSHOT_DIR", "/tmp/onething-screenshots"))


def _require_chromium() -> None:
    if Path(CHROMIUM).exists():
        return
    message = f"浏览器测试需要 Debian chromium（{CHROMIUM}）：apt-get install chromium"
    if os.environ.get("CI"):
        pytest.fail(message + "（CI 环境中不得跳过）", pytrace=False)
    pytest.skip(message)


@pytest.fixture(scope="session")
def browser(django_db_setup):
    """One headless chromium for the whole session (Debian's binary, never downloaded).

    Depends on ``django_db_setup`` so the test database exists before Playwright starts.
    Playwright's sync API keeps an asyncio loop running in this thread, which makes Django
    refuse ORM calls (``SynchronousOnlyOperation``) in fixtures and in the flush after each
    ``live_server`` test; those calls are synchronous and safe, so while the browser is up
    ``DJANGO_ALLOW_ASYNC_UNSAFE`` is set (and restored when the session ends).
    """
    _require_chromium()
    from playwright.sync_api import sync_playwright

    saved = {k: os.environ.get(k) for k in ("DJANGO_ALLOW_ASYNC_UNSAFE", "PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD")}
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    os.environ["PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD"] = "1"  # never fetch a browser of Playwright's own
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
            try:
                yield browser
            finally:
                browser.close()
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


class ConsoleLog(list):
    """Console errors and page errors seen by a page (CSP violations show up here)."""

    def csp_violations(self) -> list[str]:
        return [m for m in self if "Content Security Policy" in m or "Content-Security-Policy" in m]


def _page(browser, options: dict):
    context = browser.new_context(locale="zh-CN", timezone_id="Asia/Shanghai", **options)
    context.set_default_timeout(15_000)
    page = context.new_page()
    page.console_errors = ConsoleLog()
    page.on("console", lambda m: m.type == "error" and page.console_errors.append(m.text))
    page.on("pageerror", lambda e: page.console_errors.append(str(e)))
    return context, page


@pytest.fixture
def phone_page(browser):
    """A page in a phone-sized context (390×844, touch, ``is_mobile``), locale zh-CN."""
    context, page = _page(browser, PHONE)
    try:
        yield page
    finally:
        context.close()


@pytest.fixture
def desktop_page(browser):
    context, page = _page(browser, DESKTOP)
    try:
        yield page
    finally:
        context.close()


@pytest.fixture
def screenshot():
    """``screenshot(page, "name")`` saves a full-page PNG under $ONETHING_SCREENSHOT_DIR."""

    def take(page, name: str) -> Path:
        SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
        path = SCREENSHOT_DIR / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return take
