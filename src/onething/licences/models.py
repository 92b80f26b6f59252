"""The e-licence store.

- :class:`LicenceType` — the platform admin's table from the catalog's ``result.license_type``
  (a name such as 营业执照) to the national 证照类型代码 (ministry USCC + 3-digit sequence), with
  the materials a licence of the type stands for, its holder kind, validity and the fields it
  carries from the application.
- :class:`Licence` — one issued e-licence: the GB/T 36904 identifier, the metadata of
  GB/T 36903 (证照名称, 类型代码, 编号, 持证主体, 颁发机构, 颁证日期, 有效期, 状态), the fields, and the
  signed credential (a W3C VC 2.0 payload as a compact JWS). Its status is a machine
  (``licences.licence``): valid, suspended, revoked; *expired* follows from ``valid_until``.
- :class:`SigningKey` — the node's public keys with their ids; the private keys live outside
  the database (``keys.py``). Retired keys stay published while licences signed with them are.
- :class:`StatusList` — a W3C Bitstring Status List (revocation or suspension); every licence has
  a random index in one list of each purpose.
- :class:`TrustedIssuer` — another issuer's public key that the platform admin trusts.
- :class:`Consent` — the holder's 用证授权: licence type × item or bundle × purpose × validity,
  with a signed receipt; withdrawable. :class:`LicenceUse` — every use, allowed or refused.
- :class:`ShareLink` — a 加注件: a licence shown to a third party for a purpose and a period.
"""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone

from onething.accounts.models import User
from onething.directory.models import Department
from onething.kernel import codes

HOLDER_KINDS = [("person", "自然人"), ("enterprise", "法人")]


class LicenceType(models.Model):
    """证照类型: a catalog result name mapped to its national type code."""

    code = models.CharField("证照类型代码", max_length=21, primary_key=True)
    name = models.CharField(
        "证照名称", max_length=100, unique=True, help_text="与事项办理结果的 license_type 一致"
    )
    holder_kind = models.CharField("持证主体类型", max_length=10, choices=HOLDER_KINDS, default="person")
    materials = models.JSONField(
        "可替代的申请材料",
        default=list,
        blank=True,
        help_text="材料类型编码列表：持有该证照即可免提交这些材料",
    )
    validity_years = models.PositiveSmallIntegerField(
        "有效期（年）", null=True, blank=True, help_text="留空为长期有效"
    )
    #: ``[{"key": "enterprise_name", "label": "名称", "from": "enterprise.name"}]``: copied from the
    #: application form (a dotted path) when issued
    fields = models.JSONField("证照字段", default=list, blank=True)
    active = models.BooleanField("启用", default=True)

    class Meta:
        verbose_name = "证照类型"
        verbose_name_plural = "证照类型"
        ordering = ["name"]

    def __str__(self) -> str:
        return f"{self.name}（{self.code}）"

    def clean(self) -> None:
        problem = type_code_problem(self.code)
        if problem:
            raise ValidationError({"code": problem})
        if not isinstance(self.materials, list) or not all(isinstance(m, str) for m in self.materials):
            raise ValidationError({"materials": "应为材料类型编码的列表"})
        if not isinstance(self.fields, list) or not all(
            isinstance(f, dict) and f.get("key") and f.get("label") for f in self.fields
        ):
            raise ValidationError({"fields": "每个字段应有 key 和 label"})


def type_code_problem(code: str) -> str | None:
    """A 证照类型代码 is the issuing ministry's USCC followed by a 3-digit sequence."""
    if len(code or "") != 21 or not code[18:].isdigit():
        return "证照类型代码应为主管部委统一社会信用代码加3位顺序号，共21位"
    reason = codes.validate_uscc(code[:18])
    return f"证照类型代码的前18位{reason}" if reason else None


class StatusList(models.Model):
    """A W3C Bitstring Status List: bit ``i`` set means the licence at index ``i`` has the
    list's status (revoked, or suspended). Published as a signed credential."""

    PURPOSES = [("revocation", "撤销"), ("suspension", "暂停")]
    purpose = models.CharField("用途", max_length=12, choices=PURPOSES)
    size = models.PositiveIntegerField("位数")
    bits = models.BinaryField("位串")
    used = models.PositiveIntegerField("已分配", default=0)
    updated_at = models.DateTimeField("更新时间", default=timezone.now)

    class Meta:
        verbose_name = "状态列表"
        verbose_name_plural = "状态列表"

    def __str__(self) -> str:
        return f"{self.get_purpose_display()}状态列表 {self.pk}"


