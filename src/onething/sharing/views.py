"""Pages of 数据共享 (mounted at ``/sharing/``): the staff home, the resource catalog with its
metering, the request form and page (decisions, history, the query test), the call log,
谁用了我的数据 and 数据异议.

Views are thin: they read forms, call the domain functions (``requests``, ``gateway``,
``disputes``) and render. Scope is the domain's (``access``): anything outside it is a plain
404. A refusal of the domain is shown next to the field it concerns, in Chinese, never a 500.
"""

from __future__ import annotations

import datetime as dt
import math
from types import SimpleNamespace

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from onething.audit.log import history as audit_history
from onething.catalog.models import Item
from onething.core.errors import Refused, status_of
from onething.core.pages import row_id
from onething.directory.models import Department
from onething.kernel.errors import Invalid, NotFound
from onething.sharing import access, calllog, disputes, gateway
from onething.sharing import requests as sharing_requests
from onething.sharing.machines import DISPUTE, REQUEST
from onething.sharing.models import Call, Dispute, Request, Resource, SharingClass

S = Request.Status
#: the sharing class as a badge
CLASS_BADGES = {
    SharingClass.UNCONDITIONAL: "badge-ok",
    SharingClass.CONDITIONAL: "badge-warn",
    SharingClass.NONE: "badge-danger",
}
WARNINGS = {"red": ("badge-danger", "红灯：已超期"), "yellow": ("badge-warn", "黄灯：临近期限")}
#: the approve events that end in an approval (the others pass the request on)
GRANTING = {"grant", "approve", "settle_approve"}
#: buttons whose 理由 is required
REASON_REQUIRED = {"refuse", "dispute", "suspend", "revoke"}
METERING_DAYS = 30


def _error(exc) -> SimpleNamespace:
    return SimpleNamespace(message=exc.message, field=getattr(exc, "field", None) or "")


def _staff_only(user) -> None:
    if not access.is_sharing_staff(user):
        raise Http404


def _warning(level: str):
    badge, words = WARNINGS.get(level or "", ("", ""))
    return {"badge": badge, "words": words} if words else None


# ------------------------------------------------------------------------------- staff home


@login_required
@require_GET
def home(request):
    """数据共享 for staff: the requests within my scope (filter by status), open 数据异议."""
    user = request.user
    _staff_only(user)
    status = request.GET.get("status", "")
    rows = access.visible_requests(user).order_by("-id")
    if status in S.values:
        rows = rows.filter(status=status)
    else:
        status = ""
    open_disputes = [
        d
        for d in disputes.visible_disputes(user)
        .filter(status=Dispute.Status.OPEN)
        .order_by("due_date", "id")[:100]
        if access.is_authority(user) or access.dispute_roles(user, d)
    ]
    context = {
        "rows": [{"r": r, "warning": _warning(r.warning)} for r in rows[:200]],
        "statuses": S.choices,
        "status": status,
        "may_request": bool(access.staff_departments(user)),
        "is_authority": access.is_authority(user),
        "open_disputes": open_disputes,
    }
    return render(request, "sharing/home.html", context)


# ------------------------------------------------------------------------------- resources


def _resource_view(resource: Resource) -> dict:
    return {
        "r": resource,
        "badge": CLASS_BADGES.get(resource.sharing_class, ""),
        "fields": [
            {"key": f["key"], "label": f.get("label") or f["key"], "personal": bool(f.get("personal"))}
            for f in resource.fields
        ],
    }


@login_required
@require_GET
def resources(request):
    """数据资源目录."""
    _staff_only(request.user)
    rows = Resource.objects.select_related("provider").order_by("provider_id", "code")
    return render(request, "sharing/resources.html", {"rows": [_resource_view(r) for r in rows[:1000]]})


def _p95(values: list[int]) -> int:
    if not values:
        return 0
    ordered = sorted(values)
    return ordered[max(0, math.ceil(0.95 * len(ordered)) - 1)]


