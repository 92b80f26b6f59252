"""Every (state, event, role) of 12345's machines — 工单 ``hotline.ticket``, 延期申请
``hotline.extension``, 重复诉求整改 ``hotline.recurrence`` — through the engine, on real rows: a
legal firing lands on a declared target with exactly one audit record; anything else is refused
(403 for a role, 409 for a state or a guard) and changes nothing (``workflow.tests.table``).

Beside the table, the declaration itself is read as data: who may fire each event (the roles of
issue #16), which state leads where, that no state is unreachable or stuck, and that the
terminal states have no way out — the only way back from a finished ticket is the documented
one, an unsatisfied return visit reopening it (回访不满意 → 办理中).
"""

from __future__ import annotations

import dataclasses

import pytest
from django.utils import timezone

from onething.core.errors import status_of
from onething.hotline import access, machines, service
from onething.hotline.models import Extension, Recurrence, Ticket
from onething.hotline.tests.test_loop import SHICHANG, file, finished, handled, local, user
from onething.kernel.errors import NotPermitted
from onething.kernel.machine import NEW, SAME, UNDECLARED_TARGET
from onething.workflow.engine import IllegalTransition
from onething.workflow.tests.table import check_every_firing, guards_refusing_alone

pytestmark = pytest.mark.django_db

OPERATOR, HANDLER, SUPERVISOR, WINDOW, CALLER, SYSTEM = (
    machines.OPERATOR,
    machines.HANDLER,
    machines.SUPERVISOR,
    machines.WINDOW,
    machines.CALLER,
    machines.SYSTEM,
)
ROLES = (OPERATOR, HANDLER, SUPERVISOR, WINDOW, CALLER, SYSTEM)
MODELS = {machines.TICKET: Ticket, machines.EXTENSION: Extension, machines.RECURRENCE: Recurrence}
#: a context in which every guard of 12345 holds
PERMISSIVE = {"reason": "理由", "category": "consult", "rated": False, "department": SHICHANG}
SPOILERS = {
    "reason_given": {"reason": "  "},
    "consult": {"category": "complaint"},
    "not_rated": {"rated": True},
    "department_given": {"department": ""},
}

T, E, C = Ticket.Status, Extension.Status, Recurrence.Status

#: who may fire each event of a ticket (issue #16): the hotline centre takes calls, dispatches,
#: reviews, revisits and merges; the assigned department signs, returns, transfers, waits and
#: answers; 督查 and the centre supervise; only the caller rates; only the system finishes a
#: merged member with its primary
TICKET_ROLES = {
    "receive": {OPERATOR, WINDOW, CALLER, SYSTEM},
    "redirect": {OPERATOR, WINDOW},
    "resolve": {OPERATOR},
    "dispatch": {OPERATOR},
    "sign": {HANDLER},
    "return": {HANDLER},
    "accept_return": {OPERATOR},
    "reject_return": {OPERATOR},
    "reassign": {OPERATOR},
    "transfer": {HANDLER},  # 转派: the handling department sends it on (the centre is told)
    "wait": {HANDLER},
    "resume": {HANDLER, OPERATOR},
    "answer": {HANDLER},
    "send_back": {OPERATOR},
    "finish": {OPERATOR},
    "supervise": {OPERATOR, SUPERVISOR},
    "merge": {OPERATOR},
    "unmerge": {OPERATOR},
    "finish_merged": {SYSTEM},
    "revisit": {OPERATOR},
    "archive": {OPERATOR},
    "rate": {CALLER},
}

#: where each state leads (records-only events lead to the state itself)
TICKET_EDGES = {
    NEW: {T.RECEIVED, T.REDIRECTED},
    T.RECEIVED: {T.CLOSED, T.DISPATCHED, T.MERGED, T.RECEIVED},
    T.DISPATCHED: {T.HANDLING, T.RETURNED, T.DISPATCHED, T.MERGED},
    T.RETURNED: {T.RECEIVED, T.DISPATCHED, T.RETURNED},
    T.HANDLING: {T.DISPATCHED, T.WAITING, T.ANSWERED, T.MERGED, T.HANDLING},
    T.WAITING: {T.HANDLING, T.MERGED, T.WAITING},
    T.ANSWERED: {T.HANDLING, T.FINISHED, T.ANSWERED},
    T.MERGED: {T.RECEIVED, T.DISPATCHED, T.HANDLING, T.WAITING, T.FINISHED},
    T.FINISHED: {T.CLOSED, T.HANDLING, T.FINISHED},
    T.CLOSED: {T.CLOSED},  # a rating only
    T.REDIRECTED: set(),
}


