"""Every (machine, state, event, role) of cases, through the engine: a legal firing lands on a
declared target with exactly one audit record; an illegal one is refused (409 or 403) and
changes nothing. Guards are checked one by one the same way."""

from __future__ import annotations

import pytest
from django.db import transaction

from onething.audit.models import AuditRecord
from onething.cases import machines
from onething.cases.access import APPLICANT, APPROVER, CLERK, SUPERVISOR, SYSTEM
from onething.cases.models import Application, Draft, Extension, Inspection, PostCheck, SubCase
from onething.core.errors import status_of
from onething.kernel.errors import DomainError
from onething.kernel.machine import NEW, SAME
from onething.workflow import engine

ROLES = (APPLICANT, CLERK, APPROVER, SUPERVISOR, SYSTEM)

#: a context in which every guard of cases holds
PERMISSIVE = {
    "application_status": "in_review",
    "subcase_status": "in_review",
    "decision": "approved",
    "inspection": None,
    "pending_extension": False,
    "needs_inspection": True,
}

MODELS = {
    machines.APPLICATION: Application,
    machines.SUBCASE: SubCase,
    machines.EXTENSION: Extension,
    machines.POST_CHECK: PostCheck,
    machines.INSPECTION: Inspection,
    machines.DRAFT: Draft,
}


class _Rollback(Exception):
    pass


def _attempt(machine, state, name, role, target):
    """Fire on an unsaved object in ``state``; (outcome, state after, audit records written)."""
    obj = MODELS[machine]()
    obj.status = state if state != NEW else ""
    before = AuditRecord.objects.count()
    outcome = None
    try:
        with transaction.atomic():
            try:
                if state == NEW:
                    outcome = engine.create(
                        machine,
                        obj,
                        name,
                        roles={role},
                        target=target,
                        context=PERMISSIVE,
                        subject=("t", "1"),
                    )
                else:
                    outcome = engine.fire(
                        machine,
                        obj,
                        name,
                        roles={role},
                        target=target,
                        context=PERMISSIVE,
                        subject=("t", "1"),
                    )
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
            targets = [t for t in e.targets if t != SAME] or [None]
            for role in ROLES:
                for target in targets:
                    outcome, after, written = _attempt(machine, state, e.name, role, target)
                    legal = state in e.sources and role in e.roles
                    where = f"{machine.name} {state} --{e.name}/{role}→ {target}"
                    if legal:
                        assert not isinstance(outcome, Exception), where
                        expected = state if e.records_only else target
                        assert outcome.target == expected and after == expected, where
                        assert written == 1, where
                        assert outcome.audit_event == (e.audit or f"{machine.audit_kind}.{e.name}")
                    else:
                        assert isinstance(outcome, DomainError), where
                        assert status_of(outcome) == (403 if role not in e.roles else 409), where
                        assert after == (state if state != NEW else ""), where
                        assert written == 0, where
                    checked += 1
    assert checked > len(machine.events)


@pytest.mark.django_db
@pytest.mark.parametrize("machine", list(MODELS), ids=lambda m: m.name)
def test_each_guard_refuses_alone(machine):
    spoilers = {
        "application_running": {"application_status": "correction"},
        "inspection_done": {"inspection": "missing"},
        "inspection_not_failed": {"inspection": "failed"},
        "subcase_open": {"subcase_status": "waiting"},
        "subcase_undecided": {"subcase_status": "approved"},
        "nothing_pending": {"pending_extension": True},
        "needs_inspection": {"needs_inspection": False},
    }
    for e in machine.events.values():
        for guard in e.guards:
            state = next(iter(e.sources))
            role = next(iter(e.roles))
            target = next(t for t in e.targets if t != SAME) if e.targets != (SAME,) else None
            context = {**PERMISSIVE, **spoilers[guard]}
            refusal = machine.fire(state, e.name, {role}, target=target, context=context)
            assert getattr(refusal, "guard", None) == guard, (machine.name, e.name, guard)
            assert "{" not in refusal.message and refusal.message


def test_no_lifecycle_of_cases_can_get_stuck():
    for machine in MODELS:
        assert machine.stuck_states() == set(), machine.name
        assert machine.reachable() >= set(machine.states), machine.name


def test_state_labels_are_the_models_choices():
    for machine, model in MODELS.items():
        assert machine.choices() == list(model._meta.get_field("status").choices)
