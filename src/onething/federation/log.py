"""The 跨省通办 message log: every envelope and receipt this node sent or heard, and every
envelope it refused, in one hash chain (``kernel.hashchain``), exported for offline checking.

Each entry's hash covers the one before it and its content — event, peer, message id, the
:func:`~onething.kernel.envelope.digest` of its token, reason and time (UTC, ISO 8601) — so
changing, removing or reordering an entry, or any byte of a token, breaks the chain from there.
Appends are serialised by a lock on this node's :class:`~onething.federation.models.Node` row
taken inside the caller's transaction: an entry is in the chain exactly when the change it
records commits, and two transactions never link to the same predecessor.

The hash chain alone proves order and completeness, not authorship (anyone can recompute it);
the signatures do that. :func:`export` writes JSON lines — first this node's descriptor with
every signing key it ever had and every trusted peer's pinned keys, then one line per entry —
and :func:`verify_export` (pure: no database) checks both the chain and every envelope and
receipt signature against the keys in the file, as X-Road's signed-document download lets an
auditor do without access to the node. A refused envelope is only chain-checked: it was refused
because it did not verify.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Iterable, Mapping
from typing import IO, Any

from django.db import transaction
from django.utils import timezone

from onething.federation import nodes
from onething.federation.models import LogEntry, Node, NodeKey, Peer
from onething.kernel import envelope
from onething.kernel.hashchain import GENESIS, first_broken_link, link_hash

FORMAT = "onething-federation-log/1"
Event = LogEntry.Event

_PRINTABLE = re.compile(r"[\x21-\x7e]*")
_NODE = re.compile(r"[0-9]{6}")
_MESSAGE_ID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
_REASON = LogEntry._meta.get_field("reason").max_length


def _moment(at: dt.datetime) -> str:
    """The entry's time as hashed: UTC, so the same instant reads back the same from any backend."""
    return at.astimezone(dt.UTC).isoformat()


def storable(token: str | bytes) -> str:
    """A token as the log keeps it: itself when it is printable ASCII (every well-formed token
    is), else an escaped spelling, so garbage from an unknown sender can still be logged (no NUL,
    no undecodable bytes) and its digest recomputed from what was stored."""
    data = (
        bytes(token) if isinstance(token, bytes | bytearray) else str(token).encode("utf-8", "surrogatepass")
    )
    if _PRINTABLE.fullmatch(data.decode("latin-1")):
        return data.decode("ascii")
    return data.decode("latin-1").encode("unicode_escape").decode("ascii")


def peer_code(value: Any) -> str:
    """A claimed node code fit for the log (``""`` when it is not one)."""
    return value if isinstance(value, str) and _NODE.fullmatch(value) else ""


def message_code(value: Any) -> str:
    """A claimed message id fit for the log (``""`` when it is not a canonical UUID)."""
    return value if isinstance(value, str) and _MESSAGE_ID.fullmatch(value) else ""


def content(event: str, peer: str, message_id: str, digest: str, reason: str, at: str) -> dict[str, str]:
    """What an entry's hash covers (``at`` as :func:`_moment` spells it)."""
    return {
        "event": event,
        "peer": peer,
        "message_id": message_id,
        "digest": digest,
        "reason": reason,
        "at": at,
    }


def append(
    event: str,
    *,
    peer: str,
    message_id: str,
    token: str | bytes,
    reason: str = "",
    at: dt.datetime | None = None,
) -> LogEntry:
    """Add an entry to the chain, inside the caller's transaction (one is opened if there is
    none). Holds the lock on this node's row until that transaction ends."""
    if event not in Event.values:
        raise ValueError(f"unknown log event {event!r}")
    at = at or timezone.now()
    text = storable(token)
    reason = (reason or "")[:_REASON]
    message_id = str(message_id or "")
    digest = envelope.digest(text)
    with transaction.atomic(savepoint=False):
        if Node.objects.select_for_update().filter(id=1).first() is None:
            nodes.this_node()  # raises NotFound with the operator's instructions
        previous = LogEntry.objects.order_by("-id").values_list("hash", flat=True).first() or GENESIS
        entry = LogEntry(
            event=event,
            peer=peer or "",
            message_id=message_id,
            digest=digest,
            token=text,
            reason=reason,
            at=at,
            previous_hash=previous,
        )
        entry.hash = link_hash(previous, content(event, entry.peer, message_id, digest, reason, _moment(at)))
        entry.save(force_insert=True)
    return entry


