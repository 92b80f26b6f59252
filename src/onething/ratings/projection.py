"""The projection behind the rates and rankings (``RatingFact``), kept up to date in the
transaction of each change and rebuilt from scratch by ``onething rebuild-rating-facts``.

Each rating counts once in each dimension — ``all``, ``department``, ``item``, ``service``
(the item or bundle applied for), ``hall``, ``window``, ``staff``, ``channel`` — on the day it
was made (Asia/Shanghai) and under its region. A change adds a *delta* to those rows with one
``INSERT … ON CONFLICT DO UPDATE SET n = n + excluded.n`` (SQLite and PostgreSQL alike); rows
are written in key order so concurrent writers never wait on each other in a cycle. A query
for a region and a period reads at most days × keys rows, whatever the number of ratings.

Measures: ``ratings`` (given and defaulted), ``given``, ``defaulted``, ``good`` (given 4–5),
``bad`` (given 1–2 — a 差评), ``score_sum`` and ``level_1`` … ``level_5`` (given), ``rect_due`` (rectifications answered or
overdue), ``rect_on_time`` (answered by their due date), ``revisited`` and, per indicator,
``ind_<key>_sum`` / ``ind_<key>_n``. A rating removed by an upheld appeal is subtracted whole.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

from django.db import connection, transaction
from django.utils import timezone

from onething.ratings import rules
from onething.ratings.models import Rating, RatingFact, Rectification

DIMENSIONS = ("all", "department", "item", "service", "hall", "window", "staff", "channel")
INDICATOR_KEYS = tuple(rules.INDICATORS)
MEASURES = (
    "ratings",
    "given",
    "defaulted",
    "good",
    "bad",
    "score_sum",
    *[f"level_{n}" for n in range(1, 6)],
    "rect_due",
    "rect_on_time",
    "revisited",
    *[f"ind_{k}_{part}" for k in INDICATOR_KEYS for part in ("sum", "n")],
)


def keys_of(rating: Rating) -> dict[str, str]:
    """The key of ``rating`` in each dimension ('' where it names nothing)."""
    return {
        "all": "",
        "department": rating.department_id or "",
        "item": rating.item_code or "",
        "service": rating.service_code or "",
        "hall": rating.hall_id or "",
        "window": str(rating.window_id or ""),
        "staff": str(rating.staff_id or ""),
        "channel": rating.channel,
    }


def rating_measures(rating: Rating) -> Counter:
    """What ``rating`` itself adds (its rectification's measures apart)."""
    m = Counter(ratings=1)
    if rating.source == Rating.Source.DEFAULTED:
        m["defaulted"] += 1
        return m
    m["given"] += 1
    m["score_sum"] += rating.score
    m[f"level_{rating.score}"] += 1
    if rating.score in rules.GOOD:
        m["good"] += 1
    elif rating.score in rules.BAD:
        m["bad"] += 1
    for key, value in (rating.indicators or {}).items():
        if key in rules.INDICATORS and isinstance(value, int):
            m[f"ind_{key}_sum"] += value
            m[f"ind_{key}_n"] += 1
    return m


def rectification_measures(rect: Rectification) -> Counter:
    """What a rectification has added so far (flags on its row)."""
    m = Counter()
    if rect.counted_due:
        m["rect_due"] += 1
    if rect.on_time:
        m["rect_on_time"] += 1
    if rect.revisited_at is not None:
        m["revisited"] += 1
    return m


def _day(rating: Rating):
    return timezone.localdate(rating.created_at)


def add(rating: Rating, measures: Counter, sign: int = 1) -> None:
    """Add ``sign`` × ``measures`` to the rows of ``rating`` (inside the caller's transaction)."""
    measures = {k: v * sign for k, v in measures.items() if v}
    if not measures:
        return
    region = rating.region
    rows = sorted(
        (dim, key) for dim, key in keys_of(rating).items()
    )  # key order: concurrent writers lock rows in the same order
    _upsert(_day(rating), region.code, region.path, rows, measures)


def _upsert(day, region_code: str, region_path: str, rows: Iterable[tuple[str, str]], measures: dict) -> None:
    table = RatingFact._meta.db_table
    cols = list(measures)
    insert_cols = ["day", "dim", "key", "region_code", "region_path", *MEASURES]
    values, params = [], []
    for dim, key in rows:
        values.append("(" + ", ".join(["%s"] * len(insert_cols)) + ")")
        params += [day, dim, key, region_code, region_path, *[measures.get(m, 0) for m in MEASURES]]
    # every name is a column of the model (MEASURES), never input; the values are parameters
    assert set(cols) <= set(MEASURES)
    updates = ", ".join(f"{c} = {table}.{c} + excluded.{c}" for c in cols)
    head = f"INSERT INTO {table} ({', '.join(insert_cols)}) VALUES "  # noqa: S608
    tail = f" ON CONFLICT (day, dim, key, region_code) DO UPDATE SET {updates}"
    sql = head + ", ".join(values) + tail
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def record_rating(rating: Rating) -> None:
    """A new rating (given or defaulted)."""
    add(rating, rating_measures(rating))


def remove_rating(rating: Rating) -> None:
    """An upheld appeal: the rating and whatever its rectification had added go."""
    measures = rating_measures(rating)
    rect = Rectification.objects.filter(rating=rating).first()
    if rect is not None:
        measures.update(rectification_measures(rect))
    add(rating, measures, sign=-1)


def rebuild() -> int:
    """Recompute every row from the ratings and rectifications; returns the rows written."""
    totals: dict[tuple, Counter] = {}
    paths: dict[str, str] = {}
    ratings = Rating.objects.filter(excluded=False).select_related("region", "rectification")
    for rating in ratings.iterator(chunk_size=5000):
        measures = rating_measures(rating)
        rect = getattr(rating, "rectification", None) if _has_rect(rating) else None
        if rect is not None:
            measures.update(rectification_measures(rect))
        day = _day(rating)
        paths[rating.region.code] = rating.region.path
        for dim, key in keys_of(rating).items():
            totals.setdefault((day, dim, key, rating.region.code), Counter()).update(measures)
    with transaction.atomic():
        RatingFact.objects.all().delete()
        RatingFact.objects.bulk_create(
            [
                RatingFact(
                    day=day,
                    dim=dim,
                    key=key,
                    region_code=code,
                    region_path=paths[code],
                    **{m: measures.get(m, 0) for m in MEASURES},
                )
                for (day, dim, key, code), measures in totals.items()
            ],
            batch_size=2000,
        )
    return len(totals)


def _has_rect(rating: Rating) -> bool:
    try:
        rating.rectification  # noqa: B018 - the reverse one-to-one raises when absent
    except Rectification.DoesNotExist:
        return False
    return True
