"""The one rule for text and numbers that arrive from outside and may be stored.

Every boundary — API schemas, web forms, headers, query parameters, path segments, JSON
documents inside a body — asks the same questions here, so a value refused in one place is
refused in all of them:

* no control characters other than tab and newline (NUL is refused by PostgreSQL, the others
  are never typed by a person and hide text from reviewers); ``\\r\\n`` from a browser's
  ``<textarea>`` is folded to ``\\n`` first;
* no lone surrogates (not text at all: they cannot be encoded, stored or hashed);
* a stated length, at most what the database column holds;
* single-line values (names, numbers, codes) have no line breaks or tabs;
* integers are ASCII digits only (``٣``, ``３``, ``²`` and ``1_000`` are not numbers a form
  means), within stated bounds;
* dates are ISO dates within stated bounds (no commitment for the year 9999);
* JSON documents are bounded in depth, size and string length.

Each check returns a Chinese *reason* ("含有不可见的控制字符") or raises :class:`TextError`
with one; the caller adds the field's name. Pure: no Django, no web framework.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

#: C0 controls except tab (\x09) and newline (\x0a), DEL and the C1 controls
CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
#: lone surrogates: only reachable through JSON escapes ("\ud800") or surrogateescape decoding
SURROGATE = re.compile(r"[\ud800-\udfff]")
SINGLE_LINE_BREAKS = re.compile(r"[\t\n]")
ASCII_INTEGER = re.compile(r"-?[0-9]{1,18}")

#: bounds for a JSON document sent as one field (``answers``, ``form``, an authorisation)
JSON_MAX_DEPTH = 4
JSON_MAX_ITEMS = 200
JSON_MAX_KEY = 100
JSON_MAX_STRING = 4000


class TextError(ValueError):
    """A refused value; ``reason`` is Chinese and does not name the field (the caller does)."""

    def __init__(self, reason: str, path: str = ""):
        super().__init__(reason)
        self.reason = reason
        #: inside a JSON document: where (``"mother.name"``, ``"items.3"``); empty otherwise
        self.path = path


def fold_newlines(value: str) -> str:
    """``\\r\\n`` and lone ``\\r`` (browsers, Windows clipboards) as ``\\n``."""
    return value.replace("\r\n", "\n").replace("\r", "\n") if "\r" in value else value


def text_problem(value: Any, *, max_length: int | None = None, multiline: bool = False) -> str | None:
    """Why ``value`` may not be stored as text, or ``None`` when it may (after folding newlines)."""
    if not isinstance(value, str):
        return "应为文字"
    if SURROGATE.search(value):
        return "含有无法识别的字符（不完整的编码）"
    value = fold_newlines(value)
    if CONTROL.search(value):
        return "含有不可见的控制字符"
    if not multiline and SINGLE_LINE_BREAKS.search(value):
        return "不能包含换行或制表符"
    if max_length is not None and len(value) > max_length:
        return f"不能超过{max_length}个字符（现为{len(value)}个）"
    return None


def clean_text(
    value: Any, *, max_length: int | None = None, multiline: bool = False, strip: bool = True
) -> str:
    """``value`` as it may be stored (newlines folded, optionally stripped), or :class:`TextError`."""
    reason = text_problem(value, max_length=None, multiline=multiline)
    if reason:
        raise TextError(reason)
    value = fold_newlines(value)
    if strip:
        value = value.strip()
    if max_length is not None and len(value) > max_length:
        raise TextError(f"不能超过{max_length}个字符（现为{len(value)}个）")
    return value


def parse_int(value: Any, *, minimum: int | None = None, maximum: int | None = None) -> int:
    """An integer from an int (never a bool) or from ASCII digits; within the bounds."""
    if isinstance(value, bool):
        raise TextError("应为整数")
    if isinstance(value, str):
        text = value.strip()
        if not ASCII_INTEGER.fullmatch(text):
            raise TextError("应为整数（阿拉伯数字）")
        value = int(text)
    if not isinstance(value, int):
        raise TextError("应为整数")
    if minimum is not None and value < minimum:
        raise TextError(f"不能小于{minimum}")
    if maximum is not None and value > maximum:
        raise TextError(f"不能大于{maximum}")
    return value


def parse_date(value: Any, *, earliest: dt.date | None = None, latest: dt.date | None = None) -> dt.date:
    """A date from a ``date`` or an ISO ``YYYY-MM-DD`` string; within the bounds."""
    if isinstance(value, dt.datetime):
        raise TextError("应为日期，格式 YYYY-MM-DD")
    if isinstance(value, str):
        text = value.strip()
        if not re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", text):
            raise TextError("应为日期，格式 YYYY-MM-DD")
        try:
            value = dt.date.fromisoformat(text)
        except ValueError:
            raise TextError("不是有效的日期")
    if not isinstance(value, dt.date):
        raise TextError("应为日期，格式 YYYY-MM-DD")
    if earliest is not None and value < earliest:
        raise TextError(f"不能早于{earliest.isoformat()}")
    if latest is not None and value > latest:
        raise TextError(f"不能晚于{latest.isoformat()}")
    return value


def check_json(
    value: Any,
    *,
    max_depth: int = JSON_MAX_DEPTH,
    max_items: int = JSON_MAX_ITEMS,
    max_key: int = JSON_MAX_KEY,
    max_string: int = JSON_MAX_STRING,
) -> None:
    """Refuse a JSON document that is too deep, too large, or carries text that may not be stored
    (keys included). :class:`TextError` names the place (``path``) of the first fault."""
    budget = [max_items]

    def walk(node: Any, path: str, depth: int) -> None:
        if depth > max_depth:
            raise TextError(f"嵌套不能超过{max_depth}层", path)
        if isinstance(node, dict | list):
            budget[0] -= len(node)
            if budget[0] < 0:
                raise TextError(f"内容过多（最多{max_items}项）", path)
        if isinstance(node, dict):
            for key, item in node.items():
                reason = text_problem(key, max_length=max_key)
                where = f"{path}.{key}" if path else str(key)
                if reason:
                    raise TextError(f"名称{reason}", path or "")
                walk(item, where, depth + 1)
        elif isinstance(node, list):
            for n, item in enumerate(node):
                walk(item, f"{path}.{n}" if path else str(n), depth + 1)
        elif isinstance(node, str):
            reason = text_problem(node, max_length=max_string, multiline=True)
            if reason:
                raise TextError(reason, path)
        elif isinstance(node, float) and node != node:  # NaN never comes from a person
            raise TextError("不是有效的数字", path)

    walk(value, "", 0)
