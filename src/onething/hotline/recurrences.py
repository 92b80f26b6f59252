"""重复诉求: complaints (投诉, 办不成事) about one item, department or hall, counted over a
rolling window (``rules.RECURRENCE_DAYS``); past the threshold they become a report and a task
for the owner (machine ``hotline.recurrence``), as recurring 差评 become a catalog defect
(``ratings.defects``).

- :func:`check` — called by intake for each new ticket, in its transaction, after the ticket
  is saved. For each subject the ticket names (its item, its department, its hall — each
  counted on its own, so three complaints about one item of a department are also three
  about the department) it counts the tickets of ``rules.RECURRENCE_CATEGORIES`` about that
  subject received within ``RECURRENCE_DAYS`` up to this ticket's ``received_at`` (and after
  the subject's last fix: what was fixed is not counted again). At
  ``RECURRENCE_THRESHOLD`` it opens one :class:`Recurrence` (role system) on the clock
  ``hotline.recurrence`` (10 working days) and tells the owner — the item's department, the
  department itself, or the hall's managers. While one is open for the subject, a further
  ticket is added to it (count and numbers) instead. One open recurrence per subject (partial
  unique index): a second filing at the same instant loses the race in a savepoint and is
  added to the one that won.
- :func:`fix` — the owner records what it changed (role handler); the clock stops.
- The clock kind ``hotline.recurrence``: yellow tells the owner, red tells the owner again and
  escalates to the supervisors of the recurrence's region (:func:`register_clocks`).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Max, Q, QuerySet
from django.utils import timezone

from onething.accounts.models import StaffRole, User
from onething.catalog.models import Item, PublishState
from onething.clocks import registry
from onething.clocks import service as clocks
from onething.core import text
from onething.hotline import access, rules
from onething.hotline.machines import HANDLER, OPERATOR, RECURRENCE, SUPERVISOR, SYSTEM
from onething.hotline.models import Recurrence, Ticket
from onething.kernel.errors import Invalid, NotFound
from onething.notifications.service import notify_group
from onething.workflow import engine

KIND = "hotline.recurrence"
CLOCK = "fix"
POLICY = "hotline.recurrence"
EVENT = "hotline.recurrence"
#: the ticket numbers kept on a recurrence (the count goes on past it)
NUMBERS_KEPT = 200

text.LABELS.setdefault("note", "说明")


def link(recurrence: Recurrence) -> str:
    return f"/hotline/recurrences/{recurrence.pk}/"


def owner(recurrence: Recurrence) -> tuple[str, str]:
    return (KIND, str(recurrence.pk))


def due_date(due_at: dt.datetime) -> dt.date:
    """The last day of a working-day clock (due at the midnight that ends it)."""
    return timezone.localdate(due_at - dt.timedelta(days=1))


# ------------------------------------------------------------------------------ subjects


def _subjects(ticket: Ticket) -> list[dict]:
    """What the ticket is about, each a subject of its own: (subject, key, name, the filter
    of the tickets about it, its owner and region)."""
    found = []
    if ticket.item_code:
        item = (
            Item.objects.filter(code=ticket.item_code, state=PublishState.PUBLISHED)
            .select_related("department__region")
            .first()
        )
        department = item.department if item is not None else ticket.department
        if department is not None:
            found.append(
                {
                    "subject": "item",
                    "key": ticket.item_code,
                    "name": ticket.item_name or (item.name if item else ticket.item_code),
                    "filter": Q(item_code=ticket.item_code),
                    "department": department,
                    "hall": None,
                    "region": department.region,
                }
            )
    if ticket.department_id:
        department = ticket.department
        found.append(
            {
                "subject": "department",
                "key": department.pk,
                "name": department.name,
                "filter": Q(department_id=department.pk),
                "department": department,
                "hall": None,
                "region": department.region,
            }
        )
    if ticket.hall_id:
        hall = ticket.hall
        found.append(
            {
                "subject": "hall",
                "key": hall.pk,
                "name": hall.name,
                "filter": Q(hall_id=hall.pk),
                "department": None,
                "hall": hall,
                "region": hall.region,
            }
        )
    return found


def behind(condition: Q, until: dt.datetime, days: int = rules.RECURRENCE_DAYS) -> QuerySet:
    """The tickets that count: of the recurrence categories, taken in (not redirected), about
    the subject, received within ``days`` up to ``until``."""
    return Ticket.objects.filter(
        condition,
        category__in=rules.RECURRENCE_CATEGORIES,
        received_at__gt=until - dt.timedelta(days=days),
        received_at__lte=until,
    ).exclude(status=Ticket.Status.REDIRECTED)


def owners(recurrence: Recurrence) -> QuerySet:
    """Who fixes it: the department's handlers and admins, or the hall's managers."""
    if recurrence.department_id:
        return access.handlers(recurrence.department_id)
    roles = StaffRole.objects.filter(role=StaffRole.HALL_MANAGER, hall_id=recurrence.hall_id)
    return User.objects.filter(is_active=True, pk__in=roles.values("user_id"))


# ------------------------------------------------------------------------------ check


def check(ticket: Ticket, now) -> None:
    """Count the ticket towards each of its subjects; open or grow their recurrences."""
    if ticket.category not in rules.RECURRENCE_CATEGORIES or ticket.status == Ticket.Status.REDIRECTED:
        return None
    for subject in _subjects(ticket):
        _note(ticket, subject, now)
    return None


def _add(recurrence_pk: int, ticket: Ticket) -> Recurrence:
    """Add the ticket to the open recurrence (locked), once."""
    locked = Recurrence.objects.select_for_update().get(pk=recurrence_pk)
    if ticket.number not in locked.tickets:
        locked.tickets = [*locked.tickets, ticket.number][-NUMBERS_KEPT:]
        locked.count += 1
        locked.save(update_fields=["tickets", "count"])
    return locked


def _open_one(subject: dict) -> int | None:
    return (
        Recurrence.objects.filter(
            subject=subject["subject"], key=subject["key"], status=Recurrence.Status.OPEN
        )
        .values_list("pk", flat=True)
        .first()
    )


def _note(ticket: Ticket, subject: dict, now) -> Recurrence | None:
    existing = _open_one(subject)
    if existing is not None:
        return _add(existing, ticket)
    rows = behind(subject["filter"], ticket.received_at)
    fixed = Recurrence.objects.filter(
        subject=subject["subject"], key=subject["key"], status=Recurrence.Status.FIXED
    ).aggregate(last=Max("fixed_at"))["last"]
    if fixed is not None:  # what was fixed is not counted again: only complaints since
        rows = rows.filter(received_at__gt=fixed)
    count = rows.count()
    if count < rules.RECURRENCE_THRESHOLD:
        return None
    numbers = list(rows.order_by("received_at", "pk").values_list("number", flat=True)[:NUMBERS_KEPT])
    recurrence = Recurrence(
        subject=subject["subject"],
        key=subject["key"],
        name=subject["name"][:200],
        region=subject["region"],
        department=subject["department"],
        hall=subject["hall"],
        count=count,
        window_days=rules.RECURRENCE_DAYS,
        tickets=numbers,
        opened_at=now,
    )
    try:
        with transaction.atomic():
            engine.create(
                RECURRENCE,
                recurrence,
                "open",
                roles=[SYSTEM],
                at=now,
                save_as="recurrence",
                about=recurrence.subject,
                key=recurrence.key,
                count=count,
                ticket=ticket.number,
            )
            clock = clocks.start(owner(recurrence), CLOCK, POLICY, now, recurrence.region_id)
            recurrence.due_date = due_date(clock.due_at)
            recurrence.save(update_fields=["due_date"])
    except IntegrityError:  # another filing opened it at the same instant: add to that one
        existing = _open_one(subject)
        return _add(existing, ticket) if existing is not None else None
    what = rules.RECURRENCE_SUBJECTS[recurrence.subject]
    title = (
        f"重复诉求整改：{what}“{recurrence.name}”{recurrence.window_days}天内收到{count}件投诉或办不成事反映，"
        f"请于 {recurrence.due_date} 前完成整改"
    )
    notify_group(owners(recurrence), EVENT, title, "", link(recurrence))
    return recurrence


# ------------------------------------------------------------------------------ fix


def fix(
    recurrence: Recurrence | int, actor, *, roles, note: Any, now: dt.datetime | None = None
) -> Recurrence:
    """完成整改: the owner records what it changed (role ``handler``); the clock stops."""
    now = now or timezone.now()
    note = text.clean(note, "note", max_length=rules.NOTE_MAX, multiline=True)
    if not note:
        raise Invalid("请填写整改说明", "note")
    pk = recurrence.pk if isinstance(recurrence, Recurrence) else recurrence
    with transaction.atomic():
        locked = Recurrence.objects.select_for_update().filter(pk=pk).first()
        if locked is None:
            raise NotFound("未找到该重复诉求", "recurrence")
        engine.fire(
            RECURRENCE,
            locked,
            "fix",
            roles=roles,
            actor=actor,
            at=now,
            reason=note,
            context={"reason": note},
        )
        clocks.stop(owner(locked), CLOCK, now)
        locked.fix_note = note
        locked.fixed_at = now
        locked.fixed_by = actor
        locked.save()
    return locked


# ------------------------------------------------------------------------------ who sees it


def _staff(user) -> list[StaffRole]:
    if not getattr(user, "is_authenticated", False):
        return []
    return list(StaffRole.objects.filter(user=user).select_related("region"))


def roles_for(user, recurrence: Recurrence) -> set[str]:
    """``handler`` for the owner (the department's handlers and admins, the hall's managers),
    ``supervisor`` for supervisors over its region and platform admins, ``operator`` for the
    hotline centre over its region."""
    out: set[str] = set()
    path = recurrence.region.path.split("/")
    for role in _staff(user):
        of_department = role.role in access.HANDLER_ROLES and role.department_id
        of_hall = role.role == StaffRole.HALL_MANAGER and role.hall_id
        if (of_department and role.department_id == recurrence.department_id) or (
            of_hall and role.hall_id == recurrence.hall_id
        ):
            out.add(HANDLER)
        elif role.role == StaffRole.PLATFORM_ADMIN or (
            role.role == StaffRole.SUPERVISOR and role.region_id in path
        ):
            out.add(SUPERVISOR)
        elif role.role == StaffRole.HOTLINE_OPERATOR and role.region_id in path:
            out.add(OPERATOR)
    return out


def visible(user, queryset: QuerySet | None = None) -> QuerySet:
    """The recurrences ``user`` may read (``roles_for`` as a filter)."""
    queryset = Recurrence.objects.all() if queryset is None else queryset
    condition = Q(pk__in=[])
    for role in _staff(user):
        if role.role == StaffRole.PLATFORM_ADMIN:
            return queryset
        if role.role in (StaffRole.SUPERVISOR, StaffRole.HOTLINE_OPERATOR) and role.region_id:
            path = role.region.path
            condition |= Q(region__path=path) | Q(region__path__startswith=f"{path}/")
        elif role.role in access.HANDLER_ROLES and role.department_id:
            condition |= Q(department_id=role.department_id)
        elif role.role == StaffRole.HALL_MANAGER and role.hall_id:
            condition |= Q(hall_id=role.hall_id)
    return queryset.filter(condition)


def tickets_of(recurrence: Recurrence, user) -> list[dict]:
    """The numbers behind it, newest first; the tickets ``user`` may read come with their
    category, received moment and state (the others are shown by number only)."""
    rows = Ticket.objects.filter(number__in=recurrence.tickets).select_related("region")
    readable = {t.number: t for t in access.visible(user, rows)}
    return [{"number": n, "ticket": readable.get(n)} for n in reversed(recurrence.tickets)]


# ------------------------------------------------------------------------------ clock


def _warn(marks, level: str) -> None:
    label = "黄牌" if level == "yellow" else "红牌"
    for mark in marks:
        recurrence = (
            Recurrence.objects.select_related("region")
            .filter(pk=mark.owner_id, status=Recurrence.Status.OPEN)
            .first()
        )
        if recurrence is None:
            continue
        what = rules.RECURRENCE_SUBJECTS.get(recurrence.subject, "")
        title = f"重复诉求整改{label}：{what}“{recurrence.name}”须于 {due_date(mark.due_at)} 前完成整改"
        people = owners(recurrence) if "owner" in mark.audience else User.objects.none()
        if level == "red" and "supervisor" in mark.audience:
            people = User.objects.filter(
                Q(pk__in=people.values("pk")) | Q(pk__in=access.supervisors(recurrence.region).values("pk"))
            )
        notify_group(people, EVENT, title, "", link(recurrence))


def register_clocks() -> None:
    registry.register(
        KIND,
        on_yellow=lambda marks: _warn(marks, "yellow"),
        on_red=lambda marks: _warn(marks, "red"),
    )
