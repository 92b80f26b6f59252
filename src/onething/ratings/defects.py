"""事项缺陷: recurring 差评 about one item for one reason open a task for the item's department
to fix the catalog (guide, materials, limit); its effect is tracked as the item's 差评率
before and after the fix.

- :func:`note_bad` — called for each new 差评 in its transaction: counts the given,
  non-excluded 差评 of the same item and reason within the region's rolling window
  (``RatingPolicy.recurrence_days``); at ``recurrence_threshold`` it opens one defect (machine
  ``ratings.defect``, role system) on its clock and tells the department's admins. One open
  defect per item and reason (partial unique index): a second 差评 at the same instant finds
  it, or loses the race in a savepoint and goes on.
- :func:`fix` — the department records what it changed (role unit); the clock stops.
- :func:`effect` — the item's 差评率 over the ``window_days`` before the fix and since.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.utils import timezone

from onething.core import text
from onething.kernel.errors import Invalid
from onething.notifications.service import notify_group
from onething.ratings import deadlines, rules
from onething.ratings.machines import DEFECT, SYSTEM
from onething.ratings.models import Defect, Rating, RatingFact
from onething.ratings.policies import policy_for
from onething.workflow.engine import create, fire


def link(defect: Defect) -> str:
    return f"/ratings/defects/{defect.pk}/"


def behind(item_code: str, reason: str, since: dt.datetime, until: dt.datetime | None = None):
    """The 差评 that count towards a defect: given, not excluded, of the item for the reason."""
    rows = Rating.objects.filter(
        item_code=item_code,
        reason=reason,
        source=Rating.Source.GIVEN,
        excluded=False,
        score__in=sorted(rules.BAD),
        created_at__gte=since,
    )
    return rows.filter(created_at__lte=until) if until is not None else rows


def note_bad(rating: Rating, now: dt.datetime) -> Defect | None:
    """Called for each new 差评 in its transaction: open a defect when the item's 差评 for the
    same reason within the region's rolling window reach the threshold. The defect opened, or
    None (below the threshold, one already open, nothing to name)."""
    if not (rating.bad and rating.item_code and rating.reason and rating.department_id):
        return None
    if Defect.objects.filter(
        item_code=rating.item_code, reason=rating.reason, status=Defect.Status.OPEN
    ).exists():
        return None
    policy = policy_for(rating.region)
    since = now - dt.timedelta(days=policy.recurrence_days)
    count = behind(rating.item_code, rating.reason, since, now).count()
    if count < policy.recurrence_threshold:
        return None
    defect = Defect(
        item_code=rating.item_code,
        item_name=rating.item_name or rating.item_code,
        reason=rating.reason,
        department_id=rating.department_id,
        region_id=rating.region_id,
        count=count,
        window_days=policy.recurrence_days,
        opened_at=now,
    )
    try:
        with transaction.atomic():
            create(
                DEFECT,
                defect,
                "open",
                roles=[SYSTEM],
                at=now,
                save_as="defect",
                item=rating.item_code,
                reason=rating.reason,
                count=count,
            )
            deadlines.start(defect, rules.DEFECT, timezone.localdate(now))
            defect.save()
    except IntegrityError:  # another 差评 opened it at the same instant
        return None
    title = (
        f"事项缺陷整改：{defect.item_name}（{rules.REASONS[defect.reason]}）"
        f"{policy.recurrence_days}天内收到{count}条差评，请于 {defect.due_date} 前完成整改"
    )
    notify_group(
        deadlines.unit_staff(department_id=defect.department_id), "ratings.defect", title, "", link(defect)
    )
    return defect


def fix(defect: Defect, actor, *, roles, fix_kind: Any, note: Any, now: dt.datetime | None = None) -> Defect:
    """The department records the fix (role ``unit``): what it changed and how; the clock stops."""
    now = now or timezone.now()
    fix_kind = text.clean(fix_kind, "fix_kind", max_length=10)
    note = text.clean(note, "fix_note", max_length=rules.NOTE_MAX, multiline=True)
    if fix_kind not in rules.FIX_KINDS:
        raise Invalid(f"请选择整改内容（{'、'.join(rules.FIX_KINDS.values())}）", "fix_kind")
    if not note:
        raise Invalid("请填写整改说明", "fix_note")
    with transaction.atomic():
        locked = Defect.objects.select_for_update().get(pk=defect.pk)
        fire(
            DEFECT,
            locked,
            "fix",
            roles=roles,
            actor=actor,
            at=now,
            reason=note,
            context={"reason": note},
            fix_kind=fix_kind,
        )
        deadlines.stop(locked, now)
        locked.fix_kind = fix_kind
        locked.fix_note = note
        locked.fixed_at = now
        locked.fixed_by = actor
        locked.save()
    return locked


def _rate(item_code: str, first: dt.date, last: dt.date | None) -> dict:
    rows = RatingFact.objects.filter(dim="item", key=item_code, day__gte=first)
    if last is not None:
        rows = rows.filter(day__lte=last)
    sums = rows.aggregate(given=Sum("given"), bad=Sum("bad"))
    given, bad = sums["given"] or 0, sums["bad"] or 0
    return {
        "from": first,
        "to": last,
        "given": given,
        "bad": bad,
        "rate": round(bad / given, 4) if given else None,
    }


def effect(defect: Defect) -> dict:
    """The item's 差评率 (差评 / 本人评价, from the projection) over the ``window_days`` before
    the fix and since it; ``improved`` when both are known and the rate fell."""
    if defect.fixed_at is None:
        return {"fixed": False, "before": None, "after": None, "improved": None}
    day = timezone.localdate(defect.fixed_at)
    before = _rate(defect.item_code, day - dt.timedelta(days=defect.window_days), day - dt.timedelta(days=1))
    after = _rate(defect.item_code, day, None)
    improved = None
    if before["rate"] is not None and after["rate"] is not None:
        improved = after["rate"] < before["rate"]
    return {"fixed": True, "before": before, "after": after, "improved": improved}
