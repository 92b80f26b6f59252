"""The red/yellow card ledger (红黄牌台账) and its analysis per department.

A :class:`~onething.hotline.models.Card` is written by ``deadlines._warn`` when the clock
scan marks a ticket's clock yellow or red, for the department holding the ticket (none: the
12345 hotline centre). This module reads them:

- :func:`scope_of` / :func:`cards_visible` — who sees which cards: supervisors and operators
  those of their region and below (``Card.region``), a department's handlers and admins their
  department's, platform admins all; anyone else none.
- :func:`summary` — one :class:`Row` per department over a period: yellow and red cards per
  clock, totals, the tickets it handled (assigned to it and finished in the period; for the
  centre every ticket in scope finished in the period), the on-time rate (按时办结 / 办结) and
  red cards per 100 tickets handled — worst first.
- :func:`by_month` — the same totals month by month (the trend).
- :func:`xlsx` — the table and the latest cards as an Excel workbook.
"""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass, field

from django.db.models import Count, Q, QuerySet
from django.db.models.functions import TruncMonth
from django.utils import timezone

from onething.accounts.models import StaffRole
from onething.core import text
from onething.directory.models import Department, Region
from onething.hotline import access, rules
from onething.hotline.models import Card, Ticket
from onething.kernel.errors import Invalid, NotFound

CENTRE = "12345热线中心"
CLOCKS = tuple(rules.CLOCK_LABELS)
LEVELS = {"yellow": "黄牌", "red": "红牌"}
MAX_DAYS = 366

for _field, _label in (("from", "起始日期"), ("to", "截止日期"), ("level", "等级")):
    text.LABELS.setdefault(_field, _label)


# ------------------------------------------------------------------------------ scope


@dataclass
class Scope:
    """What a person sees: everything (platform admin), whole regions (supervisors and
    operators: paths), and departments (handlers and admins)."""

    everything: bool = False
    regions: list[Region] = field(default_factory=list)
    departments: list[str] = field(default_factory=list)

    def __bool__(self) -> bool:
        return self.everything or bool(self.regions or self.departments)

    def _region_q(self, prefix: str) -> Q:
        q = Q(pk__in=[])
        for region in self.regions:
            q |= Q(**{f"{prefix}path": region.path}) | Q(**{f"{prefix}path__startswith": f"{region.path}/"})
        return q

    def cards(self, queryset: QuerySet | None = None) -> QuerySet:
        queryset = Card.objects.all() if queryset is None else queryset
        if self.everything:
            return queryset
        return queryset.filter(self._region_q("region__") | Q(department_id__in=self.departments))

    def tickets(self, queryset: QuerySet | None = None) -> QuerySet:
        """The tickets whose handling the ledger counts for this scope."""
        queryset = Ticket.objects.all() if queryset is None else queryset
        if self.everything:
            return queryset
        return queryset.filter(self._region_q("region__") | Q(assigned_id__in=self.departments))

    def includes(self, region: Region) -> bool:
        """Whether the whole of ``region`` lies within the scope's regions."""
        return self.everything or any(
            region.path == r.path or region.path.startswith(f"{r.path}/") for r in self.regions
        )

    def options(self) -> list[Region]:
        """Regions offered in the picker: the scope's regions and those below, to the county."""
        if self.everything:
            return list(Region.objects.filter(level__in=["province", "city", "county"]).order_by("path"))
        q = Q(pk__in=[])
        for r in self.regions:
            q |= Q(path=r.path) | Q(path__startswith=f"{r.path}/", level__in=["city", "county"])
        return list(Region.objects.filter(q).order_by("path"))


def scope_of(user) -> Scope:
    scope = Scope()
    if not getattr(user, "is_authenticated", False):
        return scope
    for role in StaffRole.objects.filter(user=user).select_related("region").order_by("pk"):
        if role.role == StaffRole.PLATFORM_ADMIN:
            scope.everything = True
        elif role.role in (StaffRole.SUPERVISOR, StaffRole.HOTLINE_OPERATOR) and role.region_id:
            scope.regions.append(role.region)
        elif role.role in access.HANDLER_ROLES and role.department_id:
            scope.departments.append(role.department_id)
    return scope


