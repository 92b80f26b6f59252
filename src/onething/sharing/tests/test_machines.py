"""Every (state, event, role) of the data-sharing machines, through the engine: a legal firing
lands on its target with exactly one audit record; anything else is refused (403 for a role,
409 for a state or a guard) and changes nothing. Guards refuse one by one."""

from __future__ import annotations

import pytest
from django.db import transaction

from onething.audit.models import AuditRecord
from onething.core.errors import status_of
from onething.kernel.errors import DomainError
from onething.kernel.machine import NEW
from onething.sharing import machines
from onething.sharing.models import Dispute, Request
from onething.workflow import engine

ROLES = (machines.REQUESTER, machines.AUTHORITY, machines.PROVIDER, machines.RAISER, machines.SYSTEM)
MODELS = {machines.REQUEST: Request, machines.DISPUTE: Dispute}


def _context(event: str) -> dict:
    """A context in which the event's guards hold (grant needs an unconditional resource,
    check a conditional one; refusals need a reason)."""
    klass = "unconditional" if event == "grant" else "conditional"
    return {"sharing_class": klass, "reason": "理由"}


class _Rollback(Exception):
    pass


def _attempt(machine, state, name, role):
    obj = MODELS[machine]()
    obj.status = state if state != NEW else ""
    before = AuditRecord.objects.count()
    outcome = None
    try:
        with transaction.atomic():
            try:
                call = engine.create if state == NEW else engine.fire
                outcome = call(machine, obj, name, roles={role}, context=_context(name), subject=("t", "1"))
            except DomainError as exc:
                outcome = exc
            written = AuditRecord.objects.count() - before
            raise _Rollback
    except _Rollback:
        pass
    return outcome, obj.status, written


@pytest.mark.django_db
@pytest.mark.parametrize("machine", list(MODELS), ids=lambda m: m.name)
def test_every_state_event_and_role(machine):
    checked = 0
    for state in [NEW, *machine.states]:
        for e in machine.events.values():
            for role in ROLES:
                outcome, after, written = _attempt(machine, state, e.name, role)
                legal = state in e.sources and role in e.roles
                where = f"{machine.name} {state} --{e.name}/{role}"
                if legal:
                    assert not isinstance(outcome, Exception), where
                    assert outcome.target == e.targets[0] == after, where
                    assert written == 1, where
                else:
                    assert isinstance(outcome, DomainError), where
                    assert status_of(outcome) == (403 if role not in e.roles else 409), where
                    assert after == (state if state != NEW else ""), where
                    assert written == 0, where
                checked += 1
    assert checked == (len(machine.states) + 1) * len(machine.events) * len(ROLES)


@pytest.mark.parametrize("machine", list(MODELS), ids=lambda m: m.name)
def test_each_guard_refuses_alone(machine):
    spoilers = {
        "unconditional": {"sharing_class": "conditional"},
        "conditional": {"sharing_class": "unconditional"},
        "reason_given": {"reason": "  "},
    }
    guarded = 0
    for e in machine.events.values():
        for guard in e.guards:
            state = next(iter(e.sources))
            role = next(iter(e.roles))
            refusal = machine.fire(state, e.name, {role}, context={**_context(e.name), **spoilers[guard]})
            assert getattr(refusal, "guard", None) == guard, (machine.name, e.name, guard)
            assert refusal.message and "{" not in refusal.message
            guarded += 1
    assert guarded


def test_no_lifecycle_of_sharing_can_get_stuck():
    for machine in MODELS:
        assert machine.stuck_states() == set(), machine.name
        assert machine.reachable() >= set(machine.states), machine.name


def test_state_labels_are_the_models_choices():
    for machine, model in MODELS.items():
        assert machine.choices() == list(model._meta.get_field("status").choices)
