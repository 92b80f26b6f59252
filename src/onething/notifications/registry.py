"""Notification channels as plugins (Open Forms style): one module per channel under
``backends/``, registered by decorator, enabled per deployment with ``ONETHING_NOTIFY``
(comma-separated names, default ``inbox,console``). A deployment can add channels of its own
(a province's SMS gateway) without editing the project: ``ONETHING_NOTIFY_MODULES`` names
modules to import, each registering its channels with :func:`register`.

Which channels an *event* uses is data (``EventChannel``, edited in the admin): see
:mod:`onething.notifications.routing`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from importlib import import_module

from django.conf import settings

logger = logging.getLogger("onething.notifications")

_BACKENDS: dict[str, type[Backend]] = {}
BUILTIN = ("inbox", "console", "sms", "email", "file")


@dataclass(frozen=True)
class Message:
    recipient_id: int
    phone: str
    email: str
    event: str
    title: str
    body: str
    link: str
    #: the outbox row's id: the same message delivered twice carries the same id, so a channel
    #: (or the provider behind it) can drop the second one (see ``delivery``)
    id: int | None = None


class Undeliverable(Exception):
    """A message this channel can never deliver (the recipient has no phone number any more):
    the outbox gives it up at once instead of retrying."""


class Backend:
    """A channel that delivers :class:`Message` objects.

    ``send`` raises on failure (the outbox then retries with backoff; :class:`Undeliverable`:
    gives up at once); it must not swallow errors. ``needs`` names the recipient's address the channel cannot do without
    (``"phone"``, ``"email"``), so no message is queued for someone who has none.
    """

    name = ""
    label = ""
    needs = ""

    def send(self, message: Message) -> None:  # pragma: no cover - interface
        raise NotImplementedError


def register(name: str) -> Callable[[type[Backend]], type[Backend]]:
    def decorate(cls: type[Backend]) -> type[Backend]:
        cls.name = name
        _BACKENDS[name] = cls
        return cls

    return decorate


def _plugin_modules() -> list[str]:
    return [m for m in settings.ONETHING.get("NOTIFICATION_MODULES") or [] if m]


def _import_plugins() -> None:
    for module in _plugin_modules():
        try:
            import_module(module)
        except ImportError:
            logger.exception("无法载入通知渠道模块 %s", module)


def get_backend(name: str) -> Backend:
    if name not in _BACKENDS and name in BUILTIN:
        import_module(f"onething.notifications.backends.{name}")
    if name not in _BACKENDS:
        _import_plugins()
    if name not in _BACKENDS:
        raise LookupError(f"未知的通知渠道：{name}")
    return _BACKENDS[name]()


def registered() -> dict[str, type[Backend]]:
    for name in BUILTIN:
        import_module(f"onething.notifications.backends.{name}")
    _import_plugins()
    return dict(_BACKENDS)