def _metering(resource: Resource, now: dt.datetime) -> dict:
    """Calls of the last 30 days per approval, success rate, average and p95 latency."""
    since = now - dt.timedelta(days=METERING_DAYS)
    calls = list(
        Call.objects.filter(resource_code=resource.code, at__gte=since).values_list(
            "request_id", "outcome", "latency_ms"
        )[:100_000]
    )
    approvals = list(
        Request.objects.filter(resource=resource).select_related("department").order_by("-id")[:500]
    )
    per: dict[int | None, dict[str, int]] = {}
    for request_id, outcome, _latency in calls:
        counts = per.setdefault(request_id, {"allowed": 0, "denied": 0, "failed": 0})
        counts[outcome] = counts.get(outcome, 0) + 1
    latencies = [latency for _r, outcome, latency in calls if outcome != Call.Outcome.DENIED]
    total = len(calls)
    allowed = sum(1 for _r, outcome, _l in calls if outcome == Call.Outcome.ALLOWED)
    answered = sum(1 for _r, outcome, _l in calls if outcome != Call.Outcome.DENIED)
    return {
        "days": METERING_DAYS,
        "total": total,
        "allowed": allowed,
        "denied": sum(1 for _r, outcome, _l in calls if outcome == Call.Outcome.DENIED),
        "failed": sum(1 for _r, outcome, _l in calls if outcome == Call.Outcome.FAILED),
        # the provider's success: answered calls that got an answer (denials are the gateway's)
        "success_rate": f"{allowed * 100 / answered:.1f}%" if answered else "—",
        "average_ms": round(sum(latencies) / len(latencies)) if latencies else 0,
        "p95_ms": _p95(latencies),
        "approvals": [
            {"r": a, "counts": per.get(a.pk, {"allowed": 0, "denied": 0, "failed": 0})} for a in approvals
        ],
    }


@login_required
@require_GET
def resource_detail(request, code: str):
    """One resource: its public description; metering for its provider's admins and the authority."""
    _staff_only(request.user)
    resource = Resource.objects.select_related("provider").filter(code=code[:64]).first()
    if resource is None:
        raise Http404
    metering = _metering(resource, timezone.now()) if access.may_read_calls(request.user, resource) else None
    context = {
        **_resource_view(resource),
        "metering": metering,
        "may_request": bool(access.staff_departments(request.user)),
    }
    return render(request, "sharing/resource.html", context)


# ------------------------------------------------------------------------------- new request


def _lines(value: str) -> list[str]:
    return [line.strip() for line in (value or "").splitlines() if line.strip()]


@login_required
def new_request(request):
    """申请共享数据 (staff of a using department)."""
    user = request.user
    mine = sorted(access.staff_departments(user))
    if not mine:
        raise Http404
    data = request.POST if request.method == "POST" else request.GET
    code = (data.get("resource") or "")[:64]
    resource = Resource.objects.select_related("provider").filter(code=code).first() if code else None
    error = None
    if request.method == "POST":
        try:
            if resource is None:
                raise (
                    Invalid("请选择数据资源", "resource")
                    if not code
                    else NotFound(f"数据资源 {code} 不存在", "resource")
                )
            created = sharing_requests.submit(
                user,
                resource=code,
                fields=request.POST.getlist("fields"),
                purpose=request.POST.get("purpose", ""),
                legal_basis=request.POST.get("legal_basis", ""),
                items=[*request.POST.getlist("items"), *_lines(request.POST.get("item_codes", ""))],
                department=request.POST.get("department") or None,
            )
        except Refused as exc:
            error = _error(exc)
        else:
            if created.status == S.REFUSED:
                messages.warning(request, f"共享申请 {created.pk} 已提交：{created.reason}")
            else:
                messages.success(
                    request, f"共享申请 {created.pk} 已提交，等待数据主管部门审核（2个工作日内）"
                )
            return redirect("sharing:request", request_id=created.pk)
    departments = dict(Department.objects.filter(code__in=mine).order_by("code").values_list("code", "name"))
    items = Item.objects.filter(department_id__in=mine).order_by("department_id", "code")[:300]
    chosen_items = set(data.getlist("items")) if hasattr(data, "getlist") else set()
    context = {
        "resources": Resource.objects.select_related("provider").order_by("provider_id", "code"),
        "resource": _resource_view(resource) if resource else None,
        "code": code,
        "chosen_fields": set(data.getlist("fields")) if request.method == "POST" else set(),
        "purpose": data.get("purpose", ""),
        "legal_basis": data.get("legal_basis", "") if request.method == "POST" else "",
        "item_codes": data.get("item_codes", ""),
        "items": [{"i": i, "chosen": i.code in chosen_items} for i in items],
        "departments": departments,
        "department": data.get("department", ""),
        "error": error,
    }
    return render(request, "sharing/new.html", context, status=400 if error is not None else 200)


# ------------------------------------------------------------------------------- request page


def _action_names() -> dict[str, str]:
    names: dict[str, str] = {}
    for e in REQUEST.events.values():
        names.setdefault(e.audit or f"{REQUEST.audit_kind}.{e.name}", e.label)
    return names


ACTION_NAMES = _action_names()


def _buttons(user, found: Request) -> list[dict]:
    """One form per allowed action: its button, the machine's label, what it asks."""
    out, seen = [], set()
    for event in sharing_requests.actions(user, found):
        name = sharing_requests.BUTTON_OF.get(event)
        if name is None or name in seen:
            continue
        seen.add(name)
        out.append(
            {
                "name": name,
                "event": event,
                "label": REQUEST.event_label(event),
                "grants": event in GRANTING,
                "reason_required": name in REASON_REQUIRED,
            }
        )
    return out


