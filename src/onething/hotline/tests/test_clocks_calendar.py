"""The due moments of every default 12345 policy (``rules.POLICIES``) across the 2025 and 2026
holidays and 调休 days, through the real functions (intake, dispatch, finish, the recurrence
check), on the official calendar seeded in the database.

Every expected date is written out by hand, with the working days counted in the comment; the
code under test computes nothing here. The rules (``rules``): working days on the official
calendar with 调休, counted from the local date in Asia/Shanghai, that day not counted, due on
the last day (``*_due`` columns are dates); ``dispatch`` is 1 natural hour (the hotline runs
7×24: holidays and midnight do not matter; ``dispatch_due`` is a moment).

The calendar the tests count on (``chinese-calendar`` as seeded, checked first below):

- 2025 Spring Festival: off Tue 01-28 → Tue 02-04; make-up Sun 01-26 and Sat 02-08.
- 2025 National Day: off Wed 10-01 → Wed 10-08; make-up Sun 09-28 and Sat 10-11.
- 2026 New Year: off Thu 01-01 → Sat 01-03; make-up Sun 01-04.
- 2026 Spring Festival: off Sun 02-15 → Mon 02-23; make-up Sat 02-14 and Sat 02-28.
- 2026 Mid-autumn: off Fri 09-25. National Day: off Thu 10-01 → Wed 10-07 (Thu 10-08 is an
  ordinary working day); make-up Sun 09-20 and Sat 10-10.

A region's own policy (``clocks.ClockPolicy`` with a region) wins over its ancestors' and the
platform's, for the tickets of that region only; a running clock keeps the policy it started
with.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client

from onething.calendar.models import CalendarDay, CalendarYear
from onething.clocks import service as clocks
from onething.clocks.models import ClockPolicy
from onething.hotline import deadlines, recurrences, rules, service
from onething.hotline.models import Recurrence
from onething.hotline.tests.test_loop import OP, SHICHANG, file, finished, fresh, handled, local, user

pytestmark = pytest.mark.django_db

#: the finish policies with their category, complexity and limit in working days (PRODUCT.md C11)
FINISH = [
    ("hotline.finish.consult", "consult", None, 2),
    ("hotline.finish.help", "help", None, 5),
    ("hotline.finish.complaint", "complaint", None, 5),
    ("hotline.finish.report", "report", None, 5),
    ("hotline.finish.suggestion", "suggestion", None, 5),
    ("hotline.finish.not_done.ordinary", "not_done", "ordinary", 2),
    ("hotline.finish.not_done.complex", "not_done", "complex", 5),
]
#: every default policy: (unit, limit); the tests below cover each of them
DEFAULTS = {
    "hotline.dispatch": ("natural_hours", 1),
    "hotline.sign": ("working_days", 1),
    **{code: ("working_days", days) for code, _, _, days in FINISH},
    "hotline.revisit": ("working_days", 2),
    "hotline.recurrence": ("working_days", 10),
}


def test_every_default_policy_is_seeded_as_the_rules_say_and_covered_here():
    assert set(DEFAULTS) == set(rules.POLICIES)
    for code, (unit, limit) in DEFAULTS.items():
        seeded = ClockPolicy.objects.get(code=code, region__isnull=True)
        assert (seeded.unit, seeded.limit, seeded.active) == (unit, limit, True), code
        assert rules.POLICIES[code][1:] == (unit, limit), code


#: the days these tests count on, as the database holds them: True a make-up working day,
#: False a holiday on a weekday; None an ordinary day (no row)
CALENDAR = {
    dt.date(2025, 1, 26): True,
    dt.date(2025, 1, 27): None,  # Monday before the Spring Festival: working
    dt.date(2025, 1, 28): False,
    dt.date(2025, 1, 31): False,
    dt.date(2025, 2, 3): False,
    dt.date(2025, 2, 4): False,
    dt.date(2025, 2, 5): None,
    dt.date(2025, 2, 8): True,
    dt.date(2025, 9, 28): True,
    dt.date(2025, 9, 30): None,
    dt.date(2025, 10, 1): False,
    dt.date(2025, 10, 3): False,
    dt.date(2025, 10, 6): False,
    dt.date(2025, 10, 8): False,
    dt.date(2025, 10, 9): None,
    dt.date(2025, 10, 11): True,
    dt.date(2026, 1, 1): False,
    dt.date(2026, 1, 2): False,
    dt.date(2026, 1, 4): True,
    dt.date(2026, 2, 13): None,
    dt.date(2026, 2, 14): True,
    dt.date(2026, 2, 16): False,
    dt.date(2026, 2, 20): False,
    dt.date(2026, 2, 23): False,
    dt.date(2026, 2, 24): None,
    dt.date(2026, 2, 28): True,
    dt.date(2026, 9, 20): True,
    dt.date(2026, 9, 25): False,
    dt.date(2026, 9, 30): None,
    dt.date(2026, 10, 1): False,
    dt.date(2026, 10, 2): False,
    dt.date(2026, 10, 5): False,
    dt.date(2026, 10, 7): False,
    dt.date(2026, 10, 8): None,  # the day after the 2026 holiday is an ordinary Thursday
    dt.date(2026, 10, 10): True,
}


def test_the_seeded_calendar_has_the_days_these_tests_count_on():
    for year in (2025, 2026):
        assert CalendarYear.objects.get(year=year).source.startswith("chinese-calendar"), year
    stored = dict(CalendarDay.objects.filter(date__in=list(CALENDAR)).values_list("date", "workday"))
    assert {day: stored.get(day) for day in CALENDAR} == CALENDAR


# ------------------------------------------------------------------------------ dispatch + finish

#: (received, dispatch due, finish due for 2 working days, for 5 working days)
INTAKE = [
    pytest.param(
        "2025-09-30 10:00",
        "2025-09-30 11:00",
        # Tue 09-30 not counted; 10-01…10-08 off: 10-09 (1), 10-10 (2)
        dt.date(2025, 10, 10),
        # … Sat 10-11 make-up (3), Mon 10-13 (4), Tue 10-14 (5)
        dt.date(2025, 10, 14),
        id="last-working-day-before-national-day-2025",
    ),
    pytest.param(
        "2025-09-28 10:00",
        "2025-09-28 11:00",
        # received on the make-up Sunday, not counted: Mon 09-29 (1), Tue 09-30 (2)
        dt.date(2025, 9, 30),
        # … 10-01…10-08 off: 10-09 (3), 10-10 (4), Sat 10-11 make-up (5)
        dt.date(2025, 10, 11),
        id="make-up-sunday-2025-09-28",
    ),
    pytest.param(
        "2025-10-11 10:00",
        "2025-10-11 11:00",
        # received on the make-up Saturday, not counted; Sun 10-12 off: Mon 10-13 (1), 10-14 (2)
        dt.date(2025, 10, 14),
        # … 10-15 (3), 10-16 (4), Fri 10-17 (5)
        dt.date(2025, 10, 17),
        id="make-up-saturday-2025-10-11",
    ),
    pytest.param(
        "2025-09-30 23:30",
        # natural hours: 1 hour later, past midnight into the holiday
        "2025-10-01 00:30",
        dt.date(2025, 10, 10),  # as at 10:00: the day of receipt is not counted, however late
        dt.date(2025, 10, 14),
        id="late-night-before-national-day-2025",
    ),
    pytest.param(
        "2025-01-27 10:00",
        "2025-01-27 11:00",
        # Mon 01-27 not counted; 01-28…02-04 off: Wed 02-05 (1), Thu 02-06 (2)
        dt.date(2025, 2, 6),
        # … Fri 02-07 (3), Sat 02-08 make-up (4), Sun off, Mon 02-10 (5)
        dt.date(2025, 2, 10),
        id="before-spring-festival-2025",
    ),
    pytest.param(
        "2025-12-31 10:00",
        "2025-12-31 11:00",
        # Wed 12-31 not counted; 01-01…01-03 off: Sun 01-04 make-up (1), Mon 01-05 (2)
        dt.date(2026, 1, 5),
        # … 01-06 (3), 01-07 (4), Thu 01-08 (5)
        dt.date(2026, 1, 8),
        id="new-year-2026-across-the-year",
    ),
    pytest.param(
        "2026-09-30 10:00",
        "2026-09-30 11:00",
        # Wed 09-30 not counted; 10-01…10-07 off: Thu 10-08 (1), Fri 10-09 (2)
        dt.date(2026, 10, 9),
        # … Sat 10-10 make-up (3), Sun off, Mon 10-12 (4), Tue 10-13 (5)
        dt.date(2026, 10, 13),
        id="last-working-day-before-national-day-2026",
    ),
    pytest.param(
        "2026-09-30 23:30",
        "2026-10-01 00:30",  # across midnight into the holiday: natural hours
        dt.date(2026, 10, 9),  # the local date 09-30 is the day of receipt, not counted
        dt.date(2026, 10, 13),
        id="late-night-2330-before-national-day-2026",
    ),
    pytest.param(
        "2026-10-08 00:30",
        "2026-10-08 01:30",
        # 00:30 in Shanghai is still 10-07 in UTC: the local date 10-08 is the day of receipt,
        # not counted: Fri 10-09 (1), Sat 10-10 make-up (2)
        dt.date(2026, 10, 10),
        # … Mon 10-12 (3), 10-13 (4), Wed 10-14 (5)
        dt.date(2026, 10, 14),
        id="just-after-midnight-local-date-counts",
    ),
    pytest.param(
        "2026-10-03 10:00",
        "2026-10-03 11:00",  # received on a holiday: dispatched within the hour all the same
        # 10-03…10-07 off: Thu 10-08 (1), Fri 10-09 (2)
        dt.date(2026, 10, 9),
        # … Sat 10-10 (3), Mon 10-12 (4), Tue 10-13 (5)
        dt.date(2026, 10, 13),
        id="received-on-a-holiday-2026-10-03",
    ),
    pytest.param(
        "2026-10-10 10:00",
        "2026-10-10 11:00",
        # received on the make-up Saturday, not counted; Sun off: Mon 10-12 (1), Tue 10-13 (2)
        dt.date(2026, 10, 13),
        # … 10-14 (3), 10-15 (4), Fri 10-16 (5)
        dt.date(2026, 10, 16),
        id="make-up-saturday-2026-10-10",
    ),
    pytest.param(
        "2026-09-20 10:00",
        "2026-09-20 11:00",
        # received on the make-up Sunday, not counted: Mon 09-21 (1), Tue 09-22 (2)
        dt.date(2026, 9, 22),
        # … 09-23 (3), Thu 09-24 (4), Fri 09-25 Mid-autumn off, weekend, Mon 09-28 (5)
        dt.date(2026, 9, 28),
        id="make-up-sunday-2026-09-20-and-mid-autumn",
    ),
    pytest.param(
        "2026-02-13 10:00",
        "2026-02-13 11:00",
        # Fri 02-13 not counted: Sat 02-14 make-up (1); 02-15…02-23 off: Tue 02-24 (2)
        dt.date(2026, 2, 24),
        # … 02-25 (3), 02-26 (4), Fri 02-27 (5)
        dt.date(2026, 2, 27),
        id="last-working-day-before-spring-festival-2026",
    ),
    pytest.param(
        "2026-02-14 10:00",
        "2026-02-14 11:00",
        # received on the make-up Saturday, not counted; 02-15…02-23 off: 02-24 (1), 02-25 (2)
        dt.date(2026, 2, 25),
        # … 02-26 (3), 02-27 (4), Sat 02-28 make-up (5)
        dt.date(2026, 2, 28),
        id="make-up-saturday-2026-02-14",
    ),
    pytest.param(
        "2026-02-16 23:30",
        "2026-02-17 00:30",  # a night in the Spring Festival: still one natural hour
        # received on a holiday; off until 02-23: Tue 02-24 (1), Wed 02-25 (2)
        dt.date(2026, 2, 25),
        # … 02-26 (3), 02-27 (4), Sat 02-28 make-up (5)
        dt.date(2026, 2, 28),
        id="night-in-the-spring-festival-2026",
    ),
]


@pytest.mark.parametrize(("received", "dispatch_due", "two", "five"), INTAKE)
def test_intake_due_moments_for_every_finish_policy(received, dispatch_due, two, five):
    for code, category, complexity, days in FINISH:
        t = fresh(file(category, received, complexity=complexity))
        expected = two if days == 2 else five
        assert (t.finish_due, type(t.finish_due)) == (expected, dt.date), code
        assert t.dispatch_due == local(dispatch_due), code
        assert isinstance(t.dispatch_due, dt.datetime), code
        # numbered by the local date of receipt
        assert t.number.startswith(f"12345-{local(received):%Y%m%d}-"), t.number
        finish = clocks.get(deadlines.owner(t), rules.FINISH)
        assert finish.policy.code == code
        # due at the local midnight that ends the last day
        assert finish.due_at == local(f"{expected + dt.timedelta(days=1)} 00:00"), code


# ------------------------------------------------------------------------------ sign

SIGN = [
    # dispatched Tue 09-30; 10-01…10-08 off: Thu 10-09 (1)
    pytest.param("2025-09-30 10:10", dt.date(2025, 10, 9), id="before-national-day-2025"),
    # 23:50 on 09-30 is still 09-30 locally: the same
    pytest.param("2025-09-30 23:50", dt.date(2025, 10, 9), id="late-night-2025-09-30"),
    # dispatched on the make-up Sunday 09-28: Mon 09-29 (1)
    pytest.param("2025-09-28 10:10", dt.date(2025, 9, 29), id="make-up-sunday-2025"),
    # dispatched on the make-up Saturday 10-11; Sun off: Mon 10-13 (1)
    pytest.param("2025-10-11 10:10", dt.date(2025, 10, 13), id="make-up-saturday-2025"),
    # dispatched Wed 09-30; 10-01…10-07 off: Thu 10-08 (1)
    pytest.param("2026-09-30 10:10", dt.date(2026, 10, 8), id="before-national-day-2026"),
    # dispatched Fri 10-09: Sat 10-10 make-up (1)
    pytest.param("2026-10-09 10:10", dt.date(2026, 10, 10), id="friday-before-make-up-saturday-2026"),
    # dispatched on the make-up Saturday 10-10; Sun off: Mon 10-12 (1)
    pytest.param("2026-10-10 10:10", dt.date(2026, 10, 12), id="make-up-saturday-2026"),
    # dispatched Thu 09-24; Fri 09-25 Mid-autumn off, weekend: Mon 09-28 (1)
    pytest.param("2026-09-24 10:10", dt.date(2026, 9, 28), id="before-mid-autumn-2026"),
    # dispatched Fri 02-13: Sat 02-14 make-up (1)
    pytest.param("2026-02-13 10:10", dt.date(2026, 2, 14), id="before-spring-festival-2026"),
    # dispatched on the make-up Saturday 02-14; 02-15…02-23 off: Tue 02-24 (1)
    pytest.param("2026-02-14 10:10", dt.date(2026, 2, 24), id="make-up-saturday-spring-2026"),
]


@pytest.mark.parametrize(("dispatched", "sign_due"), SIGN)
def test_sign_due_one_working_day_from_dispatch(dispatched, sign_due):
    day = dispatched.split()[0]
    t = file("complaint", f"{day} 00:05")
    t = service.dispatch(t, user("jiexian"), roles=OP, department=SHICHANG, now=local(dispatched))
    t = fresh(t)
    assert (t.status, t.sign_due, type(t.sign_due), t.dispatch_due) == ("dispatched", sign_due, dt.date, None)
    clock = clocks.get(deadlines.owner(t), rules.SIGN)
    assert clock.policy.code == "hotline.sign"
    assert clock.due_at == local(f"{sign_due + dt.timedelta(days=1)} 00:00")


# ------------------------------------------------------------------------------ revisit

REVISIT = [
    # finished Tue 09-30; 10-01…10-08 off: 10-09 (1), 10-10 (2)
    pytest.param("2025-09-30 15:00", dt.date(2025, 10, 10), id="before-national-day-2025"),
    # finished Fri 10-10: Sat 10-11 make-up (1), Mon 10-13 (2)
    pytest.param("2025-10-10 15:00", dt.date(2025, 10, 13), id="before-make-up-saturday-2025"),
    # finished on the make-up Saturday 10-11: Mon 10-13 (1), Tue 10-14 (2)
    pytest.param("2025-10-11 15:00", dt.date(2025, 10, 14), id="on-make-up-saturday-2025"),
    # finished Wed 12-31; 01-01…01-03 off: Sun 01-04 make-up (1), Mon 01-05 (2)
    pytest.param("2025-12-31 15:00", dt.date(2026, 1, 5), id="new-year-2026"),
    # finished Fri 02-13: Sat 02-14 (1); 02-15…02-23 off: Tue 02-24 (2)
    pytest.param("2026-02-13 15:00", dt.date(2026, 2, 24), id="before-spring-festival-2026"),
    # finished Thu 09-24; 09-25 Mid-autumn off, weekend: Mon 09-28 (1), Tue 09-29 (2)
    pytest.param("2026-09-24 15:00", dt.date(2026, 9, 29), id="before-mid-autumn-2026"),
    # finished Wed 09-30; 10-01…10-07 off: Thu 10-08 (1), Fri 10-09 (2)
    pytest.param("2026-09-30 15:00", dt.date(2026, 10, 9), id="before-national-day-2026"),
    # finished at 23:30 on 09-30: the local date counts, that day not counted: the same
    pytest.param("2026-09-30 23:30", dt.date(2026, 10, 9), id="late-night-2026-09-30"),
]


@pytest.mark.parametrize(("at", "revisit_due"), REVISIT)
def test_revisit_due_two_working_days_from_finish(at, revisit_due):
    day = at.split()[0]
    t = handled(file("help", f"{day} 00:05"), f"{day} 00:10")
    t = fresh(finished(t, at))
    assert (t.status, t.revisit_due, type(t.revisit_due)) == ("finished", revisit_due, dt.date)
    clock = clocks.get(deadlines.owner(t), rules.REVISIT)
    assert clock.policy.code == "hotline.revisit"
    assert clock.due_at == local(f"{revisit_due + dt.timedelta(days=1)} 00:00")


# ------------------------------------------------------------------------------ recurrence

RECURRENCE = [
    # opened Tue 09-30; 10-01…10-08 off: 10-09 (1), 10-10 (2), Sat 10-11 (3), 10-13 (4), 10-14 (5),
    # 10-15 (6), 10-16 (7), 10-17 (8), Mon 10-20 (9), Tue 10-21 (10)
    pytest.param("2025-09-30 10:00", dt.date(2025, 10, 21), id="before-national-day-2025"),
    # opened Wed 09-30; 10-01…10-07 off: 10-08 (1), 10-09 (2), Sat 10-10 (3), 10-12 (4), 10-13 (5),
    # 10-14 (6), 10-15 (7), 10-16 (8), Mon 10-19 (9), Tue 10-20 (10)
    pytest.param("2026-09-30 10:00", dt.date(2026, 10, 20), id="before-national-day-2026"),
    # opened Fri 02-13: Sat 02-14 (1); 02-15…02-23 off: 02-24 (2), 02-25 (3), 02-26 (4), 02-27 (5),
    # Sat 02-28 make-up (6), Mon 03-02 (7), 03-03 (8), 03-04 (9), Thu 03-05 (10)
    pytest.param("2026-02-13 10:00", dt.date(2026, 3, 5), id="spring-festival-2026"),
]


@pytest.mark.parametrize(("at", "due"), RECURRENCE)
def test_recurrence_due_ten_working_days_from_opening(at, due):
    Recurrence.objects.all().delete()  # undone with the test
    for _ in range(3):  # the threshold: three complaints about one department
        file("complaint", at, department=SHICHANG)
    found = Recurrence.objects.get(subject="department", key=SHICHANG, status="open")
    assert (found.opened_at, found.due_date) == (local(at), due)
    clock = clocks.get(recurrences.owner(found), recurrences.CLOCK)
    assert clock.policy.code == "hotline.recurrence"
    assert clock.due_at == local(f"{due + dt.timedelta(days=1)} 00:00")


# ------------------------------------------------------------------------------ a region's own policy


def _policy(code: str, region: str, limit: int, unit: str = "working_days") -> ClockPolicy:
    """A region's policy as the admin stores it."""
    policy = ClockPolicy(
        code=code,
        name=f"{region} {code}",
        region_id=region,
        unit=unit,
        limit=limit,
        rule="third",
        yellow_audience="owner",
        red_audience="owner supervisor",
    )
    policy.full_clean(exclude=["code"])  # see the admin test below for the code's validation
    policy.save()
    return policy


