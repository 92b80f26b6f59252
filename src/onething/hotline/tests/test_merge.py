"""合并办理 keeps every caller's rights (``merging``): tickets of different callers merged into one
are due when the earliest of them is, their members get no 办结 card of their own while merged,
and when the primary is finished each member is finished with the reply and keeps its own
return visit and its own rating, by its own caller only. Unmerging brings a member back to the
state it left, with that state's stage clock restarted, and the primary's due moment follows.
Refusals name the field and write nothing; an operator cannot pull in a ticket outside their
region (404). Every merge and unmerge is recorded on the member.
"""

from __future__ import annotations

import datetime as dt

import pytest

from onething.accounts.models import StaffRole, User
from onething.audit.models import AuditRecord
from onething.clocks import service as clocks
from onething.clocks.models import Clock
from onething.core.errors import ApiError, status_of
from onething.directory.models import Region
from onething.hotline import access, deadlines, intake, merging, rules, service
from onething.hotline.models import Ticket
from onething.hotline.tests.test_loop import (
    BAD,
    HANDLER,
    OP,
    RENSHE,
    SHICHANG,
    audits,
    cards,
    file,
    fresh,
    handled,
    local,
    user,
)
from onething.kernel.errors import Conflict, Invalid, NotFound, NotPermitted

pytestmark = pytest.mark.django_db


def online(username: str, received: str, category: str = "complaint") -> intake.Filed:
    """A ticket a signed-in citizen sent from the portal at ``received``: its caller is them."""
    return intake.file(
        {"category": category, "channel": "web", "content": "同一家店铺长期占道经营", "region": "430602"},
        actor=user(username),
        role="caller",
        now=local(received),
    )


def merged_records(ticket: Ticket, action: str) -> list[dict]:
    return list(
        AuditRecord.objects.filter(
            object_type="hotline_ticket", object_id=ticket.number, action=f"hotline_ticket.{action}"
        ).values_list("data", flat=True)
    )


@pytest.fixture
def run(django_capture_on_commit_callbacks):
    from onething.clocks import scan

    def at(moment: str):
        with django_capture_on_commit_callbacks(execute=True):
            return scan.scan(local(moment))

    return at


@pytest.fixture
def group():
    """A primary handled by 市场监管 and three members of different callers, merged at
    10-09 10:00: 张三's (online, 09-30, due 10-13 — the earliest), 李四's (online help,
    10-08, due 10-14) and an anonymous 举报 with no phone (10-09, due 10-15)."""
    a = online("zhangsan", "2026-09-30 10:00")
    b = online("lisi", "2026-10-08 09:00", "help")
    primary = intake.file(
        {
            "category": "complaint",
            "channel": "hotline",
            "content": "店铺占道经营",
            "region": "430602",
            "caller": {"name": "王先生", "phone": "13800000009"},
        },
        actor=user("jiexian"),
        role="operator",
        now=local("2026-10-09 09:00"),
    )
    c = file("report", "2026-10-09 09:05", phone="", anonymous=True)
    p = handled(primary.ticket, "2026-10-09 09:30")
    jiexian = user("jiexian")
    merging.merge(
        p,
        [a.ticket.number, b.ticket.number, c.number],
        jiexian,
        roles=access.roles_for(jiexian, p),
        reason="同一店铺占道经营",
        now=local("2026-10-09 10:00"),
    )
    return {
        "p": fresh(p),
        "a": fresh(a.ticket),
        "b": fresh(b.ticket),
        "c": fresh(c),
        "codes": {"p": primary.lookup_code, "a": a.lookup_code, "b": b.lookup_code},
    }


