"""Time limits in working hours, working days, natural days and natural hours (pure).

A limit such as "4 working hours" counts only the office hours of working days: with the
default office hours (09:00–12:00 and 13:30–17:30, 7 hours a day) a clock started at 16:30
with 4 working hours is due at 12:00 on the next working day (one hour today, three then). Working days come from the
official :class:`~onething.kernel.workdays.WorkdayCalendar`, so any arithmetic that reaches
a year whose schedule has not been loaded raises :class:`YearNotLoaded`, as the working-day
arithmetic does: a guess would move a legal deadline.

Working time is a position on a line that moves only during office hours. A moment maps to
its position; a position maps back to the *earliest* moment with it, so a result is always
inside an office period or at its end (adding 3 working hours to 09:00 gives 12:00, not
13:30) and a clock never falls due during a lunch break or at night.

Two conventions make every unit behave alike for the scan (``now >= due_at`` is red,
``now >= yellow_at`` is yellow):

- **Day units** keep the working-day rule of 行政许可法 art. 82 exactly: the start day does
  not count (``due date = add_workdays(start date, limit)``) and the clock is due *on* that
  day, so it turns red at the local midnight that ends it. Yellow starts at the local
  midnight that begins the yellow day.
- **Hour units** are due at the moment the hours are used up.

Amounts that move a due moment (time paused, extensions) are counted in *steps*: days for
day units, minutes for hour units (:data:`STEPS_PER_UNIT`).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import NamedTuple

from onething.kernel.workdays import WorkdayCalendar, YearNotLoaded

__all__ = [
    "DEFAULT_OFFICE_HOURS",
    "NATURAL_DAYS",
    "NATURAL_HOURS",
    "RULES",
    "STEPS_PER_UNIT",
    "UNITS",
    "WORKING_DAYS",
    "WORKING_HOURS",
    "OfficeHours",
    "Schedule",
    "YearNotLoaded",
    "add_working_hours",
    "add_working_minutes",
    "classify",
    "due_moment",
    "schedule",
    "steps_between",
    "working_minutes_between",
    "working_time_between",
    "yellow_lead",
    "yellow_moment",
]

WORKING_DAYS = "working_days"
WORKING_HOURS = "working_hours"
NATURAL_DAYS = "natural_days"
NATURAL_HOURS = "natural_hours"
UNITS = (WORKING_DAYS, WORKING_HOURS, NATURAL_DAYS, NATURAL_HOURS)
DAY_UNITS = frozenset({WORKING_DAYS, NATURAL_DAYS})
#: steps per unit: extensions and pauses are counted in days (day units) or minutes (hours)
STEPS_PER_UNIT = {WORKING_DAYS: 1, NATURAL_DAYS: 1, WORKING_HOURS: 60, NATURAL_HOURS: 60}

THIRD = "third"
LEAD = "lead"
RULES = (THIRD, LEAD)

YELLOW = "yellow"
RED = "red"
NONE = ""

_PERIOD = re.compile(r"^(\d{1,2}):(\d{2})\s*[-–—~～至]\s*(\d{1,2}):(\d{2})$")
_MINUTE = dt.timedelta(minutes=1)
_ZERO = dt.timedelta(0)


# ------------------------------------------------------------------------- office hours


@dataclass(frozen=True)
class OfficeHours:
    """The office periods of every working day, in order, as (start, end) local times."""

    periods: tuple[tuple[dt.time, dt.time], ...]

    def __post_init__(self) -> None:
        if not self.periods:
            raise ValueError("办公时间至少需要一个时段")
        previous_end: dt.time | None = None
        for start, end in self.periods:
            if not start < end:
                raise ValueError(f"办公时段 {start:%H:%M}-{end:%H:%M} 的结束时间必须晚于开始时间")
            if previous_end is not None and start < previous_end:
                raise ValueError(f"办公时段 {start:%H:%M}-{end:%H:%M} 与前一时段重叠或顺序颠倒")
            if start.second or start.microsecond or end.second or end.microsecond:
                raise ValueError("办公时段精确到分钟")
            previous_end = end

    @classmethod
    def parse(cls, text: str) -> OfficeHours:
        """``"09:00-12:00 13:30-17:30"`` (spaces, commas or semicolons between periods)."""
        parts = [p for p in re.split(r"[\s,，;；、]+", (text or "").strip()) if p]
        if not parts:
            raise ValueError("办公时间不能为空，格式如 09:00-12:00 13:30-17:30")
        periods = []
        for part in parts:
            match = _PERIOD.match(part)
            if not match:
                raise ValueError(f"办公时段“{part}”格式不正确，应如 09:00-12:00")
            h1, m1, h2, m2 = (int(g) for g in match.groups())
            if h1 > 23 or h2 > 23 or m1 > 59 or m2 > 59:
                raise ValueError(f"办公时段“{part}”的时间不存在（00:00 至 23:59）")
            periods.append((dt.time(h1, m1), dt.time(h2, m2)))
        return cls(tuple(periods))

    def __str__(self) -> str:
        return " ".join(f"{s:%H:%M}-{e:%H:%M}" for s, e in self.periods)

    @property
    def per_day(self) -> dt.timedelta:
        """Working time in one working day (7 hours by default)."""
        return sum((_span(s, e) for s, e in self.periods), _ZERO)

    def elapsed(self, clock: dt.timedelta) -> dt.timedelta:
        """Working time from the day's midnight up to ``clock`` (time since midnight)."""
        total = _ZERO
        for start, end in self.periods:
            s, e = _since_midnight(start), _since_midnight(end)
            if clock <= s:
                break
            total += min(clock, e) - s
        return total

    def at_offset(self, offset: dt.timedelta) -> dt.timedelta:
        """The earliest time of day (since midnight) at which ``offset`` (> 0) has elapsed."""
        for start, end in self.periods:
            length = _span(start, end)
            if offset <= length:
                return _since_midnight(start) + offset
            offset -= length
        raise ValueError("offset beyond the office day")  # pragma: no cover - callers bound it

    def inside(self, clock: dt.timedelta) -> bool:
        """Whether a time of day is in an office period (its end included, its start not)."""
        return any(_since_midnight(s) < clock <= _since_midnight(e) for s, e in self.periods)


