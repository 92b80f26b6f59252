"""办件 — applications, their sub-cases and everything that happens to them.

An :class:`Application` is what the applicant filed once (一表申请、一套材料) for a bundle or a
single item. Each applicable member item becomes a :class:`SubCase` routed to the item's
department (后台分类审批). The plan the applicant saw is frozen on the application, so a later
catalog edit never changes a case that is already running.

Both have a clock of the platform's clock service (``onething.clocks``, kind
``cases.application`` / ``cases.subcase``); :class:`Clock` is its projection on the row
(limit, start, due date, yellow date, paused and extension days, warning), written by
``deadlines.py`` in the transition's transaction, so lists and filters read plain columns.

State changes go through the machines of ``machines.py`` only, fired by ``lifecycle``
through the workflow engine (one transaction, with an audit record).
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q

from onething.accounts.models import Enterprise
from onething.directory.models import Department, Hall, Region, Window


class Channel(models.TextChoices):
    WEB = "web", "网上办"
    MOBILE = "mobile", "掌上办"
    WINDOW = "window", "窗口办"
    AGENT = "agent", "帮办代办"
    SELF_SERVICE = "self_service", "自助办"
    CROSS_PROVINCE = "cross_province", "跨省通办"


class WarningLevel(models.TextChoices):
    NONE = "", "正常"
    YELLOW = "yellow", "黄灯预警"
    RED = "red", "红灯超期"


class Clock(models.Model):
    """The projection of a case's working-day clock (承诺办结时限) on its row.

    The clock itself lives in ``onething.clocks`` (and its scan reads only there);
    ``deadlines._project`` copies its state here whenever it changes.
    """

    limit_days = models.PositiveIntegerField("承诺时限（工作日）", default=0)
    started_on = models.DateField("计时起始日（受理日）", null=True, blank=True)
    due_date = models.DateField("办结期限", null=True, blank=True)
    yellow_date = models.DateField("黄灯日期", null=True, blank=True)
    paused_since = models.DateField("暂停计时起始日", null=True, blank=True)
    paused_days = models.PositiveIntegerField("暂停工作日数", default=0)
    extension_days = models.PositiveIntegerField("延期工作日数", default=0)
    timed = models.BooleanField("计时中", default=False)
    warning = models.CharField("预警", max_length=10, choices=WarningLevel.choices, default="", blank=True)
    warned_at = models.DateTimeField("预警时间", null=True, blank=True)

    class Meta:
        abstract = True


class Application(Clock):
    class Status(models.TextChoices):
        SUBMITTED = "submitted", "已提交，待预审"
        PRE_REVIEWED = "pre_reviewed", "预审通过，待受理"
        CORRECTION = "correction", "待补正"
        ACCEPTED = "accepted", "已受理"
        IN_REVIEW = "in_review", "审批中"
        DECIDED = "decided", "已办结，待出件"
        RESULT_READY = "result_ready", "结果已制作，待送达"
        DELIVERED = "delivered", "已送达"
        CLOSED = "closed", "已归档"
        REJECTED = "rejected", "不予受理"
        WITHDRAWN = "withdrawn", "已撤回"

    KINDS = [("bundle", "一件事"), ("item", "单事项")]

    number = models.CharField("办件编号", max_length=40, unique=True)
    kind = models.CharField("类型", max_length=10, choices=KINDS)
    code = models.CharField("一件事/事项编码", max_length=64)
    name = models.CharField("名称", max_length=200)
    catalog_version = models.PositiveIntegerField("目录版本", null=True, blank=True)
    # no single-column indexes on region, hall, applicant: the composite indexes below lead with
    # them (each index is written on every intake: measured in docs/performance.md)
    region = models.ForeignKey(
        Region, verbose_name="办理区划", on_delete=models.PROTECT, related_name="+", db_index=False
    )
    hall = models.ForeignKey(
        Hall,
        verbose_name="受理大厅",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
    )
    #: the window (its clerk's session) that took the application in, and the queue number
    #: the visitor came with
    window = models.ForeignKey(
        Window, verbose_name="受理窗口", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    ticket = models.ForeignKey(
        "halls.Ticket",
        verbose_name="排队号",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    channel = models.CharField("渠道", max_length=20, choices=Channel.choices, default=Channel.WEB)
    applicant = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="申请人",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="applications",
        db_index=False,
    )
    applicant_name = models.CharField("申请人姓名", max_length=100, blank=True)
    applicant_id_number = models.CharField("申请人证件号码", max_length=18, blank=True)
    applicant_phone = models.CharField("联系电话", max_length=20, blank=True)
    enterprise = models.ForeignKey(
        Enterprise, verbose_name="申请单位", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="代办人",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="agent_applications",
    )
    agent_authorisation = models.JSONField("代办授权记录", default=dict, blank=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="提交人", on_delete=models.PROTECT, related_name="+"
    )
    idempotency_key = models.CharField("幂等键", max_length=100, blank=True, default="")
    request_hash = models.CharField("请求摘要", max_length=64, blank=True, default="")
    answers = models.JSONField("情形回答", default=dict, blank=True)
    plan = models.JSONField("办理方案（冻结）", default=dict)
    form = models.JSONField("申请表数据", default=dict, blank=True)
    status = models.CharField("状态", max_length=20, choices=Status.choices, default=Status.SUBMITTED)
    resume_status = models.CharField("补正后恢复状态", max_length=20, blank=True, default="")
    intake = models.CharField(
        "受理方式",
        max_length=20,
        blank=True,
        default="",
        choices=[("normal", "受理"), ("gaps", "容缺受理"), ("commitment", "告知承诺")],
    )
    gap_commitment_date = models.DateField("容缺补齐承诺日期", null=True, blank=True)
    gap_overdue = models.BooleanField("容缺逾期未补齐", default=False)
    reason = models.TextField("最近一次处理意见", blank=True)
    delivery_method = models.CharField(
        "出件方式",
        max_length=20,
        blank=True,
        default="",
        choices=[("window", "综合窗口领取"), ("mail", "邮寄送达"), ("electronic", "电子送达")],
    )
    # asked once, when applying (the window may change it when the result is ready)
    delivery_address = models.CharField("邮寄地址", max_length=300, blank=True, default="")
    #: the applicant agreed that the platform obtains 免提交 materials through data sharing
    #: (needed for 有条件共享 resources)
    data_consent = models.BooleanField("同意共享获取", default=False)
    created_at = models.DateTimeField("提交时间", auto_now_add=True)
    updated_at = models.DateTimeField("更新时间", auto_now=True)
    accepted_at = models.DateTimeField("受理时间", null=True, blank=True)
    decided_at = models.DateTimeField("办结时间", null=True, blank=True)
    closed_at = models.DateTimeField("结束时间", null=True, blank=True)

    class Meta:
        verbose_name = "办件"
        verbose_name_plural = "办件"
        ordering = ["-number"]
        constraints = [
            models.UniqueConstraint(
                fields=["submitted_by", "idempotency_key"],
                condition=~Q(idempotency_key=""),
                name="application_idempotency_once",
            )
        ]
        indexes = [
            models.Index(fields=["applicant", "-created_at"], name="application_applicant"),
            models.Index(fields=["hall", "status"], name="application_hall"),
            models.Index(fields=["region", "status"], name="application_region"),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.name}"


class RegionDaySequence(models.Model):
    """Last sequence number handed out per region and day (办件编号流水号)."""

    region = models.CharField(max_length=12)
    day = models.DateField()
    last = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = "编号流水"
        verbose_name_plural = "编号流水"
        constraints = [models.UniqueConstraint(fields=["region", "day"], name="sequence_region_day")]


class SubCase(Clock):
    class Status(models.TextChoices):
        PENDING = "pending", "待受理"
        WAITING = "waiting", "等待前置事项"
        IN_REVIEW = "in_review", "审查中"
        CORRECTION = "correction", "补正中（暂停计时）"
        SPECIAL = "special", "特别程序中（不计时）"
        APPROVED = "approved", "准予许可/办结"
        REFUSED = "refused", "不予许可"
        STOPPED = "stopped", "已终止"

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="subcases")
    number = models.CharField("子件编号", max_length=44, unique=True)
    position = models.PositiveIntegerField("顺序", default=0)
    item_code = models.CharField("事项编码", max_length=64)
    item_name = models.CharField("事项名称", max_length=200)
    department = models.ForeignKey(  # indexed by subcase_department (department, status)
        Department, verbose_name="承办部门", on_delete=models.PROTECT, related_name="subcases", db_index=False
    )
    region = models.ForeignKey(
        Region, verbose_name="区划", on_delete=models.PROTECT, related_name="+", db_index=False
    )
    after = models.JSONField("前置事项", default=list, blank=True)
    inspection_required = models.BooleanField("需现场核查", default=False)
    status = models.CharField("状态", max_length=20, choices=Status.choices, default=Status.PENDING)
    resume_status = models.CharField("补正后恢复状态", max_length=20, blank=True, default="")
    handler = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="承办人",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="handled_subcases",
    )
    decision = models.CharField(
        "决定", max_length=10, blank=True, default="", choices=[("approved", "准予"), ("refused", "不予")]
    )
    reasons = models.TextField("决定理由", blank=True)
    decided_at = models.DateTimeField("决定时间", null=True, blank=True)
    started_at = models.DateTimeField("开始审查时间", null=True, blank=True)

    class Meta:
        verbose_name = "子件（部门审批）"
        verbose_name_plural = "子件（部门审批）"
        ordering = ["application_id", "position"]
        indexes = [
            models.Index(fields=["department", "status"], name="subcase_department"),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.item_name}"

    @property
    def is_decided(self) -> bool:
        return self.status in (self.Status.APPROVED, self.Status.REFUSED, self.Status.STOPPED)


def upload_name(sha256: str, extension: str) -> str:
    """Content-addressed storage path: the same file uploaded twice is stored once."""
    return f"cases/{sha256[:2]}/{sha256[2:4]}/{sha256}.{extension}"


class ResultFile(models.Model):
    """办理结果文件: the certificate or approval document an approver files with a decision.

    Checked like a material (PDF/JPEG/PNG by magic bytes and structure, ``cases.uploads``) and
    stored content-addressed under MEDIA_ROOT; recorded in the decision's transaction with an
    audit record (``subcase.result_file``). The applicant and staff who see the sub-case
    download it from the case page (always as an attachment).
    """

    subcase = models.ForeignKey(SubCase, on_delete=models.CASCADE, related_name="result_files")
    sha256 = models.CharField(max_length=64)
    size = models.PositiveIntegerField("大小（字节）", default=0)
    content_type = models.CharField(max_length=40)
    filename = models.CharField("原文件名", max_length=200, blank=True)
    path = models.CharField(max_length=200)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField("上传时间", auto_now_add=True)

    class Meta:
        verbose_name = "办理结果文件"
        verbose_name_plural = "办理结果文件"
        ordering = ["subcase_id", "id"]

    def __str__(self) -> str:
        return f"{self.subcase_id} 办理结果文件 {self.pk}"


class Material(models.Model):
    """One material of the merged list: uploaded, received on paper, exempt, or missing (容缺)."""

    SOURCES = [
        ("upload", "网上上传"),
        ("paper", "窗口收取纸质材料"),
        ("platform", "平台获取（免提交）"),
        ("gap", "容缺（待补齐）"),
    ]
    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="materials")
    material = models.CharField("材料类型", max_length=64)
    name = models.CharField("材料名称", max_length=200)
    source = models.CharField("来源", max_length=10, choices=SOURCES)
    sha256 = models.CharField(max_length=64, blank=True)
    size = models.PositiveIntegerField("大小（字节）", default=0)
    content_type = models.CharField(max_length=40, blank=True)
    filename = models.CharField("原文件名", max_length=200, blank=True)
    path = models.CharField(max_length=200, blank=True)
    exempt_via = models.CharField("免提交方式", max_length=20, blank=True)
    #: a 免提交 material (``cases.exempt``): "" not yet settled, "fetched" through the data-sharing
    #: gateway for every sub-case that needs it, "failed" (the applicant may upload it instead),
    #: "unrouted" (no approval serves it: verified by other means)
    fetch_status = models.CharField("获取情况", max_length=10, blank=True)
    fetch_note = models.CharField("获取说明", max_length=300, blank=True)
    #: the e-licence the applicant chose for this material (a parent holding two children's
    #: 出生医学证明 picks one); empty: their newest usable licence of a type that stands for it
    licence_identifier = models.CharField("选用的电子证照", max_length=120, blank=True)
    commitment_date = models.DateField("承诺补齐日期", null=True, blank=True)
    fulfilled_at = models.DateTimeField("补齐时间", null=True, blank=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "申请材料"
        verbose_name_plural = "申请材料"
        ordering = ["application_id", "id"]
        indexes = [
            models.Index(
                fields=["commitment_date"],
                condition=Q(source="gap", fulfilled_at__isnull=True),
                name="material_open_gaps",
            )
        ]


class SharedData(models.Model):
    """A 免提交 material obtained for one sub-case, shown to its approver: what the data-sharing
    gateway returned under the handling department's approval (resource, approval, call, time,
    content hash, the approved fields) — or, for a material an e-licence stands for, the
    verified reference to the holder's licence (``licence_identifier``, the verification result
    and time in ``data``, the logged use in ``licence_use_id``), used with the holder's consent."""

    #: ``resource_code`` of a material obtained from the e-licence store
    E_LICENCE = "e_license"

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="shared_data")
    subcase = models.ForeignKey("SubCase", on_delete=models.CASCADE, related_name="shared_data")
    material = models.CharField("材料类型", max_length=64)
    resource_code = models.CharField("数据资源", max_length=64)
    resource_name = models.CharField("数据资源名称", max_length=200)
    request_id = models.BigIntegerField("共享授权", null=True, blank=True)
    call_id = models.BigIntegerField("调用记录", null=True, blank=True)
    licence_identifier = models.CharField("电子证照标识", max_length=120, blank=True)
    licence_use_id = models.BigIntegerField("用证记录", null=True, blank=True)
    fetched_at = models.DateTimeField("获取时间")
    found = models.BooleanField("有数据", default=False)
    sha256 = models.CharField("内容摘要", max_length=64, blank=True)
    data = models.JSONField("数据", default=dict, blank=True)
    labels = models.JSONField("数据项名称", default=dict, blank=True)
    note = models.CharField("说明", max_length=300, blank=True)

    class Meta:
        verbose_name = "共享获取的材料数据"
        verbose_name_plural = "共享获取的材料数据"
        ordering = ["subcase_id", "id"]
        unique_together = [("subcase", "material")]


