"""Properties of the queue's pure ordering (:mod:`onething.kernel.queueing`), by Hypothesis.

Tickets are drawn with ties in their times (the id breaks them), some priority, some booked
(due now or later); the starting count of priority calls in a row (``run``) and the fairness
limit ``N`` vary. Write ``k`` for the normal tickets taken before a normal ticket ``t``, ``p``
for the priority tickets taken before a priority ticket ``t``, ``P`` and ``M`` for all the
priority and normal tickets waiting, and ``b = max(N - run, 0)`` for the priority calls the
window may still make before the fairness rule calls a normal one. With no appointment due,
what :func:`sequence` calls before ``t`` is exactly

- normal ``t``: its ``k`` normals and ``min(P, b + k·N)`` priority ones — at most ``k + (k+1)·N``
  from ``run = 0`` (N priority calls before each of the ``k + 1`` normal calls up to ``t``);
- priority ``t``: its ``p`` priority tickets and ``min(M, f)`` normal ones, ``f = 0`` when
  ``p + 1 ≤ b`` else ``⌈(p + 1 − b) / N⌉`` (one normal per ``N`` priority calls) — at most
  ``p + ⌊p / N⌋`` from ``run = 0``.
"""

from __future__ import annotations

import datetime as dt
import math

from hypothesis import given, settings
from hypothesis import strategies as st

from onething.kernel.queueing import Rule, Waiting, after, ahead, pick, sequence

NOW = dt.datetime(2026, 3, 2, 10, 0, tzinfo=dt.timezone(dt.timedelta(hours=8)))
GRACE = dt.timedelta(minutes=10)


def _key(t: Waiting) -> tuple:
    return (t.issued_at, t.id)


@st.composite
def queues(draw, *, booked: bool = True, min_size: int = 0, max_size: int = 20):
    """A list of waiting tickets with distinct ids; times on a coarse grid so that ties occur."""
    size = draw(st.integers(min_size, max_size))
    ids = draw(st.lists(st.integers(1, 10_000), min_size=size, max_size=size, unique=True))
    out = []
    for pk in ids:
        issued = NOW - dt.timedelta(minutes=draw(st.integers(0, 40)))
        appointment = None
        if booked and draw(st.integers(0, 4)) == 0:  # one in five booked, due or not
            appointment = NOW + dt.timedelta(minutes=draw(st.integers(-30, 30)))
        out.append(Waiting(id=pk, issued_at=issued, priority=draw(st.booleans()), appointment_at=appointment))
    return out


rules = st.builds(Rule, fairness=st.integers(1, 5), grace=st.just(GRACE))
runs = st.integers(0, 8)


def _due(t: Waiting, rule: Rule) -> bool:
    return t.appointment_at is not None and t.appointment_at - rule.grace <= NOW


def _split(waiting, rule):
    due = [t for t in waiting if _due(t, rule)]
    rest = [t for t in waiting if not _due(t, rule)]
    return due, [t for t in rest if t.priority], [t for t in rest if not t.priority]


# ---------------------------------------------------------------------------------- pick


@settings(max_examples=120)
@given(queues(), runs, rules)
def test_pick_returns_none_only_when_nobody_waits_and_else_one_of_them(waiting, run, rule):
    chosen = pick(waiting, now=NOW, run=run, rule=rule)
    assert (chosen is None) == (not waiting)
    if waiting:
        assert chosen in waiting


@settings(max_examples=120)
@given(queues(), runs, rules)
def test_pick_calls_the_earliest_due_appointment_first(waiting, run, rule):
    due, priority, normal = _split(waiting, rule)
    chosen = pick(waiting, now=NOW, run=run, rule=rule)
    if due:
        assert chosen == min(due, key=lambda t: (t.appointment_at, *_key(t)))
    elif chosen is not None:  # else the head of its own group, and the group the rule says
        group = priority if chosen.priority else normal
        assert chosen == min(group, key=_key)
        wants_priority = bool(priority) and (not normal or run < rule.fairness)
        assert chosen.priority == wants_priority


@settings(max_examples=100)
@given(queues(), runs)
def test_without_fairness_priority_waits_for_every_normal_ticket(waiting, run):
    rule = Rule(fairness=0, grace=GRACE)
    due, priority, normal = _split(waiting, rule)
    order = sequence(waiting, now=NOW, run=run, rule=rule)
    rest = order[len(due) :]
    assert rest == sorted(normal, key=_key) + sorted(priority, key=_key)


# ---------------------------------------------------------------------------------- after


@settings(max_examples=120)
@given(queues(min_size=1, max_size=1), runs, rules)
def test_after_resets_on_normal_counts_priority_and_ignores_due(one, run, rule):
    (ticket,) = one
    expected = run if _due(ticket, rule) else run + 1 if ticket.priority else 0
    assert after(run, ticket, now=NOW, rule=rule) == expected


# ---------------------------------------------------------------------------------- sequence


