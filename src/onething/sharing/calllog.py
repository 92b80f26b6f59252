"""The gateway's call log: append-only and hash-chained, like the audit log.

Every call, allowed or denied, is one :class:`~onething.sharing.models.Call` row written in
its own short transaction (a denial is logged although the query fails) and linked into its
chain (``audit.log.Chain`` head 2) right after the commit, on the worker — the same linker as
the audit log, so a call costs one INSERT on the request path. A minute's task links what a
crash left pending.

:func:`export_slice` writes a contiguous range of the chain as JSON with its anchor (the hash
of the record before it); :func:`verify_slice` checks such a file with nothing but the kernel's
hash function, so a department or an auditor can verify it offline, without the database.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from typing import Any

from django.db import transaction
from django.utils.crypto import salted_hmac

from onething.audit.log import Chain, link_pending, link_soon, verify_chain
from onething.core.rows import insert_rows
from onething.kernel.hashchain import GENESIS, first_broken_link
from onething.sharing.models import Call

CALLS = Chain(Call, 2, "sharing-link", "共享调用记录")
FORMAT = "onething.sharing.calls/1"


def subject_key(subject: str) -> str:
    """A keyed hash of a subject's number: the log finds "every call about me" without keeping
    the number itself (the key is the deployment's secret)."""
    return salted_hmac("onething.sharing.subject", subject, algorithm="sha256").hexdigest()


def write(call: Call) -> Call:
    """Append ``call`` and link it soon: one INSERT in autocommit (no BEGIN/COMMIT round
    trips), or inside the caller's transaction when one is open (linked after its commit)."""
    insert_rows([call])
    transaction.on_commit(lambda: link_soon(CALLS))
    return call


def link() -> int:
    return link_pending(wait=True, chain=CALLS)


def verify():
    """The first call record whose link does not hold, or ``None``."""
    return verify_chain(chain=CALLS)


def _record(call: Call) -> dict[str, Any]:
    return {**call.content(), "previous_hash": call.previous_hash, "hash": call.hash}


def export_slice(first: int | None = None, last: int | None = None, *, since=None, until=None) -> dict:
    """Records ``first``..``last`` by sequence (or those at ``since``..``until``), linked first,
    with the anchor a verifier needs."""
    link()
    rows = Call.objects.filter(sequence__isnull=False)
    if first is not None:
        rows = rows.filter(sequence__gte=first)
    if last is not None:
        rows = rows.filter(sequence__lte=last)
    if since is not None:
        rows = rows.filter(at__gte=since)
    if until is not None:
        rows = rows.filter(at__lt=until)
    records = [_record(c) for c in rows.order_by("sequence")]
    anchor = records[0]["previous_hash"] if records else GENESIS
    return {
        "format": FORMAT,
        "exported_at": dt.datetime.now(dt.UTC).isoformat(),
        "anchor": anchor,
        "records": records,
    }


def verify_slice(document: Mapping[str, Any]) -> str | None:
    """Why an exported slice does not hold (a record changed, removed, reordered), or ``None``.

    Needs no database: the records' content, the anchor and the kernel's hash."""
    if document.get("format") != FORMAT:
        return "不是共享调用记录导出文件"
    records = document.get("records") or []
    expected = None
    rows = []
    for r in records:
        sequence = r.get("sequence")
        if expected is not None and sequence != expected:
            return f"序号 {expected} 的记录缺失"
        expected = (sequence or 0) + 1
        content = {k: v for k, v in r.items() if k not in ("previous_hash", "hash")}
        rows.append((sequence, r.get("previous_hash"), r.get("hash"), content))
    broken = first_broken_link(rows, start=document.get("anchor") or GENESIS)
    if broken is not None:
        return f"序号 {broken} 的记录与链不符（被修改、删除或调换）"
    return None


def dumps(document: Mapping[str, Any]) -> str:
    return json.dumps(document, ensure_ascii=False, indent=1)
