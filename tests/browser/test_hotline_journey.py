"""12345 walked as people walk it, on a 390×844 phone: each person starts at ``/`` and from
then on only clicks and types, and every page fits 390 px and 360 px without scrolling
sideways.

钱接线 (operator) first takes a 咨询: she searches the knowledge panel, presses 用此答复 on the
item guide, the reply is filled in for her, and with 当场答复办结 ticked the ticket closes on
the spot. Then she takes a call about a restaurant that came in two hours ago — the dispatch
clock is already past due, so the clock scan (the periodic task, run here in place of the
scheduler) writes a red card for the hotline centre and tells the supervisor — and
dispatches it to 市场监督管理局; the department's handler signs and answers; 赵督查
(supervisor) sees the red card in the queue and on the ticket; 钱接线 reviews the answer
(审核办结) and records the return visit (满意): 已回访，办结.
"""

from __future__ import annotations

import datetime as dt

import pytest

from tests.browser.walking import click, fits, nav, sign_in, sign_out

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]

CONTENT = "南湖大道某饭店后厨卫生脏乱，苍蝇很多，要求监管部门检查"
QUESTION = "孩子刚出生，出生医学证明去哪里办，要带什么材料"
ANSWER = "已现场检查，责令该饭店停业整改，并处以罚款"


def _department_name() -> str:
    from onething.accounts.models import User

    return User.objects.get(username="chengban_shichang").staff_roles.get().department.name


def _open_queue(page) -> None:
    nav(page, "我的办件")
    click(page, page.locator("main").get_by_role("link", name="12345工单"))


def _scan_clocks() -> None:
    """What the scheduler's clock scan does every minute."""
    from django.utils import timezone

    from onething.clocks.scan import scan

    scan(timezone.now())


def _answer_a_consult_from_the_knowledge_base(page) -> None:
    """On the workbench: a 咨询 answered from the knowledge panel, closed on the spot."""
    from onething.hotline.models import Ticket

    form = page.locator("#intake-form")
    form.get_by_label("诉求类型").select_option(label="咨询")
    form.get_by_label("诉求人姓名").fill("李女士")
    form.get_by_label("联系电话").fill("13907305566")
    form.get_by_label("所属区划").select_option(label="岳阳楼区")
    form.get_by_label("诉求内容").fill(QUESTION)
    search = page.locator("#knowledge-search")
    search.get_by_label("搜索知识库").fill("出生医学证明")
    search.get_by_role("button", name="搜索").click()
    answer = page.locator("#knowledge-panel .kb-answer", has_text="出生医学证明办理").first
    answer.wait_for()
    fits(page)
    use = answer.get_by_role("button", name="用此答复")
    key, summary = use.get_attribute("data-answer-key"), use.get_attribute("data-answer-summary")
    assert key.startswith("item:") and summary
    use.click()
    assert form.get_by_label("答复内容").input_value() == summary
    assert form.locator("#answered-from").input_value() == key
    form.get_by_label("当场答复办结（仅限咨询）").check()
    click(page, form.get_by_role("button", name="受理"))
    assert "已当场答复办结" in page.inner_text("#messages")
    assert page.inner_text("#ticket-status") == "已当场答复办结"
    assert summary[:20] in page.inner_text("#ticket-reply")
    ticket = Ticket.objects.get(number=page.inner_text("#ticket-number"))
    assert ticket.status == "closed" and ticket.category == "consult" and ticket.answered_from == key


