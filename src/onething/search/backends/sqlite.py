"""SQLite FTS5: an external-content FTS5 table over the search texts, kept by triggers.

The FTS5 table is what MATCH and ``bm25()`` run on; triggers copy every insert, update and
delete of :class:`~onething.search.models.SearchText`. Django rebuilds a SQLite table on some
schema changes, which drops its triggers, so :meth:`SqliteBackend.prepare` (called by
``rebuild-search-index``) recreates them idempotently.
"""

# SQL here is built from module constants and %s placeholders only; values are always parameters.
# ruff: noqa: S608

from __future__ import annotations

from django.db import connection

from onething.search.backends.base import EXTRA_WEIGHT, NAME_WEIGHT, TABLE, Backend

FTS = "search_fts"

CREATE = [
    f"CREATE VIRTUAL TABLE IF NOT EXISTS {FTS} USING fts5(name_tokens, extra_tokens, "
    f"content='{TABLE}', content_rowid='id', tokenize='unicode61')",
    f"CREATE TRIGGER IF NOT EXISTS {FTS}_ai AFTER INSERT ON {TABLE} BEGIN "
    f"INSERT INTO {FTS}(rowid, name_tokens, extra_tokens) VALUES (new.id, new.name_tokens, new.extra_tokens); END",
    f"CREATE TRIGGER IF NOT EXISTS {FTS}_ad AFTER DELETE ON {TABLE} BEGIN "
    f"INSERT INTO {FTS}({FTS}, rowid, name_tokens, extra_tokens) "
    f"VALUES ('delete', old.id, old.name_tokens, old.extra_tokens); END",
    f"CREATE TRIGGER IF NOT EXISTS {FTS}_au AFTER UPDATE ON {TABLE} BEGIN "
    f"INSERT INTO {FTS}({FTS}, rowid, name_tokens, extra_tokens) "
    f"VALUES ('delete', old.id, old.name_tokens, old.extra_tokens); "
    f"INSERT INTO {FTS}(rowid, name_tokens, extra_tokens) VALUES (new.id, new.name_tokens, new.extra_tokens); END",
]
DROP = [
    f"DROP TRIGGER IF EXISTS {FTS}_ai",
    f"DROP TRIGGER IF EXISTS {FTS}_ad",
    f"DROP TRIGGER IF EXISTS {FTS}_au",
    f"DROP TABLE IF EXISTS {FTS}",
]


def match_expression(phrases: list[list[str]]) -> str:
    """An FTS5 query: the phrases OR-ed, each quoted (tokens are letters and digits only)."""
    return " OR ".join('"' + " ".join(p) + '"' for p in phrases)


class SqliteBackend(Backend):
    vendor = "sqlite"

    def prepare(self) -> None:
        with connection.cursor() as cursor:
            for statement in CREATE:
                cursor.execute(statement)

    def rebuild_fts(self) -> None:
        """Re-read every document into the FTS5 index (after bulk loads without triggers)."""
        with connection.cursor() as cursor:
            cursor.execute(f"INSERT INTO {FTS}({FTS}) VALUES ('rebuild')")

    def match_sql(self, phrases):
        # bm25() is lower-is-better; negate it so every backend ranks higher-is-better
        source = (
            f"(SELECT rowid AS rid, -bm25({FTS}, {NAME_WEIGHT}, {EXTRA_WEIGHT}) AS text_rank "
            f"FROM {FTS} WHERE {FTS} MATCH %s) m JOIN {TABLE} t ON t.id = m.rid"
        )
        return source, [match_expression(phrases)]
