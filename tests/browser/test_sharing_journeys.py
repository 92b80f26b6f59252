"""数据共享 walked as people walk it, on a 390×844 phone: each person starts at ``/`` and from
then on only clicks and types — no typed URL, no direct post — and every page fits 390 px and
360 px without scrolling sideways.

(a) 卫健's approver asks for 市场监管's 企业登记信息 (有条件共享); the data authority checks
it, 市场监管's admin agrees, and the approver looks an enterprise up with the query form.
(b) 李四 sees, under 谁用了我的数据, that 卫健 read his enterprise's registration, raises a
数据异议 about one value, and 市场监管's admin answers it."""

from __future__ import annotations

import re

import pytest

from tests.browser.walking import click, fits, nav, sign_in, sign_out

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]

ENTERPRISE = "91430600MA4L00001C"
WEIJIAN = "11430600MB06000535"
PURPOSE = "食品经营许可现场核查"


def open_request(page, request_id: int) -> None:
    nav(page, "数据共享")
    click(page, page.locator("#requests").get_by_role("link", name=re.compile(f"^共享申请 {request_id}：")))


def test_request_approve_and_query_a_conditional_resource(phone_page, live_server, demo, screenshot):
    from onething.sharing.models import Request

    page = phone_page

    # 卫健's approver asks for 企业登记信息
    sign_in(page, live_server, "shenpi_weijian", first=True)
    nav(page, "数据共享")
    click(page, page.get_by_role("link", name="申请共享数据"))
    page.get_by_label("数据资源").select_option("SCJG-QYDJ-001")
    click(page, page.get_by_role("button", name="选择该资源"))
    form = page.locator("#request-form")
    for label in ("统一社会信用代码", "企业名称", "行业"):
        form.get_by_label(label).check()
    form.get_by_label("用途").fill(PURPOSE)
    form.get_by_label("使用依据").fill("《中华人民共和国食品安全法》第三十五条；《政务数据共享条例》第十四条")
    click(page, form.get_by_role("button", name="提交申请"))
    assert "已提交" in page.inner_text("#messages")
    assert page.inner_text("#request-status") == "待审核"
    request_id = int(page.inner_text("#request-id"))
    screenshot(page, "sharing-request-submitted")
    sign_out(page)

    # the data authority checks it: conditional, so it goes on to the provider
    sign_in(page, live_server, "admin")
    open_request(page, request_id)
    approve = page.locator("#form-approve")
    approve.get_by_label(re.compile("理由")).fill("用途明确，依据充分")
    click(page, approve.get_by_role("button", name=re.compile("^审核通过")))
    assert page.inner_text("#request-status") == "已审核，待提供部门答复"
    sign_out(page)

    # 市场监管's admin agrees
    sign_in(page, live_server, "bumen_admin")
    open_request(page, request_id)
    approve = page.locator("#form-approve")
    approve.get_by_label(re.compile("每日调用上限")).fill("100")
    click(page, approve.get_by_role("button", name="同意共享"))
    assert page.inner_text("#request-status") == "已批准"
    assert Request.objects.get(pk=request_id).daily_quota == 100
    sign_out(page)

    # the approver looks the enterprise up
    sign_in(page, live_server, "shenpi_weijian")
    open_request(page, request_id)
    query = page.locator("#query-form")
    assert query.get_by_label("用途").input_value() == PURPOSE
    query.get_by_label("查询对象").fill(ENTERPRISE)
    click(page, query.get_by_role("button", name="查询"))
    data = page.inner_text("#query-data")
    assert "企业名称" in data and "岳阳市洞庭湖餐饮管理有限公司" in data and "行业" in data
    assert "规模" not in data  # not asked for, not answered
    screenshot(page, "sharing-query-result")

    # a purpose other than the approved one is refused, in words
    query = page.locator("#query-form")
    query.get_by_label("用途").fill("其他用途")
    click(page, query.get_by_role("button", name="查询"))
    assert "用途" in page.inner_text("#query-error")


def test_a_citizen_sees_who_used_his_data_and_disputes_it(phone_page, live_server, demo, screenshot):
    from onething.accounts.models import User
    from onething.directory.models import Department
    from onething.sharing import gateway
    from onething.sharing.models import Dispute, Request

    # setup, not the journey: 卫健 reads 李四's enterprise under its demo approval
    approval = Request.objects.get(department_id=WEIJIAN, resource__code="SCJG-QYDJ-001", status="approved")
    gateway.query(User.objects.get(username="shenpi_weijian"), approval.pk, ENTERPRISE, approval.purpose)
    weijian = Department.objects.get(code=WEIJIAN).name

    page = phone_page
    sign_in(page, live_server, "lisi", first=True)
    nav(page, "谁用了我的数据")
    use = page.locator("#uses > li", has_text="企业登记信息").first
    listed = use.inner_text()
    assert weijian in listed and approval.purpose in listed and "企业名称" in listed
    use.locator("summary", has_text="提出异议").click()
    fits(page)
    use.get_by_label("有误的数据项").select_option(label="行业")
    use.get_by_label("正确值").fill("餐饮业")
    use.get_by_label("理由").fill("营业执照登记的行业为餐饮业")
    click(page, use.get_by_role("button", name="提交异议"))
    assert "已提交" in page.inner_text("#messages")
    assert page.inner_text("#dispute-status") == "待核实"
    screenshot(page, "sharing-dispute-raised")
    sign_out(page)

    # 市场监管's admin answers it
    sign_in(page, live_server, "bumen_admin")
    nav(page, "数据共享")
    click(page, page.locator("#open-disputes").get_by_role("link").first)
    answer = page.locator("#answer-form")
    answer.get_by_label("核实无误").check()
    answer.get_by_label("答复").fill("经核实，登记机关登记的行业无误")
    click(page, answer.get_by_role("button", name="提交答复"))
    assert "已答复" in page.inner_text("#messages")
    assert page.inner_text("#dispute-status") == "经核实无误"
    assert Dispute.objects.get().status == "upheld"

    # … and, as the provider, sees the resource's metering and the approval's call log
    nav(page, "数据共享")
    click(page, page.get_by_role("link", name="数据资源目录"))
    click(page, page.locator("#resources").get_by_role("link", name="企业登记信息"))
    assert "调用次数" in page.inner_text("#metering")
    approvals = page.locator("#approvals > li", has_text=f"共享申请 {approval.pk}：")
    click(page, approvals.get_by_role("link", name="调用记录"))
    assert approval.purpose in page.inner_text("#calls")
