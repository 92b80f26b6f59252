"""告知承诺事后核查 API: the list of post-checks (``/api/v1/post-checks``) and recording a
result on a sub-case (``/api/v1/applications/{number}/subcases/{sub}/post-check``).

A sub-case approved on the applicant's written commitment (告知承诺) gets a post-check task;
an approver of the sub-case's department records whether the commitment was true. Anyone
else — the applicant, the window, another department — gets 404 with no data, as for every
object on this platform. A failed check notifies the applicant (``lifecycle``).
"""

from __future__ import annotations

from typing import Literal

from django.http import HttpRequest
from django.utils import timezone
from ninja import Router

from onething.accounts.auth import authenticated
from onething.accounts.masking import text_for
from onething.cases import lifecycle
from onething.cases.access import APPROVER, is_owner, roles_for, visible_post_checks
from onething.cases.api.schemas import PostCheckIn, PostCheckOut
from onething.cases.models import Application, PostCheck
from onething.core.errors import ApiError, invalid, responses
from onething.core.text import Int

#: mounted at ``/api/v1/post-checks``
router = Router(tags=["post-checks"], auth=authenticated)
#: mounted at ``/api/v1/applications`` next to the applications router
subcase_router = Router(tags=["post-checks"], auth=authenticated)


def post_check_out(check: PostCheck, today=None, viewer=None) -> dict:
    """One post-check as the API shows it (the result text with personal numbers masked for
    anyone but the case's owner)."""
    sub = check.subcase
    today = today or timezone.localdate()
    return {
        "application": sub.application.number,
        "application_name": sub.application.name,
        "subcase": sub.number,
        "item": sub.item_code,
        "item_name": sub.item_name,
        "department": {"code": sub.department_id, "name": sub.department.name},
        "status": check.status,
        "status_name": check.get_status_display(),
        "due_date": check.due_date,
        "overdue": check.status == "open" and check.due_date < today,
        "result": text_for(check.result, owner=is_owner(viewer, sub.application)),
        "checked_by": check.checked_by.display_name if check.checked_by_id else None,
        "checked_at": check.checked_at,
    }


@router.get("", response=responses(list[PostCheckOut], 401), summary="事后核查任务（按核查期限排序）")
def list_post_checks(
    request: HttpRequest, status: Literal["open", "passed", "failed"] | None = None, limit: Int(1) = 100
):
    """Approvers see their department's post-checks, supervisors those of their region;
    anyone else an empty list. ``status`` filters: open 待核查, passed 属实, failed 不实."""
    qs = visible_post_checks(request.user)
    if status:
        qs = qs.filter(status=status)
    qs = qs.select_related("subcase", "subcase__application", "subcase__department", "checked_by").order_by(
        "due_date", "subcase__number"
    )
    today = timezone.localdate()
    return [post_check_out(c, today, request.user) for c in qs[: max(1, min(limit, 500))]]


def _not_found() -> ApiError:
    return ApiError(404, "not_found", "未找到该事后核查任务")


@subcase_router.post(
    "/{number}/subcases/{sub}/post-check",
    response=responses(PostCheckOut, 401, 403, 404, 409),
    summary="记录事后核查结果（属实/不实）",
)
def record_post_check(request: HttpRequest, number: str, sub: str, payload: PostCheckIn):
    """Only an approver of the sub-case's department may record; for anyone else the
    post-check does not exist (404). Recording twice is refused (409)."""
    app = Application.objects.filter(number=number).select_related("region").first()
    subcase = app.subcases.select_related("department").filter(number=sub).first() if app else None
    if subcase is None or APPROVER not in roles_for(request.user, app, subcase):
        raise _not_found()
    check = PostCheck.objects.filter(subcase=subcase).first()
    if check is None:
        raise _not_found()
    result = payload.result.strip()
    if not result:
        raise invalid("result", "请填写核查结果（result）")
    check = lifecycle.record_post_check(check, request.user, passed=payload.passed, result=result)
    check = PostCheck.objects.select_related(
        "subcase", "subcase__application", "subcase__department", "checked_by"
    ).get(pk=check.pk)
    return post_check_out(check, viewer=request.user)
