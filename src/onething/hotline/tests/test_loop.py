"""The 12345 loop end to end through the domain functions: 受理 → 派单 → 签收 → 办理 → 答复 →
办结 → 回访 → 评价, with the clock rules of ``rules`` (退单 and 改派 keep the caller's
``finish`` clock, restart the receiving side's; a pause gives its working days back; an
approved extension adds days), the yellow/red card ledger written by the scan, and bad input
refused whole with the field named.

The helpers at the top (``file``, ``local``, the demo people) serve the other test modules of
this folder too.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from onething.accounts.models import User
from onething.audit.models import AuditRecord
from onething.clocks import scan
from onething.clocks.models import Clock
from onething.core.errors import ApiError, status_of
from onething.hotline import access, deadlines, intake, rules, service
from onething.hotline.models import Card, Extension, Ticket
from onething.kernel.errors import Invalid
from onething.notifications.models import Notification, OutboxMessage
from onething.workflow.engine import IllegalTransition

pytestmark = pytest.mark.django_db

TZ = ZoneInfo("Asia/Shanghai")
OP, HANDLER, CALLER = {"operator"}, {"handler"}, {"caller"}
#: the city's departments of the demo handlers (chengban_shichang, chengban_renshe)
SHICHANG = "11430600MB0600018G"
RENSHE = "11430600MB06000320"
#: a county's department: outside a ticket of 岳阳楼区
PINGJIANG = "11430626MB0602618N"
ID_NUMBER = "430602199001011235"
#: a refused value: a domain Invalid, or core.text's 400 naming the field
BAD = (Invalid, ApiError)


def local(text: str) -> dt.datetime:
    """``"2026-09-30 10:00"`` in Asia/Shanghai."""
    return dt.datetime.fromisoformat(text).replace(tzinfo=TZ)


def user(name: str) -> User:
    return User.objects.get(username=name)


def file(
    category: str = "complaint",
    received: str = "2026-09-30 10:00",
    *,
    complexity: str | None = None,
    region: str = "430602",
    phone: str = "13800000009",
    **data,
) -> Ticket:
    """A ticket taken by the demo operator at ``received`` (local time)."""
    moment = local(received)
    body = {
        "category": category,
        "channel": "hotline",
        "received_at": moment.isoformat(),
        "content": f"{rules.CATEGORIES.get(category, category)}：测试诉求",
        "region": region,
        "caller": {"name": "王先生", "phone": phone} if phone else None,
        **data,
    }
    if complexity:
        body["complexity"] = complexity
    return intake.file(body, actor=user("jiexian"), role="operator", now=moment).ticket


def cards(ticket: Ticket):
    """The ticket's cards (the baseline may hold the demo's)."""
    return Card.objects.filter(ticket=ticket)


def audits(ticket: Ticket) -> list[str]:
    return list(
        AuditRecord.objects.filter(object_type="hotline_ticket", object_id=ticket.number)
        .order_by("id")
        .values_list("action", flat=True)
    )


def fresh(ticket: Ticket) -> Ticket:
    return Ticket.objects.get(pk=ticket.pk)


def handled(ticket: Ticket, at: str, department: str = SHICHANG) -> Ticket:
    """Dispatched and signed at ``at``."""
    ticket = service.dispatch(ticket, user("jiexian"), roles=OP, department=department, now=local(at))
    return service.sign(ticket, user("chengban_shichang"), roles=HANDLER, now=local(at))


def finished(ticket: Ticket, at: str) -> Ticket:
    """Answered and finished at ``at`` (the ticket is being handled)."""
    ticket = service.answer(ticket, user("chengban_shichang"), roles=HANDLER, reply="已处理", now=local(at))
    return service.finish(ticket, user("jiexian"), roles=OP, now=local(at))


@pytest.fixture
def run(django_capture_on_commit_callbacks):
    """The scan at a moment, its after-commit tells done (the warnings' callbacks)."""

    def at(moment: str):
        with django_capture_on_commit_callbacks(execute=True):
            return scan.scan(local(moment))

    return at


# ------------------------------------------------------------------------------ the loop


def test_the_whole_loop_one_audit_record_per_step():
    jiexian, handler = user("jiexian"), user("chengban_shichang")
    t = file("complaint", "2026-10-09 09:00")
    assert (t.status, t.finish_due, t.sign_due) == ("received", dt.date(2026, 10, 15), None)
    assert t.dispatch_due == local("2026-10-09 10:00")
    assert audits(t) == ["hotline_ticket.receive"]
    t = service.dispatch(t, jiexian, roles=OP, department=SHICHANG, now=local("2026-10-09 09:20"))
    assert (t.status, t.assigned_id, t.dispatch_due, t.sign_due) == (
        "dispatched",
        SHICHANG,
        None,
        dt.date(2026, 10, 10),  # the make-up Saturday is a working day
    )
    assert Notification.objects.filter(recipient=handler, event="hotline.task").count() == 1
    t = service.sign(t, handler, roles=HANDLER, now=local("2026-10-09 10:00"))
    assert (t.status, t.sign_due, t.finish_due) == ("handling", None, dt.date(2026, 10, 15))
    t = service.answer(t, handler, roles=HANDLER, reply="已责令商户整改", now=local("2026-10-12 15:00"))
    assert t.status == "answered" and t.reply == "已责令商户整改"
    t = service.finish(t, jiexian, roles=OP, now=local("2026-10-12 16:00"))
    assert (t.status, t.on_time, t.finish_due, t.revisit_due) == (
        "finished",
        True,
        dt.date(2026, 10, 15),  # the 办结时限 stays on the row: it was met
        dt.date(2026, 10, 14),
    )
    t = service.revisit(
        t, jiexian, roles=OP, satisfaction="satisfied", note_text="满意", now=local("2026-10-13 09:00")
    )
    assert (t.status, t.revisit_due) == ("closed", None)
    t = service.rate(t, None, roles=CALLER, score=5, now=local("2026-10-13 10:00"))
    assert fresh(t).score == 5
    assert audits(t) == [
        "hotline_ticket.receive",
        "hotline_ticket.dispatch",
        "hotline_ticket.sign",
        "hotline_ticket.answer",
        "hotline_ticket.finish",
        "hotline_ticket.revisit",
        "hotline_ticket.rate",
    ]
    with pytest.raises(IllegalTransition):  # rated once
        service.rate(t, None, roles=CALLER, score=4, now=local("2026-10-13 11:00"))
    assert not [c for c in Clock.objects.filter(owner_id=str(t.pk)) if c.stopped_at is None]


def test_a_late_finish_is_not_on_time():
    t = handled(file("consult", "2026-10-09 09:00"), "2026-10-09 09:30")
    assert t.finish_due == dt.date(2026, 10, 12)
    t = finished(t, "2026-10-13 09:00")
    assert t.on_time is False


def test_send_back_keeps_the_finish_clock():
    t = handled(file("complaint", "2026-10-09 09:00"), "2026-10-09 09:30")
    t = service.answer(
        t, user("chengban_shichang"), roles=HANDLER, reply="答复", now=local("2026-10-09 11:00")
    )
    t = service.send_back(
        t, user("jiexian"), roles=OP, reason="未答复诉求要点", now=local("2026-10-09 12:00")
    )
    assert (t.status, t.finish_due) == ("handling", dt.date(2026, 10, 15))


# ------------------------------------------------------------------------------ 退单, 改派


def test_an_accepted_return_restarts_dispatch_and_not_finish():
    t = file("complaint", "2026-09-30 10:00")
    assert t.finish_due == dt.date(2026, 10, 13)
    t = service.dispatch(t, user("jiexian"), roles=OP, department=SHICHANG, now=local("2026-09-30 10:10"))
    assert t.sign_due == dt.date(2026, 10, 8)
    t = service.return_(
        t, user("chengban_shichang"), roles=HANDLER, reason="不属于本部门职责", now=local("2026-10-08 09:00")
    )
    assert (t.status, t.returns, t.sign_due, t.finish_due) == ("returned", 1, None, dt.date(2026, 10, 13))
    assert Notification.objects.filter(recipient=user("jiexian"), event="hotline.centre").exists()
    t = service.accept_return(
        t, user("jiexian"), roles=OP, reason="同意，重新派单", now=local("2026-10-08 10:00")
    )
    assert (t.status, t.assigned_id) == ("received", None)
    assert t.dispatch_due == local("2026-10-08 11:00")  # a new dispatch clock
    assert t.finish_due == dt.date(2026, 10, 13)  # the caller's clock never restarts
    t = service.dispatch(t, user("jiexian"), roles=OP, department=RENSHE, now=local("2026-10-08 10:30"))
    assert (t.status, t.assigned_id, t.sign_due) == ("dispatched", RENSHE, dt.date(2026, 10, 9))
    assert t.finish_due == dt.date(2026, 10, 13)


def test_a_rejected_return_restarts_sign_for_the_same_department():
    t = file("complaint", "2026-09-30 10:00")
    t = service.dispatch(t, user("jiexian"), roles=OP, department=SHICHANG, now=local("2026-09-30 10:10"))
    t = service.return_(
        t, user("chengban_shichang"), roles=HANDLER, reason="非本部门", now=local("2026-10-08 09:00")
    )
    t = service.reject_return(
        t, user("jiexian"), roles=OP, reason="属于市场监管职责", now=local("2026-10-09 09:00")
    )
    assert (t.status, t.assigned_id, t.sign_due, t.finish_due) == (
        "dispatched",
        SHICHANG,
        dt.date(2026, 10, 10),
        dt.date(2026, 10, 13),
    )


@pytest.mark.parametrize("event", ["reassign", "transfer"])
def test_reassign_and_transfer_restart_sign_for_the_new_department_never_finish(event):
    t = handled(file("help", "2026-09-30 10:00"), "2026-09-30 10:10")
    before = t.finish_due
    assert before == dt.date(2026, 10, 13)
    actor, roles = (user("jiexian"), OP) if event == "reassign" else (user("chengban_shichang"), HANDLER)
    t = getattr(service, event)(
        t, actor, roles=roles, department=RENSHE, reason="属人社职责", now=local("2026-10-09 15:00")
    )
    assert (t.status, t.assigned_id, t.signed_at) == ("dispatched", RENSHE, None)
    assert t.sign_due == dt.date(2026, 10, 10)
    assert t.finish_due == before
    assert Notification.objects.filter(recipient=user("chengban_renshe"), event="hotline.task").exists()
    with pytest.raises(BAD) as refused:  # to the department that has it
        service.reassign(
            t, user("jiexian"), roles=OP, department=RENSHE, reason="x", now=local("2026-10-09 16:00")
        )
    assert refused.value.field == "department"


# ------------------------------------------------------------------------------ pause, extension


def test_waiting_pauses_finish_and_gives_the_days_back():
    t = handled(file("complaint", "2026-09-30 10:00"), "2026-09-30 10:10")
    assert t.finish_due == dt.date(2026, 10, 13)
    t = service.wait(
        t, user("chengban_shichang"), roles=HANDLER, reason="请补充商户地址", now=local("2026-10-08 10:00")
    )
    assert (t.status, t.waiting_reason) == ("waiting", "请补充商户地址")
    t = service.resume(t, user("chengban_shichang"), roles=HANDLER, now=local("2026-10-12 10:00"))
    # paused over 10-09, 10-10 (make-up Saturday) and 10-12: three working days given back
    assert (t.status, t.finish_due, t.waiting_reason) == ("handling", dt.date(2026, 10, 16), "")


def test_an_approved_extension_moves_finish_a_refused_one_does_not():
    t = handled(file("complaint", "2026-09-30 10:00"), "2026-09-30 10:10")
    handler, jiexian = user("chengban_shichang"), user("jiexian")
    ext = service.request_extension(
        t, handler, roles=HANDLER, days=3, reason="需现场核查", now=local("2026-10-09 09:00")
    )
    assert ext.status == "pending"
    with pytest.raises(BAD) as refused:  # a refusal needs its reason
        service.decide_extension(ext, jiexian, roles=OP, approve=False, now=local("2026-10-09 10:00"))
    assert refused.value.field == "note"
    ext = service.decide_extension(
        ext, jiexian, roles=OP, approve=False, note_text="理由不充分", now=local("2026-10-09 10:00")
    )
    assert ext.status == "refused" and fresh(t).finish_due == dt.date(2026, 10, 13)
    ext = service.request_extension(
        t, handler, roles=HANDLER, days=3, reason="需现场核查", now=local("2026-10-09 11:00")
    )
    ext = service.decide_extension(ext.pk, jiexian, roles=OP, approve=True, now=local("2026-10-09 12:00"))
    assert ext.status == "approved" and fresh(t).finish_due == dt.date(2026, 10, 16)
    assert Extension.objects.filter(ticket=t).count() == 2
    actions = list(
        AuditRecord.objects.filter(object_id=t.number, action__startswith="hotline_extension.").values_list(
            "action", flat=True
        )
    )
    assert sorted(actions) == sorted(
        ["hotline_extension.request", "hotline_extension.refuse"] * 1
        + ["hotline_extension.request", "hotline_extension.approve"]
    )


def test_an_extension_is_asked_only_while_handling():
    t = file("complaint", "2026-09-30 10:00")
    with pytest.raises(Exception) as refused:
        service.request_extension(
            t, user("chengban_shichang"), roles=HANDLER, days=2, reason="x", now=local("2026-09-30 11:00")
        )
    assert status_of(refused.value) == 409
    assert not Extension.objects.filter(ticket=t).exists()


# ------------------------------------------------------------------------------ return visit


def test_an_unsatisfied_revisit_reopens_with_a_new_finish_clock_on_time_stays_the_first_rounds():
    t = handled(file("complaint", "2026-09-30 10:00"), "2026-09-30 10:10")
    t = finished(t, "2026-10-09 10:00")
    assert (t.on_time, t.revisit_due) == (True, dt.date(2026, 10, 12))
    t = service.revisit(
        t,
        user("jiexian"),
        roles=OP,
        satisfaction="unsatisfied",
        note_text="问题仍未解决",
        now=local("2026-10-10 10:00"),
    )
    assert (t.status, t.reopened, t.revisit_due) == ("handling", 1, None)
    assert t.finish_due == dt.date(2026, 10, 16)  # 5 working days from 10-10
    t = finished(t, "2026-10-20 10:00")  # the second round is late
    assert (t.status, t.on_time, t.reopened) == ("finished", True, 1)
    t = service.revisit(
        t,
        user("jiexian"),
        roles=OP,
        satisfaction="basic",
        note_text="基本满意",
        now=local("2026-10-21 10:00"),
    )
    assert fresh(t).status == "closed"


def test_no_phone_no_revisit_clock_and_archive_closes():
    t = handled(file("report", "2026-10-09 09:00", phone="", anonymous=True), "2026-10-09 09:30")
    assert (t.anonymous, t.caller_name, t.caller_phone) == (True, "", "")
    t = finished(t, "2026-10-09 15:00")
    assert t.revisit_due is None
    t = service.archive(
        t, user("jiexian"), roles=OP, reason="匿名举报，无法回访", now=local("2026-10-09 16:00")
    )
    assert t.status == "closed"


# ------------------------------------------------------------------------------ warnings


def test_dispatch_crossings_card_the_centre_once_each(run, settings):
    settings.ONETHING = {**settings.ONETHING, "NOTIFICATION_BACKENDS": ["inbox", "sms"]}
    t = file("help", "2026-10-09 10:00")
    jiexian, ducha = user("jiexian"), user("ducha")
    User.objects.filter(pk=ducha.pk).update(phone="13900000001")  # reachable by SMS
    run("2026-10-09 10:30")
    assert not cards(t).exists()
    run("2026-10-09 10:45")  # the last 20 minutes of the hour
    card = cards(t).get()
    assert (card.clock, card.level, card.department_id, card.ticket_id) == ("dispatch", "yellow", None, t.pk)
    assert fresh(t).warning == "yellow"
    assert Notification.objects.filter(recipient=jiexian, event="hotline.yellow").count() == 1
    assert not Notification.objects.filter(recipient=ducha).exists()
    run("2026-10-09 10:50")
    assert cards(t).count() == 1
    run("2026-10-09 11:05")
    red = cards(t).get(level="red")
    assert (red.clock, red.department_id) == ("dispatch", None)
    assert fresh(t).warning == "red"
    assert Notification.objects.filter(recipient=jiexian, event="hotline.red").count() == 1
    assert Notification.objects.filter(recipient=ducha, event="hotline.red").count() == 1
    assert OutboxMessage.objects.filter(recipient=ducha, event="hotline.red").exists()  # red goes by SMS
    told = Notification.objects.count()
    run("2026-10-09 11:30")  # a second scan: no duplicate card or message
    assert cards(t).count() == 2 and Notification.objects.count() == told


def test_sign_and_finish_crossings_card_the_holding_department(run):
    t = file("complaint", "2026-09-30 10:00")
    t = service.dispatch(t, user("jiexian"), roles=OP, department=SHICHANG, now=local("2026-09-30 10:10"))
    handler, ducha = user("chengban_shichang"), user("ducha")
    run("2026-10-08 08:00")  # sign: 1 working day, yellow on its due day
    card = cards(t).get()
    assert (card.clock, card.level, card.department_id) == ("sign", "yellow", SHICHANG)
    assert Notification.objects.filter(recipient=handler, event="hotline.yellow").count() == 1
    run("2026-10-09 01:00")
    assert cards(t).filter(clock="sign", level="red", department_id=SHICHANG).count() == 1
    assert Notification.objects.filter(recipient=handler, event="hotline.red").count() == 1
    assert Notification.objects.filter(recipient=ducha, event="hotline.red").count() == 1
    service.sign(t, handler, roles=HANDLER, now=local("2026-10-09 09:00"))
    run("2026-10-12 01:00")  # finish due 10-13: yellow from 10-12
    assert cards(t).filter(clock="finish", level="yellow", department_id=SHICHANG).count() == 1
    run("2026-10-12 02:00")
    assert cards(t).count() == 3
    run("2026-10-14 00:30")
    assert cards(t).filter(clock="finish", level="red", department_id=SHICHANG).count() == 1
    assert cards(t).count() == 4
    assert fresh(t).warning == "red"


def test_messages_to_groups_carry_id_numbers_masked():
    t = file("complaint", "2026-09-30 10:00")
    t = service.dispatch(t, user("jiexian"), roles=OP, department=SHICHANG, now=local("2026-09-30 10:10"))
    service.return_(
        t,
        user("chengban_shichang"),
        roles=HANDLER,
        reason=f"诉求人身份证{ID_NUMBER}非本辖区",
        now=local("2026-09-30 11:00"),
    )
    told = Notification.objects.get(recipient=user("jiexian"), event="hotline.centre")
    assert ID_NUMBER not in told.title and "4306" in told.title


# ------------------------------------------------------------------------------ bad input


def _nothing_written(call):
    before = (AuditRecord.objects.count(), Ticket.objects.count(), Clock.objects.count())
    with pytest.raises(BAD) as refused:
        call()
    assert (AuditRecord.objects.count(), Ticket.objects.count(), Clock.objects.count()) == before
    assert status_of(refused.value) == 400 and refused.value.message
    return refused.value


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"content": "卫生\x00差"}, "content"),
        ({"content": "长" * (rules.CONTENT_MAX + 1)}, "content"),
        ({"content": "   "}, "content"),
        ({"category": "praise"}, "category"),
        ({"region": "999999"}, "region"),
        ({"anonymous": True}, "anonymous"),  # a complaint may not be anonymous
        ({"caller": {"name": "王\x00", "phone": "1"}}, "caller.name"),
        ({"caller": {"name": "王", "phone": "电话号码"}}, "caller.phone"),
        ({"received_at": "昨天"}, "received_at"),
        ({"received_at": "2026-10-09T12:00:00+08:00"}, "received_at"),  # later than now
        ({"department": "91430600XXXXXXXXXX"}, "department"),
        ({"redirect": "weather"}, "redirect"),
    ],
)
def test_bad_intake_names_the_field_and_writes_nothing(data, field):
    data = dict(data)
    category = data.pop("category", "complaint")
    error = _nothing_written(lambda: file(category, "2026-10-09 10:00", **data))
    assert error.field == field


