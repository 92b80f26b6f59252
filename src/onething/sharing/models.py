"""数据共享: the resource catalog, the three lists, requests (授权), the call log and 数据异议.

- :class:`Resource` — a data resource of a providing department: its fields, sharing class
  (无条件 / 有条件 / 不予共享), legal basis, update frequency, source system, the provider plugin
  that answers for it (``providers``) and the material types it makes 免提交. Every saved edit
  is a :class:`ResourceVersion` (who, when, why).
- The three lists: :class:`Demand` (需求清单, raised by using departments, linked to the items
  and material types it would replace), :class:`Duty` (供给/责任清单, what a department must
  provide) and :class:`NegativeEntry` (负面清单, data not shared, each with its legal basis).
- :class:`Request` — a using department's request for named fields, for a purpose, under a
  legal basis, for items; its lifecycle is the machine ``sharing.request``; once approved it is
  the bounded approval the gateway answers under (fields, purpose, validity, daily quota).
- :class:`Call` — every gateway call, allowed or denied: append-only and hash-chained like the
  audit log (its own chain, head 2), so a slice can be exported and verified offline.
- :class:`SourceRecord` — the platform's own base library (人口库、法人库、主题库): rows a
  department publishes into the platform, served by the ``library`` provider.
- :class:`Dispute` — 数据异议 about a value; the provider answers on a working-day clock.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models
from django.db.models import Q

from onething.directory.models import Department

PERSON, ENTERPRISE = "person", "enterprise"
SUBJECT_KINDS = [(PERSON, "自然人（公民身份号码）"), (ENTERPRISE, "法人（统一社会信用代码）")]


class SharingClass(models.TextChoices):
    UNCONDITIONAL = "unconditional", "无条件共享"
    CONDITIONAL = "conditional", "有条件共享"
    NONE = "none", "不予共享"


class Resource(models.Model):
    """数据资源: what a providing department shares, field by field."""

    FREQUENCIES = [
        ("realtime", "实时"),
        ("daily", "每日"),
        ("weekly", "每周"),
        ("monthly", "每月"),
        ("yearly", "每年"),
        ("on_change", "变更时"),
    ]
    code = models.CharField("资源编码", max_length=64, unique=True)
    name = models.CharField("资源名称", max_length=200)
    provider = models.ForeignKey(
        Department, verbose_name="提供部门", on_delete=models.PROTECT, related_name="data_resources"
    )
    sharing_class = models.CharField(
        "共享类型", max_length=20, choices=SharingClass.choices, default=SharingClass.CONDITIONAL
    )
    subject_kind = models.CharField("查询对象", max_length=20, choices=SUBJECT_KINDS, default=PERSON)
    #: [{"key", "label", "type", "personal": bool}]
    fields = models.JSONField("数据项", default=list)
    legal_basis = models.TextField("共享依据")
    update_frequency = models.CharField("更新频率", max_length=20, choices=FREQUENCIES, default="daily")
    source_system = models.CharField("来源系统", max_length=200, blank=True)
    backend = models.CharField(
        "提供方式",
        max_length=40,
        default="library",
        help_text="数据提供插件：library（平台基础库）、http（部门接口）…",
    )
    backend_config = models.JSONField("接口配置", default=dict, blank=True)
    #: material type codes this resource makes 免提交 when a request for it is approved
    replaces = models.JSONField("可替代材料", default=list, blank=True)
    publish_first = models.BooleanField(
        "需先发布", default=False, help_text="数据须先发布才能共享：提供方答复时限为 10 个工作日"
    )
    refreshed_at = models.DateTimeField("数据更新时间", null=True, blank=True)
    version = models.PositiveIntegerField("版本", default=1, editable=False)
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    class Meta:
        verbose_name = "数据资源"
        verbose_name_plural = "数据资源"
        ordering = ["provider_id", "code"]

    def __str__(self) -> str:
        return f"{self.name}（{self.code}）"

    def field_keys(self) -> list[str]:
        return [f["key"] for f in self.fields]

    def field_labels(self) -> dict[str, str]:
        return {f["key"]: f.get("label") or f["key"] for f in self.fields}


class ResourceVersion(models.Model):
    """One saved state of a resource: who changed it, when, why."""

    resource = models.ForeignKey(
        Resource, verbose_name="数据资源", on_delete=models.CASCADE, related_name="versions"
    )
    version = models.PositiveIntegerField("版本")
    data = models.JSONField("内容")
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="变更人",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    changed_at = models.DateTimeField("时间")
    reason = models.CharField("变更原因", max_length=500, blank=True)

    class Meta:
        verbose_name = "数据资源版本"
        verbose_name_plural = "数据资源版本"
        ordering = ["resource_id", "-version"]
        unique_together = [("resource", "version")]


class Demand(models.Model):
    """需求清单: data a using department needs, for the items and materials it would replace."""

    department = models.ForeignKey(
        Department, verbose_name="需求部门", on_delete=models.PROTECT, related_name="data_demands"
    )
    name = models.CharField("需求名称", max_length=200)
    description = models.TextField("需求说明", blank=True)
    resource = models.ForeignKey(
        Resource,
        verbose_name="对应资源",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="demands",
    )
    items = models.JSONField("服务事项", default=list, blank=True)
    materials = models.JSONField("可替代材料", default=list, blank=True)
    created_at = models.DateTimeField("登记时间", auto_now_add=True)

    class Meta:
        verbose_name = "共享需求（需求清单）"
        verbose_name_plural = "需求清单"
        ordering = ["department_id", "id"]
        # the exchange files match a list entry by its department and name
        unique_together = [("department", "name")]

    def __str__(self) -> str:
        return self.name


class Duty(models.Model):
    """供给/责任清单: data a department must provide (met once a resource of it is catalogued)."""

    department = models.ForeignKey(
        Department, verbose_name="责任部门", on_delete=models.PROTECT, related_name="data_duties"
    )
    name = models.CharField("数据名称", max_length=200)
    description = models.TextField("说明", blank=True)
    resource = models.ForeignKey(
        Resource,
        verbose_name="对应资源",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="duties",
    )

    class Meta:
        verbose_name = "共享责任（责任清单）"
        verbose_name_plural = "责任清单"
        ordering = ["department_id", "id"]
        unique_together = [("department", "name")]

    def __str__(self) -> str:
        return self.name


class NegativeEntry(models.Model):
    """负面清单: data a department does not share, and the law that says so."""

    department = models.ForeignKey(
        Department, verbose_name="部门", on_delete=models.PROTECT, related_name="data_negative_entries"
    )
    name = models.CharField("数据名称", max_length=200)
    resource = models.ForeignKey(
        Resource,
        verbose_name="对应资源",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="negative_entries",
    )
    legal_basis = models.TextField("不予共享依据", help_text="须引用法律法规名称（《…》）及条款")

    class Meta:
        verbose_name = "不予共享（负面清单）"
        verbose_name_plural = "负面清单"
        ordering = ["department_id", "id"]
        unique_together = [("department", "name")]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        from django.core.exceptions import ValidationError

        from onething.sharing.rules import law_citation_problem

        problem = law_citation_problem(self.legal_basis)
        if problem:
            raise ValidationError({"legal_basis": problem})


class Request(models.Model):
    """共享申请 and, once approved, the approval (授权) the gateway answers under."""

    class Status(models.TextChoices):
        PENDING = "pending", "待审核"
        CHECKED = "checked", "已审核，待提供部门答复"
        APPROVED = "approved", "已批准"
        REFUSED = "refused", "不予共享"
        DISPUTED = "disputed", "协商中"
        SUSPENDED = "suspended", "已暂停"
        REVOKED = "revoked", "已撤销"
        EXPIRED = "expired", "已过期"
        WITHDRAWN = "withdrawn", "已撤回"

    resource = models.ForeignKey(
        Resource, verbose_name="数据资源", on_delete=models.PROTECT, related_name="requests"
    )
    department = models.ForeignKey(
        Department, verbose_name="使用部门", on_delete=models.PROTECT, related_name="data_requests"
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="申请人", on_delete=models.PROTECT, related_name="+"
    )
    fields = models.JSONField("申请数据项", default=list)
    purpose = models.CharField("用途", max_length=200)
    legal_basis = models.TextField("使用依据")
    items = models.JSONField("服务事项", default=list, blank=True)
    status = models.CharField("状态", max_length=20, choices=Status.choices, default=Status.PENDING)
    submitted_at = models.DateTimeField("申请时间")
    #: the due date of the stage now running (审核 / 答复 / 协调), projected from its clock
    due_date = models.DateField("当前环节时限", null=True, blank=True)
    warning = models.CharField("预警", max_length=10, blank=True)
    valid_from = models.DateField("有效期自", null=True, blank=True)
    valid_until = models.DateField("有效期至", null=True, blank=True)
    daily_quota = models.PositiveIntegerField("每日调用上限", null=True, blank=True)
    reason = models.TextField("最近一次答复理由", blank=True)
    decided_at = models.DateTimeField("批准/拒绝时间", null=True, blank=True)

    class Meta:
        verbose_name = "共享申请"
        verbose_name_plural = "共享申请"
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["department", "status"], name="sharing_request_dept"),
            models.Index(
                fields=["valid_until"], condition=Q(status="approved"), name="sharing_request_expiry"
            ),
        ]

    def __str__(self) -> str:
        return f"共享申请 {self.pk}：{self.resource.code} → {self.department_id}"

    def usable_on(self, day: dt.date) -> bool:
        return (
            self.status == self.Status.APPROVED
            and (self.valid_from is None or self.valid_from <= day)
            and (self.valid_until is None or day <= self.valid_until)
        )


class Usage(models.Model):
    """Allowed calls of an approval on a day: the quota counter (one row per approval and day)."""

    request = models.ForeignKey(Request, on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    calls = models.PositiveIntegerField(default=0)

    class Meta:
        unique_together = [("request", "day")]


class Call(models.Model):
    """One gateway call, allowed or denied. Append-only, hash-chained (``sharing.calllog``)."""

    class Outcome(models.TextChoices):
        ALLOWED = "allowed", "允许"
        DENIED = "denied", "拒绝"
        FAILED = "failed", "提供方故障"

    sequence = models.PositiveBigIntegerField("序号", unique=True, null=True, blank=True)
    at = models.DateTimeField("时间")
    request = models.ForeignKey(
        Request, verbose_name="授权", null=True, blank=True, on_delete=models.PROTECT, related_name="calls"
    )
    resource_code = models.CharField("数据资源", max_length=64, blank=True)
    caller = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="调用人",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    caller_label = models.CharField("调用方", max_length=200, blank=True)
    department_code = models.CharField("调用部门", max_length=18, blank=True)
    purpose = models.CharField("用途", max_length=200, blank=True)
    legal_basis = models.TextField("依据", blank=True)
    fields = models.JSONField("数据项", default=list)
    subject_key = models.CharField(max_length=64, blank=True, db_index=True)
    subject_masked = models.CharField("查询对象", max_length=40, blank=True)
    rows = models.PositiveSmallIntegerField("返回条数", default=0)
    latency_ms = models.PositiveIntegerField("耗时（毫秒）", default=0)
    outcome = models.CharField("结果", max_length=10, choices=Outcome.choices)
    reason = models.CharField("说明", max_length=300, blank=True)
    previous_hash = models.CharField(max_length=64, null=True, blank=True)
    hash = models.CharField(max_length=64, unique=True, null=True, blank=True)

    class Meta:
        verbose_name = "共享调用记录"
        verbose_name_plural = "共享调用记录"
        ordering = ["id"]
        indexes = [
            models.Index(fields=["request", "at"], name="sharing_call_request"),
            models.Index(fields=["resource_code", "at"], name="sharing_call_resource"),
            models.Index(fields=["id"], name="sharing_call_pending", condition=Q(sequence__isnull=True)),
        ]

    def __str__(self) -> str:
        return f"#{self.sequence or '待链接'} {self.get_outcome_display()} {self.resource_code}"

    def content(self) -> dict:
        """The fields the hash covers (everything but the hashes)."""
        return {
            "sequence": self.sequence,
            "at": self.at.astimezone(dt.UTC).isoformat(),
            "request": self.request_id,
            "resource": self.resource_code,
            "caller": self.caller_id,
            "caller_label": self.caller_label,
            "department": self.department_code,
            "purpose": self.purpose,
            "legal_basis": self.legal_basis,
            "fields": self.fields,
            "subject_key": self.subject_key,
            "subject": self.subject_masked,
            "rows": self.rows,
            "latency_ms": self.latency_ms,
            "outcome": self.outcome,
            "reason": self.reason,
        }


class SourceRecord(models.Model):
    """A row of the platform's base library for one resource and subject (``library`` provider)."""

    resource = models.ForeignKey(Resource, on_delete=models.CASCADE, related_name="records")
    subject = models.CharField("查询对象", max_length=18)
    data = models.JSONField("数据")
    updated_at = models.DateTimeField("更新时间")

    class Meta:
        verbose_name = "基础库记录"
        verbose_name_plural = "基础库记录"
        unique_together = [("resource", "subject")]


