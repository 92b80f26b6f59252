"""The ticket's transitions after intake, each in one transaction that locks the ticket first,
fires the engine (roles checked, one audit record), moves the clocks (``deadlines``), projects
them onto the row and tells the people concerned through the outbox.

Input is cleaned before anything is locked (a 400 naming the field, nothing written). Who
may act is the caller's business (``access.roles_for``); these functions take the roles they
are given. ``rules`` documents which clocks 退单, 改派 and transfer restart (the caller's
``finish`` never does).
"""

from __future__ import annotations

import datetime as dt
import hmac
from typing import Any

from django.db import transaction
from django.utils import timezone

from onething.core import text
from onething.directory.models import Department
from onething.hotline import access, deadlines, rules
from onething.hotline.intake import choice, department_of, lookup_hash
from onething.hotline.machines import EXTENSION, SYSTEM, TICKET
from onething.hotline.models import Extension, Ticket
from onething.kernel.errors import Conflict, Invalid, NotFound
from onething.notifications.service import notify, notify_group
from onething.workflow import engine

T = Ticket.Status


def link(ticket: Ticket) -> str:
    return f"/hotline/tickets/{ticket.number}/"


def follow_link(ticket: Ticket) -> str:
    return f"/hotline/follow/{ticket.number}/"


def locked(ticket: Ticket | str) -> Ticket:
    number = ticket.number if isinstance(ticket, Ticket) else ticket
    found = (
        Ticket.objects.select_for_update(of=("self",))
        .select_related("region", "assigned", "caller")
        .filter(number=number)
        .first()
    )
    if found is None:
        raise NotFound("未找到该工单", "number")
    return found


def note(value: Any, field: str = "note", *, required: bool = True) -> str:
    return text.clean(value, field, max_length=rules.NOTE_MAX, multiline=True, required=required)


def _fire(ticket: Ticket, event: str, roles, actor, now, reason: str = "", **kwargs) -> None:
    context = {"reason": reason, "category": ticket.category, "rated": ticket.rated_at is not None}
    context.update(kwargs.pop("context", {}))
    engine.fire(
        TICKET, ticket, event, roles=roles, actor=actor, at=now, reason=reason, context=context, **kwargs
    )


def _save(ticket: Ticket) -> Ticket:
    deadlines.project(ticket)
    ticket.save()
    return ticket


def _tell_handlers(ticket: Ticket, title: str) -> None:
    notify_group(access.handlers(ticket.assigned_id), "hotline.task", title, "", link(ticket))


def _tell_centre(ticket: Ticket, title: str) -> None:
    notify_group(access.operators(ticket.region), "hotline.centre", title, "", link(ticket))


def _tell_caller(ticket: Ticket, title: str, body: str = "") -> None:
    if ticket.caller_id:
        notify(ticket.caller, "hotline.caller", title, body, follow_link(ticket))


def _target_department(ticket: Ticket, value: Any) -> Department:
    department = department_of(value)
    if department is None:
        raise Invalid("请选择承办部门", "department")
    chain = ticket.region.path.split("/")
    region_path = department.region.path
    if department.region_id not in chain and not region_path.startswith(f"{ticket.region.path}/"):
        raise Invalid(f"“{department.name}”不在工单所属区划内", "department")
    return department


# ------------------------------------------------------------------------------ dispatch


def dispatch(ticket, actor, *, roles, department: Any, note_text: Any = "", now=None) -> Ticket:
    """派单: to a department; the dispatch clock stops, the department's sign clock starts."""
    now = now or timezone.now()
    reason = note(note_text, required=False)
    with transaction.atomic():
        ticket = locked(ticket)
        target = _target_department(ticket, department)
        _fire(
            ticket,
            "dispatch",
            roles,
            actor,
            now,
            reason,
            context={"department": target.pk},
            department=target.pk,
        )
        deadlines.stop(ticket, rules.DISPATCH, now)
        _assign(ticket, target, now)
        _save(ticket)
        _tell_handlers(
            ticket,
            f"新派12345工单 {ticket.number}（{ticket.get_category_display()}），请于 {ticket.sign_due} 前签收",
        )
    return ticket


def _assign(ticket: Ticket, department: Department, now: dt.datetime) -> None:
    deadlines.stop(ticket, rules.SIGN, now)
    ticket.assigned = department
    ticket.dispatched_at = now
    ticket.signed_at = None
    deadlines.start(ticket, rules.SIGN, now)


def sign(ticket, actor, *, roles, now=None) -> Ticket:
    now = now or timezone.now()
    with transaction.atomic():
        ticket = locked(ticket)
        _fire(ticket, "sign", roles, actor, now, department=ticket.assigned_id)
        deadlines.stop(ticket, rules.SIGN, now)
        ticket.signed_at = now
        _save(ticket)
    return ticket


