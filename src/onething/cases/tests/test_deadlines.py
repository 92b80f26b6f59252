"""Working-day due dates across the 2025/2026 holidays, pauses, extensions and the
yellow/red scan — always with an injected "today"."""

from __future__ import annotations

import datetime as dt

import pytest
from conftest import without_placeholder_years

from onething.cases import deadlines, lifecycle
from onething.cases.models import Application, SubCase
from onething.cases.tasks import run_scan
from onething.cases.tests.conftest import at
from onething.clocks import service as clocks
from onething.clocks.models import ClockPolicy
from onething.core.errors import status_of
from onething.notifications.models import Notification

pytestmark = pytest.mark.django_db
D = dt.date


@pytest.fixture(autouse=True)
def _calendar(demo):
    """The official calendar is loaded (``demo`` re-seeds it after a transactional flush)."""


@pytest.fixture
def clock(submit):
    """A fresh sub-case with the given limit and no clock yet (its deadline is computed on the
    clock service and projected onto the row)."""

    def make(limit: int) -> SubCase:
        sub = submit().subcases.order_by("position").first()
        sub.limit_days = limit
        return sub

    return make


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
def test_due_dates_on_the_official_calendar(clock, start, limit, due):
    c = clock(limit)
    deadlines.start(c, start)
    assert c.due_date == due and c.timed and c.started_on == start
    assert clocks.get(("cases.subcase", str(c.pk)), "finish").limit == limit


@pytest.mark.parametrize(
    ("limit", "yellow_days_before_due"),
    [(1, 0), (2, 1), (3, 1), (5, 1), (6, 2), (20, 6), (30, 10)],
)
def test_yellow_when_a_third_remains_never_from_the_start(clock, limit, yellow_days_before_due):
    c = clock(limit)
    deadlines.start(c, D(2026, 11, 2))
    assert deadlines.workdays_between(c.yellow_date, c.due_date) == yellow_days_before_due
    assert c.yellow_date > c.started_on and c.warning == ""


def test_the_warning_rule_is_the_policys(clock):
    ClockPolicy.objects.filter(code="cases.subcase").update(rule="lead", lead=3)
    c = clock(20)
    deadlines.start(c, D(2026, 11, 2))
    assert deadlines.workdays_between(c.yellow_date, c.due_date) == 3


def test_classify(clock):
    c = clock(5)
    deadlines.start(c, D(2026, 9, 30))
    assert c.yellow_date == D(2026, 10, 12)
    got = clocks.get(("cases.subcase", str(c.pk)), "finish")
    assert clocks.classify(got, at("2026-10-09")) == ""
    assert clocks.classify(got, at("2026-10-12", 0)) == "yellow"
    assert clocks.classify(got, at("2026-10-13", 23)) == "yellow"
    assert clocks.classify(got, at("2026-10-14", 0)) == "red"


def test_pause_resume_and_extension_move_the_due_date(clock):
    c = clock(5)
    deadlines.start(c, D(2026, 9, 28))  # Monday
    assert c.due_date == D(2026, 10, 10)
    deadlines.pause(c, D(2026, 9, 29))
    deadlines.pause(c, D(2026, 9, 30))  # already paused: no effect
    assert c.paused_since == D(2026, 9, 29) and not c.timed
    # paused over the National Day holidays: 9/30, 10/8, 10/9 are the working days lost
    assert deadlines.resume(c, D(2026, 10, 9)) == 3
    assert c.timed and c.paused_days == 3 and c.due_date == D(2026, 10, 14)
    assert deadlines.resume(c, D(2026, 10, 9)) == 0  # not paused
    deadlines.extend(c, 2, today=D(2026, 10, 9))
    assert c.due_date == D(2026, 10, 16) and c.extension_days == 2
    deadlines.add_pause(c, 1, D(2026, 10, 9))
    assert c.due_date == D(2026, 10, 19) and c.paused_days == 4
    deadlines.stop(c, at("2026-10-09"))
    assert not c.timed


def test_pause_before_start_is_ignored(clock):
    c = clock(5)
    deadlines.pause(c, D(2026, 9, 29))
    assert c.paused_since is None and c.due_date is None
    assert clocks.get(("cases.subcase", str(c.pk)), "finish") is None


