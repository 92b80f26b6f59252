"""共享申请 from submission to approval, and the approval's life (suspend, revoke, expire).

Every change fires the ``sharing.request`` machine through the engine inside one transaction
that locks the request row first; the stage clocks start and stop in the same transaction and
the people concerned are told through the outbox. Nothing here assigns ``status``.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.utils import timezone

from onething.accounts.models import User
from onething.catalog.models import Item
from onething.core import text
from onething.kernel.errors import Invalid, NotFound, NotPermitted
from onething.notifications.service import notify, notify_group
from onething.sharing import access, deadlines, rules
from onething.sharing.machines import (
    APPROVE_EVENTS,
    AUTHORITY,
    REFUSE_EVENTS,
    REQUEST,
    REQUESTER,
    ROLE_NAMES,
    SYSTEM,
)
from onething.sharing.models import NegativeEntry, Request, Resource, SharingClass
from onething.workflow import engine

S = Request.Status
PURPOSE_MAX = 200
BASIS_MAX = 2000
REASON_MAX = 2000
ITEMS_MAX = 50


def _today(now: dt.datetime) -> dt.date:
    return timezone.localdate(now)


def context(request: Request, reason: str = "") -> dict[str, Any]:
    return {"sharing_class": request.resource.sharing_class, "reason": reason}


def _items(values: Any) -> list[str]:
    if values is None:
        return []
    if not isinstance(values, list | tuple):
        raise Invalid("“服务事项”应为事项编码的列表", "items")
    if len(values) > ITEMS_MAX:
        raise Invalid(f"“服务事项”最多{ITEMS_MAX}项", "items")
    codes = list(dict.fromkeys(text.clean(v, "items", max_length=64) for v in values if v))
    known = set(Item.objects.filter(code__in=codes).values_list("code", flat=True))
    unknown = [c for c in codes if c not in known]
    if unknown:
        raise Invalid(f"“服务事项”中 {'、'.join(unknown)} 不是目录中的事项", "items")
    return codes


def _fields(resource: Resource, values: Any) -> list[str]:
    keys = text.clean_list(values, "fields", max_items=200, max_length=64, required=True)
    known = resource.field_keys()
    unknown = [k for k in keys if k not in known]
    if unknown:
        raise Invalid(f"“数据项”{'、'.join(unknown)} 不是“{resource.name}”的数据项", "fields")
    return [k for k in known if k in set(keys)]  # in the resource's order, each once


def _department(user, department: str | None) -> str:
    mine = access.staff_departments(user)
    if department:
        if department not in mine:
            raise NotPermitted("您不是该部门的工作人员，不能以其名义申请数据", "department")
        return department
    if not mine:
        raise NotPermitted("只有使用部门的工作人员可以申请共享数据")
    if len(mine) > 1:
        raise Invalid("您属于多个部门，请选择以哪个部门的名义申请", "department")
    return next(iter(mine))


def _negative_basis(resource: Resource) -> str:
    entry = NegativeEntry.objects.filter(resource=resource).order_by("id").first()
    if entry is None:
        entry = NegativeEntry.objects.filter(department_id=resource.provider_id, name=resource.name).first()
    return entry.legal_basis if entry else resource.legal_basis


def submit(
    user,
    *,
    resource: str,
    fields: Any,
    purpose: Any,
    legal_basis: Any,
    items: Any = None,
    department: str | None = None,
    now: dt.datetime | None = None,
) -> Request:
    """A using department's request. A 不予共享 resource is refused at once, with the negative
    list's legal basis; otherwise the data authority's 2-working-day check starts."""
    now = now or timezone.now()
    code = text.clean(resource, "resource", max_length=64, required=True)
    found = Resource.objects.select_related("provider").filter(code=code).first()
    if found is None:
        raise NotFound(f"数据资源 {code} 不存在", "resource")
    dept = _department(user, department)
    chosen = _fields(found, fields)
    purpose = text.clean(purpose, "purpose", max_length=PURPOSE_MAX, required=True)
    basis = text.clean(legal_basis, "legal_basis", max_length=BASIS_MAX, multiline=True, required=True)
    served = _items(items)
    with transaction.atomic():
        request = Request(
            resource=found,
            department_id=dept,
            requested_by=user,
            fields=chosen,
            purpose=purpose,
            legal_basis=basis,
            items=served,
            submitted_at=now,
        )
        if found.sharing_class == SharingClass.NONE:
            request.reason = f"该数据列入负面清单，不予共享。依据：{_negative_basis(found)}"
            request.decided_at = now
            engine.create(
                REQUEST, request, "refuse_negative", roles=[REQUESTER], actor=user, at=now, save_as="id"
            )
            request.save()
            notify(user, "sharing.refuse", f"共享申请 {request.pk} 不予共享", request.reason, _link(request))
            return request
        engine.create(
            REQUEST,
            request,
            "submit",
            roles=[REQUESTER],
            actor=user,
            at=now,
            save_as="id",
            resource=found.code,
            fields=chosen,
            purpose=purpose,
        )
        deadlines.start(request, "check", rules.CHECK, found.provider.region_id, _today(now))
        request.save()
        notify_group(
            deadlines.owners(request, "check"),
            "sharing.submit",
            f"新的共享申请 {request.pk} 待审核：{found.name}",
            f"使用部门：{request.department.name}；用途：{purpose}",
            _link(request),
        )
    return request


def _link(request: Request) -> str:
    return f"/sharing/requests/{request.pk}/"


def get_visible(user, request_id: int, *, lock: bool = False) -> Request:
    rows = access.visible_requests(user)
    if lock:
        rows = rows.select_for_update(of=("self",))
    found = rows.filter(pk=request_id).first()
    if found is None:
        raise NotFound("共享申请不存在", "request")
    return found


def actions(user, request: Request) -> list[str]:
    """The events this person may fire now (the page's buttons, the API's ``actions``)."""
    return REQUEST.allowed(request.status, access.roles_for(user, request), context(request, "理由"))


def _pick(request: Request, roles: set[str], candidates: tuple[str, ...], reason: str) -> str:
    """The one event of ``candidates`` this role may fire in this state; when none, the
    refusal of the most telling one: an event someone may fire now (so a requester pressing
    approve on a conditional request hears about 审核, not about 授权), else one the state allows."""
    ctx = context(request, reason)
    allowed = [e for e in REQUEST.allowed(request.status, roles, ctx) if e in candidates]
    if allowed:
        return allowed[0]
    anyone = [e for e in REQUEST.allowed(request.status, set(ROLE_NAMES), ctx) if e in candidates]
    in_state = [e for e in candidates if request.status in REQUEST.events[e].sources]
    engine.check(REQUEST, request.status, (anyone or in_state or list(candidates))[0], roles, context=ctx)
    raise NotPermitted("您无权处理该共享申请")  # pragma: no cover - check() raised


def _validity(today: dt.date, valid_until: Any, daily_quota: Any) -> tuple[dt.date, int | None]:
    until = today + dt.timedelta(days=rules.DEFAULT_VALIDITY_DAYS)
    if valid_until not in (None, ""):
        until = text.date(
            valid_until,
            "valid_until",
            earliest=today,
            latest=today + dt.timedelta(days=rules.MAX_VALIDITY_DAYS),
        )
    quota = None
    if daily_quota not in (None, ""):
        quota = text.integer(daily_quota, "daily_quota", minimum=1, maximum=rules.MAX_DAILY_QUOTA)
    return until, quota


def approve(
    user, request_id: int, *, reason: Any = "", valid_until: Any = None, daily_quota: Any = None, now=None
) -> Request:
    """``/approve``: the authority's check (an unconditional resource is granted there, a
    conditional one goes to the provider), the provider's approval, or a settled dispute."""
    now = now or timezone.now()
    reason = text.clean(reason, "reason", max_length=REASON_MAX, multiline=True)
    with transaction.atomic():
        request = get_visible(user, request_id, lock=True)
        roles = access.roles_for(user, request)
        event = _pick(request, roles, APPROVE_EVENTS, reason)
        fired = engine.fire(
            REQUEST,
            request,
            event,
            roles=roles,
            actor=user,
            at=now,
            reason=reason,
            context=context(request, reason),
        )
        today = _today(now)
        deadlines.stop(request, now)
        if fired.target == S.APPROVED:
            request.valid_from = today
            request.valid_until, request.daily_quota = _validity(today, valid_until, daily_quota)
            request.decided_at = now
            request.reason = reason
            notify(
                request.requested_by,
                "sharing.approve",
                f"共享申请 {request.pk} 已批准：{request.resource.name}",
                f"有效期至 {request.valid_until.isoformat()}",
                _link(request),
            )
        else:  # checked: the provider answers within 5 (or 10) working days
            policy = rules.answer_policy(request.resource.publish_first)
            deadlines.start(request, "answer", policy, request.resource.provider.region_id, today)
            notify_group(
                deadlines.owners(request, "answer"),
                "sharing.check",
                f"共享申请 {request.pk} 待您答复：{request.resource.name}",
                f"使用部门：{request.department.name}；用途：{request.purpose}；{request.due_date.isoformat()} 前答复",
                _link(request),
            )
        request.save()
    return request


