"""Sharing gateway throughput: ``POST /api/v1/sharing/query`` side by side with a minimal
authenticated read of the same approval, through the real HTTP server.

    .venv/bin/python bench/sharing_gateway.py --workers 2 --threads 4 --clients 16 --seconds 10 --rounds 3

gunicorn (``-k gthread``, loopback) on its own PostgreSQL database ``bench_sharing`` (dropped
and recreated) with the demo loaded. Both sides use a bearer token of ``shenpi_weijian`` (卫健)
and the demo's approved request of 卫健 for ``SCJG-QYDJ-001`` (企业登记信息, ``enterprises``
provider: the platform's own enterprise register, so no department system is in the path):

- **gateway**: ``POST /api/v1/sharing/query`` for 91430600MA4L00001C under the approved purpose —
  token check, request and resource read, the rules, the provider's read, the projection and
  one INSERT of the hash-chained call record (linked after the commit);
- **baseline**: ``GET /api/v1/sharing/requests/{id}`` of the same request — the same token
  check and the same row read, no rules, no provider, no write. (There is no lighter
  authenticated endpoint that reads that row.)

The sides alternate, ``--rounds`` times, ``--seconds`` each, with ``wrk`` (C; its share of the
two cores is measured and small) or ``--load python`` (threads with ``http.client``). CPU per
call from /proc: the gunicorn process group and every ``postgres`` process, before/after each
run. Prints a JSON summary: calls/s, p50/p99, CPU ms per call, per round and the medians,
and the ratio gateway/baseline.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import psycopg

from intake_throughput import cpu_seconds, percentile
from onething.cases.tests import liveserver

PG = "postgres://postgres@127.0.0.1:5432"
DB = "bench_sharing"
CALLER = "shenpi_weijian"
RESOURCE = "SCJG-QYDJ-001"
DEPARTMENT = "11430600MB06000535"  # 卫健
SUBJECT = "91430600MA4L00001C"

WRK_SCRIPT = r"""
-- one request (method, body, bearer token from the arguments), status counts, JSON summary
local threads = {}
function setup(thread) table.insert(threads, thread) end
function init(args)
  wrk.method = args[1]
  wrk.headers["Authorization"] = "Bearer " .. args[2]
  if args[3] and args[3] ~= "" then
    local file = assert(io.open(args[3], "rb"))
    wrk.body = file:read("*a")
    file:close()
    wrk.headers["Content-Type"] = "application/json"
  end
  statuses = {}
end
function response(status, headers, body) statuses[status] = (statuses[status] or 0) + 1 end
function done(summary, latency, requests)
  local counts = {}
  for _, thread in ipairs(threads) do
    for status, n in pairs(thread:get("statuses")) do counts[status] = (counts[status] or 0) + n end
  end
  local parts = {}
  for status, n in pairs(counts) do table.insert(parts, string.format('"%d": %d', status, n)) end
  io.write(string.format(
    'WRK-JSON {"requests": %d, "seconds": %.3f, "p50_us": %d, "p99_us": %d, "errors": %d, "statuses": {%s}}\n',
    summary.requests, summary.duration / 1e6, latency:percentile(50), latency:percentile(99),
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    table.concat(parts, ", ")))
end
"""


def recreate_database() -> None:
    with psycopg.connect(f"{PG}/postgres", autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {DB} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {DB}")


def prepare(env) -> tuple[str, int, str]:
    """Migrate, load the demo; a token of the caller, the approved request and its purpose."""
    liveserver.manage(env, "migrate", "-v0")
    liveserver.manage(env, "load_demo")
    token = liveserver.manage(env, "token", "create", CALLER).strip().splitlines()[-1]
    with psycopg.connect(f"{PG}/{DB}") as conn:
        row = conn.execute(
            "SELECT r.id, r.purpose FROM sharing_request r JOIN sharing_resource s ON s.id = r.resource_id "
            "WHERE s.code = %s AND r.department_id = %s AND r.status = 'approved' ORDER BY r.id LIMIT 1",
            [RESOURCE, DEPARTMENT],
        ).fetchone()
    if row is None:
        raise SystemExit(f"演示数据中没有 {DEPARTMENT} 对 {RESOURCE} 的已批准申请")
    return token, row[0], row[1]


#: in-process breakdown of one gateway call (``--profile N``): each part N times, CPU of this
#: thread per call (``time.thread_time``), on the bench database; printed as JSON
PROFILE = r"""
import json, time
from django.db import connection
from django.test import Client
from django.utils import timezone
from onething.accounts.models import ApiToken
from onething.sharing import access, calllog, gateway, providers, rules
from onething.sharing.models import Call

N, TOKEN, REQUEST, SUBJECT, PURPOSE = {n}, {token!r}, {request}, {subject!r}, {purpose!r}
user = ApiToken.authenticate(TOKEN)
user.service_scope = None
request = gateway._load(REQUEST)
resource = request.resource

