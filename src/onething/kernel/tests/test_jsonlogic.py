"""JSON Logic conditions: well-formedness, the questions a condition names, evaluation.

Import refuses a bundle whose condition is malformed or names an undeclared question, and
the planner evaluates conditions over the applicant's answers; both rest on these functions.
"""

from __future__ import annotations

import pytest

from onething.kernel.jsonlogic import ConditionError, check_condition, evaluate


@pytest.mark.parametrize(
    ("condition", "names"),
    [
        (None, set()),
        (True, set()),
        (False, set()),
        ({"==": [{"var": "parents_local_hukou"}, True]}, {"parents_local_hukou"}),
        ({"and": [{"var": "a"}, {"!": {"var": "b"}}]}, {"a", "b"}),
        ({"var": ["applicant.age", 0]}, {"applicant"}),
        ({"in": [{"var": "kind"}, ["x", "y"]]}, {"kind"}),
        ({"missing": ["a", "b"]}, {"a", "b"}),
        ({"missing_some": [1, ["c", "d"]]}, {"c", "d"}),
        ({"if": [{"var": "a"}, "yes", {"var": "b"}]}, {"a", "b"}),
        ({"<": [1, {"var": "n"}, 10]}, {"n"}),
    ],
)
def test_well_formed_conditions_and_the_questions_they_name(condition, names):
    assert check_condition(condition) == names


@pytest.mark.parametrize(
    ("condition", "message"),
    [
        ("a == b", "条件应为 JSON Logic 对象、布尔值或空"),
        ([{"var": "a"}], "条件应为 JSON Logic 对象、布尔值或空"),
        ({"eval": ["1+1"]}, "不支持的运算符：eval"),
        ({"==": [1]}, "运算符 == 的参数个数不正确"),
        ({"!": [1, 2]}, "运算符 ! 的参数个数不正确"),
        ({"==": [1, 2], "!=": [1, 2]}, "每个条件对象只能有一个运算符"),
        ({}, "每个条件对象只能有一个运算符"),
        ({"var": ""}, "var 必须指明问题"),
        ({"var": []}, "var 必须指明问题"),
        ({"var": [3]}, "var 的参数应为问题标识（字符串）"),
        ({"==": [{"var": "a"}, {1, 2}]}, "条件中含有不支持的值"),
    ],
)
def test_malformed_conditions_are_refused_with_a_reason(condition, message):
    with pytest.raises(ConditionError) as exc:
        check_condition(condition)
    assert message in str(exc.value)


def test_nesting_depth_is_bounded():
    condition: dict = {"var": "a"}
    for _ in range(40):
        condition = {"!": [condition]}
    with pytest.raises(ConditionError, match="嵌套过深"):
        check_condition(condition)


def test_evaluation():
    hukou = {"==": [{"var": "parents_local_hukou"}, True]}
    assert evaluate(hukou, {"parents_local_hukou": True}) is True
    assert evaluate(hukou, {"parents_local_hukou": False}) is False
    assert evaluate(None, {}) is True
    assert evaluate(False, {"x": 1}) is False
    assert evaluate(True, {}) is True
    assert evaluate({"in": [{"var": "kind"}, ["a", "b"]]}, {"kind": "b"}) is True


def test_missing_answers_make_a_condition_false_not_an_error():
    assert evaluate({"==": [{"var": "has_employees"}, True]}, {}) is False
    assert evaluate({"!": {"var": "has_employees"}}, {}) is True
    assert evaluate({"var": ["has_employees", True]}, {}) is True  # explicit default


def test_answers_are_not_mutated():
    answers = {"a": 1}
    evaluate({"==": [{"var": "a"}, 1]}, answers)
    assert answers == {"a": 1}
