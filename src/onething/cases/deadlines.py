"""办结时限: due dates in working days, pauses, extensions and yellow/red warnings.

- Limits count **working days** on the official calendar (行政许可法 art. 82); the day the
  clock starts (受理日) does not count: ``due = add_workdays(start, limit)``.
- 补正 and special procedures (听证、专家评审、检验检测 …, art. 45) stop the clock. On resume the
  due date moves by the working days that passed while paused, so
  ``due = add_workdays(start, limit + paused_days + extension_days)``.
- Approved extensions (art. 42) add working days the same way.
- **Yellow** when at most ``YELLOW_FRACTION`` of the limit remains (at least ``YELLOW_MIN_DAYS``
  working days), **red** when the due date has passed. ``yellow_date`` is precomputed each time
  the due date moves, so the periodic scan is two set-based UPDATEs over partial indexes
  (``timed`` rows only) and never does calendar arithmetic per row.

Everything takes ``today``/``now`` as parameters: nothing here reads the wall clock, so tests
(and replays) decide what day it is.
"""

from __future__ import annotations

import datetime as dt
import math
from collections import defaultdict
from dataclasses import dataclass, field

from django.conf import settings
from django.db import connection, transaction

from onething.calendar.service import get_calendar
from onething.cases.models import Application, SubCase, WarningLevel
from onething.core.errors import ApiError
from onething.kernel.workdays import WorkdayCalendar, YearNotLoaded


class CalendarMissing(ApiError):
    """The official calendar of a year the deadline reaches into has not been loaded."""

    def __init__(self, exc: YearNotLoaded):
        super().__init__(
            409, "calendar_not_loaded", f"{exc.year}年的工作日历尚未载入，无法计算办理期限，请联系系统管理员"
        )


def yellow_threshold(limit: int) -> int:
    """Remaining working days at (or below) which a case turns yellow."""
    fraction = float(settings.ONETHING.get("YELLOW_FRACTION", 1 / 3))
    minimum = int(settings.ONETHING.get("YELLOW_MIN_DAYS", 1))
    # 1e-3 absorbs the rounding in 0.3333: a 3-day limit has 1 day as its third.
    return max(minimum, math.floor(limit * fraction + 1e-3))


def _calendar(calendar: WorkdayCalendar | None) -> WorkdayCalendar:
    return calendar if calendar is not None else get_calendar()


def add_workdays(day: dt.date, days: int, calendar: WorkdayCalendar | None = None) -> dt.date:
    """The ``days``-th working day after ``day``; a year not loaded is a 409, never a 500."""
    try:
        return _calendar(calendar).add_workdays(day, days)
    except YearNotLoaded as exc:
        raise CalendarMissing(exc) from exc


def workdays_between(start: dt.date, end: dt.date, calendar: WorkdayCalendar | None = None) -> int:
    """Working days after ``start`` up to ``end``; a year not loaded is a 409, never a 500."""
    try:
        return _calendar(calendar).workdays_between(start, end)
    except YearNotLoaded as exc:
        raise CalendarMissing(exc) from exc


def classify(clock, today: dt.date) -> str:
    """The warning a running clock deserves on ``today`` ('' / 'yellow' / 'red')."""
    if clock.due_date is None:
        return WarningLevel.NONE
    if today > clock.due_date:
        return WarningLevel.RED
    if clock.yellow_date is not None and today >= clock.yellow_date:
        return WarningLevel.YELLOW
    return WarningLevel.NONE


def recompute(clock, calendar: WorkdayCalendar | None = None) -> None:
    """Due and yellow dates from start, limit, paused and extension days."""
    if clock.started_on is None:
        clock.due_date = clock.yellow_date = None
        return
    cal = _calendar(calendar)
    total = clock.limit_days + clock.paused_days + clock.extension_days
    try:
        clock.due_date = cal.add_workdays(clock.started_on, total)
        clock.yellow_date = cal.add_workdays(
            clock.due_date, -yellow_threshold(clock.limit_days + clock.extension_days)
        )
    except YearNotLoaded as exc:
        raise CalendarMissing(exc) from exc


def start(clock, on: dt.date, calendar: WorkdayCalendar | None = None) -> None:
    """Start the clock on ``on`` (受理日 / the day a dependent sub-case may begin)."""
    clock.started_on = on
    clock.paused_days = 0
    clock.paused_since = None
    clock.timed = True
    recompute(clock, calendar)
    clock.warning = classify(clock, on)


def pause(clock, on: dt.date) -> None:
    """Stop the clock (补正, special procedure). Idempotent: an already paused clock stays."""
    if clock.started_on is None or clock.paused_since is not None or not clock.timed:
        return
    clock.paused_since = on
    clock.timed = False


def resume(clock, on: dt.date, calendar: WorkdayCalendar | None = None) -> int:
    """Restart a paused clock; the due date moves by the working days paused. Returns them."""
    if clock.paused_since is None:
        return 0
    cal = _calendar(calendar)
    try:
        days = max(0, cal.workdays_between(clock.paused_since, on))
    except YearNotLoaded as exc:
        raise CalendarMissing(exc) from exc
    clock.paused_days += days
    clock.paused_since = None
    clock.timed = True
    recompute(clock, cal)
    clock.warning = classify(clock, on)
    return days