def _row(machine):
    ticket = file("complaint", "2026-10-09 09:00")
    if machine is machines.TICKET:
        return ticket
    if machine is machines.EXTENSION:
        return Extension.objects.create(
            ticket=ticket,
            department_id=SHICHANG,
            days=2,
            reason="需现场核查",
            status=E.PENDING,
            requested_at=timezone.now(),
        )
    return Recurrence.objects.create(
        subject="department",
        key=f"machine-test-{ticket.pk}",
        name="市场监督管理局",
        region_id="430600",
        department_id=SHICHANG,
        count=3,
        window_days=30,
        tickets=[ticket.number],
        status=C.OPEN,
        opened_at=timezone.now(),
    )


@pytest.mark.parametrize("machine", list(MODELS), ids=lambda m: m.name)
def test_every_state_event_and_role(machine):
    check_every_firing(machine, MODELS[machine], _row(machine), ROLES, PERMISSIVE)


def _moving(machine):
    """The machine without its records-only events: ``guards_refusing_alone`` compares a
    firing's target with the declared ones, and a records-only event declares ``SAME``."""
    return dataclasses.replace(
        machine, events={n: e for n, e in machine.events.items() if not e.records_only}
    )


@pytest.mark.parametrize("machine", list(MODELS), ids=lambda m: m.name)
def test_each_guard_refuses_alone(machine):
    # ticket: resolve 2, dispatch 1, return 1, accept/reject_return 1+1, reassign 2, transfer 2,
    # wait 1, answer 1, send_back 1, unmerge 1, revisit 1, archive 1 (supervise, rate below)
    expected = {machines.TICKET: 16, machines.EXTENSION: 2, machines.RECURRENCE: 1}
    assert guards_refusing_alone(_moving(machine), PERMISSIVE, SPOILERS) == expected[machine]


@pytest.mark.parametrize(
    ("name", "state", "role", "guard"),
    [
        ("supervise", T.HANDLING, SUPERVISOR, "reason_given"),
        ("rate", T.CLOSED, CALLER, "not_rated"),
    ],
)
def test_the_guards_of_records_only_events_refuse_alone(name, state, role, guard):
    refusal = machines.TICKET.fire(state, name, {role}, context={**PERMISSIVE, **SPOILERS[guard]})
    assert refusal.guard == guard and refusal.message and "{" not in refusal.message
    assert list(machines.TICKET.events[name].guards) == [guard]
    for other, spoil in SPOILERS.items():
        if other != guard:
            fired = machines.TICKET.fire(state, name, {role}, context={**PERMISSIVE, **spoil})
            assert (fired.source, fired.target) == (state, state), other


def test_each_event_has_the_roles_the_issue_expects():
    declared = {name: set(e.roles) for name, e in machines.TICKET.events.items()}
    assert declared == TICKET_ROLES
    assert {n: set(e.roles) for n, e in machines.EXTENSION.events.items()} == {
        "request": {HANDLER},
        "approve": {OPERATOR},
        "refuse": {OPERATOR},
    }
    assert {n: set(e.roles) for n, e in machines.RECURRENCE.events.items()} == {
        "open": {SYSTEM},
        "fix": {HANDLER},
    }
    # every role has a Chinese name to be refused with
    for m in MODELS:
        assert set(m.role_names) == set(ROLES)


def test_each_state_leads_where_it_is_declared_to():
    assert {s: machines.TICKET.successors(s) for s in [NEW, *machines.TICKET.states]} == TICKET_EDGES
    assert {s: machines.EXTENSION.successors(s) for s in [NEW, *machines.EXTENSION.states]} == {
        NEW: {E.PENDING},
        E.PENDING: {E.APPROVED, E.REFUSED},
        E.APPROVED: set(),
        E.REFUSED: set(),
    }
    assert {s: machines.RECURRENCE.successors(s) for s in [NEW, *machines.RECURRENCE.states]} == {
        NEW: {C.OPEN},
        C.OPEN: {C.FIXED},
        C.FIXED: set(),
    }


def test_no_state_is_unreachable_or_stuck():
    for machine in MODELS:
        assert machine.reachable() == {NEW, *machine.states}, machine.name
        assert machine.stuck_states() == set(), machine.name


