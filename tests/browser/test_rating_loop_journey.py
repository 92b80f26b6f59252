"""The 差评 loop walked as people walk it, on a 390×844 phone: each person starts at ``/``
and from then on only clicks and types, and every page fits 390 px and 360 px without
scrolling sideways.

(a) 张三 gave 卫健 a 差评 (made in the database with ``service.rate``). 卫健's 部门管理员
signs in, opens 差评整改 from the 工作台, records the return call (立即整改), answers and
records the revisit (满意); 张三 signs in and reads the answer under 我的评价.
(b) The unit appeals another 差评 (误评); the supervisor 赵督查 opens 申诉复核 from his board
and upholds it: the rating no longer counts and its rectification is voided."""

from __future__ import annotations

import pytest

from tests.browser.walking import click, nav, sign_in, sign_out

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]

UNIT_ADMIN = "shuju_weijian"  # 卫健数据管理员: 部门管理员 of 岳阳市卫生健康委员会
SERVICE = "新生儿出生一件事"
ANSWER = "已为您加派窗口人手，出生医学证明当天可办"


def _bad_rating(comment: str):
    from django.utils import timezone

    from onething.ratings.tests.test_rectifications import bad_rating

    return bad_rating(timezone.now(), comment=comment)


def _open_rectifications(page, live_server) -> None:
    sign_in(page, live_server, UNIT_ADMIN, first=True)
    nav(page, "工作台")
    click(page, page.locator("main").get_by_role("link", name="差评整改"))


def test_the_unit_calls_back_answers_and_revisits_and_the_rater_reads_the_answer(
    phone_page, live_server, demo, screenshot
):
    from onething.ratings.models import Rectification

    rating = _bad_rating("等了很久才办完")
    page = phone_page

    _open_rectifications(page, live_server)
    click(page, page.locator("#rectifications").get_by_role("link", name=SERVICE))
    assert page.inner_text("#rect-status") == "待核实"
    assert page.inner_text("#rater-name") == "张三" and "13800000001" in page.inner_text("#rater-phone")
    screenshot(page, "rating-rectification-verify")

    form = page.locator("#verify-form")
    form.get_by_label("回访核实记录").fill("已电话回访张三，反映等候时间过长属实")
    form.get_by_label("立即整改（问题清楚）").check()
    click(page, form.get_by_role("button", name="提交核实"))
    assert "已记录回访核实" in page.inner_text("#messages")
    assert page.inner_text("#rect-status") == "整改中"

    form = page.locator("#answer-form")
    form.get_by_label("答复内容").fill(ANSWER)
    click(page, form.get_by_role("button", name="答复评价人"))
    assert "已答复评价人" in page.inner_text("#messages")
    assert page.inner_text("#rect-status") == "已答复，待回访"

    form = page.locator("#revisit-form")
    form.get_by_label("满意", exact=True).check()
    form.get_by_label("回访记录").fill("张三对整改表示满意")
    click(page, form.get_by_role("button", name="提交回访"))
    assert "已记录整改回访" in page.inner_text("#messages")
    assert page.inner_text("#rect-status") == "已办结"
    screenshot(page, "rating-rectification-closed")
    assert Rectification.objects.get(rating=rating).status == Rectification.Status.CLOSED
    sign_out(page)

    # 张三 reads the answer under 我的评价
    sign_in(page, live_server, "zhangsan")
    click(page, page.locator("main").get_by_role("link", name="我的评价"))
    mine = page.locator(f"#rating-{rating.pk}")
    assert ANSWER in mine.inner_text()
    assert "已办结" in mine.inner_text()
    screenshot(page, "rating-mine-answered")


def test_the_unit_appeals_and_the_supervisor_upholds(phone_page, live_server, demo, screenshot):
    from onething.ratings.models import Appeal, Rating, Rectification

    rating = _bad_rating("窗口人员态度不好")
    page = phone_page

    _open_rectifications(page, live_server)
    click(page, page.locator("#rectifications").get_by_role("link", name=SERVICE))
    page.locator("#appeal summary").click()
    form = page.locator("#appeal-form")
    form.get_by_label("误评（评价对象或内容有误）").check()
    form.get_by_label("申诉说明").fill("该办件当日未到窗口办理，评价对象有误")
    click(page, form.get_by_role("button", name="提交申诉"))
    assert "已提出申诉" in page.inner_text("#messages")
    assert "暂停计时" in page.inner_text("#rect-stage")
    sign_out(page)

    # 赵督查 (supervisor of 岳阳市) lands on his board and opens 申诉复核
    sign_in(page, live_server, "ducha")
    click(page, page.locator("#rating-links").get_by_role("link", name="申诉复核"))
    appeal = Appeal.objects.get(rating=rating)
    click(page, page.locator(f"#appeal-{appeal.pk}").get_by_role("link"))
    assert "评价对象有误" in page.inner_text("#appeal-statement")
    screenshot(page, "rating-appeal-decide")
    form = page.locator("#decide-form")
    form.get_by_label("申诉成立（该评价不计入统计，整改撤销）").check()
    form.get_by_label("复核意见").fill("经调取办件记录，评价对象有误，申诉成立")
    click(page, form.get_by_role("button", name="提交复核结论"))
    assert "申诉成立" in page.inner_text("#messages")
    assert page.inner_text("#appeal-status") == "申诉成立"
    assert Rating.objects.get(pk=rating.pk).excluded is True
    assert Rectification.objects.get(rating=rating).status == Rectification.Status.VOIDED
    screenshot(page, "rating-appeal-upheld")
