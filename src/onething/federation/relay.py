"""Delivering the federation outbox: claim → post → verify the receipt → mark, retrying forever.

Runs in the huey consumer (``tasks.py``), never in a request: a peer that is unreachable for
days holds up a relay thread for its timeout, never a citizen. The pattern is the
notifications outbox's (``notifications/delivery.py``); what differs is what counts as done
and that nothing is ever given up.

**Claim.** One short transaction takes up to :data:`BATCH` due rows (``pending`` or
``retrying`` whose ``next_attempt_at`` has come), oldest first, and marks them ``sending`` with
``claimed_at`` and one more attempt. On PostgreSQL the rows are selected ``FOR UPDATE SKIP
LOCKED``, so relays on many machines take disjoint batches without waiting for each other;
SQLite's immediate transactions serialise the claims instead.

**Per-case order.** A row of a case is due only when every earlier ``seq`` of the same
``(recipient, case)`` is delivered: a case has at most one message in flight, and its messages
leave in sequence order. The receiver would hold an early arrival until the gap fills anyway
(its receipt says ``held``, and the row counts as delivered); not sending it early spares the
peer a held row and the retries of a case whose earlier message it has not heard. Node-level
messages (``case == ""``, seq 0) are not ordered.

**Post, then mark.** The POST to ``<route's url>/federation/v1/envelopes`` (the compact JWS,
``Content-Type: application/jose``) happens after the claim has committed and outside any
transaction. Done is a **200 whose body is a receipt that verifies** under the recipient's
pinned keys and names this envelope (receiver, sender, message id, digest): whatever its
outcome — ``applied``, ``held`` or ``refused`` — the envelope is durably recorded at the
receiver, so the row is marked ``delivered`` with the receipt, and ``receipt_received`` goes
into the message log, in one transaction. Anything else — a network error, a timeout, a 4xx
or 5xx, a 200 whose receipt does not verify — is a failed attempt: ``retrying`` with
exponential backoff (:func:`backoff`: 30 s, 60 s, 120 s … capped at an hour, with a little
jitter so the backlog of a healed partition does not return in one burst) and **no expiry**:
a partition of days delivers after it heals, at most an hour later.

**A peer that is down** answers every row the same way: once a post to a route fails at the
network level or with a 5xx, the rest of that run's rows for the route are not posted (each
would wait out its own timeout) but put back with the same backoff, and the run's later
claims leave the route out — deliveries to other peers go on.

**Crash.** A relay killed after its claim leaves rows ``sending``. After
``FEDERATION_CLAIM_TIMEOUT`` seconds (far longer than a batch of posts with their timeouts)
:func:`recover_stale` returns them to ``retrying``, and they are sent again.

**At-least-once, exactly-once effect.** Every committed envelope is posted until a receipt for
it comes back. It can be posted twice (a relay that died between the peer's answer and the
UPDATE, a claim recovered from a stalled relay, a receipt lost on the way back): the peer's
inbox, unique on ``(sender, message_id)``, answers the second post with the first receipt and
applies nothing again.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import random
import urllib.error
import urllib.request
from collections.abc import Callable
from typing import Protocol

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Exists, F, OuterRef, Q
from django.utils import timezone

from onething.federation import log, nodes
from onething.federation.models import Outbound, Peer
from onething.kernel import envelope

logger = logging.getLogger("onething.federation")

S = Outbound.Status
BATCH = 20  # rows per claim: a batch of slow posts must stay well inside the claim timeout
MAX_BATCHES = 50  # per run; a larger backlog is continued by the next run
DUE = (S.PENDING, S.RETRYING)
BACKOFF_BASE = dt.timedelta(seconds=30)
BACKOFF_CAP = dt.timedelta(hours=1)
JITTER = 0.2  # a wait is shortened by up to this fraction, at random
PATH = "/federation/v1/envelopes"
CONTENT_TYPE = "application/jose"
MAX_RESPONSE = 1024 * 1024  # a receipt is a few hundred bytes; an error page is cut here
ERROR_MAX = 500  # Outbound.last_error


class Transport(Protocol):
    def __call__(self, url: str, token: str, timeout: float) -> tuple[int, bytes]: ...


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """A redirect is an answer that is not a receipt (urllib would repeat the POST as a GET)."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None


_opener = urllib.request.build_opener(_NoRedirect)


