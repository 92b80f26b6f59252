"""Chinese word segmentation with the government-service glossary, and index tokens.

jieba alone cuts official terms apart (社会保障卡 → 社会/保障/卡), so a private tokenizer
loads the glossary in ``data/glossary.txt``; the global ``jieba`` instance is left alone for
other users in the process.

Index tokens are the jieba search-mode words *plus* the character unigrams and bigrams of
every CJK run. The bigram sequence is what lets any substring of two or more characters be
found as a phrase (驾驶证 = "驾驶 驶证"), even when the segmenter cut the text differently than
the query; unigrams make one-character queries (税) work.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable
from functools import lru_cache
from importlib import resources

import jieba

from onething.search.normalize import fold, is_cjk, runs

DATA = resources.files("onething.search").joinpath("data")
_lock = threading.Lock()


def _data_lines(name: str) -> list[str]:
    text = DATA.joinpath(name).read_text("utf-8")
    return [line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#")]


@lru_cache(maxsize=1)
def glossary() -> tuple[str, ...]:
    """Official terms of the glossary (folded), in file order."""
    return tuple(fold(line.split()[0]) for line in _data_lines("glossary.txt"))


@lru_cache(maxsize=1)
def stopwords() -> frozenset[str]:
    return frozenset(fold(line) for line in _data_lines("stopwords.txt"))


@lru_cache(maxsize=1)
def tokenizer() -> jieba.Tokenizer:
    """A jieba tokenizer with the glossary loaded (built once per process, thread-safe)."""
    with _lock:
        logging.getLogger("jieba").setLevel(logging.WARNING)
        jieba.setLogLevel(logging.WARNING)
        tok = jieba.Tokenizer()
        tok.initialize()
        for line in _data_lines("glossary.txt"):
            parts = line.split()
            freq = int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else None
            tok.add_word(fold(parts[0]), freq=freq)
        return tok


def words(folded: str, *, search_mode: bool = True) -> list[str]:
    """Words of a folded text: jieba (search mode adds the shorter words inside long ones)."""
    tok = tokenizer()
    out: list[str] = []
    for run in runs(folded):
        if not is_cjk(run):
            out.append(run)
            continue
        cut = tok.cut_for_search(run, HMM=False) if search_mode else tok.cut(run, HMM=False)
        out.extend(w for w in cut if w.strip())
    return out


def grams(folded: str) -> tuple[list[str], list[str]]:
    """(bigrams in text order, unigrams) of the CJK runs of a folded text."""
    bigrams: list[str] = []
    unigrams: list[str] = []
    for run in runs(folded):
        if not is_cjk(run):
            continue
        unigrams.extend(run)
        bigrams.extend(run[i : i + 2] for i in range(len(run) - 1))
    return bigrams, unigrams


def index_tokens(texts: Iterable[str]) -> str:
    """The pre-segmented token text stored in the index (space-separated, folded).

    Bigrams of each text come as one contiguous sequence so phrase queries over them find
    substrings; jieba words and unigrams follow.
    """
    parts: list[str] = []
    for text in texts:
        folded = fold(text)
        if not folded:
            continue
        bigrams, unigrams = grams(folded)
        parts.extend(bigrams)
        parts.extend(words(folded))
        parts.extend(unigrams)
    return " ".join(parts)


def phrase_of(term: str) -> list[str]:
    """The index tokens a query term must match in sequence: its bigrams, or itself.

    One- and two-character terms and latin words are single tokens; a longer CJK term is the
    chain of its bigrams (驾驶证 → 驾驶, 驶证), which matches wherever it is a substring.
    """
    if not is_cjk(term) or len(term) <= 2:
        return [term]
    return [term[i : i + 2] for i in range(len(term) - 1)]
