"""Who a window calls next: one pure, configurable ordering of the waiting tickets.

1. Appointments due now (their time, less ``grace``, has come) first, earliest time first.
2. Then priority tickets (老年人、残疾人 …) before normal ones, except that after ``fairness``
   priority calls in a row at the window a normal ticket is called (when one waits).
3. Within each group, by the time the ticket was taken (then by id, for a total order).

A ticket booked for later that arrives early waits as a normal ticket: it is never served
later than its time, nor ahead of people already waiting before its time.

:func:`pick` is what "call next" uses; :func:`after` the count of priority calls in a row it
leaves; :func:`sequence` the whole order; :func:`ahead` how many of it come before a ticket,
counted from the sizes of the groups (what the ticket page shows, without simulating).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class Waiting:
    id: int
    issued_at: dt.datetime
    priority: bool = False
    appointment_at: dt.datetime | None = None


@dataclass(frozen=True)
class Rule:
    fairness: int = 3
    grace: dt.timedelta = dt.timedelta(minutes=10)


def _due(ticket: Waiting, now: dt.datetime, rule: Rule) -> bool:
    return ticket.appointment_at is not None and ticket.appointment_at - rule.grace <= now


def pick(waiting: Iterable[Waiting], *, now: dt.datetime, run: int, rule: Rule = Rule()) -> Waiting | None:
    """The ticket to call, given ``run`` priority calls in a row at this window."""
    due, priority, normal = [], [], []
    for ticket in waiting:
        if _due(ticket, now, rule):
            due.append(ticket)
        elif ticket.priority:
            priority.append(ticket)
        else:
            normal.append(ticket)
    if due:
        return min(due, key=lambda t: (t.appointment_at, t.issued_at, t.id))
    first_priority = min(priority, key=lambda t: (t.issued_at, t.id), default=None)
    first_normal = min(normal, key=lambda t: (t.issued_at, t.id), default=None)
    if first_priority is not None and (first_normal is None or run < max(rule.fairness, 0)):
        return first_priority
    return first_normal


def after(run: int, called: Waiting, *, now: dt.datetime, rule: Rule = Rule()) -> int:
    """Priority calls in a row after calling ``called``: one more for a priority ticket, back to
    nought for a normal one; a due appointment leaves the count as it was."""
    if _due(called, now, rule):
        return run
    return run + 1 if called.priority else 0


def sequence(waiting: Iterable[Waiting], *, now: dt.datetime, run: int, rule: Rule = Rule()) -> list[Waiting]:
    """The order one window would call every waiting ticket in, if nobody else came."""
    rest = list(waiting)
    order = []
    while rest:
        chosen = pick(rest, now=now, run=run, rule=rule)
        order.append(chosen)
        run = after(run, chosen, now=now, rule=rule)
        rest.remove(chosen)
    return order


def ahead(*, priority: bool, earlier_same: int, others: int, run: int, rule: Rule = Rule()) -> int:
    """How many tickets one window calls before a ticket that is not a due appointment, when
    no appointment is due: ``earlier_same`` tickets of its own group (priority or normal) were
    taken before it, ``others`` of the other group wait. Equal to its index in :func:`sequence`
    (a property test checks it)."""
    n = max(rule.fairness, 0)
    free = max(n - run, 0)  # priority calls still allowed before the rule forces a normal one
    if not priority:
        return earlier_same + min(others, free + earlier_same * n)
    if n == 0:
        return earlier_same + others
    forced = 0 if earlier_same + 1 <= free else -(-(earlier_same + 1 - free) // n)
    return earlier_same + min(others, forced)
