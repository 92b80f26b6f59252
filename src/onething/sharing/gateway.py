"""The gateway (共享交换): answer only an approved, unexpired request, for its declared purpose,
with exactly the approved fields; log every call, allowed or denied.

Deny by default, in this order (``sharing.rules.check_query``): the caller must be staff of the
using department or a service token naming the approval (else 404, as for any object outside
scope); a 不予共享 resource, an expired, unapproved, suspended or revoked approval, another
purpose, a field outside the approval are 403; beyond the daily quota is 429. The provider's
answer is projected onto the approved fields here — a provider that sends more leaks nothing.
Every call is one hash-chained :class:`~onething.sharing.models.Call` (``sharing.calllog``).
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from onething.kernel.errors import Conflict, DomainError, Invalid, NotFound, NotPermitted, TooMany
from onething.sharing import access, calllog, providers, rules
from onething.sharing.models import Call, Request, Usage

logger = logging.getLogger("onething.sharing")

#: the domain error of each refusal status (the API maps them back: 403, 404, 429, 400)
_ERRORS = {403: NotPermitted, 404: NotFound, 429: TooMany, 400: Invalid}


def denied(denial: rules.Denial, call: Call | None) -> DomainError:
    """The refusal as a domain error; a 403 or 429 names the logged call (a 404 says nothing)."""
    extra = {"call": call.pk} if call is not None and denial.status != 404 else {}
    error = _ERRORS[denial.status](denial.message, denial.field, code=denial.code, **extra)
    error.denial = denial
    return error


class ProviderDown(Conflict):
    default_code = "provider_unavailable"


@dataclass
class Answer:
    data: dict[str, Any]
    found: bool
    call: Call
    request: Request


def _caller_label(user) -> str:
    if user is None:
        return "一件事平台（受理时代处理部门获取）"
    scope = access.service_scope(user)
    name = getattr(user, "display_name", "") or getattr(user, "username", "")
    return f"{name}（系统令牌）" if scope is not None else name


def _log(
    user,
    request: Request | None,
    *,
    subject_kind: str,
    subject: str,
    purpose: str,
    fields,
    outcome,
    reason,
    rows=0,
    started: float,
    now: dt.datetime,
) -> Call:
    call = Call(
        at=now,
        request=request,
        resource_code=request.resource.code if request else "",
        caller=user if getattr(user, "pk", None) else None,
        caller_label=_caller_label(user)[:200],
        department_code=request.department_id if request else "",
        purpose=(purpose or "")[:200],
        legal_basis=request.legal_basis if request else "",
        fields=list(fields or []),
        subject_key=calllog.subject_key(subject) if subject else "",
        subject_masked=rules.mask_subject(subject_kind, subject) if subject else "",
        rows=rows,
        latency_ms=int((time.perf_counter() - started) * 1000),
        outcome=outcome,
        reason=reason[:300],
    )
    return calllog.write(call)


def _deny(user, request, denial: rules.Denial, *, subject_kind, subject, purpose, fields, started, now):
    call = _log(
        user,
        request,
        subject_kind=subject_kind,
        subject=subject,
        purpose=purpose,
        fields=fields,
        outcome=Call.Outcome.DENIED,
        reason=denial.message,
        started=started,
        now=now,
    )
    raise denied(denial, call)


def _within_quota(request: Request, today: dt.date) -> bool:
    """Count this call against the approval's daily quota; False when it is used up."""
    if not request.daily_quota:
        return True
    with transaction.atomic():
        usage, _ = Usage.objects.get_or_create(request=request, day=today)
        counted = Usage.objects.filter(pk=usage.pk, calls__lt=request.daily_quota).update(
            calls=F("calls") + 1
        )
    return bool(counted)


def _load(request_id: Any) -> Request | None:
    try:
        pk = int(request_id)
    except (TypeError, ValueError):
        return None
    if not 0 < pk < 2**63:
        return None
    return Request.objects.select_related("resource").filter(pk=pk).first()


