"""The queue at the same instant, on PostgreSQL, each thread on its own connection.

``queue.call_next`` locks the clerk's window session, then the hall's day counters of the
services the window serves (in id order), then reads who waits: two windows calling at once
queue on the counters, so neither can call a ticket the other just called; one clerk pressing
twice queues on the session, and the second press finds the called ticket (409). ``queue.issue``
locks the day counter (created on the day's first number by ``get_or_create``), so numbers are
distinct and consecutive.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Callable

import pytest
from django.utils import timezone
from tests.plugins.concurrency import together

from onething.accounts.models import User
from onething.audit.models import AuditRecord
from onething.directory.models import Hall, Window
from onething.halls import queue
from onething.halls.models import QueueDay, Ticket
from onething.kernel.errors import Conflict

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(
        not os.environ.get("DATABASE_URL", "").startswith("postgres"),
        reason="real concurrency needs PostgreSQL (SQLite serialises writers)",
    ),
]

HALL = "yueyang-city-hall"
WAITING, ROUNDS, ISSUERS, EACH = 30, 8, 4, 10


def _issue(n: int) -> list[Ticket]:
    kiosk, hall = User.objects.get(username="quhao"), Hall.objects.get(code=HALL)
    return [queue.issue(kiosk, hall, "zonghe") for _ in range(n)]


@pytest.mark.django_db(transaction=True)
def test_two_windows_calling_at_once_never_call_a_ticket_twice():
    issued = {t.pk for t in _issue(WAITING)}

    def desk(username: str, window_code: str) -> Callable[[], list[int]]:
        def work() -> list[int]:
            clerk, window = User.objects.get(username=username), Window.objects.get(code=window_code)
            called = []
            while (ticket := queue.call_next(clerk, window)) is not None:
                called.append(ticket.pk)
                queue.finish(clerk, ticket.pk)
            return called

        return work

    outcomes = together([desk("chuangkou", "yy-1"), desk("chuangkou2", "yy-2")])
    errors = [o for o in outcomes if isinstance(o, BaseException)]
    assert not errors, errors
    called = [pk for batch in outcomes for pk in batch]
    assert sorted(called) == sorted(issued)  # each once, none twice
    assert all(outcomes), outcomes  # (both windows called; which ones is up to the scheduler)
    tickets = Ticket.objects.filter(pk__in=issued)
    assert {t.status for t in tickets} == {Ticket.Status.DONE}
    assert all(t.calls == 1 for t in tickets)
    for username, batch in zip(("chuangkou", "chuangkou2"), outcomes, strict=True):
        assert set(tickets.filter(clerk__username=username).values_list("pk", flat=True)) == set(batch)
    calls = AuditRecord.objects.filter(action="queue_ticket.call").values_list("object_id", flat=True)
    numbers = Counter(calls)
    assert sorted(numbers) == sorted(t.number for t in tickets) and set(numbers.values()) == {1}


@pytest.mark.django_db(transaction=True)
def test_one_clerk_pressing_call_next_twice_at_once_gets_one_ticket_and_a_409():
    _issue(ROUNDS + 1)
    clerk, window = User.objects.get(username="chuangkou"), Window.objects.get(code="yy-1")
    for _ in range(ROUNDS):
        outcomes = together([lambda: queue.call_next(clerk, window)] * 2)
        got = [o for o in outcomes if isinstance(o, Ticket)]
        refused = [o for o in outcomes if isinstance(o, Conflict)]
        assert len(got) == 1 and len(refused) == 1, outcomes
        assert refused[0].field == "ticket" and "已呼叫未办结" in str(refused[0])
        held = Ticket.objects.filter(clerk=clerk, status=Ticket.Status.CALLED)
        assert list(held.values_list("pk", flat=True)) == [got[0].pk]
        queue.finish(clerk, got[0].pk)
    assert Ticket.objects.filter(clerk=clerk, status=Ticket.Status.DONE).count() == ROUNDS
    assert Ticket.objects.filter(status=Ticket.Status.WAITING).count() == 1


@pytest.mark.django_db(transaction=True)
def test_simultaneous_issues_at_a_kiosk_get_distinct_consecutive_numbers():
    day = timezone.localdate()
    # the day's counter does not exist yet: the threads race to create it too
    assert not QueueDay.objects.filter(hall_id=HALL, service_id="zonghe", day=day).exists()
    outcomes = together([lambda: _issue(EACH)] * ISSUERS)
    errors = [o for o in outcomes if isinstance(o, BaseException)]
    assert not errors, errors
    numbers = sorted(t.number for batch in outcomes for t in batch)
    assert numbers == [f"A{n:03d}" for n in range(1, ISSUERS * EACH + 1)]
    stored = Ticket.objects.filter(hall_id=HALL, day=day, service_id="zonghe")
    assert sorted(stored.values_list("number", flat=True)) == numbers
    assert QueueDay.objects.get(hall_id=HALL, service_id="zonghe", day=day).last == ISSUERS * EACH
    assert AuditRecord.objects.filter(action="queue_ticket.issue").count() == ISSUERS * EACH