def test_bad_transition_input_names_the_field_and_writes_nothing():
    t = file("complaint", "2026-09-30 10:00")
    jiexian, handler = user("jiexian"), user("chengban_shichang")
    at = local("2026-09-30 10:30")
    error = _nothing_written(
        lambda: service.dispatch(t, jiexian, roles=OP, department="91430600XXXXXXXXXX", now=at)
    )
    assert error.field == "department"
    error = _nothing_written(lambda: service.dispatch(t, jiexian, roles=OP, department=PINGJIANG, now=at))
    assert error.field == "department" and "平江县" in error.message
    error = _nothing_written(lambda: service.dispatch(t, jiexian, roles=OP, department="", now=at))
    assert error.field == "department"
    t = service.dispatch(t, jiexian, roles=OP, department=SHICHANG, now=at)
    for reason in ("", "   ", None):
        error = _nothing_written(
            lambda r=reason: service.return_(t, handler, roles=HANDLER, reason=r, now=at)
        )
        assert error.field == "reason"
    error = _nothing_written(lambda: service.return_(t, handler, roles=HANDLER, reason="x\x00", now=at))
    assert error.field == "reason"
    error = _nothing_written(
        lambda: service.return_(t, handler, roles=HANDLER, reason="长" * (rules.NOTE_MAX + 1), now=at)
    )
    assert error.field == "reason"
    t = service.sign(t, handler, roles=HANDLER, now=at)
    error = _nothing_written(lambda: service.answer(t, handler, roles=HANDLER, reply="", now=at))
    assert error.field == "reply"
    error = _nothing_written(
        lambda: service.request_extension(t, handler, roles=HANDLER, days=0, reason="x", now=at)
    )
    assert error.field == "days"
    error = _nothing_written(
        lambda: service.request_extension(
            t, handler, roles=HANDLER, days=rules.EXTENSION_MAX_DAYS + 1, reason="x", now=at
        )
    )
    assert error.field == "days"
    assert fresh(t).status == "handling"


