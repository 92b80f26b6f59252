"""The machine table, shared by every app's machine tests: every (state, event, role, declared
target) fired through the engine on a real row, each attempt rolled back.

A legal firing lands on its declared target (the state itself for an event that only records)
with exactly one audit record; anything else is refused — 403 for a role, 409 for a state — and
changes nothing, in memory or stored, and writes no record.
"""

from __future__ import annotations

from django.db import transaction

from onething.audit.models import AuditRecord
from onething.core.errors import status_of
from onething.kernel.errors import DomainError, NotPermitted
from onething.kernel.machine import NEW, SAME
from onething.workflow import engine
from onething.workflow.engine import IllegalTransition


class _Rollback(Exception):
    pass


def attempt(machine, model, row, state, name, role, target, context):
    """Fire on ``row`` put into ``state`` (an unsaved object for ``NEW``), then roll back:
    (outcome, state in memory, state stored, audit actions written)."""
    before = AuditRecord.objects.count()
    outcome = stored = None
    try:
        with transaction.atomic():
            if state == NEW:
                obj = model()
                obj.status = ""
            else:
                model.objects.filter(pk=row.pk).update(status=state)
                obj = model.objects.get(pk=row.pk)
            try:
                call = engine.create if state == NEW else engine.fire
                outcome = call(
                    machine, obj, name, roles={role}, target=target, context=context, subject=("t", "1")
                )
                if state != NEW:
                    obj.save(update_fields=["status"])
            except DomainError as exc:
                outcome = exc
            if state != NEW:
                stored = model.objects.get(pk=row.pk).status
            written = list(AuditRecord.objects.order_by("id").values_list("action", flat=True)[before:])
            raise _Rollback
    except _Rollback:
        pass
    return outcome, obj.status, stored, written


def check_every_firing(machine, model, row, roles, context) -> None:
    """The whole table of ``machine`` on ``row`` (a saved ``model``), for ``roles``, with a
    ``context`` in which every guard holds; ``row`` is as it was afterwards."""
    original = model.objects.get(pk=row.pk).status
    checked = expected_count = 0
    for state in [NEW, *machine.states]:
        for e in machine.events.values():
            targets = [t for t in e.targets if t != SAME] or [None]
            expected_count += len(targets) * len(roles)
            for role in roles:
                for target in targets:
                    outcome, after, stored, written = attempt(
                        machine, model, row, state, e.name, role, target, context
                    )
                    legal = state in e.sources and role in e.roles
                    where = f"{machine.name} {state} --{e.name}/{role}→ {target}"
                    if legal:
                        assert not isinstance(outcome, Exception), (where, outcome)
                        expected = state if e.records_only else target
                        assert outcome.target == expected == after, where
                        assert outcome.target in machine.states, where
                        assert stored in (None, after), where
                        assert written == [f"{machine.audit_kind}.{e.name}"], where
                    else:
                        assert isinstance(outcome, DomainError), where
                        kind = NotPermitted if role not in e.roles else IllegalTransition
                        assert isinstance(outcome, kind), (where, outcome)
                        assert status_of(outcome) == (403 if role not in e.roles else 409), where
                        assert after == (state if state != NEW else ""), where
                        assert stored in (None, state), where
                        assert written == [], where
                    checked += 1
    assert (
        checked
        == expected_count
        == (len(machine.states) + 1)
        * sum(len([t for t in e.targets if t != SAME]) or 1 for e in machine.events.values())
        * len(roles)
    )
    assert model.objects.get(pk=row.pk).status == original  # every attempt rolled back


def guards_refusing_alone(machine, permissive, spoilers) -> int:
    """Check that each guard of ``machine`` refuses alone: with ``permissive`` context spoiled
    by ``spoilers[guard]`` the firing is refused by that guard, with a finished sentence, and
    any other guard's spoiler leaves the event firing. Returns how many (event, guard) pairs."""
    guarded = 0
    for e in machine.events.values():
        for guard in e.guards:
            state = next(iter(e.sources))
            role = next(iter(e.roles))
            target = next(t for t in e.targets if t != SAME) if e.targets != (SAME,) else None
            refusal = machine.fire(
                state, e.name, {role}, target=target, context={**permissive, **spoilers[guard]}
            )
            assert getattr(refusal, "guard", None) == guard, (machine.name, e.name, guard)
            assert refusal.message and "{" not in refusal.message
            for other, spoil in spoilers.items():  # another guard's spoiler leaves it alone
                if other not in e.guards:
                    fired = machine.fire(
                        state, e.name, {role}, target=target, context={**permissive, **spoil}
                    )
                    targets = [state if t == SAME else t for t in e.targets]
                    assert getattr(fired, "target", None) in targets, (e.name, other)
            guarded += 1
    return guarded