def http_post(url: str, token: str, timeout: float) -> tuple[int, bytes]:
    """POST the token to ``url``; ``(status, body)`` for any HTTP answer (4xx and 5xx too).
    Network errors and timeouts raise."""
    if not url.startswith(("http://", "https://")):
        raise ValueError(f"节点网址 {url!r} 不是 http:// 或 https:// 网址")
    request = urllib.request.Request(  # noqa: S310 - the scheme is checked above
        url,
        data=token.encode("ascii"),
        method="POST",
        headers={"Content-Type": CONTENT_TYPE, "Accept": CONTENT_TYPE},
    )
    try:
        with _opener.open(request, timeout=timeout) as response:
            return response.status, response.read(MAX_RESPONSE)
    except urllib.error.HTTPError as exc:
        with exc:
            return exc.code, exc.read(MAX_RESPONSE)


def timeout() -> float:
    return float(settings.ONETHING.get("FEDERATION_TIMEOUT", 10))


def claim_timeout() -> dt.timedelta:
    return dt.timedelta(seconds=float(settings.ONETHING.get("FEDERATION_CLAIM_TIMEOUT", 300)))


def backoff(attempts: int, *, jitter: float | None = None) -> dt.timedelta:
    """The wait after the ``attempts``-th failed attempt: 30 s, 60 s, 120 s … capped at an hour,
    shortened by up to :data:`JITTER` (``jitter`` in [0, 1] fixes the draw; tests)."""
    wait = min(BACKOFF_BASE * 2 ** min(max(0, attempts - 1), 20), BACKOFF_CAP)
    draw = random.random() if jitter is None else jitter
    return wait * (1 - JITTER * draw)


def recover_stale(now: dt.datetime | None = None) -> int:
    """Claims older than the claim timeout (their relay died or stalled): back to ``retrying``,
    due now."""
    now = now or timezone.now()
    return Outbound.objects.filter(status=S.SENDING, claimed_at__lt=now - claim_timeout()).update(
        status=S.RETRYING,
        next_attempt_at=now,
        last_error="投递中断：领取后超时未确认（发送进程可能已中止），重新投递",
    )


def _earlier_undelivered():
    return Outbound.objects.filter(
        recipient=OuterRef("recipient"), case=OuterRef("case"), seq__lt=OuterRef("seq")
    ).exclude(status=S.DELIVERED)


def claim(now: dt.datetime, limit: int | None = None, *, skip_routes=()) -> list[Outbound]:
    """Take up to ``limit`` (:data:`BATCH`) due rows for this run, none of a route in
    ``skip_routes`` (see the module docstring)."""
    limit = limit or BATCH
    with transaction.atomic():
        due = (
            Outbound.objects.filter(status__in=DUE, next_attempt_at__lte=now)
            .filter(Q(case="") | ~Exists(_earlier_undelivered()))
            .exclude(route__in=list(skip_routes))
            .order_by("next_attempt_at", "id")
        )
        if connection.features.has_select_for_update_skip_locked:
            due = due.select_for_update(skip_locked=True)
        ids = list(due.values_list("pk", flat=True)[:limit])
        if not ids:
            return []
        Outbound.objects.filter(pk__in=ids).update(
            status=S.SENDING, claimed_at=now, attempts=F("attempts") + 1
        )
    return list(Outbound.objects.filter(pk__in=ids, status=S.SENDING, claimed_at=now).order_by("id"))


def _mine(row: Outbound):
    """The row while it is still this run's claim (a recovered claim is someone else's)."""
    return Outbound.objects.filter(pk=row.pk, status=S.SENDING, claimed_at=row.claimed_at)


class Failed(Exception):
    """An attempt that did not deliver: ``reason`` (Chinese) for ``last_error``; ``down`` when the
    route itself failed (network, 5xx), so its other rows wait too."""

    def __init__(self, reason: str, *, down: bool = False):
        super().__init__(reason)
        self.reason = reason[:ERROR_MAX]
        self.down = down


def _snippet(body: bytes) -> str:
    """What an error answer says: the peer's ``{"error": {"code", "message"}}``, else its start."""
    try:
        error = json.loads(body)["error"]
        return f"{error['message']}（{error['code']}）"[:300]
    except (ValueError, TypeError, KeyError):
        text = body[:300].decode("utf-8", "replace").strip()
        return " ".join(text.split())[:120]


