"""好差评: ratings, the 差评 rectification loop, appeals, catalog defects, and the projection
the rates and rankings read (``RatingFact``)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from onething.cases.models import Application, SubCase
from onething.directory.models import Department, Hall, Region, Window
from onething.halls.models import Ticket
from onething.ratings import rules

CHANNEL_CHOICES = list(rules.CHANNELS.items())


class RatingPolicy(models.Model):
    """A region's 好差评 settings (its own, else the nearest ancestor's, else the platform's)."""

    region = models.OneToOneField(
        Region, verbose_name="适用区划", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    default_after_days = models.PositiveSmallIntegerField(
        "默认评价天数", default=rules.DEFAULT_AFTER_DAYS, help_text="服务结束后多少天未评价，记为默认评价"
    )
    default_score = models.PositiveSmallIntegerField(
        "默认评价等级", default=rules.DEFAULT_SCORE, choices=list(rules.LEVELS.items())
    )
    recurrence_days = models.PositiveSmallIntegerField(
        "差评重复统计天数", default=rules.RECURRENCE_DAYS, help_text="同一事项、同一原因的差评在多少天内累计"
    )
    recurrence_threshold = models.PositiveSmallIntegerField(
        "差评重复阈值", default=rules.RECURRENCE_THRESHOLD, help_text="累计达到该数即生成事项缺陷整改任务"
    )

    class Meta:
        verbose_name = "好差评设置"
        verbose_name_plural = "好差评设置"
        constraints = [
            models.CheckConstraint(
                condition=Q(default_score__gte=1, default_score__lte=5), name="ratingpolicy_score"
            ),
            models.CheckConstraint(condition=Q(recurrence_threshold__gte=2), name="ratingpolicy_threshold"),
        ]

    def __str__(self) -> str:
        return f"好差评设置 · {self.region or '全平台'}"


class Rating(models.Model):
    """One rating of one service on one channel (一次一评 / 一事一评), given or defaulted.

    The rated objects are copied onto the row when it is made (department, item, hall, window,
    staff member, region), so the figures never re-derive them from cases that change later."""

    class Source(models.TextChoices):
        GIVEN = "given", "本人评价"
        DEFAULTED = "defaulted", "默认评价（逾期未评）"

    application = models.ForeignKey(
        Application, null=True, blank=True, on_delete=models.PROTECT, related_name="ratings"
    )
    subcase = models.ForeignKey(
        SubCase, verbose_name="评价环节", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    ticket = models.ForeignKey(
        Ticket, null=True, blank=True, on_delete=models.PROTECT, related_name="ratings"
    )
    channel = models.CharField("评价渠道", max_length=20, choices=CHANNEL_CHOICES)
    score = models.PositiveSmallIntegerField("评价等级", choices=list(rules.LEVELS.items()))
    indicators = models.JSONField("分项评价", default=dict, blank=True)
    comment = models.CharField("评价内容", max_length=rules.COMMENT_MAX, blank=True)
    reason = models.CharField("差评原因", max_length=20, blank=True, choices=list(rules.REASONS.items()))
    reason_text = models.CharField("差评说明", max_length=rules.REASON_TEXT_MAX, blank=True)
    source = models.CharField("来源", max_length=10, choices=Source.choices, default=Source.GIVEN)
    excluded = models.BooleanField("申诉成立，不计入统计", default=False)
    rater = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="ratings_given",
    )
    rater_name = models.CharField("评价人", max_length=100, blank=True)
    rater_phone = models.CharField("评价人电话", max_length=20, blank=True)
    # the rated objects, as they were
    region = models.ForeignKey(Region, verbose_name="区划", on_delete=models.PROTECT, related_name="+")
    department = models.ForeignKey(
        Department, verbose_name="被评部门", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    service_code = models.CharField("一件事/事项编码", max_length=64, blank=True)
    service_name = models.CharField("一件事/事项名称", max_length=200, blank=True)
    item_code = models.CharField("被评事项编码", max_length=64, blank=True)
    item_name = models.CharField("被评事项名称", max_length=200, blank=True)
    hall = models.ForeignKey(
        Hall, verbose_name="大厅", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    window = models.ForeignKey(
        Window, verbose_name="窗口", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    staff = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="被评工作人员",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="ratings_received",
    )
    served_at = models.DateTimeField("服务结束时间")
    created_at = models.DateTimeField("评价时间")

    class Meta:
        verbose_name = "评价"
        verbose_name_plural = "评价"
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(condition=Q(score__gte=1, score__lte=5), name="rating_score_range"),
            models.CheckConstraint(
                condition=Q(application__isnull=False) | Q(ticket__isnull=False), name="rating_names_service"
            ),
            # 一事一评: one rating of an application per channel (a window visit's rating
            # names its ticket and counts as that visit's service)
            models.UniqueConstraint(
                fields=["application", "channel"],
                condition=Q(application__isnull=False, ticket__isnull=True),
                name="rating_once_per_application_channel",
            ),
            # 一次一评: one rating of a queue ticket per channel
            models.UniqueConstraint(
                fields=["ticket", "channel"],
                condition=Q(ticket__isnull=False),
                name="rating_once_per_ticket_channel",
            ),
        ]
        indexes = [
            models.Index(fields=["item_code", "reason", "created_at"], name="rating_recurrence"),
            models.Index(fields=["staff", "created_at"], name="rating_staff"),
        ]

    def __str__(self) -> str:
        return f"评价 {self.pk}（{rules.LEVELS.get(self.score, self.score)}）"

    @property
    def bad(self) -> bool:
        return self.source == self.Source.GIVEN and rules.is_bad(self.score)

    @property
    def level(self) -> str:
        return rules.LEVELS.get(self.score, "")


class Rectification(models.Model):
    """差评整改: verify → fix / plan / explain → answer → revisit, each stage on its clock."""

    class Status(models.TextChoices):
        VERIFYING = "verifying", "待核实"
        HANDLING = "handling", "整改中"
        ANSWERED = "answered", "已答复，待回访"
        CLOSED = "closed", "已办结"
        VOIDED = "voided", "申诉成立，已撤销"

    rating = models.OneToOneField(Rating, on_delete=models.PROTECT, related_name="rectification")
    status = models.CharField("状态", max_length=10, choices=Status.choices)
    #: the unit that answers for it: the rated department, or the hall for a window visit
    department = models.ForeignKey(
        Department, verbose_name="责任部门", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    hall = models.ForeignKey(
        Hall, verbose_name="责任大厅", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    region = models.ForeignKey(Region, verbose_name="区划", on_delete=models.PROTECT, related_name="+")
    stage = models.CharField("当前环节", max_length=10, blank=True)
    due_date = models.DateField("当前环节期限", null=True, blank=True)
    warning = models.CharField("预警", max_length=10, blank=True)
    paused = models.BooleanField("申诉中，暂停计时", default=False)
    # verify
    outcome = models.CharField("核实结论", max_length=10, blank=True, choices=list(rules.OUTCOMES.items()))
    verify_note = models.CharField("核实回访记录", max_length=rules.NOTE_MAX, blank=True)
    verified_at = models.DateTimeField("核实时间", null=True, blank=True)
    verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    plan = models.CharField("整改方案", max_length=rules.NOTE_MAX, blank=True)
    plan_due = models.DateField("整改期限", null=True, blank=True)
    # answer
    answer = models.CharField("答复内容", max_length=rules.NOTE_MAX, blank=True)
    answered_at = models.DateTimeField("答复时间", null=True, blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    on_time = models.BooleanField("按时整改", null=True, blank=True)
    #: counted in the projection's 整改应办 (answered, or overdue unanswered)
    counted_due = models.BooleanField(default=False, editable=False)
    # revisit
    satisfaction = models.CharField(
        "回访满意度", max_length=12, blank=True, choices=list(rules.SATISFACTION.items())
    )
    revisit_note = models.CharField("回访记录", max_length=rules.NOTE_MAX, blank=True)
    revisited_at = models.DateTimeField("回访时间", null=True, blank=True)
    revisited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    reopened = models.PositiveSmallIntegerField("重新整改次数", default=0)
    created_at = models.DateTimeField("生成时间")
    closed_at = models.DateTimeField("办结时间", null=True, blank=True)

    class Meta:
        verbose_name = "差评整改"
        verbose_name_plural = "差评整改"
        ordering = ["due_date", "pk"]
        indexes = [
            models.Index(fields=["department", "status"], name="rect_department"),
            models.Index(fields=["hall", "status"], name="rect_hall"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(department__isnull=False) | Q(hall__isnull=False), name="rect_has_unit"
            )
        ]

    def __str__(self) -> str:
        return f"差评整改 {self.pk}"


class Appeal(models.Model):
    """申诉复核: the rated unit appeals a rating; a reviewer outside that unit decides."""

    class Status(models.TextChoices):
        PENDING = "pending", "待复核"
        UPHELD = "upheld", "申诉成立"
        DISMISSED = "dismissed", "申诉不成立"

    rating = models.ForeignKey(Rating, on_delete=models.PROTECT, related_name="appeals")
    status = models.CharField("状态", max_length=10, choices=Status.choices)
    ground = models.CharField("申诉理由", max_length=10, choices=list(rules.GROUNDS.items()))
    statement = models.CharField("申诉说明", max_length=rules.NOTE_MAX)
    filed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    filed_at = models.DateTimeField("申诉时间")
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField("复核时间", null=True, blank=True)
    decision_note = models.CharField("复核意见", max_length=rules.NOTE_MAX, blank=True)

    class Meta:
        verbose_name = "评价申诉"
        verbose_name_plural = "评价申诉"
        ordering = ["-filed_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["rating"], condition=Q(status="pending"), name="appeal_one_pending_per_rating"
            )
        ]

    def __str__(self) -> str:
        return f"申诉 {self.pk}"


class Defect(models.Model):
    """事项缺陷: recurring 差评 of one item for one reason, for the item's department to fix
    (guide, materials, limit); its effect is the 差评率 before and after ``fixed_at``."""

    class Status(models.TextChoices):
        OPEN = "open", "待整改"
        FIXED = "fixed", "已整改"

    item_code = models.CharField("事项编码", max_length=64)
    item_name = models.CharField("事项名称", max_length=200)
    reason = models.CharField("差评原因", max_length=20, choices=list(rules.REASONS.items()))
    department = models.ForeignKey(
        Department, verbose_name="责任部门", on_delete=models.PROTECT, related_name="+"
    )
    region = models.ForeignKey(Region, verbose_name="区划", on_delete=models.PROTECT, related_name="+")
    status = models.CharField("状态", max_length=10, choices=Status.choices)
    count = models.PositiveIntegerField("差评数（生成时）")
    window_days = models.PositiveSmallIntegerField("统计天数")
    opened_at = models.DateTimeField("生成时间")
    due_date = models.DateField("整改期限", null=True, blank=True)
    warning = models.CharField("预警", max_length=10, blank=True)
    fix_kind = models.CharField("整改内容", max_length=10, blank=True, choices=list(rules.FIX_KINDS.items()))
    fix_note = models.CharField("整改说明", max_length=rules.NOTE_MAX, blank=True)
    fixed_at = models.DateTimeField("整改时间", null=True, blank=True)
    fixed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = "事项缺陷"
        verbose_name_plural = "事项缺陷"
        ordering = ["-opened_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["item_code", "reason"],
                condition=Q(status="open"),
                name="defect_one_open_per_item_reason",
            )
        ]

    def __str__(self) -> str:
        return f"事项缺陷 {self.item_name}（{self.get_reason_display()}）"


class RatingFact(models.Model):
    """The projection the rates and rankings read: per day (of the rating), dimension and key
    and the rating's region, the sums of every measure. ``projection.py`` keeps it up to date
    in the transaction of each change and rebuilds it from scratch."""

    day = models.DateField()
    dim = models.CharField(max_length=12)
    key = models.CharField(max_length=64)
    region_code = models.CharField(max_length=12)
    region_path = models.CharField(max_length=200)
    ratings = models.IntegerField(default=0)
    given = models.IntegerField(default=0)
    defaulted = models.IntegerField(default=0)
    good = models.IntegerField(default=0)
    bad = models.IntegerField(default=0)
    score_sum = models.IntegerField(default=0)
    #: given ratings per level (the public summary shows the five levels)
    level_1 = models.IntegerField(default=0)
    level_2 = models.IntegerField(default=0)
    level_3 = models.IntegerField(default=0)
    level_4 = models.IntegerField(default=0)
    level_5 = models.IntegerField(default=0)
    rect_due = models.IntegerField(default=0)
    rect_on_time = models.IntegerField(default=0)
    revisited = models.IntegerField(default=0)
    ind_overall_sum = models.IntegerField(default=0)
    ind_overall_n = models.IntegerField(default=0)
    ind_efficiency_sum = models.IntegerField(default=0)
    ind_efficiency_n = models.IntegerField(default=0)
    ind_guide_sum = models.IntegerField(default=0)
    ind_guide_n = models.IntegerField(default=0)
    ind_convenience_sum = models.IntegerField(default=0)
    ind_convenience_n = models.IntegerField(default=0)
    ind_operability_sum = models.IntegerField(default=0)
    ind_operability_n = models.IntegerField(default=0)
    ind_service_efficiency_sum = models.IntegerField(default=0)
    ind_service_efficiency_n = models.IntegerField(default=0)
    ind_service_level_sum = models.IntegerField(default=0)
    ind_service_level_n = models.IntegerField(default=0)
    ind_attitude_sum = models.IntegerField(default=0)
    ind_attitude_n = models.IntegerField(default=0)

    class Meta:
        verbose_name = "评价统计（投影）"
        verbose_name_plural = "评价统计（投影）"
        constraints = [
            models.UniqueConstraint(fields=["day", "dim", "key", "region_code"], name="ratingfact_key")
        ]
        indexes = [
            models.Index(fields=["dim", "day"], name="ratingfact_dim_day"),
            models.Index(fields=["dim", "key", "day"], name="ratingfact_dim_key_day"),
        ]
