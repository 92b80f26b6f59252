"""Intake throughput: concurrent POSTs of a 6-member bundle through the real HTTP server,
side by side with a bare psycopg baseline that inserts the same rows, one transaction per
application.

    .venv/bin/python bench/intake_throughput.py --workers 4 --threads 8 --clients 32 --seconds 20

Uses its own PostgreSQL database ``bench_cases`` (dropped and recreated). Prints a JSON
summary (applications/s, p50/p99 latency, the ratio HTTP/baseline).
"""

from __future__ import annotations

import argparse
import hashlib
import http.client
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

import psycopg
from psycopg.types.json import Jsonb

from onething.cases.tests import liveserver

PG = "postgres://postgres@127.0.0.1:5432"
DB = "bench_cases"
BUNDLE = "430600-YJS-KBYSQY"  # 开办运输企业一件事: 6 members with these answers
ANSWERS = {"transport_type": "普通货运", "drivers_qualified": False, "has_employees": True}
SAMPLES = {
    "string": "测试",
    "text": "道路普通货物运输",
    "address": "岳阳市岳阳楼区洞庭路1号",
    "integer": 3,
    "decimal": "100.5",
    "boolean": True,
    "date": "2026-11-01",
    "id_number": "430602199001011235",
    "uscc": "91430600MA4L00001C",
    "phone": "13800000001",
    "email": "a@example.cn",
}


