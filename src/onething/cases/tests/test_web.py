"""The portal pages: apply with one form and one set of materials, window decisions,
approver decisions, notices (PDF text extractable) and the public verification page —
and the same authorisation boundaries as the API (404, no data)."""

from __future__ import annotations

import re
import shutil
import subprocess

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from onething.cases.models import Application, Notice
from onething.cases.tests.conftest import ANSWERS, BUNDLE, FORM, sample_pdf, sample_png
from onething.cases.tests.conftest import in_days as _in_days

pytestmark = pytest.mark.django_db
APPLY = f"/cases/apply/bundle/{BUNDLE}/"


def login(people, username):
    c = Client()
    c.force_login(people[username])
    return c


def no_inline_code(html: str) -> None:
    """CSP is strict: no inline scripts, styles or handlers in our pages."""
    assert not re.search(r"<script(?![^>]*\bsrc=)", html), "inline script"
    assert "<style" not in html and " style=" not in html and " onclick=" not in html


def answers_query():
    return "&".join(f"a.{k}={'true' if v else 'false'}" for k, v in ANSWERS.items())


def apply_post(client, defer: tuple[str, ...] = ()):
    """Apply as a person does on the page; ``defer``: materials asked for as 容缺 (no file)."""
    page = client.get(f"{APPLY}?{answers_query()}")
    assert page.status_code == 200
    html = page.content.decode()
    no_inline_code(html)
    key = re.search(r'name="idempotency_key" value="([0-9a-f]+)"', html).group(1)
    data = {"idempotency_key": key, **{f"a.{k}": "true" if v else "false" for k, v in ANSWERS.items()}}
    flat = {}
    for group, fields in FORM.items():
        for name, value in fields.items():
            flat[f"{group}.{name}"] = value
    for element in re.findall(r'name="f\.([a-z_.]+)"', html):
        data[f"f.{element}"] = flat.get(element, "")
    attach_all(data, html)
    for material in defer:
        del data[f"m.{material}"]
    if defer:
        data["gap_request"] = list(defer)
    return client.post(APPLY, data), key, data


def attach_all(data: dict, html: str) -> dict:
    """A file for every material the page asks for (online submission requires them)."""
    for material in re.findall(r'type="file" name="m\.([a-z0-9-]+)"', html):
        data[f"m.{material}"] = SimpleUploadedFile(f"{material}.pdf", sample_pdf(material))
    return data


def test_anonymous_is_sent_to_login(demo):
    r = Client().get("/cases/")
    assert r.status_code == 302 and "/login/" in r["Location"]
    assert Client().get("/cases/430600-20261120-000001/").status_code == 302


def test_questions_first_then_one_form(people):
    c = login(people, "zhangsan")
    r = c.get(APPLY)
    html = r.content.decode()
    assert r.status_code == 200 and 'id="questions"' in html and "父母一方是否为岳阳市户籍" in html
    no_inline_code(html)
    r = c.get(f"{APPLY}?{answers_query()}")
    html = r.content.decode()
    assert html.count('name="f.mother.id_number"') == 1  # each element asked once
    assert "免提交" in html and "出生医学证明" in html
    assert c.get("/cases/apply/thing/x/").status_code == 404
    assert c.get("/cases/apply/bundle/NOPE/").status_code == 404


