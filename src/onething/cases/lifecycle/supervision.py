"""督办: a supervisor presses the department on a running sub-case (typically yellow or red).

The note is the ``supervise`` event of the sub-case machine (state unchanged), so it is one
audit record written by the engine, in the transaction that also tells the department's
approvers (inbox, and the outbox channels the ``case.supervise`` event uses). It stays between
the supervisor and the department: the applicant's history does not show it.
"""

from __future__ import annotations

from django.db import transaction

from onething.cases import inputs
from onething.cases.lifecycle.base import clock, context, fire, load_sub, roles, tell_departments
from onething.cases.machines import SUBCASE
from onething.cases.models import SubCase


def supervise(subcase: SubCase, actor, *, note: str, now=None, today=None) -> SubCase:
    """督办 ``subcase`` with ``note`` (required); the department's approvers are told."""
    now, today = clock(now, today)
    note = inputs.reason(note, "note", required=True)
    with transaction.atomic():
        app, sub = load_sub(subcase)
        fire(
            SUBCASE,
            sub,
            "supervise",
            actor,
            now,
            roles=roles(actor, app, sub),
            reason=note,
            context=context(app, sub),
            warning=sub.warning,
            due_date=str(sub.due_date) if sub.due_date else None,
        )
        due = f"，办结期限 {sub.due_date:%Y-%m-%d}" if sub.due_date else ""
        tell_departments(
            app,
            [sub],
            "supervise",
            f"督办：{sub.item_name}（{sub.number}）",
            f"{note}（督查：{getattr(actor, 'display_name', '')}{due}）",
        )
    return sub
