"""``insert_rows()`` — a lean INSERT for the platform's hottest write paths.

``Model.save()`` and ``QuerySet.bulk_create()`` compile a query per call: they resolve each
value as a possible expression, walk every field through several layers and (on PostgreSQL)
turn a multi-row insert into ``UNNEST`` arrays that psycopg must dump element by element.
For intake — an application, its sub-cases, its exempt materials and an audit record, a
few hundred values per submission — that compiling was about a third of the request's CPU
(docs/performance.md, intake throughput).

This helper writes the same rows with the same column values: each field's own
``pre_save`` (``auto_now_add``, defaults) and ``get_db_prep_save`` (JSON, dates, UUIDs …),
so what lands in the database is what the ORM would have written (tests/core reads rows of
both back and compares them). It only skips the query compiler: the SQL text is built once
per model (and, off PostgreSQL, per row count) and cached. It does not send signals and does
not run ``save()`` overrides — use it only for models that have neither.
"""

from __future__ import annotations

import datetime as dt
import decimal
import json
import uuid
from collections.abc import Sequence
from functools import lru_cache

from django.db import connections, models

CHUNK = 500  # rows per statement (SQLite allows 32766 parameters; 500 × ~40 columns fits)


def _written_fields(model: type[models.Model]) -> tuple:
    """The columns an INSERT writes: every concrete field but an auto-increment key."""
    return tuple(
        f for f in model._meta.concrete_fields if not (f.primary_key and isinstance(f, models.AutoField))
    )


@lru_cache(maxsize=256)
def _statement(model: type[models.Model], using: str, count: int, returning: bool) -> tuple[str, tuple]:
    """(SQL, fields) for inserting ``count`` rows of ``model`` — built once, then reused."""
    meta = model._meta
    fields = _written_fields(model)
    quote = connections[using].ops.quote_name
    columns = ", ".join(quote(f.column) for f in fields)
    one_row = "(" + ", ".join(["%s"] * len(fields)) + ")"
    sql = f"INSERT INTO {quote(meta.db_table)} ({columns}) VALUES " + ", ".join([one_row] * count)  # noqa: S608 - names from the model
    if returning:
        sql += f" RETURNING {quote(meta.pk.column)}"
    return sql, fields


def _json_default(value):
    """Dates, times, decimals and UUIDs as text: PostgreSQL casts the text to the column type."""
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, decimal.Decimal | uuid.UUID):
        return str(value)
    raise TypeError(f"insert_rows: {type(value).__name__} cannot be sent as JSON")


@lru_cache(maxsize=256)
def _recordset_statement(model: type[models.Model], using: str, returning: bool) -> tuple[str, tuple] | None:
    """PostgreSQL: one statement, one parameter — the rows as a JSON array, spread into the
    table's row type by ``jsonb_populate_recordset`` (in array order). ``None`` when a field
    has its own JSON encoder (the generic path then takes the model)."""
    meta = model._meta
    fields = _written_fields(model)
    if any(isinstance(f, models.JSONField) and f.encoder is not None for f in fields):
        return None
    quote = connections[using].ops.quote_name
    table = quote(meta.db_table)
    columns = ", ".join(quote(f.column) for f in fields)
    picked = ", ".join(f"r.{quote(f.column)}" for f in fields)
    sql = (
        f"INSERT INTO {table} ({columns}) SELECT {picked} "  # noqa: S608 - names from the model
        f"FROM jsonb_populate_recordset(NULL::{table}, %s::jsonb) WITH ORDINALITY AS r ORDER BY r.ordinality"
    )
    if returning:
        sql += f" RETURNING {quote(meta.pk.column)}"
    return sql, fields


def _insert_recordset(objs, model, using: str, returning: bool) -> bool:
    statement = _recordset_statement(model, using, returning)
    if statement is None:
        return False
    sql, fields = statement
    connection = connections[using]
    rows = []
    for obj in objs:
        row = {}
        for field in fields:
            value = field.pre_save(obj, True)
            if isinstance(field, models.JSONField):
                row[field.column] = field.get_prep_value(value)
            else:
                row[field.column] = field.get_db_prep_save(value, connection)
        rows.append(row)
    payload = json.dumps(rows, ensure_ascii=False, default=_json_default)
    with connection.cursor() as cursor:
        cursor.execute(sql, [payload])
        if returning:
            for obj, (pk,) in zip(objs, cursor.fetchall(), strict=True):
                obj.pk = pk
    return True


def insert_rows(objs: Sequence[models.Model], *, using: str = "default", keys: bool = True) -> None:
    """INSERT ``objs`` (all of one model); with ``keys`` sets their primary keys.

    PostgreSQL: one ``INSERT … SELECT … FROM jsonb_populate_recordset(…)`` whose only
    parameter is the rows as JSON (``json.dumps`` is C; psycopg then sends one string instead
    of adapting and quoting a few hundred values, and the short SQL text stays prepared).
    Elsewhere (SQLite): with keys, one multi-row ``INSERT … RETURNING`` per chunk; without,
    one single-row statement for all rows with ``executemany``.

    Opens no transaction: call it inside the caller's when the rows belong together.
    """
    if not objs:
        return
    model = type(objs[0])
    if any(type(obj) is not model for obj in objs):
        raise TypeError("insert_rows: all objects must be of one model")
    connection = connections[using]
    returning = keys and isinstance(model._meta.pk, models.AutoField)
    if connection.vendor == "postgresql" and _insert_recordset(objs, model, using, returning):
        pass
    elif not returning and len(objs) > 1:
        sql, fields = _statement(model, using, 1, False)
        rows = [
            [field.get_db_prep_save(field.pre_save(obj, True), connection) for field in fields]
            for obj in objs
        ]
        with connection.cursor() as cursor:
            cursor.executemany(sql, rows)
    else:
        for start in range(0, len(objs), CHUNK):
            chunk = objs[start : start + CHUNK]
            sql, fields = _statement(model, using, len(chunk), returning)
            params = [
                field.get_db_prep_save(field.pre_save(obj, True), connection)
                for obj in chunk
                for field in fields
            ]
            with connection.cursor() as cursor:
                cursor.execute(sql, params)
                if returning:
                    for obj, (pk,) in zip(chunk, cursor.fetchall(), strict=True):
                        obj.pk = pk
    for obj in objs:
        obj._state.adding = False
        obj._state.db = using
