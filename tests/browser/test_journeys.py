"""Every role's journey, walked as a person walks it: each role starts at ``/`` and from then
on only clicks and types — no typed URL — on a 390×844 phone, and every page it visits fits
both 390 px and 360 px without scrolling sideways.

新生儿出生一件事, end to end: a citizen registers (real name, SMS code), searches in everyday
words, answers the guidance, presses 立即申请 (the answers carry over), finds the form
prefilled, uploads, asks 容缺 for one material, chooses how to receive the result and
submits; the window clerk finds the application by its number and accepts with 容缺; two
departments' approvers decide from their queues; the citizen sees the progress, the
messages, the result and the 办结通知书; the supervisor sees the board."""

from __future__ import annotations

import re
import shutil
import subprocess

import pytest

from onething.accounts.tests.conftest import id_number, sms  # noqa: F401 - the sms fixture
from onething.cases.tests.conftest import ANSWERS, FORM, sample_pdf
from tests.browser import walking
from tests.browser.walking import click, fits

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]

PHONE_NUMBER = "13912345602"
PASSWORD = "dongting-hu-2026-chun"


def sign_in(page, live_server, username: str) -> None:
    """A fresh phone: from the home page, typed once."""
    walking.sign_in(page, live_server, username, first=True)


def test_newborn_journey_for_every_role(browser, live_server, demo, sms, tmp_path, settings, screenshot):  # noqa: F811
    from onething.cases.models import Application
    from tests.plugins.browser import PHONE, _page

    settings.MEDIA_ROOT = tmp_path / "uploads"

    # 1. a citizen registers
    citizen_ctx, page = _page(browser, PHONE)
    page.goto(live_server.url + "/")
    fits(page)
    click(page, page.locator(".account").get_by_role("link", name="登录"))
    click(page, page.get_by_role("link", name="注册", exact=True))
    page.get_by_label("姓名").fill("王芳")
    page.get_by_label("公民身份号码").fill(FORM["mother"]["id_number"])
    page.get_by_label("手机号码").fill(PHONE_NUMBER)
    click(page, page.get_by_role("button", name="获取验证码"))
    page.get_by_label("短信验证码").fill(sms(PHONE_NUMBER))
    page.get_by_label("设置密码").fill(PASSWORD)
    page.get_by_label("确认密码").fill(PASSWORD)
    click(page, page.get_by_role("button", name="注册", exact=True))
    assert page.get_by_role("heading", level=1).inner_text() == "我的办件"

    # 2. searches in everyday words, opens the bundle, answers the guidance
    click(page, page.get_by_role("link", name=re.compile("首页")).first)
    page.locator("main form[role=search] input[name=q]").fill("生孩子")
    click(page, page.locator("main form[role=search]").get_by_role("button"))
    click(page, page.locator("main").get_by_role("link", name="新生儿出生一件事").first)
    click(page, page.get_by_role("link", name="回答问题，生成我的办事指南"))
    while page.locator("#question").count():
        asked = page.locator("#question button").first.get_attribute("name")  # a.<question>
        choice = "是" if ANSWERS[asked[2:]] else "否"
        with page.expect_response(lambda r: "/guide/" in r.url):
            page.locator("#question").get_by_role("button", name=choice, exact=True).click()
        # a locator wait, not wait_for_function: a string predicate is eval'd and the CSP refuses it
        page.locator(f"#question button[name='{asked}']").first.wait_for(state="detached")
        fits(page)
    click(page, page.get_by_role("link", name="立即申请"))

    # 3. applies: the answers carried over, the form prefilled, files uploaded, 容缺 asked
    assert page.locator("#questions").count() == 0, "the guidance answers were asked again"
    assert page.locator("[name='f.applicant.name']").count() == 0 or (
        page.locator("[name='f.applicant.name']").input_value() == "王芳"
    )
    values = {f"{g}.{k}": v for g, fields in FORM.items() for k, v in fields.items()}
    for element in page.eval_on_selector_all("[name^='f.']", "els => els.map(e => e.name.slice(2))"):
        field = page.locator(f"[name='f.{element}']")
        if field.input_value():
            continue  # prefilled
        if field.evaluate("e => e.tagName") == "SELECT":
            field.select_option(values[element])
        else:
            field.fill(values[element])
    for material in ("bank-account", "medical-bills"):
        pdf = tmp_path / f"{material}.pdf"
        pdf.write_bytes(sample_pdf(material))
        page.set_input_files(f"input[name='m.{material}']", str(pdf))
    page.check("input[name='gap_request'][value='maternal-health-handbook']")
    page.get_by_label("电子送达").check()
    # 免提交 through data sharing: asked, never assumed
    consent = page.get_by_label(re.compile("我同意平台通过政务数据共享"))
    assert not consent.is_checked()
    consent.check()
    click(page, page.get_by_role("button", name="提交申请"))
    assert "申请已提交" in page.locator("#messages").inner_text()
    number = page.inner_text("#app-number")
    assert Application.objects.get(number=number).delivery_method == "electronic"
    screenshot(page, "journey-citizen-submitted")

    # 4. the window clerk finds it by its number and accepts with 容缺
    clerk_ctx, clerk = _page(browser, PHONE)
    sign_in(clerk, live_server, "chuangkou")
    assert clerk.url.endswith("/cases/window/")
    clerk.get_by_label("办件编号、申请人姓名或公民身份号码").fill(number)
    click(clerk, clerk.locator("#find-form").get_by_role("button", name="查找"))
    click(clerk, clerk.locator("#find-results").get_by_role("link", name=re.compile(number)))
    clerk.locator("#gaps-form").get_by_label(re.compile("母子健康手册")).check()
    click(clerk, clerk.locator("#gaps-form").get_by_role("button", name="容缺受理"))
    assert clerk.inner_text("#app-status") == "已受理", clerk.inner_text("#messages")
    assert "容缺受理告知书已生成" in clerk.inner_text("#messages")

    # 5. approvers of two departments decide from their queues
    for username, items in (
        ("shenpi_weijian", ("出生医学证明办理", "预防接种证办理")),
        ("shenpi_yibao", None),
    ):
        approver_ctx, approver = _page(browser, PHONE)
        sign_in(approver, live_server, username)
        assert approver.url.endswith("/cases/approver/")
        click(approver, approver.locator("#queue a").first)
        if username == "shenpi_weijian":
            # the 出生医学证明 the applicant did not upload: fetched from 卫健's own data, with provenance
            shared = approver.locator(".shared-data details", has_text="出生医学证明").first
            assert "已获取" in shared.inner_text() and "出生医学证明信息" in shared.inner_text()
            assert "张小宝" in shared.inner_text()  # the approver of the sub-case sees the values
        for button in [f"作出决定：{i}" for i in items] if items else ["作出决定"]:
            click(approver, approver.get_by_role("button", name=re.compile(button)).first)
            assert "已作出决定" in approver.inner_text("#messages")
        approver_ctx.close()

    # 6. the citizen sees progress, the messages, the result and the 办结通知书
    click(page, page.get_by_role("link", name=re.compile("^消息")))
    assert "办结" in page.locator("main").inner_text()
    click(page, page.get_by_role("link", name="我的办件").first)
    click(page, page.locator("#my-applications a").first)
    assert page.inner_text("#app-status") == "已办结，待出件"
    assert page.locator("#subcases .badge", has_text="准予许可/办结").count() == 3
    href = page.locator("#notices a", has_text="办结通知书").get_attribute("href")
    pdf = citizen_ctx.request.get(live_server.url + href)  # a download, not a page
    assert pdf.status == 200 and pdf.body().startswith(b"%PDF")
    if shutil.which("pdftotext"):
        text = subprocess.run(["pdftotext", "-", "-"], input=pdf.body(), capture_output=True, check=True)
        assert "办结通知书" in text.stdout.decode() and number in text.stdout.decode()
    screenshot(page, "journey-citizen-result")
    # …and who used her data for it
    click(page, page.get_by_role("link", name="谁用了我的数据"))
    fits(page)
    uses = page.locator("main").inner_text()
    assert "出生医学证明信息" in uses and "卫生健康" in uses

    # 7. the supervisor lands on the board
    boss_ctx, boss = _page(browser, PHONE)
    sign_in(boss, live_server, "ducha")
    assert boss.url.endswith("/cases/supervisor/")
    assert boss.get_by_role("heading", level=1).count() == 1
    for ctx in (citizen_ctx, clerk_ctx, boss_ctx):
        ctx.close()


