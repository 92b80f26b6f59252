"""Ranking of full-text candidates: what people expect first.

The backend's text rank (bm25 / ts_rank) only knows tokens. On top of it, in order of weight:
an exact name match (出生登记 → 出生登记（户口登记）), how many of the query's concepts the
*name* covers, the whole query appearing in the name, concepts covered by the surrounding
text; and a bundle multiplier so a 一件事 comes first when it matches about as well as its
member items. Documents sharing a text share its score; among them the higher-level
regions come first. The text rank is normalised within the candidate set so the two backends,
whose raw ranks have different scales, order results the same way.
"""

from __future__ import annotations

import re

from onething.search.backends import Candidate
from onething.search.query import ParsedQuery

EXACT = 3.0
NAME_COVERAGE = 2.0
WHOLE_QUERY_IN_NAME = 0.5
EXTRA_COVERAGE = 0.6
TEXT_RANK = 0.5
BUNDLE_FACTOR = 1.2

_PARENTHESES = re.compile(r"\([^)]*\)")


def _compact(text: str) -> str:
    return "".join(ch for ch in text if ch.isalnum())


def score(candidate: Candidate, query: ParsedQuery, top_rank: float, compact: str | None = None) -> float:
    """The relevance of one candidate text (``compact`` = ``query.compact``, passed when known)."""
    concepts = query.concepts
    compact = query.compact if compact is None else compact
    name = candidate.folded_name
    extra = candidate.folded_extra
    in_name = in_extra = 0
    for concept in concepts:
        if any(alt in name for alt in concept.alternatives):
            in_name += 1
        elif any(alt in extra for alt in concept.alternatives):
            in_extra += 1
    exact = whole = False
    if compact and compact[0] in name and compact[-1] in name:  # cheap test first: most fail it
        compact_name = _compact(name)
        exact = compact in (compact_name, _compact(_PARENTHESES.sub("", name)))
        whole = len(compact) > 1 and compact in compact_name
    value = (
        EXACT * exact
        + NAME_COVERAGE * in_name / len(concepts)
        + WHOLE_QUERY_IN_NAME * whole
        + EXTRA_COVERAGE * in_extra / len(concepts)
        + TEXT_RANK * (candidate.rank / top_rank if top_rank > 0 else 0.0)
    )
    if candidate.kind == "bundle":
        value *= BUNDLE_FACTOR
    return round(value, 4)


def rank(candidates: list[Candidate], query: ParsedQuery) -> list[tuple[float, Candidate]]:
    """Candidate texts with their scores, best first; ties: bundles first, then stable by id."""
    top = max((c.rank for c in candidates), default=0.0)
    compact = query.compact
    scored = [(score(c, query, top, compact), c) for c in candidates]
    scored.sort(key=lambda sc: (-sc[0], sc[1].kind != "bundle", sc[1].id))
    return scored
