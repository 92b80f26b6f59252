"""红灯、黄灯 of running sub-cases, as the staff pages order, count and say them.

The level is the clock's (``SubCase.warning``, projected from ``onething.clocks`` by its scan
and by the transitions): nothing here decides that a case is yellow from dates of its own. A
decided or stopped sub-case keeps its clock's last level on the row, but shows none. Every
level is shown in colour *and* in words, with the working days left or overdue counted on the
official calendar (e.g. “黄灯：剩余1个工作日”, “红灯：已超期2个工作日”).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Case, Count, F, IntegerField, Q, QuerySet, Value, When

from onething.calendar.service import get_calendar
from onething.cases import deadlines
from onething.cases.machines import DECIDED_SUBCASE, RUNNING
from onething.cases.models import SubCase, WarningLevel
from onething.clocks.service import CalendarMissing

RED, YELLOW = WarningLevel.RED.value, WarningLevel.YELLOW.value
#: the levels in the order of urgency, with their words and badge classes
LEVELS = {RED: ("红灯", "badge-danger"), YELLOW: ("黄灯", "badge-warn")}
#: sub-cases a department works on (its queue): everything routed and not yet decided
OPEN_SUBCASE = (
    SubCase.Status.IN_REVIEW,
    SubCase.Status.SPECIAL,
    SubCase.Status.CORRECTION,
    SubCase.Status.WAITING,
)


def ordered(qs: QuerySet[SubCase]) -> QuerySet[SubCase]:
    """Most urgent first: red, then yellow, then the others; within a level by due date (none
    last, on every database), then by number."""
    return qs.annotate(
        urgency=Case(
            When(warning=RED, then=Value(0)),
            When(warning=YELLOW, then=Value(1)),
            default=Value(2),
            output_field=IntegerField(),
        )
    ).order_by("urgency", F("due_date").asc(nulls_last=True), "number")


def counts(qs: QuerySet[SubCase]) -> dict[str, int]:
    """How many of ``qs`` are red, yellow, neither, and in all (one query)."""
    found = qs.aggregate(
        red=Count("pk", filter=Q(warning=RED)),
        yellow=Count("pk", filter=Q(warning=YELLOW)),
        total=Count("pk"),
    )
    return {**found, "normal": found["total"] - found["red"] - found["yellow"]}


@dataclass(frozen=True)
class Light:
    level: str  # "red" | "yellow"
    name: str  # 红灯 | 黄灯
    badge: str  # the badge class that colours it
    words: str  # what the badge says: 黄灯：剩余1个工作日

    def __str__(self) -> str:
        return self.words


def _workdays(start: dt.date, end: dt.date, calendar) -> int | None:
    try:
        return deadlines.workdays_between(start, end, calendar)
    except CalendarMissing:
        return None


def light(sub: SubCase, today: dt.date, calendar=None) -> Light | None:
    """The sub-case's level with its words, or ``None`` (no warning, or decided/stopped)."""
    if sub.status in DECIDED_SUBCASE or sub.warning not in LEVELS:
        return None
    name, badge = LEVELS[sub.warning]
    due = sub.due_date
    if due is None:
        return Light(sub.warning, name, badge, f"{name}：{'已超期' if sub.warning == RED else '临近期限'}")
    if sub.warning == RED:
        # red from the midnight that ends the due date: working days after it, up to today
        late = _workdays(due, today, calendar)
        words = f"已超期{late}个工作日" if late else "已超过办结期限"
    else:
        # working days still to go, today included (the due date is the last of them)
        since = sub.paused_since if not sub.timed and sub.paused_since else today
        left = _workdays(since - dt.timedelta(days=1), due, calendar)
        if left is None:
            words = f"临近期限（{due:%Y-%m-%d}）"
        elif left <= 0:
            words = "今日到期"
        else:
            words = f"剩余{left}个工作日"
        if not sub.timed and sub.paused_since:
            words += "（暂停计时）"
    return Light(sub.warning, name, badge, f"{name}：{words}")


def with_lights(subs, today: dt.date, calendar=None) -> list[tuple[SubCase, Light | None]]:
    """``(sub-case, light)`` pairs for a page (the calendar read once)."""
    calendar = calendar if calendar is not None else get_calendar()
    return [(s, light(s, today, calendar)) for s in subs]


def application_light(app) -> Light | None:
    """The application's own level while it is being worked on (none once decided)."""
    if app.status not in RUNNING or app.warning not in LEVELS:
        return None
    name, badge = LEVELS[app.warning]
    words = "已超过承诺办结日期" if app.warning == RED else "临近承诺办结日期"
    return Light(app.warning, name, badge, f"{name}：{words}")
