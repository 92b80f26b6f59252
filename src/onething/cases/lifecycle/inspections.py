"""一次联合踏勘: one joint on-site inspection for every undecided sub-case that needs one
(machine :data:`onething.cases.machines.INSPECTION`, recorded on the application)."""

from __future__ import annotations

import datetime as dt

from django.db import transaction

from onething.cases import inputs
from onething.cases.lifecycle.base import (
    InvalidAction,
    clock,
    context,
    create,
    fire,
    lock,
    roles,
    subcases,
    tell_applicant,
    tell_departments,
)
from onething.cases.machines import INSPECTION
from onething.cases.models import Inspection
from onething.kernel.machine import NEW
from onething.workflow import engine


def schedule_inspection(application, actor, *, on: dt.date, location: str = "", now=None, today=None):
    """安排: one date and place for every undecided sub-case that needs an inspection."""
    now, today = clock(now, today)
    on = inputs.ahead(on, "on", today)
    location = inputs.line(location, "location", inputs.ADDRESS_MAX)
    with transaction.atomic():
        app = lock(application)
        held = roles(actor, app)
        existing = Inspection.objects.filter(application=app).first()
        subs = [s for s in subcases(app) if s.inspection_required and not s.is_decided]
        guard_context = context(app, needs_inspection=bool(subs))
        engine.check(
            INSPECTION,
            existing.status if existing else NEW,
            "schedule_inspection",
            held,
            context=guard_context,
        )
        if on < today:
            raise InvalidAction("核查日期不能早于今天", "on")
        inspection = Inspection(application=app, scheduled_for=on, location=location, scheduled_by=actor)
        create(
            INSPECTION,
            inspection,
            "schedule_inspection",
            actor,
            now,
            roles=held,
            context=guard_context,
            subject=("application", app.number),
            save_as="inspection",
            on=str(on),
            subcases=[s.number for s in subs],
        )
        inspection.subcases.set(subs)
        tell_applicant(app, "inspection", f"联合现场核查安排在 {on:%Y年%m月%d日}", location)
        tell_departments(app, subs, "inspection", f"办件 {app.number} 联合现场核查：{on:%Y-%m-%d}", location)
    return inspection


def record_inspection(application, actor, *, result: str, findings: str = "", now=None, today=None):
    """记录结论: 符合 (passed) or 不符合 (failed); approval of the items waits for it."""
    now, today = clock(now, today)
    if result not in (Inspection.Status.PASSED, Inspection.Status.FAILED):
        raise InvalidAction("核查结论应为 passed（符合）或 failed（不符合）", "result")
    findings = inputs.long_text(findings, "findings")
    with transaction.atomic():
        app = lock(application)
        inspection = Inspection.objects.select_for_update().filter(application=app).first()
        held = roles(actor, app)
        if inspection is None:
            engine.check(INSPECTION, NEW, "record_inspection", held, context=context(app))
        fire(
            INSPECTION,
            inspection,
            "record_inspection",
            actor,
            now,
            roles=held,
            reason=findings,
            target=result,
            context=context(app),
            subject=("application", app.number),
            result=result,
        )
        inspection.findings = findings
        inspection.recorded_by = actor
        inspection.recorded_at = now
        inspection.save()
    return inspection
