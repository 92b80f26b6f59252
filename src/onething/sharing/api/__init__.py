"""数据共享 API (``/api/v1/sharing``): the resource catalog, requests and their decisions, the
gateway, the call log, 数据异议 and 谁用了我的数据.

The public interfaces (PRODUCT.md C8) are ``GET resources``, ``POST requests`` with
``/approve`` and ``/refuse``, ``POST query`` and ``GET calls?request=``; the rest is ours.
Outside the caller's scope an object is 404; the gateway also accepts service tokens.
"""

from __future__ import annotations

from typing import Annotated

from django.http import HttpRequest
from ninja import Query, Router, Schema
from ninja.responses import Status

from onething.accounts.auth import authenticated, gateway_callers
from onething.core.errors import ApiError, responses
from onething.core.text import Int, RowId, Text
from onething.sharing import access, disputes, gateway
from onething.sharing import requests as sharing_requests
from onething.sharing.models import Call, Resource

router = Router(tags=["sharing"], auth=authenticated)


class FieldOut(Schema):
    key: str
    label: str


class ProviderOut(Schema):
    code: str
    name: str


class ResourceOut(Schema):
    code: str
    name: str
    provider: ProviderOut
    sharing_class: str
    subject_kind: str
    fields: list[FieldOut]
    legal_basis: str
    update_frequency: str
    replaces: list[str]


class ResourceList(Schema):
    results: list[ResourceOut]


class RequestIn(Schema):
    resource: Text(64)
    fields: list[Text(64)]
    purpose: Text(200)
    legal_basis: Text(2000, multiline=True)
    items: list[Text(64)] | None = None
    department: Text(18) | None = None


class RequestOut(Schema):
    id: int
    status: str
    status_name: str
    resource: ProviderOut
    provider: ProviderOut
    department: ProviderOut
    fields: list[FieldOut]
    purpose: str
    legal_basis: str
    items: list[str]
    submitted_at: str
    due_date: str | None
    warning: str | None
    valid_from: str | None
    valid_until: str | None
    daily_quota: int | None
    reason: str
    actions: list[str]


class SharingApprovalIn(Schema):
    reason: Text(2000, multiline=True) = ""
    valid_until: Text(10) | None = None
    daily_quota: Int(1, 1_000_000) | None = None


class SharingReasonIn(Schema):
    reason: Text(2000, multiline=True) = ""


class QueryIn(Schema):
    request: RowId
    subject: Text(40)
    purpose: Text(200)
    fields: list[Text(64)] | None = None


class QueryOut(Schema):
    data: dict
    found: bool
    call: int


class SharingCallOut(Schema):
    id: int
    sequence: int | None
    at: str
    request: int | None
    resource: str
    caller: str
    department: str
    purpose: str
    fields: list[str]
    subject: str
    rows: int
    latency_ms: int
    outcome: str
    reason: str


class SharingCallList(Schema):
    results: list[SharingCallOut]


class SharingUseOut(Schema):
    at: str
    department: str
    resource: str
    purpose: str
    legal_basis: str
    fields: list[str]


class SharingUseList(Schema):
    results: list[SharingUseOut]


class DisputeIn(Schema):
    resource: Text(64)
    subject: Text(40)
    field: Text(64)
    claimed: Text(500) = ""
    reason: Text(2000, multiline=True)


class DisputeAnswerIn(Schema):
    corrected: bool
    answer: Text(2000, multiline=True)
    value: Text(500) | None = None


class DisputeOut(Schema):
    id: int
    status: str
    status_name: str
    resource: str
    subject: str
    field: str
    claimed: str
    reason: str
    due_date: str | None
    answer: str


def resource_out(resource: Resource) -> dict:
    return {
        "code": resource.code,
        "name": resource.name,
        "provider": {"code": resource.provider_id, "name": resource.provider.name},
        "sharing_class": resource.sharing_class,
        "subject_kind": resource.subject_kind,
        "fields": [{"key": f["key"], "label": f.get("label") or f["key"]} for f in resource.fields],
        "legal_basis": resource.legal_basis,
        "update_frequency": resource.update_frequency,
        "replaces": list(resource.replaces or []),
    }


def call_out(call: Call) -> dict:
    return {
        "id": call.pk,
        "sequence": call.sequence,
        "at": call.at.isoformat(),
        "request": call.request_id,
        "resource": call.resource_code,
        "caller": call.caller_label,
        "department": call.department_code,
        "purpose": call.purpose,
        "fields": call.fields,
        "subject": call.subject_masked,
        "rows": call.rows,
        "latency_ms": call.latency_ms,
        "outcome": call.outcome,
        "reason": call.reason,
    }


def dispute_out(dispute) -> dict:
    return {
        "id": dispute.pk,
        "status": dispute.status,
        "status_name": dispute.get_status_display(),
        "resource": dispute.resource.code,
        "subject": dispute.subject_masked,
        "field": dispute.field,
        "claimed": dispute.claimed,
        "reason": dispute.reason,
        "due_date": dispute.due_date.isoformat() if dispute.due_date else None,
        "answer": dispute.answer,
    }


def _staff(request: HttpRequest) -> None:
    if not access.is_sharing_staff(request.user):
        raise ApiError(403, "forbidden", "仅限政务部门工作人员")


@router.get("/resources", response=responses(ResourceList, 401, 403), summary="数据资源目录")
def list_resources(request: HttpRequest, provider: Text(18) | None = None) -> dict:
    _staff(request)
    rows = Resource.objects.select_related("provider").order_by("provider_id", "code")
    if provider:
        rows = rows.filter(provider_id=provider)
    return {"results": [resource_out(r) for r in rows[:1000]]}


