"""Every validation rule of the catalog exchange format, one fault at a time.

A maintainer fixes a 5,000-record file from the report alone, so each fault must name the
record (kind and code) and the field; these tests break the contract example in one place
and check exactly that.
"""

from __future__ import annotations

import copy

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from onething.catalog.validation import Fault, Known, find_cycle, validate_catalog

SCJG = "430600-SCJG-0101-01"
BUNDLE = "430600-YJS-QYZX"
DEPT = "11430600MB0000001A"


@pytest.fixture
def doc(example_document):
    return copy.deepcopy(example_document)


def faults_of(document) -> list[Fault]:
    return validate_catalog(document, Known())


def assert_fault(faults, kind, code, field, text) -> Fault:
    matching = [f for f in faults if (f.kind, f.code, f.field) == (kind, code, field) and text in f.message]
    assert matching, f"no {kind} {code} {field} «{text}» in {[str(f) for f in faults]}"
    fault = matching[0]
    rendered = str(fault)
    assert code in rendered and field in rendered and text in rendered
    return fault


def test_the_contract_example_is_valid(doc):
    assert faults_of(doc) == []


def test_not_an_object():
    assert [str(f) for f in faults_of([1, 2])] == ["文件：文件内容应为 JSON 对象"]


# ------------------------------------------------------------------ schema


def test_schema_type(doc):
    doc["items"][0]["legal_limit"] = "15"
    assert_fault(faults_of(doc), "item", SCJG, "legal_limit", "类型应为整数")


def test_schema_enum(doc):
    doc["items"][0]["category"] = "licence"
    assert_fault(faults_of(doc), "item", SCJG, "category", "取值应为 licensing")


def test_schema_pattern(doc):
    doc["data_elements"][0]["key"] = "Enterprise Name"
    assert_fault(faults_of(doc), "data_element", "Enterprise Name", "key", "格式不正确")


def test_schema_required_names_each_missing_field(doc):
    del doc["items"][1]["name"]
    del doc["items"][1]["legal_limit"]
    faults = faults_of(doc)
    assert_fault(faults, "item", "430600-SW-0701-01", "name", "缺少必填字段")
    assert_fault(faults, "item", "430600-SW-0701-01", "legal_limit", "缺少必填字段")


def test_schema_required_in_a_nested_record(doc):
    del doc["items"][0]["materials"][2]["material"]
    assert_fault(faults_of(doc), "item", SCJG, "materials.2.material", "缺少必填字段")


def test_schema_additional_property(doc):
    doc["bundles"][0]["colour"] = "red"
    assert_fault(faults_of(doc), "bundle", BUNDLE, "colour", "不允许的字段")


def test_schema_minimum_and_min_items(doc):
    doc["items"][0]["visits"] = -1
    doc["bundles"][0]["members"] = []
    faults = faults_of(doc)
    assert_fault(faults, "item", SCJG, "visits", "不能小于 0")
    assert_fault(faults, "bundle", BUNDLE, "members", "至少需要 1 项")


def test_record_without_a_code_is_named_by_position(doc):
    del doc["materials"][3]["code"]
    assert_fault(faults_of(doc), "material", "第4条", "code", "缺少必填字段")


def test_wrong_format_marker(doc):
    doc["format"] = "onething-catalog/2"
    assert_fault(faults_of(doc), "catalog", "", "format", "应为 onething-catalog/1")


# ------------------------------------------------------------------ codes and regions


def test_uscc_check_character(doc):
    doc["departments"][0]["code"] = "11430600MB0000001B"
    assert_fault(faults_of(doc), "department", "11430600MB0000001B", "code", "统一社会信用代码校验码错误")


def test_region_level_must_match_the_code(doc):
    doc["regions"][1]["level"] = "county"
    assert_fault(faults_of(doc), "region", "430600", "level", "区划代码表示“市”级")


def test_region_parent_must_match_the_code(doc):
    doc["regions"].append({"code": "430626", "name": "平江县", "level": "county", "parent": "430100"})
    assert_fault(faults_of(doc), "region", "430626", "parent", "上级区划应为 430600")


def test_region_parent_must_exist(doc):
    doc["regions"].append({"code": "420100", "name": "武汉市", "level": "city", "parent": "420000"})
    assert_fault(faults_of(doc), "region", "420100", "parent", "上级区划 420000 不存在")


def test_region_parent_may_exist_in_the_database(doc):
    doc["regions"].append({"code": "420100", "name": "武汉市", "level": "city", "parent": "420000"})
    assert validate_catalog(doc, Known(regions={"420000": "province"})) == []


def test_twelve_digit_township_region(doc):
    doc["regions"] += [
        {"code": "430626", "name": "平江县", "level": "county", "parent": "430600"},
        {"code": "430626101000", "name": "安定镇", "level": "township", "parent": "430626"},
    ]
    assert faults_of(doc) == []
    doc["regions"][-1]["parent"] = "430600"
    assert_fault(faults_of(doc), "region", "430626101000", "parent", "上级区划应为 430626")