def per_call(fn):
    fn()
    start = time.thread_time()
    for _ in range(N):
        fn()
    return round((time.thread_time() - start) / N * 1000, 3)

def sample_call():
    return Call(at=timezone.now(), request=request, resource_code=resource.code, caller=user,
                caller_label="x", department_code=request.department_id, purpose=PURPOSE,
                legal_basis=request.legal_basis[:500], fields=list(request.fields),
                subject_key=calllog.subject_key(SUBJECT), subject_masked=SUBJECT, rows=1,
                latency_ms=1, outcome="allowed", reason="")

def counted(fn):
    from django.test.utils import CaptureQueriesContext
    with CaptureQueriesContext(connection) as q:
        fn()
    return len(q.captured_queries)

client = Client()
headers = {{"HTTP_AUTHORIZATION": "Bearer " + TOKEN}}
body = json.dumps({{"request": REQUEST, "subject": SUBJECT, "purpose": PURPOSE}})
http_query = lambda: client.post("/api/v1/sharing/query", body, content_type="application/json", **headers)
http_read = lambda: client.get(f"/api/v1/sharing/requests/{{REQUEST}}", **headers)
parts = {{
    "http: POST /sharing/query (Django test client, whole request)": http_query,
    "http: GET /sharing/requests/id (whole request)": http_read,
    "gateway.query": lambda: gateway.query(user, REQUEST, SUBJECT, PURPOSE),
    "ApiToken.authenticate": lambda: ApiToken.authenticate(TOKEN),
    "gateway._load (request + resource)": lambda: gateway._load(REQUEST),
    "access.may_call (roles)": lambda: access.may_call(user, request),
    "rules.validate_subject + check_query": lambda: (rules.validate_subject(resource.subject_kind, SUBJECT),
        rules.check_query(status=request.status, today=timezone.localdate(), valid_from=request.valid_from,
            valid_until=request.valid_until, sharing_class=resource.sharing_class,
            approved_purpose=request.purpose, purpose=PURPOSE, approved_fields=request.fields,
            asked_fields=None)),
    "provider fetch (enterprises)": lambda: providers.get(resource.backend).fetch(resource, SUBJECT, request.fields),
    "calllog.subject_key (HMAC)": lambda: calllog.subject_key(SUBJECT),
    "Call(...) + calllog.write (INSERT, on_commit link)": lambda: calllog.write(sample_call()),
    "GET requests/id: sharing_requests.get_visible + as_dict": None,
}}
from onething.sharing import requests as sharing_requests
parts["GET requests/id: sharing_requests.get_visible + as_dict"] = lambda: sharing_requests.as_dict(
    sharing_requests.get_visible(user, REQUEST), user)
out = {{}}
for name, fn in parts.items():
    out[name] = {{"cpu_ms": per_call(fn), "queries": counted(fn)}}
