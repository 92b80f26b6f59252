"""Throttles for registration, code sending and password reset — the login's limits.

Logins are throttled by django-axes: ``AXES_FAILURE_LIMIT`` failures within
``AXES_COOLOFF_TIME`` lock a username on an address. The pages that lead to an account without
a password (registration by SMS code, password reset by SMS code) and the one that makes the
platform send messages (code sending) take the **same limit and window**, read from axes'
own helpers, so one setting governs them all:

* code sending — counted per phone number *and* per address, every code sent;
* registration and reset — counted per phone number and per address, every failed attempt
  (a wrong or expired code, an ID number or phone already registered).

A key over the limit is refused with :class:`Throttled` until its oldest counted event in the
window ages out. Events are rows (:class:`~onething.accounts.models.RateEvent`), so every
process and machine shares them (the default cache is per process); keys are a keyed hash of
the phone or address, never the number itself. Old rows are purged by ``accounts.tasks``.
"""

from __future__ import annotations

import datetime as dt
import math

from axes.helpers import get_cool_off, get_failure_limit
from django.utils.crypto import salted_hmac

from onething.accounts.models import RateEvent
from onething.kernel.errors import Conflict

CODE_PHONE, CODE_IP = "code.phone", "code.ip"
REGISTER_PHONE, REGISTER_IP = "register.phone", "register.ip"
RESET_PHONE, RESET_IP = "reset.phone", "reset.ip"
DEFAULT_WINDOW = dt.timedelta(minutes=15)


class Throttled(Conflict):
    """Too many attempts; ``retry_after`` is in seconds. Pages answer 429."""

    default_code = "throttled"

    def __init__(self, message: str, field: str | None = None, *, retry_after: int, **kwargs):
        super().__init__(message, field, retry_after=retry_after, **kwargs)
        self.retry_after = retry_after


def limit() -> int:
    """Counted events allowed per key within :func:`window` (axes' failure limit)."""
    return max(1, int(get_failure_limit(None, None)))


def window() -> dt.timedelta:
    """The window events are counted in (axes' cool-off; 15 minutes when axes has none)."""
    return get_cool_off(None) or DEFAULT_WINDOW


def key(scope: str, value: str) -> str:
    return salted_hmac("onething.accounts.throttle", f"{scope}:{value}", algorithm="sha256").hexdigest()


def retry_after(scope: str, value: str, now: dt.datetime) -> int:
    """Seconds until ``value`` may try again in ``scope``; 0 when it may now."""
    since = now - window()
    times = list(
        RateEvent.objects.filter(scope=scope, key=key(scope, value), at__gt=since)
        .order_by("-at")
        .values_list("at", flat=True)[: limit()]
    )
    if len(times) < limit():
        return 0
    return max(1, math.ceil((times[-1] + window() - now).total_seconds()))


def check(pairs: list[tuple[str, str]], now: dt.datetime, message: str, field: str | None = None) -> None:
    """Refuse with :class:`Throttled` when any ``(scope, value)`` is over the limit."""
    wait = max((retry_after(scope, value, now) for scope, value in pairs if value), default=0)
    if wait:
        minutes = max(1, math.ceil(wait / 60))
        raise Throttled(f"{message}，请{minutes}分钟后再试", field, retry_after=wait)


def hit(pairs: list[tuple[str, str]], now: dt.datetime) -> None:
    """Count one event for each ``(scope, value)``; drops that key's events older than the window."""
    since = now - window()
    for scope, value in pairs:
        if not value:
            continue
        hashed = key(scope, value)
        RateEvent.objects.filter(scope=scope, key=hashed, at__lte=since).delete()
        RateEvent.objects.create(scope=scope, key=hashed, at=now)


def clear(pairs: list[tuple[str, str]]) -> None:
    """Forget the events of each ``(scope, value)`` (a success, as axes resets on success)."""
    for scope, value in pairs:
        RateEvent.objects.filter(scope=scope, key=key(scope, value)).delete()


def purge(now: dt.datetime) -> int:
    """Delete every event older than the window; returns how many."""
    deleted, _ = RateEvent.objects.filter(at__lte=now - window()).delete()
    return deleted
