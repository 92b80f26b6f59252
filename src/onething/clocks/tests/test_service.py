"""Clock transitions on the official calendar: every unit and warning rule, the working-day
semantics of ``cases/deadlines.py`` (ported assertions), policies and office hours per region,
and the refusal of years that are not loaded."""

from __future__ import annotations

import datetime as dt

import pytest
from conftest import without_placeholder_years
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from onething.clocks import service
from onething.clocks.models import Clock, ClockPolicy, OfficeHours
from onething.clocks.tests.conftest import KIND, at, midnight, ticket

pytestmark = pytest.mark.django_db
D = dt.date


def due_date(clock: Clock) -> dt.date:
    """The day a day-unit clock is due on (it turns red at the midnight that ends it)."""
    return (timezone.localtime(clock.due_at) - dt.timedelta(days=1)).date()


def yellow_date(clock: Clock) -> dt.date:
    return timezone.localtime(clock.yellow_at).date()


# --------------------------------------------- working days: the semantics of cases/deadlines.py


@pytest.mark.parametrize(
    ("start", "limit", "due"),
    [
        (D(2026, 9, 30), 5, D(2026, 10, 13)),  # 国庆 10/1–7; Saturday 10/10 is a working day
        (D(2026, 9, 30), 3, D(2026, 10, 10)),
        (D(2025, 9, 30), 3, D(2025, 10, 11)),  # 2025 国庆+中秋 10/1–8; 10/11 Saturday works
        (D(2025, 12, 31), 2, D(2026, 1, 5)),  # 元旦 1/1–3; Sunday 1/4 works
        (D(2026, 2, 13), 2, D(2026, 2, 24)),  # Saturday 2/14 works; 春节 2/15–23
        (D(2026, 11, 20), 0, D(2026, 11, 20)),  # 即办件: due the same day
        (D(2026, 11, 20), 20, D(2026, 12, 18)),
    ],
)
def test_due_dates_on_the_official_calendar(told, policy, start, limit, due):
    clock = service.start(ticket(1), "finish", policy(limit), at(start.isoformat(), 15))
    assert due_date(clock) == due and clock.running
    assert clock.due_at == midnight((due + dt.timedelta(days=1)).isoformat())


@pytest.mark.parametrize(
    ("moment", "level"),
    [
        (at("2026-10-09", 17), ""),
        (midnight("2026-10-12"), "yellow"),
        (at("2026-10-13", 23, 59), "yellow"),
        (midnight("2026-10-14"), "red"),
    ],
)
def test_classify_on_the_days_cases_uses(told, policy, moment, level):
    """cases: limit 5 from 9/30 → yellow from 10/12, still yellow on 10/13 (the due day), red on 10/14."""
    clock = service.start(ticket(1), "finish", policy(5), at("2026-09-30"))
    assert yellow_date(clock) == D(2026, 10, 12)
    assert service.classify(clock, moment) == level


def test_pause_resume_and_extension_move_the_due_date(told, policy):
    owner = ticket(7)
    clock = service.start(owner, "finish", policy(5), at("2026-09-28"))  # Monday
    assert due_date(clock) == D(2026, 10, 10)
    service.pause(owner, "finish", at("2026-09-29"))
    service.pause(owner, "finish", at("2026-09-30"))  # already paused: no effect
    clock.refresh_from_db()
    assert clock.paused_at == at("2026-09-29") and not clock.running
    # paused over the National Day holidays: 9/30, 10/8, 10/9 are the working days lost
    assert service.resume(owner, "finish", at("2026-10-09")) == 3
    clock.refresh_from_db()
    assert clock.running and clock.paused == 3 and due_date(clock) == D(2026, 10, 14)
    assert service.resume(owner, "finish", at("2026-10-09")) == 0  # not paused
    service.extend(owner, "finish", 2, at("2026-10-09"))
    clock.refresh_from_db()
    assert due_date(clock) == D(2026, 10, 16) and clock.extension == 2
    service.stop(owner, "finish", at("2026-10-12"))
    clock.refresh_from_db()
    assert not clock.running and clock.stopped_at == at("2026-10-12")
    # a stopped clock stays stopped
    assert service.pause(owner, "finish", at("2026-10-13")).paused_at is None
    assert service.resume(owner, "finish", at("2026-10-14")) == 0


def test_a_clock_not_started_has_nothing_to_pause(told):
    assert service.pause(ticket(404), "finish", at("2026-09-29")) is None
    assert service.resume(ticket(404), "finish", at("2026-09-29")) == 0
    assert service.stop(ticket(404), "finish", at("2026-09-29")) is None
    with pytest.raises(service.NoSuchClock, match="未找到计时"):
        service.extend(ticket(404), "finish", 2, at("2026-09-29"))


