"""The online apply page keeps what a person typed and chose: files survive a refused
submission (kept in a draft), a draft can be saved and resumed from 我的办件, required
materials are asked for before submitting, the form is prefilled from the signed-in person,
and the delivery method is asked once."""

from __future__ import annotations

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from onething.audit.models import AuditRecord
from onething.cases.models import Application, Draft
from onething.cases.tests.conftest import sample_pdf
from onething.cases.tests.test_web import APPLY, answers_query, apply_post, attach_all, login

pytestmark = pytest.mark.django_db


def _page(client, query: str = ""):
    html = client.get(f"{APPLY}?{answers_query()}{query}").content.decode()
    key = re.search(r'name="idempotency_key" value="([0-9a-f]+)"', html).group(1)
    return html, key


def _filled(client, **overrides):
    """The form as a person fills it (answers, every field, every file)."""
    _, _, data = apply_post_dry(client)
    data.update(overrides)
    return data


def apply_post_dry(client):
    from onething.cases.tests.conftest import FORM

    html, key = _page(client)
    data = {"idempotency_key": key, **{f"a.{k}": v for k, v in _answers().items()}}
    flat = {f"{g}.{n}": v for g, fields in FORM.items() for n, v in fields.items()}
    for element in re.findall(r'name="f\.([a-z_.]+)"', html):
        data[f"f.{element}"] = flat.get(element, "")
    return html, key, attach_all(data, html)


def _answers():
    from onething.cases.tests.conftest import ANSWERS

    return {k: "true" if v else "false" for k, v in ANSWERS.items()}


def test_files_survive_a_refused_submission_and_are_not_chosen_twice(people):
    c = login(people, "zhangsan")
    data = _filled(c, **{"f.mother.id_number": "430602199201011222"})  # bad check character
    r = c.post(APPLY, data)
    html = r.content.decode()
    assert r.status_code == 400 and "校验码错误" in html
    assert html.count("已选择：") == 3 and "bank-account.pdf" in html
    draft = Draft.objects.get(owner=people["zhangsan"])
    assert draft.files.count() == 3 and f'name="draft" value="{draft.pk}"' in html
    assert not Application.objects.exists()
    # corrected, submitted without choosing any file again
    fixed = {k: v for k, v in data.items() if not k.startswith("m.")}
    fixed.update({"f.mother.id_number": "430602199201011221", "draft": str(draft.pk)})
    r = c.post(APPLY, fixed)
    assert r.status_code == 302
    app = Application.objects.get()
    assert app.materials.filter(source="upload").count() == 3
    assert set(app.materials.filter(source="upload").values_list("filename", flat=True)) == {
        "maternal-health-handbook.pdf",
        "medical-bills.pdf",
        "bank-account.pdf",
    }
    draft.refresh_from_db()
    assert draft.status == "submitted" and draft.application == app
    # the same post again (a double click) leads to the application and adds nothing
    again = c.post(APPLY, fixed)
    assert again.status_code == 302 and again["Location"] == f"/cases/{app.number}/"
    assert Application.objects.count() == 1 and app.materials.filter(source="upload").count() == 3
    assert AuditRecord.objects.filter(object_type="draft", action="draft.submit_draft").count() == 1


def test_required_materials_are_asked_for_before_submitting(people):
    c = login(people, "zhangsan")
    data = _filled(c)
    del data["m.maternal-health-handbook"]
    r = c.post(APPLY, data)
    html = r.content.decode()
    assert r.status_code == 400 and "请上传“母子健康手册”" in html
    handbook = html[html.index('name="m.maternal-health-handbook"') - 200 :][:900]
    assert 'aria-invalid="true"' in handbook and 'class="error"' in handbook
    assert not Application.objects.exists()
    # the two files chosen are kept: only the missing one is chosen now
    draft = Draft.objects.get()
    assert draft.files.count() == 2
    rest = {k: v for k, v in data.items() if not k.startswith("m.")}
    rest["draft"] = str(draft.pk)
    rest["m.maternal-health-handbook"] = SimpleUploadedFile("h.pdf", sample_pdf("手册"))
    assert c.post(APPLY, rest).status_code == 302
    assert Application.objects.get().materials.filter(source="upload").count() == 3


