"""合并办理: tickets about the same matter are handled once, and every caller keeps their rights.

``merge(primary, members)`` puts each member in ``merged`` (remembering the state it left) and
points it at the primary. The members' own clocks keep running — each caller's deadline is
their own — but the primary carries them: its ``merged`` clock is a copy of the earliest
member's ``finish`` clock when that is due before its own (the merged ticket is due when its
earliest member is), and a member gets no ``finish`` card while merged. The stage clocks of a
member (dispatch, sign) stop: the primary is dispatched for all.

When the primary is finished, each member is finished with the reply (``service.finish``) and
has its own return visit and rating. ``unmerge`` brings a member back to the state it left,
restarting that state's stage clock, and recomputes the primary's due moment.

Rows are locked in primary-key order, so two operators merging the same tickets at once
serialise: the second sees the first's result (a member already merged is a 409).
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone

from onething.core import text
from onething.hotline import access, deadlines, rules
from onething.hotline.machines import TICKET
from onething.hotline.models import Ticket
from onething.hotline.service import note
from onething.kernel.errors import Conflict, Invalid, NotFound
from onething.workflow import engine

T = Ticket.Status
MAX_MEMBERS = 50


def _numbers(value: Any) -> list[str]:
    if isinstance(value, str):
        value = [part for part in value.replace("，", ",").replace(" ", ",").split(",") if part]
    numbers = text.clean_list(value, "members", max_items=MAX_MEMBERS, max_length=40, required=True)
    return list(dict.fromkeys(numbers))


def _lock_all(numbers: list[str]) -> dict[str, Ticket]:
    rows = list(
        Ticket.objects.select_for_update(of=("self",))
        .select_related("region", "assigned")
        .filter(number__in=numbers)
        .order_by("pk")
    )
    found = {t.number: t for t in rows}
    missing = [n for n in numbers if n not in found]
    if missing:
        raise NotFound(f"未找到工单“{missing[0]}”", "members")
    return found


def merge(primary: Ticket | str, members: Any, actor, *, roles, reason: Any = "", now=None) -> Ticket:
    now = now or timezone.now()
    reason = note(reason, "reason", required=False)
    primary_number = primary.number if isinstance(primary, Ticket) else str(primary)
    numbers = _numbers(members)
    if primary_number in numbers:
        raise Invalid("不能把工单合并到它自己", "members")
    with transaction.atomic():
        rows = _lock_all([primary_number, *numbers])
        head = rows[primary_number]
        if not head.is_open or head.status == T.MERGED:
            raise Conflict(
                f"工单 {head.number} 当前状态“{head.get_status_display()}”，不能作为合并办理的主工单",
                "number",
            )
        joined = []
        for number in numbers:
            member = rows[number]
            member_roles = _roles_on(actor, member, roles)
            if member.status == T.MERGED and member_roles & TICKET.events["merge"].roles:
                # named, with where it is: the engine alone would only say the state refuses it
                into = Ticket.objects.filter(pk=member.primary_id).values_list("number", flat=True).first()
                raise Conflict(f"工单 {number} 已合并至工单 {into}，请先取消那次合并", "members")
            if (
                member.region_id != head.region_id
                and member.region.path.split("/")[:2] != head.region.path.split("/")[:2]
            ):
                raise Invalid(f"工单 {number} 与主工单不在同一地市，不能合并", "members")
            if Ticket.objects.filter(primary=member, status=T.MERGED).exists():
                raise Conflict(f"工单 {number} 已有其他工单合并于它，请先取消那些合并", "members")
            engine.fire(
                TICKET,
                member,
                "merge",
                roles=member_roles,
                actor=actor,
                at=now,
                reason=reason,
                context={"reason": reason},
                remember="merged_state",
                primary=head.number,
            )
            member.primary = head
            for name in (rules.DISPATCH, rules.SIGN):
                deadlines.stop(member, name, now)
            deadlines.project(member)
            member.save()
            joined.append(member)
        _regroup(head, now)
    return head


def _roles_on(actor, member: Ticket, roles) -> set[str]:
    """The actor's roles on this member — not the primary's: an operator of one county
    cannot pull in another county's ticket by naming it. A ticket out of scope is not found."""
    if not getattr(actor, "is_authenticated", False):
        return set(roles)
    if not access.may_read(actor, member):
        raise NotFound(f"未找到工单“{member.number}”", "members")
    return set(roles) & access.roles_for(actor, member)


def unmerge(member: Ticket | str, actor, *, roles, reason: Any, now=None) -> Ticket:
    now = now or timezone.now()
    reason = note(reason, "reason")
    number = member.number if isinstance(member, Ticket) else str(member)
    with transaction.atomic():
        first = Ticket.objects.filter(number=number).values_list("primary__number", flat=True).first()
        rows = _lock_all([number, first] if first else [number])
        member = rows[number]
        if member.status != T.MERGED or member.primary_id is None:
            raise Conflict(f"工单 {number} 未合并办理", "number")
        head = rows.get(first)
        if head is None or head.pk != member.primary_id:  # merged elsewhere since it was read
            raise Conflict(f"工单 {number} 的合并关系刚刚发生变化，请刷新后重试", "number")
        restored = member.merged_state
        engine.fire(
            TICKET,
            member,
            "unmerge",
            roles=roles,
            actor=actor,
            at=now,
            reason=reason,
            context={"reason": reason},
            resume="merged_state",
            primary=head.number,
        )
        member.primary = None
        if restored == T.RECEIVED:
            deadlines.start(member, rules.DISPATCH, now)
        elif restored == T.DISPATCHED:
            deadlines.start(member, rules.SIGN, now)
        deadlines.project(member)
        member.save()
        _regroup(head, now)
    return member


def _regroup(head: Ticket, now) -> None:
    members = list(Ticket.objects.filter(primary=head, status=T.MERGED))
    deadlines.group_finish(head, members, now)
    deadlines.project(head)
    head.save()


def members_of(ticket: Ticket) -> list[Ticket]:
    return list(Ticket.objects.filter(primary=ticket, status=T.MERGED).order_by("received_at"))