def test_year_not_loaded_is_refused_with_the_calendar_message(told, policy):
    without_placeholder_years()
    with pytest.raises(service.CalendarMissing) as exc:
        service.start(ticket(1), "finish", policy(10), at("2026-12-28"))
    assert exc.value.code == "calendar_not_loaded" and not hasattr(exc.value, "status")
    assert exc.value.message.startswith("2027年的工作日历尚未载入")
    assert not Clock.objects.filter(owner_kind=KIND).exists()
    with pytest.raises(service.CalendarMissing):
        service.start(ticket(1), "dispatch", policy(4, unit="working_hours"), at("2026-12-31", 16))
    # natural units need no calendar
    natural = service.start(ticket(1), "visit", policy(10, unit="natural_days"), at("2026-12-28"))
    assert due_date(natural) == D(2027, 1, 7)


def test_resume_into_an_unloaded_year_is_refused_and_changes_nothing(told, policy):
    without_placeholder_years()
    owner = ticket(2)
    service.start(owner, "finish", policy(3), at("2026-12-01"))
    service.pause(owner, "finish", at("2026-12-02"))
    with pytest.raises(service.CalendarMissing):
        service.resume(owner, "finish", at("2027-01-04"))
    assert service.get(owner, "finish").paused_at == at("2026-12-02")


# -------------------------------------------------------------------- units and warning rules


def test_one_day_limit_turns_yellow_on_its_due_day(told, policy):
    clock = service.start(ticket(1), "finish", policy(1), at("2026-11-23"))  # Monday
    assert (due_date(clock), yellow_date(clock)) == (D(2026, 11, 24), D(2026, 11, 24))
    assert clock.warning == ""  # not yellow from the start (cases today: yellow at once)
    assert service.classify(clock, at("2026-11-23", 17)) == ""
    assert service.classify(clock, midnight("2026-11-24")) == "yellow"
    assert service.classify(clock, midnight("2026-11-25")) == "red"


@pytest.mark.parametrize("unit", ["working_hours", "natural_hours"])
def test_one_hour_clock_turns_yellow_in_its_last_twenty_minutes(told, policy, unit):
    clock = service.start(ticket(1), "dispatch", policy(1, unit=unit), at("2026-11-23", 10))
    assert clock.due_at == at("2026-11-23", 11)
    assert clock.yellow_at == at("2026-11-23", 10, 40)
    assert service.classify(clock, at("2026-11-23", 10, 39)) == ""
    assert service.classify(clock, at("2026-11-23", 10, 40)) == "yellow"
    assert service.classify(clock, at("2026-11-23", 11)) == "red"


def test_working_hours_count_only_office_hours(told, policy):
    # 4 working hours from Friday 16:30: one hour on Friday, three on Monday morning
    clock = service.start(ticket(1), "dispatch", policy(4, unit="working_hours"), at("2026-11-20", 16, 30))
    assert clock.due_at == at("2026-11-23", 12)
    # a third of 4 h is 80 min: 10:40 on Monday
    assert clock.yellow_at == at("2026-11-23", 10, 40)


def test_natural_days_count_weekends_and_holidays(told, policy):
    clock = service.start(ticket(1), "visit", policy(3, unit="natural_days"), at("2026-09-30"))
    assert due_date(clock) == D(2026, 10, 3) and yellow_date(clock) == D(2026, 10, 2)


def test_fixed_lead(told, policy):
    clock = service.start(ticket(1), "finish", policy(10, rule="lead", lead=3), at("2026-11-02"))
    assert due_date(clock) == D(2026, 11, 16)
    assert yellow_date(clock) == D(2026, 11, 11)  # three working days before: 11/12, 11/13, 11/16
    hours = service.start(
        ticket(1), "dispatch", policy(8, unit="natural_hours", rule="lead", lead=2), at("2026-11-02")
    )
    assert hours.yellow_at == at("2026-11-02", 16)


def test_pause_and_extension_in_hours_are_counted_in_minutes(told, policy):
    owner = ticket(3)
    service.start(owner, "dispatch", policy(4, unit="working_hours"), at("2026-11-23", 9))
    service.pause(owner, "dispatch", at("2026-11-23", 11, 30))
    # 11:30–12:00 and 13:30–14:10: 70 office minutes, the lunch break does not count
    assert service.resume(owner, "dispatch", at("2026-11-23", 14, 10)) == 70
    clock = service.extend(owner, "dispatch", 1, at("2026-11-23", 14, 10))
    assert (clock.paused, clock.extension) == (70, 60)
    # 4 h + 70 min + 1 h from 09:00: 3 h in the morning, 3 h 10 min after lunch
    assert clock.due_at == at("2026-11-23", 16, 40)


