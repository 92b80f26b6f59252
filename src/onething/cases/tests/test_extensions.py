"""延期 (行政许可法 art. 42) as a request → approval workflow: the department asks, a supervisor
of the region approves (the due dates move on the official calendar, the applicant is told the
reason) or refuses (nothing moves, the requester is told); at most 10 working days, pending and
approved together; a request lapses when its sub-case is decided; every step is audited; and
the API and the pages answer 404 to a supervisor of another region."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.test import Client

from onething.audit.models import AuditRecord
from onething.cases import lifecycle
from onething.cases.models import Application, Extension, SubCase
from onething.cases.tests.conftest import at
from onething.cases.tests.test_lifecycle import subs, upload_all
from onething.core.errors import status_of
from onething.notifications.models import Notification
from onething.workflow import engine

pytestmark = pytest.mark.django_db
FIRST = "430600-WJ-2001-01"  # 出生医学证明: 1 working day, 卫健
INSURANCE = "430600-YB-0501-01"  # 医保参保: 10 working days after FIRST, 医保
API = "/api/v1"


@pytest.fixture
def running(submit, people, upload_factory):
    """新生儿出生 accepted on Monday 2026-09-28, just before 国庆 (10/1–7, make-up day Sat 10/10).

    FIRST is due 2026-09-29; the application (11 working days) 2026-10-19."""
    app = submit(now=at("2026-09-24"))
    upload_all(app, people, upload_factory)
    lifecycle.accept(app, people["chuangkou"], now=at("2026-09-28"))
    return Application.objects.get(pk=app.pk)


def sub(app, code=FIRST) -> SubCase:
    return subs(app)[code]


def audit(sub_, action):
    return AuditRecord.objects.filter(object_type="subcase", object_id=sub_.number, action=action)


def inbox(user, event):
    return list(Notification.objects.filter(recipient=user, event=event))


def other_supervisor(make_user):
    """A supervisor of 平江县 (430626): the 岳阳市 application is outside their region."""
    return make_user("ducha_pingjiang", roles=[("supervisor", {"region_id": "430626"})])


# ------------------------------------------------------------------------------- lifecycle


def test_request_then_approve_moves_due_dates_across_national_day(
    running, people, django_capture_on_commit_callbacks
):
    first = sub(running)
    assert first.due_date == dt.date(2026, 9, 29) and running.due_date == dt.date(2026, 10, 19)
    with django_capture_on_commit_callbacks(execute=True):
        ext = lifecycle.request_extension(
            first, people["shenpi_weijian"], days=4, reason="需调取外省出生记录", now=at("2026-09-28", 15)
        )
    assert ext.status == Extension.Status.PENDING and ext.decided_by is None and ext.decided_at is None
    assert ext.requested_at == at("2026-09-28", 15)
    first = sub(running)
    assert first.due_date == dt.date(2026, 9, 29) and first.extension_days == 0  # nothing moves yet
    assert audit(first, "subcase.request_extension").count() == 1
    [told] = inbox(people["ducha"], "case.extension_requested")
    assert first.number in told.title and "需调取外省出生记录" in told.body
    assert not inbox(people["zhangsan"], "case.extend")

    with django_capture_on_commit_callbacks(execute=True):
        lifecycle.approve_extension(ext, people["ducha"], now=at("2026-09-29", 9))
    ext.refresh_from_db()
    assert ext.status == Extension.Status.APPROVED
    assert ext.decided_by == people["ducha"] and ext.decided_at == at("2026-09-29", 9)
    first = sub(running)
    # 9/29 + 4 working days: 9/30, (国庆 10/1–7), 10/8, 10/9 and the make-up Saturday 10/10
    assert first.extension_days == 4 and first.due_date == dt.date(2026, 10, 10)
    assert Application.objects.get(pk=running.pk).due_date == dt.date(2026, 10, 19)  # still later
    [record] = audit(first, "subcase.extend")
    assert record.actor_id == people["ducha"].pk and record.reason == "需调取外省出生记录"
    assert record.data["days"] == 4 and record.data["requested_by"] == people["shenpi_weijian"].pk
    [applicant] = inbox(people["zhangsan"], "case.extend")
    assert "4个工作日" in applicant.title and "需调取外省出生记录" in applicant.body
    assert "2026年10月10日" in applicant.body
    assert len(inbox(people["shenpi_weijian"], "case.extension_approved")) == 1
    with pytest.raises(lifecycle.IllegalTransition):  # deciding twice
        lifecycle.approve_extension(ext, people["ducha"], now=at("2026-09-29", 10))
    with pytest.raises(lifecycle.IllegalTransition):
        lifecycle.refuse_extension(ext, people["ducha"], reason="重复", now=at("2026-09-29", 10))


def test_approval_pushes_the_application_due_date(running, people):
    lifecycle.decide(sub(running), people["shenpi_weijian"], decision="approved", now=at("2026-09-29"))
    insurance = sub(running, INSURANCE)
    assert insurance.due_date == dt.date(2026, 10, 19) == Application.objects.get(pk=running.pk).due_date
    ext = lifecycle.request_extension(
        insurance, people["shenpi_yibao"], days=3, reason="参保信息核验", now=at("2026-10-12")
    )
    lifecycle.approve_extension(ext, people["ducha"], now=at("2026-10-12", 14))
    assert sub(running, INSURANCE).due_date == dt.date(2026, 10, 22)
    app = Application.objects.get(pk=running.pk)
    assert app.due_date == dt.date(2026, 10, 22) and app.extension_days == 3


def test_refusal_changes_nothing_but_tells_the_requester(running, people, django_capture_on_commit_callbacks):
    first = sub(running)
    ext = lifecycle.request_extension(
        first, people["shenpi_weijian"], days=2, reason="情况复杂", now=at("2026-09-28", 15)
    )
    with pytest.raises(lifecycle.InvalidAction) as refused:
        lifecycle.refuse_extension(ext, people["ducha"], reason="  ", now=at("2026-09-29"))
    assert refused.value.field == "reason"
    with django_capture_on_commit_callbacks(execute=True):
        lifecycle.refuse_extension(ext, people["ducha"], reason="时限内可以办结", now=at("2026-09-29"))
    ext.refresh_from_db()
    assert ext.status == Extension.Status.REFUSED and ext.refusal_reason == "时限内可以办结"
    assert ext.decided_by == people["ducha"]
    after = sub(running)
    assert (after.due_date, after.extension_days) == (first.due_date, 0)
    assert Application.objects.get(pk=running.pk).due_date == running.due_date
    [told] = inbox(people["shenpi_weijian"], "case.extension_refused")
    assert "时限内可以办结" in told.body
    assert not inbox(people["zhangsan"], "case.extend")
    [record] = audit(after, "subcase.refuse_extension")
    assert record.reason == "时限内可以办结" and record.actor_id == people["ducha"].pk
    # refused: the department may ask again
    again = lifecycle.request_extension(
        after, people["shenpi_weijian"], days=2, reason="补充理由", now=at("2026-09-29", 10)
    )
    assert again.status == Extension.Status.PENDING


def test_cap_counts_pending_and_approved(running, people):
    first, approver, supervisor = sub(running), people["shenpi_weijian"], people["ducha"]
    lifecycle.extend(first, supervisor, days=4, reason="督查直接延期", now=at("2026-09-28", 11))
    with pytest.raises(lifecycle.InvalidAction) as too_many:  # 4 approved + 7 requested
        lifecycle.request_extension(first, approver, days=7, reason="再延", now=at("2026-09-28", 12))
    assert too_many.value.field == "days" and "最多还可延长6个" in too_many.value.message
    pending = lifecycle.request_extension(first, approver, days=6, reason="再延", now=at("2026-09-28", 12))
    with pytest.raises(lifecycle.IllegalTransition):  # one pending request per sub-case
        lifecycle.request_extension(first, approver, days=1, reason="又延", now=at("2026-09-28", 13))
    with pytest.raises(lifecycle.InvalidAction):  # 4 approved + 6 pending + 1
        lifecycle.extend(first, supervisor, days=1, reason="督查", now=at("2026-09-28", 13))
    lifecycle.approve_extension(pending, supervisor, now=at("2026-09-28", 14))
    assert sub(running).extension_days == 10
    with pytest.raises(lifecycle.InvalidAction):
        lifecycle.request_extension(first, approver, days=1, reason="又延", now=at("2026-09-28", 15))
    for days in (0, -1, 11, True):
        with pytest.raises(lifecycle.InvalidAction) as bad:
            lifecycle.request_extension(first, approver, days=days, reason="x", now=at("2026-09-28"))
        assert bad.value.field == "days"


def test_supervisor_extends_directly_in_one_step(running, people, django_capture_on_commit_callbacks):
    first = sub(running)
    with django_capture_on_commit_callbacks(execute=True):
        ext = lifecycle.extend(first, people["ducha"], days=2, reason="专项督办", now=at("2026-09-28", 11))
    assert ext.status == Extension.Status.APPROVED and ext.requested_by == ext.decided_by == people["ducha"]
    assert sub(running).due_date == dt.date(2026, 10, 8)  # 9/29 + 9/30 + 10/8
    assert audit(first, "subcase.extend").count() == 1
    assert not audit(first, "subcase.request_extension").exists()
    assert len(inbox(people["zhangsan"], "case.extend")) == 1


def test_who_may_request_and_decide(running, people, make_user):
    first = sub(running)
    with pytest.raises(lifecycle.NotPermitted):  # another department's approver
        lifecycle.request_extension(first, people["shenpi_yibao"], days=2, reason="x", now=at("2026-09-28"))
    with pytest.raises(lifecycle.NotPermitted):  # the window clerk
        lifecycle.extend(first, people["chuangkou"], days=2, reason="x", now=at("2026-09-28"))
    with pytest.raises(lifecycle.NotPermitted):  # a supervisor extends; requests come from the department
        lifecycle.request_extension(first, people["ducha"], days=2, reason="x", now=at("2026-09-28"))
    ext = lifecycle.request_extension(
        first, people["shenpi_weijian"], days=2, reason="x", now=at("2026-09-28")
    )
    for actor in (people["shenpi_weijian"], people["chuangkou"], other_supervisor(make_user)):
        with pytest.raises(lifecycle.NotPermitted):
            lifecycle.approve_extension(ext, actor, now=at("2026-09-29"))
        with pytest.raises(lifecycle.NotPermitted):
            lifecycle.refuse_extension(ext, actor, reason="不同意", now=at("2026-09-29"))
    assert Extension.objects.get(pk=ext.pk).status == Extension.Status.PENDING


def test_request_lapses_when_the_subcase_is_decided(running, people):
    first = sub(running)
    ext = lifecycle.request_extension(
        first, people["shenpi_weijian"], days=2, reason="情况复杂", now=at("2026-09-28", 15)
    )
    lifecycle.decide(first, people["shenpi_weijian"], decision="approved", now=at("2026-09-29", 9))
    ext.refresh_from_db()
    assert ext.status == Extension.Status.LAPSED and ext.decided_at == at("2026-09-29", 9)
    with pytest.raises(lifecycle.IllegalTransition) as late:
        lifecycle.approve_extension(ext, people["ducha"], now=at("2026-09-29", 10))
    assert status_of(late.value) == 409 and "已失效" in late.value.message
    decided = sub(running)
    assert decided.extension_days == 0 and decided.due_date == dt.date(2026, 9, 29)
    assert not audit(decided, "subcase.extend").exists()


def test_request_lapses_when_the_application_is_withdrawn(running, people):
    ext = lifecycle.request_extension(
        sub(running), people["shenpi_weijian"], days=2, reason="情况复杂", now=at("2026-09-28", 15)
    )
    lifecycle.withdraw(running, people["zhangsan"], reason="不办了", now=at("2026-09-29"))
    assert Extension.objects.get(pk=ext.pk).status == Extension.Status.LAPSED


def test_approval_during_correction_is_refused_without_lapsing(running, people):
    ext = lifecycle.request_extension(
        sub(running), people["shenpi_weijian"], days=2, reason="情况复杂", now=at("2026-09-28", 15)
    )
    lifecycle.request_correction(
        running, people["shenpi_weijian"], items=["照片不清晰"], reason="请重新上传", now=at("2026-09-29")
    )
    with pytest.raises(lifecycle.IllegalTransition):
        lifecycle.approve_extension(ext, people["ducha"], now=at("2026-09-29", 11))
    assert Extension.objects.get(pk=ext.pk).status == Extension.Status.PENDING
    lifecycle.refuse_extension(ext, people["ducha"], reason="补正中，待补正后再议", now=at("2026-09-29", 11))
    assert Extension.objects.get(pk=ext.pk).status == Extension.Status.REFUSED


def test_a_failing_audit_write_rolls_the_approval_back(running, people, monkeypatch):
    ext = lifecycle.request_extension(
        sub(running), people["shenpi_weijian"], days=2, reason="情况复杂", now=at("2026-09-28", 15)
    )

    def boom(*a, **k):
        raise RuntimeError("audit down")

    monkeypatch.setattr(engine, "record", boom)
    with pytest.raises(RuntimeError):
        lifecycle.approve_extension(ext, people["ducha"], now=at("2026-09-29"))
    assert Extension.objects.get(pk=ext.pk).status == Extension.Status.PENDING
    assert sub(running).extension_days == 0 and sub(running).due_date == dt.date(2026, 9, 29)
    with pytest.raises(RuntimeError):
        lifecycle.refuse_extension(ext, people["ducha"], reason="不同意", now=at("2026-09-29"))
    assert Extension.objects.get(pk=ext.pk).status == Extension.Status.PENDING
    with pytest.raises(RuntimeError):
        lifecycle.extend(sub(running), people["ducha"], days=1, reason="督查", now=at("2026-09-29"))
    assert Extension.objects.count() == 1


# ------------------------------------------------------------------------------- API


def api(people, token_for, username_or_user):
    user = people[username_or_user] if isinstance(username_or_user, str) else username_or_user
    return Client(HTTP_AUTHORIZATION=token_for(user))


def post(client, url, data=None):
    return client.post(url, json.dumps(data or {}), content_type="application/json")


def test_api_request_list_approve_refuse(running, people, token_for, make_user):
    approver, supervisor = api(people, token_for, "shenpi_weijian"), api(people, token_for, "ducha")
    first = sub(running)
    url = f"{API}/applications/{running.number}/subcases/{first.number}/extend"
    r = post(approver, url, {"days": 4, "reason": "需调取外省出生记录"})
    assert r.status_code == 202, r.content
    body = r.json()
    assert body["status"] == "pending" and body["subcase"] == first.number and body["decided_by"] is None
    assert body["due_date"] == "2026-09-29" and body["approved_days"] == 0
    ext_id = body["id"]
    r = post(approver, url, {"days": 0, "reason": "x"})
    assert r.status_code == 422 and r.json()["error"]["field"] == "days"

    # lists: the supervisor (region) and the requesting department see it; others see nothing
    assert [e["id"] for e in supervisor.get(f"{API}/extensions?status=pending").json()] == [ext_id]
    assert [e["id"] for e in approver.get(f"{API}/extensions").json()] == [ext_id]
    assert api(people, token_for, "shenpi_yibao").get(f"{API}/extensions").json() == []
    assert api(people, token_for, "zhangsan").get(f"{API}/extensions").json() == []
    assert supervisor.get(f"{API}/extensions?status=approved").json() == []
    assert supervisor.get(f"{API}/extensions?status=maybe").status_code == 422

    # a supervisor of another region: 404 with no data, for reading and for deciding
    stranger = api(people, token_for, other_supervisor(make_user))
    assert stranger.get(f"{API}/extensions").json() == []
    for r in (
        stranger.get(f"{API}/extensions/{ext_id}"),
        post(stranger, f"{API}/extensions/{ext_id}/approve"),
        post(stranger, f"{API}/extensions/{ext_id}/refuse", {"reason": "不同意"}),
    ):
        assert r.status_code == 404 and running.number not in r.content.decode()
    # the requesting department sees it but cannot decide: 403
    r = post(approver, f"{API}/extensions/{ext_id}/approve")
    assert r.status_code == 403
    assert post(supervisor, f"{API}/extensions/999999/approve").status_code == 404

    r = post(supervisor, f"{API}/extensions/{ext_id}/approve")
    assert r.status_code == 200, r.content
    body = r.json()
    assert body["status"] == "approved" and body["decided_by"] == people["ducha"].display_name
    assert body["due_date"] == "2026-10-10" and body["approved_days"] == 4
    assert post(supervisor, f"{API}/extensions/{ext_id}/approve").status_code == 409
    assert supervisor.get(f"{API}/extensions/{ext_id}").json()["status"] == "approved"

    # a second request, refused (the reason is required)
    r = post(approver, url, {"days": 2, "reason": "再延"})
    second = r.json()["id"]
    r = post(supervisor, f"{API}/extensions/{second}/refuse", {})
    assert r.status_code == 422 and r.json()["error"]["field"] == "reason"
    r = post(supervisor, f"{API}/extensions/{second}/refuse", {"reason": " "})
    assert r.status_code == 400 and r.json()["error"]["field"] == "reason"
    r = post(supervisor, f"{API}/extensions/{second}/refuse", {"reason": "时限内可以办结"})
    assert r.status_code == 200 and r.json()["status"] == "refused"
    assert r.json()["refusal_reason"] == "时限内可以办结" and r.json()["due_date"] == "2026-10-10"

    # a supervisor extends at once (200)
    r = post(supervisor, url, {"days": 1, "reason": "督查直接延期"})
    assert r.status_code == 200 and r.json()["status"] == "approved" and r.json()["approved_days"] == 5

    # the progress view: staff see every request, the applicant only the approved ones
    staff_view = approver.get(f"{API}/applications/{running.number}").json()
    history = next(s for s in staff_view["subcases"] if s["number"] == first.number)["extensions"]
    assert [e["status"] for e in history] == ["approved", "refused", "approved"]
    assert history[1]["refusal_reason"] == "时限内可以办结"
    own_view = api(people, token_for, "zhangsan").get(f"{API}/applications/{running.number}").json()
    history = next(s for s in own_view["subcases"] if s["number"] == first.number)["extensions"]
    assert [(e["days"], e["reason"]) for e in history] == [(4, "需调取外省出生记录"), (1, "督查直接延期")]
    assert all(e["requested_by"] is None and e["decided_by"] is None for e in history)


# ------------------------------------------------------------------------------- pages


def login(people, username_or_user):
    user = people[username_or_user] if isinstance(username_or_user, str) else username_or_user
    c = Client()
    c.force_login(user)
    return c


def test_pages_request_board_approve_refuse(running, people, make_user):
    approver, supervisor = login(people, "shenpi_weijian"), login(people, "ducha")
    first = sub(running)
    page = approver.get(f"/cases/{running.number}/").content.decode()
    assert "申请延期（须本区划督查批准）" in page and 'name="approved_by"' not in page
    r = approver.post(
        f"/cases/{running.number}/act/extend/",
        {"sub": first.number, "days": "4", "reason": "需调取外省出生记录"},
        follow=True,
    )
    assert "延期申请已提交，待本区划督查审批" in r.content.decode()
    assert "待审批" in r.content.decode()  # the history on the detail page
    ext = Extension.objects.get(subcase=first)
    r = approver.post(
        f"/cases/{running.number}/act/extend/",
        {"sub": first.number, "days": "x", "reason": "再延"},
        follow=True,
    )
    assert "延长工作日数应为正整数" in r.content.decode()

    board = supervisor.get("/cases/supervisor/")
    html = board.content.decode()
    assert board.status_code == 200 and f'id="ext-{ext.pk}"' in html and "需调取外省出生记录" in html
    assert "<script" not in html.replace('<script src="', "")  # no inline script: works without JS

    # refusing needs a reason: the page comes back with the error at the field, nothing changes
    url = f"/cases/supervisor/extensions/{ext.pk}/"
    r = supervisor.post(url, {"decision": "refuse", "reason": ""})
    html = r.content.decode()
    assert r.status_code == 400 and 'aria-invalid="true"' in html and "不批准延期须说明理由" in html
    assert Extension.objects.get(pk=ext.pk).status == Extension.Status.PENDING
    r = supervisor.post(url, {"decision": "refuse", "reason": "长" * 2001})
    assert r.status_code == 400 and "“理由”不能超过2000个字符" in r.content.decode()
    assert "长" * 2001 in r.content.decode()  # what was typed is kept
    r = supervisor.post(url, {"decision": "maybe"}, follow=True)
    assert "请选择批准或不批准" in r.content.decode()

    # a supervisor of another region, an approver, anonymous: 404 (or the login page)
    assert login(people, other_supervisor(make_user)).post(url, {"decision": "approve"}).status_code == 404
    assert approver.post(url, {"decision": "approve"}).status_code == 404
    assert Client().post(url, {"decision": "approve"}).status_code == 302
    assert Extension.objects.get(pk=ext.pk).status == Extension.Status.PENDING

    r = supervisor.post(url, {"decision": "approve"}, follow=True)
    assert "已批准延期" in r.content.decode() and f'id="ext-{ext.pk}"' not in r.content.decode()
    assert sub(running).due_date == dt.date(2026, 10, 10)
    r = supervisor.post(url, {"decision": "approve"}, follow=True)  # decided meanwhile
    assert "当前状态“已批准”不能执行“批准延期”" in r.content.decode()

    approver.post(
        f"/cases/{running.number}/act/extend/", {"sub": first.number, "days": "2", "reason": "再延"}
    )
    second = Extension.objects.get(subcase=first, status=Extension.Status.PENDING)
    r = supervisor.post(
        f"/cases/supervisor/extensions/{second.pk}/",
        {"decision": "refuse", "reason": "时限内可以办结"},
        follow=True,
    )
    assert "已不批准延期" in r.content.decode()
    assert Extension.objects.get(pk=second.pk).status == Extension.Status.REFUSED

    detail = supervisor.get(f"/cases/{running.number}/").content.decode()
    assert f'id="extensions-{first.number}"' in detail
    assert "已批准" in detail and "未批准理由：时限内可以办结" in detail
    assert "延长办理时限（督查直接批准）" in detail
    own = login(people, "zhangsan").get(f"/cases/{running.number}/").content.decode()
    assert "需调取外省出生记录" in own and "时限内可以办结" not in own