def return_(ticket, actor, *, roles, reason: Any, now=None) -> Ticket:
    """退单: the department refuses the dispatch with its reasons; the centre reviews it."""
    now = now or timezone.now()
    reason = note(reason, "reason")
    with transaction.atomic():
        ticket = locked(ticket)
        _fire(ticket, "return", roles, actor, now, reason, department=ticket.assigned_id)
        deadlines.stop(ticket, rules.SIGN, now)
        ticket.returns += 1
        _save(ticket)
        _tell_centre(ticket, f"12345工单 {ticket.number} 被{ticket.assigned.name}退单，请审核：{reason[:60]}")
    return ticket


def accept_return(ticket, actor, *, roles, reason: Any, now=None) -> Ticket:
    """The centre agrees: the ticket is back to be dispatched, on a new dispatch clock."""
    now = now or timezone.now()
    reason = note(reason, "reason")
    with transaction.atomic():
        ticket = locked(ticket)
        _fire(ticket, "accept_return", roles, actor, now, reason, department=ticket.assigned_id)
        ticket.assigned = None
        deadlines.start(ticket, rules.DISPATCH, now)
        _save(ticket)
    return ticket


def reject_return(ticket, actor, *, roles, reason: Any, now=None) -> Ticket:
    """The centre disagrees: the department must take it, on a new sign clock."""
    now = now or timezone.now()
    reason = note(reason, "reason")
    with transaction.atomic():
        ticket = locked(ticket)
        _fire(ticket, "reject_return", roles, actor, now, reason, department=ticket.assigned_id)
        _assign(ticket, ticket.assigned, now)
        _save(ticket)
        _tell_handlers(
            ticket, f"12345工单 {ticket.number} 退单未获同意，请于 {ticket.sign_due} 前签收：{reason[:60]}"
        )
    return ticket


def reassign(ticket, actor, *, roles, department: Any, reason: Any, now=None) -> Ticket:
    """改派 (by the centre) — from dispatched, returned or handling — to another department."""
    return _redirect_work(ticket, actor, "reassign", roles, department, reason, now)


def transfer(ticket, actor, *, roles, department: Any, reason: Any, now=None) -> Ticket:
    """转派 (by the handling department) to the department the matter belongs to; the centre
    is told."""
    return _redirect_work(ticket, actor, "transfer", roles, department, reason, now)


def _redirect_work(ticket, actor, event, roles, department, reason, now) -> Ticket:
    now = now or timezone.now()
    reason = note(reason, "reason")
    with transaction.atomic():
        ticket = locked(ticket)
        target = _target_department(ticket, department)
        if target.pk == ticket.assigned_id:
            raise Invalid("请选择另一个承办部门", "department")
        previous = ticket.assigned_id
        _fire(
            ticket,
            event,
            roles,
            actor,
            now,
            reason,
            context={"department": target.pk},
            department=target.pk,
            previous=previous,
        )
        _assign(ticket, target, now)
        _save(ticket)
        label = "改派" if event == "reassign" else "转派"
        _tell_handlers(ticket, f"12345工单 {ticket.number} {label}至本部门，请于 {ticket.sign_due} 前签收")
        if event == "transfer":
            _tell_centre(ticket, f"12345工单 {ticket.number} 已转派至{target.name}：{reason[:60]}")
    return ticket


# ------------------------------------------------------------------------------ handling


def wait(ticket, actor, *, roles, reason: Any, now=None) -> Ticket:
    """待群众补充: the finish clock pauses (the days waiting are given back), with the reason."""
    now = now or timezone.now()
    reason = note(reason, "reason")
    with transaction.atomic():
        ticket = locked(ticket)
        _fire(ticket, "wait", roles, actor, now, reason)
        deadlines.pause(ticket, now)
        ticket.waiting_reason = reason
        _save(ticket)
        _tell_caller(ticket, f"您的12345诉求 {ticket.number} 需要补充情况：{reason[:80]}")
    return ticket


def resume(ticket, actor, *, roles, now=None) -> Ticket:
    now = now or timezone.now()
    with transaction.atomic():
        ticket = locked(ticket)
        _fire(ticket, "resume", roles, actor, now)
        deadlines.resume(ticket, now)
        ticket.waiting_reason = ""
        _save(ticket)
    return ticket


def answer(ticket, actor, *, roles, reply: Any, now=None) -> Ticket:
    """答复: the department's reply; the centre reviews it (finish or send back)."""
    now = now or timezone.now()
    reply = text.clean(reply, "reply", max_length=rules.CONTENT_MAX, multiline=True, required=True)
    with transaction.atomic():
        ticket = locked(ticket)
        _fire(ticket, "answer", roles, actor, now, reply, department=ticket.assigned_id)
        ticket.reply, ticket.replied_at, ticket.replied_by = reply, now, actor
        _save(ticket)
        _tell_centre(ticket, f"12345工单 {ticket.number} 已答复，请审核办结")
    return ticket