def test_apply_accept_with_gaps_decide_and_notices(people, django_capture_on_commit_callbacks):
    applicant = login(people, "zhangsan")
    r, _key, data = apply_post(applicant, defer=("maternal-health-handbook",))
    assert r.status_code == 302, r.content.decode()[:2000]
    app = Application.objects.get()
    assert r["Location"] == f"/cases/{app.number}/"
    assert app.channel == "web" and app.materials.filter(source="upload").count() == 2
    # the same form posted twice (double click) is the same application
    attach_all(data, applicant.get(f"{APPLY}?{answers_query()}").content.decode())
    assert applicant.post(APPLY, data).status_code == 302
    assert Application.objects.count() == 1
    assert app.materials.filter(source="upload").count() == 2  # the repeat added no file

    page = applicant.get(f"/cases/{app.number}/").content.decode()
    no_inline_code(page)
    assert app.number in page and "430602199001011235" in page  # the owner sees their own number

    # outsiders: 404, nothing of the application in the body
    for username in ("lisi", "shenpi_gongan"):
        other = login(people, username)
        for url in (f"/cases/{app.number}/", f"/cases/{app.number}/materials/1/"):
            r = other.get(url)
            assert (
                r.status_code == 404
                and app.number not in r.content.decode()
                and "张" not in r.content.decode()
            )
        r = other.post(f"/cases/{app.number}/act/accept/", {})
        assert r.status_code == 404

    clerk = login(people, "chuangkou")
    board = clerk.get("/cases/window/").content.decode()
    no_inline_code(board)
    assert app.number in board and "新生儿出生一件事" in board
    detail = clerk.get(f"/cases/{app.number}/").content.decode()
    assert 'id="gaps-form"' in detail and "430602199001011235" not in detail
    r = clerk.post(
        f"/cases/{app.number}/act/accept_with_gaps/",
        {"gaps": ["maternal-health-handbook"], "commitment_date": _in_days(14)},
    )
    assert r.status_code == 302
    app.refresh_from_db()
    assert app.status == "accepted" and app.intake == "gaps"

    weijian = login(people, "shenpi_weijian")
    queue = weijian.get("/cases/approver/").content.decode()
    no_inline_code(queue)
    assert f"{app.number}-01" in queue
    for sub in ("01", "02"):
        r = weijian.post(
            f"/cases/{app.number}/act/decide/", {"sub": f"{app.number}-{sub}", "decision": "approved"}
        )
        assert r.status_code == 302
    # 医保 may not decide 卫健's sub-case: the web answers 404 like the API
    yibao = login(people, "shenpi_yibao")
    r = yibao.post(f"/cases/{app.number}/act/decide/", {"sub": f"{app.number}-01", "decision": "approved"})
    assert r.status_code == 404
    with django_capture_on_commit_callbacks(execute=True):
        yibao.post(f"/cases/{app.number}/act/decide/", {"sub": f"{app.number}-03", "decision": "approved"})
    app.refresh_from_db()
    assert app.status == "decided"

    page = applicant.get(f"/cases/{app.number}/").content.decode()
    assert "办结通知书" in page and "容缺受理告知书" in page
    notice = Notice.objects.get(application=app, kind="completion")
    url = f"/cases/{app.number}/notices/{notice.id}.pdf"
    assert url in page
    pdf = applicant.get(url)
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    assert login(people, "lisi").get(url).status_code == 404
    if shutil.which("pdftotext"):
        text = subprocess.run(
            ["pdftotext", "-", "-"], input=pdf.content, capture_output=True, check=True
        ).stdout.decode()
        assert "办结通知书" in text and app.number in text and "准予" in text
        assert notice.number in text.replace("\n", "")
    # the public verification page: genuine, without personal data
    r = Client().get(f"/cases/verify/{notice.token}/")
    html = r.content.decode()
    assert r.status_code == 200 and "真实有效" in html and notice.number in html
    assert "张三" not in html and "430602199001011235" not in html and "王芳" not in html
    no_inline_code(html)
    assert Client().get("/cases/verify/forged-token/").status_code == 404
    # the inbox got the news
    from onething.notifications.models import Notification

    assert Notification.objects.filter(recipient=people["zhangsan"], event="case.complete").exists()


def test_form_error_names_the_field_on_the_page(people):
    c = login(people, "zhangsan")
    _, _key, data = apply_post(c)  # first one succeeds
    data["idempotency_key"] = "another"
    data["f.mother.id_number"] = "430602199201011222"
    attach_all(data, c.get(f"{APPLY}?{answers_query()}").content.decode())
    r = c.post(APPLY, data)
    html = r.content.decode()
    assert r.status_code == 400 and "校验码错误" in html
    # named by its Chinese label, at the field; never by its code
    assert "“母亲身份证号”" in html and "请检查：母亲身份证号" in html
    assert "form.mother.id_number" not in html
    field = html[html.index('name="f.mother.id_number"') - 400 :]
    assert 'aria-invalid="true"' in field[:800] and 'class="error"' in field[:1200]


