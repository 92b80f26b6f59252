"""查询进度: one read model of an application for the API and the web pages.

Personal numbers (公民身份号码, mobile phone and bank card numbers) are shown in full only to
the owner, the applicant person (``access.is_owner``): in the applicant block, in the form and
in every text someone typed (reasons, history, extension and post-check texts). Everyone else
— staff, the agent, the enterprise's other people — sees them masked (accounts.masking).
Approvers see only their own department's sub-cases in detail.
"""

from __future__ import annotations

from django.db.models import Q
from django.utils import timezone

from onething.accounts.masking import text_for
from onething.audit.models import AuditRecord
from onething.calendar.service import get_calendar
from onething.cases import lifecycle, results, urgency
from onething.cases.access import (
    APPLICANT,
    APPROVER,
    CLERK,
    SUPERVISOR,
    approver_departments,
    is_owner,
    roles_for,
)
from onething.cases.lifecycle.base import inspection_state, pending_extension
from onething.cases.lifecycle.delivery import DELIVERY_METHODS
from onething.cases.machines import DECIDED_SUBCASE, EXTENSION, INSPECTION, MACHINES, RUNNING
from onething.cases.models import Application, Extension, SharedData, SubCase
from onething.cases.notices import verify_url
from onething.cases.personal import form_for_viewer
from onething.kernel.codes import mask_id_number, mask_phone
from onething.kernel.machine import NEW

#: records of a case that are not an event of its machines
RECORD_NAMES = {
    "application.upload": "上传材料",
    "application.receive": "窗口收取纸质材料",
    "subcase.result_file": "上传办理结果文件",
}


def _action_names() -> dict[str, str]:
    """What each audit action reads as in the history: the label of the machine event that
    writes it (the first one, where two share a record), and the plain records above."""
    names: dict[str, str] = {}
    for machine in MACHINES.values():
        for e in machine.events.values():
            names.setdefault(e.audit or f"{machine.audit_kind}.{e.name}", e.label)
    return {**names, **RECORD_NAMES}


ACTION_NAMES = _action_names()


#: internal steps of a case, not shown in the applicant's history: a 延期 request and its
#: refusal are between the department and the supervisor (the applicant is told an approved
#: extension and its reason)
INTERNAL_ACTIONS = ("subcase.request_extension", "subcase.refuse_extension", "subcase.supervise")


def material_view(m) -> dict:
    """One material of an application as the API shows it (progress and upload answer)."""
    return {
        "id": m.id,
        "material": m.material,
        "name": m.name,
        "source": m.source,
        "source_name": m.get_source_display(),
        "size": m.size,
        "content_type": m.content_type,
        "commitment_date": m.commitment_date,
        # an uploaded file is there; a 容缺 gap counts once it was made good
        "fulfilled": m.source == "upload" or m.fulfilled_at is not None,
        "fetch_status": m.fetch_status,
        "fetch_note": m.fetch_note,
    }


def shared_views(app: Application, subs: list[SubCase], viewer, owner: bool) -> dict[int, list[dict]]:
    """What data sharing returned, per sub-case (one query). The values are the applicant's
    data: whole for the applicant and for the sub-case's own department (the approval's
    holder); personal numbers masked for anyone else (a clerk, a supervisor)."""
    names = {m["material"]: m["name"] for m in app.plan.get("materials", [])}
    departments = approver_departments(viewer)
    out: dict[int, list[dict]] = {}
    for row in SharedData.objects.filter(subcase__in=subs).order_by("id"):
        sub_department = next((s.department_id for s in subs if s.pk == row.subcase_id), None)
        whole = owner or sub_department in departments
        out.setdefault(row.subcase_id, []).append(
            {
                "material": row.material,
                "material_name": names.get(row.material, row.material),
                "resource": row.resource_code,
                "resource_name": row.resource_name,
                "request": row.request_id,
                "call": row.call_id,
                "licence": row.licence_identifier,
                "fetched_at": row.fetched_at,
                "found": row.found,
                "sha256": row.sha256,
                "values": [
                    {
                        "key": key,
                        "label": (row.labels or {}).get(key, key),
                        "value": str(value) if whole else text_for(str(value), owner=False),
                    }
                    for key, value in (row.data or {}).items()
                ],
                "note": row.note,
            }
        )
    return out