def test_a_draft_is_saved_resumed_and_only_its_owner_sees_it(people):
    c = login(people, "zhangsan")
    _, key = _page(c)
    data = {"idempotency_key": key, "action": "save_draft", **{f"a.{k}": v for k, v in _answers().items()}}
    data["f.child.name"] = "张小宝"
    data["m.bank-account"] = SimpleUploadedFile("bank.pdf", sample_pdf("bank"))
    r = c.post(APPLY, data)
    draft = Draft.objects.get()
    assert r.status_code == 302 and r["Location"].endswith(f"?draft={draft.pk}")
    assert not Application.objects.exists()
    mine = c.get("/cases/").content.decode()
    assert "未提交的草稿" in mine and f"?draft={draft.pk}" in mine and "继续填写" in mine
    resumed = c.get(f"{APPLY}?draft={draft.pk}").content.decode()
    assert 'value="张小宝"' in resumed and "已选择：bank.pdf" in resumed and 'id="apply-form"' in resumed
    # someone else's draft is not found, on the page and for discarding
    other = login(people, "lisi")
    assert other.get(f"{APPLY}?draft={draft.pk}").status_code == 404
    assert other.post(f"/cases/drafts/{draft.pk}/discard/").status_code == 404
    assert c.post(f"/cases/drafts/{draft.pk}/discard/").status_code == 302
    draft.refresh_from_db()
    assert draft.status == "discarded" and "未提交的草稿" not in c.get("/cases/").content.decode()


def test_a_bad_file_is_refused_at_its_field_and_the_good_ones_are_kept(people):
    c = login(people, "zhangsan")
    data = _filled(c)
    data["m.medical-bills"] = SimpleUploadedFile("bills.pdf", b"MZ\x90\x00 not a pdf")
    r = c.post(APPLY, data)
    html = r.content.decode()
    assert r.status_code == 400 and not Application.objects.exists()
    bills = html[html.index('name="m.medical-bills"') - 200 :][:900]
    assert 'aria-invalid="true"' in bills
    assert Draft.objects.get().files.count() == 2


def test_the_form_is_prefilled_from_the_signed_in_person(people):
    c = login(people, "zhangsan")
    html, _ = _page(c)
    person = people["zhangsan"]
    for element, value in (
        ("applicant.name", person.real_name),
        ("applicant.phone", person.phone),
    ):
        if f'name="f.{element}"' in html:
            field = html[html.index(f'name="f.{element}"') :][:300]
            assert f'value="{value}"' in field, element
    # what they typed last time for the same elements comes back
    apply_post(c)
    again, _ = _page(c)
    field = again[again.index('name="f.mother.name"') :][:300]
    assert 'value="王芳"' in field


def test_delivery_is_asked_once_and_mail_needs_an_address(people):
    c = login(people, "zhangsan")
    data = _filled(c, delivery_method="mail", delivery_address="")
    r = c.post(APPLY, data)
    assert r.status_code == 400 and "请填写邮寄地址" in r.content.decode()
    data = {k: v for k, v in data.items() if not k.startswith("m.")}
    data.update(delivery_address="岳阳市岳阳楼区洞庭路1号", draft=str(Draft.objects.get().pk))
    assert c.post(APPLY, data).status_code == 302
    app = Application.objects.get()
    assert (app.delivery_method, app.delivery_address) == ("mail", "岳阳市岳阳楼区洞庭路1号")
    detail = c.get(f"/cases/{app.number}/").content.decode()
    assert "申请已提交，办件编号" in detail and "操作成功" not in detail


def test_a_material_may_be_asked_for_as_gap_but_never_a_key_one(people):
    from types import SimpleNamespace

    from onething.cases import intake

    c = login(people, "zhangsan")
    data = _filled(c, gap_request="maternal-health-handbook")
    del data["m.maternal-health-handbook"]
    assert c.post(APPLY, data).status_code == 302
    app = Application.objects.get()
    assert not app.materials.filter(material="maternal-health-handbook").exists()
    line = SimpleNamespace(
        material="id-card", name="居民身份证", kind="id_document", required=True, exempt=False
    )
    line.as_dict = lambda: {"kind": "id_document"}
    with pytest.raises(intake.errors.DomainError, match="核心材料"):
        intake._require_materials(SimpleNamespace(materials=[line]), set(), {"id-card"})


@pytest.mark.parametrize("value", ["99999999999999999999", "-1", "abc", "１２", ""])
def test_a_bad_draft_id_is_a_404_or_ignored_never_a_500(people, value):
    c = login(people, "zhangsan")
    status = c.get(f"{APPLY}?{answers_query()}&draft={value}").status_code
    assert status == (200 if value == "" else 404)
    assert c.post(APPLY, {"draft": value, "idempotency_key": "k"}).status_code in (200, 400, 404)
