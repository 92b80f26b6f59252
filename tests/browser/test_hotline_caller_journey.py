"""12345 walked as a caller walks it, on a 390×844 phone: from the home page on only clicks
and types, and every page fits 390 px and 360 px without scrolling sideways.

张三 signs in from the home page, follows the footer's 在线反映, files a 投诉 about a window's
attitude and notes the ticket number and lookup code. The hotline centre and 人社 work it
(set up with the service functions: dispatch, sign, answer, finish — the staff's pages are
walked elsewhere). Signed out, 张三 follows the footer's 查询进度, types the number and code,
reads the reply and rates it 满意 with a comment; the page thanks him and offers no second
rating.
"""

from __future__ import annotations

import re

import pytest

from tests.browser.walking import click, sign_in, sign_out

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]

COMPLAINT = "12月3日上午在市政务服务中心社保窗口办理业务，工作人员态度生硬，不耐烦解释"
REPLY = "经核实，已对该窗口工作人员批评教育，并开展文明服务培训"


def _staff_work(number: str) -> None:
    """The centre dispatches to 人社, 人社 signs and answers, the centre finishes it."""
    from onething.accounts.models import User
    from onething.hotline import service

    operator = User.objects.get(username="jiexian")
    handler = User.objects.get(username="chengban_renshe")
    department = handler.staff_roles.get().department
    ticket = service.dispatch(number, operator, roles={"operator"}, department=department.pk)
    ticket = service.sign(ticket, handler, roles={"handler"})
    ticket = service.answer(ticket, handler, roles={"handler"}, reply=REPLY)
    service.finish(ticket, operator, roles={"operator"})


def test_a_caller_files_online_follows_by_code_and_rates(phone_page, live_server, demo, screenshot):
    from onething.hotline.models import Ticket

    page = phone_page
    sign_in(page, live_server, "zhangsan", first=True)
    click(page, page.locator("footer").get_by_role("link", name="在线反映"))
    assert page.get_by_role("heading", level=1).inner_text() == "在线反映"
    assert "涉诉事项" in page.inner_text("#not-taken")

    page.get_by_role("radio", name=re.compile("^投诉")).check()
    page.get_by_label("所属区划").select_option("430600")
    page.get_by_label("诉求内容").fill(COMPLAINT)
    screenshot(page, "hotline-new")
    click(page, page.get_by_role("button", name="提交诉求"))
    assert page.get_by_role("heading", level=1).inner_text() == "诉求已提交"
    number = page.inner_text("#ticket-number").strip()
    code = page.inner_text("#lookup-code").strip()
    assert re.fullmatch(r"12345-\d{8}-\d{6}", number) and re.fullmatch(r"[A-Z0-9]{6}", code)
    assert "只显示这一次" in page.inner_text("#code-once")
    screenshot(page, "hotline-filed")
    ticket = Ticket.objects.get(number=number)
    assert ticket.category == "complaint" and ticket.caller.username == "zhangsan"

    _staff_work(number)

    sign_out(page)
    click(page, page.locator("footer").get_by_role("link", name="查询进度"))
    page.get_by_label("工单编号").fill(number)
    page.get_by_label("查询码").fill(code.lower())
    click(page, page.get_by_role("button", name="查询"))
    assert page.inner_text("#ticket-number").strip() == number
    assert page.inner_text("#ticket-status") == "已办结"
    assert REPLY in page.inner_text("#reply")
    steps = page.locator("#progress strong").all_inner_texts()
    assert steps == ["受理", "派单", "签收", "答复", "办结"]
    screenshot(page, "hotline-follow")

    form = page.locator("#rate-form")
    form.get_by_label("满意", exact=True).check()
    form.get_by_label("评价意见").fill("答复清楚，态度改进了")
    click(page, form.get_by_role("button", name="提交评价"))
    assert "感谢您的评价" in page.inner_text("#messages")
    assert page.inner_text("#rated-level") == "满意"
    assert page.locator("#rate-form").count() == 0
    screenshot(page, "hotline-rated")
    ticket.refresh_from_db()
    assert ticket.score == 4 and ticket.rating_comment == "答复清楚，态度改进了"