def test_a_regions_own_policy_wins_for_that_regions_tickets_only():
    before = file("complaint", "2026-09-30 09:00", region="430602")
    assert before.finish_due == dt.date(2026, 10, 13)  # the platform's 5 working days
    _policy("hotline.finish.complaint", "430602", 3)
    _policy("hotline.dispatch", "430602", 2, unit="natural_hours")
    ours = file("complaint", "2026-09-30 10:00", region="430602")
    # 3 working days: Thu 10-08 (1), Fri 10-09 (2), Sat 10-10 make-up (3)
    assert ours.finish_due == dt.date(2026, 10, 10)
    assert ours.dispatch_due == local("2026-09-30 12:00")  # 2 natural hours
    # another county of the same city: the platform's policies
    theirs = file("complaint", "2026-09-30 10:00", region="430626")
    assert (theirs.finish_due, theirs.dispatch_due) == (dt.date(2026, 10, 13), local("2026-09-30 11:00"))
    # another category in the same county: its own (platform) policy
    help_ = file("help", "2026-09-30 10:00", region="430602")
    assert help_.finish_due == dt.date(2026, 10, 13)
    # a ticket filed before the edit keeps the rule its clock started with
    assert fresh(before).finish_due == dt.date(2026, 10, 13)
    assert clocks.get(deadlines.owner(before), rules.FINISH).limit == 5


