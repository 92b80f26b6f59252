"""The clocks of a 12345 ticket on the platform's clocks (rules of each in ``rules``).

``dispatch`` (natural hours), ``sign``, ``finish`` and ``revisit`` (working days on the
official calendar with 调休, from the local date in Asia/Shanghai, that day not counted), plus
``merged`` on a ticket that others were merged into: a copy of the earliest member's
``finish`` clock when that is due before the ticket's own (``rules`` explains why ``finish``
never restarts). :func:`project` writes the running clocks' due moments and the highest
warning onto the row for the queues.

Yellow tells whoever holds the stage (the assigned department's handlers; the hotline centre
for dispatch and revisit); red tells them again and escalates to the region's supervisors.
Either writes a :class:`~onething.hotline.models.Card` for the department holding the ticket
(none: the centre) — the red/yellow card ledger. A member waiting ``merged`` is carried by its
primary's ``merged`` clock and gets no card of its own for ``finish``.
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone

from onething.accounts.models import User
from onething.clocks import registry
from onething.clocks import service as clocks
from onething.clocks.models import Clock
from onething.hotline import access, rules
from onething.hotline.models import Card, Ticket
from onething.notifications.service import notify_group

KIND = "hotline.ticket"
NAMES = (rules.DISPATCH, rules.SIGN, rules.FINISH, rules.REVISIT, rules.MERGED)
RANK = {"": 0, "yellow": 1, "red": 2}
#: the states in which the assigned department holds the ticket
HELD = (Ticket.Status.DISPATCHED, Ticket.Status.RETURNED, Ticket.Status.HANDLING, Ticket.Status.WAITING)


def owner(ticket: Ticket) -> tuple[str, str]:
    return (KIND, str(ticket.pk))


def due_date(due_at: dt.datetime) -> dt.date:
    """The last day of a working-day clock (due at the midnight that ends it)."""
    return timezone.localdate(due_at - dt.timedelta(days=1))


def policy(ticket: Ticket, name: str) -> str:
    if name == rules.FINISH:
        return rules.finish_policy(ticket.category, ticket.complexity)
    return rules.policy_code(name)


def start(ticket: Ticket, name: str, at: dt.datetime) -> Clock:
    """Start (or restart) clock ``name`` of ``ticket`` at ``at`` under its policy for the
    ticket's region. A calendar year not loaded raises ``CalendarMissing`` (409)."""
    return clocks.start(owner(ticket), name, policy(ticket, name), at, ticket.region_id)


def start_intake(ticket: Ticket) -> None:
    """The clocks that run from the moment the call was taken: dispatch and finish."""
    clocks.start_many(
        [
            clocks.Start(owner(ticket), rules.DISPATCH, policy(ticket, rules.DISPATCH), ticket.region_id),
            clocks.Start(owner(ticket), rules.FINISH, policy(ticket, rules.FINISH), ticket.region_id),
        ],
        ticket.received_at,
    )


def stop(ticket: Ticket, name: str, at: dt.datetime) -> bool | None:
    """Stop a running clock; whether it stopped by its due moment (None: it was not running)."""
    clock = clocks.get(owner(ticket), name)
    if clock is None or clock.stopped_at is not None:
        return None
    on_time = at < clock.due_at
    clocks.stop(owner(ticket), name, at)
    return on_time


def pause(ticket: Ticket, at: dt.datetime) -> None:
    clocks.pause(owner(ticket), rules.FINISH, at)


def resume(ticket: Ticket, at: dt.datetime) -> None:
    clocks.resume(owner(ticket), rules.FINISH, at)


def extend(ticket: Ticket, days: int, at: dt.datetime) -> None:
    clocks.extend(owner(ticket), rules.FINISH, days, at)


def group_finish(primary: Ticket, members: list[Ticket], at: dt.datetime) -> None:
    """The merged ticket is due when its earliest member is: its ``merged`` clock copies the
    earliest member ``finish`` clock due before its own, or stops when none is."""
    own = clocks.get(owner(primary), rules.FINISH)
    earliest = None
    for member in members:
        clock = clocks.get(owner(member), rules.FINISH)
        if clock is None or clock.stopped_at is not None:
            continue
        if earliest is None or clock.due_at < earliest.due_at:
            earliest = clock
    if earliest is not None and (own is None or earliest.due_at < own.due_at):
        clocks.adopt(owner(primary), rules.MERGED, earliest, at)
    else:
        stop(primary, rules.MERGED, at)


def project(ticket: Ticket, known: list[Clock] | None = None) -> None:
    """Copy the running clocks' due moments and the highest warning onto the row (the caller
    saves it); the 办结时限 stays once the finish clock has stopped."""
    found = {c.name: c for c in (known if known is not None else clocks.clocks_of(owner(ticket)))}

    def running(name):
        clock = found.get(name)
        return clock if clock is not None and clock.stopped_at is None else None

    dispatch, sign, finish, revisit, merged = (running(n) for n in NAMES)
    ticket.dispatch_due = dispatch.due_at if dispatch else None
    ticket.sign_due = due_date(sign.due_at) if sign else None
    # the 办结时限 stays on the row once the ticket is done (the ledger and the caller's page
    # show whether it was met); a running ``merged`` copy can only bring it forward
    kept = found.get(rules.FINISH)
    finishes = [c.due_at for c in (kept, merged) if c is not None and c.due_at is not None]
    ticket.finish_due = due_date(min(finishes)) if finishes else None
    ticket.revisit_due = due_date(revisit.due_at) if revisit else None
    levels = [c.warning for c in (dispatch, sign, finish, revisit, merged) if c is not None]
    ticket.warning = max(levels, key=lambda level: RANK.get(level, 0), default="")


