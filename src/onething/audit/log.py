"""Writing and verifying the audit chain.

:func:`record` must be called inside the transaction that makes the change it describes. It
inserts a *pending* record (no ``sequence``, ``previous_hash`` or ``hash`` yet) and takes no
lock, so concurrent transactions never wait on each other for the audit log.

:func:`link_pending` appends pending records to the chain: it locks the chain head row
(``NOWAIT`` — when another linker holds it, that linker is already appending), reads the
committed pending records in id order, gives each the next sequence number and its hash
(:func:`onething.kernel.hashchain.link_hash` over the same content fields as before) and
writes them back in one bulk update. It runs after every commit that recorded something
(``transaction.on_commit``, best effort: a failure is logged, never raised to the request),
every minute from a huey task (``onething.audit.tasks``) and at the start of
:func:`verify_chain`.

The after-commit run is handed to :func:`onething.core.background.after_commit`: on a server
the process's worker thread links, so a request pays nothing for the chain, and the runs are
coalesced — a burst of 100 commits costs a few linking runs, not 100 (measured: a quarter of
an intake's CPU used to go here; docs/performance.md). In the test suite it links at once.

The window: a committed record is pending until the next linker run — on a server within
``LINK_INTERVAL`` (50 ms) of its commit, in tests not at all; at most until the next minute's
task when a process stops before its linker ran (a crash). During that window the record is
durable but not yet covered by a hash, so an edit of the pending row would not be detected;
once linked, editing, deleting or reordering any record is.
"""

from __future__ import annotations

import json
import logging
import threading
from dataclasses import dataclass
from typing import Any

from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from onething.audit.models import AuditRecord, ChainHead
from onething.core.background import after_commit
from onething.core.rows import insert_rows
from onething.kernel.hashchain import GENESIS, first_broken_link, link_hash

logger = logging.getLogger("onething.audit")

LINK_BATCH = 1000
LINK_INTERVAL = 0.05  # seconds between background linking runs (their records wait at most this)
LINK_ROUNDS = 5
LOCK_NOT_AVAILABLE = "55P03"  # PostgreSQL's answer to FOR UPDATE NOWAIT on a locked row


@dataclass(frozen=True)
class Chain:
    """A hash-chained, append-only table: its model (with ``sequence``, ``previous_hash``,
    ``hash`` and ``content()``) and the :class:`ChainHead` row it is linked under. The audit log
    is head 1; the data-sharing call log (``sharing.calllog``) is head 2."""

    model: type
    head_id: int
    key: str
    label: str

    @property
    def lock(self) -> threading.Lock:
        return _LOCKS.setdefault(self.key, threading.Lock())


_LOCKS: dict[str, threading.Lock] = {}
AUDIT = Chain(AuditRecord, 1, "audit-link", "审计记录")


def record(
    action: str,
    object_type: str,
    object_id: str,
    actor=None,
    reason: str = "",
    data: dict[str, Any] | None = None,
    at=None,
) -> AuditRecord:
    """Write one pending record in the caller's transaction; it is linked after the commit."""
    connection = transaction.get_connection()
    if not connection.in_atomic_block:
        raise RuntimeError("审计记录必须与其记录的变更在同一事务中写入")
    entry = AuditRecord(
        at=at or timezone.now(),
        actor=actor if getattr(actor, "pk", None) else None,
        actor_label=str(getattr(actor, "display_name", "") or actor or "系统")[:100],
        action=action,
        object_type=object_type,
        object_id=str(object_id),
        reason=reason or "",
        # what the JSON column will hand back (tuples become lists, keys strings …)
        data=json.loads(json.dumps(data or {}, ensure_ascii=False, default=str)),
    )
    insert_rows([entry])
    # one linker run per transaction, however many records it wrote
    if not any(getattr(func, "linker", False) for _, func, _ in connection.run_on_commit):
        transaction.on_commit(_link_after_commit)
    return entry


def link_quietly(chain: Chain = AUDIT) -> int:
    """:func:`link_pending` for ``on_commit``: never fails the request that committed.

    Skipped at once while another thread of this process is linking (it takes the records
    committed meanwhile in its next round), which spares a failed ``NOWAIT`` attempt.
    """
    if not chain.lock.acquire(blocking=False):
        return 0
    try:
        return link_pending(chain=chain)
    except Exception:  # the periodic task and verify_chain link what this run could not
        logger.exception("%s链接失败（稍后由定时任务重试）", chain.label)
        return 0
    finally:
        chain.lock.release()


