"""Which channels a message goes out on: the inbox always, plus the channels its event kind
lists in ``EventChannel`` that the deployment enables (``ONETHING_NOTIFY``).

``notify()`` asks on the hot write paths (intake), so the table is read once and kept in the
process for :data:`TTL` seconds: an admin's edit reaches this process at once (signals) and
every other process within ``TTL``. A deployment that enables no channel besides the inbox
never reads the table.
"""

from __future__ import annotations

import logging
import threading
import time

from django.conf import settings
from django.db import transaction

from onething.notifications.registry import get_backend

logger = logging.getLogger("onething.notifications")

TTL = 30.0  # seconds an EventChannel table read is reused

_lock = threading.Lock()
_table: tuple[float, dict[str, tuple[str, ...]]] | None = None


def enabled_backends() -> list[str]:
    """The channels this deployment enables; the inbox always."""
    names = list(settings.ONETHING.get("NOTIFICATION_BACKENDS") or ["inbox"])
    if "inbox" not in names:
        names.insert(0, "inbox")
    return names


def outbox_channels() -> list[str]:
    """Enabled channels that send through the outbox (all but the inbox), known to the registry."""
    out = []
    for name in enabled_backends():
        if name == "inbox":
            continue
        try:
            get_backend(name)
        except LookupError:
            logger.error("已启用的通知渠道 %s 未注册，忽略", name)
            continue
        out.append(name)
    return out


def _event_table() -> dict[str, tuple[str, ...]]:
    global _table
    cached = _table
    if cached is not None and time.monotonic() - cached[0] < TTL:
        return cached[1]
    from onething.notifications.models import EventChannel

    with _lock:
        rows = EventChannel.objects.values_list("event", "channels")
        table = {event: tuple(c for c in channels or () if isinstance(c, str)) for event, channels in rows}
        _table = (time.monotonic(), table)
        return table


def forget() -> None:
    """Drop the cached table (an edit here; tests)."""
    global _table
    _table = None


def changed(**_kwargs) -> None:
    """``post_save``/``post_delete`` of ``EventChannel``: forget now, and again at the commit
    (a read in between, by another thread, would have cached the old rows)."""
    forget()
    transaction.on_commit(forget)


def channels_for(event: str, *, phone: str = "", email: str = "", known: bool = True) -> list[str]:
    """The outbox channels ``event`` goes out on (the inbox is not among them: it is always
    written). With ``known``, channels that need an address the recipient lacks are left out
    (``phone``/``email``); a group passes ``known=False`` and filters in its query."""
    enabled = outbox_channels()
    if not enabled:
        return []
    wanted = _event_table().get(event, ())
    out = []
    for name in enabled:
        if name not in wanted:
            continue
        needs = get_backend(name).needs
        if known and ((needs == "phone" and not phone) or (needs == "email" and not email)):
            continue
        out.append(name)
    return out
