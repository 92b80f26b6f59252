"""Crash safety of notifications: SIGKILL the huey consumer in the middle of delivering,
commit more transitions while it is down, restart it, and check that every committed
transition's messages were delivered exactly once — none lost, none doubled.

The real server (gunicorn) takes submissions (each notifies the applicant and the window
clerks, ``case.submit``), on SQLite and on PostgreSQL. The channel is ``crashfile``
(``notifications/tests/crash_channel.py``): the idempotent ``file`` channel, slowed after
each write, so the kill lands while claimed rows are in flight — some written to the file
but not yet marked sent. Those are recovered after the claim timeout and sent again; the
channel drops the repeat by message id.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import sqlite3
import subprocess
import time
import urllib.error
import urllib.request
import uuid
from collections import Counter
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from onething.cases.tests import liveserver
from onething.cases.tests.conftest import ANSWERS, BUNDLE, FORM

pytestmark = pytest.mark.slow
BEFORE, WHILE_DOWN = 30, 10  # submissions before the kill, and while the consumer is dead
CLAIM_TIMEOUT = 3  # seconds (production: 600)
DELAY = 0.2  # seconds the channel lingers after each write: nearly every moment is "sent, not marked"


def _body() -> bytes:
    asked = {
        "child.name", "child.birth_date", "child.gender", "mother.name", "mother.id_number", "father.name",
        "father.id_number", "applicant.phone", "applicant.address", "bank.account",
    }  # fmt: skip
    form = {f"{g}.{k}": v for g, fields in FORM.items() for k, v in fields.items() if f"{g}.{k}" in asked}
    return json.dumps({"bundle": BUNDLE, "answers": ANSWERS, "form": form}).encode()


def _submit(port: int, token: str) -> str:
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/api/v1/applications",
        data=_body(),
        headers={
            "Authorization": f"Bearer {token}",
            "Idempotency-Key": uuid.uuid4().hex,
            "Content-Type": "application/json",
        },
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=60) as response:
        assert response.status == 201
        return json.loads(response.read())["number"]


def _admin_url() -> str:
    db = settings.DATABASES["default"]
    host, port, user = db.get("HOST") or "127.0.0.1", db.get("PORT") or 5432, db.get("USER") or "postgres"
    return f"postgres://{user}@{host}:{port}"


@pytest.fixture(params=["sqlite", "postgresql"])
def database(request, tmp_path):
    """(DATABASE_URL for the server, a function running SQL on it)."""
    if request.param == "sqlite":
        path = tmp_path / "server.sqlite3"

        def query(sql: str):
            with contextlib.closing(sqlite3.connect(path, timeout=30)) as db:
                return db.execute(sql).fetchall()

        yield None, query
        return
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL 变体随 PostgreSQL 测试套件运行（DATABASE_URL）")
    import psycopg

    name = f"{os.environ.get('ONETHING_TEST_DB_NAME') or 'onething'}_outbox_crash_{uuid.uuid4().hex[:6]}"
    with psycopg.connect(f"{_admin_url()}/postgres", autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')

    def query(sql: str):
        with psycopg.connect(f"{_admin_url()}/{name}", autocommit=True) as db:
            return db.execute(sql).fetchall()

    yield f"{_admin_url()}/{name}", query
    with psycopg.connect(f"{_admin_url()}/postgres", autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _consumer(env: dict[str, str], log: Path) -> subprocess.Popen:
    handle = open(log, "ab")  # noqa: SIM115 - closed by the OS with the consumer
    return subprocess.Popen(
        [str(liveserver.VENV_BIN / "onething"), "run_huey", "--workers", "2"],
        env=env,
        stdout=handle,
        stderr=handle,
        start_new_session=True,  # its own process group: the kill takes all of it
    )


def _lines(path: Path) -> list[str]:
    return path.read_text().splitlines() if path.exists() else []


def _wait(condition, seconds: float, what: str, every: float = 0.05) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"超时：{what}")
        time.sleep(every)


def test_sigkill_of_the_consumer_loses_and_doubles_no_message(tmp_path, database):
    database_url, query = database
    delivered, attempts = tmp_path / "delivered.jsonl", tmp_path / "attempts.log"
    env = liveserver.environment(
        tmp_path,
        database_url,
        ONETHING_NOTIFY="inbox,crashfile",
        ONETHING_NOTIFY_MODULES="onething.notifications.tests.crash_channel",
        ONETHING_NOTIFY_FILE=str(delivered),
        ONETHING_NOTIFY_CLAIM_TIMEOUT=str(CLAIM_TIMEOUT),
        CRASH_CHANNEL_ATTEMPTS=str(attempts),
        CRASH_CHANNEL_DELAY=str(DELAY),
    )
    token = liveserver.prepare(env)
    liveserver.manage(
        env,
        "shell",
        "-c",
        "from onething.notifications.models import EventChannel; "
        "EventChannel.objects.update_or_create(event='case.submit', defaults={'channels': ['crashfile']})",
    )
    port = liveserver.free_port()
    server = liveserver.start(env, port, workers=2, threads=4, log=tmp_path / "server.log")
    consumer = None
    try:
        # committed while no consumer runs: every message waits in the outbox
        numbers = [_submit(port, token) for _ in range(BEFORE)]
        expected_before = query("SELECT COUNT(*) FROM notifications_outboxmessage")[0][0]
        assert expected_before >= 2 * BEFORE  # the applicant and at least one clerk each

        consumer = _consumer(env, tmp_path / "consumer.log")
        _wait(lambda: len(_lines(delivered)) >= expected_before // 4, 120, "消费者开始投递", every=0.005)
        os.killpg(consumer.pid, signal.SIGKILL)
        consumer.wait(30)
        at_kill = dict(query("SELECT status, COUNT(*) FROM notifications_outboxmessage GROUP BY status"))
        assert at_kill.get("sending", 0) > 0, f"the kill came too late to interrupt a claim: {at_kill}"
        assert len(_lines(delivered)) < expected_before, "the kill came too late: everything was delivered"

        # committed while the consumer is dead
        numbers += [_submit(port, token) for _ in range(WHILE_DOWN)]

        consumer = _consumer(env, tmp_path / "consumer.log")
        time.sleep(CLAIM_TIMEOUT + 1)  # the dead consumer's claims are now stale …
        numbers.append(_submit(port, token))  # … and the next delivery run recovers them

        def all_sent() -> bool:
            return query("SELECT COUNT(*) FROM notifications_outboxmessage WHERE status <> 'sent'")[0][0] == 0

        _wait(all_sent, 120, "全部消息投递完毕")
    finally:
        if consumer is not None and consumer.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(consumer.pid, signal.SIGTERM)
            try:
                consumer.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(consumer.pid, signal.SIGKILL)
        liveserver.stop(server)

    outbox = query("SELECT id, recipient_id, title FROM notifications_outboxmessage")
    inbox = query("SELECT recipient_id, title FROM notifications_notification WHERE event = 'case.submit'")
    # one outbox row for every inbox message of every committed transition
    assert Counter((r, t) for _, r, t in outbox) == Counter(inbox)
    assert all(any(number in title for _, _, title in outbox) for number in numbers)

    lines = [json.loads(line) for line in _lines(delivered)]
    per_id = Counter(line["id"] for line in lines)
    assert set(per_id) == {row_id for row_id, _, _ in outbox}  # none lost
    assert max(per_id.values()) == 1, [i for i, n in per_id.items() if n > 1]  # none delivered twice
    assert {(line["recipient"], line["title"]) for line in lines} == {(r, t) for _, r, t in outbox}

    tried = Counter(int(line) for line in _lines(attempts))
    assert set(tried) == set(per_id)
    resent = sum(n - 1 for n in tried.values())
    assert resent >= 1, "no message was in flight at the kill: the crash window was not exercised"
    print(f"outbox crash: {len(outbox)} messages, {resent} sent again after the kill, each delivered once")