def refuse(user, request_id: int, *, reason: Any, now=None) -> Request:
    """``/refuse`` with reasons: the authority at its check or a settled dispute, the provider
    for a conditional resource."""
    now = now or timezone.now()
    reason = text.clean(reason, "reason", max_length=REASON_MAX, multiline=True, required=True)
    with transaction.atomic():
        request = get_visible(user, request_id, lock=True)
        roles = access.roles_for(user, request)
        event = _pick(request, roles, REFUSE_EVENTS, reason)
        engine.fire(
            REQUEST,
            request,
            event,
            roles=roles,
            actor=user,
            at=now,
            reason=reason,
            context=context(request, reason),
        )
        deadlines.stop(request, now)
        request.reason = reason
        request.decided_at = now
        request.save()
        notify(
            request.requested_by,
            "sharing.refuse",
            f"共享申请 {request.pk} 不予共享：{request.resource.name}",
            reason,
            _link(request),
        )
    return request


def _simple(user, request_id: int, event: str, reason: Any, now, *, required: bool) -> Request:
    now = now or timezone.now()
    reason = text.clean(reason, "reason", max_length=REASON_MAX, multiline=True, required=required)
    with transaction.atomic():
        request = get_visible(user, request_id, lock=True)
        roles = access.roles_for(user, request)
        engine.fire(
            REQUEST,
            request,
            event,
            roles=roles,
            actor=user,
            at=now,
            reason=reason,
            context=context(request, reason),
        )
        if event == "dispute":
            deadlines.start(request, "settle", rules.SETTLE, request.resource.provider.region_id, _today(now))
            notify_group(
                deadlines.owners(request, "settle"),
                "sharing.dispute",
                f"共享申请 {request.pk} 申请协调：{request.resource.name}",
                reason,
                _link(request),
            )
        else:
            deadlines.stop(request, now)
        if reason:
            request.reason = reason
        request.save()
        if event in ("suspend", "resume", "revoke"):
            notify(
                request.requested_by,
                f"sharing.{event}",
                f"共享授权 {request.pk}{REQUEST.event_label(event)}：{request.resource.name}",
                reason,
                _link(request),
            )
    return request


