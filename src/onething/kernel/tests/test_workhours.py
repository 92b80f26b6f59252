"""Working hours and the four clock units on the official 2025/2026 schedules.

Examples first (each a fact someone could check with a calendar and a watch), then
properties that must hold for any start, amount and set of office hours.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from onething.kernel import workhours as wh
from onething.kernel.tests.test_workdays import official
from onething.kernel.workdays import YearNotLoaded

CAL = official()
TZ = ZoneInfo("Asia/Shanghai")
UTC = dt.UTC
HOURS = wh.DEFAULT_OFFICE_HOURS


def at(y, m, d, hh=0, mm=0, ss=0) -> dt.datetime:
    return dt.datetime(y, m, d, hh, mm, ss, tzinfo=TZ)


def add(start, minutes, hours=HOURS):
    return wh.add_working_minutes(start, minutes, CAL, hours, TZ)


def between(a, b, hours=HOURS):
    return wh.working_minutes_between(a, b, CAL, hours, TZ)


# ------------------------------------------------------------------------- office hours


def test_default_office_hours_are_seven_hours():
    assert str(HOURS) == "09:00-12:00 13:30-17:30"
    assert HOURS.per_day == dt.timedelta(hours=7)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("09:00-12:00 13:30-17:30", "09:00-12:00 13:30-17:30"),
        ("8:30-12:00，14:30~18:00", "08:30-12:00 14:30-18:00"),
        ("09:00–17:00", "09:00-17:00"),
    ],
)
def test_office_hours_parse(text, expected):
    assert str(wh.OfficeHours.parse(text)) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "不能为空"),
        ("9点-12点", "格式不正确"),
        ("12:00-09:00", "结束时间必须晚于开始时间"),
        ("09:00-12:00 11:00-17:00", "重叠"),
        ("25:00-26:00", "时间不存在"),
    ],
)
def test_office_hours_refuse_nonsense_in_chinese(text, message):
    with pytest.raises(ValueError, match=message):
        wh.OfficeHours.parse(text)


# ------------------------------------------------------------------------ working hours


def test_four_working_hours_from_friday_afternoon_end_on_monday_noon():
    # Fri 2026-11-20 16:30: one hour left today, three on Monday morning
    assert wh.add_working_hours(at(2026, 11, 20, 16, 30), 4, CAL, HOURS, TZ) == at(2026, 11, 23, 12)
    assert between(at(2026, 11, 20, 16, 30), at(2026, 11, 23, 12)) == 240


def test_the_morning_ends_at_noon_not_after_lunch():
    assert add(at(2026, 11, 23, 9), 180) == at(2026, 11, 23, 12)
    assert add(at(2026, 11, 23, 9), 181) == at(2026, 11, 23, 13, 31)


def test_a_start_outside_office_hours_counts_from_the_next_period():
    assert add(at(2026, 11, 23, 12, 40), 30) == at(2026, 11, 23, 14)  # lunch break
    assert add(at(2026, 11, 23, 20), 60) == at(2026, 11, 24, 10)  # evening
    assert add(at(2026, 11, 23, 6), 60) == at(2026, 11, 23, 10)  # early morning
    assert add(at(2026, 11, 21, 10), 60) == at(2026, 11, 23, 10)  # Saturday


def test_working_hours_skip_the_national_day_holidays_and_use_the_makeup_saturday():
    # Wed 9/30 16:00 + 10 working hours: 1.5 h on 9/30, 7 h on Thu 10/8, 1.5 h on Fri 10/9
    assert add(at(2026, 9, 30, 16), 600) == at(2026, 10, 9, 10, 30)
    # Fri 10/9 17:00 + 1 h: 30 min on Friday, 30 min on Saturday 10/10 (调休上班)
    assert add(at(2026, 10, 9, 17), 60) == at(2026, 10, 10, 9, 30)


def test_counting_back_lands_on_the_earliest_moment():
    assert add(at(2026, 11, 23, 13, 50), -20) == at(2026, 11, 23, 12)
    assert add(at(2026, 11, 23, 9), -1) == at(2026, 11, 20, 17, 29)
    assert add(at(2026, 11, 23, 9, 30), -30) == at(2026, 11, 20, 17, 30)


def test_zero_is_the_start_itself():
    assert add(at(2026, 11, 21, 3), 0) == at(2026, 11, 21, 3)


def test_aware_moments_in_another_zone_are_read_on_the_office_clock():
    start = dt.datetime(2026, 11, 23, 1, 0, tzinfo=UTC)  # 09:00 in Shanghai
    assert add(start, 60) == at(2026, 11, 23, 10)


def test_working_minutes_between_half_periods_and_backwards():
    assert between(at(2026, 11, 23, 11, 30), at(2026, 11, 23, 14)) == 60
    assert between(at(2026, 11, 23, 14), at(2026, 11, 23, 11, 30)) == -60
    assert between(at(2026, 11, 21, 8), at(2026, 11, 22, 23)) == 0  # a weekend
    assert between(at(2026, 9, 30, 9), at(2026, 10, 8, 9)) == 7 * 60


def test_unloaded_years_are_refused():
    with pytest.raises(YearNotLoaded) as exc:
        add(at(2026, 12, 31, 16), 120)
    assert exc.value.year == 2027
    with pytest.raises(YearNotLoaded):
        add(at(2024, 6, 3, 9), 60)
    with pytest.raises(YearNotLoaded):
        add(at(2025, 1, 2, 9, 30), -120)
    with pytest.raises(YearNotLoaded):
        between(at(2026, 12, 1, 9), at(2027, 1, 5, 9))


# --------------------------------------------------------------------------- properties


MOMENTS = st.datetimes(
    min_value=dt.datetime(2025, 3, 1), max_value=dt.datetime(2026, 11, 30), timezones=st.just(TZ)
)
#: up to 20 office days either way (of whatever length the office day is), inside 2025–2026
DAYS = st.floats(min_value=-20, max_value=20, allow_nan=False)


@st.composite
def office_hours(draw) -> wh.OfficeHours:
    """One to three periods of whole minutes, in order, not touching."""
    cuts = sorted(draw(st.sets(st.integers(min_value=1, max_value=23 * 60 + 58), min_size=2, max_size=6)))
    if len(cuts) % 2:
        cuts = cuts[:-1]
    times = [dt.time(c // 60, c % 60) for c in cuts]
    return wh.OfficeHours(tuple(zip(times[::2], times[1::2], strict=True)))


def minutes_for(hours: wh.OfficeHours, days: float) -> int:
    """``days`` office days of ``hours`` in whole minutes."""
    return round(days * (hours.per_day / dt.timedelta(minutes=1)))


def on_the_clock(moment: dt.datetime, hours: wh.OfficeHours) -> bool:
    local = moment.astimezone(TZ)
    midnight = local.replace(hour=0, minute=0, second=0, microsecond=0)
    return CAL.is_workday(local.date()) and hours.inside(local - midnight)


@settings(deadline=None, max_examples=300)
@given(start=MOMENTS, days=DAYS, hours=office_hours())
def test_add_then_between_round_trips(start, days, hours):
    minutes = minutes_for(hours, days)
    end = add(start, minutes, hours)
    assert between(start, end, hours) == minutes
    assert between(end, start, hours) == -minutes


@settings(deadline=None, max_examples=300)
@given(start=MOMENTS, days=DAYS, hours=office_hours())
def test_never_lands_outside_office_hours(start, days, hours):
    minutes = minutes_for(hours, days)
    assume(minutes != 0)
    end = add(start, minutes, hours)
    assert on_the_clock(end, hours)
    assert (end > start) == (minutes > 0)


@settings(deadline=None, max_examples=300)
@given(start=MOMENTS, a=DAYS, b=DAYS, hours=office_hours())
def test_monotonic_in_the_amount(start, a, b, hours):
    low, high = sorted((minutes_for(hours, a), minutes_for(hours, b)))
    assert add(start, low, hours) <= add(start, high, hours)


@settings(deadline=None, max_examples=300)
@given(a=MOMENTS, b=MOMENTS, days=DAYS, hours=office_hours())
def test_monotonic_in_the_start(a, b, days, hours):
    minutes = minutes_for(hours, days)
    early, late = sorted((a, b))
    assert add(early, minutes, hours) <= add(late, minutes, hours)


@settings(deadline=None, max_examples=300)
@given(start=MOMENTS, x=DAYS, y=DAYS, hours=office_hours())
def test_adding_in_two_steps_is_adding_once(start, x, y, hours):
    a, b = minutes_for(hours, x / 2), minutes_for(hours, y / 2)
    assume(a + b != 0)  # a zero total is the start itself, not the earliest equal moment
    assert add(add(start, a, hours), b, hours) == add(start, a + b, hours)


@settings(deadline=None, max_examples=200)
@given(a=MOMENTS, b=MOMENTS, c=MOMENTS)
def test_between_adds_up(a, b, c):
    assert between(a, b) + between(b, c) == pytest.approx(between(a, c), abs=1e-6)


@settings(deadline=None, max_examples=100)
@given(
    start=st.datetimes(
        min_value=dt.datetime(2026, 12, 1), max_value=dt.datetime(2026, 12, 31), timezones=st.just(TZ)
    ),
    minutes=st.integers(min_value=31 * 7 * 60, max_value=60 * 7 * 60),
)
def test_refuses_to_run_into_an_unloaded_year(start, minutes):
    with pytest.raises(YearNotLoaded) as exc:
        add(start, minutes)
    assert exc.value.year == 2027


# ----------------------------------------------------------------- units and the yellow rule


@pytest.mark.parametrize(
    ("unit", "limit", "extension", "steps"),
    [
        (wh.WORKING_DAYS, 1, 0, 0),  # a one-day limit: yellow on its due day
        (wh.WORKING_DAYS, 2, 0, 1),
        (wh.WORKING_DAYS, 3, 0, 1),
        (wh.WORKING_DAYS, 6, 0, 2),
        (wh.WORKING_DAYS, 20, 0, 6),
        (wh.WORKING_DAYS, 20, 10, 10),  # extensions count towards the third
        (wh.NATURAL_DAYS, 1, 0, 0),
        (wh.WORKING_HOURS, 1, 0, 20),  # a one-hour clock: its last 20 minutes
        (wh.WORKING_HOURS, 2, 0, 60),  # at least one unit
        (wh.NATURAL_HOURS, 6, 0, 120),
        (wh.NATURAL_HOURS, 0, 0, 0),
    ],
)
def test_yellow_lead_third(unit, limit, extension, steps):
    assert wh.yellow_lead(unit, limit, extension) == steps


def test_yellow_lead_fixed():
    assert wh.yellow_lead(wh.WORKING_DAYS, 20, 5, rule=wh.LEAD, lead=3) == 3
    assert wh.yellow_lead(wh.WORKING_HOURS, 8, rule=wh.LEAD, lead=2) == 120


@pytest.mark.parametrize(
    ("limit", "due_day"),
    [
        (5, dt.date(2026, 10, 13)),  # 国庆 10/1–7; Saturday 10/10 is a working day
        (3, dt.date(2026, 10, 10)),
        (0, dt.date(2026, 9, 30)),  # 即办件: due the same day
    ],
)
def test_working_days_keep_the_case_rule(limit, due_day):
    due = wh.due_moment(wh.WORKING_DAYS, at(2026, 9, 30, 15), limit, CAL, tz=TZ)
    # due on the due day, red from the midnight that ends it
    assert due == at(due_day.year, due_day.month, due_day.day) + dt.timedelta(days=1)
    assert wh.classify(due, None, due - dt.timedelta(microseconds=1)) == ""
    assert wh.classify(due, None, due) == "red"


def test_working_days_schedule_with_pause_and_extension():
    start = at(2026, 9, 28, 10)
    plain = wh.schedule(wh.WORKING_DAYS, start, 5, CAL, tz=TZ)
    assert plain.due_at == at(2026, 10, 11)  # due Saturday 10/10 (调休上班)
    moved = wh.schedule(wh.WORKING_DAYS, start, 5, CAL, paused=3, extension=2, tz=TZ)
    assert moved.due_at == at(2026, 10, 17)  # due 10/16, as cases/deadlines.py computes
    assert moved.yellow_at == at(2026, 10, 14)  # a third of 5 + 2 days: two working days left


def test_one_day_limit_is_yellow_on_its_due_day_not_at_the_start():
    start = at(2026, 11, 23, 10)  # Monday
    s = wh.schedule(wh.WORKING_DAYS, start, 1, CAL, tz=TZ)
    assert (s.due_at, s.yellow_at) == (at(2026, 11, 25), at(2026, 11, 24))
    assert wh.classify(*s, start) == ""
    assert wh.classify(*s, at(2026, 11, 24, 0, 0)) == "yellow"
    assert wh.classify(*s, at(2026, 11, 25)) == "red"


def test_one_hour_clock_is_yellow_in_its_last_twenty_minutes():
    for unit in (wh.WORKING_HOURS, wh.NATURAL_HOURS):
        s = wh.schedule(unit, at(2026, 11, 23, 10), 1, CAL, tz=TZ)
        assert (s.due_at, s.yellow_at) == (at(2026, 11, 23, 11), at(2026, 11, 23, 10, 40))


def test_one_working_hour_across_lunch():
    s = wh.schedule(wh.WORKING_HOURS, at(2026, 11, 23, 11, 30), 1, CAL, tz=TZ)
    assert s.due_at == at(2026, 11, 23, 14)
    assert s.yellow_at == at(2026, 11, 23, 13, 40)


def test_natural_days_count_every_day():
    s = wh.schedule(wh.NATURAL_DAYS, at(2026, 9, 30, 10), 3, None, tz=TZ)
    assert (s.due_at, s.yellow_at) == (at(2026, 10, 4), at(2026, 10, 2))  # due 10/3, one day left


def test_fixed_lead():
    s = wh.schedule(wh.WORKING_HOURS, at(2026, 11, 23, 9), 7, CAL, rule=wh.LEAD, lead=2, tz=TZ)
    assert (s.due_at, s.yellow_at) == (at(2026, 11, 23, 17, 30), at(2026, 11, 23, 15, 30))


def test_never_yellow_at_the_start():
    # 即办件 (limit 0) and a lead as long as the limit: straight to red, never yellow at once
    assert wh.schedule(wh.WORKING_DAYS, at(2026, 11, 23, 10), 0, CAL, tz=TZ).yellow_at is None
    assert (
        wh.schedule(wh.NATURAL_HOURS, at(2026, 11, 23, 10), 2, None, rule=wh.LEAD, lead=2).yellow_at is None
    )


def test_steps_between_per_unit():
    a, b = at(2026, 9, 29, 15), at(2026, 10, 9, 9, 30)
    assert wh.steps_between(wh.WORKING_DAYS, a, b, CAL, tz=TZ) == 3  # 9/30, 10/8, 10/9
    assert wh.steps_between(wh.NATURAL_DAYS, a, b, None, tz=TZ) == 10
    assert wh.steps_between(wh.WORKING_HOURS, a, b, CAL, tz=TZ) == 150 + 420 + 420 + 30
    assert wh.steps_between(wh.NATURAL_HOURS, a, a + dt.timedelta(seconds=10), None) == 1
    assert wh.steps_between(wh.NATURAL_HOURS, b, a, None) == 0


def test_unknown_unit_and_rule():
    with pytest.raises(ValueError, match="未知的计时单位"):
        wh.due_moment("weeks", at(2026, 11, 23), 1, CAL)
    with pytest.raises(ValueError, match="未知的预警规则"):
        wh.yellow_lead(wh.WORKING_DAYS, 5, rule="half")
    with pytest.raises(ValueError, match="工作日历"):
        wh.due_moment(wh.WORKING_DAYS, at(2026, 11, 23), 1, None)


@settings(deadline=None, max_examples=300)
@given(
    unit=st.sampled_from(wh.UNITS),
    start=st.datetimes(
        min_value=dt.datetime(2025, 3, 1), max_value=dt.datetime(2026, 3, 31), timezones=st.just(TZ)
    ),
    limit=st.integers(min_value=0, max_value=30),
    paused=st.integers(min_value=0, max_value=60),
    extension=st.integers(min_value=0, max_value=60),
)
def test_schedule_orders_start_yellow_due(unit, start, limit, paused, extension):
    s = wh.schedule(unit, start, limit, CAL, paused=paused, extension=extension, tz=TZ)
    assert s.due_at >= start
    if s.yellow_at is not None:
        assert start < s.yellow_at <= s.due_at
    more = wh.schedule(unit, start, limit, CAL, paused=paused + 1, extension=extension, tz=TZ)
    assert more.due_at >= s.due_at