def _request_page(request, found: Request, *, error=None, error_action="", answer=None, status=200):
    user = request.user
    today = timezone.localdate()
    view = sharing_requests.as_dict(found, user)
    may_query = found.usable_on(today) and access.may_call(user, found)
    labels = found.resource.field_labels()
    records = audit_history("sharing_request", str(found.pk))
    buttons = _buttons(user, found)
    shown_in_form = (error_action == "query" and may_query) or error_action in {b["name"] for b in buttons}
    context = {
        "req": view,
        "obj": found,
        "class_badge": CLASS_BADGES.get(found.resource.sharing_class, ""),
        "class_name": found.resource.get_sharing_class_display(),
        "warning": _warning(found.warning),
        "items": Item.objects.filter(code__in=found.items).order_by("code") if found.items else [],
        "history": [
            {
                "at": h.at,
                "action": ACTION_NAMES.get(h.action, h.action),
                "actor": h.actor_label,
                "reason": h.reason,
            }
            for h in records
        ],
        "buttons": buttons,
        # a refusal of an action this page has no form for (no longer allowed, another role)
        "loose_error": error if error is not None and not shown_in_form else None,
        "may_query": may_query,
        "may_read_calls": access.may_read_calls(user, found.resource),
        "error": error,
        "error_action": error_action,
        "answer": answer,
        "answer_rows": [{"label": labels.get(k, k), "value": v} for k, v in (answer.data or {}).items()]
        if answer is not None
        else [],
        "query_subject": request.POST.get("subject", "") if error_action == "query" else "",
        "query_purpose": request.POST.get("purpose", found.purpose)
        if error_action == "query"
        else found.purpose,
        "subject_help": "统一社会信用代码（18位）"
        if found.resource.subject_kind == "enterprise"
        else "公民身份号码（18位）",
        "latest": today + dt.timedelta(days=3 * 365),
        "today": today,
    }
    return render(request, "sharing/request.html", context, status=status)


def _visible_request(user, request_id) -> Request:
    try:
        return sharing_requests.get_visible(user, row_id(request_id))
    except Refused:
        raise Http404 from None


@login_required
@require_GET
def request_detail(request, request_id: int):
    found = _visible_request(request.user, request_id)
    return _request_page(request, found)


@login_required
@require_POST
def act(request, request_id: int, name: str):
    """One decision on a request: ``requests.ACTIONS[name]``, then back to the page."""
    found = _visible_request(request.user, request_id)
    function = sharing_requests.ACTIONS.get(name)
    if function is None:
        raise Http404
    kwargs = {"reason": request.POST.get("reason", "")}
    if name == "approve":
        kwargs["valid_until"] = request.POST.get("valid_until", "")
        kwargs["daily_quota"] = request.POST.get("daily_quota", "")
    try:
        done = function(request.user, found.pk, **kwargs)
    except Refused as exc:
        if status_of(exc) == 404:
            raise Http404 from None
        found = _visible_request(request.user, found.pk)
        return _request_page(request, found, error=_error(exc), error_action=name, status=400)
    messages.success(request, f"已处理：共享申请 {done.pk} 现为“{done.get_status_display()}”")
    return redirect("sharing:request", request_id=done.pk)


@login_required
@require_POST
def query(request, request_id: int):
    """查询测试: one gateway call under the approval, the data shown with its field labels."""
    found = _visible_request(request.user, request_id)
    if not access.may_call(request.user, found):
        raise Http404
    try:
        answer = gateway.query(
            request.user, found.pk, request.POST.get("subject", ""), request.POST.get("purpose", "")
        )
    except Refused as exc:
        found = _visible_request(request.user, found.pk)
        field = getattr(exc, "field", None)
        error = SimpleNamespace(message=exc.message, field=field if field in ("subject", "purpose") else "")
        return _request_page(request, found, error=error, error_action="query", status=400)
    found = _visible_request(request.user, found.pk)
    return _request_page(request, found, answer=answer, error_action="query")


@login_required
@require_GET
def calls(request, request_id: int):
    """调用记录 of an approval (its provider's admins and the data authority)."""
    pk = row_id(request_id)
    try:
        rows = gateway.calls_of(request.user, pk)
    except Refused:
        raise Http404 from None
    found = Request.objects.select_related("resource", "department").get(pk=pk)
    labels = found.resource.field_labels()
    context = {
        "obj": found,
        "rows": [
            {"c": c, "fields": [labels.get(k, k) for k in c.fields], "badge": _outcome_badge(c.outcome)}
            for c in rows
        ],
    }
    return render(request, "sharing/calls.html", context)


def _outcome_badge(outcome: str) -> str:
    return {"allowed": "badge-ok", "denied": "badge-danger", "failed": "badge-warn"}.get(outcome, "")


