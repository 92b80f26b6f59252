"""The state machine: every legal transition, a sample of illegal ones, the ripple through
dependent sub-cases, and the audit record of every step."""

from __future__ import annotations

import datetime as dt

import pytest

from onething.audit.log import verify_chain
from onething.audit.models import AuditRecord
from onething.cases import lifecycle
from onething.cases.models import Application, PostCheck, SubCase
from onething.cases.tests.conftest import ANSWERS_LOCAL, at
from onething.core.errors import status_of
from onething.workflow import engine

S = Application.Status
SS = SubCase.Status
pytestmark = pytest.mark.django_db


def subs(app):
    return {s.item_code: s for s in app.subcases.order_by("position")}


def fresh(app):
    return Application.objects.get(pk=app.pk)


def upload_all(app, people, upload_factory, skip=()):
    from onething.cases import intake

    for m in app.plan["materials"]:
        if not m["exempt"] and m["material"] not in skip:
            intake.store_upload(app, m["material"], upload_factory(), people["zhangsan"])


def test_submit_creates_subcases_and_exempt_materials(submit):
    app = submit()
    assert app.status == S.SUBMITTED
    numbers = list(app.subcases.values_list("number", flat=True))
    assert numbers == [f"{app.number}-0{i}" for i in range(1, 4)]
    assert app.number.startswith("430600-20261120-")
    platform = set(app.materials.filter(source="platform").values_list("material", flat=True))
    assert {"id-card", "birth-medical-certificate"} <= platform
    assert AuditRecord.objects.filter(action="application.submit", object_id=app.number).count() == 1


def test_full_path_accept_decide_deliver_close(submit, people, upload_factory):
    app = submit()
    clerk = people["chuangkou"]
    lifecycle.pre_review(app, clerk, now=at("2026-11-20"))
    upload_all(app, people, upload_factory)
    app = lifecycle.accept(fresh(app), clerk, now=at("2026-11-23"))
    assert app.status == S.ACCEPTED and app.started_on == dt.date(2026, 11, 23)
    s = subs(app)
    first, second, insurance = s["430600-WJ-2001-01"], s["430600-WJ-2002-01"], s["430600-YB-0501-01"]
    assert first.status == SS.IN_REVIEW and first.due_date == dt.date(2026, 11, 24)
    assert second.status == SS.WAITING and second.due_date is None
    assert insurance.status == SS.WAITING

    lifecycle.start_review(first, people["shenpi_weijian"], now=at("2026-11-23", 11))
    assert fresh(app).status == S.IN_REVIEW
    lifecycle.decide(
        first, people["shenpi_weijian"], decision="approved", reasons="符合条件", now=at("2026-11-24")
    )
    s = subs(app)
    assert s["430600-WJ-2002-01"].status == SS.IN_REVIEW
    assert s["430600-WJ-2002-01"].started_on == dt.date(2026, 11, 24)
    assert s["430600-YB-0501-01"].status == SS.IN_REVIEW
    lifecycle.decide(
        s["430600-WJ-2002-01"], people["shenpi_weijian"], decision="approved", now=at("2026-11-24")
    )
    lifecycle.decide(
        s["430600-YB-0501-01"], people["shenpi_yibao"], decision="approved", now=at("2026-11-25")
    )
    app = fresh(app)
    assert app.status == S.DECIDED and not app.timed
    assert set(app.notices.values_list("kind", flat=True)) == {"acceptance", "completion"}
    lifecycle.result_ready(app, clerk, method="mail", now=at("2026-11-25"))
    with pytest.raises(lifecycle.InvalidAction):
        lifecycle.deliver(app, clerk, method="mail", now=at("2026-11-26"))
    lifecycle.deliver(app, clerk, method="mail", tracking_number="EMS1234567890", now=at("2026-11-26"))
    app = lifecycle.close(fresh(app), clerk, now=at("2026-11-27"))
    assert app.status == S.CLOSED
    actions = list(AuditRecord.objects.filter(object_id=app.number).values_list("action", flat=True))
    assert actions == [
        "application.submit",
        "application.pre_review",
        *["application.upload"] * sum(1 for m in app.plan["materials"] if not m["exempt"]),
        "application.accept",
        "application.start_review",
        "application.complete",
        "application.result_ready",
        "application.deliver",
        "application.close",
    ]
    assert verify_chain() is None


