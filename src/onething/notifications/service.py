"""``notify()`` and ``notify_group()`` — tell people about an event, durably.

Both write rows **in the caller's transaction**: the inbox message (站内消息, the durable
record itself) and, for each other channel the event uses (``routing``: ``EventChannel`` ∩
``ONETHING_NOTIFY``), an :class:`~onething.notifications.models.OutboxMessage`. So a
rolled-back change leaves no message, and a committed one cannot lose its messages to a
crash: what is not sent yet is still in the outbox. After the commit a huey task delivers
the outbox (``delivery.py``); SMS and email never run in the request, nor on the
after-commit worker thread that links the audit chain — that thread only enqueues the task.

Cost on the write path: one INSERT per ``notify`` (one row: the inbox; a second statement
when other channels are on) and one ``INSERT … SELECT`` per ``notify_group`` (per channel).

``notify_group`` resolves its people **when it is called**, inside the transaction: the
``INSERT … SELECT`` reads the group and writes its rows in one statement, with no rows
travelling to Python. The group is the audience at the moment of the event (a clerk who
joins the hall tomorrow does not get today's messages), and a crash after the commit leaves
nothing to re-resolve. A group is staff (the clerks of a hall, the approvers of departments),
never the owner of a case, so its messages carry personal numbers masked.
"""

from __future__ import annotations

import contextlib
import logging
from typing import Any

from django.core.exceptions import EmptyResultSet
from django.db import connections, transaction
from django.db.models import F
from django.utils import timezone

from onething.core.background import after_commit, on_commit_once
from onething.core.rows import insert_rows
from onething.kernel.codes import mask_personal_numbers_in_text
from onething.notifications import routing
from onething.notifications.models import Notification, OutboxMessage
from onething.notifications.registry import get_backend
from onething.notifications.routing import enabled_backends

__all__ = ["enabled_backends", "notify", "notify_group"]

logger = logging.getLogger("onething.notifications")

DELIVERY_INTERVAL = 0.05  # seconds: under load, the commits of each interval share one delivery task


def _enqueue_delivery() -> None:
    """Runs on the after-commit worker (in the committing thread in tests): hands delivery
    to the huey consumer. Enqueuing is all it does."""
    from onething.notifications.tasks import deliver_outbox

    deliver_outbox()


def kick() -> None:
    """After a commit that wrote outbox rows: have them delivered soon (coalesced per process;
    the minute sweep delivers them anyway if this is lost to a crash)."""
    after_commit(_enqueue_delivery, key="notifications.outbox", every=DELIVERY_INTERVAL)


def _own_transaction(connection):
    """A transaction for rows that belong together, unless the caller's is open: then no
    savepoint (two statements fewer) — a failure propagates and rolls the caller's change
    back with these rows."""
    return (
        contextlib.nullcontext() if connection.in_atomic_block else transaction.atomic(using=connection.alias)
    )


def notify(user, event: str, title: str, body: str = "", link: str = "") -> None:
    """Tell ``user``: the inbox message and the outbox rows are written in the current
    transaction (in their own, in autocommit)."""
    if user is None or not getattr(user, "pk", None):
        return
    channels = routing.channels_for(
        event, phone=getattr(user, "phone", "") or "", email=getattr(user, "email", "") or ""
    )
    now = timezone.now()
    note = Notification(recipient_id=user.pk, event=event, title=title, body=body, link=link)
    outbox = [
        OutboxMessage(
            recipient_id=user.pk,
            channel=channel,
            event=event,
            title=title,
            body=body,
            link=link,
            next_attempt_at=now,
        )
        for channel in channels
    ]
    connection = transaction.get_connection()
    if not outbox:
        insert_rows([note], keys=False)  # one statement: atomic on its own
        return
    with _own_transaction(connection):
        insert_rows([note], keys=False)
        insert_rows(outbox, keys=False)
        on_commit_once(kick, connection)


def _insert_for_people(model, people, values: dict[str, Any]) -> int:
    """``INSERT INTO model (recipient, …) SELECT person, … FROM (people)``: one statement,
    each person of the queryset once. Returns the number of rows written."""
    connection = connections[people.db]
    quote = connection.ops.quote_name
    ids = people.order_by().values(person=F("pk")).distinct()
    try:
        sub_sql, sub_params = ids.query.get_compiler(connection=connection).as_sql()
    except EmptyResultSet:  # ``.none()``, ``pk__in=[]``: nobody to tell
        return 0
    meta = model._meta
    fields = [meta.get_field(name) for name in values]
    columns = ", ".join([quote(meta.get_field("recipient").column), *(quote(f.column) for f in fields)])
    picked = ", ".join(["%s"] * len(fields))
    sql = f"INSERT INTO {quote(meta.db_table)} ({columns}) SELECT g.{quote('person')}, {picked} FROM ({sub_sql}) g"  # noqa: S608 - names from the models
    params = [f.get_db_prep_save(value, connection) for f, value in zip(fields, values.values(), strict=True)]
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, *sub_params])
        return max(cursor.rowcount, 0)


def notify_group(people, event: str, title: str, body: str = "", link: str = "", *, key=None) -> None:
    """Tell every user of the queryset ``people`` (each once), resolved now, in the current
    transaction (see the module docstring). Personal numbers in ``title`` and ``body`` are
    masked: a group is never their owner. (This layer sits below ``accounts``: it calls the
    kernel's text masking that ``accounts.masking.mask_text`` wraps.)

    ``key`` is accepted for callers written when groups were read at delivery (equal keys
    shared one read); each group is now read once, by its own INSERT, so it changes nothing.
    """
    del key
    title, body = mask_personal_numbers_in_text(title), mask_personal_numbers_in_text(body)
    now = timezone.now()
    message = {"event": event, "title": title, "body": body, "link": link}
    channels = routing.channels_for(event, known=False)
    connection = transaction.get_connection()
    with _own_transaction(connection) if channels else contextlib.nullcontext():
        _insert_for_people(Notification, people, {**message, "created_at": now})
        queued = 0
        for channel in channels:
            needs = get_backend(channel).needs
            reachable = people.filter(**{f"{needs}__gt": ""}) if needs else people
            queued += _insert_for_people(
                OutboxMessage,
                reachable,
                {
                    **message,
                    "channel": channel,
                    "status": OutboxMessage.Status.PENDING,
                    "attempts": 0,
                    "next_attempt_at": now,
                    "last_error": "",
                    "created_at": now,
                },
            )
        if queued:
            on_commit_once(kick, connection)