def query(
    user,
    request_id: Any,
    subject: Any,
    purpose: Any,
    fields: list[str] | None = None,
    *,
    now: dt.datetime | None = None,
    for_department: str | None = None,
) -> Answer:
    """One gateway call: the approved fields of ``subject``'s record; a refusal raises the
    domain error of its status (:func:`denied`) after logging the call.

    ``for_department``: the platform itself calls on behalf of a handling department (intake
    obtaining a 免提交 material, ``cases.exempt``), with no user; only that department's
    approvals answer. Not reachable from the API."""
    started = time.perf_counter()
    now = now or timezone.now()
    subject = str(subject or "")[:40]
    purpose = str(purpose or "")
    request = _load(request_id)
    kind = request.resource.subject_kind if request else "person"
    common = {
        "subject_kind": kind,
        "subject": subject,
        "purpose": purpose,
        "fields": fields,
        "started": started,
        "now": now,
    }
    allowed = (
        request is not None and request.department_id == for_department
        if for_department
        else request is not None and access.may_call(user, request)
    )
    if not allowed:
        # outside the caller's scope: as if it did not exist (and logged, so probing shows)
        _deny(user, None, rules.deny(rules.OUTSIDE_SCOPE), **common)
    resource = request.resource
    subject, bad = rules.validate_subject(resource.subject_kind, subject)
    common["subject"] = subject
    if bad:
        _deny(user, request, bad, **common)
    denial = rules.check_query(
        status=request.status,
        today=timezone.localdate(now),
        valid_from=request.valid_from,
        valid_until=request.valid_until,
        sharing_class=resource.sharing_class,
        approved_purpose=request.purpose,
        purpose=purpose,
        approved_fields=request.fields,
        asked_fields=fields,
    )
    if denial:
        _deny(user, request, denial, **common)
    if not _within_quota(request, timezone.localdate(now)):
        _deny(user, request, rules.deny(rules.QUOTA, quota=str(request.daily_quota)), **common)
    asked = request.fields if fields is None else fields
    try:
        record = providers.get(resource.backend).fetch(resource, subject, asked)
        if record is not None and not isinstance(record, dict):
            raise providers.ProviderError("提供方返回的不是数据记录")
    except Exception as exc:  # any fault of a provider is its failure, logged, never a 500
        if not isinstance(exc, providers.ProviderError):
            logger.exception("数据提供方 %s 出错", resource.backend)
        call = _log(
            user,
            request,
            **{**common, "fields": asked},
            outcome=Call.Outcome.FAILED,
            reason=f"提供方未能答复：{exc}",
        )
        error = ProviderDown(f"“{resource.name}”的提供方暂时无法答复，请稍后再试", "request", call=call.pk)
        raise error from exc
    data = rules.project(record, request.fields, fields)
    call = _log(
        user,
        request,
        **{**common, "fields": list(data) if data else asked},
        outcome=Call.Outcome.ALLOWED,
        reason="" if record else "提供方无该对象的数据",
        rows=1 if record else 0,
    )
    return Answer(data=data, found=bool(record), call=call, request=request)


def calls_of(user, request_id: Any) -> list[Call]:
    """Every call under an approval, for its provider and the data authority (404 otherwise)."""
    request = _load(request_id)
    if request is None or not access.may_read_calls(user, request.resource):
        raise NotFound("共享申请不存在", "request")
    return list(Call.objects.filter(request=request).order_by("-id")[:1000])


def calls_about(subjects: list[str]) -> list[Call]:
    """谁用了我的数据: every allowed call about these subjects (a person, their enterprises)."""
    keys = [calllog.subject_key(s) for s in subjects if s]
    if not keys:
        return []
    return list(
        Call.objects.filter(subject_key__in=keys, outcome=Call.Outcome.ALLOWED)
        .select_related("request__department", "request__resource")
        .order_by("-at")[:500]
    )
