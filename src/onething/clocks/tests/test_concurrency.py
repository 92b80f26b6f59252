"""Scans and transitions at once on PostgreSQL: no deadlock, every clock marked and told once.

Transitions do what an owning app does: lock the owner row, then start, pause and resume its
clocks (owner before clock). The callback does what an owning app's callback would: lock the
owner rows of the clocks it is told about. If the scan told owners while it still held clock
locks, a callback waiting for an owner held by a transition — itself waiting for a clock the
scan holds — would be a deadlock, which PostgreSQL detects and reports as an error.
"""

from __future__ import annotations

import datetime as dt
import os
import random
import threading
import time

import pytest
from django.db import connection, transaction

from onething.clocks import registry, scan, service
from onething.clocks.models import Clock, ClockPolicy
from onething.directory.models import Region

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(
        not os.environ.get("DATABASE_URL", "").startswith("postgres"),
        reason="real concurrency needs PostgreSQL (SQLite serialises writers and has no SKIP LOCKED)",
    ),
]

KIND = "directory.region"
T0 = dt.datetime(2026, 11, 23, 9, tzinfo=dt.UTC)
NOW = T0 + dt.timedelta(hours=2)  # every clock below (1 natural hour) is red by then
OWNERS = [f"99{n:04d}" for n in range(40)]
TRANSITION_THREADS, SCAN_THREADS, ROUNDS = 4, 2, 6


@pytest.mark.django_db(transaction=True)
def test_scans_and_transitions_run_together_without_deadlock():
    told: list[tuple[str, str]] = []
    told_lock = threading.Lock()
    errors: list[BaseException] = []

    def on_red(marks):
        # like an owning app: update its owner rows (locks them, in a stable order)
        with transaction.atomic():
            codes = sorted({m.owner_id for m in marks})
            list(Region.objects.select_for_update().filter(code__in=codes).order_by("code"))
            time.sleep(0.002)
        with told_lock:
            told.extend((m.owner_id, m.name) for m in marks)

    registry.register(KIND, on_red=on_red, on_yellow=lambda marks: None)
    try:
        Region.objects.bulk_create([Region(code=c, name=f"测试{c}", level="county", path=c) for c in OWNERS])
        policy = ClockPolicy.objects.create(code="dispatch", name="派单", unit="natural_hours", limit=1)
        service.start_many([service.Start((KIND, c), "first", policy) for c in OWNERS], T0)
        barrier = threading.Barrier(TRANSITION_THREADS + SCAN_THREADS)
        done = threading.Event()

        def guarded(work):
            def run():
                try:
                    with connection.cursor() as cursor:
                        cursor.execute("SET lock_timeout = '20s'")
                    barrier.wait()
                    work()
                except BaseException as exc:  # pragma: no cover - reported by the assertion below
                    errors.append(exc)
                finally:
                    connection.close()

            return run

        def transitions(number: int):
            def work():
                rng = random.Random(number)
                for round_ in range(ROUNDS):
                    for code in rng.sample(OWNERS, len(OWNERS)):
                        owner = (KIND, code)
                        with transaction.atomic():
                            Region.objects.select_for_update().get(code=code)  # the owner first
                            service.start(owner, f"t{number}-{round_}", policy, T0)
                            service.pause(owner, "first", NOW)
                            time.sleep(0.0005)
                            service.resume(owner, "first", NOW)

            return work

        def scans():
            while not done.is_set():
                scan.scan(NOW, batch=7)
            scan.scan(NOW, batch=7)

        workers = [threading.Thread(target=guarded(transitions(n))) for n in range(TRANSITION_THREADS)]
        scanners = [threading.Thread(target=guarded(scans)) for _ in range(SCAN_THREADS)]
        for thread in workers + scanners:
            thread.start()
        for thread in workers:
            thread.join(timeout=120)
        done.set()
        for thread in scanners:
            thread.join(timeout=120)
        assert not errors, errors
        assert not any(t.is_alive() for t in workers + scanners)

        scan.scan(NOW)  # whatever a skipped lock left over
        expected = {(c, "first") for c in OWNERS} | {
            (c, f"t{n}-{r}") for c in OWNERS for n in range(TRANSITION_THREADS) for r in range(ROUNDS)
        }
        assert Clock.objects.filter(owner_kind=KIND).count() == len(expected)
        assert Clock.objects.filter(owner_kind=KIND).exclude(warning="red").count() == 0
        assert len(told) == len(expected)  # told once each…
        assert set(told) == expected  # …and every one of them
        assert scan.scan(NOW).red == 0
    finally:
        registry.unregister(KIND)
