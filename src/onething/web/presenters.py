"""Turning published catalog records into what a citizen reads.

Pure functions over the exchange-format dicts returned by :mod:`onething.catalog.views`:
conditions in words, dependencies in words, limits, the stages of a bundle and its material
overview. No database access here except where a function says so.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from onething.catalog.models import AUDIENCES, EXEMPT_VIA, LEVELS, MATERIAL_KINDS

AUDIENCE_NAMES = dict(AUDIENCES)
LEVEL_NAMES = dict(LEVELS)
EXEMPT_NAMES = dict(EXEMPT_VIA)
KIND_NAMES = dict(MATERIAL_KINDS)
RESULT_TYPES = {
    "certificate": "证照",
    "approval": "批准文书",
    "record": "备案 / 登记回执",
    "payment": "款项发放",
    "other": "其他",
}
FALLBACK = "满足特定情形时办理"

# Life events (个人) and enterprise life-cycle stages (法人) shown as tiles on the home page.
PERSON_THEMES = ["生育", "教育", "就业", "婚姻", "住房", "退休", "身后", "社保", "户籍", "出行"]
ENTERPRISE_THEMES = ["开办", "变更", "经营", "注销"]
THEME_MARKS = {
    "生育": "育",
    "教育": "教",
    "就业": "业",
    "婚姻": "婚",
    "住房": "房",
    "退休": "休",
    "身后": "身",
    "社保": "保",
    "户籍": "户",
    "出行": "行",
    "开办": "开",
    "变更": "变",
    "经营": "营",
    "注销": "销",
}


# ----------------------------------------------------------------------------- conditions


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


def question_index(questions: Iterable[Mapping] | None) -> dict[str, Mapping]:
    return {q["id"]: q for q in (questions or []) if isinstance(q, Mapping) and q.get("id")}


def describe_condition(
    condition: Any, questions: Iterable[Mapping] | Mapping[str, Mapping] | None, action: str = "办理"
) -> str:
    """A JSON Logic ``when`` condition in Chinese, e.g. “当‘企业是否……？’为‘是’时办理”.

    Handles ``==``, ``!=``, ``in``, ``and``, ``or``, ``!`` over ``var`` of the bundle's questions;
    anything else (or an unknown question) falls back to “满足特定情形时办理”.
    """
    if condition is None or condition is True or condition == {}:
        return f"所有情形均需{action}"
    index = questions if isinstance(questions, Mapping) else question_index(questions)
    try:
        return f"当{_describe(condition, index)}时{action}"
    except (_Unknown, StopIteration, TypeError, KeyError):
        return f"满足特定情形时{action}"


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


# ----------------------------------------------------------------------------- limits & labels


def limit_text(days: int | None) -> str:
    if days is None:
        return "—"
    if days == 0:
        return "即办件（当场办结）"
    return f"{days} 个工作日"


def legal_limit_text(days: int | None) -> str:
    if days is None or days == 0:
        return "法律法规未规定办结时限"
    return f"{days} 个工作日"


def fee_text(fee: Mapping | None) -> str:
    fee = fee or {}
    if not fee.get("charged"):
        return "不收费"
    amount = fee.get("amount_yuan")
    text = "收费"
    if amount is not None:
        text = f"{amount:g} 元" if isinstance(amount, int | float) else f"{amount} 元"
    return text


def material_remarks(material: Mapping, questions: Mapping[str, Mapping] | None = None) -> list[str]:
    """Notes shown next to a material: how an exempt one is obtained, its note, its condition."""
    remarks = []
    if material.get("exempt"):
        via = EXEMPT_NAMES.get(material.get("exempt_via") or "", "电子证照或数据共享")
        remarks.append(f"通过{via}获取，无需提交")
    if material.get("note"):
        remarks.append(str(material["note"]))
    if material.get("when"):
        remarks.append(describe_condition(material["when"], questions or {}, "提交"))
    return remarks


# ----------------------------------------------------------------------------- bundles


def stages(members: list[Mapping]) -> list[list[Mapping]]:
    """Members grouped into stages: a member comes one stage after the latest of its ``after``.

    Members in the same stage can run in parallel (并联办理). Unknown or cyclic references are
    ignored (validation refuses cycles before publication anyway).
    """
    by_code = {m["item"]: m for m in members}
    depth: dict[str, int] = {}

    def level(code: str, seen: frozenset[str]) -> int:
        if code in depth:
            return depth[code]
        if code in seen:
            return 0
        parents = [p for p in by_code[code].get("after") or [] if p in by_code]
        value = 1 + max((level(p, seen | {code}) for p in parents), default=-1)
        depth[code] = value
        return value

    for code in by_code:
        level(code, frozenset())
    out: list[list[Mapping]] = [[] for _ in range(max(depth.values(), default=-1) + 1)]
    for member in members:
        out[depth[member["item"]]].append(member)
    return out


def longest_path_days(members: list[Mapping]) -> int:
    """Longest path through the ``after`` graph weighted by promised limits (all members apply)."""
    by_code = {m["item"]: m for m in members}
    memo: dict[str, int] = {}

    def finish(code: str, seen: frozenset[str]) -> int:
        if code in memo:
            return memo[code]
        if code in seen:
            return 0
        member = by_code[code]
        parents = [p for p in member.get("after") or [] if p in by_code]
        value = (member.get("promised_limit") or 0) + max(
            (finish(p, seen | {code}) for p in parents), default=0
        )
        memo[code] = value
        return value

    return max((finish(c, frozenset()) for c in by_code), default=0)


def material_overview(members: list[Mapping], items: Mapping[str, Mapping]) -> list[dict]:
    """The merged material list when every member applies: each material type once.

    ``items`` maps member item codes to their full views (``item_view``). A material is
    *conditional* when every occurrence depends on a member or material condition.
    """
    merged: dict[str, dict] = {}
    for member in members:
        item = items.get(member["item"])
        if not item:
            continue
        for material in item["materials"]:
            conditional = bool(member.get("when")) or bool(material.get("when"))
            line = merged.get(material["material"])
            if line is None:
                merged[material["material"]] = {
                    "material": material["material"],
                    "name": material["name"],
                    "originals": material.get("originals", 0),
                    "copies": material.get("copies", 0),
                    "required": material.get("required", True),
                    "exempt": material.get("exempt", False),
                    "exempt_via": EXEMPT_NAMES.get(material.get("exempt_via") or "", ""),
                    "conditional": conditional,
                    "items": [item["name"]],
                }
                continue
            line["originals"] = max(line["originals"], material.get("originals", 0))
            line["copies"] = max(line["copies"], material.get("copies", 0))
            line["required"] = line["required"] or material.get("required", True)
            line["conditional"] = line["conditional"] and conditional
            if item["name"] not in line["items"]:
                line["items"].append(item["name"])
    return sorted(merged.values(), key=lambda m: (m["exempt"], m["conditional"]))


def reduction_all_members(members: list[Mapping], items: Mapping[str, Mapping], limit: int) -> dict:
    """Separately vs. bundled when every member applies (an upper bound shown on the page)."""
    member_items = [items[m["item"]] for m in members if m["item"] in items]
    overview = material_overview(members, items)
    visits = [i.get("visits", 0) for i in member_items]
    return {
        "applications": (len(member_items), 1),
        "materials": (
            sum(len(i["materials"]) for i in member_items),
            sum(1 for m in overview if not m["exempt"]),
        ),
        "visits": (sum(visits), max(visits, default=0)),
        "days": (sum(i.get("promised_limit", 0) for i in member_items), limit),
        "departments": len({i["department"]["code"] for i in member_items}),
    }
