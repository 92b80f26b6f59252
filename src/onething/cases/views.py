"""Portal pages of 办件: apply, my applications, progress, window intake, approver queue,
supervisor board, notices and the public verification page.

Views are thin: they read forms, call ``intake``/``lifecycle`` and render. Object access uses
the same rules as the API (``access.roles_for``): anyone who may not see an application gets
a plain 404 page with nothing of the application in it.
"""

from __future__ import annotations

import datetime as dt
import uuid
from types import SimpleNamespace
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.db.models import Q
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from onething.accounts.masking import text_for
from onething.audit.log import record as audit_record
from onething.cases import (
    assistance,
    board,
    desk,
    drafts,
    exempt,
    intake,
    lifecycle,
    machines,
    notices,
    results,
    urgency,
)
from onething.cases import counter as counter_page
from onething.cases.access import (
    APPLICANT,
    APPROVER,
    CLERK,
    SUPERVISOR,
    approver_departments,
    authorised_enterprises,
    clerk_halls,
    is_owner,
    own_applications,
    roles_for,
    supervised_cases,
    supervised_regions,
)
from onething.cases.lifecycle.delivery import DELIVERY_METHODS
from onething.cases.lifecycle.intake_decisions import is_key_material
from onething.cases.models import (
    Application,
    Channel,
    Extension,
    Inspection,
    Material,
    Notice,
    PostCheck,
    ResultFile,
    SubCase,
)
from onething.cases.progress import application_view, visible_subcases
from onething.core import text as core_text
from onething.core.errors import Refused, status_of
from onething.core.pages import refused
from onething.core.text import label as textrule_label
from onething.documents import views as documents_views
from onething.halls import queue
from onething.kernel import errors
from onething.kernel import text as textrule

S = Application.Status


def _visible(request, number: str) -> tuple[Application, set[str]]:
    app = Application.objects.select_related("region", "hall", "enterprise").filter(number=number).first()
    roles = roles_for(request.user, app) if app is not None else set()
    if app is None or not roles:
        raise Http404("未找到该办件")
    return app, roles


# ------------------------------------------------------------------------------- applicant


@login_required
@require_GET
def my_applications(request):
    """我的办件."""
    apps = own_applications(request.user).order_by("-created_at")[:100]
    held = {r.role for r in request.user.roles()}
    staff = {
        "clerk": bool(clerk_halls(request.user)),
        "approver": bool(approver_departments(request.user)),
        "supervisor": bool(supervised_regions(request.user)),
        # 好差评 (templates may link to ratings' pages): 差评整改 for the units' admins and the
        # reviewers, 申诉复核 for the reviewers, 我收到的评价 for any staff member
        "rectifications": bool(held & {"department_admin", "hall_manager", "supervisor", "platform_admin"}),
        "appeals": bool(held & {"supervisor", "platform_admin"}),
        "received": bool(held),
        # 12345 (templates may link to hotline's pages; role names, no import of hotline)
        "hotline": bool(
            held & {"hotline_operator", "hotline_handler", "department_admin", "supervisor", "platform_admin"}
        ),
        "not_done": bool(held & {"window_clerk", "hall_manager"}),
    }
    context = {"applications": apps, "staff": staff, "drafts": drafts.open_drafts(request.user)[:20]}
    return render(request, "cases/my_list.html", context)


@login_required
@require_POST
def discard_draft(request, draft_id: int):
    """删除草稿 (the owner's own; 404 for anyone else's)."""
    draft = drafts.open_drafts(request.user).filter(pk=draft_id).first()
    if draft is None:
        raise Http404
    drafts.discard(draft, request.user, timezone.now())
    messages.success(request, f"已删除草稿：{draft.name}")
    return redirect("cases:mine")


def _answers_from(request_data, plan_questions) -> dict[str, str]:
    return {q.id: request_data.get(f"a.{q.id}", "") for q in plan_questions}


def _apply_context(request, kind: str, code: str, window: bool, data):
    raw = {k[2:]: v for k, v in data.items() if k.startswith("a.")}
    try:
        plan = intake.load_plan(kind, code, raw, strings=True)
    except Refused as exc:
        if status_of(exc) == 404:
            raise Http404(exc.message)
        messages.error(request, exc.message)
        plan = intake.load_plan(kind, code, {}, strings=True)
    return plan, raw


APPLY_MODES = ("self", "enterprise", "agent")
#: intake's error field -> the input of the apply page it belongs to (form.* fields are marked per field)
ERROR_INPUTS = {
    "mode": "mode",
    "enterprise": "enterprise",
    "applicant": "applicant_name",
    "applicant.name": "applicant_name",
    "applicant.id_number": "applicant_id_number",
    "applicant.phone": "applicant_phone",
    "agent_authorisation": "authorisation_document",
    "authorisation": "authorisation_document",
    "authorisation.document": "authorisation_document",
    "received": "received",
    "delivery_method": "delivery_method",
    "delivery_address": "delivery_address",
    "assistance": "assistance_reason",
    "assistance.reason": "assistance_reason",
    "assistance.authorisation": "assistance_authorisation",
    "assistance.project": "assistance_project",
    "assistance.note": "assistance_note",
}


#: what the platform already holds of the signed-in person, by form element
PERSON_ELEMENTS = {
    "applicant.name": "real_name",
    "applicant.id_number": "id_number",
    "applicant.phone": "phone",
}
#: the typed choices of the apply page besides the form, kept in a draft
EXTRA_INPUTS = (
    "mode",
    "enterprise",
    "applicant_name",
    "applicant_id_number",
    "applicant_phone",
    "authorisation_document",
    "delivery_method",
    "delivery_address",
)
#: the 帮办代办 record's inputs on the window intake page (not kept in drafts: online only)
ASSISTANCE_INPUTS = ("reason", "authorisation", "project", "note")