def test_only_a_report_may_be_anonymous():
    t = file("report", "2026-10-09 10:00", anonymous=True)
    assert (t.anonymous, t.caller_name, t.caller_phone, t.caller_id) == (True, "", "", None)
    for category in ("consult", "help", "complaint", "suggestion", "not_done"):
        error = _nothing_written(lambda c=category: file(c, "2026-10-09 10:00", anonymous=True))
        assert error.field == "anonymous"


def test_a_redirected_matter_runs_no_clock():
    t = file("complaint", "2026-10-09 10:00", redirect="litigation")
    assert (t.status, t.redirect_matter) == ("redirected", "litigation")
    assert "法院" in t.redirect_channel
    assert (t.dispatch_due, t.finish_due, t.warning) == (None, None, "")
    assert not Clock.objects.filter(owner_kind=deadlines.KIND, owner_id=str(t.pk)).exists()
    assert audits(t) == ["hotline_ticket.redirect"]
    with pytest.raises(IllegalTransition):
        service.dispatch(t, user("jiexian"), roles=OP, department=SHICHANG, now=local("2026-10-09 10:10"))


def test_a_consult_answered_on_the_spot_closes():
    t = file("consult", "2026-10-09 10:00")
    t = service.resolve(
        t, user("jiexian"), roles=OP, reply="请携带身份证办理", source="kb:1", now=local("2026-10-09 10:05")
    )
    assert (t.status, t.on_time, t.finish_due, t.dispatch_due) == (
        "closed",
        True,
        dt.date(2026, 10, 12),
        None,
    )
    other = file("help", "2026-10-09 10:00")
    with pytest.raises(IllegalTransition):
        service.resolve(other, user("jiexian"), roles=OP, reply="x", now=local("2026-10-09 10:05"))


