"""文书: 受理通知书, 不予受理决定书, 补正材料通知书, 容缺受理告知书, 办结通知书, 不予行政许可决定书.

A notice is issued inside the transition that causes it (same transaction) and stored with its
content; it never changes afterwards. Each notice is issued as a verifiable document
(``onething.documents``): the document holds its number, issuer, date, the SHA-256 of its
content and a random token; the QR code on the PDF points to the public verification page
``/documents/verify/<token>/``, which confirms the notice is genuine without showing personal
data (the older ``/cases/verify/<token>/`` links printed before still work).

The PDF is rendered once per audience, on its first download, and stored by the documents
service with its SHA-256 on the document: the owner (the applicant person) gets it in full,
everyone else with the personal numbers in its text masked. Later downloads serve the stored
file (:func:`pdf_for`). Rendering at issue time would put about 150 ms per audience into the
transition's locked transaction, so it waits for the first reader.

A refusal — 不予受理 (行政许可法 art. 32) or 不予许可 (art. 38) — tells the applicant of their
remedies (:func:`remedies`): 行政复议 within 60 days (行政复议法 art. 20) to the people's
government at the issuer's level (or, for a vertically led organ, its superior department) and
行政诉讼 within 6 months (行政诉讼法 art. 46) before the people's court; the bodies are written
into the notice's content when it is issued.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from onething.accounts.masking import mask_values
from onething.cases.access import is_owner
from onething.cases.models import Application, Notice
from onething.directory.models import Department, Region
from onething.documents import kinds
from onething.documents import service as documents
from onething.documents.render import qr_svg
from onething.documents.render import render_pdf as render_document

KIND_MARK = {
    "acceptance": "受",
    "rejection": "不受",
    "correction": "补",
    "gaps": "容",
    "completion": "结",
    "refusal": "不许",
}
#: 行政复议法 art. 20: within 60 days of learning of the decision; 行政诉讼法 art. 46: 6 months
RECONSIDERATION_PERIOD = "六十日"
LITIGATION_PERIOD = "六个月"
#: the documents kind of each notice kind (``cases.notice.acceptance`` …), registered with its name
DOCUMENT_KINDS = {kind: kinds.register(f"cases.notice.{kind}", label) for kind, label in Notice.KINDS}
#: who reads a stored rendering: the owner (in full) or anyone else (personal numbers masked),
#: with the notice property that gives the rendering's SHA-256 (kept on the document)
AUDIENCE_DIGESTS = {"owner": "pdf_sha256_owner", "others": "pdf_sha256_others"}


def _issuer(app: Application) -> str:
    """The hall for window intake, otherwise the lead (or the item's) department."""
    if app.hall_id:
        return app.hall.name
    code = app.plan.get("lead_department") or ""
    return Department.objects.filter(code=code).values_list("name", flat=True).first() or "政务服务中心"


def remedies(region_code: str | None) -> dict:
    """Where and how long the applicant may challenge a refusal issued in ``region_code``: 行政复议
    to the people's government of that region (a vertically led organ: its superior department),
    行政诉讼 before the people's court where the organ sits."""
    name = (
        Region.objects.filter(code=region_code).values_list("name", flat=True).first()
        if region_code
        else None
    )
    return {
        "reconsideration_period": RECONSIDERATION_PERIOD,
        "reconsideration_body": f"{name}人民政府" if name else "本级人民政府",
        "reconsideration_superior": "上一级主管部门",
        "litigation_period": LITIGATION_PERIOD,
        "court": "作出决定的行政机关所在地有管辖权的人民法院",
    }


def _content(app: Application, kind: str, extra: dict | None) -> dict:
    content: dict = {
        "application": app.number,
        "name": app.name,
        "applicant": app.applicant_name,
        "channel": app.get_channel_display(),
    }
    if kind in ("acceptance", "gaps"):
        content["due_date"] = app.due_date.isoformat() if app.due_date else None
        content["limit_days"] = app.limit_days
        content["members"] = [
            {"number": s.number, "name": s.item_name, "department": s.department.name}
            for s in app.subcases.select_related("department").order_by("position")
        ]
    if kind == "gaps":
        content["gaps"] = list(app.materials.filter(source="gap").values_list("name", flat=True))
        content["commitment_date"] = app.gap_commitment_date.isoformat() if app.gap_commitment_date else None
    if kind == "rejection":
        content["reason"] = app.reason
        content["remedies"] = remedies(app.region_id)
    if kind == "completion":
        content["members"] = [
            {
                "number": s.number,
                "name": s.item_name,
                "department": s.department.name,
                "decision": s.get_status_display(),
                "reasons": s.reasons,
            }
            for s in app.subcases.select_related("department").order_by("position")
        ]
        refused = app.subcases.filter(status="refused").select_related("department").first()
        if refused is not None:
            content["remedies"] = remedies(refused.department.region_id)
    content.update(extra or {})
    return content


def issue(
    app: Application, kind: str, actor, today: dt.date, extra: dict | None = None, *, issuer: str = ""
) -> Notice:
    """Create the notice and its verifiable document (call inside the transition's transaction).

    The notice shares its document's id, so the stored renderings (named by document id) and
    the notice's download URL name the same thing. ``issuer``: the organ that decided, when it
    is not the application's (a department's 不予许可).
    """
    sequence = app.notices.filter(kind=kind).count() + 1
    number = f"{KIND_MARK[kind]}字〔{today.year}〕{app.number}-{sequence}号"
    issuer = issuer or _issuer(app)
    content = _content(app, kind, extra)
    document = documents.issue(
        kind=DOCUMENT_KINDS[kind],
        number=number,
        issuer=issuer,
        issued_on=today,
        title=f"{kinds.label(DOCUMENT_KINDS[kind])}（{app.name}）"[:200],
        content=content,
        owner=f"cases.application:{app.number}",
    )
    return Notice.objects.create(
        id=document.id,
        document=document,
        application=app,
        kind=kind,
        number=number,
        department_name=issuer,
        issued_on=today,
        content=content,
        issued_by=actor if getattr(actor, "pk", None) else None,
    )


def issue_refusal(app: Application, sub, actor, today: dt.date) -> Notice:
    """不予行政许可决定书 for ``sub`` (art. 38): issued by its department, with the reasons and the
    applicant's remedies (call inside the decision's transaction)."""
    department = sub.department
    extra = {
        "member": {"number": sub.number, "name": sub.item_name, "department": department.name},
        "reasons": sub.reasons,
        "remedies": remedies(department.region_id),
    }
    return issue(app, "refusal", actor, today, extra, issuer=department.name)


def verify_url(notice: Notice) -> str:
    """The public verification URL the notice's QR code encodes."""
    return documents.verify_url(notice.document)


def render_pdf(notice: Notice, *, masked: bool = False) -> bytes:
    """The notice as PDF (embedded CJK font, QR code to the verification page); ``masked``:
    the personal numbers in its text masked, for anyone but the owner."""
    url = verify_url(notice)
    context = {
        "notice": notice,
        "content": mask_values(notice.content) if masked else notice.content,
        "verify_url": url,
        "qr_svg": qr_svg(url, title="核验文书"),
    }
    return render_document("cases/notice_pdf.html", context)


def stored_path(notice: Notice, audience: str) -> Path:
    """Where the rendering of ``notice`` for ``audience`` is stored (never served directly)."""
    return documents.stored_path(notice.document, audience)


def pdf_for(notice: Notice, viewer) -> bytes:
    """The notice's PDF as ``viewer`` may read it: in full for the case's owner, masked for
    anyone else (the caller has checked that ``viewer`` may see the case at all).

    Rendered on the first download for that audience, stored (with its SHA-256 on the
    document) and served from the file afterwards; a stored file that is missing or no longer
    matches its digest is rendered again from the notice's content, which never changes.
    """
    owner = is_owner(viewer, notice.application)
    return documents.stored_pdf(
        notice.document, "owner" if owner else "others", lambda: render_pdf(notice, masked=not owner)
    )
