"""Crash safety: SIGKILL the real server in the middle of a burst of idempotent submissions,
restart it, resend every key, and check that nothing is half written and nothing doubled."""

from __future__ import annotations

import json
import sqlite3
import threading
import time
import urllib.error
import urllib.request
from collections import Counter

import pytest

from onething.cases.tests import liveserver
from onething.cases.tests.conftest import ANSWERS, BUNDLE, FORM

pytestmark = pytest.mark.slow
KEYS = 120
MEMBERS = 3  # 新生儿出生 with ANSWERS: three sub-cases


def _body() -> bytes:
    asked = {
        "child.name", "child.birth_date", "child.gender", "mother.name", "mother.id_number", "father.name",
        "father.id_number", "applicant.phone", "applicant.address", "bank.account",
    }  # fmt: skip
    form = {f"{g}.{k}": v for g, fields in FORM.items() for k, v in fields.items() if f"{g}.{k}" in asked}
    return json.dumps({"bundle": BUNDLE, "answers": ANSWERS, "form": form}).encode()


def _post(port: int, token: str, key: str) -> tuple[int, str | None]:
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/api/v1/applications",
        data=_body(),
        headers={
            "Authorization": f"Bearer {token}",
            "Idempotency-Key": key,
            "Content-Type": "application/json",
        },
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as r:
            return r.status, json.loads(r.read())["number"]
    except urllib.error.HTTPError as exc:
        return exc.code, None
    except OSError:  # connection reset / refused: the server died under us
        return 0, None


def test_sigkill_mid_burst_leaves_no_half_written_or_duplicate_application(tmp_path):
    env = liveserver.environment(tmp_path)
    token = liveserver.prepare(env)
    port = liveserver.free_port()
    server = liveserver.start(env, port, workers=2, threads=4, log=tmp_path / "server.log")
    keys = [f"crash-{n:04d}" for n in range(KEYS)]
    first: dict[str, tuple[int, str | None]] = {}
    lock = threading.Lock()
    pending = iter(keys)

    def worker():
        while True:
            with lock:
                key = next(pending, None)
            if key is None:
                return
            result = _post(port, token, key)
            with lock:
                first[key] = result

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for t in threads:
        t.start()
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:  # kill once a part of the burst went through
        with lock:
            if sum(1 for s, _ in first.values() if s == 201) >= KEYS // 4:
                break
        time.sleep(0.005)
    liveserver.kill(server)
    for t in threads:
        t.join()
    interrupted = sum(1 for s, _ in first.values() if s != 201)
    assert interrupted > 0, "the kill came too late to interrupt anything"

    server = liveserver.start(env, port, workers=2, threads=4, log=tmp_path / "server.log")
    try:
        second = {key: _post(port, token, key) for key in keys}
    finally:
        liveserver.stop(server)

    assert all(status in (200, 201) for status, _ in second.values()), Counter(s for s, _ in second.values())
    for key, (status, number) in first.items():
        if status == 201:  # acknowledged before the crash: the resend returns the same application
            assert second[key] == (200, number)

    db = sqlite3.connect(tmp_path / "server.sqlite3")
    rows = db.execute("SELECT idempotency_key, number, id FROM cases_application").fetchall()
    per_key = Counter(k for k, _, _ in rows)
    assert len(rows) == KEYS and max(per_key.values()) == 1
    assert {k: n for k, n, _ in rows} == {k: n for k, (_, n) in second.items()}
    for _, number, app_id in rows:
        subs = db.execute("SELECT COUNT(*) FROM cases_subcase WHERE application_id = ?", [app_id]).fetchone()[
            0
        ]
        audit = db.execute(
            "SELECT COUNT(*) FROM audit_auditrecord WHERE action = 'application.submit' AND object_id = ?",
            [number],
        ).fetchone()[0]
        assert (subs, audit) == (MEMBERS, 1), number
    assert "审计链完整" in liveserver.manage(env, "verify_audit")
