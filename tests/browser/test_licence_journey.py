"""电子证照 walked as people walk it, on a 390×844 phone: each person starts at ``/`` and from then
on only clicks and types, and every page fits 390 px and 360 px without scrolling sideways.

张三's 新生儿出生一件事 has been accepted (set up directly: that part is walked in
``test_journeys``). 卫健's approver decides 出生医学证明办理 from the queue and the licence is
issued; 张三 finds it in 我的证照 and another phone scans its QR code (opens the URL the code
carries) and sees it genuine with its issuer and nothing personal; 张三 applies for 出生登记 and
authorises the licence on the apply page, so it is not asked for and the police see it
verified; 卫健's administrator revokes it and the scanning phone now sees it revoked."""

from __future__ import annotations

import re

import pytest

from tests.browser.walking import click, fits, nav, sign_in, sign_out

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]

HUKOU_FORM = {
    "child.name": "张小宝",
    "child.birth_date": "2026-11-01",
    "child.gender": "男",
    "mother.name": "王芳",
    "mother.id_number": "430602199201011221",
    "father.name": "张三",
    "father.id_number": "430602199001011235",
    "applicant.address": "岳阳市岳阳楼区洞庭路1号",
    "applicant.phone": "13800000001",
}


@pytest.fixture
def accepted_newborn(demo, settings, tmp_path):
    """张三's 新生儿出生一件事, submitted with consent and accepted at the window."""
    from onething.accounts.models import User
    from onething.cases import intake, lifecycle
    from onething.cases.tests.conftest import ANSWERS_LOCAL, FORM, sample_pdf
    from onething.cases.tests.test_lifecycle import upload_all

    settings.MEDIA_ROOT = tmp_path / "uploads"
    zhang = User.objects.get(username="zhangsan")
    plan = intake.load_plan("bundle", "430600-YJS-XSECS", ANSWERS_LOCAL)
    asked = {f.element for f in plan.form}
    app = intake.submit(
        zhang,
        kind="bundle",
        code="430600-YJS-XSECS",
        answers=ANSWERS_LOCAL,
        form={k: v for k, v in intake.flatten(FORM).items() if k in asked},
        idempotency_key="licence-journey",
        data_consent=True,
    ).application

    from django.core.files.uploadedfile import SimpleUploadedFile

    count = iter(range(100))

    def upload():  # a different file each time (uploads are stored by content)
        return SimpleUploadedFile(
            "材料.pdf", sample_pdf(f"材料 {next(count)}"), content_type="application/pdf"
        )

    upload_all(app, {"zhangsan": zhang}, upload)
    lifecycle.accept(app, User.objects.get(username="chuangkou"))
    return app


def test_issue_verify_by_qr_reuse_with_consent_and_revoke(
    browser, live_server, accepted_newborn, screenshot, settings
):
    from onething.cases.models import Application, SharedData
    from tests.plugins.browser import PHONE, _page

    settings.PUBLIC_URL = live_server.url  # what the QR codes carry

    # 1. 卫健's approver decides 出生医学证明办理 from the queue: the licence is issued
    ctx, approver = _page(browser, PHONE)
    sign_in(approver, live_server, "shenpi_weijian", first=True)
    click(approver, approver.locator("#queue a", has_text="出生医学证明办理").first)
    click(approver, approver.get_by_role("button", name=re.compile("作出决定：出生医学证明办理")).first)
    assert "已作出决定" in approver.inner_text("#messages")
    ctx.close()

    # 2. 张三 finds it in 我的证照 and shows its QR code
    citizen_ctx, page = _page(browser, PHONE)
    sign_in(page, live_server, "zhangsan", first=True)
    nav(page, "我的证照")
    click(page, page.locator("#licences").get_by_role("link", name="出生医学证明"))
    assert "张小宝" in page.locator("main").inner_text()
    assert page.locator("#licence-qr svg").count() == 1
    scanned = page.locator("#verify-link").get_attribute("href")
    screenshot(page, "licence-detail")

    # 3. another phone scans the code (opens the URL it carries): genuine, the issuer, nothing personal
    verifier_ctx, verifier = _page(browser, PHONE)
    verifier.goto(scanned)
    fits(verifier)
    result = verifier.inner_text("#verify-result")
    assert "真实有效" in result and "岳阳市卫生健康委员会" in result
    assert "张" not in result and "430602" not in result

    # 4. 张三 applies for 出生登记 and authorises the licence instead of submitting it
    click(page, page.locator(".brand"))
    page.locator("main form[role=search] input[name=q]").fill("出生登记")
    click(page, page.locator("main form[role=search]").get_by_role("button"))
    click(page, page.locator("main").get_by_role("link", name=re.compile("出生登记（户口登记）")).first)
    click(page, page.locator("main").get_by_role("link", name="在线申请").first)
    if page.locator("select[name='a.parents_married']").count():
        page.locator("select[name='a.parents_married']").select_option("true")
        click(page, page.get_by_role("button", name="下一步"))
    offer = page.locator(".licence-offer", has_text="出生医学证明")
    assert "您持有电子证照" in offer.inner_text()
    box = offer.get_by_label(re.compile("授权本次办理使用该证照"))
    assert not box.is_checked()  # asked, never assumed
    box.check()
    for element in page.eval_on_selector_all("[name^='f.']", "els => els.map(e => e.name.slice(2))"):
        field = page.locator(f"[name='f.{element}']")
        if field.input_value():
            continue
        if field.evaluate("e => e.tagName") == "SELECT":
            field.select_option(HUKOU_FORM[element])
        else:
            field.fill(HUKOU_FORM[element])
    click(page, page.get_by_role("button", name="提交申请"))
    assert "申请已提交" in page.locator("#messages").inner_text()
    number = page.inner_text("#app-number")
    app = Application.objects.get(number=number)
    row = SharedData.objects.get(application=app, material="birth-medical-certificate")
    assert row.found and row.licence_identifier
    shared = page.locator(".shared-data details", has_text="出生医学证明").first
    shared.locator("summary").click()
    reference = shared.locator(".licence-reference").inner_text()
    assert "签名与状态已核验" in reference
    nav(page, "我的证照")
    assert "岳阳市公安局岳阳楼分局" in page.locator("#uses").inner_text()
    screenshot(page, "licence-uses")
    sign_out(page)
    citizen_ctx.close()

    # 5. 卫健's administrator revokes it; the scanning phone now sees it revoked
    admin_ctx, admin = _page(browser, PHONE)
    sign_in(admin, live_server, "shuju_weijian", first=True)
    nav(admin, "我的证照")
    click(admin, admin.get_by_role("link", name="本部门签发的证照"))
    click(admin, admin.locator("#issued").get_by_role("link", name="出生医学证明").first)
    admin.get_by_label("废止原因").select_option(label="撤销")
    admin.get_by_label(re.compile("^说明")).last.fill("出生信息登记有误，依法撤销")
    click(admin, admin.locator("#act-revoke").get_by_role("button"))
    assert admin.inner_text("#licence-status") == "已废止"
    admin_ctx.close()

    verifier.reload()
    fits(verifier)
    assert "已废止" in verifier.inner_text("#verify-result")
    verifier_ctx.close()