def _post(row: Outbound, transport: Transport) -> bytes:
    """Post the row's token to its route; the body of a 200 (:class:`Failed` otherwise)."""
    peer = Peer.objects.filter(code=row.route).first()
    if peer is None:
        raise Failed(f"发往节点 {row.route} 失败：它已不是信任节点（重新信任后继续投递）", down=True)
    url = peer.url.rstrip("/") + PATH
    wait = timeout()
    try:
        status, body = transport(url, row.token, wait)
    except TimeoutError:
        raise Failed(f"连接节点 {row.route} 超时（{wait:g} 秒）", down=True) from None
    except urllib.error.URLError as exc:
        reason = exc.reason
        if isinstance(reason, TimeoutError):
            raise Failed(f"连接节点 {row.route} 超时（{wait:g} 秒）", down=True) from None
        raise Failed(f"无法连接节点 {row.route}：{reason}", down=True) from None
    except Exception as exc:
        raise Failed(f"无法连接节点 {row.route}：{type(exc).__name__}: {exc}", down=True) from None
    if status != 200:
        detail = _snippet(body)
        raise Failed(
            f"节点 {row.route} 返回 HTTP {status}" + (f"：{detail}" if detail else ""),
            down=status >= 500,
        )
    return body


def _verified(row: Outbound, body: bytes, sender: str, now: dt.datetime) -> tuple[str, envelope.Receipt]:
    """The receipt text and its claims, once it is the recipient's signed receipt for this very
    envelope (:class:`Failed` otherwise)."""
    try:
        text = body.decode("ascii").strip()
        receipt = envelope.open_receipt(text, nodes.trusted_keys(row.recipient, now))
    except UnicodeDecodeError:
        raise Failed(f"节点 {row.route} 的应答不是签名回执") from None
    except envelope.EnvelopeRefused as exc:
        raise Failed(f"节点 {row.recipient} 的回执无效（{exc.code}）：{exc.reason}") from None
    if receipt.receiver != row.recipient:
        raise Failed(f"回执由节点 {receipt.receiver} 出具，而报文是发给 {row.recipient} 的")
    if receipt.sender != sender:
        raise Failed(f"回执答复的是节点 {receipt.sender} 的报文，不是本节点 {sender} 的")
    if receipt.message_id != str(row.message_id) or receipt.digest != row.digest:
        raise Failed(f"节点 {row.recipient} 的回执答复的是另一份报文（编号或摘要不符）")
    return text, receipt


def _retry(row: Outbound, now: dt.datetime, reason: str) -> str:
    _mine(row).update(status=S.RETRYING, next_attempt_at=now + backoff(row.attempts), last_error=reason)
    logger.warning(
        "报文 %s（%s → %s）第%s次投递失败，稍后重试：%s",
        row.message_id,
        row.kind,
        row.recipient,
        row.attempts,
        reason,
    )
    return S.RETRYING


def send_one(
    row: Outbound, now: dt.datetime, *, sender: str, transport: Transport
) -> tuple[str, Failed | None]:
    """Post one claimed row and record the outcome: ``(new status, the failure or None)``."""
    try:
        text, receipt = _verified(row, _post(row, transport), sender, now)
    except Failed as failure:
        return _retry(row, now, failure.reason), failure
    outcome = receipt.outcome + (f"：{receipt.reason}" if receipt.reason else "")
    with transaction.atomic():
        if _mine(row).update(status=S.DELIVERED, delivered_at=now, receipt=text, last_error=""):
            log.append(
                "receipt_received",
                peer=row.recipient,
                message_id=str(row.message_id),
                token=text,
                reason=outcome[:ERROR_MAX],
                at=now,
            )
    return S.DELIVERED, None


def _put_back(row: Outbound, now: dt.datetime, failure: Failed) -> str:
    """A row of a route that failed earlier in this run: not posted, waits like a failure."""
    return _retry(row, now, f"未发送：本轮发往节点 {row.route} 已失败（{failure.reason}）"[:ERROR_MAX])


def deliver_due(
    now: dt.datetime | None = None, *, transport: Transport | None = None, batches: int | None = None
) -> dict:
    """One relay run: recover stale claims, then claim and post batches until nothing is due
    (or ``batches`` are done: ``more`` says whether rows may remain). ``now`` fixes the clock
    (tests); otherwise each batch reads the time afresh. ``transport`` replaces the HTTP POST
    (tests)."""
    clock: Callable[[], dt.datetime] = (lambda: now) if now is not None else timezone.now
    post = transport or http_post
    counts = {"recovered": recover_stale(clock()), S.DELIVERED: 0, S.RETRYING: 0, "more": False}
    sender = ""
    down: dict[str, Failed] = {}
    for _ in range(batches or MAX_BATCHES):
        rows = claim(clock(), skip_routes=down)
        if not rows:
            return counts
        sender = sender or nodes.this_node().code
        for row in rows:
            if row.route in down:
                counts[_put_back(row, clock(), down[row.route])] += 1
                continue
            status, failure = send_one(row, clock(), sender=sender, transport=post)
            counts[status] += 1
            if failure is not None and failure.down:
                down[row.route] = failure
    counts["more"] = True
    return counts
