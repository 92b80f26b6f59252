"""Window figures (窗口数据): per ticket wait (called − issued), service (finished − called) and
stay (finished − issued); grouped per window, staff member, service and hall, by day and by
hour of day.

Each group has its volume (tickets issued), served (done), called (ever called), the average
and 90th percentile (nearest rank) of wait, service and stay in seconds, the no-show rate
(过号 / called) and the transfer rate (tickets transferred at least once / called). The rows
of a hall's day or month are few enough to compute in Python: one query, then plain sums.

Who may see which halls: :func:`visible_halls` (platform admins all, supervisors the halls of
their region subtrees, clerks their own hall). :func:`xlsx` builds the workbook.
"""

from __future__ import annotations

import datetime as dt
import io
import math
from collections import defaultdict
from collections.abc import Callable, Iterable

from django.db.models import Q, QuerySet
from django.utils import timezone

from onething.accounts.models import StaffRole
from onething.core import text
from onething.directory.models import Hall, within_q
from onething.halls.models import Ticket
from onething.kernel.errors import Invalid

T = Ticket.Status

#: the longest period one request may cover (a year and a day)
MAX_DAYS = 366


# ---------------------------------------------------------------------------------- scope


def is_platform_admin(user) -> bool:
    return bool(
        getattr(user, "is_authenticated", False)
        and (user.is_superuser or user.has_role(StaffRole.PLATFORM_ADMIN))
    )


def supervised_regions(user) -> list:
    if not getattr(user, "is_authenticated", False):
        return []
    return [r.region for r in user.roles() if r.role == StaffRole.SUPERVISOR and r.region is not None]


def visible_halls(user) -> QuerySet[Hall]:
    """The halls whose figures ``user`` may see (none: an empty queryset)."""
    halls = Hall.objects.select_related("region").order_by("region__path", "code")
    if not getattr(user, "is_authenticated", False):
        return halls.none()
    if is_platform_admin(user):
        return halls
    regions = supervised_regions(user)
    own = [r.hall_id for r in user.roles() if r.role == StaffRole.WINDOW_CLERK and r.hall_id]
    if not regions and not own:
        return halls.none()
    return halls.filter(within_q(regions) | Q(pk__in=own))


# ---------------------------------------------------------------------------------- input


def period(first, last, *, today: dt.date | None = None) -> tuple[dt.date, dt.date]:
    """The period of a request: ISO dates (blank: today), in order, at most :data:`MAX_DAYS`."""
    today = today or timezone.localdate()
    first_day = text.date(first, "from") if first not in (None, "") else None
    last_day = text.date(last, "to") if last not in (None, "") else None
    last_day = last_day or (first_day if first_day and first_day > today else today)
    first_day = first_day or last_day
    if first_day > last_day:
        raise Invalid("起始日期不能晚于截止日期", "from")
    if (last_day - first_day).days >= MAX_DAYS:
        raise Invalid(f"统计区间最长 {MAX_DAYS} 天", "to")
    return first_day, last_day


# ---------------------------------------------------------------------------------- numbers


