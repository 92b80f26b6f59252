"""E-licences in cases: an approval issues the licence; the next application uses it with the
holder's consent instead of asking for it (用证), never without consent."""

from __future__ import annotations

import pytest
from django.test import Client

from onething.accounts.models import StaffRole
from onething.cases import exempt, lifecycle
from onething.cases.models import Material, SharedData
from onething.cases.progress import application_view
from onething.cases.tests.conftest import ANSWERS_LOCAL, at
from onething.cases.tests.test_lifecycle import subs, upload_all
from onething.kernel import codes
from onething.licences import credentials, issuing, wallet
from onething.licences.models import Consent, Licence, LicenceType, LicenceUse
from onething.notifications.models import Notification

pytestmark = pytest.mark.django_db

ZHANGSAN = "430602199001011235"
ENTERPRISE = "91430600MA4L00001C"
HUKOU_ITEM = "430602-GA-0701-01"  # 出生登记（户口登记）, 岳阳楼分局
DEREGISTER_ITEM = "430602-SCJG-0106-01"  # 企业注销登记, 岳阳楼区市场监管局
HUKOU_FORM = {
    "child.name": "张小宝",
    "child.birth_date": "2026-11-01",
    "child.gender": "男",
    "mother.name": "王芳",
    "mother.id_number": "430602199201011221",
    "father.name": "张三",
    "father.id_number": ZHANGSAN,
    "applicant.address": "岳阳市岳阳楼区洞庭路1号",
    "applicant.phone": "13800000001",
}


@pytest.fixture
def submit(submit, django_capture_on_commit_callbacks):
    def run(**kw):
        with django_capture_on_commit_callbacks(execute=True):
            return submit(**kw)

    return run


@pytest.fixture
def newborn_licence(submit, people, upload_factory, django_capture_on_commit_callbacks) -> Licence:
    """Decide a 新生儿出生 application: the 卫健 approval issues the child's 出生医学证明."""
    app = submit(answers=ANSWERS_LOCAL, data_consent=True)
    upload_all(app, people, upload_factory)
    lifecycle.accept(app, people["chuangkou"], now=at("2026-11-23"))
    with django_capture_on_commit_callbacks(execute=True):
        lifecycle.decide(
            subs(app)["430600-WJ-2001-01"],
            people["shenpi_weijian"],
            decision="approved",
            now=at("2026-11-24"),
        )
    return Licence.objects.get(type__name="出生医学证明", holder_id=ZHANGSAN)


def _hukou(submit, **kw):
    return submit(kind="item", code=HUKOU_ITEM, answers={"parents_married": True}, form=HUKOU_FORM, **kw)


def _birth_type() -> LicenceType:
    return LicenceType.objects.get(name="出生医学证明")


def _authorise_for_hukou(holder) -> Consent:
    """The holder authorises the 出生医学证明 for 出生登记, from 我的证照."""
    return wallet.give(
        holder,
        holder_id=ZHANGSAN,
        kind=_birth_type(),
        scope="item",
        scope_code=HUKOU_ITEM,
        scope_name="出生登记",
        purpose="办理出生登记",
    )


def test_approving_the_newborn_certificate_issues_the_licence_to_the_parent(newborn_licence, people):
    licence = newborn_licence
    assert licence.holder_name == "张三" and licence.holder_kind == "person"
    assert licence.issuer_id == "11430600MB06000535"  # 岳阳市卫生健康委员会
    assert licence.fields["child_name"] == "张小宝" and licence.fields["mother_name"] == "王芳"
    assert licence.source.startswith("cases.subcase:")
    assert codes.validate_licence_identifier(licence.identifier) is None
    assert credentials.verify(licence.credential).genuine
    assert Notification.objects.filter(recipient=people["zhangsan"], event="licences.issued").exists()
    # items whose result is a record (户口登记) or that are not yet decided issue nothing
    assert Licence.objects.filter(source__startswith="cases.").count() == 1


def test_a_refusal_issues_nothing(submit, people, upload_factory, django_capture_on_commit_callbacks):
    app = submit(answers=ANSWERS_LOCAL)
    upload_all(app, people, upload_factory)
    lifecycle.accept(app, people["chuangkou"], now=at("2026-11-23"))
    with django_capture_on_commit_callbacks(execute=True):
        lifecycle.decide(
            subs(app)["430600-WJ-2001-01"],
            people["shenpi_weijian"],
            decision="refused",
            reasons="出生信息核验不符",
            now=at("2026-11-24"),
        )
    assert not Licence.objects.filter(source__startswith="cases.").exists()


