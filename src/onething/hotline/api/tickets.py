"""12345 tickets in the API (mounted at ``/api/v1/tickets``; bearer token or session).

- ``POST /tickets`` — 受理 (PRODUCT.md C11): by a 12345 operator (scope: their region), a
  办不成事 window (their hall) or a signed-in citizen (channel web/mobile); 201
  ``{"number", "lookup_code", "status", "due": {"dispatch", "finish_date"}}`` (``due`` null
  for a redirected matter). Anyone else 403.
- ``GET /tickets`` — the caller's queue, most urgent first (red, yellow, earliest 办结时限,
  earliest received); ``GET /tickets/{number}`` — one ticket, 404 outside scope.
- ``POST /tickets/{number}/{action}`` — every transition of ``hotline.ticket`` with that
  action's fields; merging, extensions and their decisions.
- ``GET /tickets/follow`` and ``POST /tickets/follow/rate`` — a caller without an account,
  by number and lookup code.

The body is handed to the domain as it came (``intake``/``service`` clean it whole), so a
bad value is a 400 naming the field; a role the engine refuses is 403, a state 409.
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from django.db.models import Case, F, IntegerField, Value, When
from django.http import HttpRequest
from ninja import Field, Router, Schema
from ninja.responses import Status

from onething.accounts.auth import authenticated
from onething.accounts.masking import mask_text, phone_for_viewer, text_for
from onething.accounts.models import StaffRole
from onething.catalog.api.plan import NamedOut
from onething.core.errors import responses
from onething.core.text import Int
from onething.directory.models import Region
from onething.hotline import access, intake, merging, rules, service
from onething.hotline.machines import CALLER, HANDLER, OPERATOR, TICKET, WINDOW
from onething.hotline.models import Extension, Ticket
from onething.kernel.errors import Invalid, NotFound, NotPermitted

router = Router(tags=["12345"], auth=authenticated)

SHANGHAI = ZoneInfo("Asia/Shanghai")
T = Ticket.Status
#: who sees a caller's phone in full (besides the caller)
SEES_PHONE = {OPERATOR, HANDLER}
#: placeholders so ``actions`` lists what the roles and state allow, not what input is missing
ACTION_CONTEXT = {"reason": "-", "department": "-"}


# ------------------------------------------------------------------------------ schemas


class CallerIn(Schema):
    name: Any = None
    phone: Any = None


class HotlineTicketIn(Schema):
    """Every field is passed to ``intake.file`` as given: it cleans them and names the field."""

    category: Any = Field(
        None, description="诉求类型：" + "、".join(f"{k}（{v}）" for k, v in rules.CATEGORIES.items())
    )
    complexity: Any = Field(None, description="复杂程度（办不成事）：ordinary（普通）、complex（复杂）")
    channel: Any = Field(None, description="来源渠道：" + "、".join(rules.CHANNELS))
    received_at: Any = Field(None, description="受理时间（ISO 8601，缺省为现在）")
    content: Any = Field(None, description=f"诉求内容（最多{rules.CONTENT_MAX}字）")
    region: Any = Field(None, description="所属区划代码")
    caller: Any = Field(None, description='诉求人 {"name", "phone"}')
    anonymous: Any = Field(None, description="匿名（仅举报）")
    address: Any = None
    lat: Any = None
    long: Any = None
    application: Any = Field(None, description="相关办件编号")
    item: Any = Field(None, description="相关事项编码")
    department: Any = Field(None, description="涉及部门（统一社会信用代码）")
    hall: Any = Field(None, description="涉及大厅编码")
    redirect: Any = Field(None, description="不予受理事项：" + "、".join(rules.NOT_TAKEN))


class DueOut(Schema):
    dispatch: str | None
    finish_date: str | None


class FiledOut(Schema):
    number: str
    lookup_code: str
    status: str
    due: DueOut | None


class PersonOut(Schema):
    name: str
    phone: str


class DuesOut(Schema):
    dispatch: str | None
    sign_date: str | None
    finish_date: str | None
    revisit_date: str | None


class HotlineExtensionOut(Schema):
    id: int
    ticket: str
    status: str
    status_name: str
    days: int
    reason: str
    requested_at: str
    decided_at: str | None
    decision_note: str


class HotlineTicketBrief(Schema):
    number: str
    status: str
    status_name: str
    category: str
    category_name: str
    channel: str
    received_at: str
    region: NamedOut
    assigned: NamedOut | None
    warning: str
    due: DuesOut
    summary: str


class HotlineTicketOut(HotlineTicketBrief):
    complexity: str
    anonymous: bool
    caller: PersonOut | None
    content: str
    address: str
    lat: float | None
    long: float | None
    application: str | None
    item: NamedOut | None
    department: NamedOut | None
    hall: NamedOut | None
    redirect: dict[str, str] | None
    dispatched_at: str | None
    signed_at: str | None
    returns: int
    waiting_reason: str
    reply: str
    replied_at: str | None
    finished_at: str | None
    on_time: bool | None
    supervised: int
    primary: str | None
    members: list[str]
    satisfaction: str
    revisit_note: str
    score: int | None
    rating_comment: str
    extensions: list[HotlineExtensionOut]
    actions: list[str]


class HotlineTicketPage(Schema):
    count: int
    page: int
    page_size: int
    results: list[HotlineTicketBrief]


class ActionIn(Schema):
    """The fields of the transitions; each action reads its own (``ACTIONS``)."""

    department: Any = Field(None, description="承办部门（统一社会信用代码）：派单、改派、转派")
    note: Any = Field(None, description="说明：派单附言、回访记录")
    reason: Any = Field(None, description="理由：退单、审核、改派、转派、暂停、退回、督办、归档")
    reply: Any = Field(None, description="答复内容：答复、当场答复")
    source: Any = Field(None, description="知识库来源：当场答复")
    satisfaction: Any = Field(None, description="回访结果：" + "、".join(rules.SATISFACTION))
    score: Any = Field(None, description="评价 1–5")
    comment: Any = Field(None, description="评价意见")


class MergeIn(Schema):
    members: Any = Field(None, description="合并到本工单的工单编号")
    reason: Any = None


class HotlineReasonIn(Schema):
    reason: Any = None


class ExtensionIn(Schema):
    days: Any = Field(None, description=f"延长工作日（1–{rules.EXTENSION_MAX_DAYS}）")
    reason: Any = None


class HotlineDecisionIn(Schema):
    note: Any = None


class FollowOut(Schema):
    number: str
    status: str
    status_name: str
    category: str
    category_name: str
    received_date: str
    finish_date: str | None
    finished_date: str | None
    reply: str | None
    can_rate: bool
    score: int | None


class FollowRateIn(Schema):
    number: Any = None
    code: Any = None
    score: Any = None
    comment: Any = None


# ------------------------------------------------------------------------------ rendering


def _iso(value) -> str | None:
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return value.astimezone(SHANGHAI).isoformat()
    return value.isoformat()


def _named(obj) -> dict | None:
    return {"code": obj.pk, "name": obj.name} if obj is not None else None


def _dues(ticket: Ticket) -> dict:
    return {
        "dispatch": _iso(ticket.dispatch_due),
        "sign_date": _iso(ticket.sign_due),
        "finish_date": _iso(ticket.finish_due),
        "revisit_date": _iso(ticket.revisit_due),
    }


def _owner(user, ticket: Ticket) -> bool:
    return bool(ticket.caller_id) and ticket.caller_id == getattr(user, "pk", None)


def brief_out(ticket: Ticket, user) -> dict:
    content = text_for(ticket.content, owner=_owner(user, ticket))
    return {
        "number": ticket.number,
        "status": ticket.status,
        "status_name": TICKET.state_label(ticket.status),
        "category": ticket.category,
        "category_name": ticket.get_category_display(),
        "channel": ticket.channel,
        "received_at": _iso(ticket.received_at),
        "region": _named(ticket.region),
        "assigned": _named(ticket.assigned),
        "warning": ticket.warning,
        "due": _dues(ticket),
        "summary": content[:60],
    }


def extension_out(extension: Extension, ticket: Ticket) -> dict:
    return {
        "id": extension.pk,
        "ticket": ticket.number,
        "status": extension.status,
        "status_name": extension.get_status_display(),
        "days": extension.days,
        "reason": mask_text(extension.reason),
        "requested_at": _iso(extension.requested_at),
        "decided_at": _iso(extension.decided_at),
        "decision_note": mask_text(extension.decision_note),
    }


def caller_out(ticket: Ticket, user, roles: set[str]) -> dict | None:
    if ticket.anonymous or not (ticket.caller_name or ticket.caller_phone):
        return None
    phone = ticket.caller_phone
    if phone and not roles & SEES_PHONE:
        phone = phone_for_viewer(phone, user, ticket.caller)
    return {"name": ticket.caller_name, "phone": phone}


def ticket_out(ticket: Ticket, user) -> dict:
    roles = access.roles_for(user, ticket)
    shown = lambda value: text_for(value or "", owner=_owner(user, ticket))  # noqa: E731
    context = {
        **ACTION_CONTEXT,
        "category": ticket.category,
        "rated": ticket.rated_at is not None,
    }
    return {
        **brief_out(ticket, user),
        "complexity": ticket.complexity,
        "anonymous": ticket.anonymous,
        "caller": caller_out(ticket, user, roles),
        "content": shown(ticket.content),
        "address": shown(ticket.address),
        "lat": float(ticket.lat) if ticket.lat is not None else None,
        "long": float(ticket.long) if ticket.long is not None else None,
        "application": ticket.application.number if ticket.application_id else None,
        "item": {"code": ticket.item_code, "name": ticket.item_name} if ticket.item_code else None,
        "department": _named(ticket.department),
        "hall": {"code": ticket.hall.code, "name": ticket.hall.name} if ticket.hall_id else None,
        "redirect": (
            {"matter": ticket.redirect_matter, "channel": ticket.redirect_channel}
            if ticket.redirect_matter
            else None
        ),
        "dispatched_at": _iso(ticket.dispatched_at),
        "signed_at": _iso(ticket.signed_at),
        "returns": ticket.returns,
        "waiting_reason": shown(ticket.waiting_reason),
        "reply": shown(ticket.reply),
        "replied_at": _iso(ticket.replied_at),
        "finished_at": _iso(ticket.finished_at),
        "on_time": ticket.on_time,
        "supervised": ticket.supervised,
        "primary": ticket.primary.number if ticket.primary_id else None,
        "members": [m.number for m in merging.members_of(ticket)],
        "satisfaction": ticket.satisfaction,
        "revisit_note": shown(ticket.revisit_note),
        "score": ticket.score,
        "rating_comment": shown(ticket.rating_comment),
        "extensions": [extension_out(e, ticket) for e in ticket.extensions.order_by("requested_at", "pk")],
        "actions": TICKET.allowed(ticket.status, roles, context),
    }


# ------------------------------------------------------------------------------ who files


def filing_role(user, channel: Any, region: Any) -> dict:
    """How ``user`` files a ticket: ``{"role", "scope"?, "hall"?}`` for ``intake.file``.

    A 12345 operator files for their region (the one containing ``region`` when they hold
    several); a window clerk or hall manager at their hall (preferred when the channel is
    ``window``); a person without staff roles as the caller online. Other staff: 403.
    """
    held = list(StaffRole.objects.filter(user=user).select_related("region", "hall"))
    operators = [r for r in held if r.role == StaffRole.HOTLINE_OPERATOR and r.region_id]
    windows = [r for r in held if r.role in access.WINDOW_ROLES and r.hall_id]
    if windows and (channel == "window" or not operators):
        return {"role": WINDOW, "hall": windows[0].hall}
    if operators:
        found = Region.objects.filter(code=region).first() if isinstance(region, str) and region else None
        chain = found.path.split("/") if found is not None else []
        chosen = next((r for r in operators if r.region_id in chain), operators[0])
        return {"role": OPERATOR, "scope": chosen.region}
    if not held:
        return {"role": CALLER}
    raise NotPermitted("您的角色不能受理12345工单", "role")


# ------------------------------------------------------------------------------ lookup


def _tickets():
    return Ticket.objects.select_related(
        "region", "assigned", "department", "hall", "primary", "application", "caller"
    )


def _readable(user, number: str) -> Ticket:
    ticket = _tickets().filter(number=number).first()
    if ticket is None or not access.may_read(user, ticket):
        raise NotFound("未找到该工单", "number")
    return ticket


def _after(user, number: str) -> dict:
    """The ticket after an action (the actor may have handed it on, but saw it a moment ago)."""
    return ticket_out(_tickets().get(number=number), user)


# ------------------------------------------------------------------------------ filing and following


@router.post(
    "",
    response=responses(FiledOut, 401, 403, status=201),
    summary="受理12345工单（话务人员、办不成事窗口、网上反映的群众）",
)
def file_ticket(request: HttpRequest, payload: HotlineTicketIn):
    data = payload.dict(exclude_unset=True)
    how = filing_role(request.user, data.get("channel"), data.get("region"))
    filed = intake.file(data, actor=request.user, **how)
    ticket = filed.ticket
    due = None
    if ticket.status != T.REDIRECTED:
        due = {"dispatch": _iso(ticket.dispatch_due), "finish_date": _iso(ticket.finish_due)}
    return Status(
        201, {"number": ticket.number, "lookup_code": filed.lookup_code, "status": ticket.status, "due": due}
    )


@router.get(
    "/follow", auth=None, response=responses(FollowOut, 404), summary="凭工单编号和查询码查询办理进度"
)
def follow(request: HttpRequest, number: str | None = None, code: str | None = None) -> dict:
    ticket = service.follow(number, code)
    done = ticket.status in (T.FINISHED, T.CLOSED)
    context = {"category": ticket.category, "rated": ticket.rated_at is not None}
    return {
        "number": ticket.number,
        "status": ticket.status,
        "status_name": TICKET.state_label(ticket.status),
        "category": ticket.category,
        "category_name": ticket.get_category_display(),
        "received_date": _iso(ticket.received_at.astimezone(SHANGHAI).date()),
        "finish_date": _iso(ticket.finish_due),
        "finished_date": _iso(ticket.finished_at.astimezone(SHANGHAI).date()) if ticket.finished_at else None,
        "reply": mask_text(ticket.reply) if done else None,
        "can_rate": "rate" in TICKET.allowed(ticket.status, {CALLER}, context),
        "score": ticket.score,
    }


@router.post(
    "/follow/rate",
    auth=None,
    response=responses(FollowOut, 404, 409),
    summary="凭工单编号和查询码评价答复",
)
def follow_rate(request: HttpRequest, payload: FollowRateIn) -> dict:
    ticket = service.follow(payload.number, payload.code)
    service.rate(ticket, None, roles={CALLER}, score=payload.score, comment=payload.comment)
    return follow(request, payload.number, payload.code)


# ------------------------------------------------------------------------------ queue and detail


FILTER_LABELS = {"status": "状态", "category": "诉求类型", "warning": "预警", "assigned": "承办部门"}


def _choice(value: str | None, field: str, choices) -> str | None:
    """A queue filter's value, or a 400 naming the filter."""
    if value in (None, ""):
        return None
    if value not in choices:
        raise Invalid(f"“{FILTER_LABELS[field]}”应为{'、'.join(choices)}之一", field)
    return value