def test_a_call_is_dispatched_answered_finished_and_revisited(phone_page, live_server, demo, screenshot):
    from django.utils import timezone

    from onething.hotline.models import Card, Ticket
    from onething.notifications.models import Notification

    page = phone_page
    department = _department_name()

    # 钱接线 answers a 咨询 from the knowledge base while the caller is on the line
    sign_in(page, live_server, "jiexian", first=True)
    _open_queue(page)
    click(page, page.locator("main").get_by_role("link", name="受理来电"))
    _answer_a_consult_from_the_knowledge_base(page)
    screenshot(page, "hotline-consult-closed")

    # then a call about a restaurant (it came in two hours ago: the dispatch clock is red)
    click(page, page.locator(".breadcrumb").get_by_role("link", name="12345工单"))
    click(page, page.locator("main").get_by_role("link", name="受理来电"))
    form = page.locator("#intake-form")
    form.get_by_label("诉求类型").select_option(label="投诉")
    called = timezone.localtime() - dt.timedelta(hours=2)
    form.get_by_label("来电时间").fill(called.strftime("%Y-%m-%dT%H:%M"))
    form.get_by_label("诉求人姓名").fill("刘先生")
    form.get_by_label("联系电话").fill("13907301234")
    form.get_by_label("所属区划").select_option(label="岳阳楼区")
    form.get_by_label("地址").fill("岳阳楼区南湖大道88号")
    form.get_by_label("诉求内容").fill(CONTENT)
    screenshot(page, "hotline-intake")
    click(page, form.get_by_role("button", name="受理"))
    number = page.inner_text("#ticket-number")
    told = page.inner_text("#messages")
    assert number in told and "查询码" in told
    assert page.inner_text("#ticket-status") == "已受理，待派单"
    ticket = Ticket.objects.get(number=number)
    assert ticket.dispatch_due < timezone.now()

    _scan_clocks()
    assert Card.objects.filter(ticket=ticket, clock="dispatch", level="red", department=None).exists()
    assert Notification.objects.filter(recipient__username="ducha", title__contains=number).exists()

    form = page.locator("#act-dispatch")
    form.get_by_label("承办部门").select_option(label=department)
    click(page, form.get_by_role("button", name="派单"))
    assert "已派单" in page.inner_text("#messages")
    assert page.inner_text("#ticket-status") == "已派单，待签收"
    assert page.inner_text("#assigned") == department
    sign_out(page)

    # the department's handler signs and answers
    sign_in(page, live_server, "chengban_shichang")
    _open_queue(page)
    click(page, page.locator(f"#ticket-{number}").get_by_role("link", name=number))
    assert page.inner_text("#caller-phone") == "13907301234"  # the handler calls back
    click(page, page.locator("#act-sign").get_by_role("button", name="签收"))
    assert page.inner_text("#ticket-status") == "办理中"
    form = page.locator("#act-answer")
    form.get_by_label("答复内容").fill(ANSWER)
    click(page, form.get_by_role("button", name="答复"))
    assert page.inner_text("#ticket-status") == "已答复，待审核"
    sign_out(page)

    # 赵督查 sees the red card in the queue and on the ticket; the phone is masked for him
    sign_in(page, live_server, "ducha")
    _open_queue(page)
    row = page.locator(f"#ticket-{number}")
    assert "红牌 1" in row.inner_text()
    screenshot(page, "hotline-supervisor-queue")
    click(page, row.get_by_role("link", name=number))
    cards = page.inner_text("#ticket-cards")
    assert "红牌" in cards and "派单时限" in cards and "12345热线中心" in cards
    assert "13907301234" not in page.inner_text("#caller-phone")
    sign_out(page)

    # 钱接线 reviews the answer and records the return visit
    sign_in(page, live_server, "jiexian")
    _open_queue(page)
    click(page, page.locator("#queue-tabs").get_by_role("link", name="待审核"))
    click(page, page.locator(f"#ticket-{number}").get_by_role("link", name=number))
    assert ANSWER in page.inner_text("#ticket-reply")
    click(page, page.locator("#act-finish").get_by_role("button", name="审核办结"))
    assert page.inner_text("#ticket-status") == "已办结，待回访"
    form = page.locator("#act-revisit")
    form.get_by_label("满意", exact=True).check()
    form.get_by_label("回访记录").fill("刘先生对处理结果满意")
    click(page, form.get_by_role("button", name="提交回访"))
    assert page.inner_text("#ticket-status") == "已回访，办结"
    assert "满意" in page.inner_text("#ticket-satisfaction")
    screenshot(page, "hotline-closed")
    assert Ticket.objects.get(number=number).status == "closed"