def test_the_merged_ticket_is_due_when_its_earliest_member_is(group):
    p, a, b, c = group["p"], group["a"], group["b"], group["c"]
    # each caller's own deadline stays theirs: 09-30 + 5 working days is 10-13 (10-08, 10-09,
    # Sat 10-10, 10-12, 10-13); 10-08 + 5 is 10-14; 10-09 + 5 is 10-15
    assert [(t.status, t.primary_id, t.merged_state) for t in (a, b, c)] == [("merged", p.pk, "received")] * 3
    assert (a.finish_due, b.finish_due, c.finish_due) == (
        dt.date(2026, 10, 13),
        dt.date(2026, 10, 14),
        dt.date(2026, 10, 15),
    )
    # the primary's own would be 10-15; it carries 张三's, the earliest
    assert p.finish_due == dt.date(2026, 10, 13)
    merged = clocks.get(deadlines.owner(p), rules.MERGED)
    assert merged.due_at == clocks.get(deadlines.owner(a), rules.FINISH).due_at == local("2026-10-14 00:00")
    assert clocks.get(deadlines.owner(p), rules.FINISH).due_at == local("2026-10-16 00:00")
    # the members' stage clocks stopped (the primary is dispatched for all); finish runs on
    for t in (a, b, c):
        assert t.dispatch_due is None
        assert clocks.get(deadlines.owner(t), rules.DISPATCH).stopped_at == local("2026-10-09 10:00")
        assert clocks.get(deadlines.owner(t), rules.FINISH).stopped_at is None
    assert [t.number for t in merging.members_of(p)] == [a.number, b.number, c.number]
    for t in (a, b, c):
        assert merged_records(t, "merge") == [{"primary": p.number, "to": "merged"}]


def test_members_get_no_finish_card_while_merged_the_primary_does(group, run):
    p, a, b, c = group["p"], group["a"], group["b"], group["c"]
    # 5 working days turn yellow with one left: 张三's (due 10-13) from 10-12, 李四's (due 10-14)
    # from 10-13, the primary's own (due 10-15) from 10-14
    run("2026-10-12 01:00")  # 张三's clock and the primary's copy of it: yellow
    run("2026-10-14 00:30")  # past 张三's last day: red; 李四's and the primary's own: yellow
    for t in (a, b, c):
        assert not cards(t).exists(), t.number
    assert sorted(cards(p).values_list("clock", "level", "department_id", "at")) == [
        ("finish", "yellow", SHICHANG, local("2026-10-14 00:00")),
        ("merged", "red", SHICHANG, local("2026-10-14 00:00")),
        ("merged", "yellow", SHICHANG, local("2026-10-12 00:00")),
    ]
    # the scan did see the members' clocks: only the cards are left to the primary
    assert clocks.get(deadlines.owner(a), rules.FINISH).warning == "red"
    assert clocks.get(deadlines.owner(b), rules.FINISH).warning == "yellow"
    assert clocks.get(deadlines.owner(c), rules.FINISH).warning == "yellow"
    assert fresh(p).warning == "red"