def _since_midnight(t: dt.time) -> dt.timedelta:
    return dt.timedelta(hours=t.hour, minutes=t.minute, seconds=t.second, microseconds=t.microsecond)


def _span(start: dt.time, end: dt.time) -> dt.timedelta:
    return _since_midnight(end) - _since_midnight(start)


DEFAULT_OFFICE_HOURS = OfficeHours(((dt.time(9), dt.time(12)), (dt.time(13, 30), dt.time(17, 30))))


# --------------------------------------------------------------------- local time helpers


def _local(moment: dt.datetime, tz: dt.tzinfo | None) -> dt.datetime:
    """``moment`` on the local wall clock (naive moments are taken as local already)."""
    if moment.tzinfo is None or tz is None:
        return moment
    return moment.astimezone(tz)


def _moment(day: dt.date, clock: dt.timedelta, like: dt.datetime) -> dt.datetime:
    """The wall-clock moment ``clock`` after midnight of ``day``, aware when ``like`` is."""
    return dt.datetime.combine(day, dt.time(), tzinfo=like.tzinfo) + clock


def _split(local: dt.datetime) -> tuple[dt.date, dt.timedelta]:
    midnight = local.replace(hour=0, minute=0, second=0, microsecond=0)
    return local.date(), local - midnight


# ------------------------------------------------------------------------ working hours


def add_working_time(
    start: dt.datetime,
    amount: dt.timedelta,
    calendar: WorkdayCalendar,
    hours: OfficeHours = DEFAULT_OFFICE_HOURS,
    tz: dt.tzinfo | None = None,
) -> dt.datetime:
    """The earliest moment ``amount`` of working time after ``start`` (before, if negative).

    ``amount == 0`` returns ``start`` unchanged. Otherwise the result is on a working day,
    inside an office period or at its end. Aware moments are converted to ``tz`` (the
    office's time zone) and the result is in ``tz``; naive moments stay naive.
    """
    if amount == _ZERO:
        return start
    local = _local(start, tz)
    day, clock = _split(local)
    per_day = hours.per_day
    workday = calendar.is_workday(day)
    if amount > _ZERO:
        done = hours.elapsed(clock) if workday else per_day
        left_today = per_day - done
        if amount <= left_today:
            return _moment(day, hours.at_offset(done + amount), local)
        whole, remainder = divmod(amount - left_today, per_day)
        days, offset = (
            (whole, per_day) if remainder == _ZERO else (whole + 1, remainder)
        )  # offset in (0, per_day]
        return _moment(calendar.add_workdays(day, days), hours.at_offset(offset), local)
    back = -amount
    done = hours.elapsed(clock) if workday else _ZERO
    if back < done:
        return _moment(day, hours.at_offset(done - back), local)
    rest = back - done
    whole, remainder = divmod(rest, per_day)
    # the earliest moment of a position that is a day's boundary is the previous day's end
    return _moment(calendar.add_workdays(day, -(whole + 1)), hours.at_offset(per_day - remainder), local)