def test_a_transition_that_finds_a_threshold_passed_marks_and_tells(
    told, policy, django_capture_on_commit_callbacks
):
    owner = ticket(4)
    service.start(owner, "dispatch", policy(2, unit="natural_hours"), at("2026-11-23", 9))  # yellow 10:00
    with django_capture_on_commit_callbacks(execute=True):
        service.pause(owner, "dispatch", at("2026-11-23", 10, 10))  # no scan ran since 10:00
        # 10 minutes paused: due 11:10, yellow 10:10 — the resume finds it yellow
        assert service.resume(owner, "dispatch", at("2026-11-23", 10, 20)) == 10
    assert [(lv, [m.name for m in marks]) for lv, marks in told.calls] == [("yellow", ["dispatch"])]
    clock = service.get(owner, "dispatch")
    assert clock.warning == "yellow" and clock.warned_at == at("2026-11-23", 10, 20)
    with django_capture_on_commit_callbacks(execute=True):
        service.pause(owner, "dispatch", at("2026-11-23", 10, 30))
        assert service.resume(owner, "dispatch", at("2026-11-23", 10, 31)) == 1
    assert len(told.calls) == 1  # still yellow: nothing new to tell


def test_an_extension_lowers_the_level_silently(told, policy, django_capture_on_commit_callbacks):
    owner = ticket(5)
    service.start(owner, "finish", policy(2), at("2026-11-23"))
    Clock.objects.filter(owner_kind=KIND, owner_id="5").update(warning="red")
    with django_capture_on_commit_callbacks(execute=True):
        clock = service.extend(owner, "finish", 5, at("2026-11-26"))
    assert clock.warning == "" and told.calls == []


def test_extend_refuses_nonsense_amounts(told, policy):
    service.start(ticket(1), "finish", policy(5), at("2026-11-23"))
    for amount in (0, -1, True, 1.5):
        with pytest.raises(ValueError, match="延长量必须为正整数"):
            service.extend(ticket(1), "finish", amount, at("2026-11-23"))


# ------------------------------------------------------------------------------- policies


def test_a_policy_change_applies_to_new_clocks_only(told, policy):
    rule = policy(5, code="finish")
    old = service.start(ticket(1), "finish", "finish", at("2026-11-02"))
    rule.limit = 10
    rule.save()
    assert rule.version == 2
    new = service.start(ticket(2), "finish", "finish", at("2026-11-02"))
    assert (old.limit, old.policy_version, due_date(old)) == (5, 1, D(2026, 11, 9))
    assert (new.limit, new.policy_version, due_date(new)) == (10, 2, D(2026, 11, 16))
    # the running clock keeps its rule through later transitions too
    service.pause(ticket(1), "finish", at("2026-11-03"))
    service.resume(ticket(1), "finish", at("2026-11-04"))
    assert due_date(service.get(ticket(1), "finish")) == D(2026, 11, 10)


def test_region_scoped_policies_prefer_the_nearest_region(told, policy):
    policy(20, code="finish")
    policy(10, code="finish", region_id="430600")  # 岳阳市
    policy(5, code="finish", region_id="430626")  # 平江县
    policy(1, code="finish", region_id="430602", active=False)  # 岳阳楼区, switched off
    assert service.policy_for("finish", "430626").limit == 5
    assert service.policy_for("finish", "430626101000").limit == 5  # a township of 平江县
    assert service.policy_for("finish", "430602").limit == 10  # inactive → the city's
    assert service.policy_for("finish").limit == 20
    clock = service.start(ticket(1), "finish", "finish", at("2026-11-02"), region="430626")
    assert clock.limit == 5 and clock.region_id == "430626"
    with pytest.raises(service.NoSuchPolicy, match="区划 430626的时限策略“visit”"):
        service.start(ticket(1), "visit", "visit", at("2026-11-02"), region="430626")


def test_one_policy_per_code_and_region(policy):
    policy(20, code="finish")
    with pytest.raises(IntegrityError):
        policy(10, code="finish")


