"""The search operation behind ``GET /api/v1/catalog/search`` and the ``/search/`` page.

understand the query (pinyin read as Chinese, then parsed) → the backend's best candidate
texts (capped at :data:`CANDIDATES`) → rank the texts → fetch the documents of the best texts
within the region scope, in rank order, until ``limit`` results. The cap bounds the re-ranking
work whatever the query matches.

The API returns every implementation (:func:`search`). The page (:func:`find`) shows each
item once: the implementations of one item (same basic code, or same name) in several regions
are one result, the one nearest the person's region first and the others folded; when nothing
matches, it offers the closest life events and items (:mod:`onething.search.suggest`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db import connection

from onething.search import backends, pinyin
from onething.search.backends.base import DOCUMENTS
from onething.search.normalize import fold
from onething.search.query import MAX_LENGTH, ParsedQuery, parse
from onething.search.ranking import rank
from onething.search.regions import ELSEWHERE, RegionScope

CANDIDATES = 200
#: texts whose documents are fetched in the first database round trip; later trips take more
#: (a text shared by a hundred implementations fills a page alone, a local one needs many)
FIRST_FETCH = 4
MAX_FETCH = 64
RESULT_COLUMNS = (
    "kind",
    "code",
    "name",
    "text_id",
    "department_name",
    "region_code",
    "region_name",
    "audience",
    "themes",
)


def _documents(text_ids: list[int], scope: RegionScope | None, limit: int) -> list[dict]:
    """Documents of the given texts, in the texts' order, higher-level regions first.

    Plain SQL: the ORM's CASE expression for a 20-way ordering cost more to compile than the
    query took to run (docs/performance.md).
    """
    whens = " ".join("WHEN %s THEN " + str(i) for i in range(len(text_ids)))
    where, params = f"d.text_id IN ({', '.join(['%s'] * len(text_ids))})", list(text_ids)
    if scope is not None:
        clause, scope_params = scope.sql("d")
        where, params = f"{where} AND {clause}", [*params, *scope_params]
    columns = ", ".join(f"d.{c}" for c in RESULT_COLUMNS)
    sql = (
        f"SELECT {columns} FROM {DOCUMENTS} d WHERE {where} "  # noqa: S608 - constants and placeholders only
        f"ORDER BY CASE d.text_id {whens} END, LENGTH(d.region_path), d.code LIMIT %s"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, *text_ids, limit])
        return [dict(zip(RESULT_COLUMNS, row, strict=True)) for row in cursor.fetchall()]


def understand(q: str) -> tuple[ParsedQuery, str | None]:
    """The parsed query, and the Chinese its pinyin was read as (``None``: no pinyin read)."""
    chinese = pinyin.convert(fold(q)[:MAX_LENGTH])
    return parse(chinese if chinese is not None else q), chinese


def search(q: str, scope: RegionScope | None = None, limit: int = 20) -> list[dict]:
    """Published items and bundles for a (validated) query, best first."""
    query, _ = understand(q)
    if not query:
        return []
    ranked = rank(backends.get().candidates(query.phrases(), scope, CANDIDATES), query)
    scores = {c.id: value for value, c in ranked}
    found: list[dict] = []
    start, batch = 0, FIRST_FETCH
    while start < len(ranked) and len(found) < limit:
        texts = [c.id for _, c in ranked[start : start + batch]]
        found.extend(_documents(texts, scope, limit - len(found)))
        start, batch = start + batch, min(batch * 4, MAX_FETCH)
    return [
        {
            "kind": d["kind"],
            "code": d["code"],
            "name": d["name"],
            "score": scores[d["text_id"]],
            "department": d["department_name"],
            "region": d["region_code"] or None,
            "region_name": d["region_name"],
            "audience": d["audience"],
            "themes": [t for t in d["themes"].split("|") if t],
        }
        for d in found
    ]


# ------------------------------------------------------------------------ the page: one per item

#: distinct items and bundles on a results page
PAGE_GROUPS = 30
#: other regions listed under a result (the count says how many there are in all)
OTHERS_SHOWN = 5
PAGE_COLUMNS = (*RESULT_COLUMNS, "basic_code", "region_path", "summary")


@dataclass
class Page:
    """What the results page shows for a query."""

    q: str
    #: the Chinese a pinyin query was read as
    read_as: str | None = None
    #: one entry per item or bundle, best first; ``others``: the other regions' implementations
    results: list[dict] = field(default_factory=list)
    #: when nothing matched: the closest items and bundles, then the most common life events
    suggestions: list[dict] = field(default_factory=list)
    popular: list[dict] = field(default_factory=list)


def shape(row: dict, score: float = 0.0, scope: RegionScope | None = None) -> dict:
    """A page result from a document row (``near``: see :meth:`RegionScope.nearness_sql`)."""
    near = row.get("near", 0)
    return {
        "kind": row["kind"],
        "code": row["code"],
        "name": row["name"],
        "score": score,
        "department": row["department_name"],
        "region": row["region_code"] or None,
        "region_name": row["region_name"],
        "audience": row["audience"],
        "themes": [t for t in row["themes"].split("|") if t],
        "summary": row.get("summary", ""),
        "near": near,
        "local": scope is not None and near < ELSEWHERE,
        "others": [],
        "other_count": 0,
    }


def group_key(row: dict) -> tuple[str, str]:
    """Implementations of one item share its basic code (or, without one, its name)."""
    return (row["kind"], row.get("basic_code") or row["name"])


def _grouped_rows(
    text_ids: list[int], scope: RegionScope | None, preferred: RegionScope | None, per_text: int
) -> list[dict]:
    """Up to ``per_text`` documents of each text, nearest ``preferred`` first, with the count.

    Window functions pick the nearest implementations of every text and count them, over
    narrow rows (id, text, code, nearness); then only the chosen documents are read whole, by
    primary key. A basic item implemented by a hundred counties costs ``per_text`` wide rows,
    not 100. Two round trips on purpose: joined in one statement, PostgreSQL misjudges the
    window's output and hash-joins a scan of the whole table (measured on the 100,000
    documents of ``bench/search_bench.py``: 21 ms instead of about 8).
    """
    near, near_params = preferred.nearness_sql("d") if preferred else ("LENGTH(d.region_path)", [])
    where, params = f"d.text_id IN ({', '.join(['%s'] * len(text_ids))})", list(text_ids)
    if scope is not None:
        clause, scope_params = scope.sql("d")
        where, params = f"{where} AND {clause}", [*params, *scope_params]
    chosen_sql = (
        "SELECT x.id, x.near, x.rn, x.total FROM ("  # noqa: S608 - constants and placeholders only
        "SELECT y.id, y.near, ROW_NUMBER() OVER (PARTITION BY y.text_id ORDER BY y.near, y.code) AS rn, "
        "COUNT(*) OVER (PARTITION BY y.text_id) AS total "
        f"FROM (SELECT d.id, d.text_id, d.code, {near} AS near FROM {DOCUMENTS} d WHERE {where}) y"
        ") x WHERE x.rn <= %s"
    )
    with connection.cursor() as cursor:
        cursor.execute(chosen_sql, [*near_params, *params, per_text])
        chosen = {row[0]: row[1:] for row in cursor.fetchall()}
        if not chosen:
            return []
        columns = ", ".join(f"d.{c}" for c in PAGE_COLUMNS)
        marks = ", ".join(["%s"] * len(chosen))
        cursor.execute(f"SELECT d.id, {columns} FROM {DOCUMENTS} d WHERE d.id IN ({marks})", list(chosen))  # noqa: S608
        rows = [
            {
                **dict(zip(PAGE_COLUMNS, row[1:], strict=True)),
                **dict(zip(("near", "rn", "total"), chosen[row[0]], strict=True)),
            }
            for row in cursor.fetchall()
        ]
    order = {text_id: i for i, text_id in enumerate(text_ids)}
    rows.sort(key=lambda r: (order[r["text_id"]], r["rn"]))
    return rows


def groups(
    scored: list[tuple[float, int]],
    scope: RegionScope | None = None,
    preferred: RegionScope | None = None,
    limit: int = PAGE_GROUPS,
) -> list[dict]:
    """One result per item or bundle for ranked ``(score, text id)`` pairs, in that order.

    The representative of each is its implementation nearest ``preferred`` (without one: the
    highest-level region); up to :data:`OTHERS_SHOWN` others are listed under it, nearest
    first, and ``other_count`` says how many other implementations there are in all.
    """
    buckets: dict[tuple[str, str], dict] = {}
    start, batch = 0, limit
    while start < len(scored) and len(buckets) < limit:
        chunk = scored[start : start + batch]
        score_of = {text_id: value for value, text_id in chunk}
        for row in _grouped_rows([t for _, t in chunk], scope, preferred, OTHERS_SHOWN + 1):
            bucket = buckets.get(group_key(row))
            if bucket is None:
                if len(buckets) >= limit:
                    continue
                bucket = buckets[group_key(row)] = {"score": score_of[row["text_id"]], "rows": [], "total": 0}
            if row["rn"] == 1:
                bucket["total"] += row["total"]
            bucket["rows"].append(row)
        start, batch = start + batch, min(batch * 2, MAX_FETCH)
    out = []
    for bucket in buckets.values():
        first, *others = sorted(bucket["rows"], key=lambda r: r["near"])  # stable: rank order on ties
        result = shape(first, bucket["score"], preferred)
        others.sort(key=lambda r: (r["near"], r["code"]))
        result["others"] = [shape(r, bucket["score"], preferred) for r in others[:OTHERS_SHOWN]]
        result["other_count"] = bucket["total"] - 1
        out.append(result)
    return out


def find(
    q: str,
    scope: RegionScope | None = None,
    preferred: RegionScope | None = None,
    limit: int = PAGE_GROUPS,
) -> Page:
    """The results page of a (validated) query: one result per item, never nothing to offer.

    ``scope`` filters (the ``region`` parameter); ``preferred`` is the person's region, whose
    implementation of each item comes first.
    """
    from onething.search import suggest

    query, read_as = understand(q)
    page = Page(q, read_as)
    if query:
        ranked = rank(backends.get().candidates(query.phrases(), scope, CANDIDATES), query)
        page.results = groups([(value, c.id) for value, c in ranked], scope, preferred, limit)
    if not page.results:
        page.suggestions = suggest.similar(query.folded, scope, preferred)
        seen = {(r["kind"], r["name"]) for r in page.suggestions}
        page.popular = [b for b in suggest.popular(scope, preferred) if ("bundle", b["name"]) not in seen]
    return page
