"""免提交 made real: a 新生儿出生 application obtains its exempt materials through the gateway."""

from __future__ import annotations

import pytest

from onething.accounts.models import User
from onething.cases import exempt, intake
from onething.cases.models import Material, SharedData
from onething.cases.progress import application_view
from onething.cases.tests.conftest import ANSWERS_LOCAL, BUNDLE, FORM
from onething.cases.uploads import store_upload
from onething.kernel.codes import id_number_check_char
from onething.sharing import requests
from onething.sharing.models import Call, Request, Resource

pytestmark = pytest.mark.django_db


@pytest.fixture
def submit(submit, django_capture_on_commit_callbacks):
    """The cases' ``submit``, with the intake's after-commit fetch run as a commit would."""

    def run(**kw):
        with django_capture_on_commit_callbacks(execute=True):
            return submit(**kw)

    return run


MOTHER = "430602199201011221"
OTHER_MOTHER = "43060219930505122" + id_number_check_char("43060219930505122")


def _materials(app) -> dict[str, Material]:
    return {m.material: m for m in Material.objects.filter(application=app, source="platform")}


def test_consented_application_fetches_each_exempt_material_with_provenance(submit):
    app = submit(answers=ANSWERS_LOCAL, data_consent=True)
    materials = _materials(app)
    # 户口簿 and 结婚证 through data sharing, 出生医学证明 and 身份证 through the resources that
    # replace them (the licence store is not a provider yet)
    assert materials["household-register"].fetch_status == "fetched"
    assert materials["marriage-certificate"].fetch_status == "fetched"
    assert materials["birth-medical-certificate"].fetch_status == "fetched"
    rows = SharedData.objects.filter(application=app)
    police = rows.get(subcase__department_id="11430600MB0600046D", material="marriage-certificate")
    assert police.found and police.data["spouse_name"] == "张三"
    assert police.resource_code == "MZ-HYDJ-001"
    call = Call.objects.get(pk=police.call_id)
    assert call.outcome == "allowed" and call.department_code == "11430600MB0600046D"
    assert call.request_id == police.request_id
    assert Request.objects.get(pk=police.request_id).purpose == call.purpose
    assert len(police.sha256) == 64
    # the birth certificate is about the mother, named in the form, not about the applicant
    birth = rows.filter(material="birth-medical-certificate").first()
    assert birth.data["mother_id_number"] == MOTHER
    # every department fetched under its own approval: one row per sub-case that needs it
    needing = {s for m in app.plan["materials"] if m["material"] == "household-register" for s in m["items"]}
    assert (
        set(rows.filter(material="household-register").values_list("subcase__item_code", flat=True))
        == needing
    )


def test_the_approver_sees_the_fetched_data_and_others_see_it_masked(submit, people):
    app = submit(answers=ANSWERS_LOCAL, data_consent=True)
    police = people["shenpi_gongan"]
    view = application_view(app, police)
    sub = next(s for s in view["subcases"] if s["department"]["code"] == "11430600MB0600046D")
    marriage = next(d for d in sub["shared"] if d["material"] == "marriage-certificate")
    values = {v["key"]: v["value"] for v in marriage["values"]}
    assert values["spouse_id_number"] == "430602199001011235"
    assert marriage["resource_name"] == "婚姻登记信息" and marriage["call"]
    # 医保 sees only its own sub-cases; a supervisor sees them all with numbers masked
    supervisor = application_view(app, people["ducha"])
    shown = [v["value"] for s in supervisor["subcases"] for d in s["shared"] for v in d["values"]]
    assert shown and all("430602199001011235" not in v for v in shown)


def test_without_consent_conditional_data_is_not_fetched_and_the_applicant_may_upload(
    submit, people, upload_factory
):
    app = submit(answers=ANSWERS_LOCAL)
    materials = _materials(app)
    assert materials["marriage-certificate"].fetch_status == "failed"
    assert "未同意" in materials["marriage-certificate"].fetch_note
    assert not Call.objects.filter(resource_code="MZ-HYDJ-001", department_code="11430600MB0600046D").exists()
    # the unconditional 身份证 resource needs no consent
    assert materials["id-card"].fetch_status == "fetched"
    inbox = people["zhangsan"].notifications.filter(event="case.fetch_failed")
    assert inbox.filter(title__contains="结婚证").exists()
    # no dead end: the material may now be uploaded
    store_upload(app, "marriage-certificate", upload_factory(), people["zhangsan"])
    assert Material.objects.filter(application=app, material="marriage-certificate", source="upload").exists()


def test_a_provider_without_the_record_means_upload_instead(submit, people):
    # the mother named in the form has no birth certificate in the base library
    form = {**intake.flatten(FORM), "mother.name": "刘敏", "mother.id_number": OTHER_MOTHER}
    plan = intake.load_plan("bundle", BUNDLE, ANSWERS_LOCAL)
    asked = {f.element for f in plan.form}
    app = submit(answers=ANSWERS_LOCAL, form={k: v for k, v in form.items() if k in asked}, data_consent=True)
    birth = _materials(app)["birth-medical-certificate"]
    assert birth.fetch_status == "failed" and "无该对象的数据" in birth.fetch_note
    assert exempt.may_upload_instead(app, "birth-medical-certificate")


def test_a_suspended_approval_no_longer_serves_intake(submit, people):
    approval = Request.objects.get(department_id="11430600MB0600046D", resource__code="MZ-HYDJ-001")
    requests.suspend(User.objects.get(username="admin"), approval.pk, reason="核查数据使用情况")
    app = submit(answers=ANSWERS_LOCAL, data_consent=True)
    # the suspended approval no longer routes: that material has no sharing route now
    assert _materials(app)["marriage-certificate"].fetch_status == "unrouted"
    rows = SharedData.objects.filter(
        application=app, material="marriage-certificate", subcase__department_id="11430600MB0600046D"
    )
    assert not rows.exists()


def test_materials_without_any_approval_stay_unrouted(submit, people):
    Resource.objects.filter(code="GA-SFZ-001").update(replaces=[])
    app = submit(answers=ANSWERS_LOCAL, data_consent=True)
    assert _materials(app)["id-card"].fetch_status == "unrouted"


def test_fetching_twice_fetches_nothing_twice(submit):
    app = submit(answers=ANSWERS_LOCAL, data_consent=True)
    calls = Call.objects.count()
    assert exempt.fetch_for(app) == {}
    Material.objects.filter(application=app).update(fetch_status="")
    exempt.fetch_for(app)  # settled again: the found rows are kept, nothing fetched again
    assert Call.objects.count() == calls
