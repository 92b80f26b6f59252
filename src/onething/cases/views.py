"""Portal pages of 办件: apply, my applications, progress, window intake, approver queue,
supervisor board, notices and the public verification page.

Views are thin: they read forms, call ``intake``/``lifecycle`` and render. Object access uses
the same rules as the API (``access.roles_for``): anyone who may not see an application gets
a plain 404 page with nothing of the application in it.
"""

from __future__ import annotations

import datetime as dt
import uuid

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Case, IntegerField, Q, Value, When
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from onething.accounts.masking import text_for
from onething.cases import intake, lifecycle, machines, notices
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
from onething.cases.models import (
    Application,
    Channel,
    Extension,
    Inspection,
    Material,
    Notice,
    PostCheck,
    SubCase,
)
from onething.cases.progress import application_view
from onething.core.errors import Refused, status_of
from onething.documents import views as documents_views
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
    staff = {
        "clerk": bool(clerk_halls(request.user)),
        "approver": bool(approver_departments(request.user)),
        "supervisor": bool(supervised_regions(request.user)),
    }
    return render(request, "cases/my_list.html", {"applications": apps, "staff": staff})


def _answers_from(request_data, plan_questions) -> dict[str, str]:
    return {q.id: request_data.get(f"a.{q.id}", "") for q in plan_questions}


def _apply_context(request, kind: str, code: str, window: bool):
    raw = {k[2:]: v for k, v in request.GET.items() if k.startswith("a.")}
    if request.method == "POST":
        raw = {k[2:]: v for k, v in request.POST.items() if k.startswith("a.")}
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
}


@login_required
def apply(request, kind: str, code: str, window: bool = False):
    """一表申请: questions first (情形引导), then the one merged form and one set of materials."""
    if kind not in ("bundle", "item"):
        raise Http404
    if window and not clerk_halls(request.user):
        raise Http404
    plan, raw = _apply_context(request, kind, code, window)
    error = None
    # 申请身份 (applicant page only): in person, for an enterprise the user is authorised for,
    # or as 帮办代办 for someone else (any signed-in user, as in intake; the authorisation is recorded)
    enterprises = [] if window else authorised_enterprises(request.user)
    mode = "window" if window else request.POST.get("mode", "self")
    if request.method == "POST" and not plan.open_questions:
        form = {f.element: request.POST.get(f"f.{f.element}", "") for f in plan.form}
        on_behalf = enterprise = authorisation = None
        if window or mode == "agent":
            on_behalf = {
                "name": request.POST.get("applicant_name", ""),
                "id_number": request.POST.get("applicant_id_number", ""),
                "phone": request.POST.get("applicant_phone", ""),
            }
        ua = request.headers.get("User-Agent", "")
        channel = Channel.WINDOW if window else (Channel.MOBILE if "Mobile" in ua else Channel.WEB)
        try:
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
            submission = intake.submit(
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
                strings=True,
                received=[m for m in request.POST.getlist("received") if m] if window else (),
            )
            app = submission.application
        except Refused as exc:
            error = exc
        else:
            # the application exists from here on: a bad file must not hide that from the applicant
            messages.success(request, f"申请已提交，办件编号 {app.number}")
            for line in plan.materials:
                upload = request.FILES.get(f"m.{line.material}")
                if upload is not None and not line.exempt:
                    try:
                        intake.store_upload(app, line.material, upload, request.user)
                    except Refused as exc:
                        messages.error(request, f"“{line.name}”上传失败：{exc.message}，请在本页补充上传")
            return redirect("cases:detail", number=app.number)
    context = {
        "plan": plan,
        "kind": kind,
        "code": code,
        "answers": raw,
        "window": window,
        "error": error,
        "fields": [
            {
                "id": f"f-{n}",
                "element": f.element,
                "label": f.label,
                "type": f.type,
                "required": f.required,
                "choices": f.choices,
                "value": request.POST.get(f"f.{f.element}", ""),
                "invalid": error is not None and error.field == f"form.{f.element}",
            }
            for n, f in enumerate(plan.form, start=1)
        ],
        "applicant_values": {
            k: request.POST.get(k, "")
            for k in ("applicant_name", "applicant_id_number", "applicant_phone", "authorisation_document")
        },
        "mode": mode,
        "enterprises": enterprises,
        "enterprise_value": request.POST.get("enterprise", "").strip().upper(),
        "error_input": ERROR_INPUTS.get(error.field) if error is not None and error.field else None,
        "idempotency_key": request.POST.get("idempotency_key") or uuid.uuid4().hex,
        "questions": [
            {"id": q.id, "text": q.text, "type": q.type, "choices": q.choices, "value": raw.get(q.id, "")}
            for q in plan.questions
        ],
        "upload_max_mb": settings.ONETHING["UPLOAD_MAX_BYTES"] // (1024 * 1024),
    }
    return render(request, "cases/apply.html", context, status=400 if error else 200)


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
            "uploadable": [m for m in view["required_materials"] if not m["exempt"]],
            "can_upload": app.status in intake.UPLOADABLE_STATES and bool(roles & {APPLICANT, CLERK}),
            "inspection": _inspection_view(app, owner),
            "agent_document": _agent_document(app, owner),
            "labels": EVENT_LABELS,
        },
    )


