"""State machines declared as data, and the one rule for firing them.

A :class:`Machine` lists its states (with Chinese labels), its terminal states and its events.
An :class:`Event` says from which states it may fire, where it leads (one target, several
declared targets a computed choice picks from, or :data:`SAME` for an event that records
something without moving), which roles may fire it, which named guards must hold and how it
reads in Chinese. :meth:`Machine.fire` returns either :class:`Fired` (the target and the audit
event to write) or :class:`Refusal` (why not: not your role, illegal in this state, a guard
failed, a target the event does not declare). It changes nothing itself: the caller's adapter
stores the target and the audit record in one transaction.

Pure: no Django, no database. Guards are plain predicates over a *context* the adapter builds
(for a sub-case: its application's state, the decision asked for …), so the whole rule set is
testable as a table.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

#: the pseudo-state before an object exists (the source of creating events)
NEW = "__new__"
#: the target of an event that records something without changing the state
SAME = "__same__"

#: why a firing was refused
NOT_YOUR_ROLE, ILLEGAL_STATE, GUARD_FAILED, UNKNOWN_EVENT, UNDECLARED_TARGET = (
    "not_your_role",
    "illegal_state",
    "guard_failed",
    "unknown_event",
    "undeclared_target",
)


@dataclass(frozen=True)
class Guard:
    """A named condition an event needs, with the Chinese sentence shown when it fails."""

    name: str
    test: Callable[[Mapping[str, Any]], bool]
    message: str


def reason_given(context: Mapping[str, Any]) -> bool:
    """The common guard test: the firing gives a reason (not blank)."""
    return bool((context.get("reason") or "").strip())


@dataclass(frozen=True)
class Event:
    name: str
    sources: frozenset[str]
    targets: tuple[str, ...]
    roles: frozenset[str]
    label: str
    guards: tuple[str, ...] = ()
    #: the audit action when it is not ``<machine.audit_kind>.<name>``
    audit: str = ""
    #: the refusal for a role that may not fire it, when a sentence says more than the default
    denied: str = ""

    @property
    def records_only(self) -> bool:
        return self.targets == (SAME,)


def event(
    name: str,
    sources: Iterable[str] | str,
    targets: Iterable[str] | str,
    roles: Iterable[str],
    label: str,
    *,
    guards: Iterable[str] = (),
    audit: str = "",
    denied: str = "",
) -> Event:
    """Shorthand for declaring an :class:`Event` in a table."""
    sources = (sources,) if isinstance(sources, str) else tuple(sources)
    targets = (targets,) if isinstance(targets, str) else tuple(targets)
    return Event(name, frozenset(sources), targets, frozenset(roles), label, tuple(guards), audit, denied)


@dataclass(frozen=True)
class Fired:
    """A legal firing: store ``target`` and write one audit record named ``audit_event``."""

    machine: str
    event: str
    source: str
    target: str
    audit_event: str
    label: str

    @property
    def changed(self) -> bool:
        return self.source != self.target


@dataclass(frozen=True)
class Refusal:
    """A refused firing and why (see the reason constants); ``message`` is for people."""

    machine: str
    event: str
    state: str
    reason: str
    message: str
    guard: str = ""


class _Blank(dict):
    """Context for a guard's message: a placeholder the context lacks reads as nothing."""

    def __missing__(self, key: str) -> str:
        return ""


class MachineError(ValueError):
    """The declaration itself is inconsistent (a programming error, found at import)."""