def link_soon(chain: Chain) -> None:
    """After a commit that wrote records of ``chain``: link them on the worker, coalesced —
    while one linking run waits in the worker's queue, commits add no other."""
    after_commit(lambda: link_quietly(chain), key=chain.key, every=LINK_INTERVAL)


def _link_after_commit() -> None:
    link_soon(AUDIT)


_link_after_commit.linker = True  # type: ignore[attr-defined]


def _write_links(entries: list, model=AuditRecord) -> None:
    """One short UPDATE per record, sent together (``executemany``: one pipeline round trip on
    PostgreSQL); ``bulk_update`` compiled a CASE per column over every id instead."""
    table = connection.ops.quote_name(model._meta.db_table)
    with connection.cursor() as cursor:
        cursor.executemany(
            f"UPDATE {table} SET sequence = %s, previous_hash = %s, hash = %s WHERE id = %s",  # noqa: S608 - name from the model
            [(e.sequence, e.previous_hash, e.hash, e.pk) for e in entries],
        )


def link_pending(*, wait: bool = False, batch: int = LINK_BATCH, chain: Chain = AUDIT) -> int:
    """Append the committed pending records of ``chain`` to it; the number linked.

    Returns 0 at once when another linker holds the chain head (``wait=False``) — it links
    them. Call outside a transaction: the lock is held only while linking.
    """
    model = chain.model
    if not model.objects.filter(sequence__isnull=True).exists():
        return 0
    linked = 0
    try:
        with transaction.atomic():
            head = ChainHead.objects.select_for_update(nowait=not wait).filter(id=chain.head_id).first()
            if head is None:  # the very first link: create the head (a racing creator loses)
                ChainHead.objects.get_or_create(
                    id=chain.head_id, defaults={"last_hash": GENESIS, "length": 0}
                )
                head = ChainHead.objects.select_for_update(nowait=not wait).get(id=chain.head_id)
            for _ in range(LINK_ROUNDS):  # records committed meanwhile join this run
                pending = list(model.objects.filter(sequence__isnull=True).order_by("id")[:batch])
                if not pending:
                    break
                previous, length = head.last_hash, head.length
                for entry in pending:
                    length += 1
                    entry.sequence = length
                    entry.previous_hash = previous
                    entry.hash = previous = link_hash(previous, entry.content())
                _write_links(pending, model)
                head.last_hash, head.length = previous, length
                linked += len(pending)
            if linked:
                head.save(update_fields=["last_hash", "length"])
    except DatabaseError as exc:
        if wait or getattr(exc.__cause__, "sqlstate", None) != LOCK_NOT_AVAILABLE:
            raise
        return 0  # the head is locked: another linker is appending (NOWAIT)
    return linked


def verify_chain(batch: int = 5000, chain: Chain = AUDIT):
    """The first record whose link does not hold (tampered, removed or reordered), or ``None``.

    Links pending records first (waiting for a running linker); a record that was pending
    before and still is afterwards could not be linked and is reported.
    """
    model = chain.model
    before = model.objects.filter(sequence__isnull=True).order_by("-id").values_list("id", flat=True)
    cutoff = before.first()
    if cutoff is not None:
        link_pending(wait=True, chain=chain)

    def rows():
        last = 0
        expected_sequence = 1
        while True:
            chunk = list(model.objects.filter(sequence__gt=last).order_by("sequence")[:batch])
            if not chunk:
                return
            for r in chunk:
                # a gap in the sequence means a deleted record: report the record after the gap
                previous = r.previous_hash if r.sequence == expected_sequence else "<gap>"
                yield (r.pk, previous, r.hash, r.content())
                expected_sequence = r.sequence + 1
            last = chunk[-1].sequence

    broken = first_broken_link(rows())
    if broken is not None:
        return model.objects.get(pk=broken)
    head = ChainHead.objects.filter(id=chain.head_id).first()
    last = model.objects.filter(sequence__isnull=False).order_by("-sequence").first()
    if head and last and (head.last_hash != last.hash or head.length != last.sequence):
        return last  # records after this one were removed
    if cutoff is not None:
        stuck = model.objects.filter(sequence__isnull=True, id__lte=cutoff).order_by("id").first()
        if stuck is not None:
            return stuck
    return None


def history(object_type: str, object_id: str) -> list[AuditRecord]:
    """The records about one object in the order they were written (pending ones included)."""
    return list(AuditRecord.objects.filter(object_type=object_type, object_id=str(object_id)).order_by("id"))