def test_year_not_loaded_is_a_409(clock):
    without_placeholder_years()
    c = clock(10)
    with pytest.raises(deadlines.CalendarMissing) as exc:
        deadlines.start(c, D(2026, 12, 28))
    assert status_of(exc.value) == 409 and "2027年" in exc.value.message


def _accepted(submit, people, upload_factory, day: str) -> Application:
    from onething.cases import intake

    app = submit(now=at(day))
    for m in app.plan["materials"]:
        if not m["exempt"]:
            intake.store_upload(app, m["material"], upload_factory(), people["zhangsan"])
    return lifecycle.accept(app, people["chuangkou"], now=at(day))


def test_scan_marks_yellow_then_red_and_notifies(
    submit, people, upload_factory, django_capture_on_commit_callbacks
):
    app = _accepted(submit, people, upload_factory, "2026-11-23")  # 出生医学证明: 1 working day → due 11/24
    first = app.subcases.get(item_code="430600-WJ-2001-01")
    # a one-day limit turns yellow on its due day, never from the start
    assert first.due_date == D(2026, 11, 24) and first.yellow_date == D(2026, 11, 24)
    assert first.warning == ""
    lifecycle.start_review(first, people["shenpi_weijian"], now=at("2026-11-23"))

    with django_capture_on_commit_callbacks(execute=True):
        result = deadlines.scan(D(2026, 11, 23), at("2026-11-23", 12))
    assert (result.yellow, result.red) == (0, 0)

    with django_capture_on_commit_callbacks(execute=True):
        result = deadlines.scan(D(2026, 11, 24), at("2026-11-24", 12))
    assert (result.yellow, result.red) == (1, 0)
    assert SubCase.objects.get(pk=first.pk).warning == "yellow"
    assert Notification.objects.filter(recipient=people["shenpi_weijian"], event="case.deadline").count() == 1

    with django_capture_on_commit_callbacks(execute=True):
        again = deadlines.scan(D(2026, 11, 24), at("2026-11-24", 13))
    assert (again.yellow, again.red) == (0, 0)  # marked once per level

    with django_capture_on_commit_callbacks(execute=True):
        red = deadlines.scan(D(2026, 11, 25), at("2026-11-25", 12))
    assert red.red == 1
    assert SubCase.objects.get(pk=first.pk).warning == "red"
    assert Notification.objects.filter(recipient=people["ducha"], event="case.deadline").count() == 1
    # a red case does not turn red again, and decided cases are never scanned
    lifecycle.decide(
        SubCase.objects.get(pk=first.pk), people["shenpi_weijian"], decision="approved", now=at("2026-11-25")
    )
    with django_capture_on_commit_callbacks(execute=True):
        late = deadlines.scan(D(2026, 12, 30), at("2026-12-30"))
    assert (late.red, late.applications_red) == (2, 1)  # the two that started after it, and the bundle
    assert SubCase.objects.get(pk=first.pk).warning == "red"
    assert Application.objects.get(pk=app.pk).warning == "red"


def test_scan_notifies_department_when_no_handler(
    submit, people, upload_factory, django_capture_on_commit_callbacks
):
    _accepted(submit, people, upload_factory, "2026-11-23")
    with django_capture_on_commit_callbacks(execute=True):
        result = run_scan(now=at("2026-11-26"))
    assert result["red"] == 1
    assert Notification.objects.filter(recipient=people["shenpi_weijian"], event="case.deadline").exists()
    assert Notification.objects.filter(recipient=people["ducha"], event="case.deadline").exists()
    assert not Notification.objects.filter(recipient=people["shenpi_gongan"], event="case.deadline").exists()


def test_paused_cases_are_not_scanned(submit, people, upload_factory):
    app = _accepted(submit, people, upload_factory, "2026-11-23")
    lifecycle.request_correction(app, people["chuangkou"], items=["x"], reason="补正", now=at("2026-11-23"))
    assert deadlines.scan(D(2026, 12, 30), at("2026-12-30")).red == 0


def test_periodic_task_is_registered_and_runs():
    from onething.cases import tasks

    assert "scan_deadlines" in str(tasks.scan_deadlines.task_class)
    result = tasks.scan_deadlines.call_local()
    assert set(result) == {"yellow", "red", "applications_yellow", "applications_red", "gaps_overdue"}