def test_a_regions_own_policy_wins_over_its_citys():
    _policy("hotline.finish.complaint", "430600", 4)  # the city's
    _policy("hotline.finish.complaint", "430602", 3)  # the county's own
    # 平江县 has none of its own: the city's 4 working days — 10-08, 10-09, 10-10, Mon 10-12
    assert file("complaint", "2026-09-30 10:00", region="430626").finish_due == dt.date(2026, 10, 12)
    # 岳阳楼区's own 3 working days — 10-08, 10-09, Sat 10-10
    assert file("complaint", "2026-09-30 10:00", region="430602").finish_due == dt.date(2026, 10, 10)
    # an inactive policy is not applied: back to the city's
    ClockPolicy.objects.filter(code="hotline.finish.complaint", region_id="430602").update(active=False)
    assert file("complaint", "2026-09-30 10:00", region="430602").finish_due == dt.date(2026, 10, 12)


def test_a_regions_policy_added_in_the_admin_applies(make_user):
    """Policy codes are dotted; the admin once refused them (a slug field)."""
    client = Client()
    client.force_login(make_user("policy-admin", is_staff=True, is_superuser=True))
    form = {
        "code": "hotline.finish.complaint",
        "name": "岳阳楼区投诉办结时限",
        "region": "430602",
        "unit": "working_days",
        "limit": "3",
        "rule": "third",
        "lead": "0",
        "yellow_audience": "owner",
        "red_audience": "owner supervisor",
        "active": "on",
    }
    response = client.post("/admin/clocks/clockpolicy/add/", form)
    assert response.status_code == 302, response.content.decode()[:2000]
    assert ClockPolicy.objects.get(code="hotline.finish.complaint", region_id="430602").limit == 3
    assert file("complaint", "2026-09-30 10:00", region="430602").finish_due == dt.date(2026, 10, 10)
    assert file("complaint", "2026-09-30 10:00", region="430626").finish_due == dt.date(2026, 10, 13)
    form["code"] = "hotline finish"  # a space is still refused, naming the field
    response = client.post("/admin/clocks/clockpolicy/add/", form)
    assert response.status_code == 200 and "编码只能由小写字母" in response.content.decode()
