"""Pinyin typed instead of Chinese: ``shebaoka``, ``she bao ka`` and ``sbk`` all read 社保卡.

On a phone people often search without switching the input method to Chinese. A run of latin
letters in a query is read as pinyin when it can be cut, whole, into words the index knows:
the words of the indexed item and bundle names, short keywords and themes, the glossary, the
colloquial phrases of the synonym table and the filler words. The cut is a dynamic programme
over the letters: fewest words wins (a word of two or more characters costs less than a single
character, so 社保卡 beats 社+保+卡), then the more frequent words. Spaces the person typed must
fall between syllables (``xi an`` is never 县). When full pinyin does not fit, the letters are
tried as the initials of one word of two or more characters (``sbk``; never a chain of such
words, which would read any string of letters as something). Anything that does not fit —
English, codes, letters next to digits — stays as it was typed.

The vocabulary comes from the index, so it follows publication. It is built in each process on
the first latin query (a fraction of a second for a national catalog's few thousand distinct
texts) and rebuilt when the index changes: :func:`forget` is called by the index maintenance
in this process, and a fingerprint of the text table (count and highest id) catches changes
made by other processes. Chinese queries never touch any of this.
"""

from __future__ import annotations

import re
import threading
from collections import Counter
from dataclasses import dataclass

from onething.search.normalize import CJK_RUN, RUN, is_cjk

#: a group of latin words (spaces between them allowed) not glued to digits or code punctuation
LATIN = re.compile(r"(?<![0-9a-z\-_./])[a-z]+(?: +[a-z]+)*(?![0-9a-z\-_./])")
#: the longest extra text run (a keyword, a theme) taken into the vocabulary
SHORT_RUN = 6
#: initials are tried for groups of this many letters (one letter per character of one word)
INITIALS = (2, 8)
#: curated words (glossary, colloquial phrases, filler) outweigh words seen in a few names
CURATED_WEIGHT = 5
_lock = threading.Lock()
_cache: dict[str, object] = {}


@dataclass(frozen=True)
class Entry:
    word: str
    weight: int
    #: offsets inside the key where one syllable ends and the next begins
    cuts: frozenset[int]


@dataclass(frozen=True)
class Lexicon:
    full: dict[str, Entry]
    initials: dict[str, Entry]
    longest: int

    @classmethod
    def build(cls, counts: Counter[str]) -> Lexicon:
        """The lexicon of a vocabulary (``{chinese word: weight}``)."""
        from pypinyin import Style, lazy_pinyin, pinyin

        full: dict[str, Entry] = {}
        initials: dict[str, Entry] = {}

        def add(table: dict[str, Entry], syllables: list[str], word: str, weight: int) -> None:
            if not syllables or not all(s.isascii() and s.isalpha() for s in syllables):
                return
            key = "".join(syllables)
            cuts, at = set(), 0
            for syllable in syllables[:-1]:
                at += len(syllable)
                cuts.add(at)
            known = table.get(key)
            if known is None or (weight, len(word)) > (known.weight, len(known.word)):
                table[key] = Entry(word, weight, frozenset(cuts))

        for word, weight in counts.items():
            if len(word) == 1:  # a character alone: every reading (行 is xing and hang)
                for reading in pinyin(word, style=Style.NORMAL, heteronym=True)[0]:
                    add(full, [reading], word, weight)
                continue
            add(full, lazy_pinyin(word), word, weight)  # word-level readings (银行 yinhang)
            add(initials, lazy_pinyin(word, style=Style.FIRST_LETTER), word, weight)
        longest = max((len(k) for k in full), default=0)
        return cls(full, initials, longest)


