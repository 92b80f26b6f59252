"""Import fuzzing: malformed catalog documents are refused whole, in Chinese, and change nothing.

Hypothesis starts from the valid worked example and the demo catalog (fixtures
``example_document`` / ``demo_document``) and breaks them in one way per example: wrong types,
null where not allowed, missing required fields, extra fields, bad codes (USCC check characters,
region codes), dangling references, dependency cycles, 100k-character strings, odd Unicode (NUL,
RTL marks, zero-width characters, astral characters in codes), deeply nested JSON Logic.

For every such document :func:`onething.catalog.exchange.import_document` must

* raise :class:`~onething.catalog.exchange.CatalogRejected` — never any other exception;
* carry at least one fault whose ``str()`` is non-empty Chinese text;
* leave the database exactly as it was (row counts and a digest of every Revision row).

And the positive property: a valid document (the example, with free text varied) imports, and
importing it a second time changes nothing.

Run alone: ``pytest tests/quality/test_import_fuzz.py`` (``ONETHING_FUZZ_EXAMPLES`` raises the
number of examples per property; the default keeps CI under a minute).
"""

from __future__ import annotations

import copy
import hashlib
import json
import os
import re
from collections.abc import Callable
from typing import Any

import pytest
from django.apps import apps
from django.db import transaction
from hypothesis import HealthCheck, Phase, given, note, settings
from hypothesis import strategies as st

from onething.catalog import normalize
from onething.catalog.exchange import CatalogRejected, import_document
from onething.catalog.validation import schema as catalog_schema
from onething.kernel.codes import USCC_CHARSET, uscc_check_char

pytestmark = [pytest.mark.slow, pytest.mark.django_db]

