"""容缺受理: a commitment missed is flagged once and handled per the item's platform-side rule
(``GapRule``): warn (also when no rule exists), 补正 (the clocks stop, the missing materials are
listed) or terminate (the item's undecided sub-case stops, the applicant is told why). The
rules are edited in the admin, scoped to the department admin's own items."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from onething.accounts.models import User
from onething.audit.models import AuditRecord
from onething.cases import intake, lifecycle
from onething.cases.models import Application, CorrectionRequest, GapRule, SubCase
from onething.cases.tests.conftest import ANSWERS_LOCAL, at
from onething.cases.tests.test_lifecycle import subs
from onething.notifications.models import Notification

pytestmark = pytest.mark.django_db
S, SS = Application.Status, SubCase.Status
FIRST, POLICE = "430600-WJ-2001-01", "430600-GA-0701-01"
DUE = dt.date(2026, 11, 30)
DAY_AFTER = dt.date(2026, 12, 1)


@pytest.fixture
def gapped(submit, people, upload_factory):
    """新生儿出生 (local hukou chain) accepted on 2026-11-23 with 母子健康手册 missing until 11/30."""

    def make():
        app = submit(answers=ANSWERS_LOCAL)
        intake.store_upload(app, "insurance-enrol-form", upload_factory(), people["zhangsan"])
        lifecycle.accept_with_gaps(
            app,
            people["chuangkou"],
            gaps=["maternal-health-handbook"],
            commitment_date=DUE,
            now=at("2026-11-23"),
        )
        return Application.objects.get(pk=app.pk)

    return make


def flag(capture):
    with capture(execute=True):
        return lifecycle.flag_missed_commitments(DAY_AFTER, at("2026-12-01"))


def told(user, event):
    return list(Notification.objects.filter(recipient=user, event=event))


def flagged_record(app):
    return AuditRecord.objects.get(object_id=app.number, action="application.flag_gap_overdue")


@pytest.mark.parametrize("rule", [None, GapRule.Action.WARN])
def test_warn_is_the_default(gapped, people, rule, django_capture_on_commit_callbacks):
    app = gapped()
    if rule:
        GapRule.objects.create(item_code=FIRST, action=rule)
    before = {code: (s.status, s.due_date) for code, s in subs(app).items()}
    assert lifecycle.flag_missed_commitments(DUE, at("2026-11-30")) == []  # not yet overdue
    assert flag(django_capture_on_commit_callbacks) == [app.number]
    app = Application.objects.get(pk=app.pk)
    assert app.gap_overdue and app.status == S.ACCEPTED and app.timed
    assert {code: (s.status, s.due_date) for code, s in subs(app).items()} == before
    [applicant] = told(people["zhangsan"], "case.gap_overdue")
    assert "母子健康手册" in applicant.body
    assert len(told(people["chuangkou"], "case.gap_overdue")) == 1
    assert flagged_record(app).data == {"missing": ["母子健康手册"], "stopped": [], "correction": False}
    assert not app.corrections.exists()
    assert flag(django_capture_on_commit_callbacks) == []  # flagged once


def test_terminate_stops_the_items_undecided_subcase(gapped, people, django_capture_on_commit_callbacks):
    app = gapped()
    GapRule.objects.create(item_code=POLICE, action=GapRule.Action.TERMINATE, note="依据本事项办事指南第五条")
    flag(django_capture_on_commit_callbacks)
    s = subs(app)
    assert s[POLICE].status == SS.STOPPED and not s[POLICE].timed
    assert "母子健康手册" in s[POLICE].reasons and "依据本事项办事指南第五条" in s[POLICE].reasons
    assert s[FIRST].status == SS.IN_REVIEW  # other items: the default rule (warn)
    app = Application.objects.get(pk=app.pk)
    assert app.gap_overdue and app.status == S.ACCEPTED
    [stopped] = told(people["zhangsan"], "case.stopped")
    assert s[POLICE].item_name in stopped.title and "依据本事项办事指南第五条" in stopped.body
    assert len(told(people["zhangsan"], "case.gap_overdue")) == 1
    assert len(told(people["shenpi_gongan"], "case.stopped")) == 1  # the department is told
    assert flagged_record(app).data["stopped"] == [s[POLICE].number]
    assert AuditRecord.objects.filter(object_id=s[POLICE].number, action="subcase.stop").count() == 1


def test_terminating_every_item_completes_the_application(gapped, people, django_capture_on_commit_callbacks):
    app = gapped()
    for code in subs(app):
        GapRule.objects.create(item_code=code, action=GapRule.Action.TERMINATE)
    flag(django_capture_on_commit_callbacks)
    app = Application.objects.get(pk=app.pk)
    assert {s.status for s in subs(app).values()} == {SS.STOPPED}
    assert app.status == S.DECIDED and not app.timed
    assert app.notices.filter(kind="completion").exists()


def test_correction_stops_the_clock_listing_the_missing_materials(
    gapped, people, upload_factory, django_capture_on_commit_callbacks
):
    app = gapped()
    GapRule.objects.create(item_code=FIRST, action=GapRule.Action.CORRECTION, note="材料须为原件扫描件")
    flag(django_capture_on_commit_callbacks)
    app = Application.objects.get(pk=app.pk)
    assert app.status == S.CORRECTION and not app.timed and app.paused_since == DAY_AFTER
    assert app.gap_overdue and app.resume_status == S.ACCEPTED
    first = subs(app)[FIRST]
    assert first.status == SS.CORRECTION and first.paused_since == DAY_AFTER
    correction = CorrectionRequest.objects.get(application=app)
    assert correction.items == ["补齐容缺材料：母子健康手册"] and correction.requested_by is None
    assert "材料须为原件扫描件" in correction.reason
    assert app.notices.filter(kind="correction").count() == 1
    [message] = told(people["zhangsan"], "case.request_correction")
    assert "母子健康手册" in message.body
    assert not told(people["zhangsan"], "case.gap_overdue")  # the 补正 notice says it all
    assert len(told(people["chuangkou"], "case.gap_overdue")) == 1
    record = AuditRecord.objects.get(object_id=app.number, action="application.request_correction")
    assert record.actor_id is None
    assert flagged_record(app).data["correction"] is True

    # the material arrives, the applicant resubmits: the clocks run again, moved by the pause
    intake.store_upload(app, "maternal-health-handbook", upload_factory(), people["zhangsan"])
    assert not Application.objects.get(pk=app.pk).gap_overdue
    lifecycle.resubmit(app, people["zhangsan"], now=at("2026-12-03"))
    app = Application.objects.get(pk=app.pk)
    assert app.status == S.ACCEPTED and app.timed and app.paused_days == 2
    assert subs(app)[FIRST].status == SS.IN_REVIEW


def test_correction_when_already_in_correction_only_warns(gapped, people, django_capture_on_commit_callbacks):
    app = gapped()
    GapRule.objects.create(item_code=FIRST, action=GapRule.Action.CORRECTION)
    lifecycle.request_correction(
        app, people["shenpi_weijian"], items=["照片不清晰"], reason="请重新上传", now=at("2026-11-27")
    )
    flag(django_capture_on_commit_callbacks)
    app = Application.objects.get(pk=app.pk)
    assert app.gap_overdue and app.status == S.CORRECTION
    assert app.corrections.count() == 1  # no second 补正 on top of the first
    assert len(told(people["zhangsan"], "case.gap_overdue")) == 1
    assert flagged_record(app).data["correction"] is False


def test_rules_are_read_in_one_query(gapped, django_capture_on_commit_callbacks):
    apps = [gapped(), gapped()]
    GapRule.objects.create(item_code=POLICE, action=GapRule.Action.TERMINATE)
    with CaptureQueriesContext(connection) as queries:
        assert sorted(flag(django_capture_on_commit_callbacks)) == sorted(a.number for a in apps)
    assert sum("cases_gaprule" in q["sql"] for q in queries.captured_queries) == 1
    assert all(subs(a)[POLICE].status == SS.STOPPED for a in apps)


# ------------------------------------------------------------------------------- admin


def test_admin_is_scoped_to_the_department_admins_items(demo):
    department_admin = User.objects.get(username="bumen_admin")  # 市场监督管理局
    own, other = "430600-SCJG-0101-01", FIRST
    GapRule.objects.create(item_code=other, action=GapRule.Action.WARN)
    client = Client()
    client.force_login(department_admin)
    r = client.post("/admin/cases/gaprule/add/", {"item_code": other, "action": "terminate", "note": ""})
    assert r.status_code == 200 and "只能为本部门实施的事项设置容缺规则" in r.content.decode()
    r = client.post("/admin/cases/gaprule/add/", {"item_code": "430600-NOPE", "action": "warn", "note": ""})
    assert "事项编码在事项目录中不存在" in r.content.decode()
    r = client.post(
        "/admin/cases/gaprule/add/", {"item_code": own, "action": "correction", "note": "依据办事指南"}
    )
    assert r.status_code == 302, r.content.decode()[:2000]
    assert GapRule.objects.get(item_code=own).action == "correction"
    listing = client.get("/admin/cases/gaprule/").content.decode()
    assert own in listing and other not in listing
    rule = GapRule.objects.get(item_code=other)
    assert client.get(f"/admin/cases/gaprule/{rule.pk}/change/").status_code in (302, 404)

    platform = User.objects.get(username="admin")
    client.force_login(platform)
    listing = client.get("/admin/cases/gaprule/").content.decode()
    assert own in listing and other in listing and "容缺逾期处理规则" in listing