def test_refused_dependency_stops_dependants(
    submit, people, upload_factory, django_capture_on_commit_callbacks
):
    app = submit(answers=ANSWERS_LOCAL)
    upload_all(app, people, upload_factory)
    lifecycle.accept(app, people["chuangkou"], now=at("2026-11-23"))
    s = subs(app)
    with pytest.raises(lifecycle.InvalidAction):
        lifecycle.decide(
            s["430600-WJ-2001-01"], people["shenpi_weijian"], decision="refused", now=at("2026-11-23")
        )
    with django_capture_on_commit_callbacks(execute=True):
        lifecycle.decide(
            s["430600-WJ-2001-01"],
            people["shenpi_weijian"],
            decision="refused",
            reasons="出生信息核验不符",
            now=at("2026-11-23"),
        )
    s = subs(app)
    assert {c: x.status for c, x in s.items()} == {
        "430600-WJ-2001-01": SS.REFUSED,
        "430600-WJ-2002-01": SS.STOPPED,
        "430600-GA-0701-01": SS.STOPPED,
        "430600-YB-2001-01": SS.STOPPED,
    }
    assert "不予许可" in s["430600-YB-2001-01"].reasons
    app = fresh(app)
    assert app.status == S.DECIDED
    from onething.notifications.models import Notification

    assert Notification.objects.filter(recipient=people["zhangsan"], event="case.stopped").count() == 3


def test_reject_and_illegal_transitions(submit, people):
    app = submit()
    clerk = people["chuangkou"]
    with pytest.raises(lifecycle.InvalidAction):
        lifecycle.reject(app, clerk, reason=" ", now=at("2026-11-20"))
    with pytest.raises(lifecycle.NotPermitted):
        lifecycle.reject(app, people["zhangsan"], reason="x", now=at("2026-11-20"))
    lifecycle.reject(app, clerk, reason="不属于本机关职权范围", now=at("2026-11-20"))
    app = fresh(app)
    assert app.status == S.REJECTED
    assert set(app.subcases.values_list("status", flat=True)) == {SS.STOPPED}
    assert app.notices.get().kind == "rejection"
    for call in (
        lambda: lifecycle.accept(app, clerk, now=at("2026-11-20")),
        lambda: lifecycle.pre_review(app, clerk, now=at("2026-11-20")),
        lambda: lifecycle.withdraw(app, people["zhangsan"], now=at("2026-11-20")),
        lambda: lifecycle.resubmit(app, people["zhangsan"], now=at("2026-11-20")),
        lambda: lifecycle.deliver(app, clerk, method="window", now=at("2026-11-20")),
    ):
        with pytest.raises(lifecycle.IllegalTransition) as exc:
            call()
        assert status_of(exc.value) == 409 and "不予受理" in exc.value.message
    lifecycle.close(app, clerk, now=at("2026-11-21"))
    assert fresh(app).status == S.CLOSED


def test_accept_refuses_incomplete_materials(submit, people):
    app = submit()
    with pytest.raises(lifecycle.InvalidAction) as exc:
        lifecycle.accept(app, people["chuangkou"], now=at("2026-11-23"))
    assert "材料不齐" in exc.value.message
    # paper materials received at the window count
    lifecycle.accept(
        app, people["chuangkou"], received=["maternal-health-handbook", "bank-account"], now=at("2026-11-23")
    )
    assert fresh(app).status == S.ACCEPTED
    assert app.materials.filter(source="paper").count() == 2


