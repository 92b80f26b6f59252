"""Halls and the queue walked as people walk them, on a 390×844 phone: each person starts at ``/``
and from then on only clicks and types, and every page fits 390 px and 360 px without
scrolling sideways.

张三 books 综合受理 at 岳阳市政务服务中心 (服务大厅 → the hall → 预约 → a service, a day, a
slot → 确认预约), checks in from 我的预约 (到达签到) and sees his number; the window clerk
chuangkou opens the 叫号台 from the 工作台, presses 呼叫下一位 and gets 张三's number, which the
hall's calling display (a large screen) shows; chuangkou presses 为此人受理, files
出生医学证明办理 for him with the ticket carried along, and the application's page shows it.

The hall is open every day 00:00–24:00 and books without notice so a slot can be booked and
checked in at any hour the suite runs."""

from __future__ import annotations

import re

import pytest

from onething.cases.tests.conftest import form_for
from tests.browser.walking import click, nav, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]

HALL = "yueyang-city-hall"
HALL_NAME = "岳阳市政务服务中心"
ITEM = "430600-WJ-2001-01"  # 出生医学证明办理: filed at the window, materials checked on paper
ZHANG_ID = "430602199001011235"
BIG_SCREEN = {"viewport": {"width": 1920, "height": 1080}}


@pytest.fixture
def open_all_day(demo):
    from onething.directory.models import Hall
    from onething.halls.models import HallPolicy

    hall = Hall.objects.get(code=HALL)
    hall.opening = {"sessions": [["00:00", "24:00"]], "every_day": True}
    hall.save(update_fields=["opening"])
    HallPolicy.objects.update_or_create(hall=hall, defaults={"min_notice_minutes": 0})
    return hall


def _fill_form(page, values: dict) -> None:
    """Every empty form field (``f.*``) with a valid value for its element."""
    for element in page.eval_on_selector_all("[name^='f.']", "els => els.map(e => e.name.slice(2))"):
        field = page.locator(f"[name='f.{element}']")
        if field.input_value():
            continue
        value = str(values[element]).lower() if isinstance(values[element], bool) else str(values[element])
        if field.evaluate("e => e.tagName") == "SELECT":
            field.select_option(value)
        else:
            field.fill(value)


def test_book_arrive_call_display_and_file_from_the_ticket(
    browser, live_server, open_all_day, settings, tmp_path, screenshot
):
    from onething.cases import intake
    from onething.cases.models import Application
    from onething.halls.models import Ticket
    from tests.plugins.browser import PHONE, _page

    settings.PUBLIC_URL = live_server.url
    settings.MEDIA_ROOT = tmp_path / "uploads"

    # 1. 张三 books a slot at the city hall from his phone
    citizen_ctx, page = _page(browser, PHONE)
    sign_in(page, live_server, "zhangsan", first=True)
    nav(page, "服务大厅")
    click(page, page.locator("main").get_by_role("link", name=HALL_NAME).first)
    click(page, page.locator("main").get_by_role("link", name=re.compile("^预约")).first)
    click(page, page.locator("#services").get_by_role("link", name="综合受理"))
    days = page.locator("#days a")
    click(page, days.first)
    if page.locator("#slots a").count() == 0:  # late in the evening: today has no slot left
        click(page, page.locator("#days a").nth(1))
    click(page, page.locator("#slots a").first)
    click(page, page.locator("#confirm").get_by_role("button", name="确认预约"))
    assert "预约成功" in page.locator("main").inner_text()

    # 2. … and checks in from 我的预约 when he arrives: his number
    if page.get_by_role("heading", level=1).inner_text() != "我的预约":
        click(page, page.get_by_role("link", name="我的预约").first)
    click(page, page.locator("#appointments").get_by_role("button", name="到达签到").first)
    ticket = Ticket.objects.get(person__username="zhangsan", status="waiting")
    assert ticket.number in page.locator("main").inner_text()
    screenshot(page, "hall-ticket")

    # 3. the window clerk opens the 叫号台 and calls the next number: 张三's
    clerk_ctx, clerk = _page(browser, PHONE)
    sign_in(clerk, live_server, "chuangkou", first=True)
    nav(clerk, "工作台")
    click(clerk, clerk.locator("#counter-link"))
    click(clerk, clerk.get_by_role("button", name="呼叫下一位"))
    assert clerk.inner_text("#ticket-number") == ticket.number
    visitor = clerk.inner_text("#visitor")
    assert "张三" in visitor and ZHANG_ID not in visitor and "4306**********1235" in visitor
    screenshot(clerk, "hall-counter")

    # 4. the hall's calling display (a large screen) shows it
    screen_ctx, screen = _page(browser, BIG_SCREEN)
    screen.goto(f"{live_server.url}/halls/{HALL}/display/")
    assert ticket.number in screen.locator("main").inner_text()
    assert not screen.console_errors.csp_violations(), screen.console_errors
    screenshot(screen, "hall-display")
    screen_ctx.close()

    # 5. 为此人受理: the clerk files 出生医学证明办理 for him, with the ticket carried along
    click(clerk, clerk.get_by_role("link", name="为此人受理"))
    assert ticket.number in clerk.inner_text("#intake-ticket")
    clerk.locator("#offer-q").fill("出生医学证明")
    click(clerk, clerk.locator("#offer-form").get_by_role("button", name="查找"))
    click(clerk, clerk.locator("#new-intake").get_by_role("link", name=re.compile("出生医学证明办理")).first)
    assert ticket.number in clerk.inner_text("#intake-ticket")
    assert clerk.get_by_label(re.compile("^申请人姓名")).input_value() == "张三"
    if not clerk.get_by_label(re.compile("^申请人公民身份号码")).input_value():
        clerk.get_by_label(re.compile("^申请人公民身份号码")).fill(ZHANG_ID)
    plan = intake.load_plan("item", ITEM, {})
    _fill_form(clerk, form_for([f.as_dict() for f in plan.form]))
    click(clerk, clerk.get_by_role("button", name="提交申请"))
    assert "已收件" in clerk.locator("#messages").inner_text()
    number = clerk.inner_text("#app-number")
    app = Application.objects.get(number=number)
    assert app.ticket_id == ticket.pk and app.window.code == "yy-1" and app.applicant.username == "zhangsan"
    clerk_ctx.close()

    # 6. 张三 sees the application in 我的办件
    nav(page, "我的办件")
    click(page, page.locator("#my-applications li", has_text=number).get_by_role("link").first)
    assert page.inner_text("#app-number") == number
    citizen_ctx.close()
