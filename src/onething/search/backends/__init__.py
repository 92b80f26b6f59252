"""Full-text backends behind one interface: SQLite FTS5 and PostgreSQL tsvector.

Both index the same pre-segmented token text (:mod:`onething.search.segmentation`) and answer
the same question — the best ``limit`` candidates for a list of token phrases within a region
scope, with the engine's relevance score — so ranking, results and tests are shared.
"""

from __future__ import annotations

from django.conf import settings
from django.db import connection

from onething.search.backends.base import Backend, Candidate

__all__ = ["Backend", "Candidate", "get"]


def get() -> Backend:
    """The backend for the default database (``ONETHING['SEARCH_BACKEND']`` may force one)."""
    choice = settings.ONETHING.get("SEARCH_BACKEND", "auto")
    vendor = connection.vendor if choice == "auto" else choice
    if vendor in ("postgresql", "postgres"):
        from onething.search.backends.postgres import PostgresBackend

        return PostgresBackend()
    from onething.search.backends.sqlite import SqliteBackend

    return SqliteBackend()
