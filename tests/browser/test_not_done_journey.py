"""办不成事 walked at the hall's window, on a 390×844 phone: 王窗口 (window clerk) signs in from
``/``, opens 办不成事登记, registers an ordinary 办不成事 and reads the "125" commitments — 1
小时内派单 and 办结 on the 2nd working day, as the platform's clocks compute them; 钱接线
(operator) dispatches it within the hour; 市场监管's handler finds it in the queue, reads
the promise and the caller's phone, and signs it."""

from __future__ import annotations

import pytest

from tests.browser.walking import click, nav, sign_in, sign_out

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def test_a_not_done_is_registered_at_the_window_and_dispatched_within_the_hour(
    phone_page, live_server, demo, screenshot
):
    from django.utils import timezone

    from onething.accounts.models import User
    from onething.clocks import service as clocks
    from onething.hotline import deadlines, rules
    from onething.hotline.models import Ticket

    page = phone_page
    sign_in(page, live_server, "chuangkou", first=True)
    nav(page, "我的办件")
    click(page, page.locator("main").get_by_role("link", name="办不成事登记"))
    form = page.locator("#window-form")
    form.get_by_label("普通").check()
    form.get_by_label("反映人姓名").fill("陈女士")
    form.get_by_label("联系电话").fill("13807305678")
    form.get_by_label("办不成的事和原因").fill("个体工商户变更经营范围，窗口说系统不支持，办不成")
    click(page, form.get_by_role("button", name="登记办不成事"))
    number = page.inner_text("#ticket-number")
    assert "查询码" in page.inner_text("#messages")
    ticket = Ticket.objects.get(number=number)
    assert (
        ticket.category == "not_done" and ticket.channel == "window" and ticket.hall_id == "yueyang-city-hall"
    )

    # the "125" commitments, as the clocks compute them
    dispatch = clocks.get(deadlines.owner(ticket), rules.DISPATCH)
    finish = clocks.get(deadlines.owner(ticket), rules.FINISH)
    assert (dispatch.due_at - ticket.received_at).total_seconds() == 3600
    assert "1 小时内派单" in page.inner_text("#promise-dispatch")
    assert timezone.localtime(dispatch.due_at).strftime("%Y-%m-%d %H:%M") in page.inner_text(
        "#promise-dispatch"
    )
    assert "普通 2 个工作日" in page.inner_text("#promise-finish")
    assert page.inner_text("#promise-finish-date") == f"{deadlines.due_date(finish.due_at):%Y-%m-%d}"
    screenshot(page, "not-done-registered")
    sign_out(page)

    # 钱接线 dispatches it within the hour
    sign_in(page, live_server, "jiexian")
    nav(page, "我的办件")
    click(page, page.locator("main").get_by_role("link", name="12345工单"))
    click(page, page.locator("#queue-tabs").get_by_role("link", name="待派单"))
    click(page, page.locator(f"#ticket-{number}").get_by_role("link", name=number))
    assert "1 小时内派单" in page.inner_text("#commitment")
    form = page.locator("#act-dispatch")
    department = User.objects.get(username="chengban_shichang").staff_roles.get().department
    form.get_by_label("承办部门").select_option(label=department.name)
    click(page, form.get_by_role("button", name="派单"))
    assert page.inner_text("#ticket-status") == "已派单，待签收"
    ticket.refresh_from_db()
    assert ticket.dispatched_at <= dispatch.due_at
    assert not ticket.cards.exists()
    sign_out(page)

    # it reaches the department: the handler finds it waiting to be signed, with the promise
    sign_in(page, live_server, "chengban_shichang")
    nav(page, "我的办件")
    click(page, page.locator("main").get_by_role("link", name="12345工单"))
    click(page, page.locator("#queue-tabs").get_by_role("link", name="待签收"))
    row = page.locator(f"#ticket-{number}")
    assert "办不成事" in row.inner_text()
    click(page, row.get_by_role("link", name=number))
    assert page.inner_text("#promise-finish-date") == f"{deadlines.due_date(finish.due_at):%Y-%m-%d}"
    assert page.inner_text("#caller-phone") == "13807305678"
    assert "个体工商户变更经营范围" in page.inner_text("#ticket-content")
    click(page, page.locator("#act-sign").get_by_role("button", name="签收"))
    assert page.inner_text("#ticket-status") == "办理中"
    screenshot(page, "not-done-signed")
    ticket.refresh_from_db()
    assert ticket.status == "handling" and ticket.assigned_id == department.pk