class CorrectionRequest(models.Model):
    """补正材料通知: what is missing or wrong; the clock stops until the applicant resubmits."""

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="corrections")
    items = models.JSONField("需补正内容", default=list)
    reason = models.TextField("说明")
    requested_by = models.ForeignKey(  # empty: the system (a missed 容缺 commitment, see GapRule)
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    requested_on = models.DateField("通知日期")
    resolved_on = models.DateField("补正日期", null=True, blank=True)
    paused_days = models.PositiveIntegerField("暂停工作日数", default=0)

    class Meta:
        verbose_name = "补正通知"
        verbose_name_plural = "补正通知"
        ordering = ["application_id", "id"]


class Commitment(models.Model):
    """告知承诺: the applicant's signed commitment; each approved sub-case gets a post-check."""

    application = models.OneToOneField(Application, on_delete=models.CASCADE, related_name="commitment")
    text = models.TextField("承诺内容")
    signed_by_name = models.CharField("承诺人", max_length=100)
    signed_on = models.DateField("签署日期")

    class Meta:
        verbose_name = "告知承诺书"
        verbose_name_plural = "告知承诺书"


class PostCheck(models.Model):
    """告知承诺事后核查任务."""

    class Status(models.TextChoices):
        OPEN = "open", "待核查"
        PASSED = "passed", "核查属实"
        FAILED = "failed", "承诺不实"

    subcase = models.OneToOneField(SubCase, on_delete=models.CASCADE, related_name="post_check")
    due_date = models.DateField("核查期限")
    status = models.CharField("状态", max_length=10, default=Status.OPEN, choices=Status.choices)
    result = models.TextField("核查结果", blank=True)
    checked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    checked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "事后核查"
        verbose_name_plural = "事后核查"


class SpecialProcedure(models.Model):
    """听证、专家评审、检验检测 … — time not counted in the limit (行政许可法 art. 45)."""

    KINDS = [
        ("hearing", "听证"),
        ("expert_review", "专家评审"),
        ("testing", "检验检测"),
        ("inspection", "检疫鉴定"),
        ("tender", "招标拍卖"),
    ]
    subcase = models.ForeignKey(SubCase, on_delete=models.CASCADE, related_name="special_procedures")
    kind = models.CharField("程序", max_length=20, choices=KINDS)
    reason = models.TextField("事由")
    started_on = models.DateField("开始日期")
    ended_on = models.DateField("结束日期", null=True, blank=True)
    paused_days = models.PositiveIntegerField("不计时工作日数", default=0)
    started_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    class Meta:
        verbose_name = "特别程序"
        verbose_name_plural = "特别程序"


class Extension(models.Model):
    """延期 (行政许可法 art. 42): the department asks, a supervisor of the region (the organ's
    head) approves or refuses; an approved extension adds working days to the sub-case's limit.

    At most one *pending* request per sub-case (a partial unique index). A request still pending
    when its sub-case is decided or stopped *lapses*. A supervisor's own extension is requested
    and approved in one step.
    """

    class Status(models.TextChoices):
        PENDING = "pending", "待审批"
        APPROVED = "approved", "已批准"
        REFUSED = "refused", "未批准"
        LAPSED = "lapsed", "已失效"

    subcase = models.ForeignKey(SubCase, on_delete=models.CASCADE, related_name="extensions")
    days = models.PositiveIntegerField("延长工作日数")
    reason = models.TextField("理由")
    status = models.CharField("状态", max_length=10, choices=Status.choices, default=Status.PENDING)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="申请人", on_delete=models.PROTECT, related_name="+"
    )
    requested_at = models.DateTimeField("申请时间")
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="审批人",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    decided_at = models.DateTimeField("审批时间", null=True, blank=True)
    refusal_reason = models.TextField("不予批准理由", blank=True, default="")

    class Meta:
        verbose_name = "延期"
        verbose_name_plural = "延期"
        ordering = ["subcase_id", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["subcase"], condition=Q(status="pending"), name="extension_one_pending"
            )
        ]

    def __str__(self) -> str:
        return f"{self.subcase.number} 延期{self.days}个工作日（{self.get_status_display()}）"


