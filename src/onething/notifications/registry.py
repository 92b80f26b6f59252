"""Notification backends as plugins (Open Forms style): one module per backend under
``backends/``, registered by decorator, enabled per deployment with ``ONETHING_NOTIFY``
(comma-separated names, default ``inbox,console``).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from importlib import import_module

logger = logging.getLogger("onething.notifications")

_BACKENDS: dict[str, type[Backend]] = {}
BUILTIN = ("inbox", "console", "sms", "email")


@dataclass(frozen=True)
class Message:
    recipient_id: int
    phone: str
    email: str
    event: str
    title: str
    body: str
    link: str


class Backend:
    """A channel that delivers :class:`Message` objects."""

    name = ""
    label = ""

    def send(self, message: Message) -> None:  # pragma: no cover - interface
        raise NotImplementedError

    def send_many(self, messages: list[Message]) -> None:
        """Send several messages (override to batch them); one failure does not stop the rest."""
        for message in messages:
            try:
                self.send(message)
            except Exception:
                logger.exception("通知渠道 %s 发送失败", self.name)


def register(name: str) -> Callable[[type[Backend]], type[Backend]]:
    def decorate(cls: type[Backend]) -> type[Backend]:
        cls.name = name
        _BACKENDS[name] = cls
        return cls

    return decorate


def get_backend(name: str) -> Backend:
    if name not in _BACKENDS and name in BUILTIN:
        import_module(f"onething.notifications.backends.{name}")
    if name not in _BACKENDS:
        raise LookupError(f"未知的通知渠道：{name}")
    return _BACKENDS[name]()


def registered() -> dict[str, type[Backend]]:
    for name in BUILTIN:
        import_module(f"onething.notifications.backends.{name}")
    return dict(_BACKENDS)
