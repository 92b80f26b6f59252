"""Append-only, hash-chained audit log (审计日志).

Every state change of a case (and other sensitive actions) appends one :class:`AuditRecord`
in the same transaction as the change. Each record carries the hash of the one before it, so
editing, deleting or reordering rows is detected by :func:`onething.audit.log.verify_chain`.
A record is written *pending* (``sequence``, ``previous_hash`` and ``hash`` empty) and linked
into the chain right after its transaction commits (:func:`onething.audit.log.link_pending`).
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models


class ChainHead(models.Model):
    """A single row locked while linking pending records, so they form one chain."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    last_hash = models.CharField(max_length=64)
    length = models.PositiveBigIntegerField(default=0)

    class Meta:
        verbose_name = "审计链头"
        verbose_name_plural = "审计链头"


class AuditRecord(models.Model):
    sequence = models.PositiveBigIntegerField("序号", unique=True, null=True, blank=True)
    at = models.DateTimeField("时间")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="操作人",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    actor_label = models.CharField("操作人", max_length=100, blank=True)
    action = models.CharField("操作", max_length=60, db_index=True)
    object_type = models.CharField("对象类型", max_length=40)
    object_id = models.CharField("对象", max_length=120)  # an e-licence identifier is 73 characters
    reason = models.TextField("原因", blank=True)
    data = models.JSONField("内容", default=dict, blank=True)
    previous_hash = models.CharField(max_length=64, null=True, blank=True)  # NULL while pending
    hash = models.CharField(max_length=64, unique=True, null=True, blank=True)  # NULL while pending

    class Meta:
        verbose_name = "审计记录"
        verbose_name_plural = "审计记录"
        ordering = ["id"]
        indexes = [
            models.Index(fields=["object_type", "object_id"], name="audit_object"),
            # the linker's "what is pending" scan reads only these rows
            models.Index(fields=["id"], name="audit_pending", condition=models.Q(sequence__isnull=True)),
        ]

    def __str__(self) -> str:
        return f"#{self.sequence or '待链接'} {self.action} {self.object_type}:{self.object_id}"

    def content(self) -> dict:
        """The fields covered by the hash (everything but the hashes themselves)."""
        return {
            "sequence": self.sequence,
            # UTC whatever zone the caller passed: the database hands it back in UTC
            "at": self.at.astimezone(dt.UTC).isoformat(),
            "actor": self.actor_id,
            "actor_label": self.actor_label,
            "action": self.action,
            "object_type": self.object_type,
            "object_id": self.object_id,
            "reason": self.reason,
            "data": self.data,
        }
