"""好差评 rates and rankings over 1,000,000 ratings: the projection (``RatingFact``) against the
same figures aggregated from the live ``Rating`` table.

    .venv/bin/python bench/ratings.py                        # SQLite (a temporary file), 1,000,000 ratings
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/x .venv/bin/python bench/ratings.py
    .venv/bin/python bench/ratings.py --ratings 100000 --repeat 3   # a quick look

Database: SQLite in a temporary ``ONETHING_VAR_DIR`` by default; with ``DATABASE_URL`` naming a
PostgreSQL server (or ``--database postgres``), the database ``bench_ratings`` on that server
(dropped and recreated; the URL's own database is never touched). Migrated, nothing else loaded.

1. **generate** (setup, timed apart) — one province, 4 cities, 3 counties each (16 regions);
   20 departments and 60 items (Zipf-weighted: a few items take most ratings) and 8 bundles per
   city; a hall of 8 windows, each with its clerk, per region; 3 handlers per department. Then
   ``--ratings`` ratings over 181 days (2026-01-01 … 06-30, 08:00–20:00 local), ``bulk_create``
   in batches: channels web 35 %, mobile 30 %, window 25 %, self-service 5 %, hotline 5 %;
   8 % defaulted (基本满意); given 5/4/3/2/1 at 68/18/7/4/3 %, with the channel's overall
   indicator and two others; a window visit names its hall, window and clerk, an online rating
   its department's handler; 15 % at a city's own level, 2 % at the province's. Each 差评 has a
   rectification: 80 % counted due, 85 % of those on time, 70 % revisited. A rating names a
   ticket of its own day (five channels per ticket: the one-rating-per-ticket-channel rule).
2. **rebuild** — ``projection.rebuild()`` (timed; rows written).
3. **figures** — for the province and one city, for the last month (June) and the whole half
   year: ``figures.rates`` of every dimension (region, department, item, hall, window, staff,
   channel, service, all) and both ``figures.rankings``, each ``--repeat`` times; p50 and max.
   Also ``figures.service_summary`` of the most rated item (all time and 12 months).
4. **baseline** — the same rows computed by ``GROUP BY`` over ``Rating`` (joined to its region
   and rectification; indicators left out, which would only add to it), once per call; the
   counts are checked equal to the projection's. The ratio baseline / projection per call is
   the figure to record.

Bounded: a fixed number of calls; prints a JSON summary and Markdown for docs/performance.md.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))

import argparse
import datetime as dt
import json
import os
import random
import statistics
import tempfile
import time
from urllib.parse import urlsplit, urlunsplit

from _common import db_version, machine

DB = "bench_ratings"
FIRST_DAY = dt.date(2026, 1, 1)
DAYS = 181
MONTH = (dt.date(2026, 6, 1), dt.date(2026, 6, 30))
HALF_YEAR = (FIRST_DAY, FIRST_DAY + dt.timedelta(days=DAYS - 1))
CITIES = [("430100", "长沙市"), ("430200", "株洲市"), ("430300", "湘潭市"), ("430600", "岳阳市")]
COUNTIES = 3
DEPARTMENTS = 20
ITEMS = 60
BUNDLES = 8
WINDOWS = 8
HANDLERS = 3
CHANNELS = [("web", 35), ("mobile", 30), ("window", 25), ("self_service", 5), ("hotline", 5)]
SCORES = [(5, 68), (4, 18), (3, 7), (2, 4), (1, 3)]
DEFAULTED = 0.08


# ---------------------------------------------------------------------------------- set-up


def postgres_url(args) -> str | None:
    url = os.environ.get("DATABASE_URL", "")
    if args.database == "sqlite" or (args.database == "auto" and not url.startswith("postgres")):
        return None
    parts = urlsplit(url if url.startswith("postgres") else "postgres://postgres@127.0.0.1:5432/postgres")
    return urlunsplit(parts._replace(path="/postgres")), urlunsplit(parts._replace(path=f"/{DB}"))


def setup_django(args, var_dir: str) -> str:
    pg = postgres_url(args)
    if pg:
        import psycopg

        admin, url = pg
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {DB} WITH (FORCE)")
            conn.execute(f"CREATE DATABASE {DB}")
        os.environ["DATABASE_URL"] = url
    else:
        os.environ["DATABASE_URL"] = f"sqlite:///{var_dir}/bench.sqlite3"
    os.environ["ONETHING_VAR_DIR"] = var_dir
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "onething.conf.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    return "postgres" if pg else "sqlite"


def weighted(pairs):
    values = [v for v, _ in pairs]
    weights = [w for _, w in pairs]
    return values, weights


class World:
    """The regions, departments, items, halls, windows and people the ratings name."""

    def __init__(self) -> None:
        from django.contrib.auth.hashers import make_password

        from onething.accounts.models import User
        from onething.directory.models import Department, Hall, Region, Window
        from onething.halls.models import Service

        UNUSABLE = make_password(None)  # one unusable password for every bench user
        province = Region.objects.create(code="430000", name="湖南省", level="province")
        self.province = province
        self.regions = [province]
        self.cities = []
        self.city_of = {province.code: CITIES[-1][0]}
        for code, name in CITIES:
            city = Region.objects.create(code=code, name=name, level="city", parent=province)
            self.cities.append(city)
            self.regions.append(city)
            self.city_of[code] = code
            for n in range(1, COUNTIES + 1):
                county = Region.objects.create(
                    code=f"{code[:4]}{n + 1:02d}", name=f"{name}第{n}区", level="county", parent=city
                )
                self.regions.append(county)
                self.city_of[county.code] = code
        self.departments = {}  # city → [code]
        self.items = {}  # city → [(item code, department)]
        self.bundles = {}  # city → [code]
        depts = []
        for city in self.cities:
            codes = [f"11{city.code}MB{n:07d}X" for n in range(1, DEPARTMENTS + 1)]
            depts += [
                Department(code=c, name=f"{city.name}第{n}局", region=city)
                for n, c in enumerate(codes, start=1)
            ]
            self.departments[city.code] = codes
            self.items[city.code] = [
                (f"{city.code}-BENCH-{n:04d}-01", codes[n % DEPARTMENTS]) for n in range(1, ITEMS + 1)
            ]
            self.bundles[city.code] = [f"{city.code}-YJS-B{n:02d}" for n in range(1, BUNDLES + 1)]
        Department.objects.bulk_create(depts)
        # Zipf-like weights: the n-th item is rated 1/n as often as the first
        self.item_weights = [1 / n for n in range(1, ITEMS + 1)]
        self.service = Service.objects.create(code="bench", name="综合受理", prefix="B")
        self.halls = {}
        users = []
        windows = []
        for region in self.regions:
            hall = Hall.objects.create(
                code=f"bench-{region.code}", name=f"{region.name}政务服务中心", region=region
            )
            self.halls[region.code] = hall
            for n in range(1, WINDOWS + 1):
                windows.append(
                    Window(code=f"bench-{region.code}-{n}", hall=hall, number=str(n), name="综合窗口")
                )
                users.append(
                    User(
                        username=f"clerk_{region.code}_{n}",
                        real_name=f"窗口{region.code}-{n}",
                        password=UNUSABLE,
                    )
                )
        for codes in self.departments.values():
            for dept in codes:
                for n in range(1, HANDLERS + 1):
                    users.append(
                        User(
                            username=f"handler_{dept}_{n}",
                            real_name=f"审批{dept[-6:]}-{n}",
                            password=UNUSABLE,
                        )
                    )
        Window.objects.bulk_create(windows)
        User.objects.bulk_create(users, batch_size=2000)
        by_name = dict(User.objects.values_list("username", "pk"))
        self.windows = {}  # region → [(window id, clerk id)]
        for window in Window.objects.filter(code__startswith="bench-").select_related("hall"):
            region = window.hall.region_id
            self.windows.setdefault(region, []).append(
                (window.pk, by_name[f"clerk_{region}_{window.number}"])
            )
        self.handlers = {
            dept: [by_name[f"handler_{dept}_{n}"] for n in range(1, HANDLERS + 1)]
            for codes in self.departments.values()
            for dept in codes
        }
        self.province_share = [r for r in self.regions if r.level == "province"]
        self.city_regions = [r for r in self.regions if r.level == "city"]
        self.county_regions = [r for r in self.regions if r.level == "county"]


def generate(world: World, total: int, seed: int = 15) -> dict:
    """``total`` ratings (and their tickets and rectifications) in bulk, a day at a time."""
    from django.utils import timezone

    from onething.halls.models import Ticket
    from onething.ratings import rules
    from onething.ratings.models import Rating, Rectification

    rng = random.Random(seed)
    channels, channel_w = weighted(CHANNELS)
    scores, score_w = weighted(SCORES)
    tz = timezone.get_current_timezone()
    hall = world.halls[world.province.code]
    made = rects = tickets_made = 0
    t0 = time.perf_counter()

    def region_of():
        x = rng.random()
        if x < 0.02:
            return world.province
        if x < 0.17:
            return rng.choice(world.city_regions)
        return rng.choice(world.county_regions)

    for d in range(DAYS):
        day = FIRST_DAY + dt.timedelta(days=d)
        count = total * (d + 1) // DAYS - total * d // DAYS
        morning = dt.datetime.combine(day, dt.time(8), tzinfo=tz)
        picked = rng.choices(channels, channel_w, k=count)
        # the k-th rating of a channel on the day rates the day's k-th ticket (one per channel)
        needed = max((picked.count(c) for c in channels), default=0)
        tickets = Ticket.objects.bulk_create(
            [
                Ticket(
                    hall=hall,
                    service=world.service,
                    day=day,
                    number=f"B{n:05d}",
                    status=Ticket.Status.DONE,
                    channel="kiosk",
                    issued_at=morning,
                    finished_at=morning,
                )
                for n in range(1, needed + 1)
            ],
            batch_size=5000,
        )
        tickets_made += len(tickets)
        seen = dict.fromkeys(channels, 0)
        batch = []
        for channel in picked:
            ticket = tickets[seen[channel]]
            seen[channel] += 1
            region = region_of()
            city = world.city_of[region.code]
            item, dept = rng.choices(world.items[city], world.item_weights)[0]
            when = morning + dt.timedelta(seconds=rng.randrange(12 * 3600))
            fields = dict(
                ticket_id=ticket.pk,
                channel=channel,
                region_id=region.code,
                department_id=dept,
                item_code=item,
                service_code=rng.choice(world.bundles[city]) if rng.random() < 0.2 else item,
                served_at=when - dt.timedelta(days=1),
                created_at=when,
            )
            if channel == "window":
                window, clerk = rng.choice(world.windows[region.code])
                fields.update(hall_id=world.halls[region.code].pk, window_id=window, staff_id=clerk)
                if rng.random() < 0.5:  # a visit for the hall's own services: no department, no item
                    fields.update(department_id=None, item_code="", service_code="")
            elif rng.random() < 0.7:
                fields["staff_id"] = rng.choice(world.handlers[dept])
            if rng.random() < DEFAULTED:
                batch.append(Rating(score=rules.DEFAULT_SCORE, source=Rating.Source.DEFAULTED, **fields))
                continue
            score = rng.choices(scores, score_w)[0]
            asked = list(rules.indicators_of(channel))
            indicators = {"overall": score}
            for key in rng.sample(asked[1:], 2):
                indicators[key] = max(1, min(5, score + rng.choice((-1, 0, 0, 1))))
            batch.append(
                Rating(
                    score=score,
                    source=Rating.Source.GIVEN,
                    indicators=indicators,
                    reason="slow" if score <= 2 else "",
                    **fields,
                )
            )
        saved = Rating.objects.bulk_create(batch, batch_size=5000)
        rect_rows = []
        for rating in saved:
            if rating.source == Rating.Source.GIVEN and rating.score <= 2:
                due = rng.random() < 0.8
                on_time = due and rng.random() < 0.85
                revisited = due and rng.random() < 0.7
                rect_rows.append(
                    Rectification(
                        rating_id=rating.pk,
                        status="closed" if revisited else ("answered" if due else "verifying"),
                        department_id=rating.department_id,
                        hall_id=None if rating.department_id else rating.hall_id,
                        region_id=rating.region_id,
                        created_at=rating.created_at,
                        counted_due=due,
                        on_time=on_time if due else None,
                        revisited_at=rating.created_at + dt.timedelta(days=4) if revisited else None,
                    )
                )
        Rectification.objects.bulk_create(rect_rows, batch_size=5000)
        made += len(saved)
        rects += len(rect_rows)
        if d % 30 == 29 or d == DAYS - 1:
            print(f"  {made:>9,} ratings ({made / (time.perf_counter() - t0):,.0f}/s)", file=sys.stderr)
    return {
        "ratings": made,
        "rectifications": rects,
        "tickets": tickets_made,
        "seconds": round(time.perf_counter() - t0, 1),
    }


# ---------------------------------------------------------------------------------- baseline


def naive_rates(region, start, end, dim):
    """The rows of ``figures.rates`` by ``GROUP BY`` over the ratings themselves (no indicators)."""
    from django.db.models import Count, F, Q, Sum
    from django.utils import timezone

    from onething.ratings import figures
    from onething.ratings.models import Rating

    tz = timezone.get_current_timezone()
    lo = dt.datetime.combine(start, dt.time(), tzinfo=tz)
    hi = dt.datetime.combine(end + dt.timedelta(days=1), dt.time(), tzinfo=tz)
    rows = Rating.objects.filter(excluded=False, created_at__gte=lo, created_at__lt=hi).filter(
        Q(region__path=region.path) | Q(region__path__startswith=f"{region.path}/")
    )
    given = Q(source="given")
    sums = dict(
        ratings=Count("pk"),
        given=Count("pk", filter=given),
        defaulted=Count("pk", filter=Q(source="defaulted")),
        good=Count("pk", filter=given & Q(score__gte=4)),
        bad=Count("pk", filter=given & Q(score__lte=2)),
        score_sum=Sum("score", filter=given),
        rect_due=Count("pk", filter=Q(rectification__counted_due=True)),
        rect_on_time=Count("pk", filter=Q(rectification__on_time=True)),
        revisited=Count("pk", filter=Q(rectification__revisited_at__isnull=False)),
    )
    field = {
        "region": "region__path",
        "department": "department_id",
        "item": "item_code",
        "service": "service_code",
        "hall": "hall_id",
        "window": "window_id",
        "staff": "staff_id",
        "channel": "channel",
        "all": None,
    }[dim]
    if field is None:
        raw = rows.aggregate(**sums)
        found = [figures.Row("", region.name, {k: v or 0 for k, v in raw.items()})] if raw["ratings"] else []
        return found
    grouped = rows.order_by().values(k=F(field)).annotate(**sums)
    out: dict = {}
    depth = len(region.path) + 1
    for raw in grouped:
        key = raw.pop("k")
        if dim == "region":
            key = figures.SELF if key == region.path else key[depth:].split("/", 1)[0]
        elif key in (None, ""):
            continue
        counts = out.setdefault(str(key), {})
        for name, value in raw.items():
            counts[name] = counts.get(name, 0) + (value or 0)
    result = [figures.Row(k, counts=c) for k, c in out.items()]
    figures._label(dim, result, region)
    return figures._ordered(dim, result)


def naive_rankings(region, start, end, by):
    from onething.ratings import figures

    return figures.ranked([r for r in naive_rates(region, start, end, by) if r.key != figures.SELF])


COMPARED = (
    "ratings",
    "given",
    "defaulted",
    "good",
    "bad",
    "score_sum",
    "rect_due",
    "rect_on_time",
    "revisited",
)


def same(fast, slow) -> bool:
    a = {(r.key, r.rank): tuple(r.counts.get(m, 0) for m in COMPARED) for r in fast}
    b = {(r.key, r.rank): tuple(r.counts.get(m, 0) for m in COMPARED) for r in slow}
    return a == b


# ---------------------------------------------------------------------------------- timing


def timed(fn, *args, **kwargs):
    t0 = time.perf_counter()
    out = fn(*args, **kwargs)
    return time.perf_counter() - t0, out


def ms(seconds: float) -> float:
    return round(seconds * 1000, 1)


def measure(world: World, repeat: int) -> dict:
    from onething.ratings import figures

    dims = [*figures.DIMS, "service", "all"]
    city = world.cities[-1]
    out = {"calls": []}
    for region in (world.province, city):
        for period_name, (start, end) in (("month", MONTH), ("half_year", HALF_YEAR)):
            calls = [
                (f"rates:{d}", figures.rates, naive_rates, (region,), dict(start=start, end=end, dim=d))
                for d in dims
            ]
            calls += [
                (f"rankings:{by}", figures.rankings, naive_rankings, (region, start, end, by), {})
                for by in ("region", "department")
            ]
            for name, fast_fn, slow_fn, args, kwargs in calls:
                fast_times = []
                for _ in range(repeat):
                    seconds, fast = timed(fast_fn, *args, **kwargs)
                    fast_times.append(seconds)
                if slow_fn is naive_rates:
                    slow_seconds, slow = timed(slow_fn, region, kwargs["start"], kwargs["end"], kwargs["dim"])
                else:
                    slow_seconds, slow = timed(slow_fn, *args)
                out["calls"].append(
                    {
                        "region": region.name,
                        "period": period_name,
                        "call": name,
                        "rows": len(fast),
                        "p50_ms": ms(statistics.median(fast_times)),
                        "max_ms": ms(max(fast_times)),
                        "baseline_ms": ms(slow_seconds),
                        "ratio": round(slow_seconds / max(statistics.median(fast_times), 1e-6), 1),
                        "same": same(fast, slow),
                    }
                )
                c = out["calls"][-1]
                print(
                    f"  {c['region']} {c['period']:<9} {c['call']:<20} {c['rows']:>4} rows  "
                    f"p50 {c['p50_ms']:>7.1f} ms  max {c['max_ms']:>7.1f}  baseline {c['baseline_ms']:>8.1f} ms  "
                    f"×{c['ratio']}{'' if c['same'] else '  MISMATCH'}",
                    file=sys.stderr,
                )
    top = world.items[world.cities[0].code][0][0]
    summary_times = []
    for _ in range(repeat):
        seconds, _ = timed(_service_summary_of, top)
        summary_times.append(seconds)
    out["service_summary"] = {
        "p50_ms": ms(statistics.median(summary_times)),
        "max_ms": ms(max(summary_times)),
    }
    return out


def _service_summary_of(code: str):
    """``figures.service_summary`` needs a published catalog entry: the bench has none, so this
    runs its two reads (all time, last 12 months) directly."""
    from django.db.models import Sum

    from onething.ratings.models import RatingFact
    from onething.ratings.projection import MEASURES

    rows = RatingFact.objects.filter(dim="item", key=code)
    a = rows.aggregate(**{m: Sum(m) for m in MEASURES})
    b = rows.filter(day__gte=HALF_YEAR[1] - dt.timedelta(days=364)).aggregate(**{m: Sum(m) for m in MEASURES})
    return a, b


def summarise(calls: list[dict]) -> dict:
    out = {}
    for region in sorted({c["region"] for c in calls}):
        for period in ("month", "half_year"):
            some = [c for c in calls if c["region"] == region and c["period"] == period]
            p50 = [c["p50_ms"] for c in some]
            base = [c["baseline_ms"] for c in some]
            out[f"{region} {period}"] = {
                "calls": len(some),
                "p50_of_p50_ms": round(statistics.median(p50), 1),
                "max_ms": max(c["max_ms"] for c in some),
                "baseline_p50_ms": round(statistics.median(base), 1),
                "baseline_max_ms": max(base),
                "ratio_of_medians": round(statistics.median(base) / max(statistics.median(p50), 0.01), 1),
                "all_same": all(c["same"] for c in some),
            }
    return out


def markdown(r: dict) -> str:
    lines = [
        f"{r['generate']['ratings']:,} ratings ({r['generate']['rectifications']:,} rectifications) generated in "
        f"{r['generate']['seconds']} s; `projection.rebuild()` wrote {r['rebuild']['rows']:,} rows in "
        f"{r['rebuild']['seconds']} s ({r['db_version']}).",
        "",
        "| region, period | calls | figures p50 ms | figures max ms | baseline p50 ms | baseline max ms | baseline / figures (medians) |",
        "|---|---|---|---|---|---|---|",
    ]
    for name, s in r["summary"].items():
        lines.append(
            f"| {name} | {s['calls']} | {s['p50_of_p50_ms']} | {s['max_ms']} | {s['baseline_p50_ms']} "
            f"| {s['baseline_max_ms']} | × {s['ratio_of_medians']} |"
        )
    lines += [
        "",
        "| region | period | call | rows | p50 ms | max ms | baseline ms | × |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for c in r["measure"]["calls"]:
        lines.append(
            f"| {c['region']} | {c['period']} | {c['call']} | {c['rows']} | {c['p50_ms']} | {c['max_ms']} "
            f"| {c['baseline_ms']} | {c['ratio']} |"
        )
    s = r["measure"]["service_summary"]
    lines += [
        "",
        f"Public summary of the most rated item (two reads): p50 {s['p50_ms']} ms, max {s['max_ms']} ms.",
    ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ratings", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=5, help="timings per figures call")
    parser.add_argument("--database", choices=["auto", "sqlite", "postgres"], default="auto")
    args = parser.parse_args()
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="onething-bench-ratings-") as var_dir:
        vendor = setup_django(args, var_dir)
        from django.db import connection

        from onething.ratings import projection

        print(f"{vendor}: generating {args.ratings:,} ratings", file=sys.stderr)
        world = World()
        result = {"database": vendor, "generate": generate(world, args.ratings)}
        if vendor == "postgres":
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")
        print("rebuilding the projection", file=sys.stderr)
        seconds, rows = timed(projection.rebuild)
        result["rebuild"] = {"rows": rows, "seconds": round(seconds, 1)}
        if vendor == "postgres":
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")
        print(f"  {rows:,} rows in {seconds:.1f}s; timing", file=sys.stderr)
        result["measure"] = measure(world, args.repeat)
        result["summary"] = summarise(result["measure"]["calls"])
        result["db_version"] = db_version(connection)
        connection.close()
    result["machine"] = machine()
    result["seconds"] = round(time.perf_counter() - started, 1)
    print(json.dumps(result, ensure_ascii=False, indent=2))
    print(markdown(result))


if __name__ == "__main__":
    main()