def _record(row: Mapping[str, Any]) -> tuple[Any, str, str, dict[str, str]]:
    """``(id, previous_hash, hash, content)`` for the chain walk; a stored digest that is not the
    token's own makes the link fail there."""
    digest = envelope.digest(row["token"])
    claimed = row["hash"] if row["digest"] == digest else ""
    return (
        row["id"],
        row["previous_hash"],
        claimed,
        content(row["event"], row["peer"], row["message_id"], digest, row["reason"], row["at"]),
    )


def _line(entry: LogEntry) -> dict[str, Any]:
    return {
        "id": entry.id,
        "event": entry.event,
        "peer": entry.peer,
        "message_id": entry.message_id,
        "digest": entry.digest,
        "token": entry.token,
        "reason": entry.reason,
        "at": _moment(entry.at),
        "previous_hash": entry.previous_hash,
        "hash": entry.hash,
    }


def verify(rows: Iterable[LogEntry] | None = None) -> int | None:
    """The id of the first entry whose link does not hold (in id order), or ``None`` when the
    chain is intact. Without ``rows``: the whole log."""
    if rows is None:
        rows = LogEntry.objects.order_by("id").iterator(chunk_size=500)
    return first_broken_link(_record(_line(row)) for row in rows)


# ------------------------------------------------------------------------------ export


def header() -> dict[str, Any]:
    """The export's first line: who exported it and every key its entries may be signed with."""
    return {
        "format": FORMAT,
        "exported_at": _moment(timezone.now()),
        "node": nodes.descriptor(),
        # every key this node ever signed with, rotated-out ones too: old receipts verify
        "node_keys": {k.kid: k.public_jwk for k in NodeKey.objects.order_by("created_at", "kid")},
        "peers": [
            {"code": p.code, "name": p.name, "keys": {k.kid: k.public_jwk for k in p.keys.all()}}
            for p in Peer.objects.prefetch_related("keys").order_by("code")
        ],
    }


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), sort_keys=True)


def export(stream: IO[str]) -> int:
    """Write the log to ``stream`` as JSON lines (:func:`header`, then every entry in chain
    order); the number of entries written."""
    stream.write(_json(header()) + "\n")
    count = 0
    for entry in LogEntry.objects.order_by("id").iterator(chunk_size=500):
        stream.write(_json(_line(entry)) + "\n")
        count += 1
    return count


# ------------------------------------------------------------------------------ offline check


_ENTRY_FIELDS = {
    "id",
    "event",
    "peer",
    "message_id",
    "digest",
    "token",
    "reason",
    "at",
    "previous_hash",
    "hash",
}


def _signature_problem(entry: Mapping[str, Any], node_code: str, own: dict, peers: dict) -> str | None:
    """Why the entry's token does not verify as what its event says it is, or ``None``."""
    event, token = entry["event"], entry["token"]
    try:
        if event in (Event.SENT, Event.RECEIVED, Event.RELAYED):
            _, claims = envelope.peek(token)
            signer = node_code if event == Event.SENT else peer_code(claims.get("sender"))
            keys = own if signer == node_code else peers.get(signer, {})
            if not keys:
                return f"文件中没有节点 {claims.get('sender')!r} 的公钥，无法验证签名"
            found = envelope.open_envelope(token, keys)
            if event == Event.SENT and found.sender != node_code:
                return f"发出的报文的发送方是 {found.sender}，不是本节点 {node_code}"
            if event == Event.RECEIVED and (found.recipient != node_code or found.sender != entry["peer"]):
                return f"收到的报文是 {found.sender} 发给 {found.recipient} 的，与日志所记（{entry['peer']} → {node_code}）不符"
            message_id = found.message_id
        elif event in (Event.RECEIPT_SENT, Event.RECEIPT_RECEIVED):
            _, claims = envelope.peek(token)
            signer = node_code if event == Event.RECEIPT_SENT else peer_code(claims.get("receiver"))
            keys = own if signer == node_code else peers.get(signer, {})
            if not keys:
                return f"文件中没有节点 {claims.get('receiver')!r} 的公钥，无法验证签名"
            receipt = envelope.open_receipt(token, keys)
            if event == Event.RECEIPT_SENT and (
                receipt.receiver != node_code or receipt.sender != entry["peer"]
            ):
                return f"发出的回执是 {receipt.receiver} 给 {receipt.sender} 的，与日志所记不符"
            if event == Event.RECEIPT_RECEIVED and receipt.sender != node_code:
                return f"收到的回执答复的是节点 {receipt.sender} 的报文，不是本节点的"
            message_id = receipt.message_id
        else:  # refused: it did not verify when it came, and is only chained
            return None
    except envelope.EnvelopeRefused as exc:
        return f"{exc.reason}（{exc.code}）"
    if entry["message_id"] and message_id != entry["message_id"]:
        return f"令牌中的报文编号 {message_id} 与日志所记 {entry['message_id']} 不符"
    return None