@router.get("", response=responses(HotlineTicketPage, 401), summary="我的12345工单队列（按紧急程度）")
def queue(
    request: HttpRequest,
    status: str | None = None,
    category: str | None = None,
    warning: str | None = None,
    assigned: str | None = None,
    page: Int(1, 100_000) = 1,
    page_size: Int(1, 100) = 20,
) -> dict:
    rows = access.visible(request.user, _tickets())
    if _choice(status, "status", T.values):
        rows = rows.filter(status=status)
    if _choice(category, "category", list(rules.CATEGORIES)):
        rows = rows.filter(category=category)
    if _choice(warning, "warning", ["red", "yellow", "none"]):
        rows = rows.filter(warning="" if warning == "none" else warning)
    if assigned:
        if len(assigned) > 18 or "\x00" in assigned:
            raise Invalid("“承办部门”应为部门代码（统一社会信用代码）或 none", "assigned")
        rows = rows.filter(assigned__isnull=True) if assigned == "none" else rows.filter(assigned_id=assigned)
    rows = rows.annotate(
        urgency=Case(
            When(warning="red", then=Value(0)),
            When(warning="yellow", then=Value(1)),
            default=Value(2),
            output_field=IntegerField(),
        )
    ).order_by("urgency", F("finish_due").asc(nulls_last=True), "received_at", "pk")
    count = rows.count()
    start = (page - 1) * page_size
    return {
        "count": count,
        "page": page,
        "page_size": page_size,
        "results": [brief_out(t, request.user) for t in rows[start : start + page_size]],
    }


