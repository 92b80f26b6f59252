"""Conditions and dependencies in words (no database)."""

from __future__ import annotations

import pytest

from onething.catalog import wording

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
    assert wording.describe_condition(condition, QUESTIONS) == expected


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
    assert wording.describe_condition(condition, QUESTIONS) == "满足特定情形时办理"


def test_no_condition_means_always():
    assert wording.describe_condition(None, QUESTIONS) == "所有情形均需办理"


def test_material_condition_uses_the_given_verb():
    text = wording.describe_condition({"==": [{"var": "has_employees"}, True]}, QUESTIONS, "提交")
    assert text.endswith("时提交")


def test_dependencies_in_words():
    names = {"A": "清税证明开具", "B": "社会保险注销登记"}
    assert wording.describe_after(["A"], names) == "在‘清税证明开具’办结后办理"
    assert (
        wording.describe_after(["A", "B"], names, conditional={"B"})
        == "在‘清税证明开具’、‘社会保险注销登记’（如涉及）办结后办理"
    )
    assert wording.describe_after([], names) == ""
