"""The 差评 loop and appeals in the API (mounted at ``/api/v1/ratings``; bearer token or
session): the rectifications the caller may see, their 核实 / 答复 / 回访, filing an appeal
and deciding it.

Outside the caller's scope a rectification, rating or appeal is 404. Errors have the one
shape (``core.errors``): a value the schema refuses is 422 naming the field, a value the rule
refuses 400 naming the field, a role 403, a state or a rule (an appeal pending, a reviewer of
the rated unit, a calendar year not loaded) 409.
"""

from __future__ import annotations

from django.http import HttpRequest
from ninja import Router, Schema
from ninja.responses import Status

from onething.accounts.auth import authenticated
from onething.accounts.masking import text_for
from onething.core.errors import responses
from onething.core.text import Flag, Int, RowId, Text
from onething.kernel.errors import NotFound
from onething.ratings import access, appeals, rectifications, rules
from onething.ratings.machines import APPEAL
from onething.ratings.models import Appeal, Rating, Rectification

router = Router(tags=["ratings"], auth=authenticated)

NOTE = rules.NOTE_MAX


class RaterOut(Schema):
    name: str
    phone: str


class RatingOut(Schema):
    id: int
    score: int
    level: str
    channel: str
    source: str
    excluded: bool
    service_code: str
    service_name: str
    item_code: str
    item_name: str
    department: str | None
    hall: str | None
    window: str | None
    indicators: dict[str, int]
    comment: str
    reason: str
    reason_text: str
    created_at: str
    #: only for the unit that makes the return call and the reviewers (``access.sees_rater``)
    rater: RaterOut | None


class AppealOut(Schema):
    id: int
    rating: int
    status: str
    status_name: str
    ground: str
    statement: str
    filed_at: str
    decided_at: str | None
    decision_note: str
    actions: list[str]


class RectificationOut(Schema):
    id: int
    status: str
    status_name: str
    stage: str
    due_date: str | None
    warning: str
    paused: bool
    department: str | None
    hall: str | None
    outcome: str
    verify_note: str
    plan: str
    plan_due: str | None
    answer: str
    on_time: bool | None
    satisfaction: str
    revisit_note: str
    reopened: int
    created_at: str
    closed_at: str | None
    rating: RatingOut
    appeals: list[AppealOut]
    actions: list[str]


class RectificationList(Schema):
    results: list[RectificationOut]


class AppealList(Schema):
    results: list[AppealOut]


class RectificationVerifyIn(Schema):
    verify_note: Text(NOTE, multiline=True)
    outcome: Text(20)
    plan: Text(NOTE, multiline=True) = ""
    plan_due: Text(20) | None = None


class AnswerIn(Schema):
    answer: Text(NOTE, multiline=True)


class RevisitIn(Schema):
    satisfaction: Text(20)
    revisit_note: Text(NOTE, multiline=True)


class AppealIn(Schema):
    ground: Text(20)
    statement: Text(NOTE, multiline=True)


class AppealDecisionIn(Schema):
    uphold: Flag
    decision_note: Text(NOTE, multiline=True)


def _iso(value) -> str | None:
    return value.isoformat() if value else None


def _masked(user, rating: Rating):
    owner = bool(rating.rater_id) and rating.rater_id == getattr(user, "pk", None)
    return lambda value: text_for(value or "", owner=owner)


def rating_out(rating: Rating, user) -> dict:
    shown = _masked(user, rating)
    rater = None
    if access.sees_rater(user, rating):
        rater = {"name": rating.rater_name, "phone": rating.rater_phone}
    return {
        "id": rating.pk,
        "score": rating.score,
        "level": rating.level,
        "channel": rating.channel,
        "source": rating.source,
        "excluded": rating.excluded,
        "service_code": rating.service_code,
        "service_name": rating.service_name,
        "item_code": rating.item_code,
        "item_name": rating.item_name,
        "department": rating.department_id,
        "hall": rating.hall_id,
        "window": rating.window.code if rating.window_id else None,
        "indicators": {k: v for k, v in (rating.indicators or {}).items() if isinstance(v, int)},
        "comment": shown(rating.comment),
        "reason": rating.reason,
        "reason_text": shown(rating.reason_text),
        "created_at": rating.created_at.isoformat(),
        "rater": rater,
    }


