"""差评整改: the loop a 差评 opens, through the engine (machine ``ratings.rectification``).

Every transition locks the rectification first, then fires the event, moves the stage
clocks (``deadlines``), updates the projection and tells the people concerned — in one
transaction. Who may act is the caller's business (``access.roles_for``); these functions
take the roles they are given.
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone

from onething.notifications.service import notify, notify_group
from onething.ratings import deadlines, rules
from onething.ratings.machines import RECTIFICATION, SYSTEM
from onething.ratings.models import Rating, Rectification
from onething.workflow.engine import create


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
