"""办件编号: ``<region>-<YYYYMMDD>-<sequence>``, e.g. ``430602-20261121-000123``.

Readable at the window, sortable (region, then day, then sequence) and unique. The sequence
is per region per day and comes from one ``INSERT … ON CONFLICT DO UPDATE … RETURNING``
statement: atomic on PostgreSQL and SQLite alike, no read-modify-write race. The row lock it
takes lasts until the surrounding transaction commits, so intake allocates in a transaction of
its own: submissions of one region and day then serialise on one short statement, not on a
whole intake. The price is that a failed intake leaves a gap — numbers are unique and sorted,
not dense.
"""

from __future__ import annotations

import datetime as dt

from django.db import connection

from onething.cases.models import RegionDaySequence

SEQUENCE_WIDTH = 6


def next_sequence(region: str, day: dt.date) -> int:
    """The next sequence number for ``region`` on ``day`` (1 for the first)."""
    table = connection.ops.quote_name(RegionDaySequence._meta.db_table)
    sql = (
        f"INSERT INTO {table} (region, day, last) VALUES (%s, %s, 1) "  # noqa: S608 - table name is ours
        f'ON CONFLICT (region, day) DO UPDATE SET last = {table}."last" + 1 RETURNING last'
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [region, day])
        return int(cursor.fetchone()[0])


def application_number(region: str, day: dt.date, sequence: int) -> str:
    return f"{region[:6]}-{day:%Y%m%d}-{sequence:0{SEQUENCE_WIDTH}d}"


def allocate(region: str, day: dt.date) -> str:
    """Allocate the next application number (intake calls it in autocommit: the one
    statement is its own short transaction, committed before the application is written)."""
    return application_number(region, day, next_sequence(region[:6], day))


def subcase_number(application_number: str, position: int) -> str:
    """``…-01``: sub-case numbers sort with, and under, their application."""
    return f"{application_number}-{position:02d}"