def test_window_intake_on_behalf(people):
    clerk = login(people, "chuangkou")
    url = f"/cases/window/new/bundle/{BUNDLE}/"
    page = clerk.get(f"{url}?{answers_query()}").content.decode()
    assert "申请人身份核验" in page and 'name="received"' in page
    data = {"idempotency_key": "w1", "applicant_name": "张三", "applicant_id_number": "430602199001011235"}
    data.update({f"a.{k}": "true" if v else "false" for k, v in ANSWERS.items()})
    for element in re.findall(r'name="f\.([a-z_.]+)"', page):
        group, name = element.split(".", 1)
        data[f"f.{element}"] = FORM.get(group, {}).get(name, "")
    data["received"] = ["maternal-health-handbook", "bank-account"]
    r = clerk.post(url, data)
    assert r.status_code == 302
    app = Application.objects.get()
    assert app.channel == "window" and app.hall_id == "yueyang-city-hall"
    assert app.materials.filter(source="paper").count() == 2
    r = clerk.post(f"/cases/{app.number}/act/accept/", {})
    app.refresh_from_db()
    assert app.status == "accepted"
    # an applicant cannot open the window pages
    assert login(people, "zhangsan").get(url).status_code == 404
    assert login(people, "zhangsan").get("/cases/window/").status_code == 404


def test_staff_pages_are_scoped(people, submit):
    submit()
    assert login(people, "zhangsan").get("/cases/approver/").status_code == 404
    assert login(people, "zhangsan").get("/cases/supervisor/").status_code == 404
    r = login(people, "ducha").get("/cases/supervisor/")
    assert r.status_code == 200
    no_inline_code(r.content.decode())
    assert login(people, "ducha").get("/cases/staff/").status_code == 302
    mine = login(people, "zhangsan").get("/cases/").content.decode()
    assert "新生儿出生一件事" in mine
    assert "新生儿出生一件事" not in login(people, "lisi").get("/cases/").content.decode()


def test_correction_and_withdraw_from_the_page(people, submit):
    app = submit()
    clerk, applicant = login(people, "chuangkou"), login(people, "zhangsan")
    clerk.post(
        f"/cases/{app.number}/act/request_correction/",
        {"items": "银行账户信息\n母子健康手册", "reason": "补正"},
    )
    app.refresh_from_db()
    assert app.status == "correction"
    page = applicant.get(f"/cases/{app.number}/").content.decode()
    assert "补正材料" in page and "银行账户信息" in page
    r = applicant.post(
        f"/cases/{app.number}/act/upload/",
        {"material": "bank-account", "file": SimpleUploadedFile("b.png", sample_png("bank"))},
    )
    assert r.status_code == 302
    applicant.post(f"/cases/{app.number}/act/resubmit/", {})
    app.refresh_from_db()
    assert app.status == "submitted"
    r = applicant.post(f"/cases/{app.number}/act/accept/", {})  # not the applicant's to do
    app.refresh_from_db()
    assert app.status == "submitted"
    applicant.post(f"/cases/{app.number}/act/withdraw/", {"reason": "不办了"})
    app.refresh_from_db()
    assert app.status == "withdrawn"


def test_buttons_are_named_by_the_machines(people, submit, monkeypatch):
    """The clerk's buttons are the application machine's labels, so renaming an event in
    ``cases/machines.py`` renames its button (no second list of action names in templates)."""
    from onething.cases import machines, views

    app = submit()
    clerk = login(people, "chuangkou")
    html = clerk.get(f"/cases/{app.number}/").content.decode()
    for name in ("pre_review", "accept", "reject", "request_correction"):
        assert f">{machines.APPLICATION.event_label(name)}<" in html.replace("（暂停计时）", ""), name
    monkeypatch.setitem(views.EVENT_LABELS["application"], "accept", "收件受理")
    assert ">收件受理</button>" in clerk.get(f"/cases/{app.number}/").content.decode()
