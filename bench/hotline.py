"""12345 ticket intake throughput: concurrent ``POST /api/v1/tickets`` (an operator filing a
call, PRODUCT.md C11) through gunicorn on PostgreSQL, at a couple of concurrency levels.

    .venv/bin/python bench/hotline.py --workers 4 --threads 8 --clients 8,32 --seconds 20 [--compare-cases]

Uses its own database ``bench_hotline`` (dropped and recreated): migrate, the demo catalog and
accounts only (``load-demo --without-ratings --without-hotline``), a bearer token for the
operator ``jiexian``. Load from ``wrk`` (``intake_wrk.lua``, the same script as the case intake
bench). Afterwards it checks in the database that the tickets written equal the 201s counted
(plus at most one per connection: wrk drops the responses in flight when its time is up) and
that every ticket has its two running clocks (dispatch, finish). ``--compare-cases`` also runs
``bench/intake_throughput.py --skip-baseline`` with the same server and load, side by side,
and reports the ratio tickets/s ÷ applications/s. ``--scan`` then runs the clock scan once
over the tickets just filed, at a moment when every one's ``dispatch`` clock has gone red,
with the hotline's real callbacks (``deadlines._warn``: lock the ticket, write its card, tell
the centre's operators through the outbox) and reports seconds per ticket crossing. Prints a
JSON summary.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import psycopg

from _common import machine
from intake_throughput import PG, cpu_seconds, wrk_load
from onething.cases.tests import liveserver

DB = "bench_hotline"
PATH = "/api/v1/tickets"
TICKET = {
    "category": "complaint",
    "channel": "hotline",
    "content": "岳阳楼区洞庭路一家餐馆油烟直排，夜间噪音扰民，多次沟通无果，请相关部门处理。",
    "region": "430602",
    "caller": {"name": "刘先生", "phone": "15973000001"},
    "address": "岳阳市岳阳楼区洞庭路18号",
}


def recreate_database() -> None:
    with psycopg.connect(f"{PG}/postgres", autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {DB} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {DB}")


def prepare(env) -> str:
    liveserver.manage(env, "migrate", "-v0")
    liveserver.manage(env, "load_demo", "--without-ratings", "--without-hotline")
    return liveserver.manage(env, "token", "create", "jiexian").strip().splitlines()[-1]


def wrk(port: int, token: str, payload: bytes, clients: int, seconds: float, workdir: Path) -> dict:
    """One level of load (``intake_throughput.wrk_load`` on the ticket endpoint)."""
    run = wrk_load(port, token, payload, clients, seconds, workdir, path=PATH)
    del run["load"]
    return {"clients": clients, "tickets": run.pop("applications"), **run}


def check(dsn: str) -> dict:
    """What the database holds: tickets, and tickets without exactly their two clocks."""
    with psycopg.connect(dsn) as conn:
        tickets = conn.execute("SELECT COUNT(*) FROM hotline_ticket").fetchone()[0]
        wrong = conn.execute(
            "SELECT COUNT(*) FROM hotline_ticket t WHERE (SELECT COUNT(*) FROM clocks_clock c "
            "WHERE c.owner_kind = 'hotline.ticket' AND c.owner_id = t.id::text "
            "AND c.name IN ('dispatch', 'finish') AND c.running) <> 2"
        ).fetchone()[0]
        clocks = conn.execute(
            "SELECT COUNT(*) FROM clocks_clock WHERE owner_kind = 'hotline.ticket'"
        ).fetchone()[0]
    return {"tickets_in_db": tickets, "clocks_in_db": clocks, "tickets_without_both_clocks": wrong}


SCAN = """
import datetime as dt, json, time
from django.db.models import Max
from onething.clocks import scan
from onething.hotline.models import Card, Ticket
from onething.notifications.models import Notification, OutboxMessage
now = Ticket.objects.aggregate(m=Max("received_at"))["m"] + dt.timedelta(hours=2)
before = (Card.objects.count(), Notification.objects.count(), OutboxMessage.objects.count())
t0 = time.perf_counter()
result = scan.scan(now)
seconds = time.perf_counter() - t0
cards = Card.objects.count() - before[0]
print(json.dumps({
    "candidates": result.candidates,
    "seconds": round(seconds, 2),
    "cards_written": cards,
    "ms_per_card": round(seconds / max(cards, 1) * 1000, 2),
    "notifications": Notification.objects.count() - before[1],
    "outbox_messages": OutboxMessage.objects.count() - before[2],
}))
"""


def scan_with_callbacks(env) -> dict:
    """One scan over the filed tickets with the real callbacks, in a process of its own."""
    out = liveserver.manage({**env, "ONETHING_AFTER_COMMIT": "inline"}, "shell", "-c", SCAN)
    return json.loads(out.strip().splitlines()[-1])


def cases(args) -> dict:
    """The case intake bench with the same server and load (its HTTP figure only)."""
    out = subprocess.run(
        [
            sys.executable,
            str(Path(__file__).with_name("intake_throughput.py")),
            "--workers",
            str(args.workers),
            "--threads",
            str(args.threads),
            "--clients",
            str(max(args.levels)),
            "--seconds",
            str(args.seconds),
            "--skip-baseline",
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return json.loads(out[out.index("{") :])["http"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--clients", default="8,32", help="concurrency levels, comma-separated")
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--compare-cases", action="store_true")
    parser.add_argument("--scan", action="store_true", help="then one clock scan with the real callbacks")
    args = parser.parse_args()
    args.levels = [int(x) for x in args.clients.split(",")]

    recreate_database()
    dsn = f"{PG}/{DB}"
    var_dir = Path(tempfile.mkdtemp(prefix="bench-hotline-"))
    env = liveserver.environment(var_dir, dsn, ONETHING_DB_CONN_MAX_AGE="600")
    token = prepare(env)
    payload = json.dumps(TICKET, ensure_ascii=False).encode()
    port = liveserver.free_port()
    server = liveserver.start(
        env, port, workers=args.workers, threads=args.threads, log=var_dir / "server.log"
    )
    runs = []
    try:
        # warm-up (imports, connections, caches)
        warm = wrk(port, token, payload, 4, 3, var_dir)
        created = warm["tickets"]
        for clients in args.levels:
            before, load_before = cpu_seconds(server.pid), os.times()
            run = wrk(port, token, payload, clients, args.seconds, var_dir)
            after, load_after = cpu_seconds(server.pid), os.times()
            done = max(run["tickets"], 1)
            load_cpu = (
                load_after.children_user
                + load_after.children_system
                - load_before.children_user
                - load_before.children_system
            )
            run["cpu_ms_per_ticket"] = {
                "server": round((after["server"] - before["server"]) / done * 1000, 2),
                "postgres": round((after["postgres"] - before["postgres"]) / done * 1000, 2),
                "load_generator": round(load_cpu / done * 1000, 2),
            }
            run["load_average_after"] = round(os.getloadavg()[0], 2)
            created += run["tickets"]
            runs.append(run)
    finally:
        liveserver.stop(server)
    db = check(dsn)
    result = {
        "endpoint": f"POST {PATH}",
        "server": f"gunicorn -w {args.workers} -k gthread --threads {args.threads}",
        "runs": runs,
        "created_201_total_with_warmup": created,
        "db": db,
        # wrk drops the responses still in flight when its time is up (at most one per
        # connection): those tickets are written but not counted
        "in_flight_at_stop": db["tickets_in_db"] - created,
        "consistent": 0 <= db["tickets_in_db"] - created <= 4 + sum(args.levels)
        and db["tickets_without_both_clocks"] == 0
        and all(set(r["statuses"]) == {"201"} and not r["errors"] for r in runs),
        "machine": machine(),
    }
    if args.scan:
        result["scan_with_callbacks"] = scan_with_callbacks(env)
    if args.compare_cases:
        result["cases_intake"] = cases(args)
        best = max(runs, key=lambda r: r["clients"])
        result["ratio_tickets_per_applications"] = round(
            best["per_second"] / max(result["cases_intake"]["per_second"], 0.1), 2
        )
    print(json.dumps(result, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