def test_invalid_region_code(doc):
    doc["regions"].append({"code": "430626000000", "name": "错", "level": "township", "parent": "430626"})
    assert_fault(faults_of(doc), "region", "430626000000", "code", "应为6位行政区划代码或12位统计用区划代码")


# ------------------------------------------------------------------ uniqueness and references


def test_duplicate_codes(doc):
    doc["materials"].append(copy.deepcopy(doc["materials"][0]))
    doc["items"].append(copy.deepcopy(doc["items"][0]))
    faults = faults_of(doc)
    assert_fault(faults, "material", "business-license", "code", "编码在文件中重复")
    assert_fault(faults, "item", SCJG, "code", "编码在文件中重复")


def test_unknown_department(doc):
    doc["items"][0]["department"] = "91350100M000100Y43"
    doc["bundles"][0]["lead_department"] = "91350100M000100Y43"
    faults = faults_of(doc)
    assert_fault(faults, "item", SCJG, "department", "部门 91350100M000100Y43 不存在")
    assert_fault(faults, "bundle", BUNDLE, "lead_department", "牵头部门 91350100M000100Y43 不存在")


def test_unknown_region(doc):
    doc["items"][0]["region"] = "430100"
    doc["departments"][0]["region"] = "430100"
    doc["bundles"][0]["region"] = "430100"
    faults = faults_of(doc)
    assert_fault(faults, "item", SCJG, "region", "区划 430100 不存在")
    assert_fault(faults, "department", DEPT, "region", "区划 430100 不存在")
    assert_fault(faults, "bundle", BUNDLE, "region", "区划 430100 不存在")


def test_unknown_material_type(doc):
    doc["items"][0]["materials"][1]["material"] = "no-such-material"
    assert_fault(faults_of(doc), "item", SCJG, "materials.1.material", "材料类型 no-such-material 不存在")


def test_unknown_data_element(doc):
    doc["items"][0]["form"][0]["element"] = "enterprise.colour"
    assert_fault(faults_of(doc), "item", SCJG, "form.0.element", "数据项 enterprise.colour 不存在")


def test_unknown_item_in_a_bundle(doc):
    doc["bundles"][0]["members"][0]["item"] = "430600-NOPE-01"
    assert_fault(faults_of(doc), "bundle", BUNDLE, "members.0.item", "事项 430600-NOPE-01 不存在")


def test_references_may_point_to_the_database(doc):
    doc["items"][0]["materials"][1]["material"] = "birth-certificate"
    assert validate_catalog(doc, Known(materials={"birth-certificate"})) == []


# ------------------------------------------------------------------ limits and rows


def test_promised_limit_above_legal_limit(doc):
    doc["items"][0]["promised_limit"] = 16
    assert_fault(
        faults_of(doc), "item", SCJG, "promised_limit", "承诺时限 16 个工作日超过法定时限 15 个工作日"
    )


def test_promised_limit_with_no_legal_limit_is_allowed(doc):
    doc["items"][0]["legal_limit"] = 0
    doc["items"][0]["promised_limit"] = 30
    assert faults_of(doc) == []


def test_same_material_twice_in_an_item(doc):
    doc["items"][0]["materials"].append({"material": "business-license"})
    assert_fault(faults_of(doc), "item", SCJG, "materials", "同一材料类型列出了多次")


def test_choice_element_without_choices(doc):
    doc["data_elements"][5]["choices"] = []
    assert_fault(faults_of(doc), "data_element", "deregistration.reason", "choices", "必须列出选项")


# ------------------------------------------------------------------ conditions and bundles


def test_malformed_member_condition(doc):
    doc["bundles"][0]["members"][1]["when"] = {"eval": ["1"]}
    assert_fault(faults_of(doc), "bundle", BUNDLE, "members.1.when", "条件格式错误：不支持的运算符：eval")


def test_malformed_material_condition(doc):
    doc["items"][0]["materials"][0]["when"] = {"==": [1]}
    assert_fault(faults_of(doc), "item", SCJG, "materials.0.when", "条件格式错误")


def test_condition_naming_an_undeclared_question(doc):
    doc["bundles"][0]["members"][1]["when"] = {"==": [{"var": "has_pets"}, True]}
    assert_fault(faults_of(doc), "bundle", BUNDLE, "members.1.when", "未声明的问题：has_pets")


def test_member_material_condition_naming_an_undeclared_question(doc):
    doc["items"][0]["materials"][0]["when"] = {"var": "is_branch"}
    assert_fault(faults_of(doc), "bundle", BUNDLE, "members.3.item", "未声明的问题：is_branch")


def test_after_naming_a_non_member(doc):
    doc["bundles"][0]["members"][3]["after"].append("430600-WJ-2001-01")
    assert_fault(
        faults_of(doc), "bundle", BUNDLE, "members.3.after", "前置事项 430600-WJ-2001-01 不是本一件事的成员"
    )


def test_dependency_cycle(doc):
    doc["bundles"][0]["members"][0]["after"] = [SCJG]
    fault = assert_fault(faults_of(doc), "bundle", BUNDLE, "members.after", "前置关系存在循环")
    assert "430600-SW-0701-01" in fault.message and SCJG in fault.message