@router.post(
    "/requests",
    response=responses(RequestOut, 401, 403, 404, 409, status=201),
    summary="提交共享申请（使用部门）",
)
def create_request(request: HttpRequest, payload: RequestIn):
    found = sharing_requests.submit(
        request.user,
        resource=payload.resource,
        fields=payload.fields,
        purpose=payload.purpose,
        legal_basis=payload.legal_basis,
        items=payload.items,
        department=payload.department,
    )
    return Status(
        201, sharing_requests.as_dict(sharing_requests.get_visible(request.user, found.pk), request.user)
    )


@router.get("/requests", response=responses(list[RequestOut], 401), summary="共享申请列表（本人可见范围）")
def list_requests(
    request: HttpRequest, status: Text(20) | None = None, limit: Int(1, 500) = 100
) -> list[dict]:
    rows = access.visible_requests(request.user)
    if status:
        rows = rows.filter(status=status)
    return [sharing_requests.as_dict(r, request.user) for r in rows.order_by("-id")[:limit]]


@router.get("/requests/{request_id}", response=responses(RequestOut, 401, 404), summary="共享申请详情")
def get_request(request: HttpRequest, request_id: RowId) -> dict:
    return sharing_requests.as_dict(sharing_requests.get_visible(request.user, request_id), request.user)


def _after(request: HttpRequest, found) -> dict:
    return sharing_requests.as_dict(sharing_requests.get_visible(request.user, found.pk), request.user)


@router.post(
    "/requests/{request_id}/approve",
    response=responses(RequestOut, 401, 403, 404, 409),
    summary="审核通过 / 同意共享（数据主管部门审核；有条件共享由提供部门批准）",
)
def approve_request(request: HttpRequest, request_id: RowId, payload: SharingApprovalIn) -> dict:
    found = sharing_requests.approve(
        request.user,
        request_id,
        reason=payload.reason,
        valid_until=payload.valid_until,
        daily_quota=payload.daily_quota,
    )
    return _after(request, found)


@router.post(
    "/requests/{request_id}/refuse",
    response=responses(RequestOut, 401, 403, 404, 409),
    summary="不予共享（须说明理由）",
)
def refuse_request(request: HttpRequest, request_id: RowId, payload: SharingReasonIn) -> dict:
    return _after(request, sharing_requests.refuse(request.user, request_id, reason=payload.reason))


def _action(name: str, summary: str):
    def handler(request: HttpRequest, request_id: RowId, payload: SharingReasonIn) -> dict:
        return _after(
            request, sharing_requests.ACTIONS[name](request.user, request_id, reason=payload.reason)
        )

    handler.__name__ = f"{name}_request"
    router.post(
        f"/requests/{{request_id}}/{name}",
        response=responses(RequestOut, 401, 403, 404, 409),
        summary=summary,
    )(handler)


_action("dispute", "对不予共享提出协商（使用部门）")
_action("suspend", "暂停授权（提供部门或数据主管部门）")
_action("resume", "恢复授权")
_action("revoke", "撤销授权")
_action("withdraw", "撤回申请（使用部门）")


@router.post(
    "/query",
    auth=gateway_callers,
    response=responses(QueryOut, 401, 403, 404, 409, 429),
    summary="共享网关查询：仅按批准的用途返回批准的数据项",
)
def query(request: HttpRequest, payload: QueryIn) -> dict:
    answer = gateway.query(request.user, payload.request, payload.subject, payload.purpose, payload.fields)
    return {"data": answer.data, "found": answer.found, "call": answer.call.pk}


@router.get(
    "/calls", response=responses(SharingCallList, 401, 404), summary="调用记录（提供部门、数据主管部门）"
)
def list_calls(request: HttpRequest, request_id: Annotated[RowId, Query(alias="request")]) -> dict:
    return {"results": [call_out(c) for c in gateway.calls_of(request.user, request_id)]}


@router.get(
    "/me/uses", response=responses(SharingUseList, 401), summary="谁用了我的数据（本人及本人授权的企业）"
)
def my_data_uses(request: HttpRequest) -> dict:
    calls = gateway.calls_about(disputes.subjects_of(request.user))
    return {
        "results": [
            {
                "at": c.at.isoformat(),
                "department": c.request.department.name if c.request_id else c.department_code,
                "resource": c.request.resource.name if c.request_id else c.resource_code,
                "purpose": c.purpose,
                "legal_basis": c.legal_basis,
                "fields": c.fields,
            }
            for c in calls
        ]
    }


@router.post(
    "/disputes", response=responses(DisputeOut, 401, 403, 404, 409, status=201), summary="提出数据异议"
)
def create_dispute(request: HttpRequest, payload: DisputeIn):
    found = disputes.raise_dispute(
        request.user,
        resource=payload.resource,
        subject=payload.subject,
        field=payload.field,
        claimed=payload.claimed,
        reason=payload.reason,
    )
    return Status(201, dispute_out(found))


@router.post(
    "/disputes/{dispute_id}/answer",
    response=responses(DisputeOut, 401, 403, 404, 409),
    summary="答复数据异议（提供部门）",
)
def answer_dispute(request: HttpRequest, dispute_id: RowId, payload: DisputeAnswerIn) -> dict:
    return dispute_out(
        disputes.answer(
            request.user, dispute_id, corrected=payload.corrected, answer=payload.answer, value=payload.value
        )
    )
