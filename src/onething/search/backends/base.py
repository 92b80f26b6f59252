"""The backend interface and the candidate texts it returns."""

# SQL here is built from module constants and %s placeholders only; values are always parameters.
# ruff: noqa: S608

from __future__ import annotations

from dataclasses import dataclass

from django.db import connection

from onething.search.models import SearchDocument, SearchText
from onething.search.regions import RegionScope

TABLE = SearchText._meta.db_table
DOCUMENTS = SearchDocument._meta.db_table
#: columns every backend returns, in this order, followed by the text rank
COLUMNS = ("id", "kind", "folded_name", "folded_extra")
#: relative weight of a match in the name against one in the other text
NAME_WEIGHT = 5.0
EXTRA_WEIGHT = 1.0


@dataclass
class Candidate:
    """A matching text (shared by every document with that text) and its relevance."""

    id: int
    kind: str
    folded_name: str
    folded_extra: str
    rank: float  # the backend's text relevance, higher is better


class Backend:
    """Full-text search over :class:`SearchText`; subclasses supply the matching SQL."""

    vendor = ""

    def prepare(self) -> None:
        """Make sure the full-text structures exist (idempotent)."""

    def match_sql(self, phrases: list[list[str]]) -> tuple[str, list]:
        """(FROM clause, parameters): matching texts as ``t`` with a ``text_rank`` column."""
        raise NotImplementedError

    def candidates(
        self, phrases: list[list[str]], scope: RegionScope | None = None, limit: int = 200
    ) -> list[Candidate]:
        """The ``limit`` best texts matching any of the phrases (used in ``scope``), best first."""
        if not phrases:
            return []
        source, params = self.match_sql(phrases)
        where = "1 = 1"
        if scope is not None:
            clause, scope_params = scope.sql("d")
            where = f"EXISTS (SELECT 1 FROM {DOCUMENTS} d WHERE d.text_id = t.id AND {clause})"
            params = [*params, *scope_params]
        columns = ", ".join(f"t.{c}" for c in COLUMNS)
        sql = f"SELECT {columns}, text_rank FROM {source} WHERE {where} ORDER BY text_rank DESC LIMIT %s"
        with connection.cursor() as cursor:
            cursor.execute(sql, [*params, limit])
            return [Candidate(*row) for row in cursor.fetchall()]