class Inspection(models.Model):
    """一次联合踏勘: one on-site inspection for every sub-case that needs one."""

    class Status(models.TextChoices):
        SCHEDULED = "scheduled", "已安排"
        PASSED = "passed", "符合"
        FAILED = "failed", "不符合"

    application = models.OneToOneField(Application, on_delete=models.CASCADE, related_name="inspection")
    status = models.CharField("状态", max_length=10, default=Status.SCHEDULED, choices=Status.choices)
    subcases = models.ManyToManyField(SubCase, related_name="inspections")
    scheduled_for = models.DateField("核查日期")
    location = models.CharField("地点", max_length=300, blank=True)
    scheduled_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    findings = models.TextField("核查情况", blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "联合核查"
        verbose_name_plural = "联合核查"


class Delivery(models.Model):
    """统一出件: window pickup, mail with tracking number, or electronic delivery."""

    application = models.OneToOneField(Application, on_delete=models.CASCADE, related_name="delivery")
    method = models.CharField("方式", max_length=20)
    tracking_number = models.CharField("邮件单号", max_length=60, blank=True)
    address = models.CharField("寄送地址", max_length=300, blank=True)
    delivered_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    delivered_at = models.DateTimeField("送达时间")

    class Meta:
        verbose_name = "送达"
        verbose_name_plural = "送达"


class Notice(models.Model):
    """A numbered notice (受理通知书 …) with its content, issued as a verifiable document.

    Immutable once issued. The case side (application, kind, content, who issued it) lives here;
    the public side — verification token, content hash, the stored renderings per audience —
    lives on its :class:`~onething.documents.models.Document`, whose id it shares.
    """

    KINDS = [
        ("acceptance", "受理通知书"),
        ("rejection", "不予受理决定书"),
        ("correction", "补正材料通知书"),
        ("gaps", "容缺受理告知书"),
        ("completion", "办结通知书"),
        ("refusal", "不予行政许可决定书"),
    ]
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    document = models.OneToOneField(
        "documents.Document", on_delete=models.PROTECT, related_name="notice", verbose_name="可核验文书"
    )
    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="notices")
    kind = models.CharField("类型", max_length=20, choices=KINDS)
    number = models.CharField("文号", max_length=80, unique=True)
    department_name = models.CharField("出具单位", max_length=200)
    issued_on = models.DateField("日期")
    content = models.JSONField("内容", default=dict)
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "文书"
        verbose_name_plural = "文书"
        ordering = ["application_id", "created_at"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.number}"

    @property
    def token(self) -> str:
        """The verification token printed in the QR code (kept on the document)."""
        return self.document.token

    @property
    def pdf_sha256_owner(self) -> str:
        """SHA-256 of the stored PDF for the applicant person; empty until its first download."""
        return self.document.renderings.get("owner", "")

    @property
    def pdf_sha256_others(self) -> str:
        """SHA-256 of the stored PDF for everyone else (masked); empty until its first download."""
        return self.document.renderings.get("others", "")


