"""Catalog search benchmark: 100,000 implementations, ~50 realistic queries, SQLite and PostgreSQL.

Run (both databases; PostgreSQL at 127.0.0.1:5432, user postgres, trust auth)::

    .venv/bin/python bench/search_bench.py                 # both
    .venv/bin/python bench/search_bench.py --only sqlite   # or --only postgres

For each database the script builds a fresh database (a temporary SQLite file, or the
PostgreSQL database ``bench_search``, dropped and recreated), migrates it, bulk-inserts the
search documents built with the production tokenisation code (``onething.search.documents``)
and then measures, for every query, over ``--rounds`` rounds after one warm-up round:

* **endpoint** — ``GET /api/v1/catalog/search?q=…&limit=20`` through Django's test client
  (URL routing, django-ninja, validation, query parsing, full-text candidates, ranking, JSON);
* **engine** — the function the endpoint calls (``onething.search.engine.search``);
* **page** — ``GET /search/?q=…``, the results page people see (each item once, the person's
  region first, other regions folded, pinyin read, suggestions when nothing matches);
* **bare FTS** — the baseline: the same full-text expression in a bare
  ``SELECT … MATCH … ORDER BY bm25 LIMIT 20`` (SQLite) or
  ``… WHERE tsv @@ q ORDER BY ts_rank DESC LIMIT 20`` (PostgreSQL).

It prints a JSON summary per database and a Markdown table for docs/performance.md.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _common import machine

ROOT = Path(__file__).resolve().parent.parent
PG_ADMIN_URL = "postgres://postgres@127.0.0.1:5432/postgres"
PG_BENCH_DB = "bench_search"

QUERIES = [
    # colloquial
    "生孩子",
    "宝宝出生",
    "上户口",
    "开饭店",
    "開飯館",
    "我想开个饭店需要办什么执照",
    "驾照丢了",
    "驾照",
    "公司不开了",
    "关公司",
    "退休金",
    "老人走了",
    "过户",
    "买房",
    "看病报销",
    "公司改名",
    "结婚",
    "社保卡丢了",
    "提公积金",
    "开店",
    "失业金",
    "办执照",
    "开幼儿园",
    "换身份证",
    # one and two characters
    "税",
    "证",
    "医",
    "社保",
    "户口",
    "护照",
    "低保",
    "注销",
    "变更",
    "许可",
    "登记",
    "公积金",
    # official and long
    "企业设立登记",
    "食品经营许可",
    "出生医学证明办理",
    "不动产转移登记",
    "住房公积金提取（退休）",
    "公众聚集场所投入使用、营业前消防安全检查",
    "城乡居民基本医疗保险参保登记",
    "道路货物运输经营许可",
    "机动车驾驶证补领",
    "职工医保个人账户余额一次性支取（继承）",
    "建设项目环境影响评价审批",
    "个人所得税综合所得汇算清缴",
    "排污许可证核发",
    # with a region filter (query, region)
]
REGION_QUERIES = [("社保", "430621"), ("开饭店", "430600"), ("税", "430721"), ("生孩子", "430000")]


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(p / 100 * len(ordered) + 0.5) - 1))
    return ordered[index]


def summary(samples: list[float]) -> dict:
    return {
        "median_ms": round(statistics.median(samples), 2),
        "p95_ms": round(percentile(samples, 95), 2),
        "max_ms": round(max(samples), 2),
        "samples": len(samples),
    }


# ------------------------------------------------------------------------------- child process


def setup_database(vendor: str) -> str:
    if vendor == "postgres":
        import psycopg

        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {PG_BENCH_DB} WITH (FORCE)")
            conn.execute(f"CREATE DATABASE {PG_BENCH_DB}")
        url = f"postgres://postgres@127.0.0.1:5432/{PG_BENCH_DB}"
        os.environ["DATABASE_URL"] = url
        return url
    os.environ.pop("DATABASE_URL", None)
    var = tempfile.mkdtemp(prefix="bench-search-")
    os.environ["ONETHING_VAR_DIR"] = var
    return f"sqlite:///{var}/onething.sqlite3"


def load(vendor: str) -> dict:
    """Bulk-load regions and 100,000 item + 800 bundle documents; returns load figures."""
    from functools import lru_cache

    from django.db import connection, transaction

    import search_catalog as cat
    from onething.directory.models import Region
    from onething.search import documents, index
    from onething.search.documents import Names, build
    from onething.search.models import SearchDocument, SearchText

    started = time.perf_counter()
    regions = cat.regions()
    Region.objects.bulk_create(
        [
            Region(code=r["code"], name=r["name"], level=r["level"], parent_id=r["parent"], path=r["path"])
            for r in regions
        ]
    )
    counties = [r for r in regions if r["level"] == "county"]
    names = Names(regions={r["code"]: (r["name"], r["path"]) for r in regions})

    # Same tokenisation code as production, memoised: names repeat across the 100 regions.
    original = documents.index_tokens
    tokens = lru_cache(maxsize=None)(lambda texts: original(list(texts)))
    documents.index_tokens = lambda texts: tokens(tuple(texts))

    rows = []
    for county in counties:
        for basic in cat.basic_items():
            code = f"{county['code']}-{basic['basic_code']}-01"
            department = f"{county['code']}{basic['seq']:03d}"
            names.departments[department] = f"{county['name']}{basic['department']}"
            data = {
                "code": code,
                "basic_code": basic["basic_code"],
                "name": basic["name"],
                "department": department,
                "region": county["code"],
                "audience": basic["audience"],
                "themes": basic["themes"],
                "keywords": [],
            }
            rows.append(build("item", data, names, 1))
        for bundle in cat.demo()["bundles"]:
            code = f"{county['code']}-{bundle['code']}"
            names.departments[f"{county['code']}GOV"] = f"{county['name']}人民政府办公室"
            data = {
                **bundle,
                "code": code,
                "region": county["code"],
                "lead_department": f"{county['code']}GOV",
            }
            data["keywords"] = []
            rows.append(build("bundle", data, names, 1))
    built = time.perf_counter()

    with transaction.atomic():
        index.bulk_load(rows)  # the rebuild command's bulk path; FTS kept by trigger / generated column
    with connection.cursor() as cursor:
        if vendor == "sqlite":
            cursor.execute("INSERT INTO search_fts(search_fts) VALUES ('optimize')")
            cursor.execute("ANALYZE")
        else:
            cursor.execute("VACUUM ANALYZE search_searchdocument")
            cursor.execute("VACUUM ANALYZE search_searchtext")
    loaded = time.perf_counter()
    return {
        "documents": SearchDocument.objects.count(),
        "items": SearchDocument.objects.filter(kind="item").count(),
        "distinct_texts": SearchText.objects.count(),
        "build_s": round(built - started, 1),
        "insert_and_index_s": round(loaded - built, 1),
    }


def bare_fts(vendor: str, phrases: list[list[str]]) -> None:
    from django.db import connection

    if vendor == "sqlite":
        from onething.search.backends.sqlite import match_expression

        sql = "SELECT rowid FROM search_fts WHERE search_fts MATCH %s ORDER BY bm25(search_fts) LIMIT 20"
        params = [match_expression(phrases)]
    else:
        from onething.search.backends.postgres import tsquery

        sql = (
            "SELECT id FROM search_searchtext, to_tsquery('simple', %s) q "
            "WHERE tsv @@ q ORDER BY ts_rank(tsv, q) DESC LIMIT 20"
        )
        params = [tsquery(phrases)]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        cursor.fetchall()


def measure(vendor: str, rounds: int) -> dict:
    from django.test import Client

    from onething.search.engine import search
    from onething.search.query import parse
    from onething.search.regions import scope

    client = Client()
    cases = [(q, None) for q in QUERIES] + REGION_QUERIES
    endpoint: list[float] = []
    engine: list[float] = []
    bare: list[float] = []
    page: list[float] = []
    per_query: dict[str, list[float]] = {}
    hits: dict[str, int] = {}
    for round_no in range(rounds + 1):  # round 0 warms caches and is not counted
        for q, region in cases:
            params = {"q": q, "limit": 20, **({"region": region} if region else {})}
            t0 = time.perf_counter()
            response = client.get("/api/v1/catalog/search", params)
            t1 = time.perf_counter()
            assert response.status_code == 200, (q, response.content)
            search(q, scope(region) if region else None, 20)
            t2 = time.perf_counter()
            bare_fts(vendor, parse(q).phrases())
            t3 = time.perf_counter()
            shown = client.get("/search/", params)
            t4 = time.perf_counter()
            assert shown.status_code == 200, (q, shown.status_code)
            if round_no:
                page.append((t4 - t3) * 1000)
                endpoint.append((t1 - t0) * 1000)
                engine.append((t2 - t1) * 1000)
                if region is None:
                    bare.append((t3 - t2) * 1000)
                per_query.setdefault(f"{q}|{region or ''}", []).append((t1 - t0) * 1000)
            else:
                hits[f"{q}|{region or ''}"] = len(response.json()["results"])
    slowest = sorted(((statistics.median(v), k) for k, v in per_query.items()), reverse=True)[:5]
    out = {
        "queries": len(cases),
        "rounds": rounds,
        "endpoint": summary(endpoint),
        "engine": summary(engine),
        "bare_fts": summary(bare),
        "page": summary(page),
        "slowest_queries_median_ms": {k: round(v, 2) for v, k in slowest},
        "queries_without_results": [k for k, n in hits.items() if n == 0],
    }
    out["ratio_median"] = round(out["endpoint"]["median_ms"] / out["bare_fts"]["median_ms"], 1)
    out["ratio_p95"] = round(out["endpoint"]["p95_ms"] / out["bare_fts"]["p95_ms"], 1)
    return out


def versions(vendor: str) -> str:
    from django.db import connection

    with connection.cursor() as cursor:
        if vendor == "sqlite":
            cursor.execute("SELECT sqlite_version()")
            return "SQLite " + cursor.fetchone()[0]
        cursor.execute("SHOW server_version")
        return "PostgreSQL " + cursor.fetchone()[0]


def child(vendor: str, rounds: int) -> None:
    sys.path.insert(0, str(ROOT / "bench"))
    os.environ["DJANGO_DEBUG"] = "0"
    setup_database(vendor)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "onething.conf.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    result = {"database": versions(vendor), "load": load(vendor)}
    result.update(measure(vendor, rounds))
    print(json.dumps(result, ensure_ascii=False))


# ------------------------------------------------------------------------------ parent process


def markdown(results: dict[str, dict]) -> str:
    lines = [
        "| database | documents | endpoint median | endpoint p95 | engine median | engine p95 | bare FTS median | bare FTS p95 | ratio median | ratio p95 | page median | page p95 |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in results.values():
        lines.append(
            f"| {r['database']} | {r['load']['documents']:,} | {r['endpoint']['median_ms']} ms | "
            f"{r['endpoint']['p95_ms']} ms | {r['engine']['median_ms']} ms | {r['engine']['p95_ms']} ms | "
            f"{r['bare_fts']['median_ms']} ms | {r['bare_fts']['p95_ms']} ms | ×{r['ratio_median']} | ×{r['ratio_p95']} | "
            f"{r['page']['median_ms']} ms | {r['page']['p95_ms']} ms |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", choices=["sqlite", "postgres"])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--child", choices=["sqlite", "postgres"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.rounds)
        return
    results = {}
    for vendor in [args.only] if args.only else ["sqlite", "postgres"]:
        proc = subprocess.run(
            [sys.executable, __file__, "--child", vendor, "--rounds", str(args.rounds)],
            capture_output=True,
            text=True,
            env={**os.environ, "PYTHONPATH": str(ROOT / "src")},
        )
        if proc.returncode:
            sys.stderr.write(proc.stderr)
            raise SystemExit(f"{vendor} benchmark failed")
        results[vendor] = json.loads(proc.stdout.strip().splitlines()[-1])
        print(json.dumps({vendor: results[vendor]}, ensure_ascii=False, indent=2))
    print(json.dumps({"machine": machine()}, ensure_ascii=False, indent=2))
    print(markdown(results))


if __name__ == "__main__":
    main()