def _prefill(user, plan) -> dict[str, str]:
    """The form as the platform can fill it for ``user``: their own name, ID number and phone,
    and what they typed for the same elements in their latest application."""
    values: dict[str, str] = {}
    latest = own_applications(user).exclude(form={}).order_by("-id").values_list("form", flat=True).first()
    elements = {f.element for f in plan.form}
    for element, value in (latest or {}).items():
        if element in elements and isinstance(value, str | int | float):
            values[element] = str(value)
    for element, attribute in PERSON_ELEMENTS.items():
        if element in elements and getattr(user, attribute, ""):
            values[element] = getattr(user, attribute)
    return values


def _page_message(plan, error) -> str:
    """The refusal in the page's words: a place in the form is named by its label, never by
    its path (the gateway's "“申请表”…（form.child.name）" reads "“新生儿姓名”…")."""
    message, field = error.message, error.field or ""
    suffix = f"（{field}）"
    if field.startswith("form.") and message.endswith(suffix):
        message = message[: -len(suffix)].replace("“申请表”", f"“{_field_label(plan, field)}”", 1)
    return message


def _field_label(plan, field: str | None) -> str:
    """The Chinese name of an error's field, for the page (never ``form.mother.id_number``)."""
    if not field:
        return ""
    if field.startswith("form."):
        labels = {f.element: f.label for f in plan.form}
        return labels.get(field[5:], textrule_label(field))
    if field.startswith("m."):
        return next((m.name for m in plan.materials if m.material == field[2:]), "申请材料")
    return APPLY_LABELS.get(field, textrule_label(field))


APPLY_LABELS = {
    "mode": "申请身份",
    "enterprise": "申请企业",
    "applicant": "申请人",
    "applicant.name": "申请人姓名",
    "applicant.id_number": "申请人公民身份号码",
    "applicant.phone": "申请人联系电话",
    "agent_authorisation": "授权委托书",
    "authorisation": "授权委托书",
    "authorisation.document": "授权委托书",
    "received": "已收取材料",
    "ticket": "排队号",
    "window": "窗口",
    "assistance": "帮办代办",
    "assistance.reason": "帮办原因",
    "assistance.authorisation": "授权依据",
    "assistance.project": "项目名称",
    "assistance.note": "帮办说明",
}


@login_required
def apply(request, kind: str, code: str, window: bool = False):
    """一表申请: questions first (情形引导), then the one merged form and one set of materials.

    Online, what was typed and chosen is kept in a draft (:mod:`onething.cases.drafts`) when the
    person asks (保存草稿) and whenever the submission is refused, so no file has to be chosen
    twice; ``?draft=`` resumes one.
    """
    if kind not in ("bundle", "item"):
        raise Http404
    if window and not (clerk_halls(request.user) or assistance.is_assistant(request.user)):
        raise Http404
    data = request.POST if request.method == "POST" else request.GET
    ticket = _counter_ticket(request, data.get("ticket")) if window else None
    if ticket is not None and request.method == "GET":  # 为此人受理: the visitor from the counter
        data = data.copy()
        data.setdefault("applicant_name", ticket.name or (ticket.person.real_name if ticket.person else ""))
        data.setdefault("applicant_id_number", counter_page.id_number_of(ticket))
    if (
        not window
        and data.get("draft")
        and (number := drafts.submitted_number(request.user, data.get("draft")))
    ):
        messages.info(request, f"该草稿已提交，办件编号 {number}")
        return redirect("cases:detail", number=number)
    draft = (
        None if window or not data.get("draft") else drafts.get(request.user, data.get("draft"), kind, code)
    )
    if draft is not None and request.method == "GET":
        data = _draft_data(draft)
    plan, raw = _apply_context(request, kind, code, window, data)
    error = None
    refused_files: dict[str, str] = {}
    # 申请身份 (applicant page only): in person, for an enterprise the user is authorised for,
    # or as 帮办代办 for someone else (any signed-in user, as in intake; the authorisation is recorded)
    enterprises = [] if window else authorised_enterprises(request.user)
    mode = "window" if window else data.get("mode", "self")
    now = timezone.now()
    if request.method == "POST" and not plan.open_questions:
        form = {f.element: request.POST.get(f"f.{f.element}", "") for f in plan.form}
        chosen = {
            line.material: request.FILES[f"m.{line.material}"]
            for line in plan.materials
            if not line.exempt and f"m.{line.material}" in request.FILES
        }
        try:
            if not window and (chosen or draft is not None or request.POST.get("action") == "save_draft"):
                draft, refused_files = drafts.save(
                    request.user,
                    draft,
                    kind=kind,
                    code=code,
                    name=plan.name,
                    answers=raw,
                    form=form,
                    extra={k: request.POST.get(k, "") for k in EXTRA_INPUTS},
                    files=chosen,
                    lines={m.material: m.name for m in plan.materials},
                    now=now,
                )
                chosen = {}
            if refused_files:
                material, message = next(iter(refused_files.items()))
                raise lifecycle.InvalidAction(message, f"m.{material}")
            if request.POST.get("action") == "save_draft" and not window:
                messages.success(
                    request, "草稿已保存：已填写的信息和已选择的文件都已保留，可在“我的办件”中继续填写"
                )
                return redirect(f"{request.path}?draft={draft.pk}")
            provided = None if window else {*drafts.kept_files(draft), *chosen}
            submission = _submit(request, kind, code, raw, form, mode, window, provided, ticket)
        except Refused as exc:
            error = exc
        else:
            app = submission.application
            if not submission.created:  # the same form again (a double click, a reload)
                if (
                    draft is not None
                    and draft.status == draft.Status.EDITING
                    and draft.application_id is None
                ):
                    drafts.discard(draft, request.user, now)  # its files are the first post's again
                messages.info(request, f"该申请已提交过，办件编号 {app.number}")
                return redirect("cases:detail", number=app.number)
            # the application exists from here on: a file that cannot be added must not hide that
            failed = drafts.submitted(draft, app, request.user, now) if draft is not None else []
            for line in plan.materials:
                upload = chosen.get(line.material)
                if upload is not None:
                    try:
                        intake.store_upload(app, line.material, upload, request.user)
                    except Refused as exc:
                        failed.append(f"{line.name}（{exc.message}）")
            messages.success(request, _submitted_message(app, window))
            for name in failed:
                messages.error(request, f"“{name}”未能加入申请，请在本页补充上传")
            return redirect("cases:detail", number=app.number)
    context = _apply_page(request, plan, kind, code, raw, data, window, mode, enterprises, draft, error)
    context["ticket"] = ticket
    context["assisting"] = window and _assisting(request.user)
    context["assistance_reasons"] = assistance.REASONS.items()
    context["assistance_values"] = {k: data.get(f"assistance_{k}", "") for k in ASSISTANCE_INPUTS}
    return render(request, "cases/apply.html", context, status=400 if error else 200)


