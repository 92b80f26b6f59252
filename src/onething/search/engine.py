"""The search operation behind ``GET /api/v1/catalog/search`` and the ``/search/`` page.

parse the query → the backend's best candidate texts (capped at :data:`CANDIDATES`) → rank
the texts → fetch the documents of the best texts within the region scope, in rank order,
until ``limit`` results. The cap bounds the re-ranking work whatever the query matches.
"""

from __future__ import annotations

from django.db import connection

from onething.search import backends
from onething.search.backends.base import DOCUMENTS
from onething.search.query import parse
from onething.search.ranking import rank
from onething.search.regions import RegionScope

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


def search(q: str, scope: RegionScope | None = None, limit: int = 20) -> list[dict]:
    """Published items and bundles for a (validated) query, best first."""
    query = parse(q)
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