def _mask_form(plan: dict, form: dict, needed_items=frozenset()) -> dict:
    """The form for anyone but the owner (``personal.form_for_viewer``)."""
    return form_for_viewer(plan, form, owner=False, needed_items=needed_items)


#: the sub-case states in which its department works on the form
REVIEWING = (SubCase.Status.IN_REVIEW, SubCase.Status.SPECIAL)


def needed_items(viewer, roles: set[str], subs: list[SubCase]) -> set[str]:
    """Items whose review ``viewer`` is doing now: the step that needs their account fields."""
    if APPROVER not in roles:
        return set()
    departments = approver_departments(viewer)
    return {s.item_code for s in subs if s.department_id in departments and s.status in REVIEWING}


def post_check_view(sub: SubCase, owner: bool) -> dict | None:
    """The 告知承诺 post-check of ``sub``, if it has one (result text masked for non-owners)."""
    check = sub.post_check if hasattr(sub, "post_check") else None
    if check is None:
        return None
    return {
        "status": check.status,
        "status_name": check.get_status_display(),
        "due_date": check.due_date,
        "result": text_for(check.result, owner=owner),
        "checked_at": check.checked_at,
    }


def extension_views(subs: list[SubCase], staff: bool, owner: bool) -> dict[int, list[dict]]:
    """延期 history per sub-case id (one query). The applicant sees the approved extensions, with
    their reason (art. 42); requests still pending, refused or lapsed are internal. Reasons are
    masked for anyone but the owner."""
    qs = Extension.objects.filter(subcase__in=subs).select_related("requested_by", "decided_by")
    qs = qs.order_by("id")
    if not staff:
        qs = qs.filter(status=Extension.Status.APPROVED)
    out: dict[int, list[dict]] = {}
    for e in qs:
        out.setdefault(e.subcase_id, []).append(
            {
                "id": e.pk,
                "days": e.days,
                "reason": text_for(e.reason, owner=owner),
                "status": e.status,
                "status_name": e.get_status_display(),
                "requested_at": e.requested_at,
                "requested_by": e.requested_by.display_name if staff else None,
                "decided_at": e.decided_at,
                "decided_by": e.decided_by.display_name if staff and e.decided_by_id else None,
                "refusal_reason": text_for(e.refusal_reason, owner=owner) if staff else "",
            }
        )
    return out


def visible_subcases(app: Application, viewer, roles: set[str]) -> list[SubCase]:
    subs = list(app.subcases.select_related("department", "handler", "post_check").order_by("position"))
    if roles & {APPLICANT, CLERK, SUPERVISOR}:
        return subs
    departments = approver_departments(viewer)
    return [s for s in subs if s.department_id in departments]