def test_region_office_hours(told, policy):
    OfficeHours.objects.create(region_id="430600", periods="08:30-12:00 14:30-18:00")
    four = policy(4, unit="working_hours")
    city = service.start(ticket(1), "dispatch", four, at("2026-11-23", 11), region="430602")
    elsewhere = service.start(ticket(2), "dispatch", four, at("2026-11-23", 11), region="430000")
    assert city.due_at == at("2026-11-23", 17, 30)  # 1 h before noon, 3 h from 14:30
    assert elsewhere.due_at == at("2026-11-23", 16, 30)  # default: 1 h + 13:30–16:30
    assert str(service.office_hours_for("430626")) == "08:30-12:00 14:30-18:00"  # 平江县 is in the city too
    assert service.office_hours_for("430000") == service.office_hours_for(None)
    OfficeHours.objects.create(region=None, periods="08:00-16:00")
    assert str(service.office_hours_for("430000")) == "08:00-16:00"
    assert str(service.office_hours_for("430602")) == "08:30-12:00 14:30-18:00"


def test_policy_validation_names_the_field():
    bad = ClockPolicy(code="x", name="x", unit="working_hours", limit=0)
    with pytest.raises(ValidationError) as exc:
        bad.full_clean()
    assert "以小时计的时限至少为 1 小时" in exc.value.message_dict["limit"]
    lead = ClockPolicy(code="y", name="y", unit="working_days", limit=3, rule="lead", lead=3)
    with pytest.raises(ValidationError) as exc:
        lead.full_clean()
    assert "必须小于时限" in exc.value.message_dict["lead"][0]


def test_office_hours_validation_in_chinese():
    row = OfficeHours(periods="09:00-12:00 11:00-17:00")
    with pytest.raises(ValidationError) as exc:
        row.full_clean()
    assert "重叠" in exc.value.message_dict["periods"][0]
    ok = OfficeHours(periods="9:00-12:00，13:30-17:30")
    ok.full_clean()
    assert ok.periods == "09:00-12:00 13:30-17:30"


# ---------------------------------------------------------------------- owners and intake


def test_several_clocks_per_owner(told, policy):
    owner = ticket("12345-0001")
    service.start(owner, "dispatch", policy(2, unit="working_hours"), at("2026-11-23"))
    service.start(owner, "finish", policy(5), at("2026-11-23"))
    service.start(owner, "return_visit", policy(7, unit="natural_days"), at("2026-11-23"))
    assert [c.name for c in service.clocks_of(owner)] == ["dispatch", "finish", "return_visit"]


def test_starting_again_restarts_the_clock(told, policy):
    owner = ticket(1)
    service.start(owner, "finish", policy(5), at("2026-11-02"))
    service.pause(owner, "finish", at("2026-11-03"))
    again = service.start(owner, "finish", policy(3), at("2026-11-10"))
    assert Clock.objects.filter(owner_kind=KIND, owner_id="1").count() == 1
    assert (again.limit, again.paused, again.paused_at, again.running) == (3, 0, None, True)
    assert due_date(service.get(owner, "finish")) == D(2026, 11, 13)


def test_a_model_instance_is_an_owner_of_its_label(told, policy):
    from onething.clocks import registry
    from onething.directory.models import Region

    registry.register("directory.region")
    try:
        clock = service.start(Region.objects.get(code="430602"), "review", policy(5), at("2026-11-02"))
        assert (clock.owner_kind, clock.owner_id) == ("directory.region", "430602")
    finally:
        registry.unregister("directory.region")


def test_unregistered_kinds_are_refused(policy):
    with pytest.raises(LookupError, match="未登记"):
        service.start(("nobody.knows", "1"), "finish", policy(5), at("2026-11-02"))


def test_start_many_is_one_insert(told, policy):
    days, hours = policy(5, code="finish"), policy(2, unit="working_hours", code="dispatch")
    starts = [service.Start(ticket(n), "finish", "finish", "430602") for n in range(50)]
    starts += [service.Start(ticket(n), "dispatch", hours, "430602") for n in range(50)]
    with CaptureQueriesContext(connection) as queries:
        clocks = service.start_many(starts, at("2026-11-23", 9))
    touching = [q["sql"] for q in queries if '"clocks_clock"' in q["sql"]]
    assert len(touching) == 1 and touching[0].startswith('INSERT INTO "clocks_clock"')
    assert Clock.objects.filter(owner_kind=KIND).count() == 100
    assert all(c.pk for c in clocks)
    first = service.get(ticket(0), "finish")
    assert (first.policy_id, due_date(first)) == (days.pk, D(2026, 11, 30))
    assert service.get(ticket(0), "dispatch").due_at == at("2026-11-23", 11)
