"""Tamper-evident hash chain for the audit log (审计日志防篡改).

Each record's hash covers its own canonical content and the previous record's hash, so
changing, deleting or reordering any record breaks every link after it. The functions take
plain mappings so the audit app (or a verifier outside the platform) can use them.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from typing import Any

GENESIS = "0" * 64


def canonical(content: Mapping[str, Any]) -> bytes:
    """Stable bytes for a record: sorted keys, no whitespace, UTF-8, ``str()`` for non-JSON."""
    return json.dumps(
        content, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str
    ).encode()


def link_hash(previous_hash: str, content: Mapping[str, Any]) -> str:
    """The hash of a record given the hash of the record before it."""
    digest = hashlib.sha256()
    digest.update(previous_hash.encode("ascii"))
    digest.update(b"\n")
    digest.update(canonical(content))
    return digest.hexdigest()


def first_broken_link(
    records: Iterable[tuple[Any, str, str, Mapping[str, Any]]], start: str = GENESIS
) -> Any | None:
    """Walk ``(id, previous_hash, hash, content)`` in chain order; return the id of the first
    record whose link does not hold, or ``None`` when the whole chain is intact.

    ``start`` is the hash the first record must follow: the genesis for a whole chain, the
    anchor (the hash of the record before it) for an exported slice."""
    expected_previous = start
    for record_id, previous_hash, record_hash, content in records:
        if previous_hash != expected_previous or link_hash(previous_hash, content) != record_hash:
            return record_id
        expected_previous = record_hash
    return None