@dataclass(frozen=True, eq=False)  # one declaration, compared and hashed by identity
class Machine:
    name: str
    #: the audit record's object kind ("application", "subcase" …)
    audit_kind: str
    states: Mapping[str, str]
    terminal: frozenset[str]
    events: Mapping[str, Event]
    guards: Mapping[str, Guard] = field(default_factory=dict)
    role_names: Mapping[str, str] = field(default_factory=dict)
    #: how the state before creation reads ("尚未安排" for an inspection)
    new_label: str = "尚未创建"

    # ----------------------------------------------------------------------- reading

    def state_label(self, state: str) -> str:
        if state == NEW:
            return self.new_label
        return self.states.get(state, state)

    def event_label(self, name: str) -> str:
        return self.events[name].label

    def choices(self) -> list[tuple[str, str]]:
        return list(self.states.items())

    def events_from(self, state: str) -> list[Event]:
        return [e for e in self.events.values() if state in e.sources]

    def allowed(
        self, state: str, roles: Iterable[str], context: Mapping[str, Any] | None = None
    ) -> list[str]:
        """Events the holder of ``roles`` may fire in ``state`` (guards checked when ``context``
        is given): what a page shows as buttons and the API as ``actions``."""
        roles = set(roles)
        out = []
        for e in self.events.values():
            if state not in e.sources or not roles & e.roles:
                continue
            if context is not None and self._failed_guard(e, context) is not None:
                continue
            out.append(e.name)
        return out

    def targets_of(self, event: Event, source: str) -> tuple[str, ...]:
        return tuple(source if t == SAME else t for t in event.targets)

    # ----------------------------------------------------------------------- firing

    def fire(
        self,
        state: str,
        name: str,
        roles: Iterable[str],
        *,
        target: str | None = None,
        context: Mapping[str, Any] | None = None,
    ) -> Fired | Refusal:
        """Whether ``roles`` may fire ``name`` in ``state`` and where it leads.

        Checked in this order: the event exists, the role may fire it, the state allows it,
        its guards hold (each against ``context``), the target is one it declares (an event
        with several targets needs ``target``; a single-target event takes it by default).
        """
        e = self.events.get(name)
        if e is None:
            return self._refuse(name, state, UNKNOWN_EVENT, f"未知的操作“{name}”")
        if not set(roles) & e.roles:
            return self._refuse(name, state, NOT_YOUR_ROLE, e.denied or f"您无权执行“{e.label}”")
        if state not in e.sources:
            return self._refuse(
                name, state, ILLEGAL_STATE, f"当前状态“{self.state_label(state)}”不能执行“{e.label}”"
            )
        failed = self._failed_guard(e, context or {})
        if failed is not None:
            message = failed.message.format_map(_Blank({**(context or {}), "event": e.label}))
            return self._refuse(name, state, GUARD_FAILED, message, guard=failed.name)
        declared = self.targets_of(e, state)
        if target is None:
            if len(declared) != 1:
                raise MachineError(f"{self.name}.{name}: 须从 {declared} 中选定目标状态")
            target = declared[0]
        elif target not in declared:
            return self._refuse(
                name, state, UNDECLARED_TARGET, f"“{e.label}”不能转到“{self.state_label(target)}”"
            )
        return Fired(self.name, name, state, target, e.audit or f"{self.audit_kind}.{name}", e.label)

    def _failed_guard(self, e: Event, context: Mapping[str, Any]) -> Guard | None:
        for guard_name in e.guards:
            guard = self.guards[guard_name]
            if not guard.test(context):
                return guard
        return None

    def _refuse(self, name: str, state: str, reason: str, message: str, guard: str = "") -> Refusal:
        return Refusal(self.name, name, state, reason, message, guard)

    # ----------------------------------------------------------------------- the graph

    def successors(self, state: str) -> set[str]:
        out: set[str] = set()
        for e in self.events_from(state):
            out.update(self.targets_of(e, state))
        return out

    def reachable(self, start: Iterable[str] = (NEW,)) -> set[str]:
        """Every state reachable from ``start`` by some sequence of events (ignoring guards)."""
        seen: set[str] = set()
        todo = list(start)
        while todo:
            state = todo.pop()
            if state in seen:
                continue
            seen.add(state)
            todo.extend(self.successors(state) - seen)
        return seen

    def stuck_states(self) -> set[str]:
        """Reachable non-terminal states from which no terminal state can be reached."""
        reachable = self.reachable()
        return {s for s in reachable - self.terminal - {NEW} if not (self.reachable([s]) & self.terminal)}


def machine(
    name: str,
    *,
    audit_kind: str,
    states: Mapping[str, str],
    terminal: Iterable[str],
    events: Iterable[Event],
    guards: Iterable[Guard] = (),
    role_names: Mapping[str, str] | None = None,
    new_label: str = "尚未创建",
) -> Machine:
    """Declare a machine; the declaration is checked for consistency at once."""
    table: dict[str, Event] = {}
    for e in events:
        if e.name in table:
            raise MachineError(f"{name}: 事件 {e.name} 重复声明")
        table[e.name] = e
    guard_table = {g.name: g for g in guards}
    m = Machine(
        name,
        audit_kind,
        dict(states),
        frozenset(terminal),
        table,
        guard_table,
        dict(role_names or {}),
        new_label,
    )
    known = set(m.states)
    if not m.terminal <= known:
        raise MachineError(f"{name}: 终态 {sorted(m.terminal - known)} 未声明")
    for e in table.values():
        if not e.sources or not e.targets or not e.roles or not e.label:
            raise MachineError(f"{name}.{e.name}: 来源、目标、角色和名称都须声明")
        bad = (set(e.sources) - known - {NEW}) | (set(e.targets) - known - {SAME})
        if bad:
            raise MachineError(f"{name}.{e.name}: 未声明的状态 {sorted(bad)}")
        if NEW in e.sources and SAME in e.targets:
            raise MachineError(f"{name}.{e.name}: 新建事件须有目标状态")
        unknown = set(e.guards) - set(guard_table)
        if unknown:
            raise MachineError(f"{name}.{e.name}: 未声明的条件 {sorted(unknown)}")
        if e.sources & m.terminal and not e.records_only:
            raise MachineError(f"{name}.{e.name}: 不能从终态转出")
    return m