def extend(clock, days: int, today: dt.date, calendar: WorkdayCalendar | None = None) -> None:
    """Add approved extension days (延期)."""
    clock.extension_days += days
    recompute(clock, calendar)
    if clock.timed:
        clock.warning = classify(clock, today)


def stop(clock) -> None:
    """The case is decided or ended: the clock stops for good (its last warning stays as history)."""
    clock.timed = False
    clock.paused_since = None


# ------------------------------------------------------------------------------- the scan


@dataclass
class ScanResult:
    yellow: int = 0
    red: int = 0
    applications_yellow: int = 0
    applications_red: int = 0
    notified: int = 0
    marked: list[tuple] = field(default_factory=list, repr=False)


def _mark(model, level: str, today: dt.date, now: dt.datetime, columns: str) -> list[tuple]:
    """One set-based UPDATE … RETURNING over a partial index of running clocks.

    ``timed`` matches the partial index condition, so PostgreSQL walks only the index range
    (due dates passed / yellow dates reached) of running cases. ``warning`` is deliberately not
    indexed: setting it is then a HOT update that touches no index (see the 0002 migration's
    fillfactor), which is what keeps marking tens of thousands of cases fast.
    """
    table = connection.ops.quote_name(model._meta.db_table)
    if level == WarningLevel.RED:
        where = "timed AND NOT (warning = 'red') AND due_date < %s"
        params = [level, now, today]
    else:
        where = "timed AND warning = '' AND yellow_date <= %s AND due_date >= %s"
        params = [level, now, today, today]
    sql = f"UPDATE {table} SET warning = %s, warned_at = %s WHERE {where} RETURNING {columns}"  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def scan(today: dt.date, now: dt.datetime, notify_people: bool = True) -> ScanResult:
    """Mark yellow/red sub-cases and applications; notify handlers and (red) supervisors.

    Red first, so a case that skipped yellow (e.g. between two scans) goes straight to red.
    """
    result = ScanResult()
    with transaction.atomic():
        red = _mark(SubCase, WarningLevel.RED, today, now, "id, number, department_id, handler_id, region_id")
        yellow = _mark(
            SubCase, WarningLevel.YELLOW, today, now, "id, number, department_id, handler_id, region_id"
        )
        app_red = _mark(Application, WarningLevel.RED, today, now, "id, number, region_id")
        app_yellow = _mark(Application, WarningLevel.YELLOW, today, now, "id, number, region_id")
        result.red, result.yellow = len(red), len(yellow)
        result.applications_red, result.applications_yellow = len(app_red), len(app_yellow)
        result.marked = [("red", *r) for r in red] + [("yellow", *r) for r in yellow]
        if notify_people:
            result.notified = _notify(red, yellow)
    return result


def _notify(red: list[tuple], yellow: list[tuple]) -> int:
    """One summary message per person (a scan can mark thousands of cases at once)."""
    from onething.accounts.models import StaffRole
    from onething.directory.models import Region
    from onething.notifications.service import notify

    if not red and not yellow:
        return 0
    per_user: dict[int, dict[str, list[str]]] = defaultdict(lambda: {"red": [], "yellow": []})
    departments_without_handler: dict[str, dict[str, list[str]]] = defaultdict(
        lambda: {"red": [], "yellow": []}
    )
    for level, rows in (("red", red), ("yellow", yellow)):
        for _id, number, department_id, handler_id, _region in rows:
            if handler_id:
                per_user[handler_id][level].append(number)
            else:
                departments_without_handler[department_id][level].append(number)
    if departments_without_handler:
        for role in StaffRole.objects.filter(
            role=StaffRole.APPROVER, department_id__in=list(departments_without_handler)
        ):
            for level, numbers in departments_without_handler[role.department_id].items():
                per_user[role.user_id][level].extend(numbers)
    # red: the supervisors of the region (and of the regions above it)
    red_regions = {r[4] for r in red}
    if red_regions:
        paths = dict(Region.objects.filter(code__in=red_regions).values_list("code", "path"))
        supervisors = list(
            StaffRole.objects.filter(role=StaffRole.SUPERVISOR).values_list("user_id", "region_id")
        )
        for _id, number, _dept, _handler, region in red:
            chain = set(paths.get(region, region).split("/"))
            for user_id, scope in supervisors:
                if scope in chain:
                    per_user[user_id]["red"].append(number)
    from onething.accounts.models import User

    users = {u.pk: u for u in User.objects.filter(pk__in=list(per_user))}
    for user_id, levels in per_user.items():
        user = users.get(user_id)
        if user is None:
            continue
        parts = []
        if levels["red"]:
            parts.append(f"{len(levels['red'])}件已超期（红灯）")
        if levels["yellow"]:
            parts.append(f"{len(levels['yellow'])}件临近期限（黄灯）")
        sample = "、".join((levels["red"] + levels["yellow"])[:10])
        notify(
            user, "case.deadline", "办件时限预警：" + "，".join(parts), f"涉及办件：{sample}", "/cases/staff/"
        )
    return len(per_user)
