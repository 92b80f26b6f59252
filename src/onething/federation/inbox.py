"""The 跨省通办 inbox: each envelope a trusted peer sends takes effect exactly once, in order.

:func:`receive` is what ``POST /federation/v1/envelopes`` does with a token:

1. It opens the envelope with the pinned keys of the sender it claims (``nodes.trusted_keys``),
   addressed to this node. An unknown sender, a key not pinned, a changed byte, another
   recipient: the refusal is logged (``refused``, in a transaction of its own so it is kept)
   and :class:`~onething.kernel.envelope.EnvelopeRefused` raised — nothing else is written.
2. Then, in one transaction: a second delivery of a message already recorded (same sender and
   message id, same digest) is answered with the receipt stored for it, with no new effect; a
   message id reused for another envelope is refused. A new message of a case is ordered by
   the case's :class:`~onething.federation.models.Sequence` (``direction="in"``, locked): the
   next one is applied (its handler in a savepoint) and then every held one that now follows
   without a gap; a later one is ``held``; one at or below the last applied, under a new id,
   is refused (序号重复). A node-level message (``case == ""``) is applied at once.
3. Every inbox row carries this node's signed receipt with its outcome at that moment (a held
   row's is re-signed when it is applied, so a late duplicate hears the truth), and the
   delivery is logged: ``received`` and ``receipt_sent``.

A handler raising :class:`~onething.federation.handlers.Refused` makes the row ``refused``
(recorded once, not retried); any other exception rolls the whole delivery back — no row, the
sequence unchanged — so the endpoint answers 503 and the sender retries.

Two deliveries of the same envelope at once (PostgreSQL): in a case they queue on the sequence
row's lock and the second finds the first's row; outside a case the second's insert waits on
the unique ``(sender, message_id)`` index and fails when the first commits, and it is answered
with the first's receipt.
"""

from __future__ import annotations

import datetime as dt
from typing import NamedTuple

from django.db import IntegrityError, transaction
from django.utils import timezone

from onething.federation import handlers, keys, log, nodes
from onething.federation.models import Inbound, LogEntry, Sequence
from onething.kernel import envelope
from onething.kernel.envelope import Envelope, EnvelopeRefused

Event = LogEntry.Event
Status = Inbound.Status
_REASON = Inbound._meta.get_field("reason").max_length
_OUTCOME = {Status.APPLIED: envelope.APPLIED, Status.HELD: envelope.HELD, Status.REFUSED: envelope.REFUSED}


class Received(NamedTuple):
    #: this node's signed receipt (compact JWS) to answer the sender with
    receipt: str
    #: the envelope's status now: ``applied``, ``held`` or ``refused``
    status: str
    #: True when the envelope had been recorded before (the stored receipt is returned)
    duplicate: bool


class _Signer:
    """This node's code and current key, read once per delivery."""

    def __init__(self, code: str):
        self.code = code
        key = keys.current_key()
        self.kid, self.pem = key.kid, keys.private_pem(key.kid)

    def receipt(self, row: Inbound, now: dt.datetime) -> str:
        return envelope.seal_receipt(
            envelope.Receipt(
                receiver=self.code,
                sender=row.sender,
                message_id=str(row.message_id),
                digest=row.digest,
                outcome=_OUTCOME[row.status],
                at=timezone.localtime(now).isoformat(),
                reason=row.reason,
            ),
            self.pem,
            self.kid,
        )


def receive(token: str | bytes, *, now: dt.datetime | None = None) -> Received:
    """Record (and, in order, apply) the envelope ``token``; the receipt to answer with.

    Raises :class:`EnvelopeRefused` for an envelope that is not heard (logged, nothing
    applied); any exception of a handler other than ``Refused`` propagates, nothing kept."""
    now = now or timezone.now()
    code = nodes.this_node().code
    message = _open(token, code, now)
    text = token.decode("ascii") if isinstance(token, bytes | bytearray) else token
    digest = envelope.digest(text)
    signer = _Signer(code)
    for attempt in (1, 2):
        try:
            with transaction.atomic():
                outcome = _record(message, text, digest, signer, now)
        except IntegrityError:
            # the same message delivered at the same moment: the other delivery won; answer
            # with its receipt (the retry finds its row)
            if attempt == 2 or not _existing(message):
                raise
            continue
        if isinstance(outcome, EnvelopeRefused):
            raise outcome
        return outcome
    raise AssertionError("unreachable")  # pragma: no cover


def _open(token: str | bytes, code: str, now: dt.datetime) -> Envelope:
    """The envelope, verified with its claimed sender's pinned keys; a refusal is logged."""
    claims: dict = {}
    try:
        _, claims = envelope.peek(token)
        sender = claims.get("sender")
        trusted = nodes.trusted_keys(sender, now) if log.peer_code(sender) else {}
        if not trusted:
            raise EnvelopeRefused(
                envelope.UNTRUSTED_KEY,
                f"发送节点 {sender!r} 不是本节点信任的节点（或其公钥均已过期）：报文不予接收。",
            )
        return envelope.open_envelope(token, trusted, recipient=code)
    except EnvelopeRefused as exc:
        with transaction.atomic():
            _log_refusal(token, claims, exc, now)
        raise