def test_finishing_the_primary_finishes_each_member_with_its_own_revisit_and_rating(group):
    p, a, b, c = group["p"], group["a"], group["b"], group["c"]
    handler, jiexian = user("chengban_shichang"), user("jiexian")
    at = local("2026-10-14 10:00")
    service.answer(p, handler, roles=HANDLER, reply="已责令店铺停止占道经营", now=at)
    p = service.finish(p, jiexian, roles=OP, now=at)
    # late for 张三 (due 10-13), so for the primary that carried his deadline; on time for the others
    assert (p.status, p.on_time) == ("finished", False)
    a, b, c = fresh(a), fresh(b), fresh(c)
    assert [(t.status, t.on_time) for t in (a, b, c)] == [
        ("finished", False),
        ("finished", True),
        ("finished", True),
    ]
    for t in (a, b, c):
        assert (t.reply, t.replied_by, t.finished_at, t.assigned_id) == (
            "已责令店铺停止占道经营",
            handler,
            at,
            SHICHANG,
        )
        assert merged_records(t, "finish_merged") == [{"primary": p.number, "to": "finished"}]
    # each caller with a phone gets a return visit of their own: finished Wed 10-14, due Fri 10-16
    revisits = {t.number: clocks.get(deadlines.owner(t), rules.REVISIT) for t in (p, a, b, c)}
    assert revisits[c.number] is None and c.revisit_due is None  # anonymous, no phone
    own = [revisits[t.number] for t in (p, a, b)]
    assert len({clock.pk for clock in own}) == 3
    assert [clock.owner_id for clock in own] == [str(p.pk), str(a.pk), str(b.pk)]
    assert {t.revisit_due for t in (fresh(p), a, b)} == {dt.date(2026, 10, 16)}

    # each caller rates their own ticket, and only theirs
    zhangsan, lisi = user("zhangsan"), user("lisi")
    assert access.roles_for(zhangsan, a) == {"caller"}
    assert access.roles_for(zhangsan, b) == access.roles_for(zhangsan, p) == set()
    with pytest.raises(NotPermitted) as refused:
        service.rate(b, zhangsan, roles=access.roles_for(zhangsan, b), score=1, comment="没用", now=at)
    assert status_of(refused.value) == 403
    service.rate(a, zhangsan, roles=access.roles_for(zhangsan, a), score=5, now=at)
    service.rate(b, lisi, roles=access.roles_for(lisi, b), score=2, comment="处理太慢", now=at)
    # the primary's caller rated by the number and lookup code of their own ticket only
    with pytest.raises(NotFound):
        service.follow(p.number, group["codes"]["a"])
    service.rate(service.follow(p.number, group["codes"]["p"]), None, roles={"caller"}, score=4, now=at)
    assert [fresh(t).score for t in (p, a, b, c)] == [4, 5, 2, None]

    # and each has its own return visit: 张三 satisfied, 李四 not — his alone is reopened
    service.revisit(
        a, jiexian, roles=OP, satisfaction="satisfied", note_text="满意", now=local("2026-10-15 10:00")
    )
    service.revisit(
        b, jiexian, roles=OP, satisfaction="unsatisfied", note_text="仍占道", now=local("2026-10-15 10:00")
    )
    a, b, p = fresh(a), fresh(b), fresh(p)
    assert (a.status, p.status) == ("closed", "finished")
    assert (b.status, b.primary_id, b.assigned_id, b.reopened) == ("handling", None, SHICHANG, 1)
    # a new finish clock for him: 5 working days from Thu 10-15 — 10-16, 10-19, 10-20, 10-21, 10-22
    assert b.finish_due == dt.date(2026, 10, 22)


def test_unmerge_restores_the_state_and_its_stage_clock_and_regroups_the_primary():
    jiexian = user("jiexian")
    p = handled(file("complaint", "2026-10-09 09:00"), "2026-10-09 09:30")  # own due 10-15
    a = file("complaint", "2026-09-30 10:00")  # received; due 10-13
    b = file("help", "2026-10-08 09:00")  # due 10-14
    b = service.dispatch(b, jiexian, roles=OP, department=RENSHE, now=local("2026-10-08 10:00"))
    d = handled(file("complaint", "2026-10-09 08:00"), "2026-10-09 08:30")  # handling; due 10-15
    merging.merge(
        p, [a.number, b.number, d.number], jiexian, roles=OP, reason="同一事项", now=local("2026-10-09 10:00")
    )
    assert [fresh(t).merged_state for t in (a, b, d)] == ["received", "dispatched", "handling"]
    assert fresh(b).sign_due is None  # the stage clock stopped while merged
    assert fresh(p).finish_due == dt.date(2026, 10, 13)

    with pytest.raises(BAD) as refused:
        merging.unmerge(a, jiexian, roles=OP, reason="  ", now=local("2026-10-09 14:00"))
    assert refused.value.field == "reason"

    a = merging.unmerge(a, jiexian, roles=OP, reason="并非同一店铺", now=local("2026-10-09 14:00"))
    a = fresh(a)
    assert (a.status, a.primary_id, a.merged_state) == ("received", None, "")
    assert a.dispatch_due == local("2026-10-09 15:00")  # a new dispatch hour from now
    assert a.finish_due == dt.date(2026, 10, 13)  # the caller's clock never restarts
    assert fresh(p).finish_due == dt.date(2026, 10, 14)  # now carried by 李四's ticket

    b = fresh(merging.unmerge(b, jiexian, roles=OP, reason="并非同一事项", now=local("2026-10-09 15:00")))
    # back with 人社, a new day to sign it: Fri 10-09 → Sat 10-10 (make-up)
    assert (b.status, b.assigned_id, b.sign_due) == ("dispatched", RENSHE, dt.date(2026, 10, 10))
    assert clocks.get(deadlines.owner(b), rules.SIGN).started_at == local("2026-10-09 15:00")
    p = fresh(p)
    assert p.finish_due == dt.date(2026, 10, 15)  # d's 10-15 is not before its own
    assert clocks.get(deadlines.owner(p), rules.MERGED).stopped_at == local("2026-10-09 15:00")

    d = fresh(merging.unmerge(d, jiexian, roles=OP, reason="并非同一事项", now=local("2026-10-09 16:00")))
    assert (d.status, d.dispatch_due, d.sign_due, d.finish_due) == (
        "handling",
        None,
        None,
        dt.date(2026, 10, 15),
    )
    assert merging.members_of(p) == []
    for t, state in ((a, "received"), (b, "dispatched"), (d, "handling")):
        assert merged_records(t, "merge") == [{"primary": p.number, "to": "merged"}]
        assert merged_records(t, "unmerge") == [{"primary": p.number, "to": state}]
        assert audits(t)[-2:] == ["hotline_ticket.merge", "hotline_ticket.unmerge"]

    with pytest.raises(Conflict) as refused:  # not merged (any more)
        merging.unmerge(a, jiexian, roles=OP, reason="再取消", now=local("2026-10-09 17:00"))
    assert refused.value.field == "number"