def recreate_database() -> None:
    with psycopg.connect(f"{PG}/postgres", autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {DB} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {DB}")


def body(env) -> bytes:
    plan = json.loads(
        liveserver.manage(
            env,
            "shell",
            "-c",
            "import json; from onething.cases import intake; "
            f"p = intake.load_plan('bundle', {BUNDLE!r}, {ANSWERS!r}); "
            "print(json.dumps([f.as_dict() for f in p.form]))",
        )
        .strip()
        .splitlines()[-1]
    )
    form = {
        f["element"]: (f["choices"][0] if f["type"] == "choice" else SAMPLES.get(f["type"], "测试"))
        for f in plan
    }
    return json.dumps({"bundle": BUNDLE, "answers": ANSWERS, "form": form}, ensure_ascii=False).encode()


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else 0.0


def http_load(port: int, token: str, payload: bytes, clients: int, seconds: float) -> dict:
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    lock = threading.Lock()
    stop_at = time.monotonic() + seconds

    def client():
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        local, codes = [], {}
        while time.monotonic() < stop_at:
            headers = {
                "Authorization": f"Bearer {token}",
                "Idempotency-Key": uuid.uuid4().hex,
                "Content-Type": "application/json",
            }
            start = time.perf_counter()
            try:
                conn.request("POST", "/api/v1/applications", payload, headers)
                response = conn.getresponse()
                response.read()
                status = response.status
            except (OSError, http.client.HTTPException):
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
                status = 0
            local.append(time.perf_counter() - start)
            codes[status] = codes.get(status, 0) + 1
        with lock:
            latencies.extend(local)
            for k, v in codes.items():
                statuses[k] = statuses.get(k, 0) + v

    started = time.monotonic()
    threads = [threading.Thread(target=client) for _ in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.monotonic() - started
    ok = statuses.get(201, 0)
    return {
        "applications": ok,
        "statuses": statuses,
        "seconds": round(elapsed, 2),
        "per_second": round(ok / elapsed, 1),
        "p50_ms": round(percentile(latencies, 0.5) * 1000, 1),
        "p99_ms": round(percentile(latencies, 0.99) * 1000, 1),
    }


def cpu_seconds(server_group: int) -> dict[str, float]:
    """CPU seconds used so far by the server's processes (its process group) and by
    PostgreSQL (every ``postgres`` process), from /proc: where the two cores go."""
    tick = os.sysconf("SC_CLK_TCK")
    used = {"server": 0.0, "postgres": 0.0}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        comm = stat[stat.index("(") + 1 : stat.rindex(")")]
        fields = stat[stat.rindex(")") + 2 :].split()
        seconds = (int(fields[11]) + int(fields[12])) / tick  # utime + stime
        if int(fields[2]) == server_group:
            used["server"] += seconds
        elif comm == "postgres":
            used["postgres"] += seconds
    return used


def wrk_load(
    port: int,
    token: str,
    payload: bytes,
    clients: int,
    seconds: float,
    workdir: Path,
    path: str = "/api/v1/applications",
) -> dict:
    """The same load from ``wrk`` (C, epoll): the load generator then costs the shared 2 cores
    almost nothing, so the figure is the server's, not the Python client's. ``path``: the
    endpoint POSTed to (``bench/hotline.py`` files 12345 tickets with it)."""
    body_file = workdir / "body.json"
    body_file.write_bytes(payload)
    script = Path(__file__).with_name("intake_wrk.lua")
    out = subprocess.run(
        [
            "wrk",
            "-t2",
            f"-c{clients}",
            f"-d{int(seconds)}s",
            "--timeout",
            "60s",
            "-s",
            str(script),
            f"http://127.0.0.1:{port}{path}",
            "--",
            str(body_file),
            token,
            uuid.uuid4().hex,
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    line = next(x for x in out.splitlines() if x.startswith("WRK-JSON "))
    data = json.loads(line.removeprefix("WRK-JSON "))
    ok = data["statuses"].get("201", 0)
    return {
        "applications": ok,
        "statuses": data["statuses"],
        "errors": data["errors"],
        "seconds": round(data["seconds"], 2),
        "per_second": round(ok / data["seconds"], 1),
        "p50_ms": round(data["p50_us"] / 1000, 1),
        "p99_ms": round(data["p99_us"] / 1000, 1),
        "load": "wrk",
    }


def template_rows(dsn: str) -> dict:
    """One application written by the platform, with its rows: the baseline copies them."""
    with psycopg.connect(dsn) as conn:
        conn.row_factory = psycopg.rows.dict_row
        app = conn.execute("SELECT * FROM cases_application ORDER BY id LIMIT 1").fetchone()
        subs = conn.execute("SELECT * FROM cases_subcase WHERE application_id = %s", [app["id"]]).fetchall()
        mats = conn.execute("SELECT * FROM cases_material WHERE application_id = %s", [app["id"]]).fetchall()
        audit = conn.execute(
            "SELECT * FROM audit_auditrecord WHERE action = 'application.submit' AND object_id = %s",
            [app["number"]],
        ).fetchone()
    return {"app": app, "subs": subs, "mats": mats, "audit": audit}


def _insert(conn, table: str, row: dict, returning: bool = False):
    cols = [c for c in row if c != "id"]
    values = [Jsonb(row[c]) if isinstance(row[c], dict | list) else row[c] for c in cols]
    sql = f"INSERT INTO {table} ({', '.join(cols)}) VALUES ({', '.join(['%s'] * len(cols))})"
    if returning:
        sql += " RETURNING id"
    cur = conn.execute(sql, values)
    return cur.fetchone()[0] if returning else None


def baseline_load(dsn: str, rows: dict, clients: int, seconds: float, audit_mode: str = "pending") -> dict:
    """Bare psycopg: the same rows (sequence, application, sub-cases, materials, audit record),
    one transaction per application, no framework. ``audit_mode`` "pending" writes the audit
    record as the platform does now (no chain lock; linking is not counted), "chain" locks
    the chain head until COMMIT as the platform did before."""
    latencies: list[float] = []
    counts = [0]
    lock = threading.Lock()
    stop_at = time.monotonic() + seconds

    def client(n: int):
        conn = psycopg.connect(dsn)
        local = []
        done = 0
        while time.monotonic() < stop_at:
            start = time.perf_counter()
            with conn.transaction():
                seq = conn.execute(
                    "INSERT INTO cases_regiondaysequence (region, day, last) VALUES (%s, %s, 1) "
                    "ON CONFLICT (region, day) DO UPDATE SET last = cases_regiondaysequence.last + 1 RETURNING last",
                    ["999999", "2026-11-21"],
                ).fetchone()[0]
                number = f"999999-20261121-{seq:06d}"
                app = dict(rows["app"], number=number, idempotency_key=uuid.uuid4().hex)
                app_id = _insert(conn, "cases_application", app, returning=True)
                for k, sub in enumerate(rows["subs"], start=1):
                    _insert(
                        conn, "cases_subcase", dict(sub, application_id=app_id, number=f"{number}-{k:02d}")
                    )
                for mat in rows["mats"]:
                    _insert(conn, "cases_material", dict(mat, application_id=app_id))
                if audit_mode == "chain":  # the old platform path: lock the head until COMMIT
                    head = conn.execute(
                        "SELECT last_hash, length FROM audit_chainhead WHERE id = 1 FOR UPDATE"
                    ).fetchone()
                    digest = hashlib.sha256(f"{head[0]}\n{number}".encode()).hexdigest()
                    audit = dict(
                        rows["audit"],
                        sequence=head[1] + 1,
                        object_id=number,
                        previous_hash=head[0],
                        hash=digest,
                    )
                    _insert(conn, "audit_auditrecord", audit)
                    conn.execute(
                        "UPDATE audit_chainhead SET last_hash = %s, length = %s WHERE id = 1",
                        [digest, head[1] + 1],
                    )
                else:  # what the platform writes now: a pending record, linked after commit
                    audit = dict(
                        rows["audit"], sequence=None, object_id=number, previous_hash=None, hash=None
                    )
                    _insert(conn, "audit_auditrecord", audit)
            local.append(time.perf_counter() - start)
            done += 1
        conn.close()
        with lock:
            latencies.extend(local)
            counts[0] += done

    started = time.monotonic()
    threads = [threading.Thread(target=client, args=(n,)) for n in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.monotonic() - started
    return {
        "applications": counts[0],
        "seconds": round(elapsed, 2),
        "per_second": round(counts[0] / elapsed, 1),
        "p50_ms": round(percentile(latencies, 0.5) * 1000, 1),
        "p99_ms": round(percentile(latencies, 0.99) * 1000, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--skip-baseline", action="store_true")
    parser.add_argument(
        "--load",
        choices=["wrk", "python"],
        default="wrk" if shutil.which("wrk") else "python",
        help="HTTP load generator: wrk (default when installed) or Python threads",
    )
    parser.add_argument(
        "--baseline-audit",
        choices=["pending", "chain"],
        default="pending",
        help="baseline audit write: pending record (as the platform now) or locked chain append (before)",
    )
    args = parser.parse_args()

    recreate_database()
    dsn = f"{PG}/{DB}"
    var_dir = Path(tempfile.mkdtemp(prefix="bench-intake-"))
    env = liveserver.environment(var_dir, f"{PG}/{DB}", ONETHING_DB_CONN_MAX_AGE="600")
    token = liveserver.prepare(env)
    payload = body(env)
    port = liveserver.free_port()
    server = liveserver.start(
        env, port, workers=args.workers, threads=args.threads, log=var_dir / "server.log"
    )
    try:
        http_load(port, token, payload, 4, 3)  # warm-up (imports, connections, caches)
        before, load_before = cpu_seconds(server.pid), os.times()
        if args.load == "wrk":
            http = wrk_load(port, token, payload, args.clients, args.seconds, var_dir)
        else:
            http = http_load(port, token, payload, args.clients, args.seconds)
            http["load"] = "python"
        after, load_after = cpu_seconds(server.pid), os.times()
        done = max(http["applications"], 1)
        load_cpu = (
            load_after.children_user
            + load_after.children_system
            - load_before.children_user
            - load_before.children_system
            if args.load == "wrk"
            else load_after.user + load_after.system - load_before.user - load_before.system
        )
        http["cpu_ms_per_application"] = {
            "server": round((after["server"] - before["server"]) / done * 1000, 2),
            "postgres": round((after["postgres"] - before["postgres"]) / done * 1000, 2),
            "load_generator": round(load_cpu / done * 1000, 2),
        }
    finally:
        liveserver.stop(server)
    with psycopg.connect(dsn) as conn:
        members = conn.execute(
            "SELECT COUNT(*) FROM cases_subcase s JOIN cases_application a ON a.id = s.application_id "
            "WHERE a.id = (SELECT MIN(id) FROM cases_application)"
        ).fetchone()[0]
    result = {
        "bundle": BUNDLE,
        "members": members,
        "server": f"gunicorn -w {args.workers} -k gthread --threads {args.threads}",
        "clients": args.clients,
        "http": http,
    }
    if not args.skip_baseline:
        rows = template_rows(dsn)
        result["baseline"] = baseline_load(dsn, rows, args.clients, args.seconds, args.baseline_audit)
        result["baseline"]["audit"] = args.baseline_audit
        result["ratio"] = round(http["per_second"] / result["baseline"]["per_second"], 3)
    result["machine"] = {"nproc": os.cpu_count()}
    print(json.dumps(result, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
