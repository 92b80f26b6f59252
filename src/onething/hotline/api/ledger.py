"""The red/yellow card ledger and recurring complaints in the API (mounted at
``/api/v1/hotline``; bearer token or session).

- ``GET /cards?from=&to=&region=&level=`` — the per-department rows (``ledger.summary``) and the
  latest 100 cards, within the caller's scope (supervisors and operators: their region; a
  department's handlers: their department; platform admins: all). No scope, or a region
  outside it: 404; a bad date or level: 400 naming the field.
- ``GET /recurrences?status=`` — the recurrences the caller may see.
- ``POST /recurrences/{id}/fix`` ``{"note"}`` — the owner's 完成整改 (403 for others who see it,
  404 outside scope, 409 when already fixed).
"""

from __future__ import annotations

from typing import Annotated

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema

from onething.accounts.auth import authenticated
from onething.core.errors import responses
from onething.core.text import RowId, Text
from onething.hotline import ledger, recurrences, rules
from onething.hotline.models import Recurrence
from onething.kernel.errors import NotFound

router = Router(tags=["12345"], auth=authenticated)


class DepartmentRow(Schema):
    department: str | None
    name: str
    yellow: dict[str, int]
    red: dict[str, int]
    yellow_total: int
    red_total: int
    handled: int
    on_time: int
    on_time_rate: float | None
    red_per_100: float | None


class CardOut(Schema):
    id: int
    ticket: str
    link: str
    clock: str
    clock_name: str
    level: str
    level_name: str
    department: str | None
    department_name: str
    region: str
    region_name: str
    category: str
    category_name: str
    due_at: str
    at: str


class Ledger(Schema):
    first: str = Field(alias="from")
    to: str
    region: str | None
    departments: list[DepartmentRow]
    cards: list[CardOut]


class RecurrenceOut(Schema):
    id: int
    subject: str
    subject_name: str
    key: str
    name: str
    region: str
    department: str | None
    hall: str | None
    count: int
    window_days: int
    tickets: list[str]
    status: str
    status_name: str
    opened_at: str
    due_date: str | None
    fix_note: str
    fixed_at: str | None
    link: str
    actions: list[str]


class RecurrenceList(Schema):
    results: list[RecurrenceOut]


class FixIn(Schema):
    note: Text(rules.NOTE_MAX, multiline=True) = ""


Param = Annotated[Text(20) | None, Query()]


@router.get(
    "/cards",
    response=responses(Ledger, 401, 404),
    by_alias=True,
    summary="红黄牌台账（按部门汇总与最新红黄牌）",
)
def cards(
    request: HttpRequest,
    first: Annotated[Text(20) | None, Query(alias="from")] = None,
    last: Annotated[Text(20) | None, Query(alias="to")] = None,
    region: Param = None,
    level: Param = None,
) -> dict:
    scope = ledger.scope_of(request.auth)
    if not scope:
        raise NotFound("未找到红黄牌台账", "region")
    found, narrowed = ledger.narrow(scope, region)
    start, end = ledger.period(first, last)
    level = ledger.level_of(level)
    rows = ledger.in_region(narrowed.cards(), found)
    tickets = ledger.in_region(narrowed.tickets(), found)
    counted = rows.filter(level=level) if level else rows
    return {
        "from": start.isoformat(),
        "to": end.isoformat(),
        "region": found.code if found else None,
        "departments": [r.as_dict() for r in ledger.summary(counted, start=start, end=end, tickets=tickets)],
        "cards": [ledger.card_dict(c) for c in ledger.latest(rows, start=start, end=end, level=level)],
    }


def recurrence_out(r: Recurrence, user) -> dict:
    roles = recurrences.roles_for(user, r)
    return {
        "id": r.pk,
        "subject": r.subject,
        "subject_name": rules.RECURRENCE_SUBJECTS.get(r.subject, r.subject),
        "key": r.key,
        "name": r.name,
        "region": r.region_id,
        "department": r.department_id,
        "hall": r.hall_id,
        "count": r.count,
        "window_days": r.window_days,
        "tickets": list(r.tickets),
        "status": r.status,
        "status_name": r.get_status_display(),
        "opened_at": r.opened_at.isoformat(),
        "due_date": r.due_date.isoformat() if r.due_date else None,
        "fix_note": r.fix_note,
        "fixed_at": r.fixed_at.isoformat() if r.fixed_at else None,
        "link": recurrences.link(r),
        "actions": ["fix"] if "handler" in roles and r.status == Recurrence.Status.OPEN else [],
    }


@router.get(
    "/recurrences", response=responses(RecurrenceList, 401), summary="重复诉求整改列表（本人可见范围）"
)
def list_recurrences(request: HttpRequest, status: Param = None) -> dict:
    rows = recurrences.visible(request.auth).select_related("region")
    if status:
        rows = rows.filter(status=status)
    rows = rows.order_by("-status", "due_date", "-opened_at")[:200]
    return {"results": [recurrence_out(r, request.auth) for r in rows]}


@router.post(
    "/recurrences/{recurrence_id}/fix",
    response=responses(RecurrenceOut, 401, 403, 404, 409),
    summary="完成重复诉求整改（责任部门或大厅）",
)
def fix_recurrence(request: HttpRequest, recurrence_id: RowId, payload: FixIn) -> dict:
    found = recurrences.visible(request.auth).select_related("region").filter(pk=recurrence_id).first()
    if found is None:
        raise NotFound("未找到该重复诉求", "recurrence")
    roles = recurrences.roles_for(request.auth, found)
    done = recurrences.fix(found, request.auth, roles=roles, note=payload.note)
    return recurrence_out(done, request.auth)
