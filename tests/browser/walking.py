"""How the browser tests walk: check that every page fits a phone, click and wait for the page
a click leads to, sign in from the home page, use the main navigation."""

from __future__ import annotations

WIDTHS = (390, 360)


def fits(page) -> None:
    """The page does not scroll sideways at any phone width, and no CSP violation happened."""
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 844})
        sizes = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
        assert sizes[0] <= sizes[1], f"{page.url} 在 {width}px 宽时横向溢出：{sizes}"
    page.set_viewport_size({"width": WIDTHS[0], "height": 844})
    assert not page.console_errors.csp_violations(), page.console_errors


def click(page, locator) -> None:
    """Click and wait for the page it leads to, then check that page."""
    with page.expect_navigation():
        locator.click()
    fits(page)


def sign_in(page, live_server, username: str, *, first: bool = False) -> None:
    """From the home page (typed only the first time): 登录, type, press 登录."""
    if first:
        page.goto(live_server.url + "/")
        fits(page)
    else:
        click(page, page.locator(".brand"))
    click(page, page.locator(".account").get_by_role("link", name="登录"))
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill("onething-demo")
    click(page, page.locator("main").get_by_role("button", name="登录"))
    if page.url.endswith("/admin/"):  # a platform admin lands in the admin site: back to the portal
        click(page, page.get_by_role("link", name="查看站点"))
    assert page.locator(".account").get_by_role("button", name="退出").count() == 1


def sign_out(page) -> None:
    click(page, page.locator(".account").get_by_role("button", name="退出"))


def nav(page, name: str) -> None:
    click(page, page.locator("nav.nav").get_by_role("link", name=name, exact=True))