@router.get("/{number}", response=responses(HotlineTicketOut, 401, 404), summary="12345工单详情")
def detail(request: HttpRequest, number: str) -> dict:
    return ticket_out(_readable(request.user, number), request.user)


# ------------------------------------------------------------------------------ transitions

#: action → (service function, {body field → keyword}, summary)
ACTIONS: dict[str, tuple[Any, dict[str, str], str]] = {
    "dispatch": (service.dispatch, {"department": "department", "note": "note_text"}, "派单"),
    "sign": (service.sign, {}, "签收"),
    "return": (service.return_, {"reason": "reason"}, "退单"),
    "accept_return": (service.accept_return, {"reason": "reason"}, "同意退单"),
    "reject_return": (service.reject_return, {"reason": "reason"}, "不同意退单"),
    "reassign": (service.reassign, {"department": "department", "reason": "reason"}, "改派"),
    "transfer": (service.transfer, {"department": "department", "reason": "reason"}, "转派"),
    "wait": (service.wait, {"reason": "reason"}, "待群众补充（暂停计时）"),
    "resume": (service.resume, {}, "恢复办理"),
    "answer": (service.answer, {"reply": "reply"}, "答复"),
    "send_back": (service.send_back, {"reason": "reason"}, "答复不合格，退回重办"),
    "supervise": (service.supervise, {"reason": "reason"}, "督办"),
    "finish": (service.finish, {}, "审核办结"),
    "revisit": (service.revisit, {"satisfaction": "satisfaction", "note": "note_text"}, "回访"),
    "archive": (service.archive, {"reason": "reason"}, "无法回访，办结归档"),
    "resolve": (service.resolve, {"reply": "reply", "source": "source"}, "当场答复办结（咨询）"),
    "rate": (service.rate, {"score": "score", "comment": "comment"}, "评价答复（诉求人）"),
}


