"""Halls' queue and appointment records (the halls and windows themselves are in ``directory``).

- :class:`Service` — what a person queues for: a named group of catalog items (综合受理,
  不动产登记 …), with the letter its numbers start with. The windows that accept its items
  offer it (``offer``).
- :class:`HallPolicy` — one hall's queue and booking settings (defaults in ``rules``).
- :class:`Closure` — a hall closed on some days besides the calendar's holidays.
- :class:`WindowSession` — a staff member at a window for a while ("I am at window 3 today").
- :class:`QueueDay` — a hall's number counter for a service and day.
- :class:`Ticket` — a queue number, from issue to finish, no-show, transfer or cancel.
- :class:`Slot` and :class:`Appointment` — bookable capacity and the bookings on it.
- (the visitor's rating of a finished ticket, 一次一评, is 好差评's: ``ratings.Rating``)
"""

from __future__ import annotations

import secrets

from django.conf import settings
from django.db import models
from django.db.models import Q

from onething.directory.models import Hall, Window
from onething.halls import rules


def _token() -> str:
    return secrets.token_urlsafe(16)


class Service(models.Model):
    """A queue service. Its items: those named in ``items`` and those with a theme in ``themes``;
    with neither, every item the hall takes in (综合受理)."""

    code = models.SlugField("编码", max_length=40, primary_key=True)
    name = models.CharField("名称", max_length=100)
    prefix = models.CharField("号码字头", max_length=1, unique=True, help_text="取号号码的首字母，如 A")
    themes = models.JSONField("事项主题", default=list, blank=True)
    items = models.JSONField("事项实施编码", default=list, blank=True)
    bookable = models.BooleanField("可预约", default=True)
    position = models.PositiveIntegerField("顺序", default=0)

    class Meta:
        verbose_name = "排队业务"
        verbose_name_plural = "排队业务"
        ordering = ["position", "code"]

    def __str__(self) -> str:
        return self.name


class HallPolicy(models.Model):
    """Queue and booking settings of a hall; a hall without a row uses ``rules.DEFAULTS``."""

    hall = models.OneToOneField(Hall, on_delete=models.CASCADE, primary_key=True, related_name="policy")
    priority_age = models.PositiveIntegerField("优先取号年龄", default=rules.DEFAULTS["priority_age"])
    fairness = models.PositiveIntegerField(
        "连续优先呼叫上限",
        default=rules.DEFAULTS["fairness"],
        help_text="连续呼叫这么多个优先号后呼叫一个普通号",
    )
    no_show_calls = models.PositiveIntegerField("过号前呼叫次数", default=rules.DEFAULTS["no_show_calls"])
    appointment_grace_minutes = models.PositiveIntegerField(
        "预约提前叫号（分钟）", default=rules.DEFAULTS["appointment_grace_minutes"]
    )
    slot_minutes = models.PositiveIntegerField("预约时段长度（分钟）", default=rules.DEFAULTS["slot_minutes"])
    per_window = models.PositiveIntegerField("每窗口每时段预约数", default=rules.DEFAULTS["per_window"])
    horizon_days = models.PositiveIntegerField("可预约天数", default=rules.DEFAULTS["horizon_days"])
    min_notice_minutes = models.PositiveIntegerField(
        "最短提前预约（分钟）", default=rules.DEFAULTS["min_notice_minutes"]
    )
    per_person_per_day = models.PositiveIntegerField(
        "每人每天预约上限", default=rules.DEFAULTS["per_person_per_day"]
    )
    late_cancel_hours = models.PositiveIntegerField(
        "迟取消界限（小时）", default=rules.DEFAULTS["late_cancel_hours"]
    )
    hold_minutes = models.PositiveIntegerField("预约锁定时长（分钟）", default=rules.DEFAULTS["hold_minutes"])

    class Meta:
        verbose_name = "大厅排队与预约规则"
        verbose_name_plural = "大厅排队与预约规则"

    def __str__(self) -> str:
        return f"{self.hall.name} 规则"


