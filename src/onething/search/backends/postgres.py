"""PostgreSQL: a generated ``tsvector`` column (config ``simple``) with a GIN index.

The token text is already segmented, so the ``simple`` configuration only splits on spaces
and lower-cases. The name is weighted A and the rest C; ``ts_rank`` ranks. A generated column
needs no trigger and stays right whatever writes the table (ORM, bulk insert, COPY).
"""

# SQL here is built from module constants and %s placeholders only; values are always parameters.
# ruff: noqa: S608

from __future__ import annotations

from django.db import connection

from onething.search.backends.base import TABLE, Backend

CREATE = [
    f"ALTER TABLE {TABLE} ADD COLUMN IF NOT EXISTS tsv tsvector GENERATED ALWAYS AS ("
    "setweight(to_tsvector('simple'::regconfig, name_tokens), 'A') || "
    "setweight(to_tsvector('simple'::regconfig, extra_tokens), 'C')) STORED",
    f"CREATE INDEX IF NOT EXISTS search_text_tsv ON {TABLE} USING gin (tsv)",
]
DROP = [
    "DROP INDEX IF EXISTS search_text_tsv",
    f"ALTER TABLE {TABLE} DROP COLUMN IF EXISTS tsv",
]
#: ts_rank weights for D, C, B, A: name (A) five times the other text (C), as on SQLite
WEIGHTS = "{0.1, 0.2, 0.4, 1.0}"


def tsquery(phrases: list[list[str]]) -> str:
    """A ``to_tsquery`` text: phrases OR-ed, tokens of a phrase joined by ``<->``."""
    return " | ".join("(" + " <-> ".join(p) + ")" if len(p) > 1 else p[0] for p in phrases)


class PostgresBackend(Backend):
    vendor = "postgresql"

    def prepare(self) -> None:
        with connection.cursor() as cursor:
            for statement in CREATE:
                cursor.execute(statement)

    def match_sql(self, phrases):
        source = (
            f"(SELECT {TABLE}.*, ts_rank('{WEIGHTS}', tsv, q) AS text_rank FROM {TABLE}, "
            "to_tsquery('simple', %s) q WHERE tsv @@ q) t"
        )
        return source, [tsquery(phrases)]
