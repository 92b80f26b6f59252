"""The state machine kernel: declaration checks, firing, refusals, the graph."""

from __future__ import annotations

import pytest

from onething.kernel.machine import (
    GUARD_FAILED,
    ILLEGAL_STATE,
    NEW,
    NOT_YOUR_ROLE,
    SAME,
    UNDECLARED_TARGET,
    UNKNOWN_EVENT,
    Fired,
    Guard,
    MachineError,
    Refusal,
    event,
    machine,
)

TICKET = machine(
    "test.ticket",
    audit_kind="ticket",
    states={"open": "待处理", "held": "挂起", "done": "已办结", "void": "已作废"},
    terminal=["done", "void"],
    guards=[Guard("has_answer", lambda c: bool(c.get("answer")), "须先填写答复（{event}）")],
    events=[
        event("file", NEW, "open", ["citizen"], "登记"),
        event("hold", "open", "held", ["operator"], "挂起"),
        event("note", ["open", "held"], SAME, ["operator"], "备注"),
        event("resume", "held", ["open"], ["operator"], "恢复"),
        event("finish", "open", ["done", "void"], ["operator"], "办结", guards=["has_answer"]),
    ],
)


def test_a_legal_firing_names_target_and_audit_event():
    fired = TICKET.fire("open", "hold", {"operator"})
    assert fired == Fired("test.ticket", "hold", "open", "held", "ticket.hold", "挂起")
    assert fired.changed


def test_records_only_events_stay():
    fired = TICKET.fire("held", "note", {"operator"})
    assert isinstance(fired, Fired) and fired.target == "held" and not fired.changed


@pytest.mark.parametrize(
    ("state", "name", "roles", "target", "reason"),
    [
        ("open", "hold", {"citizen"}, None, NOT_YOUR_ROLE),
        ("done", "hold", {"operator"}, None, ILLEGAL_STATE),
        ("open", "fly", {"operator"}, None, UNKNOWN_EVENT),
        ("open", "finish", {"operator"}, "held", UNDECLARED_TARGET),
    ],
)
def test_refusals_say_why(state, name, roles, target, reason):
    refusal = TICKET.fire(state, name, roles, target=target, context={"answer": "x"})
    assert isinstance(refusal, Refusal) and refusal.reason == reason and refusal.message


def test_role_is_checked_before_state():
    assert TICKET.fire("done", "hold", {"citizen"}).reason == NOT_YOUR_ROLE


def test_guards_refuse_with_their_sentence():
    refusal = TICKET.fire("open", "finish", {"operator"}, target="done", context={})
    assert refusal.reason == GUARD_FAILED and refusal.guard == "has_answer"
    assert refusal.message == "须先填写答复（办结）"
    assert isinstance(
        TICKET.fire("open", "finish", {"operator"}, target="void", context={"answer": "好"}), Fired
    )


def test_a_computed_choice_must_be_made():
    with pytest.raises(MachineError):
        TICKET.fire("open", "finish", {"operator"}, context={"answer": "好"})


def test_allowed_lists_what_a_role_may_do_now():
    assert TICKET.allowed("open", {"operator"}) == ["hold", "note", "finish"]
    assert TICKET.allowed("open", {"operator"}, context={}) == ["hold", "note"]  # guard fails
    assert TICKET.allowed("open", {"citizen"}) == []


def test_graph():
    assert TICKET.reachable() == {NEW, "open", "held", "done", "void"}
    assert TICKET.stuck_states() == set()
    trap = machine(
        "test.trap",
        audit_kind="t",
        states={"a": "甲", "b": "乙", "z": "终"},
        terminal=["z"],
        events=[
            event("start", NEW, "a", ["x"], "开始"),
            event("go", "a", ["b", "z"], ["x"], "走"),
            event("spin", "b", SAME, ["x"], "原地"),
        ],
    )
    assert trap.stuck_states() == {"b"}


@pytest.mark.parametrize(
    "events",
    [
        [event("x", "nowhere", "open", ["r"], "甲")],  # undeclared source
        [event("x", "open", "nowhere", ["r"], "甲")],  # undeclared target
        [event("x", "open", "done", [], "甲")],  # no role
        [event("x", "open", "done", ["r"], "甲", guards=["missing"])],  # unknown guard
        [event("x", "done", "open", ["r"], "甲")],  # out of a terminal state
        [event("x", NEW, SAME, ["r"], "甲")],  # creating event without a target
        [event("x", "open", "done", ["r"], "甲"), event("x", "open", "done", ["r"], "乙")],  # twice
    ],
)
def test_inconsistent_declarations_are_refused(events):
    with pytest.raises(MachineError):
        machine(
            "test.bad", audit_kind="t", states={"open": "开", "done": "毕"}, terminal=["done"], events=events
        )
