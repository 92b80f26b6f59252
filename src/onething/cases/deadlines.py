"""办结时限 of cases, on the platform's clocks (:mod:`onething.clocks`).

An application and each of its sub-cases have one clock, ``finish``, under the policies
``cases.application`` and ``cases.subcase`` (working days, yellow when a third of the limit
remains — at least one day, never from the start —, seeded by a migration and editable in
the admin); the limit of each clock is the item's or bundle's promised limit. Semantics are
those of 行政许可法:

- limits count **working days** on the official calendar (art. 82); the day the clock starts
  (受理日) does not count;
- 补正 and special procedures (听证、专家评审、检验检测 …, art. 45) stop the clock; on resume the
  due date moves by the working days that passed while paused;
- approved extensions (art. 42) add working days the same way.

The clock is the truth; the case rows keep a **projection** of it (``started_on``,
``due_date``, ``yellow_date``, ``paused_since``, ``paused_days``, ``extension_days``,
``timed``, ``warning``) written in the same transaction by :func:`_project`, so lists,
filters and sorting by due date stay plain column reads. The scan is the clocks' one scan;
its callbacks (registered in ``CasesConfig.ready``) project the new warning onto the rows and
tell people — handlers or the department's approvers, and at red the supervisors covering the
case (:func:`onething.cases.access.supervisors_of`'s rule: its application's region).

Everything takes ``today``/``now`` as parameters: nothing here reads the wall clock.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone

from onething.calendar.service import get_calendar
from onething.cases.models import Application, SubCase, WarningLevel
from onething.clocks import registry
from onething.clocks import scan as clock_scan
from onething.clocks import service as clocks
from onething.clocks.models import ClockPolicy
from onething.clocks.service import CalendarMissing
from onething.kernel.workdays import WorkdayCalendar, YearNotLoaded

#: the one clock of an application and of a sub-case, and the policy of each kind
CLOCK = "finish"
KINDS = {Application: "cases.application", SubCase: "cases.subcase"}


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


# ------------------------------------------------------------------------------- the clock


#: the platform-wide policies of cases (seeded by migration 0008; recreated when missing, so a
#: deleted policy row never stops acceptance — an admin edits them, and regional ones win)
DEFAULT_POLICIES = {
    "cases.subcase": {
        "name": "子件办理时限（承诺时限，工作日）",
        "yellow_audience": "handler approvers",
        "red_audience": "handler approvers supervisors",
    },
    "cases.application": {
        "name": "一件事办结时限（承诺时限，工作日）",
        "yellow_audience": "",
        "red_audience": "",
    },
}


def policy(kind: str, region: str | None):
    """The clock policy of ``kind`` for ``region`` (the nearest region's, else the platform's)."""
    try:
        return clocks.policy_for(kind, region)
    except clocks.NoSuchPolicy:
        found, _ = ClockPolicy.objects.get_or_create(
            code=kind,
            region=None,
            defaults={"unit": "working_days", "limit": 0, "rule": "third", **DEFAULT_POLICIES[kind]},
        )
        return found


def _owner(case) -> tuple[str, str]:
    return KINDS[type(case)], str(case.pk)


def _midnight(day: dt.date) -> dt.datetime:
    """A working-day clock moves at the start of a day (its own time of day does not count)."""
    return timezone.make_aware(dt.datetime.combine(day, dt.time()))


def _day(moment: dt.datetime | None) -> dt.date | None:
    return timezone.localdate(moment) if moment is not None else None


def _project(case, clock) -> None:
    """Copy the clock's state onto the case row (the caller saves it)."""
    if clock is None:
        return
    case.started_on = _day(clock.started_at)
    # a working-day clock is due at the midnight that ends its last day
    case.due_date = _day(clock.due_at - dt.timedelta(days=1))
    case.yellow_date = _day(clock.yellow_at)
    case.paused_since = _day(clock.paused_at)
    case.paused_days = clock.paused
    case.extension_days = clock.extension
    case.timed = clock.running
    case.warning = clock.warning
    case.warned_at = clock.warned_at


def _guarded(call):
    try:
        return call()
    except YearNotLoaded as exc:
        raise CalendarMissing(exc) from exc


def start(case, on: dt.date, calendar: WorkdayCalendar | None = None) -> None:
    """Start the case's clock on ``on`` (受理日 / the day a dependent sub-case may begin)."""
    kind, owner_id = _owner(case)
    clock = _guarded(
        lambda: clocks.start(
            (kind, owner_id),
            CLOCK,
            policy(kind, case.region_id),
            _midnight(on),
            case.region_id,
            limit=case.limit_days,
            calendar=_calendar(calendar),
        )
    )
    _project(case, clock)


def pause(case, on: dt.date) -> None:
    """Stop the clock (补正, special procedure). Idempotent: an already paused clock stays."""
    _project(case, clocks.pause(_owner(case), CLOCK, _midnight(on)))


def resume(case, on: dt.date, calendar: WorkdayCalendar | None = None) -> int:
    """Restart a paused clock; the due date moves by the working days paused. Returns them."""
    days = _guarded(lambda: clocks.resume(_owner(case), CLOCK, _midnight(on), calendar=_calendar(calendar)))
    _project(case, clocks.get(_owner(case), CLOCK))
    return days


