"""Clock scan over 1,000,000 running clocks of mixed units on PostgreSQL.

    .venv/bin/python bench/clock_scan.py --clocks 1000000

Uses its own database ``bench_clocks_scan`` (dropped and recreated): migrates, creates one
policy per unit, then inserts the clocks with ``generate_series`` — a quarter each in working
days, working hours, natural days and natural hours. Due moments are spread from 5 days
overdue to 40 days ahead (day units: local midnights, as the service computes them; hour
units: any minute), yellow moments 1–4 days (days) or 20–120 minutes (hours) before.
Then it times ``clocks.scan.scan`` (the periodic task's work, batches of ``scan.BATCH`` with
``FOR UPDATE SKIP LOCKED``, callbacks included) at:

1. the first scan, which marks every yellow/red clock at once (worst case, e.g. after an outage);
2. the same moment again (nothing new);
3. five minutes later (the periodic task's interval: hour clocks crossing meanwhile);
4. the next day (a day's crossings of every unit).

and prints the plans of the candidate read (a bitmap over the two partial indexes) and of a
marking batch (by primary key).

``--ticket-clocks N`` adds N open 12345 ticket clocks (owner kind ``hotline.ticket``, the
policies seeded by the hotline migration) among the case clocks: by ``g % 20`` 10 % ``dispatch``
(natural hours, due 30 minutes overdue to 60 minutes ahead), 15 % ``sign``, 60 % ``finish`` and 15 %
``revisit`` (working days, due 2 days overdue to 12 days ahead at local midnights, yellow 1 day
before). The hotline's own callbacks are replaced by counting ones (there are no ticket rows
to lock), as for ``bench.ticket``; the output counts the marks told per owner kind.

    .venv/bin/python bench/clock_scan.py --clocks 1000000 --ticket-clocks 1000000
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

import psycopg

PG = "postgres://postgres@127.0.0.1:5432"
DB = "bench_clocks_scan"
TZ = "Asia/Shanghai"
TODAY = dt.date(2026, 11, 23)  # a Monday
KIND = "bench.ticket"
TICKET_KIND = "hotline.ticket"


def recreate_database() -> None:
    with psycopg.connect(f"{PG}/postgres", autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {DB} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {DB}")


def setup_django(var_dir: Path) -> None:
    os.environ["DATABASE_URL"] = f"{PG}/{DB}"
    os.environ["ONETHING_VAR_DIR"] = str(var_dir)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "onething.conf.settings")
    import django

    django.setup()


def populate(clocks: int) -> dict:
    from django.core.management import call_command

    from onething.clocks.models import ClockPolicy

    call_command("migrate", verbosity=0)
    policies = {
        unit: ClockPolicy.objects.create(code=f"bench-{unit}", name=unit, unit=unit, limit=limit).pk
        for unit, limit in (
            ("working_days", 20),
            ("working_hours", 8),
            ("natural_days", 15),
            ("natural_hours", 24),
        )
    }
    midnight = f"(TIMESTAMP '{TODAY}' AT TIME ZONE '{TZ}')"
    now = f"({midnight} + INTERVAL '10 hours')"
    days = "(((g * 7) % 45) - 5)"  # the due day's offset from today: -5 … 39
    minutes = "(((g * 7919) % 64800) - 7200)"  # hour clocks: -5 days … +40 days, in minutes
    day_unit = "(g % 4 IN (0, 2))"
    unit = "(CASE g % 4 WHEN 0 THEN 'working_days' WHEN 1 THEN 'working_hours' WHEN 2 THEN 'natural_days' ELSE 'natural_hours' END)"
    policy = f"(CASE g % 4 WHEN 0 THEN {policies['working_days']} WHEN 1 THEN {policies['working_hours']} WHEN 2 THEN {policies['natural_days']} ELSE {policies['natural_hours']} END)"
    due = f"(CASE WHEN {day_unit} THEN {midnight} + ({days} + 1) * INTERVAL '1 day' ELSE {now} + {minutes} * INTERVAL '1 minute' END)"
    yellow = (
        f"(CASE WHEN {day_unit} THEN {midnight} + ({days} - (1 + (g / 4) % 4)) * INTERVAL '1 day' "
        f"ELSE {now} + ({minutes} - 20 - (g / 4) % 100) * INTERVAL '1 minute' END)"
    )
    t0 = time.perf_counter()
    with psycopg.connect(f"{PG}/{DB}", autocommit=True) as conn:
        conn.execute(
            "INSERT INTO clocks_clock (owner_kind, owner_id, name, policy_id, policy_version, region_id, unit, "
            '"limit", rule, lead, yellow_audience, red_audience, started_at, paused_at, paused, extension, '
            "due_at, yellow_at, running, warning, warned_at, stopped_at) "
            f"SELECT '{KIND}', g::text, 'finish', {policy}, 1, NULL, {unit}, 1, 'third', 0, 'handler', "
            f"'handler supervisors', {now} - INTERVAL '10 days', NULL, 0, 0, {due}, {yellow}, true, '', NULL, NULL "
            f"FROM generate_series(1::bigint, {clocks}) g"
        )
        conn.execute("VACUUM ANALYZE clocks_clock")
        load_seconds = time.perf_counter() - t0
        count = conn.execute("SELECT COUNT(*) FROM clocks_clock WHERE running").fetchone()[0]
        by_unit = dict(conn.execute("SELECT unit, COUNT(*) FROM clocks_clock GROUP BY unit").fetchall())
        size = conn.execute("SELECT pg_size_pretty(pg_total_relation_size('clocks_clock'))").fetchone()[0]
    print(f"loaded {count} running clocks in {load_seconds:.1f}s", file=sys.stderr)
    return {"running_clocks": count, "by_unit": by_unit, "table_with_indexes": size}


def populate_tickets(clocks: int) -> dict:
    """Open ticket clocks of the four stage names, under the hotline's seeded policies."""
    from onething.clocks.models import ClockPolicy

    if clocks <= 0:
        return {}
    ids = dict(ClockPolicy.objects.filter(code__startswith="hotline.").values_list("code", "pk"))
    midnight = f"(TIMESTAMP '{TODAY}' AT TIME ZONE '{TZ}')"
    now = f"({midnight} + INTERVAL '10 hours')"
    slot = "(g % 20)"
    name = f"(CASE WHEN {slot} < 2 THEN 'dispatch' WHEN {slot} < 5 THEN 'sign' WHEN {slot} < 17 THEN 'finish' ELSE 'revisit' END)"
    policy = (
        f"(CASE WHEN {slot} < 2 THEN {ids['hotline.dispatch']} WHEN {slot} < 5 THEN {ids['hotline.sign']} "
        f"WHEN {slot} < 17 THEN {ids['hotline.finish.complaint']} ELSE {ids['hotline.revisit']} END)"
    )
    hours = f"({slot} < 2)"
    unit = f"(CASE WHEN {hours} THEN 'natural_hours' ELSE 'working_days' END)"
    days = "(((g * 7) % 15) - 2)"  # -2 … 12 days
    minutes = "((((g / 20) * 37 + g % 20) % 90) - 30)"  # -30 … +60 minutes, every minute taken
    due = f"(CASE WHEN {hours} THEN {now} + {minutes} * INTERVAL '1 minute' ELSE {midnight} + ({days} + 1) * INTERVAL '1 day' END)"
    yellow = f"(CASE WHEN {hours} THEN {now} + ({minutes} - 20) * INTERVAL '1 minute' ELSE {midnight} + {days} * INTERVAL '1 day' END)"
    t0 = time.perf_counter()
    with psycopg.connect(f"{PG}/{DB}", autocommit=True) as conn:
        conn.execute(
            "INSERT INTO clocks_clock (owner_kind, owner_id, name, policy_id, policy_version, region_id, unit, "
            '"limit", rule, lead, yellow_audience, red_audience, started_at, paused_at, paused, extension, '
            "due_at, yellow_at, running, warning, warned_at, stopped_at) "
            f"SELECT '{TICKET_KIND}', g::text, {name}, {policy}, 1, NULL, {unit}, 1, 'third', 0, 'owner', "
            f"'owner supervisor', {now} - INTERVAL '3 days', NULL, 0, 0, {due}, {yellow}, true, '', NULL, NULL "
            f"FROM generate_series(1::bigint, {clocks}) g"
        )
        conn.execute("VACUUM ANALYZE clocks_clock")
        load_seconds = time.perf_counter() - t0
        by_name = dict(
            conn.execute(
                "SELECT name, COUNT(*) FROM clocks_clock WHERE owner_kind = %s GROUP BY name", [TICKET_KIND]
            ).fetchall()
        )
        total = conn.execute("SELECT COUNT(*) FROM clocks_clock WHERE running").fetchone()[0]
        size = conn.execute("SELECT pg_size_pretty(pg_total_relation_size('clocks_clock'))").fetchone()[0]
    print(f"loaded {clocks} ticket clocks in {load_seconds:.1f}s", file=sys.stderr)
    return {"ticket_clocks": by_name, "running_clocks_total": total, "table_with_indexes_total": size}