def test_the_next_application_uses_the_licence_with_consent(newborn_licence, submit, people):
    app = _hukou(submit, licence_consent=[_birth_type().code])
    material = Material.objects.get(application=app, material="birth-medical-certificate")
    assert material.fetch_status == "fetched"
    row = SharedData.objects.get(application=app, material="birth-medical-certificate")
    assert row.resource_code == SharedData.E_LICENCE and row.licence_identifier == newborn_licence.identifier
    assert row.data["verified"] == "真实有效的电子证照" and row.data["field.child_name"] == "张小宝"
    use = LicenceUse.objects.get(pk=row.licence_use_id)
    assert use.allowed and use.department_id == "11430602MB0600246M" and use.application == app.number
    consent = Consent.objects.get(pk=use.consent_id)
    assert (consent.scope, consent.scope_code) == ("item", HUKOU_ITEM) and consent.holder_id == ZHANGSAN
    # the approver sees the verified reference on the sub-case
    police = people["zhangsan"]  # the owner sees it too
    shown = application_view(app, police)["subcases"][0]["shared"]
    assert any(d["material"] == "birth-medical-certificate" and d["found"] for d in shown)
    # and the holder sees the use
    page = Client()
    page.force_login(people["zhangsan"])
    assert "岳阳市公安局岳阳楼分局" in page.get("/licences/").content.decode()


def test_without_consent_nothing_is_read_and_the_api_answers_403(newborn_licence, submit, people, make_user):
    app = _hukou(submit)
    material = Material.objects.get(application=app, material="birth-medical-certificate")
    assert material.fetch_status == "failed" and "未授权" in material.fetch_note
    assert not SharedData.objects.filter(
        application=app, material="birth-medical-certificate", found=True
    ).exists()
    refused = LicenceUse.objects.get(licence=newborn_licence)
    assert not refused.allowed and refused.consent_id is None
    assert exempt.may_upload_instead(app, "birth-medical-certificate")
    assert Notification.objects.filter(recipient=people["zhangsan"], event="case.fetch_failed").exists()
    approver = make_user(
        "shenpi_ylq_gongan", roles=[(StaffRole.APPROVER, {"department_id": "11430602MB0600246M"})]
    )
    client = Client()
    client.force_login(approver)
    sub = app.subcases.get()
    url = f"/api/v1/applications/{app.number}/subcases/{sub.number}/licences"
    response = client.post(url, {"material": "birth-medical-certificate"}, content_type="application/json")
    assert response.status_code == 403 and response.json()["error"]["code"] == "consent_required"
    assert not SharedData.objects.filter(
        application=app, found=True, material="birth-medical-certificate"
    ).exists()
    # the holder authorises it for this item: the approver obtains it
    _authorise_for_hukou(people["zhangsan"])
    response = client.post(url, {"material": "birth-medical-certificate"}, content_type="application/json")
    assert response.status_code == 200, response.content
    assert response.json()["identifier"] == newborn_licence.identifier
    assert Material.objects.get(pk=material.pk).fetch_status == "fetched"
    # the applicant cannot call it, another department gets 404
    other = Client()
    other.force_login(people["shenpi_weijian"])
    assert (
        other.post(
            url, {"material": "birth-medical-certificate"}, content_type="application/json"
        ).status_code
        == 404
    )


def test_withdrawn_consent_refuses_the_next_use(newborn_licence, submit, people):
    first = _hukou(submit, licence_consent=[_birth_type().code])
    assert (
        Material.objects.get(application=first, material="birth-medical-certificate").fetch_status
        == "fetched"
    )
    consent = Consent.objects.get(holder_id=ZHANGSAN, type=_birth_type())
    wallet.withdraw(people["zhangsan"], consent)
    second = _hukou(submit)
    material = Material.objects.get(application=second, material="birth-medical-certificate")
    assert material.fetch_status == "failed" and "未授权" in material.fetch_note


def test_a_revoked_licence_is_never_used(newborn_licence, submit, people):
    issuing.change(
        newborn_licence, "revoke", None, reason_code="withdraw", reason="信息有误", roles={"system"}
    )
    app = _hukou(submit, licence_consent=[])
    row = SharedData.objects.filter(application=app, material="birth-medical-certificate").first()
    assert row is None or row.licence_identifier == ""
    assert not LicenceUse.objects.filter(licence=newborn_licence, allowed=True).exists()
    with pytest.raises(Exception, match="没有可用"):
        wallet.use(
            holder_id=ZHANGSAN,
            material="birth-medical-certificate",
            scopes=[("item", HUKOU_ITEM)],
            department="11430602MB0600246M",
            purpose="x",
        )


def test_consent_for_a_material_the_application_does_not_have_refuses_the_intake(submit, people):
    code = LicenceType.objects.get(name="机动车驾驶证").code
    before = Material.objects.count()
    with pytest.raises(Exception, match="免提交材料"):
        _hukou(submit, licence_consent=[code])
    assert Material.objects.count() == before  # nothing half-written


