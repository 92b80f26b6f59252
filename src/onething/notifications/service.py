"""``notify()`` — tell a person about an event on every enabled channel.

Called after the change it reports has been committed (``transaction.on_commit``), so a
rolled-back change never sends a message. The messages of one transaction are delivered
together by one ``on_commit`` callback, handed to the process's after-commit worker
(:mod:`onething.core.background`; at once in tests): the inbox stores them with one INSERT,
the other channels send them one by one. ``notify_group`` queues a message for every person
a query finds — the query, too, runs at delivery. A group is staff (the clerks of a hall, the
approvers of departments), never the owner of a case, so its messages carry personal numbers
masked.
"""

from __future__ import annotations

import logging
import threading

from django.conf import settings
from django.db import transaction

from onething.core.background import after_commit
from onething.kernel.codes import mask_personal_numbers_in_text
from onething.notifications.registry import Message, get_backend

logger = logging.getLogger("onething.notifications")


def enabled_backends() -> list[str]:
    names = list(settings.ONETHING.get("NOTIFICATION_BACKENDS") or ["inbox"])
    if "inbox" not in names:
        names.insert(0, "inbox")
    return names


def deliver_many(messages: list[Message]) -> None:
    """Send ``messages`` on every enabled channel; one failing channel must not stop the others."""
    if not messages:
        return
    for name in enabled_backends():
        try:
            get_backend(name).send_many(messages)
        except Exception:
            logger.exception("通知渠道 %s 发送失败", name)


def deliver(message: Message) -> None:
    deliver_many([message])


class _Batch:
    """The messages queued in one transaction (and savepoint), sent by one callback.

    Besides single messages it holds *groups*: one message for every person a query finds
    (``notify_group``). The query runs when the batch is delivered — after the commit, on the
    process's worker thread on a server — so a request that tells ten window clerks pays for
    neither the query nor the INSERT.
    """

    def __init__(self) -> None:
        self.messages: list[Message] = []
        self.groups: list[tuple] = []
        self.sent = False

    def __call__(self) -> None:
        self.sent = True
        with _committed_lock:
            _committed.append(self)
        # coalesced: one delivery run (at most every DELIVERY_INTERVAL) takes every batch
        # committed until it starts
        after_commit(_deliver_committed, key="notifications", every=DELIVERY_INTERVAL)

    def expand(self, found: dict) -> list[Message]:
        """The messages, groups read from the database (``found``: groups already read in
        this delivery run, by their key — ten intakes at one hall read its clerks once)."""
        messages = list(self.messages)
        for people, key, event, title, body, link in self.groups:
            if key is None or key not in found:
                rows = _people(people)
                if key is None:
                    messages += _messages(rows, event, title, body, link)
                    continue
                found[key] = rows
            messages += _messages(found[key], event, title, body, link)
        return messages


DELIVERY_INTERVAL = 0.05  # seconds between background delivery runs


_committed: list[_Batch] = []  # batches whose transaction committed, not yet delivered
_committed_lock = threading.Lock()


def _deliver_committed() -> None:
    with _committed_lock:
        batches = list(_committed)
        _committed.clear()
    messages: list[Message] = []
    found: dict = {}
    for batch in batches:
        try:
            messages += batch.expand(found)
        except Exception:  # one batch's query failing must not lose the others
            logger.exception("通知收件人查询失败")
    deliver_many(messages)


def _open_batch(connection) -> _Batch:
    """The batch of the current transaction, or a new one with its ``on_commit`` callback.

    A batch is reused only while its callback is still queued and has not run: a rollback
    (of the transaction or of the savepoint it was queued in) drops the callback, and so the
    messages queued with it, exactly as for one callback per message.
    """
    savepoints = set(connection.savepoint_ids)
    for sids, func, _ in reversed(connection.run_on_commit):
        if isinstance(func, _Batch) and not func.sent and set(sids) == savepoints:
            return func
    batch = _Batch()
    transaction.on_commit(batch)
    return batch


def notify(user, event: str, title: str, body: str = "", link: str = "") -> None:
    """Queue a notification to ``user`` for after the current transaction commits."""
    if user is None or not getattr(user, "pk", None):
        return
    message = Message(
        recipient_id=user.pk,
        phone=getattr(user, "phone", "") or "",
        email=getattr(user, "email", "") or "",
        event=event,
        title=title,
        body=body,
        link=link,
    )
    connection = transaction.get_connection()
    if not connection.in_atomic_block:
        deliver(message)  # autocommit: the change is already committed
        return
    _open_batch(connection).messages.append(message)


def _people(people) -> list[tuple]:
    """(id, phone, email) of each person of the queryset, once."""
    return list(people.order_by().values_list("pk", "phone", "email").distinct())


def _messages(rows, event: str, title: str, body: str, link: str) -> list[Message]:
    return [
        Message(
            recipient_id=pk,
            phone=phone or "",
            email=email or "",
            event=event,
            title=title,
            body=body,
            link=link,
        )
        for pk, phone, email in rows
    ]


def notify_group(people, event: str, title: str, body: str = "", link: str = "", *, key=None) -> None:
    """Tell every user of the queryset ``people`` (each once) after the current transaction
    commits; the query runs at delivery, off the request (see :class:`_Batch`). ``key``
    (hashable) names the group when equal keys mean equal people, so one delivery run reads
    it once. Personal numbers in ``title`` and ``body`` are masked: a group is never their owner.
    (This layer sits below ``accounts``: it calls the kernel's text masking that
    ``accounts.masking.mask_text`` wraps.)"""
    title, body = mask_personal_numbers_in_text(title), mask_personal_numbers_in_text(body)
    connection = transaction.get_connection()
    if not connection.in_atomic_block:
        deliver_many(_messages(_people(people), event, title, body, link))
        return
    _open_batch(connection).groups.append((people, key, event, title, body, link))