def test_accept_with_gaps_and_missed_commitment(submit, people, upload_factory):
    from onething.cases import intake

    app = submit(answers=ANSWERS_LOCAL)
    clerk = people["chuangkou"]
    intake.store_upload(app, "insurance-enrol-form", upload_factory(), people["zhangsan"])
    with pytest.raises(lifecycle.InvalidAction):  # key material cannot be a gap
        lifecycle.accept_with_gaps(
            app,
            clerk,
            gaps=["insurance-enrol-form"],
            commitment_date=dt.date(2026, 12, 1),
            now=at("2026-11-23"),
        )
    with pytest.raises(lifecycle.InvalidAction):  # commitment date must be in the future
        lifecycle.accept_with_gaps(
            app,
            clerk,
            gaps=["maternal-health-handbook"],
            commitment_date=dt.date(2026, 11, 23),
            now=at("2026-11-23"),
        )
    lifecycle.accept_with_gaps(
        app,
        clerk,
        gaps=["maternal-health-handbook"],
        commitment_date=dt.date(2026, 11, 30),
        now=at("2026-11-23"),
    )
    app = fresh(app)
    assert app.intake == "gaps" and app.status == S.ACCEPTED
    assert app.notices.get().kind == "gaps"
    assert lifecycle.flag_missed_commitments(dt.date(2026, 11, 30), at("2026-11-30")) == []
    assert lifecycle.flag_missed_commitments(dt.date(2026, 12, 1), at("2026-12-01")) == [app.number]
    assert fresh(app).gap_overdue
    assert lifecycle.flag_missed_commitments(dt.date(2026, 12, 2), at("2026-12-02")) == []  # flagged once
    intake.store_upload(fresh(app), "maternal-health-handbook", upload_factory(), people["zhangsan"])
    assert not fresh(app).gap_overdue


def test_accept_on_commitment_creates_post_checks(submit, people, upload_factory):
    app = submit()
    upload_all(app, people, upload_factory)
    lifecycle.accept_on_commitment(
        app,
        people["chuangkou"],
        commitment_text="本人承诺所填信息真实",
        signed_by_name="张三",
        now=at("2026-11-23"),
    )
    app = fresh(app)
    assert app.status == S.DECIDED and app.intake == "commitment"
    checks = PostCheck.objects.filter(subcase__application=app)
    assert checks.count() == 3
    check = checks.get(subcase__item_code="430600-YB-0501-01")
    assert check.due_date == dt.date(2026, 12, 21)
    with pytest.raises(lifecycle.NotPermitted):
        lifecycle.record_post_check(check, people["shenpi_weijian"], passed=True, result="属实")
    lifecycle.record_post_check(
        check, people["shenpi_yibao"], passed=False, result="未参保", now=at("2026-12-01")
    )
    with pytest.raises(lifecycle.IllegalTransition):
        lifecycle.record_post_check(
            check, people["shenpi_yibao"], passed=True, result="x", now=at("2026-12-01")
        )


def test_instant_items_decided_on_the_spot(submit, people, upload_factory):
    # 预防接种证 (WJ-2002) is a 即办件: promised limit 0
    app = submit(kind="item", code="430600-WJ-2002-01", answers={})
    assert app.limit_days == 0
    upload_all(app, people, upload_factory)
    lifecycle.accept(app, people["chuangkou"], on_the_spot=True, now=at("2026-11-23"))
    app = fresh(app)
    assert app.status == S.DECIDED
    assert app.subcases.get().status == SS.APPROVED
    assert app.subcases.get().handler == people["chuangkou"]


def test_correction_pauses_and_resumes(submit, people, upload_factory):
    app = submit()
    upload_all(app, people, upload_factory)
    lifecycle.accept(app, people["chuangkou"], now=at("2026-11-23"))  # Monday
    first = subs(app)["430600-WJ-2001-01"]
    assert first.due_date == dt.date(2026, 11, 24)
    assert fresh(app).due_date == dt.date(2026, 12, 8)  # 1 + 10 working days (critical path)
    lifecycle.request_correction(
        app,
        people["shenpi_weijian"],
        items=["母子健康手册照片不清晰"],
        reason="请重新上传",
        now=at("2026-11-23", 15),
    )
    app = fresh(app)
    assert app.status == S.CORRECTION and not app.timed
    first = subs(app)["430600-WJ-2001-01"]
    assert first.status == SS.CORRECTION and first.paused_since == dt.date(2026, 11, 23)
    with pytest.raises(lifecycle.IllegalTransition):
        lifecycle.decide(first, people["shenpi_weijian"], decision="approved", now=at("2026-11-24"))
    lifecycle.resubmit(app, people["zhangsan"], now=at("2026-11-26"))  # Thursday: 3 working days paused
    app = fresh(app)
    assert app.status == S.ACCEPTED and app.timed and app.paused_days == 3
    first = subs(app)["430600-WJ-2001-01"]
    assert first.status == SS.IN_REVIEW and first.due_date == dt.date(2026, 11, 27)
    assert app.corrections.get().paused_days == 3
    assert {n.kind for n in app.notices.all()} == {"acceptance", "correction"}