def test_an_enterprise_uses_its_business_licence(submit, people):
    code = LicenceType.objects.get(name="营业执照").code
    app = submit(
        actor=people["lisi"],
        kind="item",
        code=DEREGISTER_ITEM,
        answers={"simple_deregistration": True},
        form={
            "enterprise.name": "岳阳市洞庭湖餐饮管理有限公司",
            "enterprise.uscc": ENTERPRISE,
            "legal_rep.name": "李四",
            "legal_rep.id_number": "430626198805052012",
            "deregistration.reason": "营业期限届满",
            "applicant.phone": "13800000002",
        },
        enterprise=ENTERPRISE,
        licence_consent=[code],
    )
    row = SharedData.objects.get(application=app, material="business-license")
    licence = Licence.objects.get(type__name="营业执照", holder_id=ENTERPRISE)
    assert row.licence_identifier == licence.identifier and row.found
    assert Consent.objects.get(type__name="营业执照").holder_id == ENTERPRISE


def test_the_exemption_report_counts_planned_and_achieved(newborn_licence, submit, people):
    from onething.cases.exemption_report import report

    with_consent = _hukou(submit, licence_consent=[_birth_type().code])
    without = _hukou(submit)  # without consent the licence is not used; shared data still is
    rows = {(r.kind, r.code): r for r in report()}
    alone = rows[("item", HUKOU_ITEM)]
    listed = [m for app in (with_consent, without) for m in app.plan["materials"]]
    assert alone.applications == 2 and alone.materials == len(listed)
    assert alone.exempt == sum(1 for m in listed if m["exempt"])
    fetched = Material.objects.filter(
        application__code=HUKOU_ITEM, source="platform", fetch_status="fetched"
    ).count()
    assert alone.obtained == fetched and 0 < fetched < 6
    assert alone.achieved_rate < alone.planned_rate
    bundle = rows[("bundle", "430600-YJS-XSECS")]
    assert bundle.applications == 1 and bundle.exempt <= bundle.materials
    assert ("item", "430600-WJ-2001-01") in rows  # members of the bundle have rows of their own
    assert (
        Material.objects.filter(application=with_consent, material="birth-medical-certificate")
        .get()
        .fetch_status
        == "fetched"
    )


def test_the_approver_obtains_it_from_the_case_page_once_authorised(
    newborn_licence, submit, people, make_user
):
    app = _hukou(submit)
    approver = make_user(
        "shenpi_ylq_gongan2", roles=[(StaffRole.APPROVER, {"department_id": "11430602MB0600246M"})]
    )
    client = Client()
    client.force_login(approver)
    sub = app.subcases.get()
    page = client.get(f"/cases/{app.number}/").content.decode()
    assert "调取电子证照" in page
    form = {"sub": sub.number, "material": "birth-medical-certificate"}
    refused = client.post(f"/cases/{app.number}/licences/", form, follow=True).content.decode()
    assert "未授权" in refused
    _authorise_for_hukou(people["zhangsan"])
    done = client.post(f"/cases/{app.number}/licences/", form, follow=True).content.decode()
    assert "已调取并核验电子证照" in done and "签名与状态已核验" in done
    # another department's staff get 404
    other = Client()
    other.force_login(people["shenpi_yibao"])
    assert other.post(f"/cases/{app.number}/licences/", form).status_code == 404


def test_a_parent_of_two_picks_which_certificate(newborn_licence, submit, people):
    from onething.directory.models import Department

    elder = issuing.issue(
        issuing.Request(
            type=_birth_type(),
            issuer=Department.objects.get(code="11430600MB06000535"),
            holder_kind="person",
            holder_id=ZHANGSAN,
            holder_name="张三",
            fields={"child_name": "张大宝", "child_birth_date": "2023-04-02"},
        )
    )
    page = Client()
    page.force_login(people["zhangsan"])
    html = page.get(f"/cases/apply/item/{HUKOU_ITEM}/", {"a.parents_married": "true"}).content.decode()
    assert html.count('name="licence_pick.birth-medical-certificate"') == 3  # none, or one of two
    assert "张大宝" in html and "张小宝" in html
    app = _hukou(submit, licence_consent=[elder.identifier])
    row = SharedData.objects.get(application=app, material="birth-medical-certificate")
    assert row.licence_identifier == elder.identifier  # not the newest one
    assert Consent.objects.filter(holder_id=ZHANGSAN, type=_birth_type()).count() == 1
    # someone else's licence cannot be chosen
    other = Licence.objects.get(type__name="营业执照")
    with pytest.raises(Exception, match="不属于申请人"):
        _hukou(submit, licence_consent=[other.identifier])
