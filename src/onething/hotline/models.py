"""12345 与办不成事: tickets (工单), their extension requests, the yellow/red card ledger,
recurring-complaint tasks, the knowledge base and the Open311 clients.

A ticket's lifecycle is the engine machine ``hotline.ticket`` (``machines.py``); its
deadlines are platform clocks (``deadlines.py``) whose due moments are projected onto the row
(``dispatch_due``, ``sign_due``, ``finish_due``, ``revisit_due``, ``warning``) so the queues
stay column reads.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from onething.accounts.models import ApiToken
from onething.cases.models import Application
from onething.directory.models import Department, Hall, Region
from onething.hotline import rules


class Ticket(models.Model):
    class Status(models.TextChoices):
        RECEIVED = "received", "已受理，待派单"
        DISPATCHED = "dispatched", "已派单，待签收"
        RETURNED = "returned", "退单待审核"
        HANDLING = "handling", "办理中"
        WAITING = "waiting", "待群众补充（暂停计时）"
        ANSWERED = "answered", "已答复，待审核"
        MERGED = "merged", "已合并办理"
        FINISHED = "finished", "已办结，待回访"
        CLOSED = "closed", "已回访，办结"
        REDIRECTED = "redirected", "不予受理（已告知反映渠道）"

    OPEN = (
        Status.RECEIVED,
        Status.DISPATCHED,
        Status.RETURNED,
        Status.HANDLING,
        Status.WAITING,
        Status.ANSWERED,
        Status.MERGED,
    )

    number = models.CharField("工单编号", max_length=40, unique=True)
    lookup_hash = models.CharField("查询码摘要", max_length=64, editable=False)
    category = models.CharField("诉求类型", max_length=20, choices=list(rules.CATEGORIES.items()))
    complexity = models.CharField(
        "复杂程度", max_length=10, choices=list(rules.COMPLEXITIES.items()), default="ordinary"
    )
    channel = models.CharField("来源渠道", max_length=20, choices=list(rules.CHANNELS.items()))
    received_at = models.DateTimeField("受理时间", help_text="来电或来访被接听的时刻")
    region = models.ForeignKey(Region, verbose_name="所属区划", on_delete=models.PROTECT, related_name="+")
    status = models.CharField("状态", max_length=20, choices=Status.choices, default=Status.RECEIVED)
    #: the caller; a 举报 may be anonymous (followed by its number and lookup code)
    anonymous = models.BooleanField("匿名", default=False)
    caller_name = models.CharField("诉求人", max_length=rules.NAME_MAX, blank=True)
    caller_phone = models.CharField("联系电话", max_length=rules.PHONE_MAX, blank=True)
    caller = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="诉求人账号",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="hotline_tickets",
    )
    content = models.TextField("诉求内容", max_length=rules.CONTENT_MAX)
    address = models.CharField("地址", max_length=rules.ADDRESS_MAX, blank=True)
    lat = models.DecimalField("纬度", max_digits=9, decimal_places=6, null=True, blank=True)
    long = models.DecimalField("经度", max_digits=9, decimal_places=6, null=True, blank=True)
    #: what the ticket is about, when known
    application = models.ForeignKey(
        Application,
        verbose_name="相关办件",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    item_code = models.CharField("相关事项编码", max_length=64, blank=True)
    item_name = models.CharField("相关事项", max_length=200, blank=True)
    department = models.ForeignKey(
        Department, verbose_name="涉及部门", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    hall = models.ForeignKey(
        Hall, verbose_name="涉及大厅", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    #: a matter the hotline does not take (``rules.NOT_TAKEN``) and the channel the caller was told
    redirect_matter = models.CharField("不予受理事项", max_length=20, blank=True)
    redirect_channel = models.CharField("告知渠道", max_length=200, blank=True)
    #: the department working it now
    assigned = models.ForeignKey(
        Department, verbose_name="承办部门", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    dispatched_at = models.DateTimeField("派单时间", null=True, blank=True)
    signed_at = models.DateTimeField("签收时间", null=True, blank=True)
    returns = models.PositiveSmallIntegerField("退单次数", default=0)
    waiting_reason = models.CharField("暂停原因", max_length=rules.NOTE_MAX, blank=True)
    paused_state = models.CharField("暂停前状态", max_length=20, blank=True, editable=False)
    reply = models.TextField("答复内容", blank=True)
    replied_at = models.DateTimeField("答复时间", null=True, blank=True)
    replied_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="答复人",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    #: answered on the spot from the knowledge base (咨询): the article or the item's guide
    answered_from = models.CharField("知识库来源", max_length=100, blank=True)
    finished_at = models.DateTimeField("办结时间", null=True, blank=True)
    on_time = models.BooleanField("按时办结", null=True, blank=True)
    supervised = models.PositiveSmallIntegerField("督办次数", default=0)
    #: merging: a member points at the ticket handled for all; its state before merging is kept
    primary = models.ForeignKey(
        "self", verbose_name="合并至", null=True, blank=True, on_delete=models.PROTECT, related_name="members"
    )
    merged_state = models.CharField("合并前状态", max_length=20, blank=True, editable=False)
    # the return visit and the caller's rating: each caller's own, merged or not
    revisited_at = models.DateTimeField("回访时间", null=True, blank=True)
    satisfaction = models.CharField(
        "回访结果", max_length=20, blank=True, choices=list(rules.SATISFACTION.items())
    )
    revisit_note = models.TextField("回访记录", blank=True)
    reopened = models.PositiveSmallIntegerField("重办次数", default=0)
    score = models.PositiveSmallIntegerField(
        "评价", null=True, blank=True, choices=list(rules.LEVELS.items())
    )
    rating_comment = models.CharField("评价意见", max_length=rules.NOTE_MAX, blank=True)
    rated_at = models.DateTimeField("评价时间", null=True, blank=True)
    # clocks projected onto the row (deadlines.project)
    dispatch_due = models.DateTimeField("派单时限", null=True, blank=True)
    sign_due = models.DateField("签收时限", null=True, blank=True)
    finish_due = models.DateField("办结时限", null=True, blank=True)
    revisit_due = models.DateField("回访时限", null=True, blank=True)
    warning = models.CharField("预警", max_length=10, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="受理人",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    class Meta:
        verbose_name = "12345工单"
        verbose_name_plural = "12345工单"
        ordering = ["-received_at"]
        indexes = [
            models.Index(fields=["status", "finish_due"], name="hotline_ticket_queue"),
            models.Index(fields=["assigned", "status"], name="hotline_ticket_assigned"),
            models.Index(fields=["region", "received_at"], name="hotline_ticket_region"),
            models.Index(fields=["caller_phone"], name="hotline_ticket_phone"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(anonymous=False) | Q(category="report"), name="hotline_anonymous_only_report"
            ),
            models.CheckConstraint(
                condition=Q(score__isnull=True) | Q(score__gte=1, score__lte=5), name="hotline_score"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.number}（{self.get_category_display()}）"

    @property
    def is_open(self) -> bool:
        return self.status in self.OPEN


class Extension(models.Model):
    """延期申请: the department asks for more working days; the hotline centre decides."""

    class Status(models.TextChoices):
        PENDING = "pending", "待审核"
        APPROVED = "approved", "已同意"
        REFUSED = "refused", "未同意"

    ticket = models.ForeignKey(
        Ticket, verbose_name="工单", on_delete=models.CASCADE, related_name="extensions"
    )
    department = models.ForeignKey(
        Department, verbose_name="申请部门", on_delete=models.PROTECT, related_name="+"
    )
    days = models.PositiveSmallIntegerField("延长工作日")
    reason = models.CharField("申请理由", max_length=rules.NOTE_MAX)
    status = models.CharField("状态", max_length=20, choices=Status.choices, default=Status.PENDING)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="申请人",
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    requested_at = models.DateTimeField("申请时间")
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="审核人",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    decided_at = models.DateTimeField("审核时间", null=True, blank=True)
    decision_note = models.CharField("审核意见", max_length=rules.NOTE_MAX, blank=True)

    class Meta:
        verbose_name = "延期申请"
        verbose_name_plural = "延期申请"
        ordering = ["-requested_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["ticket"], condition=Q(status="pending"), name="hotline_one_pending_extension"
            ),
        ]


class Card(models.Model):
    """One yellow or red card (黄牌/红牌): a ticket's clock crossed its warning or due moment
    while a department (or the centre, for dispatch) held it — the ledger of each department."""

    ticket = models.ForeignKey(Ticket, verbose_name="工单", on_delete=models.CASCADE, related_name="cards")
    clock = models.CharField("时限", max_length=20, choices=list(rules.CLOCK_LABELS.items()))
    level = models.CharField("等级", max_length=10, choices=[("yellow", "黄牌"), ("red", "红牌")])
    department = models.ForeignKey(
        Department,
        verbose_name="责任部门",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="留空：12345热线中心（派单环节）",
    )
    region = models.ForeignKey(Region, verbose_name="区划", on_delete=models.PROTECT, related_name="+")
    category = models.CharField("诉求类型", max_length=20, choices=list(rules.CATEGORIES.items()))
    due_at = models.DateTimeField("到期时间")
    at = models.DateTimeField("亮牌时间")

    class Meta:
        verbose_name = "红黄牌"
        verbose_name_plural = "红黄牌台账"
        ordering = ["-at"]
        constraints = [
            models.UniqueConstraint(fields=["ticket", "clock", "level", "due_at"], name="hotline_card_once"),
        ]
        indexes = [models.Index(fields=["department", "at"], name="hotline_card_department")]


class Recurrence(models.Model):
    """重复诉求: complaints about one item, department or hall past the threshold within the
    rolling window — a report and a task for the owner (machine ``hotline.recurrence``)."""

    class Status(models.TextChoices):
        OPEN = "open", "待整改"
        FIXED = "fixed", "已整改"

    subject = models.CharField("对象类型", max_length=20, choices=list(rules.RECURRENCE_SUBJECTS.items()))
    key = models.CharField("对象编码", max_length=64)
    name = models.CharField("对象名称", max_length=200)
    region = models.ForeignKey(Region, verbose_name="区划", on_delete=models.PROTECT, related_name="+")
    department = models.ForeignKey(
        Department, verbose_name="责任部门", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    hall = models.ForeignKey(
        Hall, verbose_name="责任大厅", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    count = models.PositiveIntegerField("诉求件数")
    window_days = models.PositiveSmallIntegerField("统计天数")
    tickets = models.JSONField("工单编号", default=list)
    status = models.CharField("状态", max_length=20, choices=Status.choices, default=Status.OPEN)
    opened_at = models.DateTimeField("生成时间")
    due_date = models.DateField("整改期限", null=True, blank=True)
    fix_note = models.TextField("整改说明", blank=True)
    fixed_at = models.DateTimeField("整改时间", null=True, blank=True)
    fixed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="整改人",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = "重复诉求整改"
        verbose_name_plural = "重复诉求整改"
        ordering = ["-opened_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["subject", "key"], condition=Q(status="open"), name="hotline_one_open_recurrence"
            ),
        ]


class Article(models.Model):
    """A knowledge-base article the hotline centre writes (catalog guides answer the rest)."""

    title = models.CharField("标题", max_length=rules.TITLE_MAX)
    body = models.TextField("答复口径", max_length=rules.ARTICLE_MAX)
    keywords = models.CharField("关键词", max_length=200, blank=True, help_text="以空格分隔")
    region = models.ForeignKey(
        Region,
        verbose_name="适用区划",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="留空：全省适用",
    )
    item_code = models.CharField("相关事项编码", max_length=64, blank=True)
    published = models.BooleanField("已发布", default=True)
    uses = models.PositiveIntegerField("引用次数", default=0)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="编辑人",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    class Meta:
        verbose_name = "知识库文章"
        verbose_name_plural = "知识库"
        ordering = ["-updated_at"]

    def __str__(self) -> str:
        return self.title


class Open311Client(models.Model):
    """A system that files and reads tickets through Open311 GeoReport v2: its ``api_key`` is
    a service token (hashed, refused everywhere else), scoped to a region."""

    name = models.CharField("系统名称", max_length=100)
    token = models.OneToOneField(
        ApiToken, verbose_name="令牌", on_delete=models.CASCADE, related_name="open311"
    )
    region = models.ForeignKey(Region, verbose_name="区划范围", on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField("创建时间", auto_now_add=True)

    class Meta:
        verbose_name = "Open311 接入系统"
        verbose_name_plural = "Open311 接入系统"

    def __str__(self) -> str:
        return self.name