# ------------------------------------------------------------------------------- 谁用了我的数据


def _my_page(request, *, error=None, error_call=None, status=200):
    user = request.user
    subjects = disputes.subjects_of(user)
    rows = []
    resources = {r.code: r for r in Resource.objects.all()}
    for c in gateway.calls_about(subjects):
        resource = resources.get(c.resource_code)
        labels = resource.field_labels() if resource else {}
        rows.append(
            {
                "c": c,
                "department": c.request.department.name if c.request_id else c.department_code,
                "resource": resource,
                "resource_name": resource.name if resource else c.resource_code,
                "fields": [labels.get(k, k) for k in c.fields],
                "choices": [(k, labels[k]) for k in (resource.field_keys() if resource else [])],
            }
        )
    mine = disputes.visible_disputes(user).filter(raised_by=user).order_by("-id")[:100]
    context = {
        "rows": rows,
        "disputes": mine,
        "error": error,
        "error_call": error_call,
        "form": request.POST if error else {},
        "has_subjects": bool(subjects),
    }
    return render(request, "sharing/me.html", context, status=status)


@login_required
@require_GET
def my_data(request):
    """谁用了我的数据: every allowed call about me and the enterprises I am authorised for."""
    return _my_page(request)


def _my_call(user, call_id) -> Call:
    """A call about me (or my enterprise), else 404."""
    keys = {calllog.subject_key(s): s for s in disputes.subjects_of(user)}
    found = Call.objects.filter(pk=row_id(call_id), outcome=Call.Outcome.ALLOWED).first()
    if found is None or found.subject_key not in keys:
        raise Http404
    found.subject_number = keys[found.subject_key]
    return found


@login_required
@require_POST
def raise_dispute(request):
    """提出异议 about a value in a use of my data."""
    call = _my_call(request.user, request.POST.get("call"))
    try:
        raised = disputes.raise_dispute(
            request.user,
            resource=call.resource_code,
            subject=call.subject_number,
            field=request.POST.get("field", ""),
            claimed=request.POST.get("claimed", ""),
            reason=request.POST.get("reason", ""),
        )
    except Refused as exc:
        return _my_page(request, error=_error(exc), error_call=call.pk, status=400)
    messages.success(
        request,
        f"数据异议 {raised.pk} 已提交，提供部门将于 {raised.due_date:%Y-%m-%d} 前核实答复",
    )
    return redirect("sharing:dispute", dispute_id=raised.pk)


# ------------------------------------------------------------------------------- 数据异议


def _visible_dispute(user, dispute_id) -> Dispute:
    found = disputes.visible_disputes(user).filter(pk=row_id(dispute_id)).first()
    if found is None:
        raise Http404
    return found


def _dispute_page(request, found: Dispute, *, error=None, status=200):
    labels = found.resource.field_labels()
    roles = access.dispute_roles(request.user, found)
    records = audit_history("sharing_dispute", str(found.pk))
    names = {e.audit or f"{DISPUTE.audit_kind}.{e.name}": e.label for e in DISPUTE.events.values()}
    context = {
        "d": found,
        "field_label": labels.get(found.field, found.field),
        "may_answer": found.status == Dispute.Status.OPEN and "provider" in roles,
        "error": error,
        "form": request.POST if error else {},
        "history": [
            {"at": h.at, "action": names.get(h.action, h.action), "actor": h.actor_label, "reason": h.reason}
            for h in records
        ],
        "status_badge": {"open": "badge-warn", "corrected": "badge-ok", "upheld": "badge-muted"}.get(
            found.status, ""
        ),
    }
    return render(request, "sharing/dispute.html", context, status=status)


@login_required
@require_GET
def dispute_detail(request, dispute_id: int):
    return _dispute_page(request, _visible_dispute(request.user, dispute_id))


@login_required
@require_POST
def answer_dispute(request, dispute_id: int):
    """The provider's answer: 已更正 (with the new value) or 经核实无误, with 答复."""
    found = _visible_dispute(request.user, dispute_id)
    outcome = request.POST.get("outcome", "")
    try:
        if outcome not in ("corrected", "upheld"):
            raise Invalid("请选择核实结果：已更正或经核实无误", "outcome")
        answer = request.POST.get("answer", "")
        disputes.answer(
            request.user,
            found.pk,
            corrected=outcome == "corrected",
            answer=answer,
            value=request.POST.get("value", ""),
        )
    except Refused as exc:
        if status_of(exc) == 404:
            raise Http404 from None
        found = _visible_dispute(request.user, found.pk)
        error = _error(exc)
        return _dispute_page(request, found, error=error, status=400)
    messages.success(request, "已答复数据异议，并已通知提出人")
    return redirect("sharing:dispute", dispute_id=found.pk)
