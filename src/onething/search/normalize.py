"""Folding text to one canonical form before it is indexed or searched.

People type Traditional characters (開飯館), full-width letters and digits from Chinese input
methods (ＡＢＣ１２), mixed case and stray punctuation. Documents and queries go through the
same :func:`fold`, so whatever a person types meets the index on equal terms.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

import opencc

#: CJK ideographs (basic block and extension A) and the compatibility block
_CJK = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
#: runs that carry meaning: CJK text, or latin letters and digits
RUN = re.compile(rf"[{_CJK}]+|[a-z0-9]+")
CJK_RUN = re.compile(rf"^[{_CJK}]+$")


@lru_cache(maxsize=1)
def _t2s() -> opencc.OpenCC:
    return opencc.OpenCC("t2s")


def fold(text: str) -> str:
    """Full-width → half-width (NFKC), Traditional → Simplified, lower case, one space."""
    text = unicodedata.normalize("NFKC", text or "")
    text = "".join(ch if ch.isprintable() else " " for ch in text)
    text = _t2s().convert(text)
    return " ".join(text.lower().split())


def runs(folded: str) -> list[str]:
    """The meaningful runs of a folded text, punctuation and spaces dropped."""
    return RUN.findall(folded)


def is_cjk(token: str) -> bool:
    return bool(CJK_RUN.match(token))
