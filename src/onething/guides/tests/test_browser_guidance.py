"""情形引导 in a real browser on a phone: answering questions changes the material list.

Drives Debian's chromium (never a downloaded browser) through Playwright against the live
server; the page is enhanced with htmx, so each answer swaps only the guidance panel.
"""

from __future__ import annotations

import pytest

pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
]


def materials(page) -> list[str]:
    return page.locator("#materials li[data-material]").evaluate_all(
        "els => els.map(e => e.dataset.material)"
    )


@pytest.mark.django_db(transaction=True)
def test_newborn_guidance_on_a_phone(live_server, demo, phone_page):
    page = phone_page
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
    assert not page.console_errors.csp_violations(), page.console_errors