class GapRule(models.Model):
    """容缺受理: what happens when a missing material is not supplied by the commitment date.

    A platform-side rule per item, kept here because the catalog exchange format (a fixed public
    contract) has no field for it. No row means :attr:`Action.WARN`. Edited in the admin;
    ``lifecycle.flag_missed_commitments`` reads all the rules it needs in one query.
    """

    class Action(models.TextChoices):
        WARN = "warn", "提醒：标记逾期，通知申请人和窗口"
        CORRECTION = "correction", "补正：转入补正（暂停计时），列明所缺材料"
        TERMINATE = "terminate", "终止：终止本事项未办结的子件，并告知申请人"

    item_code = models.CharField(
        "事项编码", max_length=64, unique=True, help_text="事项实施编码（与事项目录一致）"
    )
    action = models.CharField("逾期处理方式", max_length=12, choices=Action.choices, default=Action.WARN)
    note = models.TextField("依据与说明", blank=True, help_text="告知申请人时附上，例如办事指南中的相关规定")
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    class Meta:
        verbose_name = "容缺逾期处理规则"
        verbose_name_plural = "容缺逾期处理规则"
        ordering = ["item_code"]

    def __str__(self) -> str:
        return f"{self.item_code}：{self.get_action_display()}"


class Draft(models.Model):
    """An application not yet submitted (草稿): the answers, the form as typed so far and the
    files already chosen (:class:`DraftFile`), so a refused submission loses nothing and a
    person can come back later. Its lifecycle is the ``cases.draft`` machine."""

    class Status(models.TextChoices):
        EDITING = "editing", "草稿"
        SUBMITTED = "submitted", "已提交"
        DISCARDED = "discarded", "已删除"

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    status = models.CharField("状态", max_length=20, choices=Status.choices, default=Status.EDITING)
    kind = models.CharField("类型", max_length=10)
    code = models.CharField("一件事/事项编码", max_length=64)
    name = models.CharField("名称", max_length=200)
    answers = models.JSONField("情形回答", default=dict, blank=True)
    form = models.JSONField("已填写的信息", default=dict, blank=True)
    extra = models.JSONField("申请身份与出件方式", default=dict, blank=True)
    application = models.ForeignKey(
        Application, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField("创建时间", auto_now_add=True)
    updated_at = models.DateTimeField("保存时间", auto_now=True)

    class Meta:
        verbose_name = "申请草稿"
        verbose_name_plural = "申请草稿"
        ordering = ["-updated_at"]
        indexes = [models.Index(fields=["owner", "status"], name="draft_owner_status")]


class DraftFile(models.Model):
    """A material file chosen for a draft: checked and stored like any upload, content-addressed
    under MEDIA_ROOT, and handed to the application when the draft is submitted."""

    draft = models.ForeignKey(Draft, on_delete=models.CASCADE, related_name="files")
    material = models.CharField("材料类型", max_length=64)
    name = models.CharField("材料名称", max_length=200)
    sha256 = models.CharField(max_length=64)
    size = models.PositiveIntegerField("大小（字节）")
    content_type = models.CharField(max_length=40)
    filename = models.CharField("原文件名", max_length=200, blank=True)
    path = models.CharField(max_length=200)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "草稿材料"
        verbose_name_plural = "草稿材料"
        ordering = ["draft_id", "id"]


class Assistance(models.Model):
    """帮办代办: a hall's staff member acted for someone — who for whom, why, under which
    authorisation, at which hall and ticket, for which application. The applicant sees it in
    their history."""

    REASONS = [
        ("elderly", "老年人"),
        ("disabled", "残疾人"),
        ("enterprise_project", "企业项目"),
        ("other", "其他"),
    ]
    application = models.ForeignKey(
        Application, null=True, blank=True, on_delete=models.CASCADE, related_name="assistance"
    )
    ticket = models.ForeignKey(
        "halls.Ticket", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    hall = models.ForeignKey(Hall, verbose_name="大厅", on_delete=models.PROTECT, related_name="+")
    helper = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="帮办人员", on_delete=models.PROTECT, related_name="+"
    )
    for_name = models.CharField("服务对象", max_length=50)
    for_id_number = models.CharField("服务对象身份号码", max_length=18, blank=True)
    enterprise = models.ForeignKey(
        Enterprise, verbose_name="企业", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    reason = models.CharField("帮办原因", max_length=20, choices=REASONS)
    project = models.CharField("项目名称", max_length=200, blank=True)
    authorisation = models.CharField(
        "授权依据", max_length=200, help_text="委托书编号、授权书或现场口头授权的记录"
    )
    note = models.CharField("说明", max_length=500, blank=True)
    created_at = models.DateTimeField("时间")

    class Meta:
        verbose_name = "帮办代办记录"
        verbose_name_plural = "帮办代办记录"
        ordering = ["-created_at"]