print("PROFILE-JSON " + json.dumps(out, ensure_ascii=False))
"""


def profile(env, token: str, request_id: int, purpose: str, n: int) -> dict:
    code = PROFILE.format(n=n, token=token, request=request_id, subject=SUBJECT, purpose=purpose)
    out = liveserver.manage(env, "shell", "-c", code)
    line = next(x for x in out.splitlines() if x.startswith("PROFILE-JSON "))
    return json.loads(line.removeprefix("PROFILE-JSON "))


def python_load(port, method, path, token, body, expect, clients, seconds) -> dict:
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    lock = threading.Lock()
    stop_at = time.monotonic() + seconds
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}

    def client():
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        local, codes = [], {}
        while time.monotonic() < stop_at:
            start = time.perf_counter()
            try:
                conn.request(method, path, body, headers)
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
    return {
        "ok": statuses.get(expect, 0),
        "statuses": {str(k): v for k, v in statuses.items()},
        "seconds": elapsed,
        "p50_ms": percentile(latencies, 0.5) * 1000,
        "p99_ms": percentile(latencies, 0.99) * 1000,
    }


def wrk_load(port, method, path, token, body, expect, clients, seconds, workdir: Path) -> dict:
    script = workdir / "sharing_wrk.lua"
    script.write_text(WRK_SCRIPT)
    body_file = ""
    if body:
        body_file = str(workdir / "body.json")
        Path(body_file).write_bytes(body)
    out = subprocess.run(
        [
            "wrk",
            "-t2",
            f"-c{clients}",
            f"-d{int(seconds)}s",
            "--timeout",
            "30s",
            "-s",
            str(script),
            f"http://127.0.0.1:{port}{path}",
            "--",
            method,
            token,
            body_file,
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    data = json.loads(
        next(x for x in out.splitlines() if x.startswith("WRK-JSON ")).removeprefix("WRK-JSON ")
    )
    return {
        "ok": data["statuses"].get(str(expect), 0),
        "statuses": data["statuses"],
        "errors": data["errors"],
        "seconds": data["seconds"],
        "p50_ms": data["p50_us"] / 1000,
        "p99_ms": data["p99_us"] / 1000,
    }


def measure(server, load, *, port, method, path, token, body, expect, clients, seconds, workdir) -> dict:
    before, load_before = cpu_seconds(server.pid), os.times()
    if load == "wrk":
        result = wrk_load(port, method, path, token, body, expect, clients, seconds, workdir)
        load_cpu = lambda a, b: a.children_user + a.children_system - b.children_user - b.children_system  # noqa: E731
    else:
        result = python_load(port, method, path, token, body, expect, clients, seconds)
        load_cpu = lambda a, b: a.user + a.system - b.user - b.system  # noqa: E731
    after, load_after = cpu_seconds(server.pid), os.times()
    done = max(result["ok"], 1)
    return {
        "calls": result["ok"],
        "statuses": result["statuses"],
        "per_second": round(result["ok"] / result["seconds"], 1),
        "p50_ms": round(result["p50_ms"], 1),
        "p99_ms": round(result["p99_ms"], 1),
        "cpu_ms_per_call": {
            "server": round((after["server"] - before["server"]) / done * 1000, 2),
            "postgres": round((after["postgres"] - before["postgres"]) / done * 1000, 2),
            "load_generator": round(load_cpu(load_after, load_before) / done * 1000, 2),
        },
    }


def median_of(runs: list[dict]) -> dict:
    return {
        "per_second": round(statistics.median(r["per_second"] for r in runs), 1),
        "p50_ms": round(statistics.median(r["p50_ms"] for r in runs), 1),
        "p99_ms": round(statistics.median(r["p99_ms"] for r in runs), 1),
        "cpu_ms_per_call": {
            k: round(statistics.median(r["cpu_ms_per_call"][k] for r in runs), 2)
            for k in ("server", "postgres", "load_generator")
        },
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument(
        "--load",
        choices=["wrk", "python"],
        default="wrk" if shutil.which("wrk") else "python",
        help="HTTP load generator: wrk (default when installed) or Python threads",
    )
    parser.add_argument(
        "--profile",
        type=int,
        default=0,
        metavar="N",
        help="also time each part of the call in process, N times",
    )
    args = parser.parse_args()

    recreate_database()
    var_dir = Path(tempfile.mkdtemp(prefix="bench-sharing-"))
    env = liveserver.environment(var_dir, f"{PG}/{DB}", ONETHING_DB_CONN_MAX_AGE="600")
    token, request_id, purpose = prepare(env)
    query = json.dumps(
        {"request": request_id, "subject": SUBJECT, "purpose": purpose}, ensure_ascii=False
    ).encode()
    sides = {
        "gateway": {"method": "POST", "path": "/api/v1/sharing/query", "body": query, "expect": 200},
        "baseline": {
            "method": "GET",
            "path": f"/api/v1/sharing/requests/{request_id}",
            "body": b"",
            "expect": 200,
        },
    }
    port = liveserver.free_port()
    server = liveserver.start(
        env, port, workers=args.workers, threads=args.threads, log=var_dir / "server.log"
    )
    runs: dict[str, list[dict]] = {"gateway": [], "baseline": []}
    common = {"port": port, "token": token, "clients": args.clients, "workdir": var_dir}
    try:
        for side in sides.values():  # warm-up: imports, connections, caches
            measure(server, args.load, **common, **{**side, "seconds": 2})
        for _ in range(args.rounds):
            for name, side in sides.items():
                runs[name].append(measure(server, args.load, **common, **side, seconds=args.seconds))
    finally:
        liveserver.stop(server)
    with psycopg.connect(f"{PG}/{DB}") as conn:
        logged = dict(conn.execute("SELECT outcome, COUNT(*) FROM sharing_call GROUP BY outcome").fetchall())
    gateway, baseline = median_of(runs["gateway"]), median_of(runs["baseline"])
    result = {
        "server": f"gunicorn -w {args.workers} -k gthread --threads {args.threads}",
        "load": args.load,
        "clients": args.clients,
        "seconds_per_run": args.seconds,
        "rounds": args.rounds,
        "request": request_id,
        "gateway": gateway,
        "baseline": baseline,
        "ratio": round(gateway["per_second"] / max(baseline["per_second"], 0.1), 3),
        "ratio_per_round": [
            round(g["per_second"] / max(b["per_second"], 0.1), 3)
            for g, b in zip(runs["gateway"], runs["baseline"], strict=True)
        ],
        "runs": runs,
        "calls_logged": logged,
        "machine": {"nproc": os.cpu_count(), "loadavg": os.getloadavg()},
    }
    if args.profile:
        result["profile"] = profile(env, token, request_id, purpose, args.profile)
    print(json.dumps(result, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
