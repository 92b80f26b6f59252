"""Fixtures of the search tests."""

from __future__ import annotations

import pytest


@pytest.fixture
def no_keywords(demo):
    """Republish the demo items and bundles without keywords, like a real provincial catalog."""
    from onething.catalog.models import Revision
    from onething.catalog.publishing import record_revision

    for kind in ("item", "bundle"):
        for data in list(Revision.objects.filter(kind=kind, current=True).values_list("data", flat=True)):
            if data.get("keywords"):
                record_revision(kind, {**data, "keywords": []}, reason="测试：去掉关键词")


@pytest.fixture
def find():
    """``find("生孩子", region="430602")`` → the search results."""
    from onething.search.engine import search
    from onething.search.regions import scope

    def run(q: str, region: str | None = None, limit: int = 20) -> list[dict]:
        return search(q, scope(region) if region else None, limit)

    return run