def _assisting(user) -> bool:
    """The window pages file as 帮办代办 for a hall's 帮办代办人员 who is not a window clerk."""
    return assistance.is_assistant(user) and not clerk_halls(user)


def _draft_data(draft) -> dict:
    """A saved draft as the page's inputs (``a.*``, ``f.*`` and the other choices)."""
    values = {f"a.{k}": v for k, v in draft.answers.items()}
    values.update({f"f.{k}": v for k, v in draft.form.items()})
    values.update({k: v for k, v in draft.extra.items() if k in EXTRA_INPUTS})
    values["draft"] = str(draft.pk)
    return values


def _submit(request, kind, code, raw, form, mode, window, provided, ticket=None) -> intake.Submission:
    on_behalf = enterprise = authorisation = helping = None
    if window or mode == "agent":
        on_behalf = {
            "name": request.POST.get("applicant_name", ""),
            "id_number": request.POST.get("applicant_id_number", ""),
            "phone": request.POST.get("applicant_phone", ""),
        }
    ua = request.headers.get("User-Agent", "")
    channel = Channel.WINDOW if window else (Channel.MOBILE if "Mobile" in ua else Channel.WEB)
    if not window and mode not in APPLY_MODES:
        raise lifecycle.InvalidAction("请选择申请身份：本人、企业或帮办代办", "mode")
    if mode == "enterprise":
        enterprise = request.POST.get("enterprise", "").strip().upper()
        if not enterprise:
            raise lifecycle.InvalidAction("请选择以其名义申请的企业", "enterprise")
    if mode == "agent":
        channel = Channel.AGENT
        document = request.POST.get("authorisation_document", "").strip()
        authorisation = {"document": document} if document else {}
    if window and _assisting(request.user):
        channel = Channel.AGENT
        helping = {k: request.POST.get(f"assistance_{k}", "") for k in ASSISTANCE_INPUTS}
    return intake.submit(
        request.user,
        kind=kind,
        code=code,
        answers=raw,
        form={k: v for k, v in form.items() if v != ""},
        channel=channel,
        idempotency_key=request.POST.get("idempotency_key", ""),
        on_behalf=on_behalf,
        enterprise=enterprise,
        agent_authorisation=authorisation,
        data_consent=request.POST.get("data_consent") == "1",
        licence_consent=() if window else _licence_choices(request.POST),
        strings=True,
        received=[m for m in request.POST.getlist("received") if m] if window else (),
        delivery={
            "method": request.POST.get("delivery_method", ""),
            "address": request.POST.get("delivery_address", ""),
        },
        provided=provided,
        deferred=set(request.POST.getlist("gap_request")),
        ticket=ticket.pk if ticket is not None else None,
        assistance=helping,
    )


def _licence_choices(post) -> list[str]:
    """The e-licences the applicant authorised on the apply page: the ticked boxes, and the
    licence picked where they hold several of a kind (``licence_pick.<material>``)."""
    picked = [v for k, v in post.items() if k.startswith("licence_pick.") and v]
    return [*post.getlist("licence_consent"), *picked]


def _submitted_message(app: Application, window: bool) -> str:
    if window:
        return f"已收件，办件编号 {app.number}：请核对材料后受理"
    return f"申请已提交，办件编号 {app.number}：综合窗口预审后将通知您，可随时在本页查看进度"


def _apply_page(request, plan, kind, code, raw, data, window, mode, enterprises, draft, error) -> dict:
    typed = request.method == "POST" or draft is not None
    prefill = {} if window or typed else _prefill(request.user, plan)
    kept = drafts.kept_files(draft)
    error_field = error.field if error is not None else None
    if error is not None:
        error = SimpleNamespace(message=_page_message(plan, error), field=error_field)
    # 用证: the e-licences the person holds for 免提交 materials, offered for consent
    offers = {} if window else exempt.licence_offers(request.user, enterprises, plan, kind, code)
    return {
        "plan": plan,
        "kind": kind,
        "code": code,
        "answers": raw,
        "window": window,
        "error": error,
        "error_label": _field_label(plan, error_field),
        "draft": draft,
        "materials": [
            {
                "line": m,
                "kept": kept.get(m.material),
                "invalid": error_field == f"m.{m.material}",
                # 申请容缺: a required material that is not a key one may follow later
                "may_defer": not window
                and m.required
                and not m.exempt
                and not is_key_material({"kind": m.kind}),
                "deferred": m.material in data.getlist("gap_request") if hasattr(data, "getlist") else False,
                "licences": offers.get(m.material, []),
                "picked": data.get(f"licence_pick.{m.material}", "") if hasattr(data, "get") else "",
            }
            for m in plan.materials
        ],
        "any_exempt": any(m.exempt for m in plan.materials),
        "licence_consent": set(data.getlist("licence_consent")) if hasattr(data, "getlist") else set(),
        # consent to data sharing is asked, never assumed: unticked until the person ticks it
        "data_consent": data.get("data_consent") == "1",
        "fields": [
            {
                "id": f"f-{n}",
                "element": f.element,
                "label": f.label,
                "type": f.type,
                "required": f.required,
                "choices": f.choices,
                "value": data.get(f"f.{f.element}", "") if typed else prefill.get(f.element, ""),
                "invalid": error_field == f"form.{f.element}",
            }
            for n, f in enumerate(plan.form, start=1)
        ],
        "applicant_values": {k: data.get(k, "") for k in EXTRA_INPUTS},
        "delivery_methods": DELIVERY_METHODS.items(),
        "delivery_method": data.get("delivery_method", "") or "window",
        "mode": mode,
        "enterprises": enterprises,
        "enterprise_value": data.get("enterprise", "").strip().upper(),
        "error_input": ERROR_INPUTS.get(error_field) if error_field else None,
        "idempotency_key": request.POST.get("idempotency_key") or uuid.uuid4().hex,
        "questions": [
            {"id": q.id, "text": q.text, "type": q.type, "choices": q.choices, "value": raw.get(q.id, "")}
            for q in plan.questions
        ],
        "upload_max_mb": settings.ONETHING["UPLOAD_MAX_BYTES"] // (1024 * 1024),
    }


