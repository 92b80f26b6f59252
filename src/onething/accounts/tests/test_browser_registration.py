"""The account journey at phone size, in a real browser: from the home page to 登录 → 注册, the
SMS code, 我的办件; 退出 back to the home page; a window clerk's login lands on the window
desk. Every page fits 390 px. Only the first page is opened by URL: the rest is clicking."""

from __future__ import annotations

import re

import pytest

from onething.accounts.tests.conftest import id_number

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]

PHONE = "13912345601"
PASSWORD = "xiang-jiang-2026-bei"


def _fits(page) -> None:
    width = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert width[0] <= width[1], f"{page.url} 横向溢出：scrollWidth {width[0]} > innerWidth {width[1]}"
    assert not page.console_errors.csp_violations(), page.console_errors


def test_register_logout_and_clerk_login_at_phone_size(phone_page, live_server, demo, sms, screenshot):
    from django.contrib.auth import get_user_model

    page = phone_page
    page.goto(live_server.url + "/")
    _fits(page)

    page.locator(".account").get_by_role("link", name="登录").click()
    page.wait_for_url("**/login/")
    _fits(page)
    page.get_by_role("link", name="注册", exact=True).click()
    page.wait_for_url("**/register/")
    assert page.get_by_role("heading", level=1).inner_text() == "实名注册"
    _fits(page)

    page.get_by_label("姓名").fill("赵小岳")
    page.get_by_label("公民身份号码").fill(id_number("43060219960808123"))
    page.get_by_label("手机号码").fill(PHONE)
    page.get_by_role("button", name="获取验证码").click()
    page.wait_for_selector("#code-sent")
    assert "验证码已发送至 139****5601" in page.locator("#code-sent").inner_text()
    assert page.get_by_label("姓名").input_value() == "赵小岳"  # what was typed is kept
    _fits(page)
    screenshot(page, "phone-register-code-sent")
    code = sms(PHONE)
    assert code and re.fullmatch(r"[0-9]{6}", code)

    page.get_by_label("短信验证码").fill(code)
    page.get_by_label("设置密码").fill(PASSWORD)
    page.get_by_label("确认密码").fill(PASSWORD)
    page.get_by_role("button", name="注册", exact=True).click()
    page.wait_for_url(re.compile(r"/cases/$"))
    assert page.get_by_role("heading", level=1).inner_text() == "我的办件"
    assert get_user_model().objects.get(username=PHONE).real_name == "赵小岳"
    _fits(page)
    screenshot(page, "phone-register-mine")

    page.locator(".account").get_by_role("button", name="退出").click()
    page.wait_for_url(live_server.url + "/")
    assert "您已安全退出" in page.locator("#messages").inner_text()
    _fits(page)

    page.locator(".account").get_by_role("link", name="登录").click()
    page.wait_for_url("**/login/")
    page.get_by_label("用户名").fill("chuangkou")
    page.get_by_label("密码").fill("onething-demo")
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(re.compile(r"/cases/window/$"))
    _fits(page)
    screenshot(page, "phone-clerk-window")