def send_back(ticket, actor, *, roles, reason: Any, now=None) -> Ticket:
    now = now or timezone.now()
    reason = note(reason, "reason")
    with transaction.atomic():
        ticket = locked(ticket)
        _fire(ticket, "send_back", roles, actor, now, reason, department=ticket.assigned_id)
        _save(ticket)
        _tell_handlers(ticket, f"12345工单 {ticket.number} 答复未通过审核，请重新办理：{reason[:60]}")
    return ticket


def supervise(ticket, actor, *, roles, reason: Any, now=None) -> Ticket:
    """督办: recorded and told to whoever holds the ticket; the state does not change."""
    now = now or timezone.now()
    reason = note(reason, "reason")
    with transaction.atomic():
        ticket = locked(ticket)
        _fire(ticket, "supervise", roles, actor, now, reason, department=ticket.assigned_id)
        ticket.supervised += 1
        _save(ticket)
        title = f"督办：12345工单 {ticket.number}，{reason[:60]}"
        if ticket.assigned_id and ticket.status in deadlines.HELD:
            _tell_handlers(ticket, title)
        else:
            _tell_centre(ticket, title)
    return ticket


def finish(ticket, actor, *, roles, now=None) -> Ticket:
    """办结 (the centre accepts the reply): finish clocks stop, whether on time is recorded,
    the revisit clock starts; every merged member is finished with the reply, each its own."""
    now = now or timezone.now()
    with transaction.atomic():
        ticket = locked(ticket)
        _fire(ticket, "finish", roles, actor, now, department=ticket.assigned_id)
        _close_round(ticket, now)
        _save(ticket)
        _tell_caller(ticket, f"您的12345诉求 {ticket.number} 已办结，请查看答复并评价")
        members = list(
            Ticket.objects.select_for_update(of=("self",))
            .select_related("region", "caller")
            .filter(primary=ticket, status=T.MERGED)
            .order_by("pk")
        )
        for member in members:
            engine.fire(TICKET, member, "finish_merged", roles=[SYSTEM], at=now, primary=ticket.number)
            member.reply, member.replied_at, member.replied_by = ticket.reply, now, ticket.replied_by
            member.assigned = ticket.assigned
            _close_round(member, now)
            _save(member)
            _tell_caller(member, f"您的12345诉求 {member.number} 已办结，请查看答复并评价")
    return ticket


def _close_round(ticket: Ticket, now: dt.datetime) -> None:
    on_time = deadlines.stop(ticket, rules.FINISH, now)
    merged = deadlines.stop(ticket, rules.MERGED, now)
    for name in (rules.DISPATCH, rules.SIGN):
        deadlines.stop(ticket, name, now)
    if ticket.on_time is None:  # the first round decides 按时办结
        ticket.on_time = bool(on_time is not False and merged is not False)
    ticket.finished_at = now
    if ticket.caller_phone or ticket.caller_id:
        deadlines.start(ticket, rules.REVISIT, now)


def revisit(ticket, actor, *, roles, satisfaction: Any, note_text: Any, now=None) -> Ticket:
    """回访: satisfied (or basically) closes it; unsatisfied reopens it with the department on a
    new finish clock (``reopened`` counts the rounds; 按时办结 stays the first round's)."""
    now = now or timezone.now()
    satisfaction = choice(satisfaction, "satisfaction", rules.SATISFACTION)
    record = note(note_text)
    with transaction.atomic():
        ticket = locked(ticket)
        target = T.HANDLING if satisfaction == "unsatisfied" else T.CLOSED
        _fire(ticket, "revisit", roles, actor, now, record, target=target, satisfaction=satisfaction)
        deadlines.stop(ticket, rules.REVISIT, now)
        ticket.revisited_at, ticket.satisfaction, ticket.revisit_note = now, satisfaction, record
        if target == T.HANDLING:
            ticket.reopened += 1
            ticket.primary = None
            deadlines.start(ticket, rules.FINISH, now)
            _save(ticket)
            _tell_handlers(ticket, f"12345工单 {ticket.number} 回访不满意，已重新交办：{record[:60]}")
        else:
            _save(ticket)
    return ticket


def archive(ticket, actor, *, roles, reason: Any, now=None) -> Ticket:
    now = now or timezone.now()
    reason = note(reason, "reason")
    with transaction.atomic():
        ticket = locked(ticket)
        _fire(ticket, "archive", roles, actor, now, reason)
        deadlines.stop(ticket, rules.REVISIT, now)
        _save(ticket)
    return ticket


