"""The one scan over all running clocks: mark red, then yellow, and tell the owners once.

Two set-based steps:

1. **Find** (one plain read, no locks): the ids of running clocks that reached red or yellow
   and are not marked yet — one bitmap over the two partial indexes ``due_at WHERE running``
   and ``yellow_at WHERE running``, so PostgreSQL visits each heap page at most once and never
   looks at paused or stopped clocks.
2. **Mark**, red first, in id order, ``batch`` clocks per statement and per short transaction::

       WITH batch AS MATERIALIZED (
           SELECT id FROM clocks_clock
           WHERE id = ANY(%s) AND running AND due_at <= now AND NOT (warning = 'red')
           FOR UPDATE SKIP LOCKED)
       UPDATE clocks_clock c SET warning = 'red', warned_at = now FROM batch WHERE c.id = batch.id
       RETURNING …

   The condition is checked again under the row lock, so a clock a transition changed since
   step 1 is marked only if it still qualifies. Only ``warning`` and ``warned_at`` change —
   columns in no index — so each mark is a HOT update.

Walking the partial index in batches instead (``ORDER BY due_at LIMIT n``, keyset) re-reads
every already-marked clock below ``now`` in each scan *and* costs a random heap access per
entry; the single bitmap read made the scan of 1,000,000 clocks about twice as fast
(docs/performance.md, "Clock scan").

**Locks.** Transitions lock the owner row, then the clock row. The scan locks clock rows
only, skips any that a transition holds (``SKIP LOCKED``: it never waits, so it can never be
half of a deadlock) and calls the owners' callbacks only after its batches have committed,
holding no clock lock — a callback may then lock owner rows freely. A clock skipped because
it was locked is marked by the next scan (or by the transition itself, which classifies).

**Once.** A marked clock no longer qualifies (``warning`` moved on), so a second scan at the
same moment marks nothing and tells nobody; two scans running at once split the work (each
skips the other's locked rows, and the re-check under the lock refuses what the other has
just marked). The cost of telling after the commit: a crash between the commit and the
callbacks loses those tells (the marks stay) — the same trade as notifications sent with
``on_commit``.

SQLite has no ``FOR UPDATE SKIP LOCKED`` (and one writer at a time anyway): the same
statement without it, ``UPDATE … WHERE id IN (…) AND … RETURNING``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.db import connection, transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from onething.clocks import registry
from onething.clocks.models import Clock, Level

BATCH = 10_000
SQLITE_BATCH = 5_000  # ids per statement: SQLite's limit on parameters is 32,766

#: (condition, parameter count, audience column); red first: a clock that skipped yellow
#: between two scans goes straight to red, and a red clock is never a yellow candidate
_WHERE = {
    Level.RED: ("running AND due_at <= %s AND NOT (warning = 'red')", 1, "red_audience"),
    Level.YELLOW: ("running AND yellow_at <= %s AND due_at > %s AND warning = ''", 2, "yellow_audience"),
}


@dataclass
class ScanResult:
    red: int = 0
    yellow: int = 0
    candidates: int = 0
    batches: int = 0
    told: int = 0  # callbacks called (one per kind and level)
    marks: list[registry.Mark] = field(default_factory=list, repr=False)


def _table() -> str:
    return connection.ops.quote_name(Clock._meta.db_table)


def _candidates(db_now) -> dict[str, list[int]]:
    """Ids of the unmarked clocks that reached each level, in id order (plain read)."""
    red, yellow = _WHERE[Level.RED][0], _WHERE[Level.YELLOW][0]
    sql = f"SELECT id, due_at <= %s FROM {_table()} WHERE ({red}) OR ({yellow})"  # noqa: S608 - names from the model
    with connection.cursor() as cursor:
        cursor.execute(sql, [db_now] * 4)
        rows = cursor.fetchall()
    found: dict[str, list[int]] = {Level.RED: [], Level.YELLOW: []}
    for clock_id, is_red in rows:
        found[Level.RED if is_red else Level.YELLOW].append(clock_id)
    for ids in found.values():
        ids.sort()
    return found


def _mark_statement(level: str, count: int) -> str:
    where, _, audience = _WHERE[level]
    table = _table()
    columns = ("id", "due_at", "owner_kind", "owner_id", "name", audience)
    if connection.vendor == "postgresql":
        return (
            f"WITH batch AS MATERIALIZED (SELECT id FROM {table} WHERE id = ANY(%s::bigint[]) AND {where} "  # noqa: S608 - names from the model
            f"FOR UPDATE SKIP LOCKED) "
            f"UPDATE {table} AS c SET warning = %s, warned_at = %s FROM batch WHERE c.id = batch.id "
            f"RETURNING " + ", ".join(f"c.{col}" for col in columns)
        )
    marks = ", ".join(["%s"] * count)
    return (
        f"UPDATE {table} SET warning = %s, warned_at = %s WHERE id IN ({marks}) AND {where} "  # noqa: S608 - names from the model
        f"RETURNING {', '.join(columns)}"
    )


def _mark_batch(level: str, ids: list[int], db_now) -> list[tuple]:
    """Mark the clocks among ``ids`` that still qualify; one statement, its own transaction."""
    condition = [db_now] * _WHERE[level][1]
    if connection.vendor == "postgresql":
        params = [ids, *condition, level, db_now]
    else:
        params = [level, db_now, *ids, *condition]
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(_mark_statement(level, len(ids)), params)
        return cursor.fetchall()


def _moment(value) -> dt.datetime:
    """A datetime read back by a raw cursor (SQLite returns text, in UTC)."""
    if isinstance(value, str):
        value = parse_datetime(value)
    if timezone.is_naive(value):
        value = timezone.make_aware(value, dt.UTC)
    return value


def scan(now: dt.datetime, batch: int = BATCH) -> ScanResult:
    """Mark every running clock that reached red or yellow at ``now``; tell each owner kind
    once per level, after the marks committed (``on_commit``: at once when called outside a
    transaction, as the periodic task does).
    """
    result = ScanResult()
    db_now = connection.ops.adapt_datetimefield_value(now)
    found = _candidates(db_now)
    result.candidates = sum(len(ids) for ids in found.values())
    size = batch if connection.vendor == "postgresql" else min(batch, SQLITE_BATCH)
    for level in (Level.RED, Level.YELLOW):
        ids = found[level]
        for start in range(0, len(ids), size):
            rows = _mark_batch(level, ids[start : start + size], db_now)
            result.batches += 1
            result.marks.extend(
                registry.Mark(kind, owner_id, name, level, _moment(due_at), registry.audience(audience))
                for _id, due_at, kind, owner_id, name, audience in rows
            )
    result.red = sum(1 for m in result.marks if m.level == Level.RED)
    result.yellow = len(result.marks) - result.red
    if result.marks:
        marks = result.marks

        def tell() -> None:
            result.told = registry.tell(marks)

        transaction.on_commit(tell)
    return result
