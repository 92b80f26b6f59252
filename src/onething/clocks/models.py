"""Service-level clocks: policies (data), office hours (per region) and the running clocks.

A :class:`Clock` belongs to any object of an app that registered its kind
(``clocks.registry``), under a name: a 12345 ticket can have ``dispatch``, ``finish`` and
``return_visit``. It carries a *snapshot* of the :class:`ClockPolicy` it started with, so an
admin's edit of a policy applies to new clocks while running ones keep their rule.

The scan reads only ``running`` clocks through two partial indexes (due and yellow moments);
``warning`` and ``warned_at`` are in no index, and the table keeps a quarter of each page free
(migration 0002), so marking a clock is a HOT update that touches no index.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q, Value
from django.db.models.functions import Coalesce

from onething.directory.models import Region
from onething.kernel import workhours


class Unit(models.TextChoices):
    WORKING_DAYS = workhours.WORKING_DAYS, "工作日"
    WORKING_HOURS = workhours.WORKING_HOURS, "工作小时"
    NATURAL_DAYS = workhours.NATURAL_DAYS, "自然日"
    NATURAL_HOURS = workhours.NATURAL_HOURS, "自然小时"


class Rule(models.TextChoices):
    THIRD = workhours.THIRD, "剩余不足三分之一时（至少一个单位，不在开始时）"
    LEAD = workhours.LEAD, "到期前固定提前量"


class Level(models.TextChoices):
    NONE = "", "正常"
    YELLOW = "yellow", "黄灯"
    RED = "red", "红灯"


AUDIENCE_HELP = "由所属应用解释的对象代码，以空格分隔，例如：handler approvers supervisors"


#: policy codes are dotted (``hotline.finish.complaint``, ``ratings.rectify``): a slug would refuse them
POLICY_CODE = RegexValidator(
    r"^[a-z0-9_-]+(\.[a-z0-9_-]+)*$",
    "编码只能由小写字母、数字、下划线、连字符和点组成，例如 hotline.finish.complaint",
)


class ClockPolicy(models.Model):
    """A time limit as data: unit, limit, warning rule and whom to tell, per region."""

    code = models.CharField(
        "编码",
        max_length=50,
        validators=[POLICY_CODE],
        help_text="小写字母、数字、下划线、连字符和点，例如 hotline.finish.complaint",
    )
    name = models.CharField("名称", max_length=100)
    region = models.ForeignKey(
        Region,
        verbose_name="适用区划",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="留空：全平台适用；填写后适用于该区划及其下级区划（下级区划的同编码策略优先）",
    )
    unit = models.CharField("计时单位", max_length=20, choices=Unit.choices, default=Unit.WORKING_DAYS)
    limit = models.PositiveIntegerField("时限", help_text="以计时单位计；工作日和自然日可为 0（即办）")
    rule = models.CharField("预警规则", max_length=10, choices=Rule.choices, default=Rule.THIRD)
    lead = models.PositiveIntegerField(
        "提前量", default=0, help_text="预警规则为固定提前量时：到期前多少个单位亮黄灯"
    )
    yellow_audience = models.CharField("黄灯告知", max_length=200, blank=True, help_text=AUDIENCE_HELP)
    red_audience = models.CharField("红灯告知与升级", max_length=200, blank=True, help_text=AUDIENCE_HELP)
    active = models.BooleanField(
        "启用", default=True, help_text="停用后新计时不再采用；已在运行的计时不受影响"
    )
    version = models.PositiveIntegerField("版本", default=1, editable=False)
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    class Meta:
        verbose_name = "时限策略"
        verbose_name_plural = "时限策略"
        ordering = ["code", "region"]
        constraints = [
            # one policy per code and region; the platform-wide one has no region
            models.UniqueConstraint(
                "code",
                Coalesce("region", Value(""), output_field=models.CharField()),
                name="clockpolicy_code_region",
            ),
        ]

    def __str__(self) -> str:
        scope = self.region_id or "全平台"
        return f"{self.name}（{self.code}，{scope}，{self.limit}{self.get_unit_display()}）"

    def clean(self) -> None:
        errors = {}
        hours = self.unit in (Unit.WORKING_HOURS, Unit.NATURAL_HOURS)
        if self.limit is not None and hours and self.limit < 1:
            errors["limit"] = "以小时计的时限至少为 1 小时"
        if self.rule == Rule.LEAD and self.limit is not None:
            if not self.lead:
                errors["lead"] = "固定提前量至少为 1 个单位"
            elif self.lead >= self.limit:
                errors["lead"] = f"提前量（{self.lead}）必须小于时限（{self.limit}），否则一开始就是黄灯"
        if errors:
            raise ValidationError(errors)

    def save(self, *args, **kwargs):
        """Every saved edit is a new version; clocks record the version they started with."""
        if self.pk is not None:
            self.version = (self.version or 0) + 1
        super().save(*args, **kwargs)


class OfficeHours(models.Model):
    """Office periods of a region's working days, beside the official calendar."""

    region = models.OneToOneField(
        Region,
        verbose_name="区划",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
        help_text="留空：全平台默认；下级区划未设置时沿用上级区划的办公时间",
    )
    periods = models.CharField(
        "办公时段",
        max_length=100,
        default=str(workhours.DEFAULT_OFFICE_HOURS),
        help_text="每个工作日的办公时段，以空格分隔，例如：09:00-12:00 13:30-17:30",
    )
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    class Meta:
        verbose_name = "办公时间"
        verbose_name_plural = "办公时间"
        constraints = [
            models.UniqueConstraint(
                Coalesce("region", Value(""), output_field=models.CharField()),
                name="officehours_one_per_region",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.region_id or '全平台默认'}：{self.periods}"

    def clean(self) -> None:
        try:
            self.periods = str(workhours.OfficeHours.parse(self.periods))
        except ValueError as exc:
            raise ValidationError({"periods": str(exc)}) from exc

    def office_hours(self) -> workhours.OfficeHours:
        return workhours.OfficeHours.parse(self.periods)


class Clock(models.Model):
    """One running (or stopped) clock of an owner, with the policy it started under."""

    owner_kind = models.CharField("对象类型", max_length=50, help_text="所属应用登记的类型，如 cases.subcase")
    owner_id = models.CharField("对象标识", max_length=64)
    name = models.CharField("名称", max_length=50)
    policy = models.ForeignKey(
        ClockPolicy,
        verbose_name="策略",
        null=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
    )
    policy_version = models.PositiveIntegerField("策略版本", default=0)
    region = models.ForeignKey(
        Region,
        verbose_name="区划",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
    )
    # the policy as it was when the clock started
    unit = models.CharField("计时单位", max_length=20, choices=Unit.choices)
    limit = models.PositiveIntegerField("时限")
    rule = models.CharField("预警规则", max_length=10, choices=Rule.choices, default=Rule.THIRD)
    lead = models.PositiveIntegerField("提前量", default=0)
    yellow_audience = models.CharField("黄灯告知", max_length=200, blank=True)
    red_audience = models.CharField("红灯告知与升级", max_length=200, blank=True)
    # what happened to it; paused and extension are in steps: days, or minutes for hour units
    started_at = models.DateTimeField("开始时间")
    paused_at = models.DateTimeField("暂停时间", null=True, blank=True)
    paused = models.PositiveIntegerField("已暂停", default=0, help_text="日单位：天；小时单位：分钟")
    extension = models.PositiveIntegerField("已延长", default=0, help_text="日单位：天；小时单位：分钟")
    due_at = models.DateTimeField("到期时间")
    yellow_at = models.DateTimeField("黄灯时间", null=True, blank=True)
    running = models.BooleanField("计时中", default=True)
    warning = models.CharField("预警", max_length=10, choices=Level.choices, blank=True, default=Level.NONE)
    warned_at = models.DateTimeField("预警时间", null=True, blank=True)
    stopped_at = models.DateTimeField("停止时间", null=True, blank=True)

    class Meta:
        verbose_name = "计时"
        verbose_name_plural = "计时"
        constraints = [
            models.UniqueConstraint(fields=["owner_kind", "owner_id", "name"], name="clock_owner_name"),
        ]
        indexes = [
            # the scan reads running clocks only, through these two (one bitmap, one heap pass)
            models.Index(fields=["due_at"], condition=Q(running=True), name="clock_due_scan"),
            models.Index(fields=["yellow_at"], condition=Q(running=True), name="clock_yellow_scan"),
        ]

    def __str__(self) -> str:
        return f"{self.owner_kind}:{self.owner_id} {self.name}"

    @property
    def steps_per_unit(self) -> int:
        return workhours.STEPS_PER_UNIT[self.unit]