def test_a_clerk_files_for_a_walk_in_at_the_window(browser, live_server, demo, settings, tmp_path):
    """The window intake on a phone-sized screen: from the desk, the bundle, the questions, the
    applicant's identity, the paper materials received; the new case page."""
    from tests.plugins.browser import PHONE, _page

    settings.MEDIA_ROOT = tmp_path / "uploads"
    ctx, clerk = _page(browser, PHONE)
    sign_in(clerk, live_server, "chuangkou")
    click(clerk, clerk.locator("#offer-bundles").get_by_role("link", name="新生儿出生一件事"))
    for question, value in ANSWERS.items():
        clerk.locator(f"select[name='a.{question}']").select_option("true" if value else "false")
    click(clerk, clerk.get_by_role("button", name="下一步"))
    clerk.get_by_label(re.compile("^申请人姓名")).fill("李四")
    clerk.get_by_label(re.compile("^申请人公民身份号码")).fill("430626198805052012")
    values = {f"{g}.{k}": v for g, fields in FORM.items() for k, v in fields.items()}
    for element in clerk.eval_on_selector_all("[name^='f.']", "els => els.map(e => e.name.slice(2))"):
        field = clerk.locator(f"[name='f.{element}']")
        if field.evaluate("e => e.tagName") == "SELECT":
            field.select_option(values[element])
        else:
            field.fill(values[element])
    for box in clerk.locator("input[name='received']").all():
        box.check()
    click(clerk, clerk.get_by_role("button", name="提交申请"))
    assert "已收件" in clerk.inner_text("#messages")
    assert clerk.inner_text("#app-status") == "已提交，待预审"
    ctx.close()
