"""Searching on a phone in a real browser: pinyin typed without switching the input method, the
header's region chooser, other regions folded, and suggestions when nothing matches.

Drives Debian's chromium (never a downloaded browser) through Playwright against the live
server. After ``/`` every page is reached by typing, tapping and pressing Enter, never by URL.
"""

from __future__ import annotations

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.slow]
NONSENSE = "我要办个火箭发射证"


def fits_the_phone(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


@pytest.mark.django_db(transaction=True)
def test_phone_search_pinyin_region_and_no_exact_match(live_server, demo, phone_page):
    page = phone_page
    page.goto(f"{live_server.url}/")
    assert fits_the_phone(page), "首页"

    # pinyin typed into the home search box, submitted with Enter
    page.locator("#home-q").press_sequentially("shebaoka")
    page.locator("#home-q").press("Enter")
    page.wait_for_selector("#results")
    assert "社保卡" in page.locator("#read-as").inner_text()
    titles = page.locator("#results .result-title").all_inner_texts()
    assert titles[0] == "社会保障卡申领" and titles.count("社会保障卡申领") == 1
    first = page.locator("#results > li").first
    assert "岳阳市" in first.locator(".meta").inner_text()  # no region chosen: the city's first
    first.locator("details.other-regions > summary").click()  # the other regions, folded
    assert first.locator("details.other-regions li a", has_text="平江县").is_visible()
    assert fits_the_phone(page), "拼音结果"

    # the header's region chooser: 平江县, then the same search shows 平江县's implementation first
    page.select_option("#region-choice", "430626")
    page.locator(".region-chooser button[type=submit]").click()
    page.wait_for_selector("#preferred-region")
    assert page.locator("#region-choice").input_value() == "430626"
    assert "平江县" in page.locator("#results > li").first.locator(".meta").inner_text()
    assert fits_the_phone(page), "选择地区后"

    # an everyday query nothing matches: said so, with suggestions instead of an empty page
    page.locator("#search-q").fill("")
    page.locator("#search-q").press_sequentially(NONSENSE)
    page.locator("form.search button[type=submit]").click()
    page.wait_for_selector("#no-exact-match")
    assert f"没有找到与“{NONSENSE}”完全匹配的结果" in page.locator("#no-exact-match").inner_text()
    assert page.locator("#suggestions .result-title").count() >= 1
    assert page.locator("#popular .result-title").count() >= 1
    assert fits_the_phone(page), "无完全匹配"
    assert not page.console_errors.csp_violations(), page.console_errors
