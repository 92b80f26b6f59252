"""Two operators merging at the same instant, on PostgreSQL, each thread on its own connection.

``merging.merge`` locks the primary and the members in primary-key order before it reads their
states, so two merges touching the same ticket queue on its row lock: the second sees what the
first committed and is refused (409) — a ticket is never merged into two primaries, and A into
B at the same moment as B into A cannot deadlock (both lock A and B in the same order).
"""

from __future__ import annotations

import os

import pytest
from tests.plugins.concurrency import together

from onething.accounts.models import StaffRole, User
from onething.audit.models import AuditRecord
from onething.core.errors import status_of
from onething.hotline import access, merging
from onething.hotline.models import Ticket
from onething.hotline.tests.test_loop import file, local
from onething.kernel.errors import Conflict

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(
        not os.environ.get("DATABASE_URL", "").startswith("postgres"),
        reason="real concurrency needs PostgreSQL (SQLite serialises writers)",
    ),
    pytest.mark.django_db(transaction=True),
]

AT = "2026-10-09 10:00"


def _operators() -> tuple[User, User]:
    """The demo operator and a colleague of the same centre."""
    colleague = User.objects.create_user(
        username="jiexian2", password="pw-for-tests-only", real_name="孙接线"
    )
    StaffRole.objects.create(user=colleague, role=StaffRole.HOTLINE_OPERATOR, region_id="430600")
    return User.objects.get(username="jiexian"), colleague


def _merge(username: str, primary: str, members: list[str]):
    def work() -> Ticket:
        operator = User.objects.get(username=username)
        head = Ticket.objects.select_related("region").get(number=primary)
        return merging.merge(
            head, members, operator, roles=access.roles_for(operator, head), reason="同一事项", now=local(AT)
        )

    return work


def _merge_records(ticket: Ticket) -> list[dict]:
    return list(
        AuditRecord.objects.filter(
            object_type="hotline_ticket", object_id=ticket.number, action="hotline_ticket.merge"
        ).values_list("data", flat=True)
    )


def _one_won(outcomes) -> tuple[Ticket, Exception]:
    won = [o for o in outcomes if isinstance(o, Ticket)]
    lost = [o for o in outcomes if not isinstance(o, Ticket)]
    assert len(won) == 1 and len(lost) == 1, outcomes
    assert isinstance(lost[0], Conflict) and status_of(lost[0]) == 409, repr(lost[0])
    return won[0], lost[0]


def test_one_member_merged_into_two_primaries_at_once_joins_exactly_one():
    jiexian, colleague = _operators()
    first, second = file("complaint", "2026-10-09 09:00"), file("complaint", "2026-10-09 09:05")
    member = file("complaint", "2026-10-09 09:10")
    outcomes = together(
        [
            _merge(jiexian.username, first.number, [member.number]),
            _merge(colleague.username, second.number, [member.number]),
        ]
    )
    winner, lost = _one_won(outcomes)
    assert lost.field == "members" and winner.number in lost.message
    member = Ticket.objects.get(pk=member.pk)
    assert (member.status, member.primary_id) == ("merged", winner.pk)
    loser = second if winner.pk == first.pk else first
    assert list(merging.members_of(Ticket.objects.get(pk=winner.pk))) == [member]
    assert merging.members_of(Ticket.objects.get(pk=loser.pk)) == []
    assert _merge_records(member) == [{"primary": winner.number, "to": "merged"}]


def test_a_into_b_and_b_into_a_at_once_do_not_deadlock_one_wins():
    jiexian, colleague = _operators()
    a, b = file("complaint", "2026-10-09 09:00"), file("complaint", "2026-10-09 09:05")
    outcomes = together(
        [
            _merge(jiexian.username, b.number, [a.number]),  # A into B
            _merge(colleague.username, a.number, [b.number]),  # B into A
        ]
    )
    winner, lost = _one_won(outcomes)
    # the loser's primary is the winner's member now: refused as a primary
    assert lost.field == "number"
    a, b = Ticket.objects.get(pk=a.pk), Ticket.objects.get(pk=b.pk)
    member, head = (a, b) if winner.pk == b.pk else (b, a)
    assert (member.status, member.primary_id) == ("merged", head.pk)
    assert (head.status, head.primary_id) == ("received", None)
    assert _merge_records(member) == [{"primary": head.number, "to": "merged"}]
    assert _merge_records(head) == []
