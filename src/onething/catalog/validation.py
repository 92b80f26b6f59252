"""Validation of catalog records: the JSON Schema, then the rules the schema cannot express.

Every fault names the record (kind + code) and the field, in Chinese, so a maintainer can fix
a 5,000-record file from the report alone. The same checks guard import, publication in the
admin and the fuzz tests: one set of rules, one set of messages.

Rules beyond the schema: code checksums and region/parent consistency (domain facts), unique
codes, references to regions, departments, material types, data elements and items (in the
same file or already in the catalog), promised ≤ legal limit, JSON Logic well-formed and naming
only the bundle's questions, ``after`` naming members of the same bundle, no dependency cycles.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Any

from jsonschema import Draft202012Validator

from onething.catalog.normalize import KEY_OF_KIND, KIND_NAMES, KIND_OF_LIST
from onething.kernel import codes
from onething.kernel.jsonlogic import ConditionError, check_condition

MAX_FAULTS = 1000


@dataclass(frozen=True)
class Fault:
    kind: str
    code: str
    field: str
    message: str

    def __str__(self) -> str:
        where = " ".join(part for part in (KIND_NAMES.get(self.kind, self.kind), self.code) if part)
        return f"{where} · {self.field}：{self.message}" if self.field else f"{where}：{self.message}"

    def as_dict(self) -> dict[str, str]:
        return {"kind": self.kind, "code": self.code, "field": self.field, "message": self.message}


@dataclass
class Known:
    """Records that already exist in the catalog (references may point to them)."""

    regions: dict[str, str] = field(default_factory=dict)  # code -> level
    departments: set[str] = field(default_factory=set)
    materials: set[str] = field(default_factory=set)
    data_elements: set[str] = field(default_factory=set)
    items: dict[str, dict] = field(default_factory=dict)  # code -> exchange record (for bundle checks)


@cache
def schema() -> dict:
    return json.loads(resources.files("onething.catalog").joinpath("catalog.schema.json").read_text("utf-8"))


@cache
def _validator() -> Draft202012Validator:
    return Draft202012Validator(schema())


def _schema_message(error) -> str:
    v = error.validator
    if v == "required":
        missing = [
            p for p in error.validator_value if isinstance(error.instance, dict) and p not in error.instance
        ]
        return f"缺少必填字段 {', '.join(missing)}"
    if v == "additionalProperties":
        extra = sorted(set(error.instance) - set(error.schema.get("properties", {})))
        return f"不允许的字段 {', '.join(extra)}"
    if v == "type":
        names = {
            "string": "字符串",
            "integer": "整数",
            "number": "数字",
            "boolean": "布尔值",
            "object": "对象",
            "array": "数组",
            "null": "空值",
        }
        expected = (
            error.validator_value if isinstance(error.validator_value, list) else [error.validator_value]
        )
        return f"类型应为{'或'.join(names.get(t, t) for t in expected)}"
    if v == "enum":
        return f"取值应为 {', '.join('null' if x is None else str(x) for x in error.validator_value)} 之一"
    if v == "const":
        return f"应为 {error.validator_value}"
    if v == "pattern":
        return "格式不正确"
    if v == "minLength":
        return "不能为空"
    if v == "minimum":
        return f"不能小于 {error.validator_value}"
    if v == "minItems":
        return f"至少需要 {error.validator_value} 项"
    if v == "uniqueItems":
        return "不能有重复项"
    if v == "oneOf":
        return "格式不正确"
    return "格式不正确"


def _locate(data: Any, path: list) -> tuple[str, str, str]:
    """(kind, record code, field path) for a JSON path inside a catalog file."""
    if len(path) >= 2 and path[0] in KIND_OF_LIST and isinstance(path[1], int):
        kind = KIND_OF_LIST[path[0]]
        record = data[path[0]][path[1]]
        key = KEY_OF_KIND[kind]
        code = record.get(key) if isinstance(record, dict) else None
        label = code if isinstance(code, str) and code else f"第{path[1] + 1}条"
        return kind, label, ".".join(str(p) for p in path[2:])
    return "catalog", "", ".".join(str(p) for p in path)


def schema_faults(data: Any) -> list[Fault]:
    faults = []
    for error in _validator().iter_errors(data):
        path = list(error.absolute_path)
        kind, code, where = _locate(data, path)
        named: list[str] = []
        if isinstance(error.instance, dict):
            if error.validator == "required":
                named = [p for p in error.validator_value if p not in error.instance]
            elif error.validator == "additionalProperties":
                named = sorted(set(error.instance) - set(error.schema.get("properties", {})))
        if named:
            # one fault per field, the field itself named in the path (``materials.0.material``)
            message = "缺少必填字段" if error.validator == "required" else "不允许的字段"
            for name in named:
                faults.append(Fault(kind, code, f"{where}.{name}" if where else name, message))
        else:
            faults.append(Fault(kind, code, where, _schema_message(error)))
        if len(faults) >= MAX_FAULTS:
            break
    return sorted(set(faults), key=lambda f: (f.kind, f.code, f.field, f.message))


def _list(value: Any) -> list:
    """``value`` when it is a list, else an empty list (the schema reports the wrong type)."""
    return value if isinstance(value, list) else []


def _records(data: dict, list_name: str) -> Iterable[dict]:
    for record in _list(data.get(list_name)):
        if isinstance(record, dict):
            yield record


def find_cycle(graph: dict[str, list[str]]) -> list[str] | None:
    """A dependency cycle in ``graph`` (node -> predecessors) as a list of nodes, or None."""
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in graph.get(node, []):
            if state.get(nxt) == 1:
                return [*stack[stack.index(nxt) :], nxt]
            if state.get(nxt) is None and nxt in graph:
                found = visit(nxt)
                if found:
                    return found
        stack.pop()
        state[node] = 2
        return None

    for node in graph:
        if state.get(node) is None:
            found = visit(node)
            if found:
                return found
    return None


def semantic_faults(data: dict, known: Known) -> list[Fault]:
    """Rules beyond the schema. Tolerates records the schema already refused (skips what it can't read)."""
    faults: list[Fault] = []
    add = faults.append

    # -- unique codes within the file
    for list_name, kind in KIND_OF_LIST.items():
        key = KEY_OF_KIND[kind]
        seen: set[str] = set()
        for record in _records(data, list_name):
            code = record.get(key)
            if isinstance(code, str):
                if code in seen:
                    add(Fault(kind, code, key, "编码在文件中重复"))
                seen.add(code)

    # -- regions
    regions = dict(known.regions)
    file_regions = {r["code"]: r for r in _records(data, "regions") if isinstance(r.get("code"), str)}
    for code, r in file_regions.items():
        regions[code] = r.get("level")
    for code, r in file_regions.items():
        parent = r.get("parent") if isinstance(r.get("parent"), str) else None
        level = r.get("level") if r.get("level") in codes.REGION_LEVELS else None
        actual = codes.region_level(code)
        reason = codes.validate_region_code(code, level, parent)
        if actual is None:
            add(Fault("region", code, "code", reason or "区划代码无效"))
        elif level is not None and level != actual:
            add(Fault("region", code, "level", reason or "层级不符"))
        elif reason:
            add(Fault("region", code, "parent", reason))
        elif parent is not None and parent not in regions:
            add(Fault("region", code, "parent", f"上级区划 {parent} 不存在"))

    def check_region(kind: str, code: str, field_name: str, value: Any) -> None:
        if isinstance(value, str) and value not in regions:
            add(Fault(kind, code, field_name, f"区划 {value} 不存在"))

    # -- departments
    departments = set(known.departments)
    for d in _records(data, "departments"):
        code = d.get("code")
        if not isinstance(code, str):
            continue
        departments.add(code)
        reason = codes.validate_uscc(code)
        if reason:
            add(Fault("department", code, "code", f"统一社会信用代码{reason}"))
        check_region("department", code, "region", d.get("region"))

    materials = set(known.materials) | {
        m["code"] for m in _records(data, "materials") if isinstance(m.get("code"), str)
    }
    elements = set(known.data_elements) | {
        e["key"] for e in _records(data, "data_elements") if isinstance(e.get("key"), str)
    }
    for e in _records(data, "data_elements"):
        if e.get("type") == "choice" and not e.get("choices"):
            add(Fault("data_element", str(e.get("key")), "choices", "选项类数据项必须列出选项"))

    # -- items
    items: dict[str, dict] = dict(known.items)
    for i in _records(data, "items"):
        code = i.get("code")
        if not isinstance(code, str):
            continue
        items[code] = i
        dept = i.get("department")
        if isinstance(dept, str) and dept not in departments:
            add(Fault("item", code, "department", f"部门 {dept} 不存在"))
        check_region("item", code, "region", i.get("region"))
        legal, promised = i.get("legal_limit"), i.get("promised_limit")
        if isinstance(legal, int) and isinstance(promised, int) and legal > 0 and promised > legal:
            add(
                Fault(
                    "item",
                    code,
                    "promised_limit",
                    f"承诺时限 {promised} 个工作日超过法定时限 {legal} 个工作日",
                )
            )
        for n, m in enumerate(_list(i.get("materials"))):
            if not isinstance(m, dict):
                continue
            mat = m.get("material")
            if isinstance(mat, str) and mat not in materials:
                add(Fault("item", code, f"materials.{n}.material", f"材料类型 {mat} 不存在"))
            try:
                check_condition(m.get("when"))
            except ConditionError as exc:
                add(Fault("item", code, f"materials.{n}.when", f"条件格式错误：{exc}"))
        seen_materials = [
            m["material"]
            for m in _list(i.get("materials"))
            if isinstance(m, dict) and isinstance(m.get("material"), str)
        ]
        if len(seen_materials) != len(set(seen_materials)):
            add(Fault("item", code, "materials", "同一材料类型列出了多次"))
        for n, f in enumerate(_list(i.get("form"))):
            if isinstance(f, dict) and isinstance(f.get("element"), str) and f["element"] not in elements:
                add(Fault("item", code, f"form.{n}.element", f"数据项 {f['element']} 不存在"))

    # -- bundles
    for b in _records(data, "bundles"):
        code = b.get("code")
        if not isinstance(code, str):
            continue
        dept = b.get("lead_department")
        if isinstance(dept, str) and dept not in departments:
            add(Fault("bundle", code, "lead_department", f"牵头部门 {dept} 不存在"))
        check_region("bundle", code, "region", b.get("region"))
        questions: set[str] = set()
        for n, q in enumerate(_list(b.get("questions"))):
            if not isinstance(q, dict) or not isinstance(q.get("id"), str):
                continue
            qid = q["id"]
            if qid in questions:
                add(Fault("bundle", code, f"questions.{n}.id", f"问题 {qid} 重复"))
            questions.add(qid)
            if q.get("type") == "choice" and not q.get("choices"):
                add(Fault("bundle", code, f"questions.{n}.choices", f"选择题 {qid} 必须列出选项"))
        # keep each member's position in the file, so ``members.N`` points at the right one
        members = [(n, m) for n, m in enumerate(_list(b.get("members"))) if isinstance(m, dict)]
        member_codes = [m.get("item") for _, m in members if isinstance(m.get("item"), str)]
        if len(member_codes) != len(set(member_codes)):
            add(Fault("bundle", code, "members", "同一事项被列为多个成员"))
        graph: dict[str, list[str]] = {}
        for n, m in members:
            item_code = m.get("item")
            if not isinstance(item_code, str):
                continue
            if item_code not in items:
                add(Fault("bundle", code, f"members.{n}.item", f"事项 {item_code} 不存在"))
            try:
                unknown = check_condition(m.get("when")) - questions
                if unknown:
                    add(
                        Fault(
                            "bundle",
                            code,
                            f"members.{n}.when",
                            f"条件引用了未声明的问题：{', '.join(sorted(unknown))}",
                        )
                    )
            except ConditionError as exc:
                add(Fault("bundle", code, f"members.{n}.when", f"条件格式错误：{exc}"))
            after = [a for a in _list(m.get("after")) if isinstance(a, str)]
            for a in after:
                if a not in member_codes:
                    add(Fault("bundle", code, f"members.{n}.after", f"前置事项 {a} 不是本一件事的成员"))
                if a == item_code:
                    add(Fault("bundle", code, f"members.{n}.after", "事项不能依赖自身"))
            graph[item_code] = [a for a in after if a in member_codes and a != item_code]
            item_record = items.get(item_code)
            if isinstance(item_record, dict):
                for k, im in enumerate(_list(item_record.get("materials"))):
                    if not isinstance(im, dict):
                        continue
                    try:
                        unknown = check_condition(im.get("when")) - questions
                    except ConditionError:
                        continue  # reported on the item itself
                    if unknown:
                        add(
                            Fault(
                                "bundle",
                                code,
                                f"members.{n}.item",
                                f"成员事项 {item_code} 的材料 {k + 1} 的条件引用了本一件事未声明的问题："
                                f"{', '.join(sorted(unknown))}",
                            )
                        )
        cycle = find_cycle(graph)
        if cycle:
            add(Fault("bundle", code, "members.after", f"前置关系存在循环：{' → '.join(cycle)}"))
    return faults[:MAX_FAULTS]


#: Longest text a field may hold: the column sizes of the working tables; any other string
#: (free text, JSON Logic literals, themes, choices) at most :data:`MAX_TEXT`.
TEXT_LIMITS: dict[str, dict[str, int]] = {
    "region": {"name": 100},
    "department": {"name": 200, "short_name": 100},
    "material": {"name": 200},
    "data_element": {"key": 100, "label": 200},
    "item": {"name": 200, "materials.*.note": 500},
    "bundle": {"name": 200},
}
MAX_TEXT = 10_000
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _strings(node: Any, path: list, depth: int = 0):
    """Every string in ``node`` (values and object keys) with its JSON path."""
    if depth > 64:  # deeper nesting is refused elsewhere (conditions); do not recurse forever
        return
    if isinstance(node, str):
        yield path, node
    elif isinstance(node, dict):
        for key, value in node.items():
            if isinstance(key, str):
                yield [*path, key], key
            yield from _strings(value, [*path, key], depth + 1)
    elif isinstance(node, list):
        for n, value in enumerate(node):
            yield from _strings(value, [*path, n], depth + 1)


def text_faults(data: dict) -> list[Fault]:
    """Text the database cannot hold faithfully: too long for its column, control characters
    (NUL cannot be stored in PostgreSQL at all), or invalid Unicode (lone surrogates)."""
    faults: list[Fault] = []
    for list_name in KIND_OF_LIST:
        records = data.get(list_name)
        if not isinstance(records, list):
            continue
        for path, text in _strings(records, [list_name]):
            kind, code, where = _locate(data, path) if len(path) >= 2 else ("catalog", "", list_name)
            pattern = ".".join("*" if isinstance(p, int) else str(p) for p in path[2:])
            limit = TEXT_LIMITS.get(kind, {}).get(pattern, MAX_TEXT)
            if len(text) > limit:
                faults.append(Fault(kind, code, where, f"过长：{len(text)} 个字符，最多 {limit} 个"))
            if _CONTROL.search(text):
                faults.append(Fault(kind, code, where, "含有不允许的控制字符（如 NUL）"))
            try:
                text.encode("utf-8")
            except UnicodeEncodeError:
                faults.append(Fault(kind, code, where, "含有无效的 Unicode 字符"))
            if len(faults) >= MAX_FAULTS:
                return faults
    return faults


def validate_catalog(data: Any, known: Known | None = None) -> list[Fault]:
    """All faults of a catalog document (empty list = valid)."""
    known = known or Known()
    if not isinstance(data, dict):
        return [Fault("catalog", "", "", "文件内容应为 JSON 对象")]
    faults = schema_faults(data)
    faults += text_faults(data)
    faults += semantic_faults(data, known)
    # keep order stable and unique
    seen: set[Fault] = set()
    unique = []
    for f in faults:
        if f not in seen:
            seen.add(f)
            unique.append(f)
    return unique