def test_correction_before_acceptance_returns_to_submitted(submit, people):
    app = submit()
    lifecycle.request_correction(
        app, people["chuangkou"], items=["缺少母子健康手册"], reason="材料不齐", now=at("2026-11-20")
    )
    with pytest.raises(lifecycle.InvalidAction):
        lifecycle.request_correction(app, people["chuangkou"], items=[], reason="", now=at("2026-11-20"))
    with pytest.raises(lifecycle.NotPermitted):
        lifecycle.resubmit(app, people["lisi"], now=at("2026-11-23"))
    lifecycle.resubmit(app, people["zhangsan"], now=at("2026-11-23"))
    assert fresh(app).status == S.SUBMITTED


def test_special_procedure_and_extension(submit, people, upload_factory):
    app = submit()
    upload_all(app, people, upload_factory)
    lifecycle.accept(app, people["chuangkou"], now=at("2026-11-23"))
    approver = people["shenpi_weijian"]
    first = subs(app)["430600-WJ-2001-01"]
    with pytest.raises(lifecycle.InvalidAction):
        lifecycle.start_special_procedure(first, approver, kind="party", reason="x")
    lifecycle.start_special_procedure(
        first, approver, kind="expert_review", reason="需专家鉴定", now=at("2026-11-23")
    )
    first = SubCase.objects.get(pk=first.pk)
    assert first.status == SS.SPECIAL and not first.timed
    lifecycle.end_special_procedure(first, approver, now=at("2026-11-27"))  # Friday: 4 working days
    first = SubCase.objects.get(pk=first.pk)
    assert first.status == SS.IN_REVIEW and first.paused_days == 4
    assert first.due_date == dt.date(2026, 11, 30)
    assert fresh(app).due_date == dt.date(2026, 12, 14)
    # an approver alone cannot extend: the request waits for a supervisor
    request = lifecycle.extend(first, approver, days=3, reason="情况复杂", now=at("2026-11-27"))
    assert request.status == "pending"
    assert SubCase.objects.get(pk=first.pk).due_date == dt.date(2026, 11, 30)
    lifecycle.approve_extension(request, people["ducha"], now=at("2026-11-27", 15))
    first = SubCase.objects.get(pk=first.pk)
    assert first.extension_days == 3 and first.due_date == dt.date(2026, 12, 3)
    with pytest.raises(lifecycle.InvalidAction):
        lifecycle.extend(first, people["ducha"], days=8, reason="再延", now=at("2026-11-27"))
    lifecycle.extend(first, people["ducha"], days=7, reason="再延", now=at("2026-11-27"))
    assert SubCase.objects.get(pk=first.pk).extension_days == 10