#: the buttons' names: the application's, its inspection's and its 延期's events (sub-case
#: events are named in the sub-case block)
EVENT_LABELS = {
    e.name: e.label
    for m in (machines.APPLICATION, machines.INSPECTION, machines.EXTENSION)
    for e in m.events.values()
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


@login_required
@require_POST
def act(request, number: str, event: str):
    """One endpoint for every button: the event names the lifecycle function."""
    app, roles = _visible(request, number)
    done = "操作成功"
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
            intake.store_upload(app, material, upload, request.user)
        else:
            handler = APPLICATION_ACTIONS.get(event)
            if handler is None:
                raise Http404
            handler(app, request.user, request.POST)
        messages.success(request, done)
    except Refused as exc:
        refused(request, exc)
    return redirect("cases:detail", number=app.number)


def refused(request, exc: Exception, about: str = "") -> None:
    """The one way a page reports a refused action: the rule's Chinese sentence as a message
    (``about`` names the object when the page lists several), never an error page."""
    messages.error(request, f"{about}：{exc.message}" if about else exc.message)


# ------------------------------------------------------------------------------- staff


@login_required
@require_GET
def window(request):
    """综合窗口: intake waiting in the hall, results to hand out, and new intake."""
    halls = clerk_halls(request.user)
    if not halls:
        raise Http404
    hall = halls[0]
    scope = Q(hall=hall) | Q(hall__isnull=True, region_id=hall.region_id)
    waiting = Application.objects.filter(
        scope, status__in=[S.SUBMITTED, S.PRE_REVIEWED, S.CORRECTION]
    ).order_by("created_at")
    results = Application.objects.filter(scope, status__in=[S.DECIDED, S.RESULT_READY]).order_by("decided_at")
    bundles, items = intake.hall_offers(hall)
    return render(
        request,
        "cases/window.html",
        {
            "hall": hall,
            "waiting": waiting[:200],
            "results": results[:200],
            "bundles": bundles,
            "items": items,
        },
    )


def _urgency(qs):
    return qs.annotate(
        urgency=Case(
            When(warning="red", then=Value(0)),
            When(warning="yellow", then=Value(1)),
            default=Value(2),
            output_field=IntegerField(),
        )
    ).order_by("urgency", "due_date", "number")


@login_required
@require_GET
def approver_queue(request):
    """审批人员: the department's running sub-cases, most urgent first."""
    departments = approver_departments(request.user)
    if not departments:
        raise Http404
    subs = _urgency(
        SubCase.objects.filter(
            department_id__in=departments,
            status__in=[
                SubCase.Status.IN_REVIEW,
                SubCase.Status.SPECIAL,
                SubCase.Status.CORRECTION,
                SubCase.Status.WAITING,
            ],
        ).select_related("application", "handler")
    )[:300]
    open_checks = PostCheck.objects.filter(subcase__department_id__in=departments, status="open").count()
    return render(
        request,
        "cases/queue.html",
        {"subcases": subs, "today": timezone.localdate(), "open_post_checks": open_checks},
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


def _supervisor_page(request, regions, *, failed: int | None = None, error=None, values=None, status=200):
    subs = _urgency(
        SubCase.objects.filter(
            supervised_cases(regions, "application"), warning__in=["yellow", "red"], timed=True
        ).select_related("application", "department", "handler")
    )[:500]
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
        "subcases": subs,
        "regions": regions,
        "requests": requests,
        "error": error,
        "max_days": lifecycle.MAX_EXTENSION_DAYS,
    }
    return render(request, "cases/supervisor.html", context, status=status)


@login_required
@require_GET
def supervisor_board(request):
    """督查: 延期 requests to decide, and yellow and red cases in the supervised regions."""
    regions = supervised_regions(request.user)
    if not regions:
        raise Http404
    return _supervisor_page(request, regions)


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
    if clerk_halls(request.user):
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


def verify(request, token: str):
    """Public: the verification page of the QR codes printed before notices became documents
    (``/cases/verify/<token>/``); the same page as ``/documents/verify/<token>/``."""
    return documents_views.verify(request, token)