def extend(case, days: int, today: dt.date, calendar: WorkdayCalendar | None = None) -> None:
    """Add approved extension days (延期)."""
    clock = _guarded(
        lambda: clocks.extend(_owner(case), CLOCK, days, _midnight(today), calendar=_calendar(calendar))
    )
    _project(case, clock)


def add_pause(case, days: int, today: dt.date, calendar: WorkdayCalendar | None = None) -> None:
    """Working days that did not count elsewhere (a sub-case's special procedure) do not count
    on this clock either: its due date moves by them."""
    clock = _guarded(
        lambda: clocks.add_paused(_owner(case), CLOCK, days, _midnight(today), calendar=_calendar(calendar))
    )
    _project(case, clock)


def stop(case, at: dt.datetime) -> None:
    """The case is decided or ended at ``at``: the clock stops for good (its last warning stays)."""
    _project(case, clocks.stop(_owner(case), CLOCK, at))


# ------------------------------------------------------------------------------- the scan


@dataclass
class ScanResult:
    yellow: int = 0
    red: int = 0
    applications_yellow: int = 0
    applications_red: int = 0
    marked: list[tuple] = field(default_factory=list, repr=False)


def scan(today: dt.date, now: dt.datetime) -> ScanResult:
    """The clocks' scan at ``now`` (every kind's clocks: cases' and any other app's); the case
    rows and the people are updated by the callbacks after it commits. ``today`` is ``now``'s
    date (kept for the callers)."""
    found = clock_scan.scan(now)
    result = ScanResult()
    for mark in found.marks:
        if mark.owner_kind == KINDS[SubCase]:
            setattr(result, mark.level, getattr(result, mark.level) + 1)
            result.marked.append((mark.level, mark.owner_id))
        elif mark.owner_kind == KINDS[Application]:
            name = f"applications_{mark.level}"
            setattr(result, name, getattr(result, name) + 1)
    return result


PROJECT_BATCH = 1000


def _project_level(model, marks: list[registry.Mark]) -> list:
    """Write the marks' level onto the case rows (after the scan's commit); their ids.

    Rows are locked in id order, batch by batch: a transition locks its application, then its
    sub-cases in position order — which is their id order, as intake inserts them so — so the
    two can wait for each other but never deadlock."""
    level, now = marks[0].level, timezone.now()
    ids = sorted(int(m.owner_id) for m in marks)
    for start in range(0, len(ids), PROJECT_BATCH):
        with transaction.atomic():
            batch = list(
                model.objects.select_for_update()
                .filter(pk__in=ids[start : start + PROJECT_BATCH])
                .order_by("pk")
                .values_list("pk", flat=True)
            )
            model.objects.filter(pk__in=batch).update(warning=level, warned_at=now)
    return ids


def on_application_level(marks: list[registry.Mark]) -> None:
    _project_level(Application, marks)


def on_subcase_level(marks: list[registry.Mark]) -> None:
    """Project the level and tell, in one summary message per person: the handler (or, with
    none, the department's approvers) and — when the policy's audience says so — the
    supervisors covering the case."""
    from onething.accounts.models import StaffRole, User
    from onething.directory.models import within
    from onething.notifications.service import notify

    ids = _project_level(SubCase, marks)
    level = marks[0].level
    audience = set(marks[0].audience)
    rows = list(
        SubCase.objects.filter(pk__in=ids).values_list(
            "number", "department_id", "handler_id", "application__region__path"
        )
    )
    per_user: dict[int, list[str]] = defaultdict(list)
    without_handler: dict[str, list[str]] = defaultdict(list)
    for number, department, handler, _path in rows:
        if handler and "handler" in audience:
            per_user[handler].append(number)
        elif "approvers" in audience:
            without_handler[department].append(number)
    for role in StaffRole.objects.filter(role=StaffRole.APPROVER, department_id__in=list(without_handler)):
        per_user[role.user_id].extend(without_handler[role.department_id])
    if "supervisors" in audience:
        supervisors = list(
            StaffRole.objects.filter(role=StaffRole.SUPERVISOR).values_list("user_id", "region_id")
        )
        for number, _dept, _handler, path in rows:
            for user_id, scope in supervisors:
                if within(path or "", scope):
                    per_user[user_id].append(number)
    words = "已超期（红灯）" if level == WarningLevel.RED else "临近期限（黄灯）"
    for user in User.objects.filter(pk__in=list(per_user)):
        numbers = list(dict.fromkeys(per_user[user.pk]))
        notify(
            user,
            "case.deadline",
            f"办件时限预警：{len(numbers)}件{words}",
            f"涉及办件：{'、'.join(numbers[:10])}",
            "/cases/staff/",
        )


def register_clocks() -> None:
    """Called by ``CasesConfig.ready``: cases own the two clock kinds."""
    registry.register(KINDS[Application], on_yellow=on_application_level, on_red=on_application_level)
    registry.register(KINDS[SubCase], on_yellow=on_subcase_level, on_red=on_subcase_level)
