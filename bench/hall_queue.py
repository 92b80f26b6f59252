"""Halls and queue: call-next latency with 50 windows calling at once, and ticket issue throughput.

    .venv/bin/python bench/hall_queue.py                  # --windows 50 --calls 2000 --issuers 8
    .venv/bin/python bench/hall_queue.py --windows 10 --calls 300 --alone 100   # a quick look

PostgreSQL only: database ``bench_queue`` at 127.0.0.1:5432 (user postgres, trust auth; dropped
and recreated), migrated, the demo loaded (``load_demo``: catalog, regions, queue services);
``ONETHING_VAR_DIR`` a temporary directory. Then one hall of its own (``bench-hall``, in
岳阳市) with ``--windows`` comprehensive windows, a clerk signed in at each (``queue.sign_in``);
every window serves 综合受理 (``zonghe``), the service the tickets are for.

1. **issue** — one thread takes ``--issue-alone`` numbers through ``queue.issue`` as the hall's
   kiosk, then ``--issuers`` threads take ``--tickets`` at once (each issue locks the day's
   counter): tickets/s, latency p50/p99. The queue is then topped up in bulk (setup, not
   measured) to a ticket for every call below.
2. **alone** (the baseline) — one window calls next and finishes, ``--alone`` times, nobody
   else calling.
3. **together** — every window's clerk calls next and finishes at once (threads behind a
   barrier, one connection each), ``--calls`` calls in all: p50/p99 of ``queue.call_next``,
   calls/s, and the ratio to the baseline.
4. **alone again** with the short queue left, for the effect of the queue's length.

Latencies are wall clock of ``queue.call_next`` alone (``finish`` is timed apart), in one Python
process: with 2 CPUs and the GIL, a thread's time includes waiting for the interpreter. Prints
a JSON summary and a Markdown table for docs/performance.md.
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))

import argparse
import json
import os
import statistics
import tempfile
import threading
import time

from _common import db_version, machine

PG = "postgres://postgres@127.0.0.1:5432"
DB = "bench_queue"
HALL = "bench-hall"
SERVICE = "zonghe"


class _Null:
    def write(self, *_):
        pass

    def flush(self):
        pass


def recreate_database() -> None:
    import psycopg

    with psycopg.connect(f"{PG}/postgres", autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {DB} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {DB}")


def setup_django(var_dir: str, connections: int) -> None:
    recreate_database()
    os.environ["DATABASE_URL"] = f"{PG}/{DB}"
    # one connection per thread: 50 clerks' requests at once, as from several server processes
    # (a server process's pool holds 16, ONETHING_DB_POOL_MAX)
    os.environ["ONETHING_DB_POOL_MAX"] = str(connections)
    os.environ["ONETHING_VAR_DIR"] = var_dir
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "onething.conf.settings")
    import django

    os.environ.pop("ONETHING_AFTER_COMMIT", None)  # as servers run: audit linking in a worker thread
    django.setup()


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def summary(seconds: list[float], wall: float) -> dict:
    ms = [s * 1000 for s in seconds]
    return {
        "n": len(ms),
        "p50_ms": round(statistics.median(ms), 2),
        "p99_ms": round(percentile(ms, 0.99), 2),
        "max_ms": round(max(ms), 2),
        "mean_ms": round(statistics.fmean(ms), 2),
        "wall_s": round(wall, 2),
        "per_second": round(len(ms) / wall, 1),
    }


def together(works: list) -> tuple[list, float]:
    """Run ``works`` at once behind a barrier, one thread and connection each."""
    from django.db import connection

    barrier = threading.Barrier(len(works) + 1)
    outcomes: list = [None] * len(works)

    def run(n: int) -> None:
        try:
            with connection.cursor() as cursor:
                cursor.execute("SET lock_timeout = '60s'")
        except BaseException as exc:  # (too many clients …): stop everyone, report it
            outcomes[n] = exc
            barrier.abort()
            connection.close()
            return
        try:
            barrier.wait(120)
            outcomes[n] = works[n]()
        except BaseException as exc:
            outcomes[n] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(n,)) for n in range(len(works))]
    for thread in threads:
        thread.start()
    try:
        barrier.wait(120)
    except threading.BrokenBarrierError:
        for thread in threads:
            thread.join()
        errors = [o for o in outcomes if isinstance(o, BaseException)]
        errors = [e for e in errors if not isinstance(e, threading.BrokenBarrierError)] or errors
        raise RuntimeError(f"threads did not start: {errors[:3]!r}") from None
    t0 = time.perf_counter()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - t0
    errors = [o for o in outcomes if isinstance(o, BaseException)]
    if errors:
        raise RuntimeError(f"{len(errors)} thread(s) failed: {errors[:3]!r}")
    return outcomes, wall


def build_hall(windows: int):
    from django.utils import timezone

    from onething.accounts.models import StaffRole, User
    from onething.directory.models import Hall, Window
    from onething.halls import queue
    from onething.halls.models import HallPolicy

    hall = Hall.objects.create(code=HALL, name="压测政务服务大厅", kind="hall", region_id="430600")
    HallPolicy.objects.create(hall=hall)
    kiosk = User.objects.create_user("bench_kiosk", password=None)
    StaffRole.objects.create(user=kiosk, role=StaffRole.KIOSK, hall=hall)
    desks = []
    for n in range(1, windows + 1):
        window = Window.objects.create(
            code=f"bench-{n}", hall=hall, number=str(n), name="综合受理窗口", comprehensive=True
        )
        clerk = User.objects.create_user(f"bench_clerk_{n}", password=None)
        StaffRole.objects.create(user=clerk, role=StaffRole.WINDOW_CLERK, hall=hall)
        session = queue.sign_in(clerk, window, now=timezone.now())
        assert SERVICE in session.services, session.services
        desks.append((clerk, window))
    return hall, kiosk, desks


def issue_phase(hall, kiosk, tickets: int, issuers: int) -> dict:
    from onething.halls import queue

    def work(count: int):
        def issue_some() -> list[float]:
            times = []
            for _ in range(count):
                t0 = time.perf_counter()
                queue.issue(kiosk, hall, SERVICE)
                times.append(time.perf_counter() - t0)
            return times

        return issue_some

    shares = [tickets // issuers + (1 if n < tickets % issuers else 0) for n in range(issuers)]
    outcomes, wall = together([work(c) for c in shares])
    return summary([t for batch in outcomes for t in batch], wall)


def call_loop(clerk, window, limit: int, remaining: list[int], lock: threading.Lock):
    """Call next and finish until ``limit`` calls or the shared budget are used (or nobody waits)."""
    from onething.halls import queue

    def work() -> tuple[list[float], list[float], list[int]]:
        calls, finishes, called = [], [], []
        while len(calls) < limit:
            with lock:
                if remaining[0] <= 0:
                    break
                remaining[0] -= 1
            t0 = time.perf_counter()
            ticket = queue.call_next(clerk, window)
            t1 = time.perf_counter()
            if ticket is None:
                break
            calls.append(t1 - t0)
            called.append(ticket.pk)
            queue.finish(clerk, ticket.pk)
            finishes.append(time.perf_counter() - t1)
        return calls, finishes, called

    return work


def call_phase(desks, calls: int) -> tuple[dict, dict, list[int]]:
    lock, remaining = threading.Lock(), [calls]
    works = [call_loop(clerk, window, calls, remaining, lock) for clerk, window in desks]
    outcomes, wall = together(works)
    called = [pk for _, _, batch in outcomes for pk in batch]
    return (
        summary([t for c, _, _ in outcomes for t in c], wall),
        summary([t for _, f, _ in outcomes for t in f], wall),
        called,
    )


def top_up(hall, waiting: int) -> int:
    """Setup, not measured: more waiting tickets, numbered on from the day's counter, in bulk
    (as if issued earlier today). Returns how many were added."""
    from django.db import transaction
    from django.utils import timezone

    from onething.halls import rules
    from onething.halls.models import QueueDay, Service, Ticket

    missing = waiting - waiting_count(hall)
    if missing <= 0:
        return 0
    service = Service.objects.get(code=SERVICE)
    now = timezone.now()
    day = timezone.localdate(now)
    with transaction.atomic():
        counter, _ = QueueDay.objects.select_for_update().get_or_create(hall=hall, service=service, day=day)
        first = counter.last + 1
        counter.last += missing
        counter.save(update_fields=["last"])
        Ticket.objects.bulk_create(
            Ticket(
                hall=hall,
                service=service,
                day=day,
                number=rules.number(service.prefix, n),
                status=Ticket.Status.WAITING,
                channel="kiosk",
                issued_at=now,
            )
            for n in range(first, first + missing)
        )
    return missing


def waiting_count(hall) -> int:
    from onething.halls.models import Ticket

    return Ticket.objects.filter(hall=hall, status=Ticket.Status.WAITING).count()


def run(args) -> dict:
    from django.core.management import call_command
    from django.db import connection

    from onething.halls.models import Ticket

    t0 = time.perf_counter()
    call_command("migrate", verbosity=0)
    call_command("load_demo", verbosity=0, stdout=_Null())
    print(f"migrated and demo loaded in {time.perf_counter() - t0:.1f}s", file=sys.stderr)
    hall, kiosk, desks = build_hall(args.windows)
    print(f"issue: {args.issue_alone} alone, {args.tickets} with {args.issuers} threads", file=sys.stderr)
    issued_alone = issue_phase(hall, kiosk, args.issue_alone, 1)
    issued = issue_phase(hall, kiosk, args.tickets, args.issuers)
    tickets = args.issue_alone + args.tickets
    numbers = list(Ticket.objects.filter(hall=hall).values_list("number", flat=True))
    assert len(set(numbers)) == len(numbers) == tickets, "duplicate ticket numbers"
    # the queue the calls take from: what was issued, topped up to every call's ticket
    needed = args.alone + args.calls + args.alone_again + 10
    added = top_up(hall, needed)

    out = {
        "issue_alone": issued_alone,
        "issue": issued,
        "windows": args.windows,
        "issuers": args.issuers,
        "tickets": tickets,
    }
    out["topped_up"] = added
    print(f"alone: {args.alone} calls at one window", file=sys.stderr)
    out["waiting_before_alone"] = waiting_count(hall)
    out["alone"], out["alone_finish"], _ = call_phase(desks[:1], args.alone)
    out["waiting_before_together"] = waiting_count(hall)
    print(f"together: {args.calls} calls at {args.windows} windows", file=sys.stderr)
    out["together"], out["together_finish"], called = call_phase(desks, args.calls)
    assert len(set(called)) == len(called), "a ticket was called twice"
    out["windows_that_called"] = len(
        set(Ticket.objects.filter(pk__in=called).values_list("window_id", flat=True))
    )
    out["waiting_before_alone_again"] = waiting_count(hall)
    out["alone_again"], _, _ = call_phase(desks[1:2], args.alone_again)
    out["ratio_p50"] = round(out["together"]["p50_ms"] / out["alone"]["p50_ms"], 1)
    out["ratio_p99"] = round(out["together"]["p99_ms"] / out["alone"]["p99_ms"], 1)
    out["calls_per_second_ratio"] = round(out["together"]["per_second"] / out["alone"]["per_second"], 2)
    out["db_version"] = db_version(connection)
    return out


def markdown(r: dict) -> str:
    def row(label, s, waiting=""):
        return (
            f"| {label} | {s['n']} | {s['p50_ms']:.1f} | {s['p99_ms']:.1f} | {s['max_ms']:.1f} "
            f"| {s['per_second']:.0f} | {waiting} |"
        )

    lines = [
        "| operation | n | p50 ms | p99 ms | max ms | per second | waiting at start |",
        "|---|---|---|---|---|---|---|",
        row("ticket issue, one thread alone", r["issue_alone"], "0"),
        row(f"ticket issue, {r['issuers']} threads", r["issue"], r["issue_alone"]["n"]),
        row("call-next, one window alone (baseline)", r["alone"], r["waiting_before_alone"]),
        row(f"call-next, {r['windows']} windows at once", r["together"], r["waiting_before_together"]),
        row(f"finish, {r['windows']} windows at once", r["together_finish"], ""),
        row("call-next, one window alone, short queue", r["alone_again"], r["waiting_before_alone_again"]),
        "",
        f"{r['windows']} windows at once / one alone: p50 × {r['ratio_p50']}, p99 × {r['ratio_p99']}, "
        f"calls per second × {r['calls_per_second_ratio']} ({r['windows_that_called']} windows called; "
        "no ticket called twice).",
    ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--windows", type=int, default=50)
    parser.add_argument("--calls", type=int, default=2000, help="call-next in all, every window at once")
    parser.add_argument("--alone", type=int, default=200, help="call-next at one window alone (baseline)")
    parser.add_argument("--alone-again", type=int, default=100, help="the same after, on the short queue")
    parser.add_argument("--tickets", type=int, default=400, help="tickets issued through queue.issue")
    parser.add_argument("--issue-alone", type=int, default=50, help="tickets issued by one thread first")
    parser.add_argument("--issuers", type=int, default=8, help="threads issuing tickets at once")
    args = parser.parse_args()
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="onething-bench-queue-") as var_dir:
        setup_django(var_dir, max(args.windows, args.issuers) + 4)
        result = run(args)
    result["machine"] = machine()
    result["seconds"] = round(time.perf_counter() - started, 1)
    print(json.dumps(result, ensure_ascii=False, indent=2))
    print(markdown(result))


if __name__ == "__main__":
    main()
