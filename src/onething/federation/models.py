"""跨省通办 nodes and the trust between them.

- :class:`Node` — this node's identity (at most one row): its GB/T 2260 code (a province's
  ``PP0000``; a hub, such as the national 枢纽, may have any 6-digit code of its own), name, URL.
- :class:`NodeKey` — this node's Ed25519 signing keys, by id (``kid``, the key's RFC 7638
  thumbprint). Exactly one is current (it signs); a key rotated out keeps verifying until its
  ``valid_until`` (the overlap). The private keys are PEM files outside the database
  (``keys.py``).
- :class:`Peer` — another node whose descriptor this node trusts (``onething node trust``),
  reached point-to-point or through a hub (``via``).
- :class:`PeerKey` — the public keys pinned from a peer's descriptor: only envelopes signed
  with one of them, valid now, are heard.
"""

from __future__ import annotations

import datetime as dt

from django.db import models
from django.utils import timezone


def _valid(valid_until: dt.datetime | None, now: dt.datetime) -> bool:
    return valid_until is None or valid_until > now


class Node(models.Model):
    """This node (``onething node init``)."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1, editable=False)
    code = models.CharField(
        "节点代码",
        max_length=6,
        help_text="GB/T 2260 行政区划代码：省级节点为 PP0000，枢纽节点可为任一6位代码",
    )
    name = models.CharField("节点名称", max_length=100)
    url = models.CharField("节点网址", max_length=200, help_text="http:// 或 https:// 开头")
    hub = models.BooleanField("枢纽节点", default=False, help_text="转发其他节点之间的签名报文")
    created_at = models.DateTimeField("初始化时间", default=timezone.now)

    class Meta:
        verbose_name = "本节点"
        verbose_name_plural = "本节点"
        constraints = [models.CheckConstraint(condition=models.Q(id=1), name="federation_one_node")]

    def __str__(self) -> str:
        return f"{self.name}（{self.code}）"


class NodeKey(models.Model):
    """A signing key of this node; the private key is ``<kid>.pem`` in the node key directory."""

    kid = models.CharField("密钥标识", max_length=64, unique=True, help_text="公钥的 RFC 7638 指纹")
    public_jwk = models.JSONField("公钥（JWK）")
    created_at = models.DateTimeField("生成时间", default=timezone.now)
    current = models.BooleanField("当前签名密钥", default=False)
    valid_until = models.DateTimeField(
        "验证截止时间", null=True, blank=True, help_text="轮换后旧密钥继续用于验证直到此时（过渡期）"
    )

    class Meta:
        verbose_name = "本节点签名密钥"
        verbose_name_plural = "本节点签名密钥"
        ordering = ["-current", "-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["current"], condition=models.Q(current=True), name="federation_one_current_node_key"
            )
        ]

    def __str__(self) -> str:
        return self.kid

    def valid_at(self, now: dt.datetime) -> bool:
        return _valid(self.valid_until, now)


class Peer(models.Model):
    """A trusted node: its last trusted descriptor and how to reach it."""

    code = models.CharField("节点代码", max_length=6, unique=True)
    name = models.CharField("节点名称", max_length=100)
    url = models.CharField("节点网址", max_length=200, help_text="http:// 或 https:// 开头")
    hub = models.BooleanField("枢纽节点", default=False)
    via = models.CharField(
        "经由枢纽", max_length=6, blank=True, default="", help_text="转发报文的枢纽节点代码；留空为点对点"
    )
    trusted_at = models.DateTimeField("首次信任时间", default=timezone.now)
    updated_at = models.DateTimeField("更新时间", default=timezone.now)
    descriptor = models.JSONField("描述文件", help_text="最近一次信任的节点描述文件")

    class Meta:
        verbose_name = "信任节点"
        verbose_name_plural = "信任节点"
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.name}（{self.code}）"


class PeerKey(models.Model):
    """A public key pinned from a peer's descriptor."""

    peer = models.ForeignKey(Peer, on_delete=models.CASCADE, related_name="keys", verbose_name="信任节点")
    kid = models.CharField("密钥标识", max_length=64)
    public_jwk = models.JSONField("公钥（JWK）")
    current = models.BooleanField("当前签名密钥", default=False)
    valid_until = models.DateTimeField("验证截止时间", null=True, blank=True)

    class Meta:
        verbose_name = "信任节点公钥"
        verbose_name_plural = "信任节点公钥"
        ordering = ["peer", "-current", "kid"]
        constraints = [
            models.UniqueConstraint(fields=["peer", "kid"], name="federation_peer_key_once"),
            models.UniqueConstraint(
                fields=["peer"], condition=models.Q(current=True), name="federation_one_current_peer_key"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.peer.code}/{self.kid}"

    def valid_at(self, now: dt.datetime) -> bool:
        return _valid(self.valid_until, now)


# ------------------------------------------------------------------------------ messages


class Outbound(models.Model):
    """A sealed envelope to a peer (the federation outbox): written in the same transaction as
    the local change it tells, delivered by the relay with retries and backoff and no expiry,
    done when the peer's signed receipt comes back."""

    class Status(models.TextChoices):
        PENDING = "pending", "待发送"
        RETRYING = "retrying", "重试中"
        SENDING = "sending", "发送中"
        DELIVERED = "delivered", "已送达"

    message_id = models.UUIDField("报文编号", unique=True)
    recipient = models.CharField("接收节点", max_length=6)
    route = models.CharField("发往", max_length=6, help_text="直接发往的节点：接收节点，或中转的枢纽节点")
    case = models.CharField("所属办件", max_length=64, blank=True)
    seq = models.PositiveIntegerField("办件内序号")
    kind = models.CharField("报文类型", max_length=64)
    token = models.TextField("签名报文")
    digest = models.CharField("报文摘要", max_length=64)
    status = models.CharField("状态", max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveIntegerField("发送次数", default=0)
    next_attempt_at = models.DateTimeField("下次发送时间", default=timezone.now)
    claimed_at = models.DateTimeField("领取时间", null=True, blank=True)
    last_error = models.CharField("最近错误", max_length=500, blank=True)
    created_at = models.DateTimeField("生成时间", default=timezone.now)
    delivered_at = models.DateTimeField("送达时间", null=True, blank=True)
    receipt = models.TextField("对方签名回执", blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "发出的报文"
        constraints = [
            models.UniqueConstraint(
                fields=["recipient", "case", "seq"],
                condition=~models.Q(case=""),
                name="federation_outbound_case_seq",
            ),
        ]
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="federation_outbound_due")]

    def __str__(self) -> str:
        return f"{self.kind} → {self.recipient} {self.case}#{self.seq}"


class Inbound(models.Model):
    """An envelope heard from a trusted peer (the federation inbox): (sender, message id) is
    unique, so a second delivery finds the first and is answered with its receipt. ``held``:
    a later message of a case waiting for an earlier one; ``applied``: its effect committed
    with this row."""

    class Status(models.TextChoices):
        HELD = "held", "待前序报文"
        APPLIED = "applied", "已处理"
        REFUSED = "refused", "已拒收"

    sender = models.CharField("发送节点", max_length=6)
    message_id = models.UUIDField("报文编号")
    case = models.CharField("所属办件", max_length=64, blank=True)
    seq = models.PositiveIntegerField("办件内序号")
    kind = models.CharField("报文类型", max_length=64)
    token = models.TextField("签名报文")
    digest = models.CharField("报文摘要", max_length=64)
    status = models.CharField("状态", max_length=10, choices=Status.choices)
    reason = models.CharField("说明", max_length=500, blank=True)
    received_at = models.DateTimeField("收到时间", default=timezone.now)
    applied_at = models.DateTimeField("处理时间", null=True, blank=True)
    receipt = models.TextField("本节点签名回执", blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "收到的报文"
        constraints = [
            models.UniqueConstraint(fields=["sender", "message_id"], name="federation_inbound_once"),
            # one live (held or applied) message per place in a case; refused ones (a replayed
            # sequence number under a new message id) are kept beside it for their receipts
            models.UniqueConstraint(
                fields=["sender", "case", "seq"],
                condition=~models.Q(case="") & ~models.Q(status="refused"),
                name="federation_inbound_case_seq",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} ← {self.sender} {self.case}#{self.seq}"


class Sequence(models.Model):
    """Per peer and case: the last sequence number sent (``out``) or applied (``in``)."""

    class Direction(models.TextChoices):
        OUT = "out", "发出"
        IN = "in", "收到"

    peer = models.CharField("对方节点", max_length=6)
    case = models.CharField("所属办件", max_length=64)
    direction = models.CharField("方向", max_length=3, choices=Direction.choices)
    last = models.PositiveIntegerField("最后序号", default=0)

    class Meta:
        verbose_name = verbose_name_plural = "报文序号"
        constraints = [
            models.UniqueConstraint(fields=["peer", "case", "direction"], name="federation_sequence_once")
        ]


class LogEntry(models.Model):
    """The message log: every envelope and receipt sent or heard (and every refusal), each
    linked to the one before by a hash chain, exported for offline verification."""

    class Event(models.TextChoices):
        SENT = "sent", "发出报文"
        RECEIVED = "received", "收到报文"
        RECEIPT_SENT = "receipt_sent", "发出回执"
        RECEIPT_RECEIVED = "receipt_received", "收到回执"
        REFUSED = "refused", "拒收"
        RELAYED = "relayed", "中转"

    event = models.CharField("事件", max_length=20, choices=Event.choices)
    peer = models.CharField("对方节点", max_length=6, blank=True)
    message_id = models.CharField("报文编号", max_length=36, blank=True)
    digest = models.CharField("摘要", max_length=64)
    token = models.TextField("报文或回执")
    reason = models.CharField("说明", max_length=500, blank=True)
    at = models.DateTimeField("时间", default=timezone.now)
    previous_hash = models.CharField("前一条哈希", max_length=64)
    hash = models.CharField("本条哈希", max_length=64, unique=True)

    class Meta:
        verbose_name = verbose_name_plural = "报文日志"
        indexes = [models.Index(fields=["message_id"], name="federation_log_message")]
