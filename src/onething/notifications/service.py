"""``notify()`` — tell a person about an event on every enabled channel.

Called after the change it reports has been committed (``transaction.on_commit``), so a
rolled-back change never sends a message.
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


def deliver(message: Message) -> None:
    for name in enabled_backends():
        try:
            get_backend(name).send(message)
        except Exception:  # one failing channel must not stop the others
            logger.exception("通知渠道 %s 发送失败", name)


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
    transaction.on_commit(lambda: deliver(message))
