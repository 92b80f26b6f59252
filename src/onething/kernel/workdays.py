"""Working-day arithmetic on the official calendar (行政许可法 art. 82).

A :class:`WorkdayCalendar` is built from the days whose status differs from the plain
Monday–Friday rule (statutory holidays on weekdays, make-up working days 调休上班 on weekends)
and the set of years whose official schedule has been loaded. Any arithmetic that touches a
year outside that set raises :class:`YearNotLoaded`: a silent guess would shift legal deadlines.

The calendar is immutable and cheap to query; build it once per change of the calendar table.
"""

from __future__ import annotations

import bisect
import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field


class YearNotLoaded(LookupError):
    """Raised for a date in a year whose official schedule has not been loaded."""

    def __init__(self, year: int):
        self.year = year
        super().__init__(f"{year}年的工作日历尚未载入，无法计算")


def default_workday(day: dt.date) -> bool:
    """Monday to Friday are working days unless the schedule says otherwise."""
    return day.weekday() < 5


@dataclass(frozen=True)
class WorkdayCalendar:
    """Immutable working-day calendar.

    ``overrides`` maps a date to ``True`` (working day) or ``False`` (day off) where that
    differs from :func:`default_workday`; ``years`` are the loaded years.
    """

    overrides: Mapping[dt.date, bool] = field(default_factory=dict)
    years: frozenset[int] = frozenset()
    _workdays: dict[int, list[int]] = field(default_factory=dict, repr=False, compare=False)

    def __post_init__(self) -> None:
        # Per year, the sorted ordinals of its working days: lets add_workdays jump by bisect.
        for year in self.years:
            ordinals = []
            day = dt.date(year, 1, 1)
            end = dt.date(year, 12, 31)
            while day <= end:
                if self.overrides.get(day, default_workday(day)):
                    ordinals.append(day.toordinal())
                day += dt.timedelta(days=1)
            self._workdays[year] = ordinals

    @classmethod
    def from_days(cls, days: Iterable[tuple[dt.date, bool]], years: Iterable[int]) -> WorkdayCalendar:
        """Build from (date, is_workday) pairs; entries equal to the default are dropped."""
        overrides = {d: w for d, w in days if default_workday(d) != w}
        return cls(overrides=overrides, years=frozenset(years))

    def _require(self, day: dt.date) -> None:
        if day.year not in self.years:
            raise YearNotLoaded(day.year)

    def is_workday(self, day: dt.date) -> bool:
        """Whether ``day`` is a working day on the official calendar."""
        self._require(day)
        return self.overrides.get(day, default_workday(day))

    def add_workdays(self, start: dt.date, n: int) -> dt.date:
        """The n-th working day after ``start`` (the start day itself is not counted).

        ``n == 0`` returns ``start`` (即办件: due the same day). Negative ``n`` counts back.
        """
        self._require(start)
        if n == 0:
            return start
        if n < 0:
            return self._subtract(start, -n)
        year = start.year
        ordinals = self._workdays[year]
        index = bisect.bisect_right(ordinals, start.toordinal())
        remaining = n
        while True:
            available = len(ordinals) - index
            if remaining <= available:
                return dt.date.fromordinal(ordinals[index + remaining - 1])
            remaining -= available
            year += 1
            if year not in self.years:
                raise YearNotLoaded(year)
            ordinals = self._workdays[year]
            index = 0

    def _subtract(self, start: dt.date, n: int) -> dt.date:
        year = start.year
        ordinals = self._workdays[year]
        index = bisect.bisect_left(ordinals, start.toordinal())  # working days strictly before
        remaining = n
        while True:
            if remaining <= index:
                return dt.date.fromordinal(ordinals[index - remaining])
            remaining -= index
            year -= 1
            if year not in self.years:
                raise YearNotLoaded(year)
            ordinals = self._workdays[year]
            index = len(ordinals)

    def workdays_between(self, start: dt.date, end: dt.date) -> int:
        """Working days in (start, end]: how many working days have passed since ``start``.

        When ``end`` is before ``start`` the result is minus the working days in [end, start),
        which makes it the inverse of :meth:`add_workdays` in both directions:
        ``workdays_between(s, add_workdays(s, n)) == n`` for every ``n``.
        """
        if end < start:
            return -self._count(end, start, closed_left=True)
        return self._count(start, end, closed_left=False)

    def _count(self, low: dt.date, high: dt.date, closed_left: bool) -> int:
        """Working days in (low, high], or in [low, high) when ``closed_left``."""
        self._require(low)
        self._require(high)
        cut = bisect.bisect_left if closed_left else bisect.bisect_right
        total = 0
        for year in range(low.year, high.year + 1):
            if year not in self.years:
                raise YearNotLoaded(year)
            ordinals = self._workdays[year]
            lo = cut(ordinals, low.toordinal()) if year == low.year else 0
            hi = cut(ordinals, high.toordinal()) if year == high.year else len(ordinals)
            total += hi - lo
        return total

    def workdays_in_year(self, year: int) -> int:
        """Number of working days in a loaded year (2026: 248)."""
        if year not in self.years:
            raise YearNotLoaded(year)
        return len(self._workdays[year])
