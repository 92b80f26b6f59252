"""Delivering the outbox: claim → send → mark, with retries and stale-claim recovery.

Runs in the huey consumer (``tasks.py``), never in a request: an SMS gateway that hangs for
its full timeout holds up a consumer thread, not a citizen.

**Claim.** One short transaction takes up to :data:`BATCH` due rows (``pending`` or
``retrying`` whose ``next_attempt_at`` has come), oldest first, and marks them ``sending``
with ``claimed_at`` and one more attempt. On PostgreSQL the rows are selected ``FOR UPDATE
SKIP LOCKED``, so consumers on many machines take disjoint batches without waiting for each
other; SQLite's immediate transactions serialise the claims instead (one writer at a time).

**Send, then mark.** The provider call happens after the claim has committed and outside
any transaction — a gateway's "accepted" cannot be rolled back, so holding a transaction
(and row locks) open across it would buy nothing. Each row is then marked ``sent`` on its
own (one UPDATE, conditional on its claim), or ``retrying`` with exponential backoff
(:func:`backoff`), or ``failed`` after ``NOTIFY_MAX_ATTEMPTS``.

**Crash.** A consumer killed after its claim leaves rows ``sending``. After
``NOTIFY_CLAIM_TIMEOUT`` seconds (far longer than a batch of sends with their timeouts)
:func:`recover_stale` returns them to ``retrying``, and they are sent again.

**At-least-once, exactly-once effect.** So every committed message is attempted until it is
sent or given up — none is lost. A message can be *sent* twice only if its consumer died (or
stalled past the claim timeout) between the provider accepting it and the UPDATE marking it:
at most the one message in flight per consumer thread. Exactly-once is then up to the
receiving side, which gets the same message id (the outbox row's) on every attempt: the SMS
gateway's client reference, the email's Message-ID, the ``file`` channel's id check, the
console's per-process memory. The inbox is exactly-once by construction: it is written in
the change's own transaction and never delivered.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Case, F, Value, When
from django.utils import timezone

from onething.kernel.codes import mask_personal_numbers_in_text
from onething.notifications.models import OutboxMessage
from onething.notifications.registry import Message, Undeliverable, get_backend
from onething.notifications.routing import enabled_backends

logger = logging.getLogger("onething.notifications")

S = OutboxMessage.Status
BATCH = 20  # rows per claim: a batch of slow sends must stay well inside the claim timeout
MAX_BATCHES = 50  # per run; a larger backlog is continued by the next run
DUE = (S.PENDING, S.RETRYING)
BACKOFF_CAP = dt.timedelta(hours=1)


def max_attempts() -> int:
    return max(1, int(settings.ONETHING.get("NOTIFY_MAX_ATTEMPTS", 5)))


def claim_timeout() -> dt.timedelta:
    return dt.timedelta(seconds=float(settings.ONETHING.get("NOTIFY_CLAIM_TIMEOUT", 600)))


def backoff(attempts: int) -> dt.timedelta:
    """The wait after the ``attempts``-th failed attempt: base, 2×, 4× … (capped at an hour)."""
    base = float(settings.ONETHING.get("NOTIFY_RETRY_SECONDS", 60))
    return min(dt.timedelta(seconds=base * 2 ** max(0, attempts - 1)), BACKOFF_CAP)


def recover_stale(now: dt.datetime) -> int:
    """Claims older than the claim timeout (their consumer died): back to ``retrying`` (or
    ``failed`` when they used their last attempt)."""
    return OutboxMessage.objects.filter(status=S.SENDING, claimed_at__lt=now - claim_timeout()).update(
        status=Case(When(attempts__gte=max_attempts(), then=Value(S.FAILED)), default=Value(S.RETRYING)),
        next_attempt_at=now,
        last_error="投递中断：领取后超时未确认（发送进程可能已中止），重新投递",
    )


def claim(now: dt.datetime, limit: int | None = None) -> list[OutboxMessage]:
    """Take up to ``limit`` (:data:`BATCH`) due rows for this run (see the module docstring)."""
    limit = limit or BATCH
    with transaction.atomic():
        due = OutboxMessage.objects.filter(status__in=DUE, next_attempt_at__lte=now).order_by(
            "next_attempt_at", "id"
        )
        if connection.features.has_select_for_update_skip_locked:
            due = due.select_for_update(skip_locked=True)
        ids = list(due.values_list("pk", flat=True)[:limit])
        if not ids:
            return []
        OutboxMessage.objects.filter(pk__in=ids).update(
            status=S.SENDING, claimed_at=now, attempts=F("attempts") + 1
        )
    return list(
        OutboxMessage.objects.filter(pk__in=ids, status=S.SENDING, claimed_at=now)
        .select_related("recipient")
        .order_by("id")
    )


def _message(row: OutboxMessage) -> Message:
    person = row.recipient
    return Message(
        recipient_id=row.recipient_id,
        phone=getattr(person, "phone", "") or "",
        email=getattr(person, "email", "") or "",
        event=row.event,
        title=row.title,
        body=row.body,
        link=row.link,
        id=row.pk,
    )


def _mine(row: OutboxMessage):
    """The row while it is still this run's claim (a recovered claim is someone else's)."""
    return OutboxMessage.objects.filter(pk=row.pk, status=S.SENDING, claimed_at=row.claimed_at)


def _error_text(exc: BaseException) -> str:
    return mask_personal_numbers_in_text(f"{type(exc).__name__}: {exc}")[:500]


def send_one(row: OutboxMessage, now: dt.datetime) -> str:
    """Send one claimed row and record the outcome; returns its new status."""
    if row.channel not in enabled_backends():
        _mine(row).update(status=S.FAILED, last_error=f"渠道 {row.channel} 已停用")
        return S.FAILED
    try:
        get_backend(row.channel).send(_message(row))
    except Exception as exc:
        final = isinstance(exc, Undeliverable) or row.attempts >= max_attempts()
        status = S.FAILED if final else S.RETRYING
        _mine(row).update(
            status=status,
            next_attempt_at=now if final else now + backoff(row.attempts),
            last_error=_error_text(exc),
        )
        logger.warning(
            "通知 #%s（%s）第%s次发送失败%s：%s",
            row.pk,
            row.channel,
            row.attempts,
            "，不再重试" if final else "，稍后重试",
            _error_text(exc),
        )
        return status
    _mine(row).update(status=S.SENT, sent_at=timezone.now(), last_error="")
    return S.SENT


def deliver_due(now: dt.datetime | None = None, batches: int | None = None) -> dict:
    """One delivery run: recover stale claims, then claim and send batches until nothing is
    due (or ``batches`` are done: ``more`` says whether rows may remain). ``now`` fixes the
    clock (tests); otherwise each batch reads the time afresh."""
    clock: Callable[[], dt.datetime] = (lambda: now) if now is not None else timezone.now
    counts = {"recovered": recover_stale(clock()), S.SENT: 0, S.RETRYING: 0, S.FAILED: 0, "more": False}
    for _ in range(batches or MAX_BATCHES):
        rows = claim(clock())
        if not rows:
            return counts
        for row in rows:
            counts[send_one(row, clock())] += 1
    counts["more"] = True
    return counts


def retry(ids, now: dt.datetime | None = None) -> int:
    """Failed rows back to the queue with a fresh set of attempts (the admin's action)."""
    now = now or timezone.now()
    return OutboxMessage.objects.filter(pk__in=list(ids), status=S.FAILED).update(
        status=S.RETRYING, attempts=0, next_attempt_at=now, claimed_at=None
    )