# ------------------------------------------------------------------------------ warnings


def _holder(ticket: Ticket, name: str) -> str | None:
    """The department a card of ``name`` is for: the assigned one for sign/finish; the
    hotline centre (None) for dispatch and revisit, and while the ticket is back with it."""
    if name in (rules.DISPATCH, rules.REVISIT):
        return None
    if ticket.status in HELD:
        return ticket.assigned_id
    return None


#: crossings handled per transaction by the scan's callback (one lock, one clock read, one
#: card insert per batch)
WARN_BATCH = 500


def _crossed(mark, level: str, clock: Clock | None) -> dt.datetime:
    """When the clock turned ``level``: its due moment for red, its yellow moment for yellow
    (a scan that runs late dates the card by the crossing, not by the scan)."""
    if level == "red":
        return mark.due_at
    if clock is not None and clock.yellow_at is not None:
        return min(clock.yellow_at, timezone.now())
    return timezone.now()


def _warn(marks, level: str) -> None:
    for start in range(0, len(marks), WARN_BATCH):
        _warn_batch(marks[start : start + WARN_BATCH], level)


def _warn_batch(marks, level: str) -> None:
    """Card and tell a batch of crossings: the tickets locked in key order, their clocks read
    once, the warnings projected, one card per crossing (a crossing told twice writes none)."""
    label = "黄牌" if level == "yellow" else "红牌"
    ids = sorted({int(m.owner_id) for m in marks})
    people_of: dict[tuple, list[int]] = {}

    def people(key: tuple, queryset) -> list[int]:
        if key not in people_of:
            people_of[key] = list(queryset.values_list("pk", flat=True))
        return people_of[key]

    with transaction.atomic():
        tickets = {
            t.pk: t
            for t in Ticket.objects.select_for_update(of=("self",))
            .select_related("region")
            .filter(pk__in=ids)
            .order_by("pk")
        }
        known = clocks.clocks_of_many(KIND, tickets)
        told = set(
            Card.objects.filter(ticket_id__in=ids, level=level).values_list("ticket_id", "clock", "due_at")
        )
        cards, messages, warnings = [], [], {}
        for mark in marks:
            ticket = tickets.get(int(mark.owner_id))
            if ticket is None or (ticket.status == Ticket.Status.MERGED and mark.name == rules.FINISH):
                continue
            own = known.get(str(ticket.pk), [])
            project(ticket, own)
            warnings[ticket.pk] = ticket.warning
            if (ticket.pk, mark.name, mark.due_at) in told:  # the same crossing told twice
                continue
            told.add((ticket.pk, mark.name, mark.due_at))
            department = _holder(ticket, mark.name)
            clock = next((c for c in own if c.name == mark.name), None)
            cards.append(
                Card(
                    ticket=ticket,
                    clock=mark.name,
                    level=level,
                    department_id=department,
                    region_id=ticket.region_id,
                    category=ticket.category,
                    due_at=mark.due_at,
                    at=_crossed(mark, level, clock),
                )
            )
            stage = rules.CLOCK_LABELS[mark.name]
            if mark.name == rules.DISPATCH:
                when = timezone.localtime(mark.due_at).strftime("%Y-%m-%d %H:%M")
            else:
                when = due_date(mark.due_at).isoformat()
            told_to: set[int] = set()
            if "owner" in mark.audience:
                told_to.update(
                    people(("handlers", department), access.handlers(department))
                    if department
                    else people(("operators", ticket.region_id), access.operators(ticket.region))
                )
            if level == "red" and "supervisor" in mark.audience:
                told_to.update(people(("supervisors", ticket.region_id), access.supervisors(ticket.region)))
            title = f"12345工单 {ticket.number}{label}：{stage}时限 {when}"
            messages.append((sorted(told_to), title, f"/hotline/tickets/{ticket.number}/"))
        by_level: dict[str, list[int]] = {}
        for pk, warning in warnings.items():
            by_level.setdefault(warning, []).append(pk)
        for warning, pks in by_level.items():
            Ticket.objects.filter(pk__in=pks).update(warning=warning)
        # a concurrent scan telling the same crossing: its card stands, this one is skipped
        Card.objects.bulk_create(cards, ignore_conflicts=True)
        for recipients, title, link in messages:
            notify_group(User.objects.filter(pk__in=recipients), f"hotline.{level}", title, "", link)


def register_clocks() -> None:
    registry.register(
        KIND,
        on_yellow=lambda marks: _warn(marks, "yellow"),
        on_red=lambda marks: _warn(marks, "red"),
    )