def vocabulary(names: list[str], extras: list[str]) -> Counter[str]:
    """Chinese words (with weights) of indexed names and short extra runs, and curated words."""
    from onething.search import synonyms
    from onething.search.segmentation import glossary, stopwords, words

    counts: Counter[str] = Counter()
    for name in names:
        for word in {w for w in words(name) if is_cjk(w)}:
            counts[word] += 1
        counts.update(set(ch for run in RUN.findall(name) if is_cjk(run) for ch in run))
    for extra in extras:
        counts.update({run for run in RUN.findall(extra) if is_cjk(run) and len(run) <= SHORT_RUN})
    curated = [*glossary(), *stopwords()]
    for phrase, terms in synonyms.table().items():
        curated.extend((phrase, *terms))
    for word in curated:
        if CJK_RUN.match(word):
            counts[word] += CURATED_WEIGHT
    return counts


def _fingerprint() -> tuple:
    from django.db.models import Count, Max

    from onething.search.models import SearchText

    found = SearchText.objects.aggregate(n=Count("id"), top=Max("id"))
    return (found["n"], found["top"])


def lexicon() -> Lexicon:
    """The lexicon of the current index (built once per index state and process)."""
    from onething.search.models import SearchText

    fingerprint = _fingerprint()
    with _lock:
        if _cache.get("fingerprint") != fingerprint:
            rows = list(SearchText.objects.values_list("folded_name", "folded_extra"))
            counts = vocabulary([name for name, _ in rows], [extra for _, extra in rows])
            _cache["lexicon"] = Lexicon.build(counts)
            _cache["fingerprint"] = fingerprint
        return _cache["lexicon"]  # type: ignore[return-value]


def forget() -> None:
    """Drop the lexicon (the index changed in this process)."""
    with _lock:
        _cache.clear()


def has_latin(folded: str) -> bool:
    return bool(LATIN.search(folded))


def _cost(word: str) -> float:
    return 1.0 if len(word) > 1 else 1.6


def segment(group: str, table: dict[str, Entry], longest: int) -> list[str] | None:
    """The best cut of a latin group (spaces allowed between syllables) into table words."""
    letters, spaces = "", set()
    for ch in group:
        if ch == " ":
            spaces.add(len(letters))
        else:
            letters += ch
    n = len(letters)
    # best[i]: (cost, -weight, previous position, word) of the best cut of letters[:i]
    best: list[tuple[float, int, int, str] | None] = [None] * (n + 1)
    best[0] = (0.0, 0, 0, "")
    for i in range(n):
        if best[i] is None:
            continue
        cost, weight = best[i][0], best[i][1]
        for j in range(i + 1, min(n, i + longest) + 1):
            entry = table.get(letters[i:j])
            if entry is None or any(i < p < j and p - i not in entry.cuts for p in spaces):
                continue
            candidate = (cost + _cost(entry.word), weight - entry.weight, i, entry.word)
            if best[j] is None or candidate[:2] < best[j][:2]:
                best[j] = candidate
    if best[n] is None:
        return None
    out, at = [], n
    while at > 0:
        _, _, previous, word = best[at]
        out.append(word)
        at = previous
    return out[::-1]


def read(group: str, lex: Lexicon) -> str | None:
    """The Chinese a latin group stands for, or ``None`` when it is not pinyin the index knows."""
    letters = group.replace(" ", "")
    if len(letters) < 2:
        return None
    words = segment(group, lex.full, lex.longest)
    if words is not None:
        return "".join(words)
    if INITIALS[0] <= len(letters) <= INITIALS[1]:  # initials of one known word, never a chain
        entry = lex.initials.get(letters)
        return entry.word if entry is not None else None
    return None


def convert(folded: str, lex: Lexicon | None = None) -> str | None:
    """The folded query with its pinyin written in Chinese; ``None`` when there was none."""
    if not has_latin(folded):
        return None
    lex = lexicon() if lex is None else lex
    changed = False

    def replace(match: re.Match) -> str:
        nonlocal changed
        chinese = read(match.group(0), lex)
        if chinese is None:
            return match.group(0)
        changed = True
        return chinese

    out = LATIN.sub(replace, folded)
    return out if changed else None
