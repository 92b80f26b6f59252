"""Working-day arithmetic on the official 2025 and 2026 schedules (domain facts).

Legal time limits are counted in working days (行政许可法 art. 82) and the start day is not
counted; a wrong answer here moves a citizen's legal deadline, so the calendars below are
built from the State Council lists in domain-facts.md, not from any package.
"""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from onething.kernel.workdays import WorkdayCalendar, YearNotLoaded, default_workday

D = dt.date


def _span(first: dt.date, last: dt.date) -> list[dt.date]:
    return [first + dt.timedelta(days=n) for n in range((last - first).days + 1)]


HOLIDAYS = {
    2025: [
        *_span(D(2025, 1, 1), D(2025, 1, 1)),
        *_span(D(2025, 1, 28), D(2025, 2, 4)),
        *_span(D(2025, 4, 4), D(2025, 4, 6)),
        *_span(D(2025, 5, 1), D(2025, 5, 5)),
        *_span(D(2025, 5, 31), D(2025, 6, 2)),
        *_span(D(2025, 10, 1), D(2025, 10, 8)),
    ],
    2026: [
        *_span(D(2026, 1, 1), D(2026, 1, 3)),
        *_span(D(2026, 2, 15), D(2026, 2, 23)),
        *_span(D(2026, 4, 4), D(2026, 4, 6)),
        *_span(D(2026, 5, 1), D(2026, 5, 5)),
        *_span(D(2026, 6, 19), D(2026, 6, 21)),
        *_span(D(2026, 9, 25), D(2026, 9, 27)),
        *_span(D(2026, 10, 1), D(2026, 10, 7)),
    ],
}
MAKEUP = {
    2025: [D(2025, 1, 26), D(2025, 2, 8), D(2025, 4, 27), D(2025, 9, 28), D(2025, 10, 11)],
    2026: [D(2026, 1, 4), D(2026, 2, 14), D(2026, 2, 28), D(2026, 5, 9), D(2026, 9, 20), D(2026, 10, 10)],
}


def official(years=(2025, 2026)) -> WorkdayCalendar:
    days = [(d, False) for y in years for d in HOLIDAYS[y]] + [(d, True) for y in years for d in MAKEUP[y]]
    return WorkdayCalendar.from_days(days, years)


CAL = official()


def test_2026_has_248_working_days():
    assert CAL.workdays_in_year(2026) == 248


def test_2025_working_days_follow_from_the_schedule():
    weekdays = sum(default_workday(d) for d in _span(D(2025, 1, 1), D(2025, 12, 31)))
    holidays_on_weekdays = sum(default_workday(d) for d in HOLIDAYS[2025])
    assert CAL.workdays_in_year(2025) == weekdays - holidays_on_weekdays + len(MAKEUP[2025]) == 248


@pytest.mark.parametrize("day", MAKEUP[2025] + MAKEUP[2026])
def test_makeup_days_are_working_days(day):
    assert day.weekday() >= 5  # all of them fall on a weekend
    assert CAL.is_workday(day) is True


@pytest.mark.parametrize("day", HOLIDAYS[2025] + HOLIDAYS[2026])
def test_holidays_are_days_off(day):
    assert CAL.is_workday(day) is False


def test_plain_weekdays_and_weekends():
    assert CAL.is_workday(D(2026, 3, 10)) is True  # Tuesday
    assert CAL.is_workday(D(2026, 3, 14)) is False  # Saturday


def test_from_days_drops_entries_equal_to_the_default():
    cal = WorkdayCalendar.from_days([(D(2026, 3, 10), True), (D(2026, 3, 14), False)], [2026])
    assert cal.overrides == {}


# ------------------------------------------------------------ add_workdays


def test_start_day_is_not_counted():
    assert CAL.add_workdays(D(2026, 3, 10), 1) == D(2026, 3, 11)


def test_n_zero_is_the_start_day_even_on_a_holiday():
    assert CAL.add_workdays(D(2026, 2, 16), 0) == D(2026, 2, 16)


def test_across_spring_festival_2026():
    # Fri 2/13 → Sat 2/14 (调休上班) → 2/15–23 off → Tue 2/24
    assert CAL.add_workdays(D(2026, 2, 13), 1) == D(2026, 2, 14)
    assert CAL.add_workdays(D(2026, 2, 13), 2) == D(2026, 2, 24)
    # starting inside the holiday: the first working day after it counts as day one
    assert CAL.add_workdays(D(2026, 2, 18), 1) == D(2026, 2, 24)


