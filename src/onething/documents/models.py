"""Verifiable documents: the public record of what the platform issued.

A :class:`Document` holds only what a verifier may see (kind, number, title, issuer, date) and
the SHA-256 of the canonical content JSON, never the content itself: the owning app keeps the
content (a notice's applicant, reasons …), so the public record carries no personal data. The
random token is what a QR code prints; it is the only way to look a document up publicly.
"""

from __future__ import annotations

import uuid

from django.db import models
from django.utils import timezone

from onething.documents import kinds


class Document(models.Model):
    """One issued document (受理通知书 …); immutable once issued, apart from its renderings."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    kind = models.CharField("类型", max_length=kinds.KIND_MAX_LENGTH)
    number = models.CharField("文号", max_length=80)
    title = models.CharField("标题", max_length=200)
    issuer = models.CharField("出具单位", max_length=200)
    issued_on = models.DateField("出具日期")
    content_sha256 = models.CharField("内容摘要（SHA-256）", max_length=64)
    token = models.CharField("核验码", max_length=43, unique=True)
    #: what the document belongs to, as ``app.model:key`` (e.g. ``cases.application:<number>``)
    owner = models.CharField("所属对象", max_length=100, blank=True, default="")
    #: SHA-256 of each stored rendering, by audience (``service.stored_pdf``)
    renderings = models.JSONField("存档文件摘要", default=dict, blank=True)
    created_at = models.DateTimeField("登记时间", default=timezone.now, editable=False)

    class Meta:
        verbose_name = "可核验文书"
        verbose_name_plural = "可核验文书"
        ordering = ["-created_at"]
        constraints = [models.UniqueConstraint(fields=["kind", "number"], name="document_number_per_kind")]

    def __str__(self) -> str:
        return f"{self.kind_label} {self.number}"

    @property
    def kind_label(self) -> str:
        return kinds.label(self.kind)