def test_self_dependency(doc):
    doc["bundles"][0]["members"][0]["after"] = ["430600-SW-0701-01"]
    assert_fault(faults_of(doc), "bundle", BUNDLE, "members.0.after", "事项不能依赖自身")


def test_duplicate_member_and_question(doc):
    bundle = doc["bundles"][0]
    bundle["members"].append({"item": "430600-SW-0701-01"})
    bundle["questions"].append(dict(bundle["questions"][0]))
    bundle["questions"].append({"id": "size", "text": "规模？", "type": "choice"})
    faults = faults_of(doc)
    assert_fault(faults, "bundle", BUNDLE, "members", "同一事项被列为多个成员")
    assert_fault(faults, "bundle", BUNDLE, "questions.2.id", "问题 has_employees 重复")
    assert_fault(faults, "bundle", BUNDLE, "questions.3.choices", "选择题 size 必须列出选项")


def test_every_fault_of_a_file_is_listed(doc):
    doc["items"][0]["promised_limit"] = 16
    doc["departments"][1]["code"] = "11430600MB0000002E"
    doc["bundles"][0]["members"][1]["when"] = {"var": "unknown_q"}
    assert len(faults_of(doc)) >= 3


def test_find_cycle():
    assert find_cycle({"a": ["b"], "b": ["c"], "c": []}) is None
    assert find_cycle({"a": ["b"], "b": ["a"]}) == ["a", "b", "a"]
    assert find_cycle({"a": ["x"]}) is None  # predecessors outside the graph are ignored


# ------------------------------------------------------------------ robustness


@pytest.mark.parametrize(
    ("path", "value"),
    [
        (("items",), 5),
        (("items", 0, "materials"), 5),
        (("items", 0, "materials"), [5, "x", None]),
        (("items", 0, "form"), {"a": 1}),
        (("bundles", 0, "questions"), 7),
        (("bundles", 0, "questions", 0, "id"), ["list"]),
        (("bundles", 0, "members"), [3, {"item": 5}]),
        (("bundles", 0, "members", 3, "after"), 9),
        (("regions", 1, "level"), ["city"]),
        (("regions", 1, "parent"), {"code": "430000"}),
        (("materials", 0, "code"), ["x"]),
        (("data_elements", 0, "key"), {"k": 1}),
    ],
)
def test_malformed_shapes_give_faults_not_tracebacks(doc, path, value):
    target = doc
    for part in path[:-1]:
        target = target[part]
    target[path[-1]] = value
    faults = faults_of(doc)
    assert faults and all(isinstance(f, Fault) for f in faults)


JSON = st.recursive(
    st.none() | st.booleans() | st.integers(-5, 5) | st.text(max_size=5),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=5), children, max_size=3)
    ),
    max_leaves=8,
)
PATHS = [
    ("regions", 1, "code"),
    ("departments", 0, "region"),
    ("items", 0, "materials"),
    ("items", 0, "materials", 0),
    ("items", 0, "materials", 0, "when"),
    ("items", 0, "form"),
    ("items", 0, "legal_limit"),
    ("bundles", 0, "members"),
    ("bundles", 0, "members", 1),
    ("bundles", 0, "members", 1, "when"),
    ("bundles", 0, "members", 3, "after"),
    ("bundles", 0, "questions"),
    ("bundles", 0, "questions", 0),
]


@settings(deadline=None, max_examples=150, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(path=st.sampled_from(PATHS), value=JSON)
def test_validation_never_raises(example_document, path, value):
    """Fuzz: any JSON value anywhere gives a list of faults (possibly empty), never an exception."""
    document = copy.deepcopy(example_document)
    target = document
    for part in path[:-1]:
        target = target[part]
    target[path[-1]] = value
    assert isinstance(faults_of(document), list)


@pytest.mark.parametrize(
    ("mutate", "field", "reason"),
    [
        (lambda d: d["items"][0].__setitem__("name", "事" * 201), "name", "过长"),
        (lambda d: d["items"][0].__setitem__("legal_basis", "依据" * 6000), "legal_basis", "过长"),
        (lambda d: d["items"][0]["materials"][0].__setitem__("note", "注" * 501), "materials.0.note", "过长"),
        (lambda d: d["items"][0].__setitem__("conditions", "已清算\x00"), "conditions", "控制字符"),
        (lambda d: d["items"][0].__setitem__("legal_basis", "\ud800"), "legal_basis", "无效的 Unicode"),
    ],
)
def test_text_the_database_cannot_hold_is_refused_naming_the_field(example_document, mutate, field, reason):
    """Over-long text and NUL would crash PostgreSQL mid-import; they are faults like any other."""
    from onething.catalog.validation import Known, validate_catalog

    mutate(example_document)
    faults = validate_catalog(example_document, Known())
    code = example_document["items"][0]["code"]
    assert any(f.code == code and f.field == field and reason in f.message for f in faults), faults