def _register(action: str, fn, fields: dict[str, str], summary: str) -> None:
    def act(request: HttpRequest, number: str, payload: ActionIn | None = None) -> dict:
        ticket = _readable(request.user, number)
        values = payload.dict() if payload is not None else {}
        kwargs = {keyword: values.get(field) for field, keyword in fields.items()}
        fn(ticket, request.user, roles=access.roles_for(request.user, ticket), **kwargs)
        return _after(request.user, ticket.number)

    act.__name__ = f"ticket_{action}"
    wanted = "、".join(fields) or "无"
    router.post(
        f"/{{number}}/{action}",
        response=responses(HotlineTicketOut, 401, 403, 404, 409),
        summary=f"{summary}（字段：{wanted}）",
        operation_id=f"hotline_ticket_{action}",
    )(act)


for _name, (_fn, _fields, _summary) in ACTIONS.items():
    _register(_name, _fn, _fields, _summary)


@router.post(
    "/{number}/merge",
    response=responses(HotlineTicketOut, 401, 403, 404, 409),
    summary="合并办理：把其他工单合并到本工单",
)
def merge(request: HttpRequest, number: str, payload: MergeIn) -> dict:
    head = _readable(request.user, number)
    # merging checks the operator's roles on every member too (out of scope: 404)
    merging.merge(
        head, payload.members, request.user, roles=access.roles_for(request.user, head), reason=payload.reason
    )
    return _after(request.user, head.number)