EXAMPLES = int(os.environ.get("ONETHING_FUZZ_EXAMPLES", "40"))
FUZZ = settings(
    max_examples=EXAMPLES,
    derandomize=True,
    deadline=None,
    database=None,
    print_blob=True,
    # no shrinking: each example notes the one mutation it made, which is the useful report, and
    # shrinking a 300 KB document costs minutes of CI time on every failure
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
    ],
)
#: the demo catalog is ~50× the worked example; fewer examples keep the run under a minute
DEMO_FUZZ = settings(FUZZ, max_examples=max(5, EXAMPLES // 4))
LISTS = normalize.KIND_ORDER
DEFS = normalize.KIND_OF_LIST  # list name -> $defs name
KEY = {"data_elements": "key"}
HAN = re.compile(r"[\u4e00-\u9fff]")
HUGE = 100_000


# --- the database state an import must not touch ---------------------------------------------


def db_state() -> tuple[dict[str, int], str]:
    """Row counts of every catalog/directory/audit model and a digest of all Revision rows."""
    counts = {}
    for label in ("catalog", "directory", "audit"):
        for model in apps.get_app_config(label).get_models():
            counts[model._meta.label] = model._default_manager.count()
    revision = apps.get_model("catalog", "Revision")
    digest = hashlib.sha256()
    for row in revision.objects.order_by("pk").values_list(
        "pk", "kind", "code", "version", "current", "data"
    ):
        digest.update(json.dumps(row, sort_keys=True, ensure_ascii=False, default=str).encode())
    return counts, digest.hexdigest()


def assert_refused(document: Any, what: str) -> None:
    """The import refuses ``document`` with Chinese faults and leaves the database as it was.

    Each attempt runs in a savepoint that is always rolled back, so an import that wrongly
    succeeds (or half-writes before crashing) cannot leak into the next example.
    """
    before = db_state()
    outcome: str | None = None
    after = before
    with transaction.atomic():
        try:
            report = import_document(document)
        except CatalogRejected as exc:
            texts = [str(f) for f in exc.faults]
            if not texts:
                outcome = "CatalogRejected 没有列出任何错误"
            elif not any(t.strip() and HAN.search(t) for t in texts):
                outcome = f"错误信息不是中文：{texts[:3]}"
            elif not all(t.strip() for t in texts):
                outcome = "有空的错误信息"
            after = db_state()
        except Exception as exc:
            outcome = f"导入应以 CatalogRejected 拒绝，实际抛出 {type(exc).__name__}: {exc!s:.300}"
        else:
            outcome = f"文件有误却被导入了（{report.summary()}）"
        transaction.set_rollback(True)
    assert outcome is None, f"{what}: {outcome}"
    assert after == before, f"{what}: 被拒绝的导入改动了数据库"


# --- schema-driven helpers ----------------------------------------------------------------------


def _resolve(node: dict) -> dict:
    while "$ref" in node:
        node = catalog_schema()["$defs"][node["$ref"].rsplit("/", 1)[1]]
    return node


def _definition(list_name: str) -> dict:
    return catalog_schema()["$defs"][DEFS[list_name]]


def _types(node: dict) -> set[str]:
    """The JSON types a property accepts."""
    node = _resolve(node)
    if "oneOf" in node:
        return set().union(*(_types(n) for n in node["oneOf"]))
    if "enum" in node:
        return {_json_type(v) for v in node["enum"]}
    if "const" in node:
        return {_json_type(node["const"])}
    kind = node.get("type")
    if kind is None:
        return {"string", "integer", "number", "boolean", "object", "array", "null"}
    kinds = set(kind if isinstance(kind, list) else [kind])
    if "integer" in kinds:
        kinds.add("number_integral")
    return kinds


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"


WRONG_VALUES = {
    "string": "文本",
    "integer": 7,
    "number": 2.5,
    "boolean": True,
    "object": {"键": "值"},
    "array": ["数组"],
    "null": None,
}


def _wrong_values(node: dict) -> list[Any]:
    allowed = _types(node)
    if "number" in allowed:
        allowed |= {"integer"}
    wrong = [v for t, v in WRONG_VALUES.items() if t not in allowed]
    if "enum" in _resolve(node):
        wrong.append("不存在的取值")
    return wrong


def _records(document: dict) -> list[tuple[str, int]]:
    return [
        (name, n) for name in LISTS for n, r in enumerate(document.get(name) or []) if isinstance(r, dict)
    ]


def _fresh_uscc(seed: str) -> str:
    body = ("91" + "430600" + hashlib.sha256(seed.encode()).hexdigest().upper())[:17]
    body = "".join(c if c in USCC_CHARSET else "0" for c in body)
    return body + uscc_check_char(body)


def _wrong_check(code: str) -> str:
    charset = USCC_CHARSET if not code.isdigit() else "0123456789X"
    right = code[-1]
    return code[:-1] + next(c for c in charset if c != right)


Mutation = Callable[[dict, st.DataObject], str]


@st.composite
def _record(draw, document: dict, lists: tuple[str, ...] = LISTS) -> tuple[str, int, dict]:
    choices = [(name, n) for name, n in _records(document) if name in lists]
    name, n = draw(st.sampled_from(choices))
    return name, n, document[name][n]


# --- mutations: each returns a description and makes the document invalid -----------------------


def wrong_type(doc: dict, data: st.DataObject) -> str:
    name, n, record = data.draw(_record(doc))
    props = _definition(name)["properties"]
    field = data.draw(st.sampled_from(sorted(k for k in record if k in props and _wrong_values(props[k]))))
    value = data.draw(st.sampled_from(_wrong_values(props[field])))
    record[field] = value
    return f"{name}[{n}].{field} = {value!r}（类型错误）"


def null_required(doc: dict, data: st.DataObject) -> str:
    name, n, record = data.draw(_record(doc))
    field = data.draw(st.sampled_from(_definition(name)["required"]))
    record[field] = None
    return f"{name}[{n}].{field} = null（必填字段为空）"


def missing_required(doc: dict, data: st.DataObject) -> str:
    name, n, record = data.draw(_record(doc))
    field = data.draw(st.sampled_from(_definition(name)["required"]))
    record.pop(field, None)
    return f"{name}[{n}] 缺少 {field}"


def extra_field(doc: dict, data: st.DataObject) -> str:
    where = data.draw(st.sampled_from(["document", "record", "material", "member"]))
    extra = data.draw(st.sampled_from(["unexpected", "备注2", "code_", "x" * 40]))
    if where == "document":
        doc[extra] = []
        return f"文件顶层多出字段 {extra}"
    if where == "material":
        item = data.draw(st.sampled_from([i for i in doc["items"] if i.get("materials")]))
        item["materials"][0][extra] = 1
        return f"事项 {item['code']} 材料多出字段 {extra}"
    if where == "member":
        bundle = data.draw(st.sampled_from(doc["bundles"]))
        bundle["members"][0][extra] = True
        return f"一件事 {bundle['code']} 成员多出字段 {extra}"
    name, n, record = data.draw(_record(doc))
    record[extra] = "额外"
    return f"{name}[{n}] 多出字段 {extra}"


def bad_code(doc: dict, data: st.DataObject) -> str:
    kind = data.draw(st.sampled_from(["uscc_check", "uscc_charset", "region_shape", "region_level"]))
    if kind == "uscc_check":
        dept = data.draw(st.sampled_from(doc["departments"]))
        dept["code"] = _wrong_check(dept["code"])
        return f"部门统一社会信用代码校验位错误 {dept['code']}"
    if kind == "uscc_charset":
        dept = data.draw(st.sampled_from(doc["departments"]))
        bad = data.draw(st.sampled_from(["I", "O", "S", "V", "Z", "a", "-", "统"]))
        dept["code"] = dept["code"][:5] + bad + dept["code"][6:]
        return f"部门统一社会信用代码含非法字符 {dept['code']}"
    region = data.draw(st.sampled_from(doc["regions"]))
    if kind == "region_shape":
        region["code"] = data.draw(
            st.sampled_from(["43060", "4306000", "43060a", "４３０６００", "", "430600000"])
        )
        return f"区划代码格式错误 {region['code']!r}"
    levels = ["province", "city", "county", "township", "village"]
    region["level"] = data.draw(st.sampled_from([lv for lv in levels if lv != region["level"]]))
    return f"区划 {region['code']} 层级与代码不符（{region['level']}）"


def dangling_reference(doc: dict, data: st.DataObject) -> str:
    kind = data.draw(
        st.sampled_from(["department", "region", "material", "element", "member", "after", "lead", "parent"])
    )
    missing_dept = _fresh_uscc(f"missing-{kind}")
    if kind in ("department", "region", "material", "element"):
        item = data.draw(
            st.sampled_from([i for i in doc["items"] if kind not in ("material",) or i.get("materials")])
        )
        if kind == "department":
            item["department"] = missing_dept
        elif kind == "region":
            item["region"] = "469099"
        elif kind == "material":
            item["materials"][0]["material"] = "no-such-material"
        else:
            item.setdefault("form", []).append({"element": "no.such.element"})
        return f"事项 {item['code']} 引用不存在的{kind}"
    if kind == "parent":
        region = data.draw(st.sampled_from([r for r in doc["regions"] if r.get("parent")]))
        region["parent"] = "460000" if region["level"] == "city" else region["code"][:2] + "9900"
        return f"区划 {region['code']} 的上级 {region['parent']} 不存在"
    bundle = data.draw(st.sampled_from(doc["bundles"]))
    if kind == "member":
        bundle["members"][0]["item"] = "NO-SUCH-ITEM-0001"
    elif kind == "after":
        bundle["members"][0]["after"] = ["NO-SUCH-ITEM-0002"]
    else:
        bundle["lead_department"] = missing_dept
    return f"一件事 {bundle['code']} 引用不存在的{kind}"


def dependency_cycle(doc: dict, data: st.DataObject) -> str:
    bundle = data.draw(st.sampled_from(doc["bundles"]))
    members = bundle["members"]
    if len(members) < 2 or data.draw(st.booleans()):
        member = data.draw(st.sampled_from(members))
        member["after"] = [*member.get("after", []), member["item"]]
        return f"一件事 {bundle['code']} 成员 {member['item']} 依赖自身"
    length = data.draw(st.integers(2, len(members)))
    start = data.draw(st.integers(0, len(members) - length))
    ring = members[start : start + length]
    for pos, member in enumerate(ring):
        member["after"] = [ring[pos - 1]["item"]]
    return f"一件事 {bundle['code']} 成员间循环依赖（{length} 个）"


def huge_string(doc: dict, data: st.DataObject) -> str:
    name, n, record = data.draw(_record(doc))
    props = _definition(name)["properties"]
    fields = sorted(k for k in props if "string" in _types(props[k]) and (k in record or k in ("name",)))
    field = data.draw(st.sampled_from(fields))
    filler = data.draw(st.sampled_from(["名", "a", "0", "𠀀"]))
    record[field] = filler * HUGE
    return f"{name}[{n}].{field} 为 {HUGE} 个字符的字符串"


ODD = [
    "\x00",  # NUL: PostgreSQL cannot store it at all
    "\u202e",  # RIGHT-TO-LEFT OVERRIDE
    "\u200f",  # RIGHT-TO-LEFT MARK
    "\u200b",  # ZERO WIDTH SPACE
    "\ufeff",  # BOM / zero-width no-break space
    "\U0001f600",  # astral: emoji
    "\U00020000",  # astral: CJK Extension B
    "\u0301",  # combining acute accent
]
CODE_FIELDS = {
    "regions": ["code", "parent"],
    "departments": ["code", "region"],
    "materials": ["code"],
    "data_elements": ["key"],
    "items": ["code", "basic_code", "department", "region"],
    "bundles": ["code", "lead_department", "region"],
}


def odd_unicode_in_code(doc: dict, data: st.DataObject) -> str:
    name, n, record = data.draw(_record(doc))
    field = data.draw(st.sampled_from([f for f in CODE_FIELDS[name] if isinstance(record.get(f), str)]))
    odd = data.draw(st.sampled_from(ODD))
    at = data.draw(st.integers(0, len(record[field])))
    record[field] = record[field][:at] + odd + record[field][at:]
    return f"{name}[{n}].{field} 含字符 U+{ord(odd):04X}"


def nul_in_text(doc: dict, data: st.DataObject) -> str:
    name, n, record = data.draw(_record(doc))
    props = _definition(name)["properties"]
    fields = sorted(k for k, v in record.items() if isinstance(v, str) and k in props)
    field = data.draw(st.sampled_from(fields))
    at = data.draw(st.integers(0, len(record[field])))
    record[field] = record[field][:at] + "\x00" + record[field][at:]
    return f"{name}[{n}].{field} 含 NUL 字符（PostgreSQL 无法保存）"


def deep_condition(doc: dict, data: st.DataObject) -> str:
    depth = data.draw(st.sampled_from([200, 1_000, 5_000, 50_000]))
    shape = data.draw(st.sampled_from(["not", "and", "if"]))
    bundle = data.draw(st.sampled_from([b for b in doc["bundles"] if b.get("questions")]))
    question = bundle["questions"][0]["id"]
    condition: Any = {"var": question}
    for _ in range(depth):
        if shape == "not":
            condition = {"!": condition}
        elif shape == "and":
            condition = {"and": [condition, True]}
        else:
            condition = {"if": [condition, True, False]}
    target = data.draw(st.sampled_from(["member", "material"]))
    if target == "member":
        bundle["members"][-1]["when"] = condition
        return f"一件事 {bundle['code']} 成员条件嵌套 {depth} 层（{shape}）"
    item = data.draw(st.sampled_from([i for i in doc["items"] if i.get("materials")]))
    item["materials"][0]["when"] = condition
    return f"事项 {item['code']} 材料条件嵌套 {depth} 层（{shape}）"


def malformed_condition(doc: dict, data: st.DataObject) -> str:
    bundle = data.draw(st.sampled_from(doc["bundles"]))
    condition = data.draw(
        st.sampled_from(
            [
                {"eval": ["__import__('os').system('true')"]},
                {"==": [{"var": "no_such_question"}, True]},
                {"var": ["no_such_question", 1, 2, 3]},
                {"==": 1},
                {},
                {"and": [True], "or": [False]},
                {"var": {"nested": "object"}},
            ]
        )
    )
    bundle["members"][0]["when"] = condition
    return f"一件事 {bundle['code']} 成员条件 {json.dumps(condition, ensure_ascii=False)}"


MUTATIONS: dict[str, Mutation] = {
    "wrong_type": wrong_type,
    "null_required": null_required,
    "missing_required": missing_required,
    "extra_field": extra_field,
    "bad_code": bad_code,
    "dangling_reference": dangling_reference,
    "dependency_cycle": dependency_cycle,
    "huge_string": huge_string,
    "odd_unicode_in_code": odd_unicode_in_code,
    "nul_in_text": nul_in_text,
    "deep_condition": deep_condition,
    "malformed_condition": malformed_condition,
}


@pytest.fixture(params=["example", "demo"])
def base_document(request, example_document, demo_document):
    if request.param == "example":
        return example_document, FUZZ
    return demo_document, DEMO_FUZZ


@pytest.mark.parametrize("mutation", sorted(MUTATIONS))
def test_malformed_document_is_refused_whole(mutation, base_document, demo):
    base_document, fuzz_settings = base_document

    @fuzz_settings
    @given(data=st.data())
    def check(data):
        document = copy.deepcopy(base_document)
        what = MUTATIONS[mutation](document, data)
        note(what)
        assert_refused(document, what)

    check()


def test_not_a_catalog_document_is_refused(demo):
    for document in [None, [], "onething-catalog/1", 42, {"format": "onething-catalog/2"}, {"regions": []}]:
        assert_refused(document, f"文件内容 {document!r}")


# --- the positive property ----------------------------------------------------------------------

TEXT = st.text(
    alphabet=st.characters(blacklist_categories=("Cs", "Cc"), blacklist_characters="\x00"),
    min_size=1,
    max_size=40,
)


def test_valid_document_imports_and_reimport_changes_nothing(example_document, demo):
    @FUZZ
    @given(data=st.data())
    def check(data):
        document = copy.deepcopy(example_document)
        # vary the free text of a few records (still valid)
        for name in ("materials", "items", "bundles"):
            record = data.draw(st.sampled_from(document[name]))
            record["name"] = data.draw(TEXT.filter(str.strip))
        with transaction.atomic():
            first = import_document(document)
            after_first = db_state()
            second = import_document(copy.deepcopy(document))
            assert second.changed == 0, f"第二次导入仍有改动：{second.summary()}"
            assert db_state() == after_first, "第二次导入改动了数据库"
            assert first.changed > 0 or second.changed == 0
            transaction.set_rollback(True)

    check()


def test_demo_document_reimport_changes_nothing(demo_document, demo):
    before = db_state()
    report = import_document(demo_document)
    assert report.changed == 0, f"演示目录已载入，再次导入仍有改动：{report.summary()}"
    assert db_state() == before
