"""办理结果文件: the certificate or approval document an approver files with a decision.

The file passes the checks of every upload (``cases.uploads``: PDF/JPEG/PNG by magic bytes,
structure, size) *before* anything is decided; the decision and the file's record are then one
transaction, so a refused file decides nothing and a refused decision stores no file. The
applicant and the staff who see the sub-case download it as an attachment (never rendered as
a page of the site).
"""

from __future__ import annotations

import re
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from onething.accounts.masking import text_for
from onething.audit.log import record
from onething.cases import lifecycle, uploads
from onething.cases.models import ResultFile, SubCase
from onething.kernel import errors


def decide(
    subcase: SubCase, actor, *, decision: str, reasons: str = "", upload=None, now=None, today=None
) -> ResultFile | None:
    """作出决定 (``lifecycle.decide``) with an optional result file; returns its record."""
    now = now or timezone.now()
    checked = uploads.check_file(upload) if upload is not None else None
    try:
        with transaction.atomic():
            lifecycle.decide(subcase, actor, decision=decision, reasons=reasons, now=now, today=today)
            return attach(subcase, checked, actor, now) if checked is not None else None
    finally:
        if checked is not None:
            checked.discard()


def attach(subcase: SubCase, checked: uploads.Checked, actor, now) -> ResultFile:
    """Record a checked file as ``subcase``'s result (caller's transaction, with the decision)."""
    name = uploads.place_checked(checked)
    result = ResultFile.objects.create(
        subcase=subcase,
        sha256=checked.staged.sha256,
        size=checked.staged.size,
        content_type=checked.content_type,
        filename=checked.filename,
        path=name,
        uploaded_by=actor if getattr(actor, "pk", None) else None,
    )
    record(
        "subcase.result_file",
        "subcase",
        subcase.number,
        actor=actor,
        data={"sha256": result.sha256, "size": result.size, "content_type": result.content_type},
        at=now,
    )
    return result


KIND_NAMES = {"application/pdf": "PDF", "image/jpeg": "JPEG", "image/png": "PNG"}


def views_of(subs, owner: bool) -> dict[int, list[dict]]:
    """The result files per sub-case id, as pages and the API show them (one query; the typed
    file name masked for anyone but the owner)."""
    out: dict[int, list[dict]] = {}
    for f in ResultFile.objects.filter(subcase__in=list(subs)).order_by("id"):
        out.setdefault(f.subcase_id, []).append(
            {
                "id": f.pk,
                "filename": text_for(f.filename, owner=owner),
                "kind": KIND_NAMES.get(f.content_type, f.content_type),
                "size": f.size,
                "size_text": size_text(f.size),
                "uploaded_at": f.created_at,
            }
        )
    return out


def size_text(size: int) -> str:
    """``820 字节``, ``12.5 KB``, ``1.2 MB``."""
    if size < 1024:
        return f"{size} 字节"
    if size < 1024 * 1024:
        return f"{size / 1024:.1f} KB"
    return f"{size / (1024 * 1024):.1f} MB"


def download_name(result: ResultFile) -> str:
    """``result-<sub-case number>-<id>.<ext>``, ASCII only (see ``uploads.download_name``)."""
    number = re.sub(r"[^A-Za-z0-9_-]+", "_", result.subcase.number).strip("_-")[:60] or "subcase"
    extension = re.sub(r"[^A-Za-z0-9]+", "", result.path.rsplit(".", 1)[-1])[:8] or "bin"
    return f"result-{number}-{result.pk}.{extension}"


def response(result: ResultFile):
    """The stored file as a sandboxed attachment (callers must have checked who is asking)."""
    path = Path(settings.MEDIA_ROOT) / result.path
    if not result.path or not path.exists():
        raise errors.NotFound("文件不存在", "file")
    return uploads.sandboxed_download(path.open("rb"), result.content_type, download_name(result))
