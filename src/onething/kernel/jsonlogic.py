"""JSON Logic conditions (jsonlogic.com) over an applicant's answers — no ``eval``.

Evaluation uses the maintained ``panzi-json-logic`` implementation. This module adds what the
catalog needs on top: a *well-formedness* check that accepts only a known set of operators
with sensible arities, and the list of variables a condition names, so an import can refuse a
condition that names a question the bundle does not declare.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from json_logic import jsonLogic

#: Operators a catalog condition may use, with (min, max) argument counts (None = unbounded).
OPERATORS: dict[str, tuple[int, int | None]] = {
    "var": (0, 2),
    "missing": (0, None),
    "missing_some": (2, 2),
    "if": (1, None),
    "?:": (3, 3),
    "==": (2, 2),
    "===": (2, 2),
    "!=": (2, 2),
    "!==": (2, 2),
    "!": (1, 1),
    "!!": (1, 1),
    "or": (1, None),
    "and": (1, None),
    ">": (2, 2),
    ">=": (2, 2),
    "<": (2, 3),
    "<=": (2, 3),
    "max": (1, None),
    "min": (1, None),
    "+": (0, None),
    "-": (1, 2),
    "*": (1, None),
    "/": (2, 2),
    "%": (2, 2),
    "in": (2, 2),
    "cat": (0, None),
    "substr": (2, 3),
}


class ConditionError(ValueError):
    """A malformed condition; the message is Chinese and names what is wrong."""


def _walk(node: Any, names: set[str], depth: int) -> None:
    if depth > 32:
        raise ConditionError("条件嵌套过深")
    if isinstance(node, list):
        for child in node:
            _walk(child, names, depth + 1)
        return
    if not isinstance(node, dict):
        if node is None or isinstance(node, str | int | float | bool):
            return
        raise ConditionError(f"条件中含有不支持的值：{node!r}")
    if len(node) != 1:
        raise ConditionError("每个条件对象只能有一个运算符")
    ((op, args),) = node.items()
    if op not in OPERATORS:
        raise ConditionError(f"不支持的运算符：{op}")
    arg_list = args if isinstance(args, list) else [args]
    low, high = OPERATORS[op]
    if len(arg_list) < low or (high is not None and len(arg_list) > high):
        raise ConditionError(f"运算符 {op} 的参数个数不正确")
    if op == "var":
        if not arg_list or arg_list[0] in ("", None):
            raise ConditionError("var 必须指明问题")
        if not isinstance(arg_list[0], str):
            raise ConditionError("var 的参数应为问题标识（字符串）")
        names.add(arg_list[0].split(".")[0])
        for child in arg_list[1:]:
            _walk(child, names, depth + 1)
        return
    if op in ("missing", "missing_some"):
        flat = arg_list[1] if op == "missing_some" else arg_list
        for name in flat if isinstance(flat, list) else [flat]:
            if isinstance(name, str):
                names.add(name.split(".")[0])
    for child in arg_list:
        _walk(child, names, depth + 1)


def check_condition(condition: Any) -> set[str]:
    """Validate ``condition`` and return the question ids it names.

    ``None``/absent and booleans are valid (always / constant). Raises
    :class:`ConditionError` for anything malformed.
    """
    if condition is None or isinstance(condition, bool):
        return set()
    if not isinstance(condition, dict):
        raise ConditionError("条件应为 JSON Logic 对象、布尔值或空")
    names: set[str] = set()
    _walk(condition, names, 0)
    return names


def evaluate(condition: Any, answers: Mapping[str, Any]) -> bool:
    """Truth of ``condition`` for ``answers``; ``None`` means always true."""
    if condition is None:
        return True
    if isinstance(condition, bool):
        return condition
    return bool(jsonLogic(condition, dict(answers)))
