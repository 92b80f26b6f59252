"""好差评 walked as people walk it, on a 390×844 phone: from then on only clicks and types, and
every page fits 390 px and 360 px without scrolling sideways.

1. 张三's 新生儿出生一件事 has its results out (set up in the database). He signs in at the login
   page, opens 我的办件, the case, presses 评价本次服务, chooses 不满意 and submits without a
   reason — the page says a 差评 needs one and keeps his choice; he picks the reason, says why,
   submits, and sees the thanks and how the 差评's rectification is getting on. 我的评价 lists it.
2. A visitor's number was served at window 1 (set up with the queue's functions). He opens the
   ticket's page as the QR code takes him there, presses 评价本次窗口服务 and rates 非常满意.
"""

from __future__ import annotations

import pytest

from onething.cases.tests.conftest import people, submit  # noqa: F401 - fixtures
from tests.browser.walking import click, fits

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def test_a_citizen_rates_a_finished_case_badly_then_with_the_reason(browser, live_server, submit, screenshot):  # noqa: F811
    from django.utils import timezone

    from onething.cases.models import Application
    from onething.ratings.models import Rating
    from tests.plugins.browser import PHONE, _page

    app = submit()
    Application.objects.filter(pk=app.pk).update(status="result_ready", decided_at=timezone.now())

    context, page = _page(browser, PHONE)
    page.goto(live_server.url + "/login/")
    fits(page)
    page.get_by_label("用户名").fill("zhangsan")
    page.get_by_label("密码").fill("onething-demo")
    click(page, page.locator("main").get_by_role("button", name="登录"))
    if page.get_by_role("heading", level=1).inner_text() != "我的办件":
        click(page, page.locator("nav.nav").get_by_role("link", name="我的办件", exact=True))
    click(page, page.locator("#my-applications li", has_text=app.number).get_by_role("link").first)
    click(page, page.get_by_role("link", name="评价本次服务"))
    assert page.get_by_role("heading", level=1).inner_text() == "评价本次服务"
    assert app.number in page.inner_text("#app-number")

    # 不满意 without a reason: the page says so and keeps the choice
    page.get_by_label("不满意", exact=True).click()
    page.get_by_label("评价内容（可选）").fill("跑了两趟")
    click(page, page.get_by_role("button", name="提交评价"))
    assert "差评请选择原因" in page.inner_text("#rate-error")
    assert page.get_by_label("不满意", exact=True).is_checked()
    assert page.get_by_label("评价内容（可选）").input_value() == "跑了两趟"
    screenshot(page, "rating-case-error")

    page.get_by_label("多次跑动").click()
    page.get_by_label("差评说明").fill("材料要求没有一次说清楚")
    click(page, page.get_by_role("button", name="提交评价"))
    main = page.locator("main").inner_text()
    assert "感谢您的评价" in main and "差评整改进度" in main and "待核实" in main
    rating = Rating.objects.get(application=app)
    assert rating.score == 2 and rating.reason == "visits" and rating.rectification.status == "verifying"
    screenshot(page, "rating-case-thanks")

    click(page, page.get_by_role("link", name="我的评价"))
    assert "不满意" in page.inner_text("#my-ratings") and "多次跑动" in page.inner_text("#my-ratings")
    context.close()


def test_a_window_visit_rated_from_the_tickets_page(browser, live_server, demo, screenshot):
    from onething.accounts.models import User
    from onething.directory.models import Hall, Window
    from onething.halls import queue
    from onething.ratings.models import Rating
    from tests.plugins.browser import PHONE, _page

    ticket = queue.issue(
        User.objects.get(username="quhao"), Hall.objects.get(code="yueyang-city-hall"), "zonghe"
    )
    clerk = User.objects.get(username="chuangkou")
    queue.call_next(clerk, Window.objects.get(code="yy-1"))
    queue.finish(clerk, ticket.pk)

    context, page = _page(browser, PHONE)
    page.goto(f"{live_server.url}/halls/ticket/{ticket.token}/")  # the QR code's address
    fits(page)
    click(page, page.get_by_role("link", name="评价本次窗口服务"))
    assert page.get_by_role("heading", level=1).inner_text() == "评价本次窗口服务"
    page.get_by_label("非常满意").click()
    page.get_by_label("服务态度", exact=True).select_option("5")
    click(page, page.get_by_role("button", name="提交评价"))
    assert "感谢您的评价" in page.locator("main").inner_text()
    rating = Rating.objects.get(ticket=ticket)
    assert rating.score == 5 and rating.channel == "window" and rating.indicators == {"attitude": 5}
    screenshot(page, "rating-ticket-thanks")
    context.close()
