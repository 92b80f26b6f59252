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
