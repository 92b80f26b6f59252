"""延期申请 API (``/api/v1/extensions``): the supervisor's list of requests and the decision.

An approver files a request through ``POST /applications/{number}/subcases/{sub}/extend``
(answer 202, pending); a supervisor of the region approves or refuses it here. Approvers see
their departments' requests (and cannot decide them: 403); supervisors those of their regions;
a request outside the caller's scope is 404, with no data.
"""

from __future__ import annotations

from django.http import HttpRequest
from ninja import Router

from onething.accounts.auth import authenticated
from onething.accounts.masking import text_for
from onething.cases import lifecycle
from onething.cases.access import is_owner, visible_extensions
from onething.cases.api.schemas import ExtensionOut, ExtensionStatus, RefuseExtensionIn
from onething.cases.models import Extension
from onething.core.errors import ApiError, responses
from onething.core.text import Int, RowId

router = Router(tags=["extensions"], auth=authenticated)

DECISION = responses(ExtensionOut, 401, 403, 404, 409)


def extension_out(ext: Extension, viewer=None) -> dict:
    """One 延期 request as the API shows it (reasons masked for anyone but the case's owner)."""
    sub = ext.subcase
    owner = is_owner(viewer, sub.application)
    return {
        "id": ext.pk,
        "application": sub.application.number,
        "subcase": sub.number,
        "item_name": sub.item_name,
        "department": {"code": sub.department_id, "name": sub.department.name},
        "days": ext.days,
        "reason": text_for(ext.reason, owner=owner),
        "status": ext.status,
        "status_name": ext.get_status_display(),
        "requested_by": ext.requested_by.display_name,
        "requested_at": ext.requested_at,
        "decided_by": ext.decided_by.display_name if ext.decided_by_id else None,
        "decided_at": ext.decided_at,
        "refusal_reason": text_for(ext.refusal_reason, owner=owner),
        "approved_days": sub.extension_days,
        "due_date": sub.due_date,
    }


def _related(qs):
    return qs.select_related("subcase__application", "subcase__department", "requested_by", "decided_by")


def _visible(request: HttpRequest, extension_id: RowId) -> Extension:
    ext = _related(visible_extensions(request.user)).filter(pk=extension_id).first()
    if ext is None:
        raise ApiError(404, "not_found", "未找到该延期申请")
    return ext


def _reloaded(ext: Extension, viewer) -> dict:
    return extension_out(_related(Extension.objects).get(pk=ext.pk), viewer)


@router.get(
    "", response=responses(list[ExtensionOut], 401), summary="延期申请列表（督查：本区划；审批部门：本部门）"
)
def list_extensions(
    request: HttpRequest, status: ExtensionStatus | None = None, limit: Int(1) = 100
) -> list[dict]:
    qs = _related(visible_extensions(request.user))
    if status:
        qs = qs.filter(status=status)
    return [
        extension_out(e, request.user) for e in qs.order_by("requested_at", "id")[: max(1, min(limit, 500))]
    ]


@router.get("/{extension_id}", response=responses(ExtensionOut, 401, 404), summary="延期申请详情")
def get_extension(request: HttpRequest, extension_id: RowId):
    return extension_out(_visible(request, extension_id), request.user)


@router.post("/{extension_id}/approve", response=DECISION, summary="批准延期（督查）")
def approve(request: HttpRequest, extension_id: RowId):
    ext = lifecycle.approve_extension(_visible(request, extension_id), request.user)
    return _reloaded(ext, request.user)


@router.post("/{extension_id}/refuse", response=DECISION, summary="不批准延期（督查，须说明理由）")
def refuse(request: HttpRequest, extension_id: RowId, payload: RefuseExtensionIn):
    ext = lifecycle.refuse_extension(_visible(request, extension_id), request.user, reason=payload.reason)
    return _reloaded(ext, request.user)
