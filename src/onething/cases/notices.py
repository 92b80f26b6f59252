"""文书: 受理通知书, 不予受理决定书, 补正材料通知书, 容缺受理告知书, 办结通知书.

A notice is issued inside the transition that causes it (same transaction) and stored with its
content; it never changes afterwards. Each notice has a random token; its QR code points to the
public verification page ``/cases/verify/<token>/``, which confirms the notice is genuine
without showing personal data.

The PDF is rendered once per audience, on its first download, and stored under
``MEDIA_ROOT/notices/`` with the SHA-256 of the file on the notice: the owner (the applicant
person) gets it in full, everyone else with the personal numbers in its text masked. Later
downloads serve the stored file (:func:`pdf_for`). Rendering at issue time would put about
150 ms per audience into the transition's locked transaction, so it waits for the first reader.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import os
import secrets
import tempfile
from pathlib import Path

from django.conf import settings

from onething.accounts.masking import mask_values
from onething.cases.access import is_owner
from onething.cases.models import Application, Notice
from onething.directory.models import Department
from onething.guides.pdf import qr_svg
from onething.guides.pdf import render_pdf as guides_pdf

KIND_MARK = {"acceptance": "受", "rejection": "不受", "correction": "补", "gaps": "容", "completion": "结"}
#: who reads a stored rendering: the owner (in full) or anyone else (personal numbers masked),
#: with the notice field that holds the rendering's SHA-256
AUDIENCE_DIGESTS = {"owner": "pdf_sha256_owner", "others": "pdf_sha256_others"}

logger = logging.getLogger(__name__)


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
    return guides_pdf("cases/notice_pdf.html", context)


def stored_path(notice: Notice, audience: str) -> Path:
    """Where the rendering of ``notice`` for ``audience`` is stored (never served directly)."""
    return Path(settings.MEDIA_ROOT) / "notices" / f"{notice.pk}-{audience}.pdf"


def _stored(path: Path, digest: str) -> bytes | None:
    """The stored file if it is there and still has the recorded SHA-256."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return None
    return data if hashlib.sha256(data).hexdigest() == digest else None


def _write_atomically(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` so that a reader sees the old file or the new one, never half."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile(dir=path.parent, prefix=".tmp-", delete=False) as tmp:
        tmp.write(data)
        tmp.flush()
        os.fsync(tmp.fileno())
    os.replace(tmp.name, path)


def pdf_for(notice: Notice, viewer) -> bytes:
    """The notice's PDF as ``viewer`` may read it: in full for the case's owner, masked for
    anyone else (the caller has checked that ``viewer`` may see the case at all).

    Rendered on the first download for that audience, stored (with its SHA-256 on the notice)
    and served from the file afterwards. A stored file that is missing or no longer matches
    its digest is rendered again from the notice's content, which never changes.
    """
    owner = is_owner(viewer, notice.application)
    audience = "owner" if owner else "others"
    field = AUDIENCE_DIGESTS[audience]
    path = stored_path(notice, audience)
    digest = getattr(notice, field)
    if digest:
        data = _stored(path, digest)
        if data is not None:
            return data
        logger.error("文书 %s 的存档 PDF（%s）缺失或与摘要不符，已按原内容重新生成", notice.number, audience)
    data = render_pdf(notice, masked=not owner)
    _write_atomically(path, data)
    digest = hashlib.sha256(data).hexdigest()
    Notice.objects.filter(pk=notice.pk).update(**{field: digest})
    setattr(notice, field, digest)
    return data