class Closure(models.Model):
    """Days a hall is closed besides the calendar's holidays (停电、搬迁、系统升级 …)."""

    hall = models.ForeignKey(Hall, on_delete=models.CASCADE, related_name="closures")
    first_day = models.DateField("起")
    last_day = models.DateField("止")
    reason = models.CharField("原因", max_length=200)

    class Meta:
        verbose_name = "闭厅安排"
        verbose_name_plural = "闭厅安排"
        ordering = ["hall_id", "first_day"]
        constraints = [
            models.CheckConstraint(condition=Q(last_day__gte=models.F("first_day")), name="closure_ordered")
        ]

    def __str__(self) -> str:
        return f"{self.hall.name} {self.first_day}—{self.last_day}"


class WindowSession(models.Model):
    """A staff member signed in at a window. Intake, calling and the figures use it."""

    class Status(models.TextChoices):
        ACTIVE = "active", "在岗"
        PAUSED = "paused", "暂停服务"
        CLOSED = "closed", "已签退"

    OPEN = (Status.ACTIVE, Status.PAUSED)

    window = models.ForeignKey(Window, on_delete=models.PROTECT, related_name="sessions")
    clerk = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="window_sessions"
    )
    status = models.CharField("状态", max_length=10, choices=Status.choices)
    started_at = models.DateTimeField("签到时间")
    ended_at = models.DateTimeField("签退时间", null=True, blank=True)
    pause_reason = models.CharField("暂停原因", max_length=200, blank=True)
    #: the services the window served when the clerk signed in (``offer.window_services``)
    services = models.JSONField("可呼叫业务", default=list)
    #: priority tickets called in a row at this window (the fairness rule's count)
    priority_run = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = "窗口签到"
        verbose_name_plural = "窗口签到"
        ordering = ["-started_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["window"], condition=Q(status__in=["active", "paused"]), name="one_clerk_per_window"
            ),
            models.UniqueConstraint(
                fields=["clerk"], condition=Q(status__in=["active", "paused"]), name="one_window_per_clerk"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.window} · {self.clerk}"


class QueueDay(models.Model):
    """The last number given for a service in a hall on a day (locked to give the next)."""

    hall = models.ForeignKey(Hall, on_delete=models.CASCADE)
    service = models.ForeignKey(Service, on_delete=models.PROTECT)
    day = models.DateField()
    last = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["hall", "service", "day"], name="queue_day_once")]


class Ticket(models.Model):
    """A queue number (排队号)."""

    class Status(models.TextChoices):
        WAITING = "waiting", "等候中"
        CALLED = "called", "已呼叫"
        DONE = "done", "已办结"
        NO_SHOW = "no_show", "过号"
        CANCELLED = "cancelled", "已取消"
        EXPIRED = "expired", "已作废"

    CHANNELS = [
        ("kiosk", "自助取号机"),
        ("mobile", "手机取号"),
        ("window", "窗口取号"),
        ("appointment", "预约到达"),
    ]

    hall = models.ForeignKey(Hall, on_delete=models.PROTECT, related_name="tickets")
    service = models.ForeignKey(Service, on_delete=models.PROTECT, related_name="tickets")
    day = models.DateField("日期")
    number = models.CharField("号码", max_length=8)
    token = models.CharField(max_length=32, unique=True, default=_token, editable=False)
    status = models.CharField("状态", max_length=10, choices=Status.choices)
    channel = models.CharField("取号方式", max_length=12, choices=CHANNELS)
    priority = models.BooleanField("优先", default=False)
    priority_reason = models.CharField("优先原因", max_length=50, blank=True)
    person = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="tickets"
    )
    name = models.CharField("姓名", max_length=50, blank=True)
    id_number = models.CharField("公民身份号码", max_length=18, blank=True)
    appointment = models.OneToOneField(
        "Appointment", null=True, blank=True, on_delete=models.PROTECT, related_name="ticket"
    )
    appointment_at = models.DateTimeField("预约时间", null=True, blank=True)
    #: the application the visitor came about (补正、领证 …), when known
    application_number = models.CharField("来办申请编号", max_length=40, blank=True)
    issued_at = models.DateTimeField("取号时间")
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    called_at = models.DateTimeField("首次呼叫", null=True, blank=True)
    last_called_at = models.DateTimeField("最近呼叫", null=True, blank=True)
    finished_at = models.DateTimeField("结束时间", null=True, blank=True)
    calls = models.PositiveIntegerField("呼叫次数", default=0)
    transfers = models.PositiveIntegerField("转移次数", default=0)
    window = models.ForeignKey(
        Window, null=True, blank=True, on_delete=models.PROTECT, related_name="tickets"
    )
    session = models.ForeignKey(
        WindowSession, null=True, blank=True, on_delete=models.PROTECT, related_name="tickets"
    )
    clerk = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="called_tickets",
    )
    #: a transfer to one window: only that window may call it
    for_window = models.ForeignKey(Window, null=True, blank=True, on_delete=models.PROTECT, related_name="+")

    class Meta:
        verbose_name = "排队号"
        verbose_name_plural = "排队号"
        ordering = ["-issued_at"]
        constraints = [
            models.UniqueConstraint(fields=["hall", "day", "number"], name="ticket_number_once"),
            # no clerk holds two called tickets (call-next answers 409 first; this is the floor)
            models.UniqueConstraint(
                fields=["clerk"], condition=Q(status="called"), name="one_called_per_clerk"
            ),
        ]
        indexes = [models.Index(fields=["hall", "status", "day"], name="ticket_waiting")]

    def __str__(self) -> str:
        return f"{self.hall.name} {self.number}"

    @property
    def wait_seconds(self) -> float | None:
        return (self.called_at - self.issued_at).total_seconds() if self.called_at else None

    @property
    def service_seconds(self) -> float | None:
        if self.called_at and self.finished_at and self.status == self.Status.DONE:
            return (self.finished_at - self.called_at).total_seconds()
        return None

    @property
    def stay_seconds(self) -> float | None:
        if self.finished_at and self.status == self.Status.DONE:
            return (self.finished_at - self.issued_at).total_seconds()
        return None


