"""Where delivery runs: SMS and email in the huey consumer — never in the request thread, never
on the after-commit worker that links the audit chain — and, on PostgreSQL, consumers that
claim at the same time take disjoint rows without waiting for each other."""

from __future__ import annotations

import threading

import pytest
from django.db import connection, transaction
from huey.contrib.djhuey import HUEY
from huey.storage import MemoryStorage

from onething.core import background
from onething.core.background import Worker
from onething.notifications import delivery, registry, service
from onething.notifications.models import OutboxMessage
from onething.notifications.registry import Message

pytestmark = pytest.mark.django_db(transaction=True)


class ThreadRecorder(registry.Backend):
    threads: list[str] = []

    def send(self, message: Message) -> None:
        ThreadRecorder.threads.append(threading.current_thread().name)


@pytest.fixture
def worker(settings, monkeypatch):
    """Background mode with a fresh after-commit worker (stopped at the end, closing its
    database connection before the test database is dropped)."""
    settings.ONETHING = {**settings.ONETHING, "AFTER_COMMIT": "background"}
    fresh = Worker()
    monkeypatch.setattr(background, "worker", fresh)
    yield fresh
    fresh.stop()


@pytest.fixture
def queue(monkeypatch):
    """huey as on a server (not immediate), its queue in memory: tasks wait for a consumer."""
    monkeypatch.setattr(HUEY, "storage", MemoryStorage(HUEY.name))
    assert not HUEY.immediate
    return HUEY


@pytest.fixture
def recorder(channels):
    registry.register("thread-recorder")(ThreadRecorder)
    ThreadRecorder.threads = []
    channels(["inbox", "thread-recorder"], {"case.done": ["thread-recorder"]})
    yield ThreadRecorder
    registry._BACKENDS.pop("thread-recorder", None)


def _consume(huey) -> None:
    """What ``run_huey`` does with each task, in a thread of its own."""

    def run():
        try:
            while (task := huey.dequeue()) is not None:
                huey.execute(task)
        finally:
            connection.close()

    consumer = threading.Thread(target=run, name="huey-consumer")
    consumer.start()
    consumer.join(30)


def test_channels_send_in_the_consumer_only(person, recorder, worker, queue):
    with transaction.atomic():
        service.notify(person, "case.done", "您的申请已办结")
    worker.drain()  # the kick has run on the after-commit thread (the audit linker's) …
    assert recorder.threads == []  # … and sent nothing there
    assert OutboxMessage.objects.get().status == OutboxMessage.Status.PENDING
    assert queue.pending_count() == 1  # the delivery task waits for the consumer
    _consume(queue)
    assert recorder.threads == ["huey-consumer"]
    assert OutboxMessage.objects.get().status == OutboxMessage.Status.SENT


def test_a_burst_of_commits_enqueues_few_delivery_tasks(person, recorder, worker, queue):
    gate = threading.Event()
    worker.submit(gate.wait)  # the commits find the worker busy: their kicks coalesce
    for n in range(10):
        with transaction.atomic():
            service.notify(person, "case.done", f"第{n}条")
    gate.set()
    worker.drain()
    assert queue.pending_count() == 1
    _consume(queue)
    assert OutboxMessage.objects.filter(status=OutboxMessage.Status.SENT).count() == 10
    assert recorder.threads == ["huey-consumer"] * 10


def test_concurrent_claims_take_disjoint_rows_without_waiting(person, recorder, queue):
    if not connection.features.has_select_for_update_skip_locked:
        pytest.skip("SKIP LOCKED 仅在 PostgreSQL 上测试（SQLite 的写事务本身互斥）")
    for n in range(4):
        service.notify(person, "case.done", f"第{n}条")
    ids = sorted(OutboxMessage.objects.values_list("pk", flat=True))
    locked, release = threading.Event(), threading.Event()

    def other_consumer():
        try:
            with transaction.atomic():
                list(OutboxMessage.objects.select_for_update().filter(pk__in=ids[:2]))
                locked.set()
                release.wait(30)
        finally:
            connection.close()

    holder = threading.Thread(target=other_consumer)
    holder.start()
    try:
        assert locked.wait(30)
        with connection.cursor() as cursor:
            cursor.execute("SET lock_timeout = '2s'")  # a wait would fail the test, not hang it
        claimed = delivery.claim(delivery.timezone.now())
        assert sorted(r.pk for r in claimed) == ids[2:]
    finally:
        release.set()
        holder.join(30)
        with connection.cursor() as cursor:
            cursor.execute("SET lock_timeout = 0")
