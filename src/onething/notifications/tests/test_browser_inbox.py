"""The inbox at phone size, in a real browser: fits 390 px, the header counts unread
messages, and marking read works with JavaScript switched off (plain POST forms)."""

from __future__ import annotations

import pytest
from tests.plugins.browser import PHONE

from onething.notifications.service import notify

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def _overflow(page) -> int:
    return page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")


def _sign_in(page, base: str) -> None:
    page.goto(base + "/login/")
    page.fill("input[name=username]", "zhangsan")
    page.fill("input[name=password]", "onething-demo")
    page.click("main button[type=submit]")


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
def test_inbox_at_phone_size(browser, live_server, demo, screenshot, javascript):
    from django.contrib.auth import get_user_model

    person = get_user_model().objects.get(username="zhangsan")
    for k in range(3):
        notify(
            person,
            "case.accept",
            f"您的办件 430600-20261201-00000{k} 已受理，承诺办结日期：2026年12月15日",
            "请保持电话畅通。",
            f"/cases/430600-20261201-00000{k}/",
        )
    context = browser.new_context(locale="zh-CN", java_script_enabled=javascript, **PHONE)
    errors: list[str] = []
    try:
        page = context.new_page()
        page.on("console", lambda m: m.type == "error" and errors.append(m.text))
        _sign_in(page, live_server.url)
        inbox_link = page.locator(".account .inbox-link")
        assert inbox_link.inner_text().replace("\n", "").startswith("消息3")
        assert inbox_link.is_visible() and _overflow(page) <= 0
        inbox_link.click()
        page.wait_for_url("**/me/notifications/")
        assert page.get_by_role("heading", level=1).inner_text() == "我的消息"
        assert page.locator("#notifications > li.is-unread").count() == 3
        assert _overflow(page) <= 0
        screenshot(page, f"phone-inbox-{'js' if javascript else 'nojs'}")
        page.locator("#notifications > li", has_text="000002").get_by_role("button", name="标为已读").click()
        page.wait_for_load_state()
        assert page.locator("#notifications > li.is-unread").count() == 2
        assert "2" in page.locator(".account .inbox-link .badge").inner_text()
        page.get_by_role("button", name="全部标为已读").click()
        page.wait_for_load_state()
        assert page.locator("#notifications > li.is-unread").count() == 0
        assert page.locator(".account .inbox-link .badge").count() == 0
        page.locator("#notifications > li", has_text="000000").get_by_role("button", name="查看详情").click()
        page.wait_for_url("**/cases/430600-20261201-000000/")
        assert not [e for e in errors if "Content Security Policy" in e], errors
    finally:
        context.close()
