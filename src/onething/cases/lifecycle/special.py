"""特别程序 (听证、专家评审、检验检测 …, 行政许可法 art. 45): time not counted in the limit."""

from __future__ import annotations

from django.db import transaction

from onething.calendar.service import get_calendar
from onething.cases import deadlines, inputs
from onething.cases.lifecycle.base import (
    InvalidAction,
    clock,
    context,
    fire,
    load_sub,
    roles,
    tell_applicant,
)
from onething.cases.machines import SUBCASE
from onething.cases.models import SpecialProcedure, SubCase
from onething.workflow import engine


def start_special_procedure(subcase: SubCase, actor, *, kind: str, reason: str, now=None, today=None):
    """Start a special procedure: the sub-case's clock stops until it ends."""
    now, today = clock(now, today)
    if kind not in dict(SpecialProcedure.KINDS):
        raise InvalidAction("特别程序类型不正确", "kind")
    reason = inputs.reason(reason)
    if not reason:
        raise InvalidAction("须说明启动特别程序的事由", "reason")
    with transaction.atomic():
        app, sub = load_sub(subcase)
        fire(
            SUBCASE,
            sub,
            "start_special_procedure",
            actor,
            now,
            roles=roles(actor, app, sub),
            reason=reason,
            context=context(app, sub),
            kind=kind,
        )
        deadlines.pause(sub, today)
        sub.save()
        SpecialProcedure.objects.create(
            subcase=sub, kind=kind, reason=reason, started_on=today, started_by=actor
        )
        tell_applicant(
            app,
            "special",
            f"{sub.item_name}：进入{dict(SpecialProcedure.KINDS)[kind]}程序（不计入办理时限）",
            reason,
        )
    return sub


def end_special_procedure(subcase: SubCase, actor, *, now=None, today=None, reason: str = "") -> SubCase:
    """End the special procedure; the due date moves by the working days it took."""
    now, today = clock(now, today)
    reason = inputs.reason(reason)
    with transaction.atomic():
        app, sub = load_sub(subcase)
        held = roles(actor, app, sub)
        engine.check(SUBCASE, sub.status, "end_special_procedure", held)
        calendar = get_calendar()
        days = deadlines.resume(sub, today, calendar)
        fire(
            SUBCASE,
            sub,
            "end_special_procedure",
            actor,
            now,
            roles=held,
            reason=reason,
            paused_days=days,
            due_date=str(sub.due_date),
        )
        sub.save()
        procedure = sub.special_procedures.filter(ended_on__isnull=True).order_by("-id").first()
        if procedure is not None:
            procedure.ended_on = today
            procedure.paused_days = days
            procedure.save()
        if app.timed and days:
            deadlines.add_pause(app, days, today, calendar)  # the bundle's limit excludes the same time
            app.save()
    return sub
