"""办件编号: ``<region>-<YYYYMMDD>-<sequence>``, e.g. ``430602-20261121-000123``.

Readable at the window, sortable (region, then day, then sequence) and unique:

- **within this node**: the sequence is per region per day and comes from one
  ``INSERT … ON CONFLICT DO UPDATE … RETURNING`` statement — atomic on PostgreSQL and SQLite
  alike, no read-modify-write race;
- **across nodes**: each province runs its own node, and a node may file under another
  province's region (a cross-province window receiving for a peer's item). Those numbers carry
  this node's province, ``110105-20261121-N43-000007``, so they can never equal a number the
  peer mints for its own region.

The sequence row stays locked until the allocating transaction commits, so allocation is
**its own short transaction**, whatever the caller holds: outside a transaction the statement
autocommits; inside one, on PostgreSQL it runs on a second connection of its own (a nested
``atomic()`` would only be a savepoint, holding the row until the caller commits and making
every intake of that region and day wait); on SQLite, where every writer takes the one
database lock anyway, it runs in the caller's transaction. A failed intake leaves a gap —
numbers are unique and sorted, not dense.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connection, connections, transaction

from onething.cases.models import RegionDaySequence

SEQUENCE_WIDTH = 6


def _statement(conn) -> str:
    table = conn.ops.quote_name(RegionDaySequence._meta.db_table)
    return (
        f"INSERT INTO {table} (region, day, last) VALUES (%s, %s, 1) "  # noqa: S608 - table name is ours
        f'ON CONFLICT (region, day) DO UPDATE SET last = {table}."last" + 1 RETURNING last'
    )


def next_sequence(region: str, day: dt.date) -> int:
    """The next sequence number for ``region`` on ``day`` (1 for the first), committed at once."""
    if not transaction.get_connection().in_atomic_block or connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute(_statement(connection), [region, day])
            return int(cursor.fetchone()[0])
    own = connections.create_connection(DEFAULT_DB_ALIAS)  # autocommit: its own transaction
    try:
        with own.cursor() as cursor:
            cursor.execute(_statement(own), [region, day])
            return int(cursor.fetchone()[0])
    finally:
        own.close()


def node_province() -> str:
    return str(settings.ONETHING.get("NODE_REGION") or "")[:2]


def application_number(region: str, day: dt.date, sequence: int) -> str:
    mark = "" if region[:2] == node_province() else f"N{node_province()}-"
    return f"{region[:6]}-{day:%Y%m%d}-{mark}{sequence:0{SEQUENCE_WIDTH}d}"


def allocate(region: str, day: dt.date) -> str:
    """Allocate the next application number, in a transaction of its own (module docstring)."""
    return application_number(region, day, next_sequence(region[:6], day))


def subcase_number(application_number: str, position: int) -> str:
    """``…-01``: sub-case numbers sort with, and under, their application."""
    return f"{application_number}-{position:02d}"