def application_view(app: Application, viewer, roles: set[str] | None = None, today=None) -> dict:
    """The application as ``viewer`` may see it; ``today`` (default: the local date) words the
    sub-cases' lights (``urgency.light``: “黄灯：剩余1个工作日”, none once decided)."""
    roles = roles if roles is not None else roles_for(viewer, app)
    today = today or timezone.localdate()
    owner = is_owner(viewer, app)
    subs = visible_subcases(app, viewer, roles)
    staff = bool(roles & {CLERK, APPROVER, SUPERVISOR})
    extensions = extension_views(subs, staff, owner)
    numbers = [app.number, *(s.number for s in subs)]
    form = dict(app.form) if owner else _mask_form(app.plan, app.form, needed_items(viewer, roles, subs))
    result_files = results.views_of(subs, owner)
    shared = shared_views(app, subs, viewer, owner)
    calendar = get_calendar() if any(s.warning for s in subs) else None  # read once, when needed
    history = (
        AuditRecord.objects.filter(
            Q(object_type="application", object_id=app.number)
            | Q(object_type="subcase", object_id__in=numbers)
        )
        .order_by("id")  # written order; pending records (not yet linked) included
        .values("at", "action", "actor_label", "reason", "object_id")
    )
    if not staff:
        history = history.exclude(action__in=INTERNAL_ACTIONS)
    return {
        "number": app.number,
        "status": app.status,
        "status_name": app.get_status_display(),
        "kind": app.kind,
        "code": app.code,
        "name": app.name,
        "channel": app.channel,
        "channel_name": app.get_channel_display(),
        "region": app.region_id,
        "hall": app.hall.name if app.hall_id else None,
        "applicant": {
            "name": app.applicant_name,
            "id_number": app.applicant_id_number if owner else mask_id_number(app.applicant_id_number),
            "phone": app.applicant_phone if owner else mask_phone(app.applicant_phone),
            "enterprise": app.enterprise.name if app.enterprise_id else None,
            "agent": app.agent.display_name if app.agent_id else None,
        },
        "intake": app.intake,
        "delivery": {
            "method": app.delivery_method or "window",
            "method_name": DELIVERY_METHODS[app.delivery_method or "window"],
            "address": text_for(app.delivery_address, owner=owner),
        },
        "limit_days": app.limit_days,
        "created_at": app.created_at,
        "accepted_at": app.accepted_at,
        "due_date": app.due_date,
        "warning": app.warning,
        "light": urgency.application_light(app),
        "gap_commitment_date": app.gap_commitment_date,
        "reason": text_for(app.reason, owner=owner),
        "form": form,
        "form_fields": [
            {"element": f["element"], "label": f["label"], "value": form.get(f["element"], "")}
            for f in app.plan.get("form", [])
        ],
        "subcases": [
            {
                "number": s.number,
                "item": s.item_code,
                "name": s.item_name,
                "department": {"code": s.department_id, "name": s.department.name},
                "status": s.status,
                "status_name": s.get_status_display(),
                "after": s.after,
                "limit_days": s.limit_days,
                "started_on": s.started_on,
                "due_date": s.due_date,
                "warning": s.warning,
                "light": urgency.light(s, today, calendar),
                "handler": s.handler.display_name if s.handler_id else None,
                "decision": s.decision,
                "reasons": text_for(s.reasons, owner=owner),
                "decided_at": s.decided_at,
                "inspection_required": s.inspection_required,
                "post_check": post_check_view(s, owner),
                "extensions": extensions.get(s.pk, []),
                "result_files": result_files.get(s.pk, []),
                "shared": shared.get(s.pk, []),
                "actions": subcase_actions(app, s, roles_for(viewer, app, s)),
            }
            for s in subs
        ],
        "materials": [material_view(m) for m in app.materials.all()],
        "required_materials": [
            {
                k: m.get(k)
                for k in (
                    "material",
                    "name",
                    "kind",
                    "originals",
                    "copies",
                    "required",
                    "exempt",
                    "exempt_via",
                )
            }
            for m in app.plan.get("materials", [])
        ],
        "notices": [
            {
                "id": str(n.id),
                "kind": n.kind,
                "kind_name": n.get_kind_display(),
                "number": n.number,
                "issued_on": n.issued_on,
                "department": n.department_name,
                "url": f"/api/v1/applications/{app.number}/notices/{n.id}.pdf",
                "verify_url": verify_url(n),
            }
            for n in app.notices.select_related("document").order_by("created_at")
        ],
        "history": [
            {
                "at": h["at"],
                "action": ACTION_NAMES.get(h["action"], h["action"])
                + ("" if h["object_id"] == app.number else f"（{h['object_id'][-2:]}）"),
                "actor": h["actor_label"],
                "reason": text_for(h["reason"], owner=owner)
                if roles & {APPLICANT, CLERK, APPROVER, SUPERVISOR}
                else "",
            }
            for h in history
        ],
        "actions": application_actions(app, roles),
    }


def subcase_actions(app: Application, sub: SubCase, roles: set[str]) -> list[str]:
    """The sub-case's buttons: its own events and a new 延期 (request or grant), each as the
    machines allow them for ``roles`` now (guards included)."""
    if app.status not in RUNNING:
        return []
    guard_context = lifecycle.context(app, sub, pending_extension=pending_extension(sub) is not None)
    return [
        *lifecycle.SUBCASE.allowed(sub.status, roles, {**guard_context, "decision": None}),
        *EXTENSION.allowed(NEW, roles, guard_context),
    ]


def application_actions(app: Application, roles: set[str]) -> list[str]:
    """The application's buttons: its events and the joint inspection's (scheduled or not)."""
    inspection = inspection_state(app)
    needs = app.subcases.filter(inspection_required=True).exclude(status__in=DECIDED_SUBCASE)
    guard_context = lifecycle.context(app, needs_inspection=needs.exists())
    return [
        *lifecycle.APPLICATION.allowed(app.status, roles),
        *INSPECTION.allowed(inspection or NEW, roles, guard_context),
    ]
