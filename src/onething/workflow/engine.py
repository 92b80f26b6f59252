"""Fire a declared machine (:mod:`onething.kernel.machine`) on a model object.

This adapter is the only code that writes a lifecycle's state field. :func:`fire` asks the
machine, raises the refusal as a domain error (``NotPermitted`` for a role, ``IllegalTransition``
for a state or a guard), stores the target on the object and appends exactly one audit record
(:func:`onething.audit.log.record`) — all inside the caller's transaction, which also saves
the object. :func:`create` does the same for an event that brings an object into being
(source :data:`~onething.kernel.machine.NEW`).

Every capability registers its machines here (:func:`register`), so an admin page, a test or
the documentation can list them all, and a test can check that no code outside this module
assigns a state field.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from onething.audit.log import record
from onething.kernel.errors import Conflict, NotPermitted
from onething.kernel.machine import NEW, NOT_YOUR_ROLE, Fired, Machine, Refusal

_machines: dict[str, tuple[Machine, str, str]] = {}


class IllegalTransition(Conflict):
    """The event is not legal in the object's state, or one of its conditions does not hold."""

    default_code = "illegal_transition"


def register(machine: Machine, model_label: str, field: str = "status") -> Machine:
    """Declare that ``machine`` governs ``model_label``'s ``field`` (e.g. ``cases.subcase``)."""
    _machines[machine.name] = (machine, model_label, field)
    return machine


def registered() -> dict[str, tuple[Machine, str, str]]:
    """Every machine with the model and field it governs, by machine name."""
    return dict(_machines)


def refusal_error(refusal: Refusal) -> Exception:
    if refusal.reason == NOT_YOUR_ROLE:
        return NotPermitted(refusal.message)
    return IllegalTransition(refusal.message, code="illegal_transition", guard=refusal.guard or None)


def check(
    machine: Machine,
    state: str,
    event: str,
    roles: Iterable[str],
    *,
    target: str | None = None,
    context: Mapping[str, Any] | None = None,
) -> Fired:
    """The firing ``roles`` may make, or the refusal raised as a domain error. Changes nothing."""
    result = machine.fire(state, event, set(roles), target=target, context=context)
    if isinstance(result, Refusal):
        raise refusal_error(result)
    return result


def _subject(machine: Machine, obj, subject: tuple[str, str] | None) -> tuple[str, str]:
    if subject is not None:
        return subject
    return machine.audit_kind, str(getattr(obj, "number", None) or obj.pk)


def fire(
    machine: Machine,
    obj,
    event: str,
    *,
    roles: Iterable[str],
    actor=None,
    at=None,
    reason: str = "",
    target: str | None = None,
    context: Mapping[str, Any] | None = None,
    subject: tuple[str, str] | None = None,
    field: str = "status",
    remember: str = "",
    resume: str = "",
    **data: Any,
) -> Fired:
    """Fire ``event`` on ``obj``: set its ``field`` to the target and write the audit record.

    ``subject`` names the audit record's object when it is not ``obj`` itself (an extension
    is recorded on its sub-case); ``data`` goes into the record (``to`` is added when the
    state changes). ``remember`` names a field that keeps the state being left (补正 pauses a
    case and must come back to where it was); ``resume`` names such a field to return to — the
    target is then the remembered state, which must be one the event declares, and the field
    is cleared. The caller saves ``obj``, in the same transaction.
    """
    if resume:
        target = getattr(obj, resume) or target
    fired = check(machine, getattr(obj, field), event, roles, target=target, context=context)
    if remember:
        setattr(obj, remember, fired.source)
    if resume:
        setattr(obj, resume, "")
    return _apply(machine, obj, fired, actor, at, reason, subject, field, data)


def create(
    machine: Machine,
    obj,
    event: str,
    *,
    roles: Iterable[str],
    actor=None,
    at=None,
    reason: str = "",
    target: str | None = None,
    context: Mapping[str, Any] | None = None,
    subject: tuple[str, str] | None = None,
    field: str = "status",
    save_as: str = "",
    **data: Any,
) -> Fired:
    """Fire a creating event (source ``NEW``) on an unsaved ``obj``.

    With ``save_as``, the adapter saves the new row before writing the audit record and
    puts its primary key into the record under that name (a 延期 request is recorded on its
    sub-case and named by its id); otherwise the caller saves it.
    """
    fired = check(machine, NEW, event, roles, target=target, context=context)
    if save_as:
        setattr(obj, field, fired.target)
        obj.save()
        data[save_as] = obj.pk
    return _apply(machine, obj, fired, actor, at, reason, subject, field, data)


def initial(machine: Machine, event: str, roles: Iterable[str], **kwargs: Any) -> Fired:
    """The firing of a creating event for bulk writers that store rows and audit records
    themselves (intake inserts both with one statement each): they use ``target`` and
    ``audit_event`` of the result."""
    return check(machine, NEW, event, roles, **kwargs)


def _apply(machine, obj, fired: Fired, actor, at, reason, subject, field, data) -> Fired:
    setattr(obj, field, fired.target)
    if fired.changed and "to" not in data:
        data["to"] = fired.target
    kind, ident = _subject(machine, obj, subject)
    record(fired.audit_event, kind, ident, actor=actor, reason=reason, data=data, at=at)
    return fired
