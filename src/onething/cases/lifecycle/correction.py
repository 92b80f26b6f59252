"""补正与撤回: the application waits for the applicant (clocks stopped), comes back where it
was, or is withdrawn."""

from __future__ import annotations

from django.db import transaction

from onething.calendar.service import get_calendar
from onething.cases import deadlines, inputs, notices
from onething.cases.access import SYSTEM
from onething.cases.lifecycle.base import (
    SS,
    InvalidAction,
    S,
    clock,
    fire,
    lock,
    roles,
    subcases,
    tell_applicant,
    tell_clerks,
    tell_departments,
)
from onething.cases.lifecycle.review import maybe_complete, stop_all
from onething.cases.machines import APPLICATION, SUBCASE
from onething.cases.models import Application, CorrectionRequest
from onething.workflow import engine


def request_correction(application, actor, *, items: list[str], reason: str, now=None, today=None):
    """补正: tell the applicant what is missing; every running clock stops until resubmission."""
    now, today = clock(now, today)
    items, reason = inputs.correction_items(items), inputs.reason(reason)
    if not items or not reason:
        raise InvalidAction("补正通知须列明需补正的内容并说明理由", "items")
    with transaction.atomic():
        app = lock(application)
        request_correction_locked(app, actor, list(items), reason, now, today)
    return app


def request_correction_locked(app: Application, actor, items: list[str], reason: str, now, today) -> None:
    """补正 on a locked application, inside the caller's transaction (``actor`` None: system)."""
    held = roles(actor, app)
    engine.check(APPLICATION, app.status, "request_correction", held)  # before any sub-case moves
    sub_rows = subcases(app)
    pausable = SUBCASE.events["pause"].sources
    for sub in sub_rows:
        if sub.status in pausable:
            fire(SUBCASE, sub, "pause", None, now, roles={SYSTEM}, remember="resume_status")
            deadlines.pause(sub, today)
    fire(
        APPLICATION,
        app,
        "request_correction",
        actor,
        now,
        roles=held,
        reason=reason,
        remember="resume_status",
        items=items,
    )
    app.reason = reason
    deadlines.pause(app, today)
    for sub in sub_rows:
        if sub.status == SS.CORRECTION:
            sub.save()
    app.save()
    CorrectionRequest.objects.create(
        application=app, items=items, reason=reason, requested_by=actor, requested_on=today
    )
    notices.issue(app, "correction", actor, today, extra={"items": items, "reason": reason})
    tell_applicant(app, "request_correction", f"您的办件 {app.number} 需要补正材料", "；".join(items))


def resubmit(application, actor, *, now=None, today=None, reason: str = "") -> Application:
    """补正后重新提交: the clocks resume; due dates move by the working days paused.

    When nothing is left to decide (every sub-case was stopped or decided while the application
    waited — a 容缺 ``terminate`` rule during 补正), the application completes at once instead of
    running on with nothing to review."""
    now, today = clock(now, today)
    reason = inputs.reason(reason)
    with transaction.atomic():
        app = lock(application)
        held = roles(actor, app)
        calendar = get_calendar()
        paused = deadlines.resume(app, today, calendar)
        fire(
            APPLICATION,
            app,
            "resubmit",
            actor,
            now,
            roles=held,
            reason=reason,
            target=S.SUBMITTED,
            resume="resume_status",
            paused_days=paused,
        )
        subs = subcases(app)
        for sub in subs:
            if sub.status == SS.CORRECTION:
                fire(
                    SUBCASE,
                    sub,
                    "resume",
                    None,
                    now,
                    roles={SYSTEM},
                    target=SS.IN_REVIEW,
                    resume="resume_status",
                )
                deadlines.resume(sub, today, calendar)
                sub.save()
        correction = app.corrections.filter(resolved_on__isnull=True).order_by("-id").first()
        if correction is not None:
            correction.resolved_on = today
            correction.paused_days = paused
            correction.save()
        maybe_complete(app, subs, now, today)
        app.save()
        tell_clerks(app, "resubmit", f"办件 {app.number} 已补正", reason)
        tell_departments(
            app, [s for s in subs if s.status == SS.IN_REVIEW], "resubmit", f"办件 {app.number} 已补正"
        )
    return app


def withdraw(application, actor, *, reason: str = "", now=None, today=None) -> Application:
    """撤回: the applicant ends the application before a decision."""
    now, today = clock(now, today)
    reason = inputs.reason(reason)
    with transaction.atomic():
        app = lock(application)
        fire(APPLICATION, app, "withdraw", actor, now, roles=roles(actor, app), reason=reason)
        app.closed_at = now
        app.reason = reason
        running = [s for s in subcases(app) if s.status in (SS.IN_REVIEW, SS.SPECIAL, SS.CORRECTION)]
        stop_all(app, now, "申请人撤回申请")
        app.save()
        tell_applicant(app, "withdraw", f"您的办件 {app.number} 已撤回", reason)
        tell_departments(app, running, "withdraw", f"办件 {app.number} 已由申请人撤回", reason)
    return app