def test_terminal_states_have_no_way_out_but_a_rating():
    assert machines.TICKET.terminal == {T.CLOSED, T.REDIRECTED}
    assert machines.EXTENSION.terminal == {E.APPROVED, E.REFUSED}
    assert machines.RECURRENCE.terminal == {C.FIXED}
    for machine in MODELS:
        for state in machine.terminal:
            leaving = [e.name for e in machine.events_from(state)]
            assert all(machine.events[name].records_only for name in leaving), (machine.name, state)
            assert machine.reachable([state]) == {state}, (machine.name, state)
    assert [e.name for e in machines.TICKET.events_from(T.CLOSED)] == ["rate"]
    assert machines.TICKET.events_from(T.REDIRECTED) == []


def test_the_only_way_back_from_finished_is_an_unsatisfied_revisit():
    """办结 is final for the department unless the return visit finds the caller unsatisfied:
    ``revisit`` then reopens it (办理中); nothing else leads from finished or closed to work."""
    done = {T.FINISHED, T.CLOSED}
    back = [
        (state, e.name, target)
        for state in done
        for e in machines.TICKET.events_from(state)
        for target in machines.TICKET.targets_of(e, state)
        if target not in done
    ]
    assert back == [(T.FINISHED, "revisit", T.HANDLING)]
    assert set(machines.TICKET.events["revisit"].targets) == {T.CLOSED, T.HANDLING}
    refused = machines.TICKET.fire(T.FINISHED, "revisit", {OPERATOR}, target=T.DISPATCHED, context=PERMISSIVE)
    assert refused.reason == UNDECLARED_TARGET


def test_unmerge_returns_only_to_a_state_a_ticket_can_be_merged_from():
    assert set(machines.TICKET.events["merge"].sources) == set(machines.MERGEABLE)
    assert set(machines.TICKET.events["unmerge"].targets) == set(machines.MERGEABLE)
    for state in (T.ANSWERED, T.RETURNED, T.FINISHED):
        refused = machines.TICKET.fire(T.MERGED, "unmerge", {OPERATOR}, target=state, context=PERMISSIVE)
        assert refused.reason == UNDECLARED_TARGET, state
    # a merged member is worked through its primary: no stage event of its own
    assert machines.TICKET.allowed(T.MERGED, set(ROLES), PERMISSIVE) == ["unmerge", "finish_merged"]


def test_state_labels_are_the_models_choices():
    for machine, model in MODELS.items():
        assert machine.choices() == list(model._meta.get_field("status").choices)
    assert all(e.records_only is (e.targets == (SAME,)) for e in machines.TICKET.events.values())


# ------------------------------------------------------------------------------ through the service


def test_only_the_caller_rates_and_only_the_system_finishes_a_merged_member():
    t = finished(handled(file("complaint", "2026-10-09 09:00"), "2026-10-09 09:30"), "2026-10-09 15:00")
    for roles in ({OPERATOR}, {SUPERVISOR}, {HANDLER}, {SYSTEM}, {WINDOW}):
        with pytest.raises(NotPermitted) as refused:
            service.rate(t, user("jiexian"), roles=roles, score=5, now=local("2026-10-09 16:00"))
        assert status_of(refused.value) == 403
    assert Ticket.objects.get(pk=t.pk).score is None
    assert service.rate(t, None, roles={CALLER}, score=4, now=local("2026-10-09 16:00")).score == 4
    refused = machines.TICKET.fire(T.MERGED, "finish_merged", {OPERATOR}, context=PERMISSIVE)
    assert refused.reason == "not_your_role"


def test_a_handler_may_not_dispatch_and_an_operator_may_not_sign():
    t = file("complaint", "2026-10-09 09:00")
    handler = user("chengban_shichang")
    with pytest.raises(NotPermitted):
        service.dispatch(t, handler, roles={HANDLER}, department=SHICHANG, now=local("2026-10-09 09:10"))
    t = service.dispatch(
        t, user("jiexian"), roles={OPERATOR}, department=SHICHANG, now=local("2026-10-09 09:10")
    )
    with pytest.raises(NotPermitted):
        service.sign(t, user("jiexian"), roles={OPERATOR}, now=local("2026-10-09 09:20"))
    # the roles a person holds come from access: the operator is no handler of this ticket
    assert access.roles_for(user("jiexian"), t) == {OPERATOR}
    assert access.roles_for(handler, t) == {HANDLER}
    with pytest.raises(IllegalTransition):  # signed twice: a state refusal
        service.sign(
            service.sign(t, handler, roles={HANDLER}, now=local("2026-10-09 09:20")), handler, roles={HANDLER}
        )
