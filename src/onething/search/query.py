"""Query understanding: from what a person typed to the concepts to look for.

A query is folded (Traditional → Simplified, full-width → half-width), colloquial phrases
are replaced by their official alternatives (驾照 → 驾驶证), and the rest is segmented with
the glossary-aware jieba; filler words (我想、怎么办) are dropped. Each remaining piece is a
*concept*; a document matches a concept when it contains any of its alternatives. Concepts are
OR-ed for recall, and ranking rewards documents covering more of them.
"""

from __future__ import annotations

from dataclasses import dataclass

from onething.search import synonyms
from onething.search.normalize import fold, runs
from onething.search.segmentation import phrase_of, stopwords, words

MAX_LENGTH = 100


@dataclass(frozen=True)
class Concept:
    text: str
    alternatives: tuple[str, ...]


@dataclass(frozen=True)
class ParsedQuery:
    folded: str
    concepts: tuple[Concept, ...]

    @property
    def compact(self) -> str:
        """The folded query without spaces or punctuation (for exact-name comparison)."""
        return "".join(runs(self.folded))

    def phrases(self) -> list[list[str]]:
        """Every alternative as the sequence of index tokens it must match, deduplicated."""
        seen: dict[tuple[str, ...], None] = {}
        for concept in self.concepts:
            for term in concept.alternatives:
                seen.setdefault(tuple(phrase_of(term)), None)
        return [list(p) for p in seen]

    def __bool__(self) -> bool:
        return bool(self.concepts)


def _plain_concepts(text: str) -> list[Concept]:
    out = []
    for word in words(text, search_mode=False):
        if word not in stopwords():
            out.append(Concept(word, (word,)))
    return out


def parse(q: str) -> ParsedQuery:
    """The concepts of a query (an empty result when nothing meaningful is left)."""
    folded = fold(q)[:MAX_LENGTH]
    concepts: list[Concept] = []
    cursor = 0
    for match in synonyms.find(folded):
        concepts.extend(_plain_concepts(folded[cursor : match.start]))
        concepts.append(Concept(match.phrase, (match.phrase, *match.terms)))
        cursor = match.end
    concepts.extend(_plain_concepts(folded[cursor:]))
    if not concepts:  # only filler words: search for them rather than for nothing
        concepts = [Concept(w, (w,)) for w in words(folded, search_mode=False)]
    if any(len(c.text) > 1 for c in concepts):  # a stray single character only adds noise
        concepts = [c for c in concepts if len(c.alternatives) > 1 or len(c.text) > 1]
    unique = {c.text: c for c in concepts}
    return ParsedQuery(folded, tuple(unique.values()))