def percentile(values: list[float], share: float = 0.9) -> float | None:
    """Nearest-rank percentile: the smallest value with at least ``share`` of the values at or
    below it (``None`` for no values)."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(share * len(ordered)))
    return ordered[rank - 1]


def average(values: list[float]) -> float | None:
    return sum(values) / len(values) if values else None


def rate(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def summary(tickets: Iterable[Ticket]) -> dict:
    """The figures of a group of tickets."""
    tickets = list(tickets)
    waits = [t.wait_seconds for t in tickets if t.wait_seconds is not None]
    services = [t.service_seconds for t in tickets if t.service_seconds is not None]
    stays = [t.stay_seconds for t in tickets if t.stay_seconds is not None]
    called = sum(1 for t in tickets if t.called_at is not None)
    no_show = sum(1 for t in tickets if t.status == T.NO_SHOW)
    transferred = sum(1 for t in tickets if t.transfers > 0)
    return {
        "volume": len(tickets),
        "served": sum(1 for t in tickets if t.status == T.DONE),
        "called": called,
        "no_show": no_show,
        "transferred": transferred,
        "wait_avg": average(waits),
        "wait_p90": percentile(waits),
        "service_avg": average(services),
        "service_p90": percentile(services),
        "stay_avg": average(stays),
        "stay_p90": percentile(stays),
        "no_show_rate": rate(no_show, called),
        "transfer_rate": rate(transferred, called),
    }


def tickets(halls, first_day: dt.date, last_day: dt.date) -> list[Ticket]:
    """The tickets of ``halls`` (a queryset or a list of halls or codes) issued in the period."""
    codes = [h.pk if isinstance(h, Hall) else h for h in halls] if not isinstance(halls, QuerySet) else None
    rows = Ticket.objects.filter(day__gte=first_day, day__lte=last_day)
    rows = rows.filter(hall__in=halls) if codes is None else rows.filter(hall_id__in=codes)
    return list(rows.select_related("hall", "service", "window__hall", "clerk").order_by("issued_at", "pk"))


def _grouped(rows: list[Ticket], key: Callable, label: Callable, name: str) -> list[dict]:
    """Rows grouped by ``key(ticket)`` — ``(sort key, id)`` or ``None`` (not in any group) —
    each with ``name: id``, the ``label`` of its first ticket and its :func:`summary`."""
    groups: dict = defaultdict(list)
    for ticket in rows:
        k = key(ticket)
        if k is not None:
            groups[k].append(ticket)
    return [{name: k[1], **label(groups[k][0]), **summary(groups[k])} for k in sorted(groups)]


def _clerk_name(ticket: Ticket) -> str:
    clerk = ticket.clerk
    return (clerk.real_name or clerk.username) if clerk else ""


def _hour(ticket: Ticket) -> int:
    return timezone.localtime(ticket.issued_at).hour


def by_window(rows: list[Ticket]) -> list[dict]:
    return _grouped(
        rows,
        lambda t: ((t.hall_id, t.window.number.zfill(8)), t.window.code) if t.window_id else None,
        lambda t: {"hall": t.hall_id, "number": t.window.number, "name": t.window.name},
        "window",
    )


def by_staff(rows: list[Ticket]) -> list[dict]:
    return _grouped(
        rows,
        lambda t: (_clerk_name(t), t.clerk.username) if t.clerk_id else None,
        lambda t: {"name": _clerk_name(t)},
        "staff",
    )


def by_service(rows: list[Ticket]) -> list[dict]:
    return _grouped(
        rows,
        lambda t: ((t.service.position, t.service_id), t.service_id),
        lambda t: {"name": t.service.name},
        "service",
    )


def by_hall(rows: list[Ticket]) -> list[dict]:
    return _grouped(rows, lambda t: (t.hall.region_id, t.hall_id), lambda t: {"name": t.hall.name}, "hall")


def by_day(rows: list[Ticket]) -> list[dict]:
    return _grouped(rows, lambda t: (t.day, t.day.isoformat()), lambda t: {}, "day")


def by_hour(rows: list[Ticket]) -> list[dict]:
    return _grouped(rows, lambda t: (_hour(t), _hour(t)), lambda t: {}, "hour")


def windows(halls, first_day, last_day) -> list[dict]:
    return by_window(tickets(halls, first_day, last_day))


def staff(halls, first_day, last_day) -> list[dict]:
    return by_staff(tickets(halls, first_day, last_day))


def services(halls, first_day, last_day) -> list[dict]:
    return by_service(tickets(halls, first_day, last_day))


def per_hall(halls, first_day, last_day) -> list[dict]:
    return by_hall(tickets(halls, first_day, last_day))


def days(halls, first_day, last_day) -> list[dict]:
    return by_day(tickets(halls, first_day, last_day))


def hours(halls, first_day, last_day) -> list[dict]:
    return by_hour(tickets(halls, first_day, last_day))


def report(halls, first_day: dt.date, last_day: dt.date) -> dict:
    """Every table of the period from one read of the tickets."""
    rows = tickets(halls, first_day, last_day)
    return {
        "from": first_day.isoformat(),
        "to": last_day.isoformat(),
        "windows": by_window(rows),
        "staff": by_staff(rows),
        "services": by_service(rows),
        "halls": by_hall(rows),
        "days": by_day(rows),
        "hours": by_hour(rows),
        "totals": summary(rows),
    }


# ---------------------------------------------------------------------------------- export

SHEETS = [
    ("windows", "按窗口", [("hall", "大厅"), ("number", "窗口号"), ("name", "窗口名称")]),
    ("staff", "按人员", [("name", "工作人员")]),
    ("services", "按业务", [("service", "业务编码"), ("name", "业务")]),
    ("halls", "按大厅", [("hall", "大厅编号"), ("name", "大厅")]),
    ("days", "按日期", [("day", "日期")]),
    ("hours", "按时段", [("hour", "取号时段（时）")]),
]

COLUMNS = [
    ("volume", "取号量"),
    ("served", "办结量"),
    ("called", "呼叫量"),
    ("no_show", "过号"),
    ("transferred", "转移"),
    ("wait_avg", "平均等候（分钟）"),
    ("wait_p90", "等候P90（分钟）"),
    ("service_avg", "平均办理（分钟）"),
    ("service_p90", "办理P90（分钟）"),
    ("stay_avg", "平均逗留（分钟）"),
    ("stay_p90", "逗留P90（分钟）"),
    ("no_show_rate", "过号率"),
    ("transfer_rate", "转移率"),
]


def minutes(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds / 60, 1)


def cell(name: str, value):
    """A figure as shown in tables: durations in minutes, rates as shares (0–1)."""
    if value is None:
        return None
    if name.endswith(("_avg", "_p90")):
        return minutes(value)
    if name.endswith("_rate"):
        return round(value, 4)
    return value


def xlsx(halls, first_day: dt.date, last_day: dt.date, *, data: dict | None = None) -> bytes:
    """The figures of the period as an Excel workbook: one sheet per grouping and a 合计 sheet."""
    from openpyxl import Workbook

    data = data or report(halls, first_day, last_day)
    book = Workbook()
    book.remove(book.active)
    for key, title, heads in SHEETS:
        sheet = book.create_sheet(title)
        sheet.append([label for _, label in heads] + [label for _, label in COLUMNS])
        for row in data[key]:
            sheet.append([row.get(k) for k, _ in heads] + [cell(k, row.get(k)) for k, _ in COLUMNS])
    total = book.create_sheet("合计")
    total.append(["统计区间", f"{data['from']} 至 {data['to']}"])
    for k, label in COLUMNS:
        total.append([label, cell(k, data["totals"].get(k))])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def shown_value(name: str, value) -> str:
    if value is None:
        return "—"
    if name.endswith("_rate"):
        return f"{value * 100:.1f}%"
    if name.endswith(("_avg", "_p90")):
        return f"{value / 60:.1f}"
    return str(value)


def shown(row: dict) -> list[dict]:
    """A row's figures as shown on the page and by the command: minutes, per cent."""
    return [{"label": label, "value": shown_value(k, row.get(k))} for k, label in COLUMNS]


#: the tables of the figures page: (data key, caption, first column's heading, its text)
TABLES = [
    ("windows", "按窗口", "窗口", lambda r, names: f"{names.get(r['hall'], r['hall'])} {r['number']}号窗口"),
    ("staff", "按工作人员", "工作人员", lambda r, names: r["name"]),
    ("services", "按业务", "业务", lambda r, names: r["name"]),
    ("halls", "按大厅", "大厅", lambda r, names: r["name"]),
    ("days", "按日期", "日期", lambda r, names: r["day"]),
    ("hours", "按取号时段", "时段", lambda r, names: f"{r['hour']:02d}:00–{r['hour']:02d}:59"),
]