def add_working_minutes(
    start: dt.datetime,
    minutes: int,
    calendar: WorkdayCalendar,
    hours: OfficeHours = DEFAULT_OFFICE_HOURS,
    tz: dt.tzinfo | None = None,
) -> dt.datetime:
    """``start`` plus ``minutes`` of office time (negative: counted back)."""
    return add_working_time(start, dt.timedelta(minutes=minutes), calendar, hours, tz)


def add_working_hours(
    start: dt.datetime,
    hours_: float,
    calendar: WorkdayCalendar,
    hours: OfficeHours = DEFAULT_OFFICE_HOURS,
    tz: dt.tzinfo | None = None,
) -> dt.datetime:
    """``start`` plus ``hours_`` working hours ("within 4 working hours")."""
    return add_working_time(start, dt.timedelta(hours=hours_), calendar, hours, tz)


def working_time_between(
    a: dt.datetime,
    b: dt.datetime,
    calendar: WorkdayCalendar,
    hours: OfficeHours = DEFAULT_OFFICE_HOURS,
    tz: dt.tzinfo | None = None,
) -> dt.timedelta:
    """Office time from ``a`` to ``b`` (negative when ``b`` is earlier): the inverse of
    :func:`add_working_time`, ``working_time_between(s, add_working_time(s, x)) == x``."""
    if b < a:
        return -working_time_between(b, a, calendar, hours, tz)
    day_a, clock_a = _split(_local(a, tz))
    day_b, clock_b = _split(_local(b, tz))
    work_a, work_b = calendar.is_workday(day_a), calendar.is_workday(day_b)
    done_a = hours.elapsed(clock_a) if work_a else _ZERO
    done_b = hours.elapsed(clock_b) if work_b else _ZERO
    if day_a == day_b:
        return done_b - done_a
    per_day = hours.per_day
    # working days strictly between the two days, each a whole office day
    between = calendar.workdays_between(day_a, day_b) - (1 if work_b else 0)
    return ((per_day - done_a) if work_a else _ZERO) + between * per_day + done_b


def working_minutes_between(
    a: dt.datetime,
    b: dt.datetime,
    calendar: WorkdayCalendar,
    hours: OfficeHours = DEFAULT_OFFICE_HOURS,
    tz: dt.tzinfo | None = None,
) -> float:
    """Office minutes from ``a`` to ``b`` (fractional when the moments carry seconds)."""
    return working_time_between(a, b, calendar, hours, tz) / _MINUTE


# -------------------------------------------------------------------- one rule, four units


def yellow_lead(unit: str, limit: int, extension: int = 0, rule: str = THIRD, lead: int = 0) -> int:
    """Steps before the due moment at which the clock turns yellow.

    ``third``: at most a third of the limit (plus extensions) remains, at least one unit —
    but never from the start: when one unit is the whole limit, a third is used instead, so a
    one-day limit turns yellow on its due day and a one-hour clock in its last 20 minutes.
    ``lead``: a fixed number of units.
    """
    per_unit = _per_unit(unit)
    if rule == LEAD:
        return lead * per_unit
    if rule != THIRD:
        raise ValueError(f"未知的预警规则：{rule}")
    total = limit * per_unit + extension
    third = total // 3
    threshold = max(per_unit, third)
    return third if threshold >= total else threshold


class Schedule(NamedTuple):
    due_at: dt.datetime
    yellow_at: dt.datetime | None


def _day_moment(day: dt.date, like: dt.datetime) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(), tzinfo=like.tzinfo)


def due_moment(
    unit: str,
    start: dt.datetime,
    limit: int,
    calendar: WorkdayCalendar | None,
    hours: OfficeHours = DEFAULT_OFFICE_HOURS,
    *,
    paused: int = 0,
    extension: int = 0,
    tz: dt.tzinfo | None = None,
) -> dt.datetime:
    """When a clock of ``limit`` units started at ``start`` is used up (red from then on).

    ``paused`` and ``extension`` are in steps (days or minutes, :data:`STEPS_PER_UNIT`).
    Day units: the local midnight after the due day. ``calendar`` may be ``None`` for
    natural units, which never consult it.
    """
    total = limit * _per_unit(unit) + paused + extension
    local = _local(start, tz)
    if unit == WORKING_DAYS:
        return _day_moment(_require(calendar).add_workdays(local.date(), total) + dt.timedelta(days=1), local)
    if unit == NATURAL_DAYS:
        return _day_moment(local.date() + dt.timedelta(days=total + 1), local)
    if unit == WORKING_HOURS:
        return add_working_minutes(local, total, _require(calendar), hours)
    if unit == NATURAL_HOURS:
        return local + dt.timedelta(minutes=total)
    raise ValueError(f"未知的计时单位：{unit}")


