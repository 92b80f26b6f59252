"""The official working-day calendar as editable data.

Only the exceptions are stored: statutory holidays that fall on weekdays' places and the
make-up working days (调休上班) on weekends; every other day follows Monday–Friday. A year is
usable only once a :class:`CalendarYear` row says its schedule was loaded.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone


class CalendarYear(models.Model):
    year = models.PositiveIntegerField("年份", primary_key=True)
    source = models.CharField("来源", max_length=200, blank=True)
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    class Meta:
        verbose_name = "日历年份"
        verbose_name_plural = "日历年份"
        ordering = ["-year"]

    def __str__(self) -> str:
        return f"{self.year}年"


class CalendarDay(models.Model):
    """A day whose status differs from the Monday–Friday rule."""

    year = models.ForeignKey(CalendarYear, on_delete=models.CASCADE, related_name="days", verbose_name="年份")
    date = models.DateField("日期", unique=True)
    workday = models.BooleanField("上班", help_text="勾选：调休上班日；不勾选：法定节假日（休息）")
    name = models.CharField("名称", max_length=50, blank=True)

    class Meta:
        verbose_name = "节假日与调休"
        verbose_name_plural = "节假日与调休"
        ordering = ["date"]

    def __str__(self) -> str:
        return f"{self.date} {'上班' if self.workday else '休息'} {self.name}"

    def save(self, *args, **kwargs):
        super().save(*args, **kwargs)
        self._touch_year()

    def delete(self, *args, **kwargs):
        result = super().delete(*args, **kwargs)
        self._touch_year()
        return result

    def _touch_year(self) -> None:
        """Bump the year's ``updated_at``: the calendar cache fingerprint notices the edit."""
        CalendarYear.objects.filter(year=self.year_id).update(updated_at=timezone.now())

    def clean(self) -> None:
        if self.date and self.year_id and self.date.year != self.year_id:
            raise ValidationError({"date": f"日期 {self.date} 不属于 {self.year_id} 年"})
