"""``notify()`` — tell a person about an event on every enabled channel.

Called after the change it reports has been committed (``transaction.on_commit``), so a
rolled-back change never sends a message. The messages of one transaction are delivered
together by one ``on_commit`` callback: the inbox stores them with one bulk INSERT (one
statement, one commit), the other channels send them one by one.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.db import transaction

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
    """The messages queued in one transaction (and savepoint), sent by one callback."""

    def __init__(self) -> None:
        self.messages: list[Message] = []
        self.sent = False

    def __call__(self) -> None:
        self.sent = True
        deliver_many(self.messages)


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
