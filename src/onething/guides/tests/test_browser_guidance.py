"""情形引导 in a real browser on a phone: answering questions changes the material list.

Drives Debian's chromium (never a downloaded browser) through Playwright against the live
server; the page is enhanced with htmx, so each answer swaps only the guidance panel.
"""

from __future__ import annotations

import shutil

import pytest

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]

pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.skipif(not shutil.which(CHROMIUM), reason="需要 Debian chromium"),
]


@pytest.fixture
def browser_page():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        context = browser.new_context(
            viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True, locale="zh-CN"
        )
        page = context.new_page()
        errors: list[str] = []
        page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
        page.errors = errors
        try:
            yield page
        finally:
            context.close()
            browser.close()


def materials(page) -> list[str]:
    return page.locator("#materials li[data-material]").evaluate_all(
        "els => els.map(e => e.dataset.material)"
    )


@pytest.mark.django_db(transaction=True)
def test_newborn_guidance_on_a_phone(live_server, demo, browser_page):
    page = browser_page
    page.goto(f"{live_server.url}/guide/bundles/430600-YJS-XSECS/")
    assert page.locator(".question-text").inner_text().startswith("父母一方是否为岳阳市户籍")
    before = materials(page)
    assert "household-register" not in before

    page.get_by_role("button", name="是", exact=True).click()  # 本市户籍
    page.wait_for_selector("text=第 2 题，共 4 题")
    after_hukou = materials(page)
    assert len(after_hukou) > len(before)
    assert "a.parents_local_hukou=true" in page.url  # htmx pushed the state into the URL

    page.get_by_role("button", name="否", exact=True).click()  # 未办理结婚登记
    page.wait_for_selector("text=第 3 题，共 4 题")
    assert "non-marital-birth-statement" in materials(page)

    page.get_by_role("button", name="否", exact=True).click()  # 母亲未参加生育保险
    page.wait_for_selector("text=第 4 题，共 4 题")
    page.get_by_role("button", name="是", exact=True).click()  # 申领社保卡
    page.wait_for_selector("#all-answered")
    final = materials(page)
    assert "non-marital-birth-statement" in final
    assert page.locator("#materials .badge-exempt").count() >= 1
    assert page.locator("#members li").count() == 5
    assert page.locator("#reduction").is_visible()
    # change the answer about marriage: the material list follows
    page.locator(".guidance-answers li", has_text="结婚登记").get_by_role("link", name="修改").click()
    page.wait_for_selector("text=第 4 题，共 4 题")
    page.get_by_role("button", name="是", exact=True).click()
    page.wait_for_selector("#all-answered")
    assert "non-marital-birth-statement" not in materials(page)
    assert "marriage-certificate" in materials(page)
    # the page fits the phone: no horizontal scrolling
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
    assert (
        page.locator("#pdf-link")
        .get_attribute("href")
        .startswith("/api/v1/catalog/bundles/430600-YJS-XSECS/guide.pdf?")
    )
    assert not [e for e in page.errors if "Content Security Policy" in e], page.errors
