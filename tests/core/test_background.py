"""The after-commit worker: jobs leave the request, run in order, coalesce by key."""

from __future__ import annotations

import itertools
import threading

import pytest
from django.db import transaction

from onething.audit import log
from onething.audit.models import AuditRecord
from onething.core import background
from onething.core.background import Worker


@pytest.fixture
def worker(settings, monkeypatch):
    """Background mode with a fresh worker of our own (stopped at the end: it closes its
    database connection, which the test database teardown needs)."""
    settings.ONETHING = {**settings.ONETHING, "AFTER_COMMIT": "background"}
    fresh = Worker()
    monkeypatch.setattr(background, "worker", fresh)
    yield fresh
    fresh.stop()


def test_jobs_run_in_order_off_the_calling_thread(worker):
    seen = []
    for n in range(5):
        background.after_commit(lambda n=n: seen.append((n, threading.current_thread().name)))
    worker.drain()
    assert [n for n, _ in seen] == [0, 1, 2, 3, 4]
    assert {name for _, name in seen} == {"after-commit"}


def test_a_keyed_job_already_queued_is_not_queued_again(worker):
    gate = threading.Event()
    runs = []
    worker.submit(gate.wait)  # hold the thread so the next jobs wait in the queue
    for _ in range(10):
        worker.submit(lambda: runs.append(1), key="same")
    gate.set()
    worker.drain()
    assert runs == [1]
    worker.submit(lambda: runs.append(2), key="same")  # not queued any more: runs again
    worker.drain()
    assert runs == [1, 2]


def test_a_failing_job_is_logged_and_the_worker_goes_on(worker, caplog):
    after = []
    worker.submit(lambda: 1 / 0)
    worker.submit(lambda: after.append(True))
    worker.drain()
    assert after == [True] and "提交后任务失败" in caplog.text


def test_inline_mode_runs_at_once(settings):
    settings.ONETHING = {**settings.ONETHING, "AFTER_COMMIT": "inline"}
    seen = []
    background.after_commit(lambda: seen.append(threading.current_thread().name))
    assert seen == [threading.current_thread().name]


@pytest.mark.django_db(transaction=True)
def test_audit_records_are_linked_by_the_worker(worker, make_user):
    """A burst of commits is linked off the request, in few runs, into one valid chain."""
    from onething.notifications.models import Notification
    from onething.notifications.service import notify

    person = make_user("bg-person")
    gate = threading.Event()
    worker.submit(gate.wait)  # the first commits find the worker busy: they must not link inline
    with transaction.atomic():
        log.record("accept", "case", "B-0")
        notify(person, "e", "第一条")
    assert AuditRecord.objects.get().sequence is None  # not linked by the committing thread
    # the inbox is written in the transaction itself: durable with the commit, no worker needed
    assert Notification.objects.filter(recipient=person).count() == 1
    for k in range(1, 20):
        with transaction.atomic():
            log.record("accept", "case", f"B-{k}")
            notify(person, "e", f"第{k + 1}条")
    gate.set()
    worker.drain()
    assert list(AuditRecord.objects.order_by("sequence").values_list("object_id", flat=True)) == [
        f"B-{k}" for k in range(20)
    ]
    assert log.verify_chain() is None
    titles = list(
        Notification.objects.filter(recipient=person).order_by("id").values_list("title", flat=True)
    )
    assert titles == ["第一条"] + [f"第{k + 1}条" for k in range(1, 20)]
    assert worker.done == 2  # the gate and one (coalesced) linking run; the inbox needed none


def test_a_key_runs_at_most_every_interval(worker):
    import time

    runs = []
    for _ in range(3):
        worker.submit(lambda: runs.append(time.monotonic()), key="paced", every=0.2)
        worker.drain()
    assert len(runs) == 3
    assert all(b - a >= 0.19 for a, b in itertools.pairwise(runs))


@pytest.mark.django_db(transaction=True)
def test_groups_are_told_in_the_committing_transaction(worker, make_user):
    """A group's inbox rows are written by the change's transaction (resolved then), not by
    the worker: they exist before the worker runs at all."""
    from django.contrib.auth import get_user_model

    from onething.notifications.models import Notification
    from onething.notifications.service import notify_group

    people = [make_user(f"grp-{n}") for n in range(3)]
    group = get_user_model().objects.filter(username__startswith="grp-")
    gate = threading.Event()
    worker.submit(gate.wait)  # the worker is busy throughout the commits
    for k in range(5):
        with transaction.atomic():
            notify_group(group, "e", f"第{k}次", key=("grp",))
    assert Notification.objects.filter(recipient__in=people).count() == 15
    assert set(Notification.objects.values_list("title", flat=True)) == {f"第{k}次" for k in range(5)}
    gate.set()
    worker.drain()
    assert worker.done == 1  # only the gate: nothing was left for after the commit


def test_queued_work_is_finished_when_a_short_lived_process_exits(tmp_path):
    """A management command exits right after its change: the exit hook delivers what is
    queued instead of dropping it with the daemon thread."""
    import subprocess
    import sys

    marker = tmp_path / "done"
    script = (
        "import django, os, time\n"
        "os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'onething.conf.settings')\n"
        "django.setup()\n"
        "from onething.core.background import worker\n"
        "worker.submit(lambda: time.sleep(0.3), key='slow', every=0)\n"
        f"worker.submit(lambda: open({str(marker)!r}, 'w').write('ok'))\n"
    )
    env = {k: v for k, v in __import__("os").environ.items() if k != "DATABASE_URL"}
    env["ONETHING_VAR_DIR"] = str(tmp_path)
    subprocess.run([sys.executable, "-c", script], check=True, env=env, timeout=60)
    assert marker.read_text() == "ok"