def appeal_out(appeal: Appeal, user) -> dict:
    shown = _masked(user, appeal.rating)
    roles = access.roles_for(user, appeal)
    context = access.context_for(user, appeal, reason="-")
    return {
        "id": appeal.pk,
        "rating": appeal.rating_id,
        "status": appeal.status,
        "status_name": appeal.get_status_display(),
        "ground": appeal.ground,
        "statement": shown(appeal.statement),
        "filed_at": appeal.filed_at.isoformat(),
        "decided_at": _iso(appeal.decided_at),
        "decision_note": shown(appeal.decision_note),
        "actions": APPEAL.allowed(appeal.status, roles, context),
    }


def rect_out(rect: Rectification, user) -> dict:
    rating = rect.rating
    shown = _masked(user, rating)
    roles = access.roles_for(user, rect)
    actions = rectifications.allowed(rect, roles)
    if appeals.may_file(rating, roles):
        actions.append("appeal")
    visible = access.visible_appeals(user).filter(rating=rating).select_related("rating", "rating__region")
    return {
        "id": rect.pk,
        "status": rect.status,
        "status_name": rect.get_status_display(),
        "stage": rect.stage,
        "due_date": _iso(rect.due_date),
        "warning": rect.warning,
        "paused": rect.paused,
        "department": rect.department_id,
        "hall": rect.hall_id,
        "outcome": rect.outcome,
        "verify_note": shown(rect.verify_note),
        "plan": shown(rect.plan),
        "plan_due": _iso(rect.plan_due),
        "answer": shown(rect.answer),
        "on_time": rect.on_time,
        "satisfaction": rect.satisfaction,
        "revisit_note": shown(rect.revisit_note),
        "reopened": rect.reopened,
        "created_at": rect.created_at.isoformat(),
        "closed_at": _iso(rect.closed_at),
        "rating": rating_out(rating, user),
        "appeals": [appeal_out(a, user) for a in visible.order_by("filed_at")],
        "actions": actions,
    }


def _rects(user):
    return access.visible_rectifications(user).select_related(
        "rating", "rating__region", "rating__window", "region"
    )


def _rect(user, rect_id: int) -> Rectification:
    found = _rects(user).filter(pk=rect_id).first()
    if found is None:
        raise NotFound("未找到该差评整改", "rectification")
    return found


def _appeal(user, appeal_id: int) -> Appeal:
    found = (
        access.visible_appeals(user).select_related("rating", "rating__region").filter(pk=appeal_id).first()
    )
    if found is None:
        raise NotFound("未找到该申诉", "appeal")
    return found


@router.get(
    "/rectifications", response=responses(RectificationList, 401), summary="差评整改列表（本人可见范围）"
)
def list_rectifications(
    request: HttpRequest,
    status: Text(20) | None = None,
    warning: Text(10) | None = None,
    limit: Int(1, 500) = 100,
) -> dict:
    rows = _rects(request.user)
    if status:
        rows = rows.filter(status=status)
    if warning:
        rows = rows.filter(warning=warning)
    return {"results": [rect_out(r, request.user) for r in rows.order_by("due_date", "pk")[:limit]]}


@router.get(
    "/rectifications/{rect_id}", response=responses(RectificationOut, 401, 404), summary="差评整改详情"
)
def get_rectification(request: HttpRequest, rect_id: RowId) -> dict:
    return rect_out(_rect(request.user, rect_id), request.user)