class Dispute(models.Model):
    """数据异议: a person or a department says a shared value is wrong; the provider answers."""

    class Status(models.TextChoices):
        OPEN = "open", "待核实"
        CORRECTED = "corrected", "已更正"
        UPHELD = "upheld", "经核实无误"

    resource = models.ForeignKey(
        Resource, verbose_name="数据资源", on_delete=models.PROTECT, related_name="disputes"
    )
    subject = models.CharField("数据对象号码", max_length=18)  # shown masked (subject_masked)
    subject_key = models.CharField(max_length=64, db_index=True)
    subject_masked = models.CharField("数据对象", max_length=40)
    field = models.CharField("数据项", max_length=64)
    claimed = models.CharField("应为", max_length=500, blank=True)
    reason = models.TextField("异议理由")
    raised_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="提出人", on_delete=models.PROTECT, related_name="+"
    )
    department = models.ForeignKey(
        Department, verbose_name="提出部门", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    status = models.CharField("状态", max_length=20, choices=Status.choices, default=Status.OPEN)
    raised_at = models.DateTimeField("提出时间")
    due_date = models.DateField("答复时限", null=True, blank=True)
    answer = models.TextField("答复", blank=True)
    answered_at = models.DateTimeField("答复时间", null=True, blank=True)

    class Meta:
        verbose_name = "数据异议"
        verbose_name_plural = "数据异议"
        ordering = ["-id"]
