"""文书: 受理通知书, 不予受理决定书, 补正材料通知书, 容缺受理告知书, 办结通知书.

A notice is issued inside the transition that causes it (same transaction) and stored with its
content, so the PDF can be rendered again at any time and always says the same thing. Each
notice has a random token; its QR code points to the public verification page
``/cases/verify/<token>/``, which confirms the notice is genuine without showing personal data.
"""

from __future__ import annotations

import datetime as dt
import secrets

from django.conf import settings

from onething.cases.models import Application, Notice
from onething.directory.models import Department
from onething.guides.pdf import qr_svg
from onething.guides.pdf import render_pdf as guides_pdf

KIND_MARK = {"acceptance": "受", "rejection": "不受", "correction": "补", "gaps": "容", "completion": "结"}


def _issuer(app: Application) -> str:
    """The hall for window intake, otherwise the lead (or the item's) department."""
    if app.hall_id:
        return app.hall.name
    code = app.plan.get("lead_department") or ""
    return Department.objects.filter(code=code).values_list("name", flat=True).first() or "政务服务中心"


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
    content.update(extra or {})
    return content


def issue(app: Application, kind: str, actor, today: dt.date, extra: dict | None = None) -> Notice:
    """Create the notice (call inside the transition's transaction)."""
    sequence = app.notices.filter(kind=kind).count() + 1
    number = f"{KIND_MARK[kind]}字〔{today.year}〕{app.number}-{sequence}号"
    return Notice.objects.create(
        token=secrets.token_urlsafe(32),
        application=app,
        kind=kind,
        number=number,
        department_name=_issuer(app),
        issued_on=today,
        content=_content(app, kind, extra),
        issued_by=actor if getattr(actor, "pk", None) else None,
    )


def verify_url(notice: Notice) -> str:
    return f"{settings.PUBLIC_URL}/cases/verify/{notice.token}/"


def render_pdf(notice: Notice) -> bytes:
    """The notice as PDF (embedded CJK font, QR code to the verification page)."""
    url = verify_url(notice)
    context = {
        "notice": notice,
        "content": notice.content,
        "verify_url": url,
        "qr_svg": qr_svg(url, title="核验文书"),
    }
    return guides_pdf("cases/notice_pdf.html", context)