# ------------------------------------------------------------------------------ who filed it


def test_an_anonymous_report_sent_online_keeps_no_trace_of_the_sender():
    zhangsan = user("zhangsan")
    filed = intake.file(
        {
            "category": "report",
            "channel": "web",
            "content": "举报某药店销售假药",
            "region": "430602",
            "anonymous": True,
            "caller": {"name": "张三", "phone": "13800000001"},
        },
        actor=zhangsan,
        role="caller",
        now=local("2026-10-09 10:00"),
    )
    t = fresh(filed.ticket)
    assert (t.anonymous, t.created_by_id, t.caller_id, t.caller_name, t.caller_phone) == (
        True,
        None,
        None,
        "",
        "",
    )
    record = AuditRecord.objects.get(object_type="hotline_ticket", object_id=t.number)
    assert (record.action, record.actor_id) == ("hotline_ticket.receive", None)
    trace = f"{record.actor_label} {record.reason} {record.data}"
    assert not any(part in trace for part in ("张三", "zhangsan", "13800000001", zhangsan.id_number))
    # not among the sender's tickets; followed by the number and the lookup code only
    assert not access.visible(zhangsan).filter(pk=t.pk).exists()
    assert access.roles_for(zhangsan, t) == set()
    assert service.follow(t.number, filed.lookup_code).pk == t.pk