@login_required
@require_GET
def detail(request, number: str):
    """查询进度 and, for staff, the actions their role allows."""
    app, roles = _visible(request, number)
    view = application_view(app, request.user, roles)
    owner = is_owner(request.user, app)
    today = timezone.localdate()
    return render(
        request,
        "cases/detail.html",
        {
            "app": view,
            "roles": roles,
            "is_applicant": APPLICANT in roles,
            "is_clerk": CLERK in roles,
            "is_approver": APPROVER in roles,
            "is_supervisor": SUPERVISOR in roles,
            "default_commitment": today + dt.timedelta(days=7),
            "today": today,
            "missing": [m["material"] for m in lifecycle.missing_materials(app)],
            "correction": _correction_view(app, owner),
            "gaps": list(app.materials.filter(source="gap", fulfilled_at__isnull=True)),
            "uploadable": [
                m
                for m in view["required_materials"]
                if not m["exempt"]
                or m["material"]
                in {x["material"] for x in view["materials"] if x["fetch_status"] == "failed"}
            ],
            "can_upload": app.status in intake.UPLOADABLE_STATES and bool(roles & {APPLICANT, CLERK}),
            "inspection": _inspection_view(app, owner),
            "agent_document": _agent_document(app, owner),
            "assistance": assistance.lines_for(app, owner=owner),
            "labels": EVENT_LABELS,
            "delivery_methods": DELIVERY_METHODS.items(),
        },
    )


#: the buttons' names, per machine (``labels.application.accept``): the pages name an action
#: by its machine's label, never by a second list
EVENT_LABELS = {
    key: {e.name: e.label for e in m.events.values()}
    for key, m in {
        "application": machines.APPLICATION,
        "subcase": machines.SUBCASE,
        "extension": machines.EXTENSION,
        "inspection": machines.INSPECTION,
        "post_check": machines.POST_CHECK,
    }.items()
}


def _agent_document(app: Application, owner: bool) -> str:
    """The 帮办代办 authorisation reference (personal numbers in it masked for all but the owner)."""
    document = str((app.agent_authorisation or {}).get("document") or "") if app.agent_id else ""
    return text_for(document, owner=owner)


def _correction_view(app: Application, owner: bool) -> dict | None:
    """The open 补正 request as the page shows it (typed texts masked for all but the owner)."""
    correction = app.corrections.filter(resolved_on__isnull=True).order_by("-id").first()
    if correction is None:
        return None
    return {
        "items": [text_for(str(item), owner=owner) for item in correction.items],
        "reason": text_for(correction.reason, owner=owner),
    }


def _inspection_view(app: Application, owner: bool) -> dict | None:
    """The joint inspection as the page shows it (the location masked for all but the owner;
    the findings are in the history)."""
    inspection = Inspection.objects.filter(application=app).first()
    if inspection is None:
        return None
    return {
        "scheduled_for": inspection.scheduled_for,
        "location": text_for(inspection.location, owner=owner),
        "status": inspection.status,
        "status_name": inspection.get_status_display(),
        "recorded_at": inspection.recorded_at,
    }


def _whole_number(value: str):
    """A typed number as an int when it is ASCII digits (``²``, ``３`` are not); else as typed,
    for the domain function to refuse with its own message."""
    try:
        return textrule.parse_int(value)
    except textrule.TextError:
        return value


def _lines(text: str) -> list[str]:
    return [line.strip() for line in (text or "").splitlines() if line.strip()]


