"""The calendar the platform computes with, rebuilt only when the table changes.

:func:`get_calendar` returns a kernel :class:`WorkdayCalendar`. A cheap fingerprint query
(count and latest update of the loaded years) tells whether another process edited the
calendar, so every web and task worker sees an admin's edit without a restart.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Iterable

from django.db import transaction
from django.db.models import Count, Max

from onething.calendar.models import CalendarDay, CalendarYear
from onething.kernel.workdays import WorkdayCalendar, YearNotLoaded, default_workday

__all__ = ["YearNotLoaded", "get_calendar", "load_year", "seed_from_chinese_calendar"]

_lock = threading.Lock()
_cached: tuple[tuple, WorkdayCalendar] | None = None


def _fingerprint() -> tuple:
    agg = CalendarYear.objects.aggregate(n=Count("year"), latest=Max("updated_at"))
    days = CalendarDay.objects.count()
    return (agg["n"], agg["latest"], days)


def get_calendar() -> WorkdayCalendar:
    global _cached
    fingerprint = _fingerprint()
    cached = _cached
    if cached is not None and cached[0] == fingerprint:
        return cached[1]
    with _lock:
        years = list(CalendarYear.objects.values_list("year", flat=True))
        days = CalendarDay.objects.values_list("date", "workday")
        calendar = WorkdayCalendar.from_days(days, years)
        _cached = (fingerprint, calendar)
        return calendar


def load_year(
    year: int,
    holidays: Iterable[tuple[dt.date, str]],
    workdays: Iterable[tuple[dt.date, str]],
    source: str = "",
) -> CalendarYear:
    """Replace one year's schedule: ``holidays`` are days off, ``workdays`` make-up working days."""
    holidays = list(holidays)
    workdays = list(workdays)
    for day, _ in [*holidays, *workdays]:
        if day.year != year:
            raise ValueError(f"日期 {day} 不属于 {year} 年")
    with transaction.atomic():
        record, _ = CalendarYear.objects.update_or_create(year=year, defaults={"source": source})
        record.days.all().delete()
        rows = [
            CalendarDay(year=record, date=d, workday=False, name=n) for d, n in holidays if default_workday(d)
        ]
        rows += [
            CalendarDay(year=record, date=d, workday=True, name=n)
            for d, n in workdays
            if not default_workday(d)
        ]
        CalendarDay.objects.bulk_create(rows)
        record.save()  # bump updated_at after the days changed
    return record


def chinese_calendar_years() -> range:
    """Years the installed chinese-calendar package knows (2004 → its last year)."""
    import chinese_calendar

    last = max(d.year for d in chinese_calendar.holidays)
    return range(2004, last + 1)


def chinese_calendar_schedule(year: int) -> tuple[list[tuple[dt.date, str]], list[tuple[dt.date, str]]]:
    """(holidays on weekdays, make-up working days on weekends) of ``year`` per chinese-calendar."""
    import chinese_calendar

    holidays, workdays = [], []
    day = dt.date(year, 1, 1)
    while day.year == year:
        official = chinese_calendar.is_workday(day)
        if official != default_workday(day):
            _, name = chinese_calendar.get_holiday_detail(day)
            label = getattr(name, "value", None) or (str(name) if name else "")
            (workdays if official else holidays).append((day, CHINESE_NAMES.get(label, label)))
        day += dt.timedelta(days=1)
    return holidays, workdays


def seed_from_chinese_calendar(years: Iterable[int] | None = None) -> list[int]:
    """Seed the table from the ``chinese-calendar`` package; returns the years loaded."""
    import chinese_calendar

    loaded = []
    for year in years or chinese_calendar_years():
        holidays, workdays = chinese_calendar_schedule(year)
        load_year(year, holidays, workdays, source=f"chinese-calendar {chinese_calendar.__version__}")
        loaded.append(year)
    return loaded


CHINESE_NAMES = {
    "New Year's Day": "元旦",
    "Spring Festival": "春节",
    "Tomb-sweeping Day": "清明节",
    "Labour Day": "劳动节",
    "Dragon Boat Festival": "端午节",
    "National Day": "国庆节",
    "Mid-autumn Festival": "中秋节",
    "Anti-Fascist 70th Day": "抗战胜利70周年纪念日",
}
