"""Issue, verify and keep the renderings of verifiable documents.

- :func:`issue` registers a document inside the caller's transaction (a notice is issued by
  the transition that causes it, and rolls back with it). The caller keeps the content; the
  document keeps its SHA-256 (:func:`content_hash`) and a random token for the QR code.
- :func:`verify` finds a document by its token, for the public page and API.
- :func:`stored_pdf` serves a rendering stored under ``MEDIA_ROOT/documents/``: rendered on the
  first read for its audience (rendering at issue time would put ~150 ms per audience into the
  issuing transaction), kept with its SHA-256 on the document, checked on every read and
  rendered again from the unchanged content when the file is missing or no longer matches.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import os
import re
import secrets
import tempfile
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import transaction
from django.urls import reverse

from onething.documents import kinds
from onething.documents.models import Document
from onething.kernel.hashchain import canonical

#: tokens are ``secrets.token_urlsafe(32)``: 43 characters of the URL-safe alphabet
TOKEN_PATTERN = re.compile(r"[A-Za-z0-9_-]{43}")
#: an audience names a file: a short lowercase word
AUDIENCE_PATTERN = re.compile(r"[a-z][a-z0-9_]{0,19}")

logger = logging.getLogger(__name__)


def content_hash(content: Mapping[str, Any]) -> str:
    """SHA-256 of the canonical JSON of ``content`` (sorted keys, no whitespace, UTF-8): the same
    content always gives the same hash, whoever computes it."""
    return hashlib.sha256(canonical(content)).hexdigest()


def issue(
    *,
    kind: str,
    number: str,
    issuer: str,
    issued_on: dt.date,
    title: str,
    content: Mapping[str, Any],
    owner: str = "",
) -> Document:
    """Register an issued document (call inside the caller's transaction).

    ``kind`` must be registered (``kinds.register``) by the issuing app. Only ``number``,
    ``title``, ``issuer`` and ``issued_on`` are shown publicly: none of them may carry personal
    data; ``content`` is hashed, not stored.
    """
    if not kinds.is_registered(kind):
        raise ValueError(f"未登记的文书类型：{kind}")
    return Document.objects.create(
        kind=kind,
        number=number,
        title=title,
        issuer=issuer,
        issued_on=issued_on,
        content_sha256=content_hash(content),
        token=secrets.token_urlsafe(32),
        owner=owner,
    )


def verify(token: str) -> Document | None:
    """The document with this verification token, or ``None`` (also for anything that cannot be a
    token, without asking the database)."""
    if not isinstance(token, str) or not TOKEN_PATTERN.fullmatch(token):
        return None
    return Document.objects.filter(token=token).first()


def verify_url(document: Document) -> str:
    """The absolute URL of the public verification page (what the QR code encodes)."""
    return settings.PUBLIC_URL + reverse("documents:verify", args=[document.token])


def public_facts(document: Document) -> dict[str, Any]:
    """What anyone holding the token may see: the document's identity, no personal data."""
    return {
        "kind": document.kind,
        "kind_name": document.kind_label,
        "number": document.number,
        "title": document.title,
        "issuer": document.issuer,
        "issued_on": document.issued_on,
        "content_sha256": document.content_sha256,
    }


# ------------------------------------------------------------------------------- renderings


def stored_path(document: Document, audience: str) -> Path:
    """Where the rendering of ``document`` for ``audience`` is stored (never served directly)."""
    if not AUDIENCE_PATTERN.fullmatch(audience):
        raise ValueError(f"受众标识不合规：{audience!r}")
    return Path(settings.MEDIA_ROOT) / "documents" / f"{document.pk}-{audience}.pdf"


def _read_if_intact(path: Path, digest: str) -> bytes | None:
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


def stored_pdf(document: Document, audience: str, render: Callable[[], bytes]) -> bytes:
    """The rendering of ``document`` for ``audience`` (``"owner"``, ``"others"`` …).

    Served from the stored file while it matches the SHA-256 kept on the document; otherwise
    ``render()`` is called (it must render from the document's unchanging content), the file is
    written atomically and its digest recorded. The file and the digest are replaced under the
    document's row lock, so two first readers never leave a file that disagrees with its digest.
    """
    path = stored_path(document, audience)
    digest = document.renderings.get(audience)
    if digest:
        data = _read_if_intact(path, digest)
        if data is not None:
            return data
        logger.error(
            "文书 %s 的存档 PDF（%s）缺失或与摘要不符，已按原内容重新生成", document.number, audience
        )
    data = render()
    new_digest = hashlib.sha256(data).hexdigest()
    with transaction.atomic():
        current = (
            Document.objects.select_for_update()
            .filter(pk=document.pk)
            .values_list("renderings", flat=True)
            .first()
        ) or {}
        recorded = current.get(audience)
        if recorded and recorded != digest and (theirs := _read_if_intact(path, recorded)) is not None:
            document.renderings = current  # another reader stored it meanwhile: serve theirs
            return theirs
        _write_atomically(path, data)
        current = {**current, audience: new_digest}
        Document.objects.filter(pk=document.pk).update(renderings=current)
    document.renderings = current
    return data