def test_across_national_day_2026():
    assert CAL.add_workdays(D(2026, 9, 30), 1) == D(2026, 10, 8)
    assert CAL.add_workdays(D(2026, 9, 30), 3) == D(2026, 10, 10)  # Saturday make-up day
    assert CAL.add_workdays(D(2026, 9, 30), 4) == D(2026, 10, 12)


def test_across_spring_festival_2025():
    assert CAL.add_workdays(D(2025, 1, 27), 1) == D(2025, 2, 5)


def test_twenty_working_days_default_limit():
    """行政许可法 art. 42: 20 working days from acceptance on 2026-09-21 (Monday)."""
    # 9/22–9/24 (3), 9/28–9/30 (6), 10/8–10/10 (9), 10/12–10/16 (14), 10/19–10/23 (19), 10/26 (20)
    assert CAL.add_workdays(D(2026, 9, 21), 20) == D(2026, 10, 26)


def test_across_the_year_boundary():
    # 2026-01-01..03 off, Sunday 1/4 is a make-up working day
    assert CAL.add_workdays(D(2025, 12, 31), 1) == D(2026, 1, 4)
    assert CAL.add_workdays(D(2026, 1, 4), -1) == D(2025, 12, 31)


def test_negative_counts_back():
    assert CAL.add_workdays(D(2026, 10, 8), -1) == D(2026, 9, 30)
    assert CAL.add_workdays(D(2026, 2, 24), -1) == D(2026, 2, 14)
    assert CAL.add_workdays(D(2026, 2, 22), -1) == D(2026, 2, 14)  # from inside the holiday


# ------------------------------------------------------------ years not loaded


def test_2027_is_not_loaded():
    with pytest.raises(YearNotLoaded) as exc:
        CAL.is_workday(D(2027, 1, 4))
    assert exc.value.year == 2027
    assert "2027年" in str(exc.value)
    with pytest.raises(YearNotLoaded):
        CAL.add_workdays(D(2027, 3, 1), 1)
    with pytest.raises(YearNotLoaded):
        CAL.workdays_in_year(2027)


def test_crossing_into_an_unloaded_year_is_refused():
    with pytest.raises(YearNotLoaded) as exc:
        CAL.add_workdays(D(2026, 12, 30), 5)
    assert exc.value.year == 2027
    with pytest.raises(YearNotLoaded) as exc:
        CAL.add_workdays(D(2025, 1, 3), -5)
    assert exc.value.year == 2024
    with pytest.raises(YearNotLoaded):
        CAL.workdays_between(D(2026, 12, 1), D(2027, 1, 10))


def test_a_gap_year_in_the_middle_is_refused():
    cal = official(years=(2025,))
    cal = WorkdayCalendar.from_days(cal.overrides.items(), [2025, 2027])
    with pytest.raises(YearNotLoaded) as exc:
        cal.workdays_between(D(2025, 6, 1), D(2027, 6, 1))
    assert exc.value.year == 2026


# ------------------------------------------------------------ workdays_between


def test_workdays_between_counts_half_open_interval():
    assert CAL.workdays_between(D(2026, 9, 30), D(2026, 10, 8)) == 1
    assert CAL.workdays_between(D(2026, 9, 30), D(2026, 9, 30)) == 0
    # 2025-01-01 itself is excluded (and a holiday anyway): all of both years
    assert CAL.workdays_between(D(2025, 1, 1), D(2026, 12, 31)) == 248 + 248
    assert CAL.workdays_between(D(2026, 10, 8), D(2026, 9, 30)) == -1


DATES = st.dates(min_value=D(2025, 4, 1), max_value=D(2026, 9, 30))


@settings(deadline=None, max_examples=300)
@given(start=DATES, n=st.integers(min_value=-60, max_value=60))
def test_workdays_between_inverts_add_workdays(start, n):
    """Whatever the start day (working day or not) and direction, counting back the days
    between start and the computed deadline gives the same number of working days."""
    end = CAL.add_workdays(start, n)
    assert CAL.workdays_between(start, end) == n
    if n:
        assert CAL.is_workday(end)
        assert (end > start) == (n > 0)


@settings(deadline=None, max_examples=200)
@given(start=DATES, end=DATES)
def test_add_workdays_inverts_workdays_between_on_working_days(start, end):
    n = CAL.workdays_between(start, end)
    if CAL.is_workday(end) and end != start:
        assert CAL.add_workdays(start, n) == end
