"""Sending to a peer node: a sealed envelope in the outbox, written in the caller's transaction.

:func:`send` is called where the local change is made (a case forwarded, its status changed,
a result issued), *inside* that change's transaction: the :class:`Outbound` row, the case's
next sequence number and the ``sent`` entry of the message log commit with the change or not
at all. A rolled-back change so tells the peer nothing, and a committed one cannot lose its
message to a crash: what is not delivered yet is still in the outbox, and the relay
(``relay.py``) delivers it later, at least once, retrying without expiry. The peer's inbox
(unique on sender and message id) makes the effect exactly-once.

**Sequence numbers.** A message of a case gets the next number of ``(recipient, case)``:
:class:`Sequence` ``(peer, case, "out")`` is locked (or created) and its ``last`` advanced in
the same transaction, so two concurrent sends of one case take 1 and 2 (the second waits for
the first's commit on PostgreSQL; SQLite serialises writers anyway), and a rolled-back send
gives its number back. Locks are taken in one order — this node's row (which the message log
locks as well), then the sequence — so sends of different cases in concurrent transactions
wait for each other but never deadlock. Node-level messages (``case == ""``) are not ordered: seq 0.

**Routing.** A peer reached through a hub (``Peer.via``) gets envelopes naming the hub in
``via``; the outbox row's ``route`` is the node the relay posts to (the hub, else the
recipient).

After the commit the relay is kicked once per transaction (however many messages it wrote):
a huey task delivers them soon; the relay's minute sweep delivers them anyway if the kick is
lost to a crash.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Mapping
from typing import Any

from django.db import connections, router, transaction
from django.utils import timezone

from onething.core.background import after_commit, on_commit_once
from onething.federation import keys, log, nodes
from onething.federation.models import Node, Outbound, Peer, Sequence
from onething.kernel import envelope
from onething.kernel.errors import Invalid, NotFound

KICK_INTERVAL = 0.05  # seconds: under load, the commits of each interval share one relay task
_FIELDS = ("kind", "case", "payload", "deadline")


def rfc3339(moment: dt.datetime) -> str:
    """``moment`` in local time with its offset, as the envelope's ``sent_at`` wants it."""
    return timezone.localtime(moment).isoformat()


def _enqueue_relay() -> None:
    """Runs on the after-commit worker (in the committing thread in tests): hands delivery to
    the huey consumer. Enqueuing is all it does."""
    from onething.federation.tasks import kick as relay_task

    relay_task()


def _kick() -> None:
    """After a commit that wrote outbox rows: have the relay deliver them soon (coalesced per
    process)."""
    after_commit(_enqueue_relay, key="federation.outbox", every=KICK_INTERVAL)


def _peer(recipient: Any) -> Peer:
    if not isinstance(recipient, str) or not recipient:
        raise Invalid("接收节点（recipient）应为信任节点的6位节点代码", "recipient")
    peer = Peer.objects.filter(code=recipient).first()
    if peer is None:
        raise NotFound(
            f"节点 {recipient} 不是本节点的信任节点：请先用 onething node trust 信任它的描述文件",
            "recipient",
        )
    return peer


def _next_seq(recipient: str, case: str) -> int:
    """Lock (or create) the case's outgoing sequence and take its next number."""
    sequence, _ = Sequence.objects.select_for_update().get_or_create(
        peer=recipient, case=case, direction=Sequence.Direction.OUT
    )
    sequence.last += 1
    sequence.save(update_fields=["last"])
    return sequence.last


def send(
    recipient: str,
    kind: str,
    payload: Mapping[str, Any],
    *,
    case: str = "",
    deadline: Mapping[str, Any] | None = None,
    now: dt.datetime | None = None,
) -> Outbound:
    """Seal a message to the trusted peer ``recipient`` and put it in the outbox, in the current
    transaction (its own in autocommit; a savepoint inside the caller's, so a refused send
    gives its sequence number back even when the caller carries on). ``case`` is the application number it belongs to
    (``""`` for a node-level message), ``deadline`` the case's deadline state.

    Refuses (:class:`NotFound`) a recipient that is not a trusted peer, and (:class:`Invalid`)
    this node itself or a message the peer would refuse as malformed (the reason names the
    field)."""
    now = now or timezone.now()
    if not isinstance(case, str):
        raise Invalid("所属办件（case）应为办件编号文本", "case")
    connection = connections[router.db_for_write(Outbound)]
    with transaction.atomic(using=connection.alias):
        # the node row first: the message log (``log.append``) locks it too, and taking it
        # before any sequence row keeps one lock order (two sends of two cases never deadlock)
        node = Node.objects.select_for_update().filter(id=1).first() or nodes.this_node()
        if recipient == node.code:
            raise Invalid(f"接收节点 {recipient} 是本节点自己：报文只发给其他节点", "recipient")
        peer = _peer(recipient)
        key = keys.current_key()
        message = envelope.Envelope(
            sender=node.code,
            recipient=recipient,
            message_id=str(uuid.uuid4()),
            case=case,
            seq=_next_seq(recipient, case) if case else 0,
            kind=kind,
            payload=payload,
            sent_at=rfc3339(now),
            deadline=deadline,
            via=peer.via,
        )
        try:
            token = envelope.seal(message, keys.private_pem(key.kid), key.kid)
        except envelope.EnvelopeRefused as exc:
            field = next((f for f in _FIELDS if exc.reason.startswith(f)), None)
            raise Invalid(f"发往节点 {recipient} 的报文无效：{exc.reason}", field) from None
        row = Outbound.objects.create(
            message_id=uuid.UUID(message.message_id),
            recipient=recipient,
            route=peer.via or recipient,
            case=case,
            seq=message.seq,
            kind=kind,
            token=token,
            digest=envelope.digest(token),
            status=Outbound.Status.PENDING,
            next_attempt_at=now,
            created_at=now,
        )
        log.append("sent", peer=recipient, message_id=message.message_id, token=token, at=now)
    # at the caller's level, not in the released savepoint: so the next send of this
    # transaction finds the kick queued (on its own it runs now: the send has committed)
    on_commit_once(_kick, connection)
    return row
