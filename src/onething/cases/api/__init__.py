"""Applications API (``/api/v1/applications``): intake, progress, staff actions, files.

Handlers are thin: they find the object the caller may see (404 otherwise — never 403, which
would confirm that the number exists), call ``intake``/``lifecycle`` and shape the answer
with ``progress``. Every error is the platform's ``{"error": {…}}`` body.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from ninja import File, Header, Router
from ninja.files import UploadedFile
from ninja.responses import Status

from onething.accounts.auth import authenticated
from onething.cases import exempt, intake, lifecycle, notices, progress
from onething.cases.access import APPLICANT, APPROVER, CLERK, SUPERVISOR, roles_for, visible_applications
from onething.cases.api.extensions import extension_out
from onething.cases.api.schemas import (
    AcceptIn,
    ApplicationCreated,
    ApplicationIn,
    ApplicationOut,
    ApplicationSummary,
    CommitmentIn,
    CorrectionIn,
    DecideIn,
    DeliverIn,
    ExtendIn,
    ExtensionOut,
    GapsIn,
    InspectionIn,
    InspectionResultIn,
    LicenceReferenceOut,
    LicenceUseIn,
    MaterialOut,
    ReasonIn,
    RejectIn,
    ResultReadyIn,
    SpecialIn,
    SubCaseActionOut,
)
from onething.cases.models import Application, Extension, Material, Notice, SubCase
from onething.cases.progress import application_view
from onething.core.errors import ApiError, invalid, responses
from onething.core.text import Int, RowId, Text

router = Router(tags=["applications"], auth=authenticated)

ACTION = responses(ApplicationOut, 401, 403, 404, 409)
SUB_ACTION = responses(SubCaseActionOut, 401, 403, 404, 409)


def _not_found() -> ApiError:
    return ApiError(404, "not_found", "未找到该办件")


def _application(request: HttpRequest, number: str) -> tuple[Application, set[str]]:
    """The application if the caller may see it; 404 otherwise (no data, no hint)."""
    app = Application.objects.select_related("region", "hall", "enterprise").filter(number=number).first()
    if app is None:
        raise _not_found()
    roles = roles_for(request.user, app)
    if not roles:
        raise _not_found()
    return app, roles


def _subcase(request: HttpRequest, number: str, sub: str) -> tuple[Application, SubCase]:
    app, roles = _application(request, number)
    subcase = app.subcases.filter(number=sub).first()
    if subcase is None:
        raise ApiError(404, "not_found", "未找到该子件")
    if not roles & {APPLICANT, CLERK, SUPERVISOR} and APPROVER not in roles_for(request.user, app, subcase):
        raise ApiError(404, "not_found", "未找到该子件")  # another department's sub-case
    return app, subcase


def _view(request: HttpRequest, app: Application) -> dict:
    app.refresh_from_db()
    return application_view(app, request.user)


def _sub_out(sub: SubCase) -> dict:
    sub.refresh_from_db()
    return {
        "number": sub.number,
        "status": sub.status,
        "status_name": sub.get_status_display(),
        "due_date": sub.due_date,
    }


@router.post(
    "",
    response={**responses(ApplicationCreated, 401, 403, 404, 409, status=201), 200: ApplicationCreated},
    summary="提交申请（一件事或单事项，幂等）",
)
def create_application(
    request: HttpRequest, payload: ApplicationIn, idempotency_key: str = Header("", alias="Idempotency-Key")
):
    """Submit one application. The same ``Idempotency-Key`` (same caller) returns the same
    application — 201 the first time, 200 afterwards — and never creates a second one. The
    answer is compact (number, status, links); ``GET links.self`` returns the progress view."""
    if bool(payload.bundle) == bool(payload.item):
        raise invalid("bundle", "请指定 bundle（一件事编码）或 item（事项编码）之一")
    kind, code = ("bundle", payload.bundle) if payload.bundle else ("item", payload.item)
    submission = intake.submit(
        request.user,
        kind=kind,
        code=code,
        answers=payload.answers,
        form=payload.form,
        channel=payload.channel,
        idempotency_key=idempotency_key,
        on_behalf=payload.applicant.dict() if payload.applicant else None,
        enterprise=payload.enterprise,
        data_consent=payload.data_consent,
        licence_consent=payload.licence_consent or (),
        agent_authorisation=(
            payload.authorisation.model_dump(mode="json", exclude_none=True)
            if payload.authorisation
            else None
        ),
        ticket=payload.ticket,
        assistance=payload.assistance.model_dump() if payload.assistance else None,
    )
    app = submission.application
    return Status(
        201 if submission.created else 200,
        {
            "number": app.number,
            "status": app.status,
            "status_name": app.get_status_display(),
            "kind": app.kind,
            "code": app.code,
            "name": app.name,
            "channel": app.channel,
            "created": submission.created,
            "links": {"self": f"/api/v1/applications/{app.number}"},
        },
    )


@router.get("", response=responses(list[ApplicationSummary], 401), summary="我的办件 / 我可见的办件")
def list_applications(request: HttpRequest, status: Text(40) | None = None, limit: Int(1) = 50):
    qs = visible_applications(request.user).order_by("-created_at")
    if status:
        qs = qs.filter(status=status)
    return [
        {
            "number": a.number,
            "name": a.name,
            "status": a.status,
            "status_name": a.get_status_display(),
            "created_at": a.created_at,
            "due_date": a.due_date,
            "warning": a.warning,
        }
        for a in qs[: max(1, min(limit, 200))]
    ]


@router.get("/{number}", response=responses(ApplicationOut, 401, 404), summary="查询办件进度")
def get_application(request: HttpRequest, number: str):
    app, roles = _application(request, number)
    return application_view(app, request.user, roles)


# ------------------------------------------------------------------------------- intake decisions


@router.post("/{number}/pre-review", response=ACTION, summary="预审通过")
def pre_review(request: HttpRequest, number: str, payload: ReasonIn):
    app, _ = _application(request, number)
    lifecycle.pre_review(app, request.user, reason=payload.reason)
    return _view(request, app)


@router.post("/{number}/accept", response=ACTION, summary="受理")
def accept(request: HttpRequest, number: str, payload: AcceptIn):
    app, _ = _application(request, number)
    lifecycle.accept(
        app, request.user, reason=payload.reason, received=payload.received, on_the_spot=payload.on_the_spot
    )
    return _view(request, app)


@router.post("/{number}/accept-with-gaps", response=ACTION, summary="容缺受理")
def accept_with_gaps(request: HttpRequest, number: str, payload: GapsIn):
    app, _ = _application(request, number)
    lifecycle.accept_with_gaps(
        app,
        request.user,
        gaps=payload.gaps,
        commitment_date=payload.commitment_date,
        received=payload.received,
        reason=payload.reason,
    )
    return _view(request, app)


@router.post("/{number}/accept-on-commitment", response=ACTION, summary="告知承诺受理")
def accept_on_commitment(request: HttpRequest, number: str, payload: CommitmentIn):
    app, _ = _application(request, number)
    lifecycle.accept_on_commitment(
        app,
        request.user,
        commitment_text=payload.commitment_text,
        signed_by_name=payload.signed_by_name,
        received=payload.received,
    )
    return _view(request, app)


@router.post("/{number}/reject", response=ACTION, summary="不予受理")
def reject(request: HttpRequest, number: str, payload: RejectIn):
    app, _ = _application(request, number)
    lifecycle.reject(app, request.user, reason=payload.reason)
    return _view(request, app)


@router.post("/{number}/correction", response=ACTION, summary="要求补正（暂停计时）")
def request_correction(request: HttpRequest, number: str, payload: CorrectionIn):
    app, _ = _application(request, number)
    lifecycle.request_correction(app, request.user, items=payload.items, reason=payload.reason)
    return _view(request, app)


@router.post("/{number}/resubmit", response=ACTION, summary="补正后重新提交（恢复计时）")
def resubmit(request: HttpRequest, number: str, payload: ReasonIn):
    app, _ = _application(request, number)
    lifecycle.resubmit(app, request.user, reason=payload.reason)
    return _view(request, app)


@router.post("/{number}/withdraw", response=ACTION, summary="撤回申请")
def withdraw(request: HttpRequest, number: str, payload: ReasonIn):
    app, _ = _application(request, number)
    lifecycle.withdraw(app, request.user, reason=payload.reason)
    return _view(request, app)


@router.post("/{number}/inspection", response=ACTION, summary="安排联合现场核查")
def schedule_inspection(request: HttpRequest, number: str, payload: InspectionIn):
    app, _ = _application(request, number)
    lifecycle.schedule_inspection(app, request.user, on=payload.on, location=payload.location)
    return _view(request, app)


@router.post("/{number}/inspection/result", response=ACTION, summary="记录现场核查结果")
def record_inspection(request: HttpRequest, number: str, payload: InspectionResultIn):
    app, _ = _application(request, number)
    lifecycle.record_inspection(app, request.user, result=payload.result, findings=payload.findings)
    return _view(request, app)


@router.post("/{number}/result-ready", response=ACTION, summary="办理结果已制作")
def result_ready(request: HttpRequest, number: str, payload: ResultReadyIn):
    app, _ = _application(request, number)
    lifecycle.result_ready(app, request.user, method=payload.method)
    return _view(request, app)


@router.post("/{number}/deliver", response=ACTION, summary="送达（窗口领取、邮寄、电子）")
def deliver(request: HttpRequest, number: str, payload: DeliverIn):
    app, _ = _application(request, number)
    lifecycle.deliver(
        app,
        request.user,
        method=payload.method,
        tracking_number=payload.tracking_number,
        address=payload.address,
    )
    return _view(request, app)


@router.post("/{number}/close", response=ACTION, summary="归档")
def close(request: HttpRequest, number: str, payload: ReasonIn):
    app, _ = _application(request, number)
    lifecycle.close(app, request.user, reason=payload.reason)
    return _view(request, app)


# ------------------------------------------------------------------------------- sub-cases


@router.post("/{number}/subcases/{sub}/start", response=SUB_ACTION, summary="签收子件")
def start_review(request: HttpRequest, number: str, sub: str):
    _, subcase = _subcase(request, number, sub)
    return _sub_out(lifecycle.start_review(subcase, request.user))


@router.post("/{number}/subcases/{sub}/decide", response=SUB_ACTION, summary="作出决定（准予/不予）")
def decide(request: HttpRequest, number: str, sub: str, payload: DecideIn):
    _, subcase = _subcase(request, number, sub)
    return _sub_out(
        lifecycle.decide(subcase, request.user, decision=payload.decision, reasons=payload.reasons)
    )


@router.post(
    "/{number}/subcases/{sub}/licences",
    response=responses(LicenceReferenceOut, 401, 403, 404),
    summary="使用申请人的电子证照替代材料（须持证人授权）",
)
def use_licence(request: HttpRequest, number: str, sub: str, payload: LicenceUseIn) -> dict:
    app, subcase = _subcase(request, number, sub)
    if APPROVER not in roles_for(request.user, app, subcase):
        raise ApiError(403, "forbidden", "仅该子件的审批人员可以调取证照")
    row = exempt.licence_for(app, subcase, payload.material, request.user)
    return {
        "material": row.material,
        "identifier": row.licence_identifier,
        "data": row.data,
        "use": row.licence_use_id,
    }


@router.post("/{number}/subcases/{sub}/special-procedure", response=SUB_ACTION, summary="启动特别程序")
def start_special(request: HttpRequest, number: str, sub: str, payload: SpecialIn):
    _, subcase = _subcase(request, number, sub)
    return _sub_out(
        lifecycle.start_special_procedure(subcase, request.user, kind=payload.kind, reason=payload.reason)
    )


@router.post("/{number}/subcases/{sub}/special-procedure/end", response=SUB_ACTION, summary="结束特别程序")
def end_special(request: HttpRequest, number: str, sub: str, payload: ReasonIn):
    _, subcase = _subcase(request, number, sub)
    return _sub_out(lifecycle.end_special_procedure(subcase, request.user, reason=payload.reason))


@router.post(
    "/{number}/subcases/{sub}/extend",
    response={**responses(ExtensionOut, 401, 403, 404, 409), 202: ExtensionOut},
    summary="延长办理时限：审批部门提出申请（202，待督查审批），督查直接延期（200）",
)
def extend(request: HttpRequest, number: str, sub: str, payload: ExtendIn):
    _, subcase = _subcase(request, number, sub)
    ext = lifecycle.extend(subcase, request.user, days=payload.days, reason=payload.reason)
    ext = Extension.objects.select_related(
        "subcase__application", "subcase__department", "requested_by", "decided_by"
    ).get(pk=ext.pk)
    return Status(202 if ext.status == Extension.Status.PENDING else 200, extension_out(ext))


# ------------------------------------------------------------------------------- files


@router.post(
    "/{number}/materials/{material}",
    response=responses(MaterialOut, 401, 403, 404, 409, 413, 415, status=201),
    summary="上传材料（PDF/JPEG/PNG）",
)
def upload_material(request: HttpRequest, number: str, material: str, file: UploadedFile = File(...)):  # noqa: B008 - django-ninja idiom
    app, roles = _application(request, number)
    if not roles & {APPLICANT, CLERK}:
        raise ApiError(403, "forbidden", "只有申请人或窗口人员可以提交材料")
    m = intake.store_upload(app, material, file, request.user)
    return Status(201, progress.material_view(m))


@router.get(
    "/{number}/materials/{material_id}/file",
    response={200: None, **responses(None, 401, 404)},
    summary="下载材料（需授权）",
)
def download_material(request: HttpRequest, number: str, material_id: RowId):
    app, _ = _application(request, number)
    material = Material.objects.filter(application=app, pk=material_id).first()
    if material is None:
        raise ApiError(404, "not_found", "未找到该材料")
    return intake.material_response(material)  # attachment, nosniff, no-store, sandboxed


@router.get(
    "/{number}/notices/{notice_id}.pdf",
    response={200: None, **responses(None, 401, 404)},
    summary="下载文书（PDF）",
)
def notice_pdf(request: HttpRequest, number: str, notice_id: str):
    app, _ = _application(request, number)
    notice = Notice.objects.filter(application=app, pk=_uuid(notice_id)).first() if _uuid(notice_id) else None
    if notice is None:
        raise ApiError(404, "not_found", "未找到该文书")
    # rendered once per audience and stored; the owner reads it in full, anyone else masked
    response = HttpResponse(notices.pdf_for(notice, request.user), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="notice-{notice.id}.pdf"'
    response["Cache-Control"] = "private, no-store"
    return response


def _uuid(value: str):
    import uuid

    try:
        return uuid.UUID(value)
    except ValueError:
        return None
