"""Conditions, dependencies and limits in words (no database)."""

from __future__ import annotations

import pytest

from onething.web import presenters

QUESTIONS = [
    {"id": "has_employees", "text": "企业是否为职工参加了社会保险？", "type": "boolean"},
    {
        "id": "entity_type",
        "text": "以何种主体形式经营？",
        "type": "choice",
        "choices": ["个体工商户", "企业"],
    },
    {"id": "change_item", "text": "本次变更的主要事项是什么？", "type": "choice"},
]


@pytest.mark.parametrize(
    ("condition", "expected"),
    [
        ({"==": [{"var": "has_employees"}, True]}, "当‘企业是否为职工参加了社会保险？’为‘是’时办理"),
        ({"==": [{"var": "has_employees"}, False]}, "当‘企业是否为职工参加了社会保险？’为‘否’时办理"),
        ({"==": [True, {"var": "has_employees"}]}, "当‘企业是否为职工参加了社会保险？’为‘是’时办理"),
        ({"!=": [{"var": "entity_type"}, "企业"]}, "当‘以何种主体形式经营？’不为‘企业’时办理"),
        (
            {"in": [{"var": "change_item"}, ["名称", "住所"]]},
            "当‘本次变更的主要事项是什么？’为‘名称’或‘住所’时办理",
        ),
        ({"!": {"var": "has_employees"}}, "当‘企业是否为职工参加了社会保险？’为‘否’时办理"),
        ({"!": [{"var": "has_employees"}]}, "当‘企业是否为职工参加了社会保险？’为‘否’时办理"),
        (
            {"and": [{"==": [{"var": "has_employees"}, True]}, {"==": [{"var": "entity_type"}, "企业"]}]},
            "当‘企业是否为职工参加了社会保险？’为‘是’，且‘以何种主体形式经营？’为‘企业’时办理",
        ),
        (
            {"or": [{"==": [{"var": "entity_type"}, "企业"]}, {"==": [{"var": "has_employees"}, True]}]},
            "当‘以何种主体形式经营？’为‘企业’，或‘企业是否为职工参加了社会保险？’为‘是’时办理",
        ),
        (
            {"!": {"==": [{"var": "entity_type"}, "企业"]}},
            "当并非（‘以何种主体形式经营？’为‘企业’）时办理",
        ),
        (
            {
                "and": [
                    {"==": [{"var": "has_employees"}, True]},
                    {"or": [{"==": [{"var": "entity_type"}, "企业"]}, {"var": "has_employees"}]},
                ]
            },
            "当‘企业是否为职工参加了社会保险？’为‘是’，且（‘以何种主体形式经营？’为‘企业’，"
            "或‘企业是否为职工参加了社会保险？’为‘是’）时办理",
        ),
    ],
)
def test_simple_conditions_in_chinese(condition, expected):
    assert presenters.describe_condition(condition, QUESTIONS) == expected


@pytest.mark.parametrize(
    "condition",
    [
        {">": [{"var": "age"}, 60]},  # operator not described
        {"==": [{"var": "unknown_question"}, True]},  # question not in the bundle
        {"==": [{"var": "has_employees"}, {"var": "entity_type"}]},
        {"and": []},
        {"in": [{"var": "change_item"}]},
        "not a condition",
        {"==": [{"var": "has_employees"}, True], "extra": 1},
    ],
)
def test_other_conditions_fall_back(condition):
    assert presenters.describe_condition(condition, QUESTIONS) == "满足特定情形时办理"


def test_no_condition_means_always():
    assert presenters.describe_condition(None, QUESTIONS) == "所有情形均需办理"


def test_material_condition_uses_the_given_verb():
    text = presenters.describe_condition({"==": [{"var": "has_employees"}, True]}, QUESTIONS, "提交")
    assert text.endswith("时提交")


def test_dependencies_in_words():
    names = {"A": "清税证明开具", "B": "社会保险注销登记"}
    assert presenters.describe_after(["A"], names) == "在‘清税证明开具’办结后办理"
    assert (
        presenters.describe_after(["A", "B"], names, conditional={"B"})
        == "在‘清税证明开具’、‘社会保险注销登记’（如涉及）办结后办理"
    )
    assert presenters.describe_after([], names) == ""


def test_limits_in_words():
    assert presenters.limit_text(0) == "即办件（当场办结）"
    assert presenters.limit_text(5) == "5 个工作日"
    assert presenters.legal_limit_text(0) == "法律法规未规定办结时限"
    assert presenters.fee_text({"charged": False}) == "不收费"
    assert presenters.fee_text({"charged": True, "amount_yuan": 20}) == "20 元"


def test_stages_and_longest_path():
    members = [
        {"item": "a", "after": [], "promised_limit": 1},
        {"item": "b", "after": [], "promised_limit": 3},
        {"item": "c", "after": ["a", "b"], "promised_limit": 2},
        {"item": "d", "after": ["c", "missing"], "promised_limit": 0},
    ]
    assert [[m["item"] for m in stage] for stage in presenters.stages(members)] == [["a", "b"], ["c"], ["d"]]
    assert presenters.longest_path_days(members) == 5


def test_cycles_do_not_hang():
    members = [
        {"item": "a", "after": ["b"], "promised_limit": 1},
        {"item": "b", "after": ["a"], "promised_limit": 1},
    ]
    assert sum(len(s) for s in presenters.stages(members)) == 2
    assert presenters.longest_path_days(members) >= 1


def test_material_overview_merges_by_type():
    items = {
        "a": {
            "name": "甲",
            "department": {"code": "d1"},
            "materials": [
                {
                    "material": "id-card",
                    "name": "居民身份证",
                    "originals": 1,
                    "copies": 0,
                    "exempt": True,
                    "exempt_via": "e_license",
                },
                {"material": "form-a", "name": "申请表", "originals": 1, "copies": 1, "exempt": False},
            ],
        },
        "b": {
            "name": "乙",
            "department": {"code": "d2"},
            "materials": [
                {
                    "material": "id-card",
                    "name": "居民身份证",
                    "originals": 1,
                    "copies": 2,
                    "exempt": True,
                    "exempt_via": "e_license",
                },
            ],
        },
    }
    members = [{"item": "a"}, {"item": "b", "when": {"var": "x"}}]
    overview = presenters.material_overview(members, items)
    assert [m["material"] for m in overview] == ["form-a", "id-card"]
    id_card = overview[1]
    assert id_card["copies"] == 2 and id_card["items"] == ["甲", "乙"] and id_card["exempt_via"] == "电子证照"
    assert not id_card["conditional"]
