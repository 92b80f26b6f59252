"""Every (state, event, role) of the queue's machines (window session, ticket, appointment),
through the engine, on real rows: a legal firing lands on a declared target with exactly one
audit record; anything else is refused (403 for a role, 409 for a state or a guard) and changes
nothing. Guards refuse one by one (``called_enough``, ``reason_given``), also through the queue
service functions."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from onething.accounts.models import User
from onething.audit.models import AuditRecord
from onething.core.errors import status_of
from onething.directory.models import Hall, Window
from onething.halls import machines, queue
from onething.halls.models import Appointment, Service, Slot, Ticket, WindowSession
from onething.workflow.engine import IllegalTransition
from onething.workflow.tests.table import check_every_firing, guards_refusing_alone

pytestmark = pytest.mark.django_db

ROLES = (machines.CLERK, machines.PERSON, machines.KIOSK, machines.ASSISTANT, machines.SYSTEM)
MODELS = {machines.SESSION: WindowSession, machines.TICKET: Ticket, machines.APPOINTMENT: Appointment}
#: a context in which every guard of the queue holds
PERMISSIVE = {"reason": "理由", "calls": 2, "no_show_calls": 2}
SPOILERS = {"reason_given": {"reason": "  "}, "called_enough": {"calls": 1}}


def _hall() -> Hall:
    return Hall.objects.get(code="yueyang-city-hall")


def _appointment() -> Appointment:
    hall, service = _hall(), Service.objects.get(code="zonghe")
    start = timezone.now().replace(microsecond=0) + dt.timedelta(days=3)
    slot = Slot.objects.create(
        hall=hall, service=service, start=start, end=start + dt.timedelta(minutes=30), capacity=4
    )
    return Appointment.objects.create(
        code="TEST0001",
        person=User.objects.get(username="zhangsan"),
        hall=hall,
        service=service,
        slot=slot,
        start=slot.start,
        end=slot.end,
        status=Appointment.Status.BOOKED,
        created_at=timezone.now(),
    )


def _row(machine):
    if machine is machines.SESSION:
        return WindowSession.objects.get(window__code="yy-1", status__in=WindowSession.OPEN)
    if machine is machines.TICKET:
        return queue.issue(User.objects.get(username="quhao"), _hall(), "zonghe")
    return _appointment()


@pytest.mark.parametrize("machine", list(MODELS), ids=lambda m: m.name)
def test_every_state_event_and_role(machine):
    check_every_firing(machine, MODELS[machine], _row(machine), ROLES, PERMISSIVE)


@pytest.mark.parametrize("machine", list(MODELS), ids=lambda m: m.name)
def test_each_guard_refuses_alone(machine):
    expected = {machines.SESSION: 1, machines.TICKET: 2, machines.APPOINTMENT: 2}
    assert guards_refusing_alone(machine, PERMISSIVE, SPOILERS) == expected[machine]


def test_no_lifecycle_of_the_queue_can_get_stuck():
    for machine in MODELS:
        assert machine.stuck_states() == set(), machine.name
        assert machine.reachable() >= set(machine.states), machine.name


def test_state_labels_are_the_models_choices():
    for machine, model in MODELS.items():
        assert machine.choices() == list(model._meta.get_field("status").choices)


# ------------------------------------------------------------------------------ through the queue


def test_no_show_before_enough_calls_is_refused_by_its_guard_and_changes_nothing():
    clerk, window = User.objects.get(username="chuangkou"), Window.objects.get(code="yy-1")
    ticket = queue.issue(User.objects.get(username="quhao"), _hall(), "zonghe")
    queue.call_next(clerk, window)
    before = AuditRecord.objects.count()
    with pytest.raises(IllegalTransition) as refused:  # one call; the policy wants two
        queue.no_show(clerk, ticket.pk)
    assert refused.value.extra["guard"] == "called_enough" and status_of(refused.value) == 409
    fresh = Ticket.objects.get(pk=ticket.pk)
    assert fresh.status == Ticket.Status.CALLED and fresh.finished_at is None
    assert AuditRecord.objects.count() == before
    queue.recall(clerk, ticket.pk)
    assert queue.no_show(clerk, ticket.pk).status == Ticket.Status.NO_SHOW


def test_pause_and_transfer_without_a_reason_are_refused_by_their_guard():
    clerk, window = User.objects.get(username="chuangkou"), Window.objects.get(code="yy-1")
    ticket = queue.issue(User.objects.get(username="quhao"), _hall(), "zonghe")
    queue.call_next(clerk, window)
    before = AuditRecord.objects.count()
    for reason in ("", "   "):
        with pytest.raises(IllegalTransition) as refused:
            queue.transfer(clerk, ticket.pk, reason=reason, window_code="yy-2")
        assert refused.value.extra["guard"] == "reason_given"
        with pytest.raises(IllegalTransition) as refused:
            queue.pause(clerk, reason)
        assert refused.value.extra["guard"] == "reason_given"
    assert Ticket.objects.get(pk=ticket.pk).status == Ticket.Status.CALLED
    assert (
        WindowSession.objects.get(window=window, clerk=clerk, status__in=WindowSession.OPEN).status
        == "active"
    )
    assert AuditRecord.objects.count() == before