class Slot(models.Model):
    """Bookable capacity of a hall's service in one period. ``booked`` counts held and booked
    appointments and only changes with a guarded ``UPDATE`` (never more than ``capacity``)."""

    hall = models.ForeignKey(Hall, on_delete=models.CASCADE, related_name="slots")
    service = models.ForeignKey(Service, on_delete=models.PROTECT)
    start = models.DateTimeField("开始")
    end = models.DateTimeField("结束")
    capacity = models.PositiveIntegerField("容量")
    booked = models.PositiveIntegerField("已约", default=0)

    class Meta:
        verbose_name = "预约时段"
        verbose_name_plural = "预约时段"
        ordering = ["hall_id", "service_id", "start"]
        constraints = [
            models.UniqueConstraint(fields=["hall", "service", "start"], name="slot_once"),
            models.CheckConstraint(condition=Q(booked__lte=models.F("capacity")), name="slot_not_overbooked"),
        ]


class Appointment(models.Model):
    """A booking. Nothing is deleted: a cancel, a late cancel, a reschedule (the old record
    points to the new one), a no-show and an expired hold are each kept with their reason."""

    class Status(models.TextChoices):
        HELD = "held", "待确认"
        BOOKED = "booked", "已预约"
        ARRIVED = "arrived", "已到达"
        CANCELLED = "cancelled", "已取消"
        LATE_CANCELLED = "late_cancelled", "逾时取消"
        RESCHEDULED = "rescheduled", "已改约"
        NO_SHOW = "no_show", "爽约"
        EXPIRED = "expired", "锁定已过期"

    code = models.CharField("预约号", max_length=12, unique=True)
    person = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="appointments"
    )
    hall = models.ForeignKey(Hall, on_delete=models.PROTECT, related_name="appointments")
    service = models.ForeignKey(Service, on_delete=models.PROTECT)
    slot = models.ForeignKey(Slot, on_delete=models.PROTECT, related_name="appointments")
    start = models.DateTimeField("预约开始")
    end = models.DateTimeField("预约结束")
    status = models.CharField("状态", max_length=16, choices=Status.choices)
    held_until = models.DateTimeField("锁定至", null=True, blank=True)
    application_number = models.CharField("相关申请编号", max_length=40, blank=True)
    reason = models.CharField("取消或改约原因", max_length=200, blank=True)
    rescheduled_to = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="rescheduled_from"
    )
    created_at = models.DateTimeField("创建时间")
    ended_at = models.DateTimeField("取消/到达时间", null=True, blank=True)
    reminded_at = models.DateTimeField("提醒时间", null=True, blank=True)

    class Meta:
        verbose_name = "预约"
        verbose_name_plural = "预约"
        ordering = ["-start"]
        indexes = [models.Index(fields=["person", "status", "start"], name="appointment_person")]

    def __str__(self) -> str:
        return f"{self.code} {self.hall.name}"
