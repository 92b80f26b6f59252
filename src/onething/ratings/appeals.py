"""申诉复核: the rated unit appeals a 差评 it holds to be mistaken or abusive; a reviewer who
is not in that unit decides (machine ``ratings.appeal``, guard ``outside_unit``).

- :func:`file` — the unit (role ``unit``) files it: a given 差评 whose rectification is still
  open, one appeal per rating (a pending one is also guarded by the partial unique index
  ``appeal_one_pending_per_rating``, so two filed at once give one 201 and one 409). The
  rectification's clock pauses while the appeal is pending; the reviewers are told.
- :func:`decide` — a reviewer upholds it (成立: the rating leaves the figures — the projection
  subtracts it whole, ``excluded`` is set, its rectification is voided and its clocks stop;
  the rating row and every audit record stay) or dismisses it (不成立: the clock resumes, the
  days of the review given back). The unit is told the outcome.

Locks, in this order everywhere: the rating, the appeal, the rectification.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from onething.kernel.errors import Conflict, Invalid, NotFound
from onething.kernel.machine import NEW
from onething.notifications.service import notify_group
from onething.ratings import access, deadlines, projection, rectifications, rules
from onething.ratings.machines import APPEAL, RECTIFICATION
from onething.ratings.models import Appeal, Rating, Rectification
from onething.workflow import engine

P = Appeal.Status
TWICE = "该评价已有申诉，不能重复申诉"


def link(appeal: Appeal) -> str:
    return f"/ratings/appeals/{appeal.pk}/"


def refusal(rating: Rating) -> str:
    """Why ``rating`` cannot be appealed now ('' when it can): a given 差评 with an open
    rectification, never appealed before."""
    if rating.source != Rating.Source.GIVEN:
        return "默认评价不能申诉"
    if rating.excluded:
        return "该评价已申诉成立，不计入统计"
    if not rating.bad:
        return "只能对差评提出申诉"
    rect = Rectification.objects.filter(rating=rating).first()
    if rect is None or rect.status in RECTIFICATION.terminal:
        return "差评整改已办结，不能再申诉"
    if Appeal.objects.filter(rating=rating).exists():
        return TWICE
    return ""


def may_file(rating: Rating, roles) -> bool:
    """Whether the holder of ``roles`` may file an appeal of ``rating`` now (for the pages)."""
    return "file" in APPEAL.allowed(NEW, roles) and not refusal(rating)


def _locked_rating(pk: int) -> Rating:
    found = Rating.objects.select_for_update(of=("self",)).select_related("region").filter(pk=pk).first()
    if found is None:
        raise NotFound("未找到该评价", "rating")
    return found


def _locked_rect(rating: Rating) -> Rectification | None:
    return Rectification.objects.select_for_update(of=("self",)).filter(rating=rating).first()


def file(
    rating: Rating, actor, *, roles, ground: Any, statement: Any, now: dt.datetime | None = None
) -> Appeal:
    """The rated unit appeals ``rating`` (see the module docstring)."""
    now = now or timezone.now()
    ground = rectifications.choice(ground, "ground", rules.GROUNDS, "申诉理由")
    statement = rectifications.note_text(statement, "statement")
    with transaction.atomic():
        rating = _locked_rating(rating.pk)
        engine.check(APPEAL, NEW, "file", roles, context={"reason": statement})
        why = refusal(rating)
        if why:
            raise Conflict(why, "rating")
        rect = _locked_rect(rating)
        appeal = Appeal(rating=rating, ground=ground, statement=statement, filed_by=actor, filed_at=now)
        try:
            with transaction.atomic():
                engine.create(
                    APPEAL,
                    appeal,
                    "file",
                    roles=roles,
                    actor=actor,
                    at=now,
                    reason=statement,
                    context={"reason": statement},
                    save_as="appeal",
                    rating=rating.pk,
                    ground=ground,
                )
        except IntegrityError:  # another appeal of the rating was filed at the same moment
            raise Conflict(TWICE, "rating") from None
        deadlines.pause(rect, now)
        rect.save(update_fields=["paused"])
        notify_group(
            deadlines.supervisors(rating.region),
            "ratings.appeal",
            f"评价申诉 {appeal.pk} 待复核：{rating.service_name or '窗口服务'}（{rules.GROUNDS[ground]}）",
            statement,
            link(appeal),
        )
    return appeal


def decide(appeal: Appeal, actor, *, roles, uphold: Any, note: Any, now: dt.datetime | None = None) -> Appeal:
    """A reviewer outside the rated unit upholds or dismisses ``appeal``."""
    now = now or timezone.now()
    if not isinstance(uphold, bool):
        raise Invalid("请选择复核结论：申诉成立或不成立", "uphold")
    note = rectifications.note_text(note, "decision_note")
    event = "uphold" if uphold else "dismiss"
    with transaction.atomic():
        rating = _locked_rating(appeal.rating_id)
        appeal = Appeal.objects.select_for_update(of=("self",)).filter(pk=appeal.pk).first()
        if appeal is None:
            raise NotFound("未找到该申诉", "appeal")
        rect = _locked_rect(rating)
        engine.fire(
            APPEAL,
            appeal,
            event,
            roles=roles,
            actor=actor,
            at=now,
            reason=note,
            context=access.context_for(actor, appeal, reason=note),
            rating=rating.pk,
        )
        appeal.decided_by = actor
        appeal.decided_at = now
        appeal.decision_note = note
        appeal.save()
        if uphold:
            # the projection reads the rating's and the rectification's flags: subtract first
            projection.remove_rating(rating)
            rating.excluded = True
            rating.save(update_fields=["excluded"])
            if rect is not None:
                rectifications.void(rect, actor, reason=note, now=now, appeal=appeal.pk)
        elif rect is not None and rect.paused:
            deadlines.resume(rect, now)
            rect.save(update_fields=["due_date", "warning", "paused"])
        unit = access.unit_of(rating)
        outcome = "申诉成立，该评价不计入统计，整改已撤销" if uphold else "申诉不成立，请继续整改"
        notify_group(
            deadlines.unit_staff(**unit),
            "ratings.appeal",
            f"评价申诉 {appeal.pk} 复核结论：{outcome}",
            note,
            link(appeal),
        )
    return appeal