class Licence(models.Model):
    class Status(models.TextChoices):
        VALID = "valid", "有效"
        SUSPENDED = "suspended", "暂停"
        REVOKED = "revoked", "已废止"

    identifier = models.CharField("证照标识", max_length=120, unique=True)
    type = models.ForeignKey(LicenceType, verbose_name="证照类型", on_delete=models.PROTECT, related_name="+")
    name = models.CharField("证照名称", max_length=100)
    number = models.CharField("证照编号", max_length=40)
    version = models.PositiveSmallIntegerField("版本号", default=1)
    holder_kind = models.CharField("持证主体类型", max_length=10, choices=HOLDER_KINDS)
    holder_id = models.CharField("持证主体代码", max_length=18, db_index=True)
    holder_name = models.CharField("持证主体", max_length=200)
    issuer = models.ForeignKey(
        Department, verbose_name="颁发机构", on_delete=models.PROTECT, related_name="+"
    )
    issued_on = models.DateField("颁证日期")
    valid_until = models.DateField("有效期至", null=True, blank=True)
    status = models.CharField("证照状态", max_length=10, choices=Status.choices, default=Status.VALID)
    reason_code = models.CharField("状态变更原因", max_length=12, blank=True)
    reason = models.CharField("原因说明", max_length=500, blank=True)
    fields = models.JSONField("证照信息", default=dict, blank=True)
    credential = models.TextField("可验证凭证（JWS）")
    kid = models.CharField("签名密钥", max_length=64)
    revocation_index = models.PositiveIntegerField("撤销列表位置")
    suspension_index = models.PositiveIntegerField("暂停列表位置")
    revocation_list = models.ForeignKey(StatusList, on_delete=models.PROTECT, related_name="+")
    suspension_list = models.ForeignKey(StatusList, on_delete=models.PROTECT, related_name="+")
    #: what issued it: ``cases.subcase:<number>``, ``demo``, …
    source = models.CharField("来源", max_length=100, blank=True)
    replaces = models.ForeignKey(
        "self", verbose_name="换发自", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    document = models.ForeignKey(
        "documents.Document", verbose_name="证照文书", null=True, blank=True, on_delete=models.PROTECT
    )
    created_at = models.DateTimeField("登记时间", default=timezone.now)

    class Meta:
        verbose_name = "电子证照"
        verbose_name_plural = "电子证照"
        ordering = ["-issued_on", "-id"]
        indexes = [models.Index(fields=["holder_id", "type"])]
        constraints = [
            models.UniqueConstraint(
                fields=["revocation_list", "revocation_index"], name="licence_revocation_bit"
            ),
            models.UniqueConstraint(
                fields=["suspension_list", "suspension_index"], name="licence_suspension_bit"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} {self.number}"

    def expired(self, today: dt.date | None = None) -> bool:
        today = today or timezone.localdate()
        return self.valid_until is not None and self.valid_until < today

    def public_status(self, today: dt.date | None = None) -> str:
        """valid | suspended | revoked | expired (expiry is derived, never stored)."""
        if self.status == self.Status.VALID and self.expired(today):
            return "expired"
        return self.status


class SigningKey(models.Model):
    """A public signing key of this node, published in ``/.well-known/jwks.json``."""

    kid = models.CharField("密钥标识", max_length=64, primary_key=True)
    signer = models.CharField("签名算法插件", max_length=20)
    public_jwk = models.JSONField("公钥（JWK）")
    active = models.BooleanField("当前签名密钥", default=False)
    created_at = models.DateTimeField("生成时间", default=timezone.now)
    retired_at = models.DateTimeField("停用时间", null=True, blank=True)

    class Meta:
        verbose_name = "签名密钥"
        verbose_name_plural = "签名密钥"
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["active"], condition=models.Q(active=True), name="one_active_signing_key"
            )
        ]

    def __str__(self) -> str:
        return self.kid


class TrustedIssuer(models.Model):
    """信任列表: another issuer's public key (the national system, another province's node)."""

    name = models.CharField("签发方名称", max_length=200)
    issuer = models.CharField(
        "签发方标识", max_length=200, help_text="其凭证中的 issuer（网址或统一社会信用代码）"
    )
    kid = models.CharField("密钥标识", max_length=64, unique=True)
    public_jwk = models.JSONField("公钥（JWK）")
    active = models.BooleanField("信任", default=True)
    added_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    added_at = models.DateTimeField("加入时间", default=timezone.now)

    class Meta:
        verbose_name = "受信任的签发方"
        verbose_name_plural = "信任列表"

    def __str__(self) -> str:
        return f"{self.name}（{self.kid}）"