def dispute(user, request_id: int, *, reason: Any, now=None) -> Request:
    """The requester contests a refusal: the authority coordinates (协商) on a clock."""
    return _simple(user, request_id, "dispute", reason, now, required=True)


def suspend(user, request_id: int, *, reason: Any, now=None) -> Request:
    return _simple(user, request_id, "suspend", reason, now, required=True)


def resume(user, request_id: int, *, reason: Any = "", now=None) -> Request:
    return _simple(user, request_id, "resume", reason, now, required=False)


def revoke(user, request_id: int, *, reason: Any, now=None) -> Request:
    return _simple(user, request_id, "revoke", reason, now, required=True)


def withdraw(user, request_id: int, *, reason: Any = "", now=None) -> Request:
    return _simple(user, request_id, "withdraw", reason, now, required=False)


#: the form's buttons → the function behind each (the page and the API share them)
ACTIONS = {
    "approve": approve,
    "refuse": refuse,
    "dispute": dispute,
    "suspend": suspend,
    "resume": resume,
    "revoke": revoke,
    "withdraw": withdraw,
}
#: which button an allowed event shows as
BUTTON_OF = {
    **{e: "approve" for e in APPROVE_EVENTS},
    **{e: "refuse" for e in REFUSE_EVENTS},
    "dispute": "dispute",
    "suspend": "suspend",
    "resume": "resume",
    "revoke": "revoke",
    "withdraw": "withdraw",
}


def expire_due(today: dt.date, now: dt.datetime | None = None) -> list[int]:
    """Approvals whose validity ended before ``today`` expire (daily task; idempotent)."""
    now = now or timezone.now()
    expired = []
    due = Request.objects.filter(status__in=[S.APPROVED, S.SUSPENDED], valid_until__lt=today).values_list(
        "pk", flat=True
    )
    for pk in list(due):
        with transaction.atomic():
            request = Request.objects.select_for_update().select_related("resource").filter(pk=pk).first()
            if request is None or request.status not in (S.APPROVED, S.SUSPENDED):
                continue
            engine.fire(REQUEST, request, "expire", roles=[SYSTEM], at=now)
            request.save()
            notify(
                request.requested_by,
                "sharing.expire",
                f"共享授权 {request.pk} 已到期：{request.resource.name}",
                "如需继续使用，请重新申请",
                _link(request),
            )
            expired.append(pk)
    return expired


def as_dict(request: Request, user=None) -> dict[str, Any]:
    """The request as the API and the pages show it."""
    labels = request.resource.field_labels()
    return {
        "id": request.pk,
        "status": request.status,
        "status_name": request.get_status_display(),
        "resource": {"code": request.resource.code, "name": request.resource.name},
        "provider": {"code": request.resource.provider_id, "name": request.resource.provider.name},
        "department": {"code": request.department_id, "name": request.department.name},
        "fields": [{"key": k, "label": labels.get(k, k)} for k in request.fields],
        "purpose": request.purpose,
        "legal_basis": request.legal_basis,
        "items": request.items,
        "submitted_at": request.submitted_at.isoformat(),
        "due_date": request.due_date.isoformat() if request.due_date else None,
        "warning": request.warning or None,
        "valid_from": request.valid_from.isoformat() if request.valid_from else None,
        "valid_until": request.valid_until.isoformat() if request.valid_until else None,
        "daily_quota": request.daily_quota,
        "reason": request.reason,
        "actions": actions(user, request) if user is not None else [],
    }


__all__ = [
    "ACTIONS",
    "AUTHORITY",
    "User",
    "approve",
    "as_dict",
    "dispute",
    "expire_due",
    "get_visible",
    "refuse",
    "resume",
    "revoke",
    "submit",
    "suspend",
    "withdraw",
]