def _after(request: HttpRequest, rect: Rectification) -> dict:
    return rect_out(_rect(request.user, rect.pk), request.user)


@router.post(
    "/rectifications/{rect_id}/verify",
    response=responses(RectificationOut, 401, 403, 404, 409),
    summary="回访核实（责任单位）：记录回访情况与核实结论",
)
def verify_rectification(request: HttpRequest, rect_id: RowId, payload: RectificationVerifyIn) -> dict:
    rect = _rect(request.user, rect_id)
    rectifications.verify(
        rect,
        request.user,
        roles=access.roles_for(request.user, rect),
        note=payload.verify_note,
        outcome=payload.outcome,
        plan=payload.plan,
        plan_due=payload.plan_due,
    )
    return _after(request, rect)


@router.post(
    "/rectifications/{rect_id}/answer",
    response=responses(RectificationOut, 401, 403, 404, 409),
    summary="整改答复（责任单位）：答复评价人",
)
def answer_rectification(request: HttpRequest, rect_id: RowId, payload: AnswerIn) -> dict:
    rect = _rect(request.user, rect_id)
    rectifications.answer(
        rect, request.user, roles=access.roles_for(request.user, rect), answer=payload.answer
    )
    return _after(request, rect)


@router.post(
    "/rectifications/{rect_id}/revisit",
    response=responses(RectificationOut, 401, 403, 404, 409),
    summary="整改回访（责任单位）：满意、基本满意办结；不满意重新整改",
)
def revisit_rectification(request: HttpRequest, rect_id: RowId, payload: RevisitIn) -> dict:
    rect = _rect(request.user, rect_id)
    rectifications.revisit(
        rect,
        request.user,
        roles=access.roles_for(request.user, rect),
        satisfaction=payload.satisfaction,
        note=payload.revisit_note,
    )
    return _after(request, rect)


@router.post(
    "/{rating_id}/appeals",
    response=responses(AppealOut, 401, 403, 404, 409, status=201),
    summary="对差评提出申诉（被评价单位）",
)
def file_appeal(request: HttpRequest, rating_id: RowId, payload: AppealIn):
    rating = Rating.objects.select_related("region").filter(pk=rating_id).first()
    roles = access.roles_for(request.user, rating) if rating is not None else set()
    if rating is None or not roles:
        raise NotFound("未找到该评价", "rating")
    appeal = appeals.file(
        rating, request.user, roles=roles, ground=payload.ground, statement=payload.statement
    )
    return Status(201, appeal_out(_appeal(request.user, appeal.pk), request.user))


@router.get("/appeals", response=responses(AppealList, 401), summary="评价申诉列表（本人可见范围）")
def list_appeals(request: HttpRequest, status: Text(20) | None = None, limit: Int(1, 500) = 100) -> dict:
    rows = access.visible_appeals(request.user).select_related("rating", "rating__region")
    if status:
        rows = rows.filter(status=status)
    return {"results": [appeal_out(a, request.user) for a in rows.order_by("-filed_at", "-pk")[:limit]]}


@router.get("/appeals/{appeal_id}", response=responses(AppealOut, 401, 404), summary="评价申诉详情")
def get_appeal(request: HttpRequest, appeal_id: RowId) -> dict:
    return appeal_out(_appeal(request.user, appeal_id), request.user)


@router.post(
    "/appeals/{appeal_id}/decide",
    response=responses(AppealOut, 401, 403, 404, 409),
    summary="复核申诉（督查人员，不得为被评价单位人员）：成立或不成立",
)
def decide_appeal(request: HttpRequest, appeal_id: RowId, payload: AppealDecisionIn) -> dict:
    appeal = _appeal(request.user, appeal_id)
    appeals.decide(
        appeal,
        request.user,
        roles=access.roles_for(request.user, appeal),
        uphold=payload.uphold,
        note=payload.decision_note,
    )
    return appeal_out(_appeal(request.user, appeal.pk), request.user)