def verify_export(lines: Iterable[str]) -> dict[str, Any]:
    """Check an :func:`export` offline: the hash chain from the genesis and the signature of
    every envelope and receipt against the keys the file carries.

    ``{"ok", "node", "entries", "broken_at", "signatures_checked", "chain_only", "problems"}``;
    ``ok`` when the chain is intact and every signature holds; each problem is ``{"line", "id",
    "reason"}`` in Chinese."""
    report: dict[str, Any] = {
        "ok": False,
        "node": "",
        "entries": 0,
        "broken_at": None,
        "signatures_checked": 0,
        "chain_only": 0,
        "problems": [],
    }
    problems: list[dict[str, Any]] = report["problems"]
    rows: list[Mapping[str, Any]] = []
    head: Mapping[str, Any] | None = None
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            value = json.loads(line)
        except ValueError:
            problems.append({"line": number, "id": None, "reason": "这一行不是有效的 JSON"})
            continue
        if head is None:
            if not isinstance(value, dict) or value.get("format") != FORMAT:
                problems.append({"line": number, "id": None, "reason": f"第一行应为 {FORMAT} 的文件头"})
                return report
            head = value
            continue
        if (
            not isinstance(value, dict)
            or set(value) != _ENTRY_FIELDS
            or not all(isinstance(value[f], str) for f in _ENTRY_FIELDS - {"id"})
        ):
            problems.append({"line": number, "id": None, "reason": "日志条目的字段不完整或类型不对"})
            continue
        rows.append({**value, "_line": number})
    if head is None:
        problems.append({"line": 1, "id": None, "reason": "文件是空的"})
        return report

    node = head.get("node") if isinstance(head.get("node"), dict) else {}
    node_code = peer_code(node.get("code"))
    report["node"] = node_code
    own = {k["kid"]: k["jwk"] for k in node.get("keys", []) if isinstance(k, dict) and "kid" in k}
    if isinstance(head.get("node_keys"), dict):
        own.update(head["node_keys"])
    peers = {
        p["code"]: dict(p.get("keys") or {})
        for p in head.get("peers", [])
        if isinstance(p, dict) and isinstance(p.get("code"), str)
    }

    report["entries"] = len(rows)
    report["broken_at"] = broken = first_broken_link(_record(row) for row in rows)
    if broken is not None:
        line = next(row["_line"] for row in rows if row["id"] == broken)
        problems.append(
            {"line": line, "id": broken, "reason": "哈希链在这一条断开：条目被改动、删除或调换了顺序"}
        )
    for row in rows:
        if row["event"] == Event.REFUSED:
            report["chain_only"] += 1
            continue
        if row["event"] not in Event.values:
            problems.append({"line": row["_line"], "id": row["id"], "reason": f"未知的事件 {row['event']!r}"})
            continue
        problem = _signature_problem(row, node_code, own, peers)
        report["signatures_checked"] += 1
        if problem:
            problems.append({"line": row["_line"], "id": row["id"], "reason": problem})
    report["ok"] = not problems
    return report
