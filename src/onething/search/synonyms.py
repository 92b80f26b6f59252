"""Colloquial phrasing → official terms (生孩子 → 出生、生育), maintained as data.

Real provincial catalogs carry no colloquial keywords, so everyday words are mapped to the
vocabulary official item names use. The table lives in ``data/synonyms.tsv`` so that people
who know the services, not programmers, can extend it.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from onething.search.normalize import fold
from onething.search.segmentation import DATA


@dataclass(frozen=True)
class Match:
    """A colloquial phrase found in a query, where, and the official terms it stands for."""

    phrase: str
    start: int
    end: int
    terms: tuple[str, ...]


@lru_cache(maxsize=1)
def table() -> dict[str, tuple[str, ...]]:
    """The synonym table, folded: ``{colloquial: (official, …)}``."""
    out: dict[str, tuple[str, ...]] = {}
    text = DATA.joinpath("synonyms.tsv").read_text("utf-8")
    for line in text.splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        phrase, _, terms = line.partition("\t")
        key = fold(phrase)
        official = tuple(t for t in (fold(x) for x in terms.split("|")) if t)
        if key and official:
            out[key] = tuple(dict.fromkeys((*out.get(key, ()), *official)))
    return out


@lru_cache(maxsize=1)
def _by_length() -> tuple[str, ...]:
    return tuple(sorted(table(), key=len, reverse=True))


def find(folded_query: str) -> list[Match]:
    """Colloquial phrases in a folded query, longest first, never overlapping."""
    taken = [False] * len(folded_query)
    found: list[Match] = []
    for phrase in _by_length():
        start = folded_query.find(phrase)
        while start >= 0:
            end = start + len(phrase)
            if not any(taken[start:end]):
                taken[start:end] = [True] * len(phrase)
                found.append(Match(phrase, start, end, table()[phrase]))
            start = folded_query.find(phrase, end)
    return sorted(found, key=lambda m: m.start)