class Consent(models.Model):
    """用证授权: the holder allows a licence type to be used for one item or bundle, for one
    purpose, until a date. Withdrawn consent is kept (the receipt and the uses refer to it)."""

    class Status(models.TextChoices):
        GIVEN = "given", "已授权"
        WITHDRAWN = "withdrawn", "已撤回"

    SCOPES = [("item", "事项"), ("bundle", "一件事")]
    user = models.ForeignKey(
        User, verbose_name="授权人", on_delete=models.CASCADE, related_name="licence_consents"
    )
    holder_id = models.CharField("持证主体代码", max_length=18)
    type = models.ForeignKey(LicenceType, verbose_name="证照类型", on_delete=models.PROTECT, related_name="+")
    scope = models.CharField("授权范围", max_length=10, choices=SCOPES)
    scope_code = models.CharField("事项或一件事编码", max_length=64)
    scope_name = models.CharField("事项或一件事名称", max_length=200)
    purpose = models.CharField("用途", max_length=200)
    valid_until = models.DateField("授权有效期至")
    receipt = models.TextField("授权回执（JWS）")
    status = models.CharField("状态", max_length=10, choices=Status.choices, default=Status.GIVEN)
    created_at = models.DateTimeField("授权时间", default=timezone.now)
    withdrawn_at = models.DateTimeField("撤回时间", null=True, blank=True)

    class Meta:
        verbose_name = "用证授权"
        verbose_name_plural = "用证授权"
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["holder_id", "type"])]

    def __str__(self) -> str:
        return f"{self.type.name} · {self.scope_name} · {self.purpose}"

    def in_force(self, today: dt.date | None = None) -> bool:
        today = today or timezone.localdate()
        return self.status == self.Status.GIVEN and self.valid_until >= today


class LicenceUse(models.Model):
    """One use of a licence (or one refused attempt), shown to the holder."""

    licence = models.ForeignKey(Licence, on_delete=models.CASCADE, related_name="uses")
    consent = models.ForeignKey(Consent, null=True, blank=True, on_delete=models.PROTECT, related_name="uses")
    department = models.ForeignKey(
        Department, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    actor = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    purpose = models.CharField("用途", max_length=200)
    application = models.CharField("办件编号", max_length=40, blank=True)
    allowed = models.BooleanField("已使用")
    reason = models.CharField("说明", max_length=300, blank=True)
    at = models.DateTimeField("时间", default=timezone.now)

    class Meta:
        verbose_name = "用证记录"
        verbose_name_plural = "用证记录"
        ordering = ["-at", "-id"]


class ShareLink(models.Model):
    """加注件: the licence shown to a third party, for a stated purpose, until ``expires_at``.
    Only the SHA-256 of the link's token is stored."""

    licence = models.ForeignKey(Licence, on_delete=models.CASCADE, related_name="share_links")
    created_by = models.ForeignKey(User, on_delete=models.CASCADE, related_name="+")
    token_sha256 = models.CharField(max_length=64, unique=True)
    recipient = models.CharField("提供给", max_length=100)
    purpose = models.CharField("用途", max_length=200)
    expires_at = models.DateTimeField("有效期至")
    created_at = models.DateTimeField("创建时间", default=timezone.now)
    revoked_at = models.DateTimeField("收回时间", null=True, blank=True)
    views = models.PositiveIntegerField("查看次数", default=0)

    class Meta:
        verbose_name = "加注件分享"
        verbose_name_plural = "加注件分享"
        ordering = ["-created_at"]

    def open_at(self, now: dt.datetime) -> bool:
        return (
            self.revoked_at is None
            and self.expires_at > now
            and self.licence.status != Licence.Status.REVOKED
        )


class Counter(models.Model):
    """The last serial issued per licence type, issuer and year (locked while issuing)."""

    type = models.ForeignKey(LicenceType, on_delete=models.CASCADE, related_name="+")
    issuer = models.ForeignKey(Department, on_delete=models.CASCADE, related_name="+")
    year = models.PositiveSmallIntegerField()
    last = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = "证照序列号"
        verbose_name_plural = "证照序列号"
        constraints = [models.UniqueConstraint(fields=["type", "issuer", "year"], name="licence_counter_key")]
