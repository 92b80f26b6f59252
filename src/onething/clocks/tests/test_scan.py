"""The scan: red before yellow, in batches, each owner kind told once per level, and a second
run at the same moment marks nothing and tells nobody."""

from __future__ import annotations

import pytest

from onething.clocks import registry, scan, service, tasks
from onething.clocks.models import Clock
from onething.clocks.tests.conftest import at, midnight, ticket

pytestmark = pytest.mark.django_db


@pytest.fixture
def run(django_capture_on_commit_callbacks):
    """Scan at a moment and run the after-commit telling, as the periodic task would."""

    def go(moment, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return scan.scan(moment, **kwargs)

    return go


def test_yellow_then_red_each_told_once(told, policy, run):
    owner = ticket(1)
    service.start(owner, "finish", policy(3), at("2026-11-23"))  # due 11/26, yellow from 11/25
    assert (run(at("2026-11-24", 23)).yellow, told.calls) == (0, [])

    first = run(midnight("2026-11-25"))
    assert (first.yellow, first.red, first.told) == (1, 0, 1)
    assert told.marks("yellow") == [("1", "finish")]
    assert service.get(owner, "finish").warning == "yellow"
    assert service.get(owner, "finish").warned_at == midnight("2026-11-25")

    again = run(midnight("2026-11-25"))
    assert (again.yellow, again.red, again.told, len(told.calls)) == (0, 0, 0, 1)

    red = run(midnight("2026-11-27"))
    assert (red.yellow, red.red) == (0, 1)
    assert told.marks("red") == [("1", "finish")]
    assert run(at("2026-12-30")).red == 0  # red once
    assert len(told.calls) == 2


def test_a_clock_that_skipped_yellow_goes_straight_to_red(told, policy, run):
    service.start(ticket(1), "finish", policy(3), at("2026-11-23"))
    result = run(at("2026-12-01"))
    assert (result.red, result.yellow) == (1, 0)
    assert [lv for lv, _ in told.calls] == ["red"]


def test_paused_and_stopped_clocks_are_not_scanned(told, policy, run):
    service.start(ticket(1), "finish", policy(3), at("2026-11-23"))
    service.start(ticket(2), "finish", policy(3), at("2026-11-23"))
    service.pause(ticket(1), "finish", at("2026-11-24"))
    service.stop(ticket(2), "finish", at("2026-11-24"))
    assert run(at("2026-12-30")).red == 0
    assert told.calls == []


def test_hour_clocks_between_two_scans(told, policy, run):
    service.start(ticket(1), "dispatch", policy(1, unit="working_hours"), at("2026-11-23", 10))
    assert run(at("2026-11-23", 10, 35)).yellow == 0
    assert run(at("2026-11-23", 10, 40)).yellow == 1
    assert run(at("2026-11-23", 10, 45)).yellow == 0
    assert run(at("2026-11-23", 11)).red == 1


def test_batches_mark_everything_and_tell_once_per_kind(told, policy, run):
    seen = []
    registry.register("tests.other", on_red=seen.append)
    try:
        five = policy(2)
        starts = [service.Start(ticket(n), "finish", five) for n in range(7)]
        starts += [service.Start(("tests.other", str(n)), "finish", five) for n in range(3)]
        service.start_many(starts, at("2026-11-23"))
        result = run(at("2026-12-01"), batch=2)
        assert (result.candidates, result.red, result.batches) == (10, 10, 5)
        assert [lv for lv, _ in told.calls] == ["red"]
        assert sorted(told.marks("red")) == sorted((str(n), "finish") for n in range(7))
        assert [len(marks) for marks in seen] == [3]
        assert Clock.objects.filter(owner_kind__startswith="tests.", warning="red").count() == 10
    finally:
        registry.unregister("tests.other")


def test_marks_carry_the_policy_audiences(told, policy, run):
    rule = policy(3, yellow_audience="handler", red_audience="handler approvers, supervisors")
    service.start(ticket(1), "finish", rule, at("2026-11-23"))
    run(midnight("2026-11-25"))
    run(midnight("2026-11-27"))
    (_, [yellow]), (_, [red]) = told.calls
    assert yellow.audience == ("handler",)
    assert red.audience == ("handler", "approvers", "supervisors")
    assert red.due_at == midnight("2026-11-27")


def test_a_failing_callback_does_not_keep_other_kinds_from_being_told(told, policy, run):
    def broken(marks):
        raise RuntimeError("boom")

    registry.register("tests.broken", on_red=broken)
    try:
        service.start(("tests.broken", "1"), "finish", policy(1), at("2026-11-23"))
        service.start(ticket(1), "finish", policy(1), at("2026-11-23"))
        result = run(at("2026-12-01"))
        assert (result.red, result.told) == (2, 1)
        assert told.marks("red") == [("1", "finish")]
    finally:
        registry.unregister("tests.broken")


def test_an_extension_after_red_warns_again_when_the_new_due_comes(told, policy, run):
    owner = ticket(1)
    service.start(owner, "finish", policy(3), at("2026-11-23"))
    run(at("2026-11-27"))
    service.extend(owner, "finish", 5, at("2026-11-27"))  # due 12/3, yellow from 12/1
    assert service.get(owner, "finish").warning == ""
    assert run(at("2026-12-01")).yellow == 1
    assert run(midnight("2026-12-04")).red == 1
    assert [lv for lv, _ in told.calls] == ["red", "yellow", "red"]


def test_periodic_task_is_registered_and_runs(told, policy, django_capture_on_commit_callbacks):
    assert "scan_clocks" in str(tasks.scan_clocks.task_class)
    service.start(ticket(1), "finish", policy(1), at("2026-11-02"))
    with django_capture_on_commit_callbacks(execute=True):
        assert tasks.run_scan(now=at("2026-11-30")) == {"red": 1, "yellow": 0, "batches": 1}
    assert tasks.scan_clocks.call_local() == {"red": 0, "yellow": 0, "batches": 0}
