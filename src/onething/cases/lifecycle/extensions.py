"""延期 (行政许可法 art. 42): the department asks, a supervisor covering the case approves or
refuses; a supervisor's own extension is requested and approved in one step. The machine is
:data:`onething.cases.machines.EXTENSION`; its records are on the sub-case."""

from __future__ import annotations

from django.db import transaction

from onething.calendar.service import get_calendar
from onething.cases import deadlines, inputs
from onething.cases.access import SUPERVISOR
from onething.cases.lifecycle.base import (
    InvalidAction,
    clock,
    context,
    create,
    fire,
    load_sub,
    pending_extension,
    roles,
    tell_applicant,
    tell_non_owner,
    tell_supervisors,
)
from onething.cases.machines import EXTENSION
from onething.cases.models import Application, Extension, SubCase
from onething.kernel.machine import NEW
from onething.workflow import engine

#: 延期 at most this many working days in total (行政许可法 art. 42: 10 working days).
MAX_EXTENSION_DAYS = 10


def _extension_input(days, reason: str) -> str:
    """The cleaned reason, once ``days`` and ``reason`` are acceptable for a 延期."""
    if isinstance(days, bool) or not isinstance(days, int) or days < 1:
        raise InvalidAction("延长工作日数应为正整数", "days")
    if days > MAX_EXTENSION_DAYS:
        raise InvalidAction(f"延长工作日数不得超过{MAX_EXTENSION_DAYS}个", "days")
    reason = inputs.reason(reason)
    if not reason:
        raise InvalidAction("延期须说明理由（将告知申请人）", "reason")
    return reason


def _check_extension_cap(sub: SubCase, days: int, pending: int = 0) -> None:
    """Approved plus requested days stay within the statutory 10 working days."""
    if sub.extension_days + pending + days > MAX_EXTENSION_DAYS:
        left = max(0, MAX_EXTENSION_DAYS - sub.extension_days - pending)
        raise InvalidAction(
            f"延期合计不得超过{MAX_EXTENSION_DAYS}个工作日（已批准{sub.extension_days}个，"
            f"待审批{pending}个，最多还可延长{left}个）",
            "days",
        )


def _guard_context(app: Application, sub: SubCase) -> dict:
    return context(app, sub, pending_extension=pending_extension(sub) is not None)


def _apply_extension(app: Application, sub: SubCase, ext: Extension, today) -> None:
    """The approved days move the sub-case's due date (and the application's, if it is later)."""
    calendar = get_calendar()
    deadlines.extend(sub, ext.days, today, calendar)
    sub.save()
    if app.due_date and sub.due_date and sub.due_date > app.due_date:
        deadlines.extend(
            app, deadlines.workdays_between(app.due_date, sub.due_date, calendar), today, calendar
        )
        app.save()
    tell_applicant(
        app,
        "extend",
        f"{sub.item_name}：办理时限延长{ext.days}个工作日",
        f"延期理由：{ext.reason}。新的办理期限：{sub.due_date:%Y年%m月%d日}",
    )


def _approval_record(sub: SubCase, ext: Extension, actor) -> dict:
    return {
        "days": ext.days,
        "requested_by": ext.requested_by_id,
        "approved_by": actor.pk,
        "due_date": str(sub.due_date),
    }


def request_extension(subcase: SubCase, actor, *, days: int, reason: str, now=None, today=None) -> Extension:
    """延期申请 by the department: pending until a supervisor covering the case decides.

    One pending request per sub-case; approved plus requested days at most
    :data:`MAX_EXTENSION_DAYS`. The case's supervisors are told.
    """
    now, today = clock(now, today)
    reason = _extension_input(days, reason)
    with transaction.atomic():
        app, sub = load_sub(subcase)
        held = roles(actor, app, sub)
        guard_context = _guard_context(app, sub)
        engine.check(EXTENSION, NEW, "request_extension", held, context=guard_context)
        _check_extension_cap(sub, days)
        ext = Extension(subcase=sub, days=days, reason=reason, requested_by=actor, requested_at=now)
        create(
            EXTENSION,
            ext,
            "request_extension",
            actor,
            now,
            roles=held,
            reason=reason,
            context=guard_context,
            subject=("subcase", sub.number),
            save_as="extension",
            days=days,
        )
        tell_supervisors(
            app,
            "extension_requested",
            f"延期申请待审批：{sub.number}",
            f"{sub.item_name}申请延长{days}个工作日。理由：{reason}",
        )
    return ext


