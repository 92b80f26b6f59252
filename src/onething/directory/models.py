"""Regions (GB/T 2260, five levels), departments (by 统一社会信用代码) and service halls.

These are the organisational coordinates every other record hangs from: an item is
implemented by a department in a region; staff act within a region, department or hall.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import models

from onething.kernel import codes


class Region(models.Model):
    """行政区划. ``path`` holds the chain of codes from the province down, for subtree queries."""

    LEVELS = [
        ("province", "省级"),
        ("city", "市级"),
        ("county", "县级"),
        ("township", "乡镇（街道）级"),
        ("village", "村（社区）级"),
    ]
    code = models.CharField("区划代码", max_length=12, primary_key=True)
    name = models.CharField("名称", max_length=100)
    level = models.CharField("层级", max_length=10, choices=LEVELS)
    parent = models.ForeignKey(
        "self",
        verbose_name="上级区划",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    path = models.CharField("区划路径", max_length=80, db_index=True, editable=False)

    class Meta:
        verbose_name = "行政区划"
        verbose_name_plural = "行政区划"
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.name}（{self.code}）"

    def clean(self) -> None:
        reason = codes.validate_region_code(self.code, self.level, self.parent_id)
        if reason:
            raise ValidationError({"code": f"区划 {self.code}：{reason}"})

    def save(self, *args, **kwargs):
        self.path = compute_path(self.code, self.parent_id)
        super().save(*args, **kwargs)

    def ancestor_codes(self) -> list[str]:
        return self.path.split("/")[:-1]


def compute_path(code: str, parent_code: str | None) -> str:
    """``430000/430600/430602`` — built from the parent's stored path when it exists."""
    if not parent_code:
        return code
    parent_path = Region.objects.filter(code=parent_code).values_list("path", flat=True).first()
    return f"{parent_path or parent_code}/{code}"


def within(path: str, scope: str) -> bool:
    """Whether the region whose ``path`` is given is the region ``scope`` or lies below it —
    the one meaning of "region within region" (supervision, dashboards, search scopes)."""
    return bool(scope) and scope in path.split("/")


def chain(path: str) -> list[str]:
    """The region of ``path`` and every region above it, province first."""
    return [code for code in path.split("/") if code]


def within_q(scopes, field: str = "region") -> models.Q:
    """Rows whose region FK ``field`` lies within any region of ``scopes`` (no scope: none).

    Matches the path itself or below it, never a sibling whose code merely starts alike."""
    condition = models.Q(pk__in=[])
    for scope in scopes:
        condition |= models.Q(**{f"{field}__path": scope.path}) | models.Q(
            **{f"{field}__path__startswith": f"{scope.path}/"}
        )
    return condition


class Department(models.Model):
    """A government department or authorised body, identified by its 统一社会信用代码."""

    code = models.CharField("统一社会信用代码", max_length=18, primary_key=True)
    name = models.CharField("名称", max_length=200)
    short_name = models.CharField("简称", max_length=100, blank=True)
    region = models.ForeignKey(
        Region, verbose_name="所在区划", on_delete=models.PROTECT, related_name="departments"
    )

    class Meta:
        verbose_name = "部门"
        verbose_name_plural = "部门"
        ordering = ["region_id", "code"]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        reason = codes.validate_uscc(self.code)
        if reason:
            raise ValidationError({"code": f"部门 {self.code}：统一社会信用代码{reason}"})


class Hall(models.Model):
    """政务服务大厅 (or a township/village service point, 24h self-service point, bank outlet)."""

    KINDS = [
        ("hall", "政务服务中心"),
        ("township", "乡镇（街道）便民服务中心"),
        ("village", "村（社区）便民服务站"),
        ("self_service", "24小时自助服务区"),
        ("bank", "政银合作网点"),
    ]
    code = models.SlugField("编号", max_length=40, primary_key=True)
    name = models.CharField("名称", max_length=200)
    kind = models.CharField("类型", max_length=20, choices=KINDS, default="hall")
    region = models.ForeignKey(
        Region, verbose_name="所在区划", on_delete=models.PROTECT, related_name="halls"
    )
    address = models.CharField("地址", max_length=300, blank=True)
    hours = models.CharField("办公时间", max_length=200, blank=True)
    phone = models.CharField("咨询电话", max_length=40, blank=True)
    #: opening on the calendar: ``{"sessions": [["09:00", "12:00"], ["13:30", "17:00"]],
    #: "every_day": false}`` — on working days (调休 included) unless ``every_day`` (24 h
    #: self-service points, some village stations). Empty: the province's office hours.
    opening = models.JSONField("开放时段", default=dict, blank=True)

    class Meta:
        verbose_name = "服务大厅"
        verbose_name_plural = "服务大厅"
        ordering = ["region_id", "code"]

    def __str__(self) -> str:
        return self.name

    #: points that take in the items of the county they lie in (代收代办 at township and village
    #: service points and bank outlets), not only those of their own region
    FORWARDING = ("township", "village", "bank")

    @property
    def scope_code(self) -> str:
        """The region whose items, and those of the regions below it, the hall takes in."""
        if self.kind in self.FORWARDING and len(self.region_id) > 6:
            return self.region_id[:6]
        return self.region_id


class Window(models.Model):
    """A window (窗口) of a hall.

    A comprehensive window (综合窗口, 无差别受理) accepts any item of its categories (``themes``,
    the catalog's item themes; none: every item the hall takes in); a specialist window accepts
    the items it names (``items``, implementation codes). Which queue services a window serves
    follows from that (``onething.halls.offer``). ``code`` is unique across halls: the API
    addresses a window by it alone.
    """

    code = models.SlugField("窗口编码", max_length=40, unique=True)
    hall = models.ForeignKey(Hall, verbose_name="大厅", on_delete=models.CASCADE, related_name="windows")
    number = models.CharField("窗口号", max_length=20)
    name = models.CharField("名称", max_length=100)
    zone = models.CharField("区域", max_length=50, blank=True)
    comprehensive = models.BooleanField("综合窗口", default=True)
    themes = models.JSONField("受理主题", default=list, blank=True)
    items = models.JSONField("受理事项（专业窗口）", default=list, blank=True)
    active = models.BooleanField("启用", default=True)

    class Meta:
        verbose_name = "窗口"
        verbose_name_plural = "窗口"
        unique_together = [("hall", "number")]
        ordering = ["hall_id", "number"]

    def __str__(self) -> str:
        return f"{self.hall.name} {self.number}号窗口"