def cards_visible(user) -> QuerySet:
    """The cards ``user`` may see (none outside every scope)."""
    return scope_of(user).cards()


def narrow(scope: Scope, code) -> tuple[Region | None, Scope]:
    """The scope narrowed to the region asked for (blank: unchanged). An unknown region, or
    one the person sees nothing of: 404. A department's handler narrowing to a region sees
    its own department's cards there."""
    code = text.clean(code, "region", max_length=12) if code not in (None, "") else ""
    if not code:
        return None, scope
    region = Region.objects.filter(code=code).first()
    if region is None:
        raise NotFound("未找到该区划", "region")
    if scope.includes(region):
        return region, Scope(regions=[region])
    if scope.departments:
        return region, Scope(departments=scope.departments)
    raise NotFound("未找到该区划", "region")


def in_region(queryset: QuerySet, region: Region | None, prefix: str = "region__") -> QuerySet:
    if region is None:
        return queryset
    return queryset.filter(
        Q(**{f"{prefix}path": region.path}) | Q(**{f"{prefix}path__startswith": f"{region.path}/"})
    )


# ------------------------------------------------------------------------------ period


def _date(value, name: str) -> dt.date | None:
    if value in (None, ""):
        return None
    if isinstance(value, dt.date):
        return value
    return text.date(value, name)


def period(first=None, last=None, *, today: dt.date | None = None) -> tuple[dt.date, dt.date]:
    """The period asked for (ISO dates); blank: this month so far; at most a year."""
    today = today or timezone.localdate()
    start = _date(first, "from")
    end = _date(last, "to")
    if end is None:
        end = today if start is None or start <= today else start
    if start is None:
        start = end.replace(day=1)
    if start > end:
        raise Invalid("“起始日期”不能晚于截止日期", "from")
    if (end - start).days >= MAX_DAYS:
        raise Invalid(f"“截止日期”：统计区间最长 {MAX_DAYS} 天", "to")
    return start, end


def presets(today: dt.date | None = None) -> list[tuple[str, dt.date, dt.date]]:
    """本月 (so far), 上月, 近三个月 (this month and the two before)."""
    today = today or timezone.localdate()
    month = today.replace(day=1)
    last_month_end = month - dt.timedelta(days=1)
    three = month
    for _ in range(2):
        three = (three - dt.timedelta(days=1)).replace(day=1)
    return [
        ("本月", month, today),
        ("上月", last_month_end.replace(day=1), last_month_end),
        ("近三个月", three, today),
    ]


