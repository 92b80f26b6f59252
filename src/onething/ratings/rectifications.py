"""差评整改: the loop a 差评 opens, through the engine (machine ``ratings.rectification``).

    open ──► verifying ──verify──► handling ──answer──► answered ──revisit──► closed
                                       ▲                               │ (不满意)
                                       └───────────────────────────────┘

Every transition cleans its input first (a 400 naming the field, nothing written), then — in
one transaction — locks the rectification, fires the event (the engine checks the roles and
writes the audit record), moves the stage clocks (``deadlines``), updates the projection and
tells the people concerned. Who may act is the caller's business (``access.roles_for``);
these functions take the roles they are given.

While an appeal against the rating is pending the clocks are paused and the loop waits:
``verify``, ``answer`` and ``revisit`` are refused (409) until the reviewer decides.

Rounds: an unsatisfied rater sends the rectification back to handling on a new ``answer``
clock (``reopened`` counts the rounds). Whether it was answered on time (``on_time``) and its
place in the projection's 整改应办 / 按时整改 (``counted_due``) are those of the **first**
answer: the 按时整改率 measures the unit's first response to the rater, and a later round
neither improves nor spoils it. ``revisited`` counts once, at the first return visit whatever
the rater said (as ``projection.rectification_measures`` reads ``revisited_at``), so the live
projection always equals a rebuild.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from typing import Any

from django.db import transaction
from django.utils import timezone

from onething.core import text
from onething.kernel.errors import Conflict, Invalid, NotFound
from onething.notifications.service import notify, notify_group
from onething.ratings import deadlines, projection, rules
from onething.ratings.machines import RECTIFICATION, SYSTEM
from onething.ratings.models import Rating, Rectification
from onething.workflow import engine
from onething.workflow.engine import create

R = Rectification.Status
PAUSED = "该评价的申诉正在复核，整改暂停计时，请待复核结论后再办理"


def link(rect: Rectification) -> str:
    return f"/ratings/rectifications/{rect.pk}/"


def unit_of(rating: Rating) -> dict:
    """Who answers for a rating: the rated department; the hall for a window visit."""
    if rating.department_id:
        return {"department_id": rating.department_id, "hall_id": None}
    return {"department_id": None, "hall_id": rating.hall_id}


def open_for(rating: Rating, now: dt.datetime | None = None) -> Rectification:
    """Open the rectification of a 差评 (in the rating's transaction) on the ``verify`` clock."""
    now = now or timezone.now()
    rect = Rectification(rating=rating, region_id=rating.region_id, created_at=now, **unit_of(rating))
    create(RECTIFICATION, rect, "open", roles=[SYSTEM], at=now, save_as="rectification", rating=rating.pk)
    deadlines.start(rect, rules.VERIFY, timezone.localdate(now))
    rect.save()
    title = (
        f"收到差评：{rating.service_name or '窗口服务'}（{rating.level}），请于 {rect.due_date} 前回访核实"
    )
    notify_group(deadlines.unit_staff(**unit_of(rating)), "ratings.bad", title, "", link(rect))
    return rect


def tell_rater(rect: Rectification, title: str, body: str = "") -> None:
    rating = rect.rating
    if rating.rater_id:
        notify(rating.rater, "ratings.answer", title, body, "/ratings/mine/")


def atomic():
    return transaction.atomic()


# ------------------------------------------------------------------------------ input


def choice(value: Any, field: str, choices: dict[str, str], what: str) -> str:
    """One of ``choices`` (its key), or a 400 naming ``field``."""
    value = text.clean(value, field, max_length=20)
    if not value:
        raise Invalid(f"请选择{what}", field)
    if value not in choices:
        raise Invalid(f"“{what}”应为{'、'.join(choices.values())}之一", field)
    return value


def note_text(value: Any, field: str) -> str:
    return text.clean(value, field, max_length=rules.NOTE_MAX, multiline=True, required=True)


def _locked(rect: Rectification | int) -> Rectification:
    pk = rect.pk if isinstance(rect, Rectification) else rect
    found = (
        Rectification.objects.select_for_update(of=("self",))
        .select_related("rating", "rating__region", "rating__rater", "region")
        .filter(pk=pk)
        .first()
    )
    if found is None:
        raise NotFound("未找到该差评整改", "rectification")
    return found


def _not_paused(rect: Rectification) -> None:
    if rect.paused:
        raise Conflict(PAUSED, "rectification")


def _fire(rect: Rectification, event: str, roles, actor, now, reason: str, **data) -> None:
    engine.fire(
        RECTIFICATION,
        rect,
        event,
        roles=roles,
        actor=actor,
        at=now,
        reason=reason,
        context={"reason": reason},
        **data,
    )


def _service(rating: Rating) -> str:
    return rating.service_name or rating.item_name or "窗口服务"


# ------------------------------------------------------------------------------ transitions


def verify(
    rect: Rectification,
    actor,
    *,
    roles,
    note: Any,
    outcome: Any,
    plan: Any = "",
    plan_due: Any = None,
    now: dt.datetime | None = None,
) -> Rectification:
    """核实: the return call to the rater is recorded (``note``) with its outcome — ``fix`` (the
    problem is clear and fixed at once), ``plan`` (complex: a plan with its deadline, which
    lengthens the answer clock to it) or ``explain`` (the demand has no legal basis: the note
    says why). The ``answer`` clock starts on the day."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    note = note_text(note, "verify_note")
    outcome = choice(outcome, "outcome", rules.OUTCOMES, "核实结论")
    if outcome == "plan":
        plan = text.clean(plan, "plan", max_length=rules.NOTE_MAX, multiline=True, required=True)
        if plan_due in (None, ""):
            raise Invalid("限期整改请填写整改期限", "plan_due")
        plan_due = text.date(plan_due, "plan_due")
        if plan_due < today:
            raise Invalid(f"“整改期限”不能早于今天（{today.isoformat()}）", "plan_due")
    else:
        plan, plan_due = "", None
    with transaction.atomic():
        rect = _locked(rect)
        _not_paused(rect)
        _fire(
            rect,
            "verify",
            roles,
            actor,
            now,
            note,
            outcome=outcome,
            plan_due=plan_due.isoformat() if plan_due else None,
        )
        deadlines.stop(rect, now)
        rect.outcome = outcome
        rect.verify_note = note
        rect.verified_at = now
        rect.verified_by = actor
        rect.plan = plan
        rect.plan_due = plan_due
        deadlines.start(rect, rules.ANSWER, today, until=plan_due)
        rect.save()
    return rect


def answer(
    rect: Rectification, actor, *, roles, answer: Any, now: dt.datetime | None = None
) -> Rectification:
    """答复: the reply to the rater (who is told). The first answer decides ``on_time`` and
    counts in the projection's 整改应办 (unless the red callback already counted it overdue)
    and 按时整改; the ``revisit`` clock starts on the day."""
    now = now or timezone.now()
    reply = note_text(answer, "answer")
    with transaction.atomic():
        rect = _locked(rect)
        _not_paused(rect)
        _fire(rect, "answer", roles, actor, now, reply, round=rect.reopened + 1)
        stopped_in_time = deadlines.stop(rect, now)
        delta = Counter()
        if rect.on_time is None:  # the first answer (see the module docstring)
            rect.on_time = bool(stopped_in_time)
            if not rect.counted_due:
                rect.counted_due = True
                delta["rect_due"] += 1
            if rect.on_time:
                delta["rect_on_time"] += 1
        projection.add(rect.rating, delta)
        rect.answer = reply
        rect.answered_at = now
        rect.answered_by = actor
        deadlines.start(rect, rules.REVISIT, timezone.localdate(now))
        rect.save()
        tell_rater(rect, f"您对“{_service(rect.rating)}”的差评已答复", reply)
    return rect


def revisit(
    rect: Rectification,
    actor,
    *,
    roles,
    satisfaction: Any,
    note: Any,
    now: dt.datetime | None = None,
) -> Rectification:
    """回访: the rater says how satisfied they are with the fix. 满意 / 基本满意 close it;
    不满意 sends it back to handling on a new ``answer`` clock from the day."""
    now = now or timezone.now()
    satisfaction = choice(satisfaction, "satisfaction", rules.SATISFACTION, "回访满意度")
    note = note_text(note, "revisit_note")
    again = satisfaction == "unsatisfied"
    with transaction.atomic():
        rect = _locked(rect)
        _not_paused(rect)
        target = R.HANDLING if again else R.CLOSED
        _fire(rect, "revisit", roles, actor, now, note, target=target, satisfaction=satisfaction)
        deadlines.stop(rect, now)
        if rect.revisited_at is None:
            projection.add(rect.rating, Counter(revisited=1))
        rect.satisfaction = satisfaction
        rect.revisit_note = note
        rect.revisited_at = now
        rect.revisited_by = actor
        if again:
            rect.reopened += 1
            deadlines.start(rect, rules.ANSWER, timezone.localdate(now))
        else:
            rect.closed_at = now
        rect.save()
        if again:
            notify_group(
                deadlines.unit_staff(department_id=rect.department_id, hall_id=rect.hall_id),
                "ratings.bad",
                f"差评整改 {rect.pk}（{_service(rect.rating)}）回访不满意，请于 {rect.due_date} 前重新整改答复",
                "",
                link(rect),
            )
    return rect


def void(rect: Rectification, actor, *, reason: str, now: dt.datetime, **data) -> Rectification:
    """An upheld appeal: the rectification is voided (role ``system``) and its clocks stop.
    The caller holds the lock and saves nothing else of it."""
    rect = _locked(rect)
    if rect.status not in RECTIFICATION.events["void"].sources:
        return rect
    engine.fire(RECTIFICATION, rect, "void", roles=[SYSTEM], actor=actor, at=now, reason=reason, **data)
    deadlines.stop(rect, now)
    rect.paused = False
    rect.save()
    return rect


def allowed(rect: Rectification, roles) -> list[str]:
    """The events ``roles`` may fire now (none while an appeal is pending)."""
    if rect.paused:
        return []
    return RECTIFICATION.allowed(rect.status, roles)