def extend(subcase: SubCase, actor, *, days: int, reason: str, now=None, today=None) -> Extension:
    """延期 (art. 42), the entry point of the API and the pages.

    A supervisor covering the case extends at once (requested and approved in one step, one
    audit record); the department's approver files a request (:func:`request_extension`) that
    stays pending until a supervisor approves or refuses it.
    """
    now, today = clock(now, today)
    reason = _extension_input(days, reason)
    if SUPERVISOR not in roles(actor, subcase.application, subcase):
        return request_extension(subcase, actor, days=days, reason=reason, now=now, today=today)
    with transaction.atomic():
        app, sub = load_sub(subcase)
        held = roles(actor, app, sub)
        guard_context = _guard_context(app, sub)
        engine.check(EXTENSION, NEW, "extend", held, context=guard_context)
        pending = pending_extension(sub)
        _check_extension_cap(sub, days, pending.days if pending else 0)
        ext = Extension(
            subcase=sub,
            days=days,
            reason=reason,
            requested_by=actor,
            requested_at=now,
            decided_by=actor,
            decided_at=now,
        )
        _apply_extension(app, sub, ext, today)  # first, so the record names the new due date
        create(
            EXTENSION,
            ext,
            "extend",
            actor,
            now,
            roles=held,
            reason=reason,
            context=guard_context,
            subject=("subcase", sub.number),
            save_as="extension",
            **_approval_record(sub, ext, actor),
        )
    return ext


def _load_extension(extension: Extension) -> tuple[Application, SubCase, Extension]:
    """Lock the case (application, then sub-case) and the request, in that order."""
    app, sub = load_sub(extension.subcase)
    return app, sub, Extension.objects.select_for_update().get(pk=extension.pk)


def approve_extension(extension: Extension, actor, *, now=None, today=None) -> Extension:
    """批准延期: the deadline moves; the applicant (with the reason) and the requester are told."""
    now, today = clock(now, today)
    with transaction.atomic():
        app, sub, ext = _load_extension(extension)
        held = roles(actor, app, sub)
        guard_context = context(app, sub)
        engine.check(EXTENSION, ext.status, "approve_extension", held, context=guard_context)
        _check_extension_cap(sub, ext.days)
        ext.decided_by = actor
        ext.decided_at = now
        _apply_extension(app, sub, ext, today)
        fire(
            EXTENSION,
            ext,
            "approve_extension",
            actor,
            now,
            roles=held,
            reason=ext.reason,
            context=guard_context,
            subject=("subcase", sub.number),
            extension=ext.pk,
            **_approval_record(sub, ext, actor),
        )
        ext.save()
        tell_non_owner(
            ext.requested_by,
            app,
            "extension_approved",
            f"延期申请已批准：{sub.number}",
            f"{sub.item_name}延长{ext.days}个工作日，新的办理期限：{sub.due_date:%Y年%m月%d日}",
        )
    return ext


def refuse_extension(extension: Extension, actor, *, reason: str, now=None, today=None) -> Extension:
    """不批准延期 (with reasons): nothing about the deadline changes; the requester is told."""
    now, today = clock(now, today)
    reason = inputs.reason(reason)
    if not reason:
        raise InvalidAction("不批准延期须说明理由", "reason")
    with transaction.atomic():
        app, sub, ext = _load_extension(extension)
        fire(
            EXTENSION,
            ext,
            "refuse_extension",
            actor,
            now,
            roles=roles(actor, app, sub),
            reason=reason,
            context=context(app, sub),
            subject=("subcase", sub.number),
            days=ext.days,
            extension=ext.pk,
            requested_by=ext.requested_by_id,
        )
        ext.decided_by = actor
        ext.decided_at = now
        ext.refusal_reason = reason
        ext.save()
        tell_non_owner(
            ext.requested_by,
            app,
            "extension_refused",
            f"延期申请未获批准：{sub.number}",
            f"{sub.item_name}申请延长{ext.days}个工作日未获批准。理由：{reason}",
        )
    return ext
