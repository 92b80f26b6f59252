"""Giving a rating (``/api/v1/ratings``).

- ``POST /ratings`` {"application": number | "ticket": id, "channel", "score": 1–5,
  "indicators"?, "comment"?, "bad_reason"?, "reason_text"?, "subcase"?} by the person served —
  201 ``{"id", "rectification": null | {"id", "due_date"}}``; the same service rated again on
  the same channel: 409; anyone else's: 404 (as if it did not exist); not finished: 409.
- ``GET /ratings/mine`` — the person's ratings, each with its rectification and the answer,
  and the services waiting for a rating.

A 差评 (score 1–2) names its reason (``bad_reason``, one of ``rules.REASONS``; “other” with a
说明). A ticket's rating is on the ``window`` channel (the default when a ticket is named).
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Field, Router, Schema
from ninja.responses import Status

from onething.accounts.auth import authenticated
from onething.core.errors import responses
from onething.core.text import Int, Text
from onething.kernel.errors import Invalid
from onething.ratings import rules, service
from onething.ratings.mine import my_ratings, waiting
from onething.ratings.models import Rating, Rectification

router = Router(tags=["ratings"], auth=authenticated)


class RatingIn(Schema):
    application: Text(40) | None = Field(None, description="办件编号（与 ticket 二选一）")
    ticket: Int(1, 2**62) | None = Field(None, description="排队号 id（窗口服务，一次一评）")
    channel: Text(20) | None = Field(
        None, description=f"评价渠道：{'、'.join(rules.CHANNELS)}（排队号默认 window）"
    )
    score: Int(1, 5) = Field(..., description="5 非常满意、4 满意、3 基本满意、2 不满意、1 非常不满意")
    indicators: dict[str, Any] | None = Field(None, description="分项评价：指标 → 1–5（该渠道的指标）")
    comment: Text(rules.COMMENT_MAX, multiline=True) = ""
    bad_reason: Text(20) = Field("", description=f"差评原因（差评必填）：{'、'.join(rules.REASONS)}")
    reason_text: Text(rules.REASON_TEXT_MAX, multiline=True) = Field("", description="差评说明")
    subcase: Text(44) | None = Field(None, description="评价环节（一件事的子件编号，可选）")


class RectificationBrief(Schema):
    id: int
    due_date: str | None


class RatingCreated(Schema):
    id: int
    rectification: RectificationBrief | None


class MyRectificationOut(Schema):
    id: int
    status: str
    status_name: str
    stage: str
    due_date: str | None
    outcome: str
    answer: str
    answered_at: str | None
    satisfaction: str
    closed_at: str | None


class MyRatingOut(Schema):
    id: int
    application: str | None
    ticket: int | None
    service_name: str
    channel: str
    score: int
    level: str
    source: str
    indicators: dict[str, int]
    comment: str
    bad_reason: str
    reason_text: str
    created_at: str
    rectification: MyRectificationOut | None


class WaitingOut(Schema):
    application: str | None
    ticket: int | None
    name: str


class MyRatings(Schema):
    results: list[MyRatingOut]
    waiting: list[WaitingOut]


def _iso(value) -> str | None:
    return value.isoformat() if value is not None else None


def rectification_out(rect) -> dict | None:
    if rect is None:
        return None
    return {
        "id": rect.pk,
        "status": rect.status,
        "status_name": rect.get_status_display(),
        "stage": rect.stage,
        "due_date": _iso(rect.due_date),
        "outcome": rect.outcome,
        "answer": rect.answer,
        "answered_at": _iso(rect.answered_at),
        "satisfaction": rect.satisfaction,
        "closed_at": _iso(rect.closed_at),
    }


def rating_out(rating: Rating) -> dict:
    try:
        rect = rating.rectification
    except Rectification.DoesNotExist:
        rect = None
    return {
        "id": rating.pk,
        "application": rating.application.number if rating.application_id else None,
        "ticket": rating.ticket_id,
        "service_name": rating.service_name,
        "channel": rating.channel,
        "score": rating.score,
        "level": rating.level,
        "source": rating.source,
        "indicators": {k: v for k, v in (rating.indicators or {}).items() if isinstance(v, int)},
        "comment": rating.comment,
        "bad_reason": rating.reason,
        "reason_text": rating.reason_text,
        "created_at": rating.created_at.isoformat(),
        "rectification": rectification_out(rect),
    }


@router.post(
    "", response=responses(RatingCreated, 401, 404, 409, status=201), summary="评价一次服务（好差评）"
)
def create(request: HttpRequest, payload: RatingIn):
    person = request.auth
    if payload.application and payload.ticket is not None:
        raise Invalid("请只指定办件编号或排队号之一", "application")
    if payload.ticket is not None:
        ticket = service.find_ticket(payload.ticket, person)
        rating = service.rate(
            person,
            ticket=ticket,
            channel=payload.channel or "window",
            score=payload.score,
            indicators=payload.indicators,
            comment=payload.comment,
            bad_reason=payload.bad_reason,
            reason_text=payload.reason_text,
        )
    elif payload.application:
        application = service.find_application(payload.application, person)
        rating = service.rate(
            person,
            application=application,
            channel=payload.channel,
            score=payload.score,
            indicators=payload.indicators,
            comment=payload.comment,
            bad_reason=payload.bad_reason,
            reason_text=payload.reason_text,
            subcase=payload.subcase,
        )
    else:
        raise Invalid("请指定评价的办件编号（application）或排队号（ticket）", "application")
    rect = Rectification.objects.filter(rating=rating).first() if rating.bad else None
    brief = {"id": rect.pk, "due_date": _iso(rect.due_date)} if rect is not None else None
    return Status(201, {"id": rating.pk, "rectification": brief})


@router.get("/mine", response=responses(MyRatings, 401), summary="我的评价（含差评整改答复）")
def mine(request: HttpRequest) -> dict:
    person = request.auth
    rows = my_ratings(person).order_by("-created_at")[:200]
    todo = waiting(person)
    return {
        "results": [rating_out(r) for r in rows],
        "waiting": [{"application": a.number, "ticket": None, "name": a.name} for a in todo["applications"]]
        + [{"application": None, "ticket": t.pk, "name": t.service.name} for t in todo["tickets"]],
    }