def yellow_moment(
    unit: str,
    start: dt.datetime,
    due_at: dt.datetime,
    steps: int,
    calendar: WorkdayCalendar | None,
    hours: OfficeHours = DEFAULT_OFFICE_HOURS,
    tz: dt.tzinfo | None = None,
) -> dt.datetime | None:
    """When ``steps`` remain before ``due_at`` (yellow from then on); ``None`` when that
    would be at or before the start (a clock is never yellow from its first moment)."""
    local_due = _local(due_at, tz)
    if unit == WORKING_DAYS:
        due_day = local_due.date() - dt.timedelta(days=1)
        moment = _day_moment(_require(calendar).add_workdays(due_day, -steps), local_due)
    elif unit == NATURAL_DAYS:
        moment = local_due - dt.timedelta(days=steps + 1)
    elif unit == WORKING_HOURS:
        moment = add_working_minutes(local_due, -steps, _require(calendar), hours)
    elif unit == NATURAL_HOURS:
        moment = local_due - dt.timedelta(minutes=steps)
    else:
        raise ValueError(f"未知的计时单位：{unit}")
    return moment if moment > start else None


def schedule(
    unit: str,
    start: dt.datetime,
    limit: int,
    calendar: WorkdayCalendar | None,
    hours: OfficeHours = DEFAULT_OFFICE_HOURS,
    *,
    paused: int = 0,
    extension: int = 0,
    rule: str = THIRD,
    lead: int = 0,
    tz: dt.tzinfo | None = None,
) -> Schedule:
    """Due and yellow moments of a clock: what the scan compares ``now`` with."""
    due = due_moment(unit, start, limit, calendar, hours, paused=paused, extension=extension, tz=tz)
    steps = yellow_lead(unit, limit, extension, rule, lead)
    return Schedule(due, yellow_moment(unit, start, due, steps, calendar, hours, tz))


def steps_between(
    unit: str,
    a: dt.datetime,
    b: dt.datetime,
    calendar: WorkdayCalendar | None,
    hours: OfficeHours = DEFAULT_OFFICE_HOURS,
    tz: dt.tzinfo | None = None,
) -> int:
    """Steps of ``unit`` from ``a`` to ``b`` (≥ 0): what a pause from ``a`` to ``b`` adds.

    Working days: the working days in (a's day, b's day], as 补正 counts today; natural
    days: calendar days; hours: started minutes (a pause of 10 seconds gives back a minute).
    """
    if b <= a:
        return 0
    la, lb = _local(a, tz), _local(b, tz)
    if unit == WORKING_DAYS:
        return max(0, _require(calendar).workdays_between(la.date(), lb.date()))
    if unit == NATURAL_DAYS:
        return max(0, (lb.date() - la.date()).days)
    if unit == WORKING_HOURS:
        return _started_minutes(working_time_between(la, lb, _require(calendar), hours))
    if unit == NATURAL_HOURS:
        return _started_minutes(b - a)
    raise ValueError(f"未知的计时单位：{unit}")


def _started_minutes(amount: dt.timedelta) -> int:
    whole, remainder = divmod(amount, _MINUTE)
    return whole + (1 if remainder else 0)


def classify(due_at: dt.datetime | None, yellow_at: dt.datetime | None, now: dt.datetime) -> str:
    """'red' from the due moment, 'yellow' from the yellow moment, else ''."""
    if due_at is None:
        return NONE
    if now >= due_at:
        return RED
    if yellow_at is not None and now >= yellow_at:
        return YELLOW
    return NONE


def _per_unit(unit: str) -> int:
    if unit not in STEPS_PER_UNIT:
        raise ValueError(f"未知的计时单位：{unit}")
    return STEPS_PER_UNIT[unit]


def _require(calendar: WorkdayCalendar | None) -> WorkdayCalendar:
    if calendar is None:
        raise ValueError("工作日单位需要工作日历")
    return calendar
