"""A person's inbox (站内消息): the page of messages, the unread count, marking read.

Shared by the API (``api.py``) and the page (``views.py``); both find messages through
:func:`of`, so nobody reads or marks another person's message — theirs is simply not found.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import QuerySet
from django.utils import timezone

from onething.notifications.models import Notification

PAGE_SIZE = 20
MAX_PAGE_SIZE = 100
HEADER_CAP = 99  # the header shows "99+" beyond this: its count reads at most 100 index entries


@dataclass(frozen=True)
class Page:
    items: list[Notification]
    number: int
    size: int
    has_next: bool

    @property
    def has_previous(self) -> bool:
        return self.number > 1


def of(person) -> QuerySet[Notification]:
    return Notification.objects.filter(recipient_id=person.pk)


def page(person, number: int = 1, size: int = PAGE_SIZE, unread: bool = False) -> Page:
    """Newest first; ``unread`` only the unread ones. One query (one row more than the page
    tells whether another page follows)."""
    size = max(1, min(size, MAX_PAGE_SIZE))
    number = max(1, number)
    qs = of(person)
    if unread:
        qs = qs.filter(read_at__isnull=True)
    start = (number - 1) * size
    rows = list(qs.order_by("-created_at", "-id")[start : start + size + 1])
    return Page(rows[:size], number, size, len(rows) > size)


def unread_count(person, cap: int | None = None) -> int:
    """Unread messages; with ``cap``, counting stops at ``cap + 1`` (enough to say "99+")."""
    qs = of(person).filter(read_at__isnull=True)
    if cap is None:
        return qs.count()
    return len(qs.order_by()[: cap + 1].values_list("pk", flat=True))


def badge(person) -> str:
    """The header's unread count: "" (none), "1" … "99", "99+"."""
    n = unread_count(person, cap=HEADER_CAP)
    return "" if n == 0 else (f"{HEADER_CAP}+" if n > HEADER_CAP else str(n))


def mark_read(person, pk: int, now: dt.datetime | None = None) -> Notification | None:
    """Mark one of ``person``'s messages read (once: a second call keeps the first time).
    ``None`` when it is not theirs or does not exist."""
    now = now or timezone.now()
    note = of(person).filter(pk=pk).first()
    if note is None:
        return None
    if note.read_at is None:
        if of(person).filter(pk=pk, read_at__isnull=True).update(read_at=now):
            note.read_at = now
        else:  # marked meanwhile (another tab): keep that time
            note.refresh_from_db(fields=["read_at"])
    return note


def mark_all_read(person, now: dt.datetime | None = None) -> int:
    return of(person).filter(read_at__isnull=True).update(read_at=now or timezone.now())