# ------------------------------------------------------------------------------ refusals


def _nothing_changes(tickets, call):
    before = (
        AuditRecord.objects.count(),
        [(t.status, t.primary_id, t.finish_due) for t in map(fresh, tickets)],
        Clock.objects.filter(name=rules.MERGED).count(),
    )
    with pytest.raises((ApiError, Invalid, Conflict, NotFound, NotPermitted)) as refused:
        call()
    after = (
        AuditRecord.objects.count(),
        [(t.status, t.primary_id, t.finish_due) for t in map(fresh, tickets)],
        Clock.objects.filter(name=rules.MERGED).count(),
    )
    assert after == before
    return refused.value


def test_refused_merges_name_the_field_and_change_nothing():
    jiexian = user("jiexian")
    at = local("2026-10-09 12:00")
    p, q, a = (file("complaint", "2026-10-09 09:00") for _ in range(3))
    everyone = [p, q, a]

    error = _nothing_changes(everyone, lambda: merging.merge(p, [p.number], jiexian, roles=OP, now=at))
    assert (type(error), error.field) == (Invalid, "members")
    error = _nothing_changes(everyone, lambda: merging.merge(p, [], jiexian, roles=OP, now=at))
    assert (status_of(error), error.field) == (400, "members")
    error = _nothing_changes(
        everyone, lambda: merging.merge(p, ["12345-20261009-999999"], jiexian, roles=OP, now=at)
    )
    assert (type(error), error.field) == (NotFound, "members")

    merging.merge(p, [a.number], jiexian, roles=OP, now=at)
    # an already merged ticket, into another primary
    error = _nothing_changes(everyone, lambda: merging.merge(q, [a.number], jiexian, roles=OP, now=at))
    assert (status_of(error), error.field) == (409, "members") and p.number in error.message
    # a merged ticket as the primary
    error = _nothing_changes(everyone, lambda: merging.merge(a, [q.number], jiexian, roles=OP, now=at))
    assert (status_of(error), error.field) == (409, "number")
    # a primary with members, merged into another
    error = _nothing_changes(everyone, lambda: merging.merge(q, [p.number], jiexian, roles=OP, now=at))
    assert (status_of(error), error.field) == (409, "members")
    # a handler may not merge
    t = service.dispatch(q, jiexian, roles=OP, department=SHICHANG, now=at)
    handler = user("chengban_shichang")
    other = file("complaint", "2026-10-09 09:00")
    service.dispatch(other, jiexian, roles=OP, department=SHICHANG, now=at)
    error = _nothing_changes(
        [t, other],
        lambda: merging.merge(t, [other.number], handler, roles=access.roles_for(handler, t), now=at),
    )
    assert status_of(error) == 403


