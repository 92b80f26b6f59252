"""审查、决定与办结: an approver takes a sub-case, decides it; dependants follow; the
application completes when every sub-case is decided or stopped."""

from __future__ import annotations

from django.db import transaction

from onething.calendar.service import get_calendar
from onething.cases import deadlines, inputs, licensing, notices
from onething.cases.access import APPROVER, CLERK, SYSTEM
from onething.cases.lifecycle.base import (
    SS,
    InvalidAction,
    S,
    clock,
    context,
    fire,
    inspection_state,
    load_sub,
    roles,
    subcases,
    tell_applicant,
    tell_clerks,
    tell_departments,
)
from onething.cases.machines import APPLICATION, DECIDED_SUBCASE, EXTENSION, SUBCASE
from onething.cases.models import Application, Extension, SubCase


def start_review(subcase: SubCase, actor, *, now=None, today=None) -> SubCase:
    """签收: an approver takes the sub-case as its handler."""
    now, today = clock(now, today)
    with transaction.atomic():
        app, sub = load_sub(subcase)
        fire(
            SUBCASE, sub, "start_review", actor, now, roles=roles(actor, app, sub), context=context(app, sub)
        )
        sub.handler = actor
        sub.started_at = now
        sub.save()
        if app.status == S.ACCEPTED:
            fire(APPLICATION, app, "start_review", None, now, roles={SYSTEM})
            app.save()
    return sub


def decide(subcase: SubCase, actor, *, decision: str, reasons: str = "", now=None, today=None) -> SubCase:
    """作出决定: approve, or refuse with reasons. 即办件 may be decided by the window clerk."""
    now, today = clock(now, today)
    if decision not in ("approved", "refused"):
        raise InvalidAction("决定应为 approved（准予）或 refused（不予）", "decision")
    reasons = inputs.long_text(reasons, "reasons")
    if decision == "refused" and not reasons:
        raise InvalidAction("不予许可须说明理由", "reasons")
    with transaction.atomic():
        app, sub = load_sub(subcase)
        held = roles(actor, app, sub)
        if CLERK in held and sub.limit_days == 0:
            held = held | {APPROVER}  # 即办件: decided on the spot at the window
        inspection = inspection_state(app) if sub.inspection_required else None
        if sub.inspection_required and inspection is None:
            inspection = "missing"
        if inspection == "scheduled":
            inspection = "missing"  # scheduled but not yet recorded
        guard_context = context(app, sub, decision=decision, inspection=inspection)
        decide_subcase(app, sub, actor, decision, reasons, now, today, roles=held, guards=guard_context)
    return sub


def decide_subcase(
    app: Application,
    sub: SubCase,
    actor,
    decision,
    reasons,
    now,
    today,
    *,
    roles,
    guards=None,
    on_the_spot=False,
) -> None:
    """Record a decision and let the consequences ripple (dependants, completion).

    Caller's transaction, with the application and its sub-cases locked."""
    calendar = get_calendar()
    target = SS.APPROVED if decision == "approved" else SS.REFUSED
    context_ = guards if guards is not None else context(app, sub, decision=decision)
    fire(
        SUBCASE,
        sub,
        "decide",
        actor,
        now,
        roles=roles,
        reason=reasons,
        target=target,
        context=context_,
        decision=decision,
        on_the_spot=on_the_spot,
    )
    sub.decision = decision
    sub.reasons = reasons
    sub.decided_at = now
    sub.handler = sub.handler or actor
    deadlines.stop(sub, now)
    sub.save()
    lapse_extensions(sub, now)
    if decision == "refused":  # a written refusal with reasons and remedies (行政许可法 art. 38)
        notices.issue_refusal(app, sub, actor, today)
    else:  # the certificate or approval itself, as a signed e-licence
        licensing.issue_for(app, sub, actor, now)
    tell_applicant(
        app,
        "decide",
        f"{sub.item_name}：{'准予办理' if decision == 'approved' else '不予许可'}",
        reasons,
    )
    if app.status == S.ACCEPTED:
        fire(APPLICATION, app, "start_review", None, now, roles={SYSTEM})
    subs = {s.item_code: s for s in subcases(app)}
    subs[sub.item_code] = sub
    if decision == "approved":
        for other in subs.values():
            if other.status == SS.WAITING and all(
                subs[a].status == SS.APPROVED for a in other.after if a in subs
            ):
                fire(SUBCASE, other, "unblock", None, now, roles={SYSTEM}, after=other.after)
                deadlines.start(other, today, calendar)
                other.save()
                tell_departments(app, [other], "routed", f"新办件待审查：{other.number}", other.item_name)
    else:
        # a refused dependency stops everything that waits on it, transitively
        blocked = {sub.item_code}
        changed = True
        while changed:
            changed = False
            for other in subs.values():
                if (
                    other.status == SS.WAITING
                    and blocked & set(other.after)
                    and other.item_code not in blocked
                ):
                    blocked.add(other.item_code)
                    why = f"前置事项“{sub.item_name}”不予许可，本事项无法继续办理"
                    stop_sub(other, now, why)
                    tell_applicant(app, "stopped", f"{other.item_name}：终止办理", why)
                    changed = True
    maybe_complete(app, subs.values(), now, today)
    app.save()


def maybe_complete(app: Application, subs, now, today) -> bool:
    """办结 when every sub-case is decided or stopped (the application must be running)."""
    if app.status not in ("accepted", "in_review") or not all(s.status in DECIDED_SUBCASE for s in subs):
        return False
    fire(APPLICATION, app, "complete", None, now, roles={SYSTEM})
    app.decided_at = now
    deadlines.stop(app, now)
    notices.issue(app, "completion", None, today)
    tell_applicant(app, "complete", f"您的办件 {app.number} 已办结", "可查看并下载办结通知书")
    tell_clerks(app, "complete", f"办件 {app.number} 已办结，待统一出件")
    return True


def stop_all(app: Application, now, why: str) -> None:
    deadlines.stop(app, now)
    for sub in subcases(app):
        if sub.status not in DECIDED_SUBCASE:
            stop_sub(sub, now, why)


def stop_sub(sub: SubCase, now, why: str) -> None:
    """终止办理 (system): the clock stops for good and a pending 延期 request lapses."""
    fire(SUBCASE, sub, "stop", None, now, roles={SYSTEM}, reason=why)
    sub.reasons = why
    deadlines.stop(sub, now)
    sub.save()
    lapse_extensions(sub, now)


def lapse_extensions(sub: SubCase, now) -> None:
    """A 延期 request still pending when its sub-case is decided or stopped lapses."""
    for ext in Extension.objects.select_for_update().filter(subcase=sub, status=Extension.Status.PENDING):
        fire(
            EXTENSION,
            ext,
            "lapse_extension",
            None,
            now,
            roles={SYSTEM},
            subject=("subcase", sub.number),
            extension=ext.pk,
        )
        ext.decided_at = now
        ext.save(update_fields=["status", "decided_at"])
