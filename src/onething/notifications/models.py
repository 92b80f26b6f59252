"""Notifications: the inbox (站内消息), the outbox of messages still to send on other channels,
and which channels each event uses.

- :class:`Notification` — a person's inbox. Written in the transaction of the change it
  reports, so it is exactly as durable as the change (no message for a rolled-back change,
  none lost to a crash after the commit).
- :class:`OutboxMessage` — one message to send on one channel (SMS, email, console …),
  written in the same transaction, delivered afterwards by a huey task (``delivery.py``).
- :class:`EventChannel` — which channels an event kind uses, besides the inbox (data, edited
  in the admin; no row: the inbox only).
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone


class Notification(models.Model):
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="接收人",
        on_delete=models.CASCADE,
        related_name="notifications",
        db_index=False,  # the two composite indexes below start with it
    )
    event = models.CharField("事件", max_length=60)
    title = models.CharField("标题", max_length=200)
    body = models.TextField("内容", blank=True)
    link = models.CharField("链接", max_length=300, blank=True)
    created_at = models.DateTimeField("时间", auto_now_add=True)
    read_at = models.DateTimeField("已读时间", null=True, blank=True)

    class Meta:
        verbose_name = "站内消息"
        verbose_name_plural = "站内消息"
        ordering = ["-created_at", "-id"]
        indexes = [
            # a person's inbox, newest first; the unread ones alone (the header's count and the
            # unread filter stay cheap for a clerk with years of messages)
            models.Index(fields=["recipient", "-created_at"], name="notification_inbox"),
            models.Index(
                fields=["recipient", "-created_at"],
                name="notification_unread",
                condition=Q(read_at__isnull=True),
            ),
        ]

    def __str__(self) -> str:
        return self.title


class OutboxMessage(models.Model):
    """One message for one person on one channel, waiting to be sent, sent, or given up.

    ``pending`` → ``sending`` (claimed by a delivery run) → ``sent``; a failed attempt goes to
    ``retrying`` (``next_attempt_at`` later, with backoff) and after the last allowed attempt
    to ``failed``. A claim older than the claim timeout (its consumer died) goes back to
    ``retrying``.
    """

    class Status(models.TextChoices):
        PENDING = "pending", "待发送"
        SENDING = "sending", "发送中"
        RETRYING = "retrying", "等待重试"
        SENT = "sent", "已发送"
        FAILED = "failed", "发送失败"

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="接收人",
        on_delete=models.CASCADE,
        related_name="+",
        db_index=False,  # looked up by status, not by person; deleting a person is rare
    )
    channel = models.CharField("渠道", max_length=30)
    event = models.CharField("事件", max_length=60)
    title = models.CharField("标题", max_length=200)
    body = models.TextField("内容", blank=True)
    link = models.CharField("链接", max_length=300, blank=True)
    status = models.CharField("状态", max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField("已尝试次数", default=0)
    next_attempt_at = models.DateTimeField("下次尝试时间", default=timezone.now)
    claimed_at = models.DateTimeField("领取时间", null=True, blank=True)
    last_error = models.CharField("最近错误", max_length=500, blank=True)
    created_at = models.DateTimeField("创建时间", auto_now_add=True)
    sent_at = models.DateTimeField("发送时间", null=True, blank=True)

    class Meta:
        verbose_name = "待发消息"
        verbose_name_plural = "待发消息（发件箱）"
        ordering = ["-id"]
        indexes = [
            # what a delivery run claims: due rows, oldest first (sent rows stay out of it)
            models.Index(
                fields=["next_attempt_at", "id"],
                name="outbox_due",
                condition=Q(status__in=["pending", "retrying"]),
            ),
            # claims whose consumer died
            models.Index(fields=["claimed_at"], name="outbox_claimed", condition=Q(status="sending")),
            models.Index(fields=["status", "-id"], name="outbox_status"),  # the admin's filter
        ]

    def __str__(self) -> str:
        return f"{self.channel} #{self.pk}"


class EventChannel(models.Model):
    """The channels an event kind (``case.accept`` …) is sent on besides the inbox.

    A channel listed here is used only where the deployment enables it (``ONETHING_NOTIFY``);
    an event without a row goes to the inbox only.
    """

    event = models.CharField("事件", max_length=60, unique=True)
    label = models.CharField("说明", max_length=100, blank=True)
    channels = models.JSONField("其他渠道", default=list, blank=True)
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    class Meta:
        verbose_name = "事件通知渠道"
        verbose_name_plural = "事件通知渠道"
        ordering = ["event"]

    def __str__(self) -> str:
        return f"{self.event}（{self.label}）" if self.label else self.event