@settings(max_examples=120)
@given(queues(), runs, rules)
def test_sequence_is_a_permutation_and_each_step_is_pick(waiting, run, rule):
    order = sequence(waiting, now=NOW, run=run, rule=rule)
    assert sorted(t.id for t in order) == sorted(t.id for t in waiting)
    rest, count = list(waiting), run
    for chosen in order:  # sequence is pick and after, again and again
        assert chosen == pick(rest, now=NOW, run=count, rule=rule)
        count = after(count, chosen, now=NOW, rule=rule)
        rest.remove(chosen)


@settings(max_examples=120)
@given(queues(), runs, rules)
def test_due_appointments_first_then_the_rest_as_if_they_were_not_there(waiting, run, rule):
    due, priority, normal = _split(waiting, rule)
    order = sequence(waiting, now=NOW, run=run, rule=rule)
    assert order[: len(due)] == sorted(due, key=lambda t: (t.appointment_at, *_key(t)))
    # due calls leave the priority count alone: the rest is ordered as from the same run
    assert order[len(due) :] == sequence(priority + normal, now=NOW, run=run, rule=rule)


@settings(max_examples=120)
@given(queues(), runs, rules)
def test_first_in_first_out_within_priority_and_within_normal(waiting, run, rule):
    _due_now, priority, normal = _split(waiting, rule)
    order = sequence(waiting, now=NOW, run=run, rule=rule)
    assert [t for t in order if t in priority] == sorted(priority, key=_key)
    assert [t for t in order if t in normal] == sorted(normal, key=_key)


@settings(max_examples=120)
@given(queues(), runs, rules)
def test_never_more_than_n_priority_calls_in_a_row_while_a_normal_ticket_waits(waiting, run, rule):
    due = _split(waiting, rule)[0]
    order = sequence(waiting, now=NOW, run=run, rule=rule)[len(due) :]
    # counting the calls before this sequence (``run``) when it is within the limit
    in_a_row = min(run, rule.fairness)
    for i, chosen in enumerate(order):
        normal_waits = any(not t.priority for t in order[i:])
        if chosen.priority:
            in_a_row += 1
            if normal_waits:
                assert in_a_row <= rule.fairness, (i, in_a_row)
        else:
            in_a_row = 0


def _priority_limit(p: int, run: int, n: int) -> int:
    """Normal calls the fairness rule makes before the (p+1)-th priority call (enough normals)."""
    b = max(n - run, 0)
    return 0 if p + 1 <= b else math.ceil((p + 1 - b) / n)


@settings(max_examples=120)
@given(queues(booked=False), runs, rules)
def test_how_long_a_ticket_can_be_passed_over(waiting, run, rule):
    n = rule.fairness
    order = sequence(waiting, now=NOW, run=run, rule=rule)
    priority = sorted((t for t in waiting if t.priority), key=_key)
    normal = sorted((t for t in waiting if not t.priority), key=_key)
    big_p, big_m, b = len(priority), len(normal), max(n - run, 0)
    for k, ticket in enumerate(normal):
        before = order.index(ticket)
        assert before == k + min(big_p, b + k * n), (k, before)
        assert before <= k + (k + 1) * n
    for p, ticket in enumerate(priority):
        before = order.index(ticket)
        assert before == p + min(big_m, _priority_limit(p, run, n)), (p, before)
        if run == 0:
            assert before <= p + p // n


@settings(max_examples=50)
@given(st.integers(0, 6), st.integers(1, 5))
def test_the_normal_bound_is_reached_when_priority_tickets_keep_coming(k, n):
    """The bound is tight: with (k+1)·N earlier priority tickets, the k-th normal waits for all."""
    normal = [Waiting(id=i, issued_at=NOW - dt.timedelta(minutes=1)) for i in range(k + 1)]
    priority = [
        Waiting(id=100 + i, issued_at=NOW, priority=True) for i in range((k + 1) * n + 3)
    ]  # taken later than every normal ticket, and still called first, N at a time
    order = sequence(normal + priority, now=NOW, run=0, rule=Rule(fairness=n, grace=GRACE))
    assert order.index(normal[k]) == k + (k + 1) * n


@settings(max_examples=150)
@given(queues(), runs, st.builds(Rule, fairness=st.integers(0, 5), grace=st.just(GRACE)), st.data())
def test_ahead_counts_what_sequence_calls_before_a_ticket(waiting, run, rule, data):
    """The ticket page's count (``ahead``, from group sizes) is the ticket's place in the order."""
    _due, priority, normal = _split(waiting, rule)
    if not priority and not normal:
        return
    order = sequence(priority + normal, now=NOW, run=run, rule=rule)  # no appointment due
    ticket = data.draw(st.sampled_from(priority + normal))
    own = priority if ticket.priority else normal
    earlier = sum(1 for t in own if _key(t) < _key(ticket))
    counted = ahead(
        priority=ticket.priority,
        earlier_same=earlier,
        others=len(normal if ticket.priority else priority),
        run=run,
        rule=rule,
    )
    assert counted == order.index(ticket)
