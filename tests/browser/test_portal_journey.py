"""Citizen journey at phone size: home → search → a bundle and its elements."""

from __future__ import annotations

import re

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]

BUNDLE = "企业注销一件事"


def _assert_clean(page) -> None:
    """Fits the phone width and no CSP violation or script error happened."""
    overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 0, f"页面横向溢出 {overflow}px"
    assert not page.console_errors.csp_violations(), page.console_errors
    assert not [e for e in page.console_errors if "Error" in e and "404" not in e], page.console_errors


def _assert_bundle_page(page) -> None:
    assert page.get_by_role("heading", level=1).inner_text() == BUNDLE
    members = page.locator("#members .member-title")
    assert members.count() == 5
    assert "清税证明开具" in members.all_inner_texts()
    assert page.get_by_text("当‘企业是否为职工参加了社会保险？’为‘是’时办理").is_visible()
    assert page.locator("#questions li").count() == 4
    materials = page.locator("#materials tbody tr")
    assert materials.count() > 0
    # the materials table reflows into cards: the first cell spans the card
    first = materials.first.locator("td").first.bounding_box()
    assert first is not None and first["width"] > 250


def test_home_search_bundle_at_phone_size(phone_page, live_server, demo, screenshot):
    """Home → type a search → open the bundle from the results → its elements are shown."""
    page = phone_page
    page.goto(live_server.url + "/")
    assert page.title().startswith("一件事")
    assert page.evaluate("typeof htmx") == "object"
    assert page.evaluate("htmx.config.includeIndicatorStyles") is False
    _assert_clean(page)
    screenshot(page, "phone-home")

    search = page.get_by_role("searchbox", name="搜索事项或“一件事”")
    search.fill("企业注销")
    search.press("Enter")
    page.wait_for_url(re.compile(r"/search/\?q="))
    _assert_clean(page)
    screenshot(page, "phone-search")
    page.get_by_role("link", name=BUNDLE, exact=True).first.click()

    page.wait_for_url(re.compile(r"/bundles/430602-YJS-QYZX/$"))
    assert page.get_by_role("heading", level=1).first.inner_text().strip() == BUNDLE
    _assert_bundle_page(page)
    _assert_clean(page)
    screenshot(page, "phone-search-bundle")


def test_home_featured_bundle_item_at_phone_size(phone_page, live_server, demo, screenshot):
    page = phone_page
    page.goto(live_server.url + "/")
    page.locator(".featured-bundles").get_by_role("link", name=BUNDLE).click()
    page.wait_for_url(re.compile(r"/bundles/430602-YJS-QYZX/$"))
    screenshot(page, "phone-bundle")
    _assert_bundle_page(page)
    _assert_clean(page)

    page.locator("#members").get_by_role("link", name="清税证明开具").click()
    page.wait_for_url(re.compile(r"/items/430602-SW-0702-01/$"))
    assert page.get_by_role("heading", level=1).inner_text() == "清税证明开具"
    assert page.get_by_text("实施编码").is_visible()
    assert page.get_by_role("link", name="在线申请").is_visible()
    _assert_clean(page)
    screenshot(page, "phone-item")

    page.goto(live_server.url + "/items/no-such-item/")
    assert page.get_by_role("heading", level=1).inner_text() == "抱歉，没有找到这个页面"
    screenshot(page, "phone-404")


def test_keyboard_skip_link_and_focus(phone_page, live_server, demo):
    page = phone_page
    page.goto(live_server.url + "/departments/")
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="跳到正文")
    assert skip.evaluate("el => el === document.activeElement")
    box = skip.bounding_box()
    assert box is not None and box["y"] >= 0, "跳到正文链接获得焦点时应可见"
    outline = skip.evaluate("el => getComputedStyle(el).outlineStyle")
    assert outline != "none"
    page.keyboard.press("Enter")
    assert page.url.endswith("#main")