def test_joint_inspection(submit, people, demo):
    from onething.cases import intake
    from onething.cases.tests.conftest import form_for

    answers = {"transport_type": "普通货运", "drivers_qualified": True, "has_employees": False}
    plan = intake.load_plan("bundle", "430600-YJS-KBYSQY", answers)
    app = submit(code="430600-YJS-KBYSQY", answers=answers, form=form_for([f.as_dict() for f in plan.form]))
    received = [m["material"] for m in app.plan["materials"] if not m["exempt"]]
    clerk = people["chuangkou"]
    lifecycle.accept(app, clerk, received=received, now=at("2026-11-23"))
    sub = subs(app)["430600-SCJG-0101-01"]
    lifecycle.decide(sub, people["shenpi_shichang"], decision="approved", now=at("2026-11-23"))
    transport = subs(app)["430600-JT-0101-01"]
    assert transport.inspection_required and transport.status == SS.IN_REVIEW
    from onething.accounts.models import StaffRole, User

    user = User.objects.create_user("shenpi_jiaotong_t", password="x")
    StaffRole.objects.create(user=user, role="approver", department_id=transport.department_id)
    with pytest.raises(lifecycle.NotPermitted):
        lifecycle.decide(transport, clerk, decision="approved", now=at("2026-11-24"))
    with pytest.raises(lifecycle.IllegalTransition):
        lifecycle.decide(transport, user, decision="approved", now=at("2026-11-24"))
    with pytest.raises(lifecycle.IllegalTransition):
        lifecycle.record_inspection(app, clerk, result="passed", now=at("2026-11-24"))
    with pytest.raises(lifecycle.InvalidAction):
        lifecycle.schedule_inspection(app, clerk, on=dt.date(2026, 11, 1), now=at("2026-11-24"))
    inspection = lifecycle.schedule_inspection(
        app, clerk, on=dt.date(2026, 11, 26), location="经营场所", now=at("2026-11-24")
    )
    assert [s.item_code for s in inspection.subcases.all()] == ["430600-JT-0101-01"]
    with pytest.raises(lifecycle.IllegalTransition):
        lifecycle.schedule_inspection(app, clerk, on=dt.date(2026, 11, 26), now=at("2026-11-24"))
    with pytest.raises(lifecycle.InvalidAction):
        lifecycle.record_inspection(app, clerk, result="maybe", now=at("2026-11-26"))
    lifecycle.record_inspection(app, clerk, result="failed", findings="停车场地不足", now=at("2026-11-26"))
    with pytest.raises(lifecycle.IllegalTransition):
        lifecycle.record_inspection(app, clerk, result="passed", now=at("2026-11-26"))
    transport = SubCase.objects.get(pk=transport.pk)
    with pytest.raises(lifecycle.IllegalTransition):
        lifecycle.decide(transport, user, decision="approved", now=at("2026-11-26"))
    lifecycle.decide(transport, user, decision="refused", reasons="现场核查不符合", now=at("2026-11-26"))
    assert subs(app)["430600-JT-0102-01"].status == SS.STOPPED


def test_withdraw(submit, people, upload_factory):
    app = submit()
    upload_all(app, people, upload_factory)
    lifecycle.accept(app, people["chuangkou"], now=at("2026-11-23"))
    with pytest.raises(lifecycle.NotPermitted):
        lifecycle.withdraw(app, people["chuangkou"], now=at("2026-11-24"))
    lifecycle.withdraw(app, people["zhangsan"], reason="不办了", now=at("2026-11-24"))
    app = fresh(app)
    assert app.status == S.WITHDRAWN and not app.timed
    assert set(app.subcases.values_list("status", flat=True)) == {SS.STOPPED}
    lifecycle.close(app, None, now=at("2026-11-25"))
    assert fresh(app).status == S.CLOSED


def test_result_ready_rejects_bad_method(submit, people):
    app = submit()
    with pytest.raises(lifecycle.InvalidAction):
        lifecycle.result_ready(app, people["chuangkou"], method="pigeon")
    with pytest.raises(lifecycle.IllegalTransition):
        lifecycle.result_ready(app, people["chuangkou"], method="window")


def test_allowed_events():
    assert lifecycle.allowed_events(S.SUBMITTED, {"clerk"}) == [
        "pre_review",
        "accept",
        "accept_with_gaps",
        "accept_on_commitment",
        "reject",
        "request_correction",
    ]
    assert lifecycle.allowed_events(S.SUBMITTED, {"applicant"}) == ["withdraw"]
    assert "decide" in lifecycle.allowed_events(SS.IN_REVIEW, {"approver"}, subcase=True)


def test_every_transition_writes_one_audit_record_in_its_transaction(
    submit, people, upload_factory, monkeypatch
):
    """A failing audit write rolls the whole transition back."""
    app = submit()
    upload_all(app, people, upload_factory)

    def boom(*a, **k):
        raise RuntimeError("audit down")

    monkeypatch.setattr(engine, "record", boom)
    with pytest.raises(RuntimeError):
        lifecycle.accept(app, people["chuangkou"], now=at("2026-11-23"))
    app = fresh(app)
    assert app.status == S.SUBMITTED and app.due_date is None
    assert set(app.subcases.values_list("status", flat=True)) == {SS.PENDING}
    assert not app.notices.exists()