def explain(now: dt.datetime) -> str:
    """Plans of the two statements: the candidate read and one marking batch."""
    from django.db import connection, transaction

    from onething.clocks import scan

    red, yellow = scan._WHERE["red"][0], scan._WHERE["yellow"][0]
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(
                f"EXPLAIN SELECT id, due_at <= %s FROM clocks_clock WHERE ({red}) OR ({yellow})", [now] * 4
            )
            plan = [r[0] for r in cursor.fetchall()]
            cursor.execute("EXPLAIN " + scan._mark_statement("red", 1), [[1, 2, 3], now, "red", now])
            plan += ["", *(r[0] for r in cursor.fetchall())]
        transaction.set_rollback(True)
    return "\n".join(plan)


def timed_scan(now: dt.datetime, told: list) -> dict:
    from onething.clocks import scan

    told.clear()
    t0 = time.perf_counter()
    result = scan.scan(now)
    seconds = time.perf_counter() - t0
    kinds: dict[str, int] = {}
    for marks in told:
        for mark in marks:
            kinds[mark.owner_kind] = kinds.get(mark.owner_kind, 0) + 1
    return {
        "marks_by_kind": kinds,
        "now": now.isoformat(),
        "candidates": result.candidates,
        "red": result.red,
        "yellow": result.yellow,
        "batches": result.batches,
        "callbacks": len(told),
        "seconds": round(seconds, 3),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--clocks", type=int, default=1_000_000)
    parser.add_argument("--ticket-clocks", type=int, default=0, help="open 12345 ticket clocks besides")
    args = parser.parse_args()
    recreate_database()
    setup_django(Path(tempfile.mkdtemp(prefix="bench-clocks-")))
    from zoneinfo import ZoneInfo

    from onething.clocks import registry

    told: list = []
    registry.register(KIND, on_yellow=told.append, on_red=told.append)
    loaded = populate(args.clocks)
    if args.ticket_clocks:
        registry.register(TICKET_KIND, on_yellow=told.append, on_red=told.append)
        loaded.update(populate_tickets(args.ticket_clocks))
    now = dt.datetime.combine(TODAY, dt.time(10), tzinfo=ZoneInfo(TZ))
    plan = explain(now)
    first = timed_scan(now, told)
    again = timed_scan(now, told)
    later = timed_scan(now + dt.timedelta(minutes=5), told)
    next_day = timed_scan(now + dt.timedelta(days=1), told)
    print(
        json.dumps(
            {
                **loaded,
                "first_scan": first,
                "same_moment_rescan": again,
                "five_minutes_later": later,
                "next_day": next_day,
                "explain": plan,
            },
            ensure_ascii=False,
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
