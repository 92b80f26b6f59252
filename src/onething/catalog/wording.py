"""Catalog conditions and dependencies in words, for applicants, clerks and maintainers.

One wording everywhere — the guidance page, the generated guides, the portal and the admin —
so a citizen reads the same sentence about the same condition wherever they meet it. Pure
functions over exchange-format records (no Django): a JSON Logic ``when`` condition over a
bundle's questions becomes e.g. “当‘企业是否为职工参加了社会保险？’为‘是’时办理”.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

FALLBACK = "满足特定情形时"


class _Unknown(Exception):
    """A condition this describer does not put into words."""


def _var_name(node: Any) -> str:
    if isinstance(node, Mapping) and set(node) == {"var"}:
        name = node["var"]
        if isinstance(name, list) and name:
            name = name[0]
        if isinstance(name, str) and name:
            return name
    raise _Unknown


def _value_text(value: Any, question: Mapping | None) -> str:
    if isinstance(value, bool):
        return "是" if value else "否"
    if value is None:
        return "未填写"
    if isinstance(value, int | float | str):
        return str(value)
    raise _Unknown


def _question_text(name: str, questions: Mapping[str, Mapping]) -> str:
    question = questions.get(name)
    if question is None or not question.get("text"):
        raise _Unknown
    return f"‘{question['text']}’"


def _comparison(node: Mapping, questions: Mapping[str, Mapping], negate: bool) -> str:
    op = next(iter(node))
    args = node[op]
    if not isinstance(args, list) or len(args) != 2:
        raise _Unknown
    left, right = args
    try:
        name, value = _var_name(left), right
    except _Unknown:
        name, value = _var_name(right), left
    if isinstance(value, Mapping):
        raise _Unknown
    question = questions.get(name)
    subject = _question_text(name, questions)
    verb = "不为" if negate else "为"
    return f"{subject}{verb}‘{_value_text(value, question)}’"


def _describe(node: Any, questions: Mapping[str, Mapping], depth: int = 0) -> str:
    if depth > 8:
        raise _Unknown
    if isinstance(node, Mapping) and len(node) == 1:
        op = next(iter(node))
        args = node[op]
        if op in ("==", "==="):
            return _comparison(node, questions, negate=False)
        if op in ("!=", "!=="):
            return _comparison(node, questions, negate=True)
        if op == "var":
            return f"{_question_text(_var_name(node), questions)}为‘是’"
        if op in ("!", "!!"):
            inner = args[0] if isinstance(args, list) and len(args) == 1 else args
            if isinstance(inner, Mapping) and set(inner) == {"var"}:
                value = "否" if op == "!" else "是"
                return f"{_question_text(_var_name(inner), questions)}为‘{value}’"
            text = _describe(inner, questions, depth + 1)
            return f"并非（{text}）" if op == "!" else text
        if op == "in":
            if not isinstance(args, list) or len(args) != 2:
                raise _Unknown
            needle, haystack = args
            if isinstance(haystack, list) and not isinstance(needle, list):
                values = "或".join(f"‘{_value_text(v, None)}’" for v in haystack)
                if not values:
                    raise _Unknown
                return f"{_question_text(_var_name(needle), questions)}为{values}"
            if isinstance(needle, str):
                return f"{_question_text(_var_name(haystack), questions)}包含‘{needle}’"
            raise _Unknown
        if op in ("and", "or"):
            if not isinstance(args, list) or not args:
                raise _Unknown
            parts = [_describe(a, questions, depth + 1) for a in args]
            if len(parts) == 1:
                return parts[0]
            joiner = "，且" if op == "and" else "，或"
            if depth > 0:
                return "（" + joiner.join(parts) + "）"
            return joiner.join(parts)
    raise _Unknown


def question_index(questions: Iterable[Any] | Mapping[str, Any] | None) -> dict[str, Mapping]:
    """Questions by id, as mappings with ``text``; accepts dicts or objects with ``id``/``text``."""
    if isinstance(questions, Mapping):
        questions = questions.values()
    out: dict[str, Mapping] = {}
    for q in questions or []:
        if isinstance(q, Mapping):
            if q.get("id"):
                out[q["id"]] = q
        elif getattr(q, "id", None):
            out[q.id] = {"id": q.id, "text": getattr(q, "text", ""), "type": getattr(q, "type", "")}
    return out


def describe_condition(
    condition: Any, questions: Iterable[Mapping] | Mapping[str, Mapping] | None, action: str = "办理"
) -> str:
    """A JSON Logic ``when`` condition in Chinese, e.g. “当‘企业是否……？’为‘是’时办理”.

    Handles ``==``, ``!=``, ``in``, ``and``, ``or``, ``!`` over ``var`` of the bundle's questions;
    anything else (or an unknown question) falls back to “满足特定情形时办理”.
    """
    if condition is None or condition is True or condition == {}:
        return f"所有情形均需{action}"
    if condition is False:
        return "暂不适用"
    index = question_index(questions)
    try:
        return f"当{_describe(condition, index)}时{action}"
    except (_Unknown, StopIteration, TypeError, KeyError):
        return f"{FALLBACK}{action}"


def describe_after(
    after: Iterable[str] | None, names: Mapping[str, str], conditional: Iterable[str] = ()
) -> str:
    """“在‘清税证明开具’、‘社会保险注销登记’（如涉及）办结后办理”.

    ``conditional`` names the members that only apply in some situations: a dependency on a
    member that does not apply simply falls away, which “（如涉及）” says.
    """
    codes = [c for c in (after or []) if c]
    if not codes:
        return ""
    maybe = set(conditional)
    listed = "、".join(f"‘{names.get(c, c)}’" + ("（如涉及）" if c in maybe else "") for c in codes)
    return f"在{listed}办结后办理"
