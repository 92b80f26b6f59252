"""Connections under a threaded server stay bounded (PostgreSQL).

``make run`` serves with Django's threaded server: every request runs in a thread of its own.
With persistent per-thread connections, each finished thread left its connection open, so
PostgreSQL's slots ran out after a few bursts ("too many clients", 500s). The process now
borrows connections from Django's psycopg pool. This test starts the real server on its own
database and sends bursts of concurrent requests — more at once than the server's
``max_connections`` — and expects no 5xx and a connection count bounded by the pool.
"""

from __future__ import annotations

import subprocess
import threading
import urllib.error
import urllib.request
import uuid
from collections import Counter

import pytest
from django.conf import settings
from django.db import connection

from onething.cases.tests import liveserver

pytestmark = [pytest.mark.slow, pytest.mark.postgres]
POOL_MAX = 8
BURSTS = (30, 30, 30, 150)


def _admin_url() -> str:
    db = settings.DATABASES["default"]
    host, port, user = db.get("HOST") or "127.0.0.1", db.get("PORT") or 5432, db.get("USER") or "postgres"
    return f"postgres://{user}@{host}:{port}"


def _sql(statement: str, *params):
    import psycopg

    with psycopg.connect(f"{_admin_url()}/postgres", autocommit=True) as conn:
        cursor = conn.execute(statement, params)
        return cursor.fetchall() if cursor.description else None


def _get(url: str, results: Counter, start: threading.Barrier) -> None:
    start.wait()
    try:
        # generous: under CPU contention (another test on the other worker) the server
        # accepts slowly; its listen backlog (core's runserver: 1024, Django's own is 10)
        # keeps a 150-request burst queued instead of dropping SYNs for minutes
        with urllib.request.urlopen(url, timeout=180) as response:
            results[response.status] += 1
    except urllib.error.HTTPError as exc:
        results[exc.code] += 1
    except OSError as exc:  # refused / reset: the server could not take it
        results[type(exc).__name__] += 1


@pytest.fixture
def database():
    if connection.vendor != "postgresql":
        pytest.skip("连接池测试需要 PostgreSQL（DATABASE_URL）")
    name = f"onething_pool_{uuid.uuid4().hex[:10]}"
    _sql(f'CREATE DATABASE "{name}"')
    yield name
    _sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_threaded_server_keeps_connections_bounded(tmp_path, database):
    env = liveserver.environment(
        tmp_path,
        f"{_admin_url()}/{database}",
        ONETHING_DB_POOL_MAX=str(POOL_MAX),
        ONETHING_AFTER_COMMIT="inline",
    )
    try:
        liveserver.manage(env, "migrate", "-v0")
    except subprocess.CalledProcessError as exc:
        raise AssertionError(exc.stderr[:3000])
    port = liveserver.free_port()
    proc = subprocess.Popen(
        [str(liveserver.VENV_BIN / "onething"), "runserver", f"127.0.0.1:{port}", "--noreload"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        liveserver.wait_healthy(proc, port)
        url = f"http://127.0.0.1:{port}/api/v1/calendar/is-workday?date=2026-12-01"
        results: Counter = Counter()
        peak = 0
        for size in BURSTS:
            start = threading.Barrier(size)
            threads = [threading.Thread(target=_get, args=(url, results, start)) for _ in range(size)]
            for t in threads:
                t.start()
            for t in threads:
                t.join(timeout=240)
            (open_now,) = _sql("SELECT count(*) FROM pg_stat_activity WHERE datname = %s", database)[0]
            peak = max(peak, open_now)
        assert results == Counter({200: sum(BURSTS)}), results
        assert peak <= POOL_MAX, f"{peak} connections open, pool of {POOL_MAX}"
    finally:
        liveserver.stop(proc)