def resolve(ticket, actor, *, roles, reply: Any, source: Any = "", now=None) -> Ticket:
    """当场答复办结: a 咨询 answered from the knowledge base while the caller is on the line."""
    now = now or timezone.now()
    reply = text.clean(reply, "reply", max_length=rules.CONTENT_MAX, multiline=True, required=True)
    source = text.clean(source, "source", max_length=100)
    with transaction.atomic():
        ticket = locked(ticket)
        _fire(ticket, "resolve", roles, actor, now, reply, source=source)
        if Ticket.objects.filter(primary=ticket, status=T.MERGED).exists():
            # closed on the spot, its members would wait ``merged`` for a finish that never comes
            raise Conflict("该工单有合并办理的工单，不能当场答复办结：请派单办理，或先取消合并", "number")
        ticket.reply, ticket.replied_at, ticket.replied_by = reply, now, actor
        ticket.answered_from = source
        ticket.finished_at = now
        ticket.on_time = deadlines.stop(ticket, rules.FINISH, now) is not False
        deadlines.stop(ticket, rules.DISPATCH, now)
        _save(ticket)
    return ticket


def rate(ticket, actor, *, roles, score: Any, comment: Any = "", now=None) -> Ticket:
    """The caller's rating of the reply, once (1–5)."""
    now = now or timezone.now()
    score = text.integer(score, "score", minimum=1, maximum=5)
    comment = text.clean(comment, "comment", max_length=rules.NOTE_MAX, multiline=True)
    if score <= 2 and not comment:
        raise Invalid("不满意时请写明原因", "comment")
    with transaction.atomic():
        ticket = locked(ticket)
        _fire(ticket, "rate", roles, actor, now, comment, score=score)
        ticket.score, ticket.rating_comment, ticket.rated_at = score, comment, now
        _save(ticket)
        if score <= 2:
            _tell_centre(ticket, f"12345工单 {ticket.number} 收到不满意评价（{rules.LEVELS[score]}）")
    return ticket


# ------------------------------------------------------------------------------ extensions


def request_extension(ticket, actor, *, roles, days: Any, reason: Any, now=None) -> Extension:
    now = now or timezone.now()
    days = text.integer(days, "days", minimum=1, maximum=rules.EXTENSION_MAX_DAYS)
    reason = note(reason, "reason")
    with transaction.atomic():
        ticket = locked(ticket)
        if ticket.status not in (T.HANDLING, T.WAITING):
            raise Conflict(f"当前状态“{ticket.get_status_display()}”不能申请延期", "ticket")
        if ticket.extensions.filter(status=Extension.Status.PENDING).exists():
            raise Conflict("已有待审核的延期申请", "ticket")
        extension = Extension(
            ticket=ticket,
            department=ticket.assigned,
            days=days,
            reason=reason,
            requested_by=actor,
            requested_at=now,
        )
        engine.create(
            EXTENSION,
            extension,
            "request",
            roles=roles,
            actor=actor,
            at=now,
            reason=reason,
            context={"reason": reason},
            subject=("hotline_ticket", ticket.number),
            save_as="extension",
            days=days,
        )
        _tell_centre(ticket, f"12345工单 {ticket.number} 申请延期 {days} 个工作日，请审核")
    return extension


def decide_extension(
    extension: Extension | int, actor, *, roles, approve: bool, note_text: Any = "", now=None
):
    now = now or timezone.now()
    reason = note(note_text, required=not approve)
    pk = extension.pk if isinstance(extension, Extension) else extension
    with transaction.atomic():
        found = Extension.objects.filter(pk=pk).values_list("ticket__number", flat=True).first()
        if found is None:
            raise NotFound("未找到该延期申请", "extension")
        ticket = locked(found)
        extension = Extension.objects.select_for_update().get(pk=pk)
        engine.fire(
            EXTENSION,
            extension,
            "approve" if approve else "refuse",
            roles=roles,
            actor=actor,
            at=now,
            reason=reason,
            context={"reason": reason},
            subject=("hotline_ticket", ticket.number),
            extension=extension.pk,
        )
        extension.decided_by, extension.decided_at, extension.decision_note = actor, now, reason
        extension.save()
        if approve:
            deadlines.extend(ticket, extension.days, now)
            _save(ticket)
        _tell_handlers(
            ticket,
            f"12345工单 {ticket.number} 延期申请{'已同意，办结时限 ' + str(ticket.finish_due) if approve else '未获同意：' + reason[:60]}",
        )
    return extension


# ------------------------------------------------------------------------------ following


def follow(number: Any, code: Any) -> Ticket:
    """The ticket a caller follows by its number and lookup code (404 for either wrong)."""
    number = text.clean(number, "number", max_length=40, required=True)
    code = text.clean(code, "code", max_length=20, required=True)
    ticket = Ticket.objects.select_related("region", "assigned").filter(number=number).first()
    if ticket is None or not hmac.compare_digest(ticket.lookup_hash, lookup_hash(number, code)):
        raise NotFound("工单编号或查询码不正确", "code")
    return ticket
