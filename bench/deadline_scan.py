"""Deadline scan over 1,000,000 open sub-cases on PostgreSQL: time to find and mark yellow/red.

    .venv/bin/python bench/deadline_scan.py --subcases 1000000

Uses its own database ``bench_cases_scan`` (dropped and recreated): migrates, creates one real
application through intake, then clones it with ``generate_series`` into 200,000 applications
of 5 running sub-cases each, due dates spread from 5 days overdue to 40 days ahead. Then it
times ``deadlines.scan`` (the periodic task's work) three times:

1. the first scan, which marks every yellow/red case at once (worst case, e.g. after an outage);
2. the next scan on the same day (nothing new: the partial indexes are empty for it);
3. the scan of the following day (only the cases crossing a threshold that day).

and prints the EXPLAIN of the red UPDATE to show the partial index at work.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

import psycopg

PG = "postgres://postgres@127.0.0.1:5432"
DB = "bench_cases_scan"
TODAY = dt.date(2026, 11, 23)


def recreate_database() -> None:
    with psycopg.connect(f"{PG}/postgres", autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {DB} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {DB}")


def setup_django(var_dir: Path) -> None:
    os.environ["DATABASE_URL"] = f"{PG}/{DB}"
    os.environ["ONETHING_VAR_DIR"] = str(var_dir)
    os.environ["ONETHING_NOTIFY"] = "inbox"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "onething.conf.settings")
    import django

    django.setup()


def columns(conn, table: str) -> list[str]:
    return [
        r[0]
        for r in conn.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_name = %s AND column_name <> 'id' "
            "ORDER BY ordinal_position",
            [table],
        )
    ]


def populate(subcases: int, per_application: int = 5) -> int:
    from django.core.management import call_command

    from onething.accounts.models import User
    from onething.cases import intake

    call_command("migrate", verbosity=0)
    import contextlib
    import io

    with contextlib.redirect_stdout(io.StringIO()):
        call_command("load_demo", verbosity=0)
    answers = {
        "parents_local_hukou": False,
        "parents_married": True,
        "mother_insured": True,
        "want_social_card": False,
    }
    plan = intake.load_plan("bundle", "430600-YJS-XSECS", answers)
    samples = {"date": "2026-11-01", "id_number": "430602199001011235", "phone": "13800000001"}
    form = {
        f.element: (f.choices[0] if f.type == "choice" else samples.get(f.type, "测试")) for f in plan.form
    }
    template = intake.submit(
        User.objects.get(username="zhangsan"),
        kind="bundle",
        code="430600-YJS-XSECS",
        answers=answers,
        form=form,
        idempotency_key="template",
    ).application
    applications = subcases // per_application
    with psycopg.connect(f"{PG}/{DB}", autocommit=True) as conn:
        app_cols = columns(conn, "cases_application")
        override = {
            "number": "'B-' || lpad(g::text, 8, '0')",
            "idempotency_key": "''",
            "status": "'in_review'",
            "timed": "true",
            "started_on": f"DATE '{TODAY}' - 10",
            "due_date": f"DATE '{TODAY}' + (g % 45) - 5",
            "yellow_date": f"DATE '{TODAY}' + (g % 45) - 8",
            "warning": "''",
        }
        select = ", ".join(override.get(c, f"t.{c}") for c in app_cols)
        t0 = time.perf_counter()
        conn.execute(
            f"INSERT INTO cases_application ({', '.join(app_cols)}) SELECT {select} "
            f"FROM cases_application t, generate_series(1, {applications}) g WHERE t.id = {template.pk}"
        )
        sub_cols = columns(conn, "cases_subcase")
        sub_template = template.subcases.order_by("position").first().pk
        override = {
            "application_id": "a.id",
            "number": "a.number || '-0' || k",
            "position": "k",
            "status": "'in_review'",
            "timed": "true",
            "started_on": f"DATE '{TODAY}' - 10",
            # due dates from 5 days overdue to 40 days ahead; yellow 1–4 days before due
            "due_date": f"DATE '{TODAY}' + ((a.id * 7 + k * 13) % 45)::int - 5",
            "yellow_date": f"DATE '{TODAY}' + ((a.id * 7 + k * 13) % 45)::int - 5 - (1 + (a.id + k) % 4)::int",
            "warning": "''",
            "handler_id": "NULL",
        }
        select = ", ".join(override.get(c, f"s.{c}") for c in sub_cols)
        conn.execute(
            f"INSERT INTO cases_subcase ({', '.join(sub_cols)}) SELECT {select} "
            f"FROM cases_application a CROSS JOIN generate_series(1, {per_application}) k "
            f"CROSS JOIN cases_subcase s WHERE s.id = {sub_template} AND a.number LIKE 'B-%%'"
        )
        conn.execute("VACUUM ANALYZE cases_subcase")
        conn.execute("VACUUM ANALYZE cases_application")
        load_seconds = time.perf_counter() - t0
        count = conn.execute("SELECT COUNT(*) FROM cases_subcase WHERE timed").fetchone()[0]
    print(f"loaded {count} running sub-cases in {load_seconds:.1f}s", file=sys.stderr)
    return count


def explain() -> str:
    with psycopg.connect(f"{PG}/{DB}") as conn:
        rows = conn.execute(
            "EXPLAIN UPDATE cases_subcase SET warning = 'red', warned_at = now() "
            "WHERE timed AND NOT (warning = 'red') AND due_date < %s RETURNING id",
            [TODAY],
        ).fetchall()
        conn.rollback()
    return "\n".join(r[0] for r in rows)


def timed_scan(today: dt.date) -> dict:
    from django.utils import timezone

    from onething.cases import deadlines

    now = timezone.now()
    t0 = time.perf_counter()
    result = deadlines.scan(today, now, notify_people=False)
    marked = time.perf_counter() - t0
    t1 = time.perf_counter()
    notified = deadlines._notify(
        [r[1:] for r in result.marked if r[0] == "red"], [r[1:] for r in result.marked if r[0] == "yellow"]
    )
    notify_seconds = time.perf_counter() - t1
    return {
        "today": str(today),
        "red": result.red,
        "yellow": result.yellow,
        "applications_red": result.applications_red,
        "applications_yellow": result.applications_yellow,
        "mark_seconds": round(marked, 3),
        "notify_seconds": round(notify_seconds, 3),
        "people_notified": notified,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--subcases", type=int, default=1_000_000)
    args = parser.parse_args()
    recreate_database()
    setup_django(Path(tempfile.mkdtemp(prefix="bench-scan-")))
    count = populate(args.subcases)
    plan = explain()
    first = timed_scan(TODAY)
    again = timed_scan(TODAY)
    next_day = timed_scan(TODAY + dt.timedelta(days=1))
    print(
        json.dumps(
            {
                "running_subcases": count,
                "first_scan": first,
                "same_day_rescan": again,
                "next_day": next_day,
                "explain_red": plan,
            },
            ensure_ascii=False,
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