@pytest.mark.parametrize("channel", ["hotline", "web", "mobile", "window", "letter"])
def test_a_system_files_only_by_open311(channel):
    body = {"category": "help", "content": "路灯不亮", "region": "430602", "caller": {"phone": "13800000009"}}
    at = local("2026-10-09 10:00")
    error = _nothing_written(lambda: intake.file({**body, "channel": channel}, role="system", now=at))
    assert error.field == "channel" and "open311" in error.message
    t = intake.file({**body, "channel": "open311"}, role="system", now=at).ticket
    assert (t.status, t.channel, t.created_by_id) == ("received", "open311", None)


# ------------------------------------------------------------------------------ cards dated at the crossing


def test_a_card_is_dated_at_the_crossing_not_when_the_scan_ran(run):
    t = handled(file("complaint", "2026-09-30 10:00"), "2026-09-30 10:10")  # due 10-13
    finish = Clock.objects.get(owner_kind=deadlines.KIND, owner_id=str(t.pk), name="finish")
    # one working day left from the midnight that begins 10-12; due at the one that ends 10-13
    assert (finish.yellow_at, finish.due_at) == (local("2026-10-12 00:00"), local("2026-10-14 00:00"))
    late = file("help", "2026-10-09 10:00")  # never dispatched: due 11:00, yellow from 10:40
    run("2026-10-12 23:00")  # 23 hours after the yellow moment, three days after the dispatch hour
    yellow = cards(t).get()
    assert (yellow.clock, yellow.level, yellow.at, yellow.due_at) == (
        "finish",
        "yellow",
        finish.yellow_at,
        finish.due_at,
    )
    # a clock found past its due moment goes straight to red, dated at the due moment
    red = cards(late).get()
    assert (red.clock, red.level, red.at) == ("dispatch", "red", local("2026-10-09 11:00"))
    run("2026-10-17 09:00")  # three days after the due moment
    red = cards(t).get(level="red")
    assert (red.clock, red.at, red.due_at) == ("finish", finish.due_at, finish.due_at)
    assert cards(t).count() == 2