def test_a_closed_primary_is_refused():
    jiexian = user("jiexian")
    closed = file("consult", "2026-10-09 09:00")
    service.resolve(closed, jiexian, roles=OP, reply="请携带身份证办理", now=local("2026-10-09 09:05"))
    a = file("complaint", "2026-10-09 09:00")
    error = _nothing_changes(
        [closed, a],
        lambda: merging.merge(closed, [a.number], jiexian, roles=OP, now=local("2026-10-09 10:00")),
    )
    assert (status_of(error), error.field) == (409, "number") and "已回访，办结" in error.message


def test_a_primary_with_members_is_not_closed_on_the_spot():
    """A 咨询 answered on the spot would leave its members waiting ``merged`` for ever."""
    jiexian = user("jiexian")
    head, member = file("consult", "2026-10-09 09:00"), file("consult", "2026-10-09 09:10")
    merging.merge(head, [member.number], jiexian, roles=OP, now=local("2026-10-09 09:20"))
    error = _nothing_changes(
        [head, member],
        lambda: service.resolve(
            head, jiexian, roles=OP, reply="请携带身份证办理", now=local("2026-10-09 09:30")
        ),
    )
    assert (status_of(error), error.field) == (409, "number")
    assert (fresh(head).status, fresh(member).status) == ("received", "merged")


def _operator(username: str, region: str) -> User:
    person = User.objects.create_user(username=username, password="pw-for-tests-only", real_name=username)
    StaffRole.objects.create(user=person, role=StaffRole.HOTLINE_OPERATOR, region_id=region)
    return person


def test_an_operator_cannot_merge_a_ticket_outside_their_region():
    Region.objects.create(code="430100", name="长沙市", level="city", parent_id="430000")
    changsha, pingjiang = _operator("jiexian_cs", "430100"), _operator("jiexian_pj", "430626")
    province = _operator("jiexian_sheng", "430000")
    ours = file("complaint", "2026-10-09 09:00")  # 岳阳楼区
    in_changsha = file("complaint", "2026-10-09 09:00", region="430100")
    in_pingjiang = file("complaint", "2026-10-09 09:00", region="430626")
    at = local("2026-10-09 10:00")

    # another city's operator, naming a 岳阳楼区 ticket: not found (their scope does not hold it)
    error = _nothing_changes(
        [in_changsha, ours],
        lambda: merging.merge(
            in_changsha, [ours.number], changsha, roles=access.roles_for(changsha, in_changsha), now=at
        ),
    )
    assert (type(error), error.field) == (NotFound, "members") and ours.number in error.message
    # another county of the same city: the same
    error = _nothing_changes(
        [in_pingjiang, ours],
        lambda: merging.merge(
            in_pingjiang, [ours.number], pingjiang, roles=access.roles_for(pingjiang, in_pingjiang), now=at
        ),
    )
    assert (type(error), error.field) == (NotFound, "members")
    # the city's operator the other way round: 长沙 is not theirs
    jiexian = user("jiexian")
    error = _nothing_changes(
        [ours, in_changsha],
        lambda: merging.merge(
            ours, [in_changsha.number], jiexian, roles=access.roles_for(jiexian, ours), now=at
        ),
    )
    assert (type(error), error.field) == (NotFound, "members")
    # the province's operator sees both, but tickets of two cities are not one matter
    error = _nothing_changes(
        [ours, in_changsha],
        lambda: merging.merge(
            ours, [in_changsha.number], province, roles=access.roles_for(province, ours), now=at
        ),
    )
    assert (type(error), error.field) == (Invalid, "members")
    # within their region they may: 平江县's operator merges a 平江县 ticket
    other = file("complaint", "2026-10-09 09:30", region="430626")
    merging.merge(
        in_pingjiang, [other.number], pingjiang, roles=access.roles_for(pingjiang, in_pingjiang), now=at
    )
    assert (fresh(other).status, fresh(other).primary_id) == ("merged", in_pingjiang.pk)