def bounds(start: dt.date, end: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """Local midnight of ``start`` and of the day after ``end``."""
    return (
        timezone.make_aware(dt.datetime.combine(start, dt.time())),
        timezone.make_aware(dt.datetime.combine(end + dt.timedelta(days=1), dt.time())),
    )


def level_of(value) -> str:
    value = text.clean(value, "level", max_length=10) if value not in (None, "") else ""
    if value and value not in LEVELS:
        raise Invalid("“等级”应为 yellow（黄牌）或 red（红牌）", "level")
    return value


# ------------------------------------------------------------------------------ rows


@dataclass
class Row:
    """One department's cards and handling over the period (``key`` "" = the hotline centre)."""

    key: str
    name: str
    yellow: dict[str, int] = field(default_factory=lambda: dict.fromkeys(CLOCKS, 0))
    red: dict[str, int] = field(default_factory=lambda: dict.fromkeys(CLOCKS, 0))
    handled: int = 0
    on_time: int = 0

    @property
    def yellow_total(self) -> int:
        return sum(self.yellow.values())

    @property
    def red_total(self) -> int:
        return sum(self.red.values())

    @property
    def cards(self) -> int:
        return self.yellow_total + self.red_total

    @property
    def on_time_rate(self) -> float | None:
        return self.on_time / self.handled if self.handled else None

    @property
    def red_per_100(self) -> float | None:
        return self.red_total * 100 / self.handled if self.handled else None

    def as_dict(self) -> dict:
        return {
            "department": self.key or None,
            "name": self.name,
            "yellow": dict(self.yellow),
            "red": dict(self.red),
            "yellow_total": self.yellow_total,
            "red_total": self.red_total,
            "handled": self.handled,
            "on_time": self.on_time,
            "on_time_rate": self.on_time_rate,
            "red_per_100": self.red_per_100,
        }


def _worst_first(row: Row):
    rate = row.on_time_rate
    return (-row.red_total, -row.yellow_total, 2 if rate is None else rate, row.name)


def summary(cards: QuerySet, *, start: dt.date, end: dt.date, tickets: QuerySet | None = None) -> list[Row]:
    """Per department (NULL: the hotline centre), worst first: cards shown in the period by
    clock and level, and the tickets handled (``tickets``: the scope's; default all)."""
    first, after = bounds(start, end)
    rows: dict[str, Row] = {}

    def row(key: str) -> Row:
        if key not in rows:
            rows[key] = Row(key=key, name="")
        return rows[key]

    counted = (
        cards.filter(at__gte=first, at__lt=after)
        .values("department_id", "clock", "level")
        .annotate(n=Count("pk"))
        .order_by()
    )
    for c in counted:
        target = row(c["department_id"] or "")
        getattr(target, c["level"])[c["clock"]] = getattr(target, c["level"]).get(c["clock"], 0) + c["n"]

    tickets = Ticket.objects.all() if tickets is None else tickets
    finished = tickets.filter(finished_at__gte=first, finished_at__lt=after)
    handled = (
        finished.values("assigned_id")
        .annotate(n=Count("pk"), ok=Count("pk", filter=Q(on_time=True)))
        .order_by()
    )
    # every department the scope's tickets were handled by has a row, cards or not
    for h in handled:
        if h["assigned_id"]:
            target = row(h["assigned_id"])
            target.handled, target.on_time = h["n"], h["ok"]
    if "" in rows:
        sums = finished.aggregate(n=Count("pk"), ok=Count("pk", filter=Q(on_time=True)))
        rows[""].handled, rows[""].on_time = sums["n"] or 0, sums["ok"] or 0
    names = dict(
        (code, short or name)
        for code, short, name in Department.objects.filter(pk__in=[k for k in rows if k]).values_list(
            "code", "short_name", "name"
        )
    )
    for key, r in rows.items():
        r.name = CENTRE if not key else names.get(key, key)
    return sorted(rows.values(), key=_worst_first)


def by_month(cards: QuerySet, *, start: dt.date, end: dt.date, tickets: QuerySet | None = None) -> list[dict]:
    """Month by month over the period: yellow and red cards, tickets handled, on-time rate."""
    first, after = bounds(start, end)
    tz = timezone.get_current_timezone()
    months: dict[str, dict] = {}
    month = start.replace(day=1)
    while month <= end:
        key = month.strftime("%Y-%m")
        months[key] = {"month": key, "yellow": 0, "red": 0, "handled": 0, "on_time": 0}
        month = (month + dt.timedelta(days=32)).replace(day=1)
    counted = (
        cards.filter(at__gte=first, at__lt=after)
        .annotate(m=TruncMonth("at", tzinfo=tz))
        .values("m", "level")
        .annotate(n=Count("pk"))
        .order_by()
    )
    for c in counted:
        key = _month_key(c["m"])
        if key in months:
            months[key][c["level"]] += c["n"]
    tickets = Ticket.objects.all() if tickets is None else tickets
    handled = (
        tickets.filter(finished_at__gte=first, finished_at__lt=after)
        .annotate(m=TruncMonth("finished_at", tzinfo=tz))
        .values("m")
        .annotate(n=Count("pk"), ok=Count("pk", filter=Q(on_time=True)))
        .order_by()
    )
    for h in handled:
        key = _month_key(h["m"])
        if key in months:
            months[key]["handled"] += h["n"]
            months[key]["on_time"] += h["ok"]
    out = []
    for m in months.values():
        m["on_time_rate"] = m["on_time"] / m["handled"] if m["handled"] else None
        out.append(m)
    return out


def _month_key(value) -> str:
    if isinstance(value, dt.datetime):
        value = timezone.localtime(value) if timezone.is_aware(value) else value
    return value.strftime("%Y-%m")


def latest(cards: QuerySet, *, start: dt.date, end: dt.date, level: str = "", limit: int = 100) -> list[Card]:
    first, after = bounds(start, end)
    rows = cards.filter(at__gte=first, at__lt=after)
    if level:
        rows = rows.filter(level=level)
    return list(rows.select_related("ticket", "department", "region").order_by("-at", "-pk")[:limit])


def card_dict(card: Card) -> dict:
    return {
        "id": card.pk,
        "ticket": card.ticket.number,
        "link": f"/hotline/tickets/{card.ticket.number}/",
        "clock": card.clock,
        "clock_name": rules.CLOCK_LABELS.get(card.clock, card.clock),
        "level": card.level,
        "level_name": LEVELS.get(card.level, card.level),
        "department": card.department_id,
        "department_name": (card.department.short_name or card.department.name)
        if card.department
        else CENTRE,
        "region": card.region_id,
        "region_name": card.region.name,
        "category": card.category,
        "category_name": rules.CATEGORIES.get(card.category, card.category),
        "due_at": card.due_at.isoformat(),
        "at": card.at.isoformat(),
    }


# ------------------------------------------------------------------------------ export


def xlsx(
    rows: list[Row], months: list[dict], cards: list[Card], *, start: dt.date, end: dt.date, region_name: str
) -> bytes:
    """The ledger as an Excel workbook: 部门汇总, 月度趋势, 红黄牌明细, 说明."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    book.remove(book.active)
    bold = Font(bold=True)

    def sheet(title: str, heads: list[str], values: list[list]) -> None:
        s = book.create_sheet(title)
        s.append(heads)
        for c in s[1]:
            c.font = bold
        for v in values:
            s.append(v)
        s.freeze_panes = "B2"
        s.column_dimensions["A"].width = 28

    clock_heads = [rules.CLOCK_LABELS[c] for c in CLOCKS]
    sheet(
        "部门汇总",
        ["部门", "部门代码"]
        + [f"黄牌·{h}" for h in clock_heads]
        + [f"红牌·{h}" for h in clock_heads]
        + ["黄牌合计", "红牌合计", "办结工单", "按时办结", "按时办结率", "每百件红牌"],
        [
            [r.name, r.key or ""]
            + [r.yellow.get(c, 0) for c in CLOCKS]
            + [r.red.get(c, 0) for c in CLOCKS]
            + [
                r.yellow_total,
                r.red_total,
                r.handled,
                r.on_time,
                None if r.on_time_rate is None else round(r.on_time_rate, 4),
                None if r.red_per_100 is None else round(r.red_per_100, 2),
            ]
            for r in rows
        ],
    )
    sheet(
        "月度趋势",
        ["月份", "黄牌", "红牌", "办结工单", "按时办结", "按时办结率"],
        [[m["month"], m["yellow"], m["red"], m["handled"], m["on_time"], m["on_time_rate"]] for m in months],
    )
    sheet(
        "红黄牌明细",
        ["工单编号", "等级", "时限", "责任部门", "区划", "诉求类型", "到期时间", "亮牌时间"],
        [
            [
                c.ticket.number,
                LEVELS.get(c.level, c.level),
                rules.CLOCK_LABELS.get(c.clock, c.clock),
                (c.department.name if c.department else CENTRE),
                c.region.name,
                rules.CATEGORIES.get(c.category, c.category),
                timezone.localtime(c.due_at).strftime("%Y-%m-%d %H:%M"),
                timezone.localtime(c.at).strftime("%Y-%m-%d %H:%M"),
            ]
            for c in cards
        ],
    )
    notes = book.create_sheet("说明")
    notes.append(["范围", region_name])
    notes.append(["统计区间", f"{start.isoformat()} 至 {end.isoformat()}"])
    notes.append(
        ["口径", "红黄牌按亮牌时间统计；办结工单为期间内办结的承办工单，按时办结率 = 按时办结 / 办结工单"]
    )
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
