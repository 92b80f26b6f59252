"""Writing and verifying the audit chain.

:func:`record` must be called inside the transaction that makes the change it describes;
it locks the chain head row so concurrent writers append one after the other.
"""

from __future__ import annotations

import json
from typing import Any

from django.db import transaction
from django.utils import timezone

from onething.audit.models import AuditRecord, ChainHead
from onething.kernel.hashchain import GENESIS, first_broken_link, link_hash


def record(
    action: str,
    object_type: str,
    object_id: str,
    actor=None,
    reason: str = "",
    data: dict[str, Any] | None = None,
    at=None,
) -> AuditRecord:
    """Append one record to the chain (in the caller's transaction)."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("审计记录必须与其记录的变更在同一事务中写入")
    ChainHead.objects.get_or_create(id=1, defaults={"last_hash": GENESIS, "length": 0})
    head = ChainHead.objects.select_for_update().get(id=1)
    entry = AuditRecord(
        sequence=head.length + 1,
        at=at or timezone.now(),
        actor=actor if getattr(actor, "pk", None) else None,
        actor_label=str(getattr(actor, "display_name", "") or actor or "系统")[:100],
        action=action,
        object_type=object_type,
        object_id=str(object_id),
        reason=reason or "",
        # what the JSON column will hand back (tuples become lists, keys strings …), so the
        # hash computed now is the one a verifier recomputes from the stored row
        data=json.loads(json.dumps(data or {}, ensure_ascii=False, default=str)),
        previous_hash=head.last_hash,
    )
    entry.hash = link_hash(entry.previous_hash, entry.content())
    entry.save()
    head.last_hash = entry.hash
    head.length = entry.sequence
    head.save(update_fields=["last_hash", "length"])
    return entry


def verify_chain(batch: int = 5000) -> AuditRecord | None:
    """The first record whose link does not hold (tampered, removed or reordered), or ``None``."""

    def rows():
        last = 0
        expected_sequence = 1
        while True:
            chunk = list(AuditRecord.objects.filter(sequence__gt=last).order_by("sequence")[:batch])
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
        return AuditRecord.objects.get(pk=broken)
    head = ChainHead.objects.filter(id=1).first()
    last = AuditRecord.objects.order_by("-sequence").first()
    if head and last and (head.last_hash != last.hash or head.length != last.sequence):
        return last  # records after this one were removed
    return None


def history(object_type: str, object_id: str) -> list[AuditRecord]:
    return list(
        AuditRecord.objects.filter(object_type=object_type, object_id=str(object_id)).order_by("sequence")
    )