def _date(value: str, field: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except (TypeError, ValueError):
        raise lifecycle.InvalidAction("日期格式应为 YYYY-MM-DD", field)


APPLICATION_ACTIONS = {
    "pre_review": lambda app, u, p: lifecycle.pre_review(app, u, reason=p.get("reason", "")),
    "accept": lambda app, u, p: lifecycle.accept(
        app,
        u,
        reason=p.get("reason", ""),
        received=p.getlist("received"),
        on_the_spot=p.get("on_the_spot") == "1",
    ),
    "accept_with_gaps": lambda app, u, p: lifecycle.accept_with_gaps(
        app,
        u,
        gaps=p.getlist("gaps"),
        commitment_date=_date(p.get("commitment_date"), "commitment_date"),
        received=p.getlist("received"),
        reason=p.get("reason", ""),
    ),
    "accept_on_commitment": lambda app, u, p: lifecycle.accept_on_commitment(
        app, u, commitment_text=p.get("commitment_text", ""), signed_by_name=p.get("signed_by_name", "")
    ),
    "reject": lambda app, u, p: lifecycle.reject(app, u, reason=p.get("reason", "")),
    "request_correction": lambda app, u, p: lifecycle.request_correction(
        app, u, items=_lines(p.get("items")), reason=p.get("reason", "")
    ),
    "resubmit": lambda app, u, p: lifecycle.resubmit(app, u, reason=p.get("reason", "")),
    "withdraw": lambda app, u, p: lifecycle.withdraw(app, u, reason=p.get("reason", "")),
    "schedule_inspection": lambda app, u, p: lifecycle.schedule_inspection(
        app, u, on=_date(p.get("on"), "on"), location=p.get("location", "")
    ),
    "record_inspection": lambda app, u, p: lifecycle.record_inspection(
        app, u, result=p.get("result", ""), findings=p.get("findings", "")
    ),
    "result_ready": lambda app, u, p: lifecycle.result_ready(app, u, method=p.get("method", "window")),
    "deliver": lambda app, u, p: lifecycle.deliver(
        app,
        u,
        method=p.get("method", "window"),
        tracking_number=p.get("tracking_number", ""),
        address=p.get("address", ""),
    ),
    "close": lambda app, u, p: lifecycle.close(app, u),
}


SUBCASE_ACTIONS = {
    "start_review": lambda sub, u, p: lifecycle.start_review(sub, u),
    "decide": lambda sub, u, p: lifecycle.decide(
        sub, u, decision=p.get("decision", ""), reasons=p.get("reasons", "")
    ),
    "start_special_procedure": lambda sub, u, p: lifecycle.start_special_procedure(
        sub, u, kind=p.get("kind", ""), reason=p.get("reason", "")
    ),
    "end_special_procedure": lambda sub, u, p: lifecycle.end_special_procedure(sub, u),
    # an approver files a request (pending until a supervisor decides); a supervisor extends
    "extend": lambda sub, u, p: lifecycle.extend(
        sub, u, days=_whole_number(p.get("days", "")), reason=p.get("reason", "")
    ),
}


#: what each button did, as the success message says it (never a bare "操作成功")
DONE = {
    "pre_review": "预审通过，待窗口受理",
    "accept": "已受理，受理通知书已生成，承办部门已开始办理",
    "accept_with_gaps": "已容缺受理，容缺受理告知书已生成，请申请人按期补齐材料",
    "accept_on_commitment": "已按告知承诺受理，承办部门将据承诺作出决定",
    "reject": "已不予受理，不予受理决定书已生成并告知申请人",
    "request_correction": "已发出补正材料通知书，办理时限暂停计算",
    "resubmit": "已重新提交补正材料，办理时限恢复计算",
    "withdraw": "申请已撤回",
    "result_ready": "办理结果已制作，已告知申请人出件方式",
    "deliver": "办理结果已送达，已告知申请人",
    "close": "办件已归档",
    "schedule_inspection": "联合现场核查已安排，已告知申请人",
    "record_inspection": "现场核查结果已记录",
    "start_review": "已签收，开始审查",
    "decide": "决定已作出，已告知申请人",
    "start_special_procedure": "特别程序已启动，其间不计入办理时限",
    "end_special_procedure": "特别程序已结束，恢复计算办理时限",
    "extend": "办理时限已延长，已告知申请人",
}


@login_required
@require_POST
def act(request, number: str, event: str):
    """One endpoint for every button: the event names the lifecycle function."""
    app, roles = _visible(request, number)
    done = DONE.get(event, "已办理")
    try:
        if "sub" in request.POST:
            handler = SUBCASE_ACTIONS.get(event)
            sub = app.subcases.filter(number=request.POST["sub"]).first()
            if handler is None or sub is None:
                raise Http404
            if not roles & {CLERK, SUPERVISOR, APPLICANT} and APPROVER not in roles_for(
                request.user, app, sub
            ):
                raise Http404
            outcome = handler(sub, request.user, request.POST)
            if isinstance(outcome, Extension) and outcome.status == Extension.Status.PENDING:
                done = "延期申请已提交，待本区划督查审批"
        elif event == "upload":
            material = request.POST.get("material", "")
            upload = request.FILES.get("file")
            if upload is None:
                raise lifecycle.InvalidAction("请选择文件", "file")
            if not roles & {APPLICANT, CLERK}:
                raise lifecycle.NotPermitted()
            stored = intake.store_upload(app, material, upload, request.user)
            done = f"已上传“{stored.name}”"
        else:
            handler = APPLICATION_ACTIONS.get(event)
            if handler is None:
                raise Http404
            handler(app, request.user, request.POST)
        messages.success(request, done)
    except Refused as exc:
        refused(request, exc)
    return redirect("cases:detail", number=app.number)


# ------------------------------------------------------------------------------- staff


@login_required
@require_http_methods(["GET", "POST"])
def window(request):
    """综合窗口: find an application (by number, applicant name or ID number), intake waiting in
    the hall, results to hand out, and new intake (bundles, and items grouped by department).

    The search is a POST: an ID number typed into it stays out of URLs, browser history and
    access logs. The list of items to file for is filtered by ``?offer=``.
    """
    desk_hall, clerk = _desk_hall(request.user)
    if desk_hall is None:
        if not clerk:
            raise Http404
        messages.info(request, "您在多个大厅任职，请先在窗口签到")
        return redirect("cases:counter")
    hall = desk_hall
    ticket = _counter_ticket(request, request.GET.get("ticket")) if clerk else None
    context = {
        "hall": hall,
        "session": queue.session_of(request.user),
        "is_clerk": clerk,
        "ticket": ticket,
        "offers": desk.offers(hall, request.GET.get("offer", "")),
    }
    if not clerk:  # 帮办代办人员: file for someone, and the records they made
        context["assisted"] = assistance.made_by(request.user)
        return render(request, "cases/window.html", context)
    mine = Application.objects.filter(Q(hall=hall) | Q(hall__isnull=True, region_id=hall.region_id))
    waiting = mine.filter(status__in=[S.SUBMITTED, S.PRE_REVIEWED, S.CORRECTION]).order_by("created_at")
    done = mine.filter(status__in=[S.DECIDED, S.RESULT_READY]).order_by("decided_at")
    found = desk.find(mine, request.POST.get("q", "")) if request.method == "POST" else None
    context.update({"found": found, "waiting": waiting[:200], "results": done[:200]})
    return render(request, "cases/window.html", context)


def _desk_hall(user):
    """(hall of the window pages, is a window clerk): the hall of the clerk's window session,
    else their only hall (a 帮办代办人员's hall likewise); ``None`` when there are several and
    no session, or none at all."""
    session = queue.session_of(user)
    halls = clerk_halls(user)
    if session is not None and halls:
        return session.window.hall, True
    halls = list({h.pk: h for h in halls or assistance.assistant_halls(user)}.values())
    return (halls[0] if len(halls) == 1 else None), bool(clerk_halls(user))


def _counter_ticket(request, value):
    """The ticket the clerk has called, carried from the counter to intake (``?ticket=``);
    ``None`` (with a message) when it is not, or no longer, theirs."""
    if not value:
        return None
    session = queue.session_of(request.user)
    try:
        return intake.called_ticket(request.user, value, session.window.hall if session else None)
    except Refused as exc:
        refused(request, exc)
        return None


# ------------------------------------------------------------------------------- counter


@login_required
@require_GET
def counter(request):
    """叫号台: sign in at a window, call the next number, serve the called ticket."""
    if not clerk_halls(request.user):
        raise Http404
    return render(request, "cases/counter.html", counter_page.page(request.user))


def _counter_sign_in(request):
    window = queue.window_by_code(request.POST.get("window", ""))
    session = queue.sign_in(request.user, window)
    return f"已在{session.window.hall.name}{session.window.number}号窗口签到"


def _counter_call(request):
    session = queue.session_of(request.user)
    if session is None:
        raise errors.NotFound("您尚未在任何窗口签到", "window")
    ticket = queue.call_next(request.user, session.window)
    return f"请 {ticket.number} 号到{session.window.number}号窗口" if ticket else NOBODY_WAITING


def _ticket_of(request) -> int:
    return core_text.integer(request.POST.get("ticket", ""), "ticket", minimum=1, maximum=2**63 - 1)


def _counter_recall(request):
    return f"已重呼 {queue.recall(request.user, _ticket_of(request)).number} 号"


def _counter_finish(request):
    return f"{queue.finish(request.user, _ticket_of(request)).number} 号已办结"


def _counter_no_show(request):
    return f"{queue.no_show(request.user, _ticket_of(request)).number} 号已标记过号"


def _counter_transfer(request):
    ticket = queue.transfer(
        request.user,
        _ticket_of(request),
        reason=request.POST.get("reason", ""),
        window_code=request.POST.get("to_window", ""),
        service_code=request.POST.get("to_service", ""),
    )
    return f"{ticket.number} 号已转移"


def _counter_issue(request):
    """代为取号: the clerk takes a number for a visitor at the counter (a kiosk is out of order,
    or the visitor cannot use it), with the priority the clerk has checked."""
    session = queue.session_of(request.user)
    if session is None:
        raise errors.NotFound("您尚未在任何窗口签到", "window")
    ticket = queue.issue(
        request.user,
        session.window.hall,
        request.POST.get("service", ""),
        id_number=request.POST.get("id_number", ""),
        name=request.POST.get("name", ""),
        priority_reason=request.POST.get("priority_reason", ""),
    )
    return f"已取号 {ticket.number}（{ticket.service.name}），前面还有 {queue.ahead(ticket)} 人"


def _counter_pause(request):
    queue.pause(request.user, request.POST.get("reason", ""))
    return "已暂停服务"


def _counter_resume(request):
    queue.resume(request.user)
    return "已恢复服务"


def _counter_sign_out(request):
    queue.sign_out(request.user)
    return "已签退"


NOBODY_WAITING = "当前没有等候的号"
COUNTER_ACTIONS = {
    "sign_in": _counter_sign_in,
    "call": _counter_call,
    "recall": _counter_recall,
    "finish": _counter_finish,
    "no_show": _counter_no_show,
    "transfer": _counter_transfer,
    "issue": _counter_issue,
    "pause": _counter_pause,
    "resume": _counter_resume,
    "sign_out": _counter_sign_out,
}


@login_required
@require_POST
def counter_act(request, action: str):
    """One endpoint for the counter's buttons; a refusal is a message on the counter page."""
    if not clerk_halls(request.user):
        raise Http404
    handler = COUNTER_ACTIONS.get(action)
    if handler is None:
        raise Http404
    try:
        done = handler(request)
    except Refused as exc:
        refused(request, exc)
    else:
        (messages.info if done == NOBODY_WAITING else messages.success)(request, done)
    return redirect("cases:counter")


@login_required
@require_GET
def approver_queue(request):
    """审批人员: the department's running sub-cases, most urgent first (red, yellow, then by due
    date), with the count of each level; every level said in words as well as in colour."""
    departments = approver_departments(request.user)
    if not departments:
        raise Http404
    base = SubCase.objects.filter(department_id__in=departments, status__in=urgency.OPEN_SUBCASE)
    subs = urgency.ordered(base).select_related("application", "handler")[:300]
    today = timezone.localdate()
    open_checks = PostCheck.objects.filter(subcase__department_id__in=departments, status="open").count()
    return render(
        request,
        "cases/queue.html",
        {
            "rows": urgency.with_lights(subs, today),
            "counts": urgency.counts(base),
            "today": today,
            "open_post_checks": open_checks,
        },
    )


#: an open post-check due within this many days is marked yellow (red once its date has passed)
POST_CHECK_SOON_DAYS = 5
POST_CHECK_TABS = {"open": "待核查", "passed": "核查属实", "failed": "承诺不实"}
#: the post-check form's inputs, as lifecycle/this view name them in errors
POST_CHECK_INPUTS = {"outcome", "result"}


def _post_checks_page(request, departments, *, failed: str = "", error=None, values=None, status=200):
    tab = request.GET.get("status", "open")
    tab = tab if tab in POST_CHECK_TABS else "open"
    today = timezone.localdate()
    soon = today + dt.timedelta(days=POST_CHECK_SOON_DAYS)
    checks = (
        PostCheck.objects.filter(subcase__department_id__in=departments, status=tab)
        .select_related("subcase", "subcase__application", "subcase__department", "checked_by")
        .order_by("due_date", "subcase__number")[:300]
    )
    rows = []
    for check in checks:
        urgency = ""
        if check.status == "open":
            urgency = "red" if check.due_date < today else ("yellow" if check.due_date <= soon else "")
        mine = check.subcase.number == failed
        rows.append(
            {
                "check": check,
                "sub": check.subcase,
                "urgency": urgency,
                "result": text_for(check.result, owner=is_owner(request.user, check.subcase.application)),
                "values": values if mine else {},
                "error_input": error.field if mine and error is not None else None,
            }
        )
    context = {
        "rows": rows,
        "tab": tab,
        "tab_name": POST_CHECK_TABS[tab],
        "tabs": POST_CHECK_TABS,
        "soon_days": POST_CHECK_SOON_DAYS,
        "error": error,
        "today": today,
        "labels": EVENT_LABELS,
    }
    return render(request, "cases/post_checks.html", context, status=status)


@login_required
@require_GET
def post_checks(request):
    """事后核查: the department's 告知承诺 post-checks, the most pressing first."""
    departments = approver_departments(request.user)
    if not departments:
        raise Http404
    return _post_checks_page(request, departments)


@login_required
@require_POST
def post_check_record(request, sub: str):
    """Record 属实/不实 with the result; only approvers of the sub-case's department (404 otherwise)."""
    check = (
        PostCheck.objects.select_related("subcase", "subcase__application")
        .filter(subcase__number=sub)
        .first()
    )
    if check is None or APPROVER not in roles_for(request.user, check.subcase.application, check.subcase):
        raise Http404
    outcome = request.POST.get("outcome", "")
    result = request.POST.get("result", "").strip()
    try:
        if outcome not in ("passed", "failed"):
            raise lifecycle.InvalidAction("请选择核查结论：属实或不实", "outcome")
        lifecycle.record_post_check(check, request.user, passed=outcome == "passed", result=result)
    except Refused as exc:
        if exc.field not in POST_CHECK_INPUTS:  # e.g. recorded meanwhile by a colleague (409)
            refused(request, exc, check.subcase.item_name)
            return redirect("cases:post_checks")
        values = {"outcome": outcome, "result": request.POST.get("result", "")}
        return _post_checks_page(
            request, approver_departments(request.user), failed=sub, error=exc, values=values, status=400
        )
    verdict = "属实" if outcome == "passed" else "不实，已通知申请人"
    messages.success(request, f"已记录事后核查结果：{check.subcase.item_name}，承诺{verdict}")
    return redirect("cases:post_checks")


def _region_extensions(regions):
    """延期 requests of applications in ``regions`` (the supervisor's scope)."""
    return Extension.objects.filter(supervised_cases(regions, "subcase__application")).select_related(
        "subcase", "subcase__application", "subcase__department", "requested_by"
    )


def _supervisor_page(
    request,
    regions,
    *,
    failed: int | None = None,
    error=None,
    values=None,
    status=200,
    filters: board.Filters | None = None,
    supervise_failed: str = "",
    note: str = "",
):
    """The board: 延期 requests to decide (``failed``: the request whose form is shown again with
    ``error``), and the yellow and red cases by ``filters`` (``supervise_failed``: the sub-case
    whose 督办 form is shown again with ``note``)."""
    filters = filters if filters is not None else board.parse(request.GET, regions)
    subs = list(board.filtered(regions, filters)[: board.PAGE_LIMIT + 1])
    truncated = len(subs) > board.PAGE_LIMIT
    rows = board.rows(subs[: board.PAGE_LIMIT], timezone.localdate())
    for row in rows:
        sub = row["sub"]
        row["actions"] = machines.SUBCASE.allowed(
            sub.status, {SUPERVISOR}, lifecycle.context(sub.application, sub)
        )
    pending = _region_extensions(regions).filter(status=Extension.Status.PENDING)
    pending = pending.order_by("requested_at", "id")
    requests = [
        {
            "ext": ext,
            "sub": ext.subcase,
            "reason": text_for(ext.reason, owner=is_owner(request.user, ext.subcase.application)),
            "values": values if ext.pk == failed else {},
            "error_input": error.field if ext.pk == failed and error is not None else None,
        }
        for ext in pending[:300]
    ]
    context = {
        "board_rows": rows,
        "board_truncated": truncated,
        "filters": filters,
        "filter_query": urlencode(filters.query()),
        "level_choices": board.LEVEL_CHOICES,
        "level_counts": board.level_counts(regions, filters),
        "department_counts": board.department_counts(regions, filters),
        "department_options": board.department_options(regions),
        "region_options": board.region_options(regions),
        "supervise_failed": supervise_failed,
        "note": note,
        "regions": regions,
        "requests": requests,
        "error": error,
        "max_days": lifecycle.MAX_EXTENSION_DAYS,
        "labels": EVENT_LABELS,
    }
    return render(request, "cases/supervisor.html", context, status=status)


@login_required
@require_GET
def supervisor_board(request):
    """督查: 延期 requests to decide, and the yellow and red cases of the supervised regions —
    counted by level and department, filtered by level, department and region — to 督办."""
    regions = supervised_regions(request.user)
    if not regions:
        raise Http404
    return _supervisor_page(request, regions)


def _board_redirect(filters: board.Filters):
    query = urlencode(filters.query())
    return redirect(reverse("cases:supervisor") + (f"?{query}" if query else ""))


@login_required
@require_POST
def supervise_subcase(request, sub: str):
    """督办 a sub-case of the supervisor's regions with a note (404 outside them); the board
    comes back with the same filters."""
    regions = supervised_regions(request.user)
    subcase = (
        SubCase.objects.filter(supervised_cases(regions, "application"), number=sub)
        .select_related("application", "department")
        .first()
        if regions
        else None
    )
    if subcase is None:
        raise Http404
    filters = board.parse(request.POST, regions)
    note = request.POST.get("note", "")
    try:
        lifecycle.supervise(subcase, request.user, note=note)
    except Refused as exc:
        if exc.field != "note":  # e.g. decided meanwhile (409)
            refused(request, exc, f"{subcase.item_name}（{subcase.number}）")
            return _board_redirect(filters)
        return _supervisor_page(
            request,
            regions,
            error=exc,
            status=status_of(exc),
            filters=filters,
            supervise_failed=subcase.number,
            note=note,
        )
    messages.success(
        request, f"已督办：{subcase.item_name}（{subcase.number}），已通知{subcase.department.name}"
    )
    return _board_redirect(filters)


#: the Excel export's content type
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@login_required
@require_GET
def supervisor_export(request):
    """The board's filtered list as an Excel workbook (personal numbers masked); the export is
    audited."""
    regions = supervised_regions(request.user)
    if not regions:
        raise Http404
    filters = board.parse(request.GET, regions)
    now = timezone.now()
    # today as the board page takes it (one clock for page and export)
    lines = board.rows(board.filtered(regions, filters)[: board.EXPORT_LIMIT], timezone.localdate())
    data = board.workbook(lines, filters, regions, now)
    with transaction.atomic():
        audit_record(
            "supervision.export",
            "region",
            ",".join(r.code for r in regions),
            actor=request.user,
            data={**filters.query(), "rows": len(lines)},
            at=now,
        )
    response = HttpResponse(data, content_type=XLSX)
    response["Content-Disposition"] = (
        f'attachment; filename="supervision-{timezone.localdate(now):%Y%m%d}.xlsx"'
    )
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response


@login_required
@require_POST
def decide_extension(request, extension_id: int):
    """批准 / 不批准 a 延期 request; a request outside the supervisor's regions is 404."""
    regions = supervised_regions(request.user)
    ext = _region_extensions(regions).filter(pk=extension_id).first() if regions else None
    if ext is None:
        raise Http404
    decision = request.POST.get("decision", "")
    reason = request.POST.get("reason", "")
    try:
        if decision == "approve":
            lifecycle.approve_extension(ext, request.user)
        elif decision == "refuse":
            lifecycle.refuse_extension(ext, request.user, reason=reason)
        else:
            raise lifecycle.InvalidAction("请选择批准或不批准", "decision")
    except Refused as exc:
        if exc.field != "reason":  # e.g. decided meanwhile, or the sub-case was decided (409)
            refused(request, exc, f"{ext.subcase.item_name}（{ext.subcase.number}）")
            return redirect("cases:supervisor")
        return _supervisor_page(
            request, regions, failed=ext.pk, error=exc, values={"reason": reason}, status=status_of(exc)
        )
    if decision == "approve":
        days = f"延长{ext.days}个工作日"
        messages.success(request, f"已批准延期：{ext.subcase.item_name}{days}，已告知申请人和承办部门")
    else:
        messages.success(request, f"已不批准延期：{ext.subcase.item_name}，已告知承办部门")
    return redirect("cases:supervisor")


@login_required
@require_GET
def staff_home(request):
    if clerk_halls(request.user) or assistance.is_assistant(request.user):
        return redirect("cases:window")
    if approver_departments(request.user):
        return redirect("cases:approver")
    if supervised_regions(request.user):
        return redirect("cases:supervisor")
    return redirect("cases:mine")


# ------------------------------------------------------------------------------- files


@login_required
@require_GET
def notice_pdf(request, number: str, notice_id: uuid.UUID):
    app, _ = _visible(request, number)
    notice = Notice.objects.filter(application=app, pk=notice_id).first()
    if notice is None:
        raise Http404
    response = HttpResponse(notices.pdf_for(notice, request.user), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="notice-{notice.id}.pdf"'
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
@require_GET
def material_file(request, number: str, material_id: int):
    app, _ = _visible(request, number)
    material = Material.objects.filter(application=app, pk=material_id).first()
    if material is None or not material.path:
        raise Http404
    try:
        return intake.material_response(material)  # attachment, nosniff, no-store, sandboxed
    except Refused:
        raise Http404


@login_required
@require_POST
def use_licence(request, number: str):
    """The sub-case's approver obtains the applicant's e-licence for a 免提交 material once the
    holder has authorised it (403-like message without consent; nothing is read then)."""
    app, _ = _visible(request, number)
    sub = app.subcases.filter(number=request.POST.get("sub", "")).first()
    if sub is None or APPROVER not in roles_for(request.user, app, sub):
        raise Http404
    try:
        row = exempt.licence_for(app, sub, request.POST.get("material", ""), request.user)
    except Refused as exc:
        refused(request, exc, sub.item_name)
    else:
        messages.success(
            request, f"已调取并核验电子证照：{row.data.get('name', '')}（{row.licence_identifier}）"
        )
    return redirect("cases:detail", number=app.number)


@login_required
@require_POST
def decide(request, number: str):
    """作出决定 from the case page, with an optional 办理结果文件 (certificate or approval, PDF/JPEG/
    PNG, checked like every upload before anything is decided)."""
    app, roles = _visible(request, number)
    sub = app.subcases.select_related("application").filter(number=request.POST.get("sub", "")).first()
    if sub is None:
        raise Http404
    if not roles & {CLERK, SUPERVISOR, APPLICANT} and APPROVER not in roles_for(request.user, app, sub):
        raise Http404
    try:
        filed = results.decide(
            sub,
            request.user,
            decision=request.POST.get("decision", ""),
            reasons=request.POST.get("reasons", ""),
            upload=request.FILES.get("result"),
        )
    except Refused as exc:
        refused(request, exc, sub.item_name)
    else:
        sub.refresh_from_db()
        done = f"已作出决定：{sub.item_name}，{sub.get_status_display()}"
        messages.success(request, done + ("，办理结果文件已上传" if filed else ""))
    return redirect("cases:detail", number=app.number)


@login_required
@require_GET
def result_file(request, number: str, file_id: int):
    """A 办理结果文件, for whoever sees its sub-case (the applicant; staff of the case)."""
    app, roles = _visible(request, number)
    found = ResultFile.objects.select_related("subcase").filter(subcase__application=app, pk=file_id).first()
    if found is None or found.subcase_id not in {s.pk for s in visible_subcases(app, request.user, roles)}:
        raise Http404
    try:
        return results.response(found)  # attachment, nosniff, no-store, sandboxed
    except Refused:
        raise Http404


def verify(request, token: str):
    """Public: the verification page of the QR codes printed before notices became documents
    (``/cases/verify/<token>/``); the same page as ``/documents/verify/<token>/``."""
    return documents_views.verify(request, token)
