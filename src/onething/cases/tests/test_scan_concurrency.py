"""The clock scan and case transitions at once, on PostgreSQL: no deadlock, each red clock
marked once and projected onto its case row.

Transitions lock the application, then its sub-cases, then their clocks; the scan takes clock
rows with ``SKIP LOCKED`` and projects the warning onto the case rows after its commit, locking
them in id order. A deadlock would surface as an error in one of the threads.
"""

from __future__ import annotations

import os
import threading

import pytest
from django.db import connection

from onething.cases import deadlines, intake, lifecycle
from onething.cases.models import SubCase
from onething.cases.tests.conftest import at
from onething.clocks.models import Clock

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(
        not os.environ.get("DATABASE_URL", "").startswith("postgres"),
        reason="real concurrency needs PostgreSQL (SQLite serialises writers and has no SKIP LOCKED)",
    ),
]
CASES, ROUNDS = 6, 4
LATE = at("2026-12-30")  # every clock started on 11/23 is red by then


@pytest.mark.django_db(transaction=True)
def test_scans_and_transitions_run_together_without_deadlock(demo, people, submit, upload_factory):
    apps = []
    for _ in range(CASES):
        app = submit(now=at("2026-11-23"))
        for m in app.plan["materials"]:
            if not m["exempt"]:
                intake.store_upload(app, m["material"], upload_factory(), people["zhangsan"])
        apps.append(lifecycle.accept(app, people["chuangkou"], now=at("2026-11-23")))
    errors: list[BaseException] = []
    barrier = threading.Barrier(CASES + 2)

    def transitions(app):
        try:
            barrier.wait(10)
            for n in range(ROUNDS):
                day = at(f"2026-12-{2 + n:02d}")
                lifecycle.request_correction(app, people["chuangkou"], items=["照片"], reason="补正", now=day)
                lifecycle.resubmit(app, people["zhangsan"], now=day)
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    def scans():
        try:
            barrier.wait(10)
            for _ in range(ROUNDS * 2):
                deadlines.scan(LATE.date(), LATE)
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=transitions, args=(a,)) for a in apps]
    threads += [threading.Thread(target=scans) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert not errors, errors
    deadlines.scan(LATE.date(), LATE)  # whatever a transition kept locked during the scans
    running = Clock.objects.filter(owner_kind="cases.subcase", running=True)
    assert running.exists() and set(running.values_list("warning", flat=True)) == {"red"}
    for clock in running:
        assert SubCase.objects.get(pk=int(clock.owner_id)).warning == "red"