def _log_refusal(token: str | bytes, claims: dict, exc: EnvelopeRefused, now: dt.datetime) -> None:
    log.append(
        Event.REFUSED,
        peer=log.peer_code(claims.get("sender")),
        message_id=log.message_code(claims.get("message_id")),
        token=token,
        reason=f"{exc.reason}（{exc.code}）",
        at=now,
    )


def _existing(message: Envelope) -> Inbound | None:
    return Inbound.objects.filter(sender=message.sender, message_id=message.message_id).first()


def _record(
    message: Envelope, token: str, digest: str, signer: _Signer, now: dt.datetime
) -> Received | EnvelopeRefused:
    """One delivery, inside the caller's transaction."""
    existing = _existing(message)
    if existing is not None:
        return _again(existing, message, token, digest, now)
    if message.case == "":
        row = _insert(message, token, digest, Status.APPLIED, now)
        _apply(row, message, now)
        return _answer(row, [row], token, signer, now)

    Sequence.objects.get_or_create(peer=message.sender, case=message.case, direction=Sequence.Direction.IN)
    sequence = Sequence.objects.select_for_update().get(
        peer=message.sender, case=message.case, direction=Sequence.Direction.IN
    )
    # after the lock: a delivery of the same message that held it has committed by now
    existing = _existing(message)
    if existing is not None:
        return _again(existing, message, token, digest, now)

    following = sequence.last + 1
    if message.seq == following:
        row = _insert(message, token, digest, Status.APPLIED, now)
        _apply(row, message, now)
        done = [row, *_release(message, row.seq, now)]
        sequence.last = done[-1].seq
        sequence.save(update_fields=["last"])
        return _answer(row, done, token, signer, now)
    taken = message.seq < following or (
        Inbound.objects.filter(
            sender=message.sender, case=message.case, seq=message.seq, status=Status.HELD
        ).exists()
    )
    if taken:
        row = _insert(message, token, digest, Status.REFUSED, now)
        row.reason = (
            f"序号重复：办件 {message.case} 的第 {message.seq} 号报文已由另一报文编号收到，"
            f"本报文（{message.message_id}）不予处理。"
        )[:_REASON]
    else:
        row = _insert(message, token, digest, Status.HELD, now)
        row.reason = f"等待办件 {message.case} 的第 {following} 号报文：收齐前序报文后按序处理。"[:_REASON]
    return _answer(row, [row], token, signer, now)


def _insert(message: Envelope, token: str, digest: str, status: str, now: dt.datetime) -> Inbound:
    return Inbound.objects.create(
        sender=message.sender,
        message_id=message.message_id,
        case=message.case,
        seq=message.seq,
        kind=message.kind,
        token=token,
        digest=digest,
        status=status,
        received_at=now,
    )


def _apply(row: Inbound, message: Envelope, now: dt.datetime) -> None:
    """Run the handler in a savepoint: ``applied``, or ``refused`` with its reason."""
    try:
        with transaction.atomic():
            handlers.handle(message)
    except handlers.Refused as exc:
        row.status, row.reason = Status.REFUSED, str(exc.reason)[:_REASON]
    else:
        row.status, row.reason = Status.APPLIED, ""
    row.applied_at = now


def _release(message: Envelope, applied: int, now: dt.datetime) -> list[Inbound]:
    """The held messages of the case that follow ``applied`` without a gap, applied in order."""
    held = {
        row.seq: row
        for row in Inbound.objects.filter(sender=message.sender, case=message.case, status=Status.HELD)
    }
    released = []
    for seq in envelope.in_order(applied, held):
        row = held[seq]
        _apply(row, Envelope.from_claims(envelope.peek(row.token)[1]), now)
        released.append(row)
    return released


def _answer(current: Inbound, rows: list[Inbound], token: str, signer: _Signer, now: dt.datetime) -> Received:
    """Sign and store each row's receipt, log the delivery and its receipt."""
    for row in rows:
        row.receipt = signer.receipt(row, now)
        row.save(update_fields=["status", "reason", "applied_at", "receipt"])
    peer, message_id = current.sender, str(current.message_id)
    log.append(Event.RECEIVED, peer=peer, message_id=message_id, token=token, at=now)
    log.append(
        Event.RECEIPT_SENT,
        peer=peer,
        message_id=message_id,
        token=current.receipt,
        reason=current.reason,
        at=now,
    )
    return Received(current.receipt, str(current.status), False)


def _again(
    existing: Inbound, message: Envelope, token: str, digest: str, now: dt.datetime
) -> Received | EnvelopeRefused:
    """A message id heard before: the same envelope gets its stored receipt; another is refused."""
    peer, message_id = message.sender, message.message_id
    if existing.digest != digest:
        refusal = EnvelopeRefused(
            envelope.MALFORMED,
            f"报文编号 {message_id} 已被节点 {peer} 的另一份内容不同的报文使用："
            "同一报文编号只能对应一份报文，本报文不予接收。",
        )
        _log_refusal(token, message.claims(), refusal, now)
        return refusal
    log.append(Event.RECEIVED, peer=peer, message_id=message_id, token=token, reason="重复投递", at=now)
    log.append(
        Event.RECEIPT_SENT,
        peer=peer,
        message_id=message_id,
        token=existing.receipt,
        reason="重复投递：重发已有回执",
        at=now,
    )
    return Received(existing.receipt, str(existing.status), True)