@router.post(
    "/{number}/unmerge",
    response=responses(HotlineTicketOut, 401, 403, 404, 409),
    summary="取消合并（对被合并的工单）",
)
def unmerge(request: HttpRequest, number: str, payload: HotlineReasonIn) -> dict:
    member = _readable(request.user, number)
    merging.unmerge(member, request.user, roles=access.roles_for(request.user, member), reason=payload.reason)
    return _after(request.user, member.number)


@router.post(
    "/{number}/extensions",
    response=responses(HotlineExtensionOut, 401, 403, 404, 409, status=201),
    summary="申请延期（承办部门）",
)
def request_extension(request: HttpRequest, number: str, payload: ExtensionIn):
    ticket = _readable(request.user, number)
    extension = service.request_extension(
        ticket,
        request.user,
        roles=access.roles_for(request.user, ticket),
        days=payload.days,
        reason=payload.reason,
    )
    return Status(201, extension_out(extension, ticket))


def _decide(request: HttpRequest, extension_id: int, note: Any, approve: bool) -> dict:
    extension = Extension.objects.select_related("ticket").filter(pk=extension_id).first()
    ticket = _tickets().filter(pk=extension.ticket_id).first() if extension else None
    if ticket is None or not access.may_read(request.user, ticket):
        raise NotFound("未找到该延期申请", "extension")
    decided = service.decide_extension(
        extension.pk,
        request.user,
        roles=access.roles_for(request.user, ticket),
        approve=approve,
        note_text=note,
    )
    return extension_out(decided, ticket)


@router.post(
    "/extensions/{extension_id}/approve",
    response=responses(HotlineExtensionOut, 401, 403, 404, 409),
    summary="同意延期（12345热线中心）",
)
def approve_extension(
    request: HttpRequest, extension_id: Int(1, 2**63 - 1), payload: HotlineDecisionIn
) -> dict:
    return _decide(request, extension_id, payload.note, True)


@router.post(
    "/extensions/{extension_id}/refuse",
    response=responses(HotlineExtensionOut, 401, 403, 404, 409),
    summary="不同意延期（12345热线中心，须写明理由）",
)
def refuse_extension(
    request: HttpRequest, extension_id: Int(1, 2**63 - 1), payload: HotlineDecisionIn
) -> dict:
    return _decide(request, extension_id, payload.note, False)
