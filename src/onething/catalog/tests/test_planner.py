"""The pure planner: unit cases and properties over random bundles (no database).

Properties are what keeps the reduction report honest for any catalog, not only the demo:
bundling never asks for more than doing things separately, and taking a member away never
makes the bundle bigger.
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from onething.catalog import planner

QUESTIONS = [{"id": f"q{n}", "text": f"问题{n}？", "type": "boolean"} for n in range(4)]


# ------------------------------------------------------------------------------- random bundles


@st.composite
def catalogs(draw, max_members: int = 8):
    n_materials = draw(st.integers(1, 12))
    materials = {
        f"m{k}": {
            "code": f"m{k}",
            "name": f"材料{k}",
            "kind": "other",
            "exempt_via": draw(st.sampled_from([None, None, "e_license", "data_share"])),
        }
        for k in range(n_materials)
    }
    elements = {f"e{k}": {"key": f"e{k}", "label": f"数据项{k}", "type": "string"} for k in range(8)}
    condition = st.one_of(
        st.none(),
        st.builds(
            lambda q, v: {"==": [{"var": q}, v]}, st.sampled_from([q["id"] for q in QUESTIONS]), st.booleans()
        ),
    )
    n = draw(st.integers(1, max_members))
    items = {}
    members = []
    for k in range(n):
        code = f"I-{k}"
        mats = draw(st.lists(st.sampled_from(sorted(materials)), unique=True, max_size=6))
        items[code] = {
            "code": code,
            "name": f"事项{k}",
            "department": "D",
            "legal_limit": 60,
            "promised_limit": draw(st.integers(0, 30)),
            "visits": draw(st.integers(0, 3)),
            "inspection": draw(st.booleans()),
            "materials": [
                {
                    "material": m,
                    "originals": draw(st.integers(0, 3)),
                    "copies": draw(st.integers(0, 3)),
                    "required": draw(st.booleans()),
                    **({"when": w} if (w := draw(condition)) is not None else {}),
                }
                for m in mats
            ],
            "form": [
                {"element": e, "required": draw(st.booleans())}
                for e in draw(st.lists(st.sampled_from(sorted(elements)), unique=True, max_size=5))
            ],
        }
        after = draw(st.lists(st.sampled_from([f"I-{j}" for j in range(k)]), unique=True)) if k else []
        member = {"item": code, "after": after}
        when = draw(condition)
        if when is not None:
            member["when"] = when
        members.append(member)
    bundle = {
        "code": "B",
        "name": "随机一件事",
        "questions": QUESTIONS,
        "members": members,
        "promised_limit": draw(st.one_of(st.none(), st.integers(0, 40))),
    }
    answers = draw(st.fixed_dictionaries({}, optional={q["id"]: st.booleans() for q in QUESTIONS}))
    return bundle, items, materials, elements, answers


def plan_of(case):
    bundle, items, materials, elements, answers = case
    return planner.plan_bundle(bundle, items, materials, elements, answers)


def without_member(bundle: dict, code: str) -> dict:
    out = dict(bundle)
    out["members"] = [
        {**m, "after": [a for a in m["after"] if a != code]} for m in bundle["members"] if m["item"] != code
    ]
    return out


FIGURES = ("applications", "materials", "inspections", "visits", "days")


@settings(max_examples=150, deadline=None)
@given(catalogs())
def test_merged_materials_never_exceed_separate(case):
    plan = plan_of(case)
    red = plan.reduction
    assert red.materials.bundled <= len(plan.materials) <= red.materials.separate
    for line in plan.materials:
        assert line.originals >= 0 and line.copies >= 0


@settings(max_examples=150, deadline=None)
@given(catalogs())
def test_limit_never_exceeds_the_sum_of_member_limits(case):
    bundle = {**case[0], "promised_limit": None}
    plan = plan_of((bundle, *case[1:]))
    assert plan.limit_source == "critical_path"
    assert plan.limit_days <= sum(m.promised_limit for m in plan.members) == plan.reduction.days.separate
    assert plan.limit_days >= max((m.promised_limit for m in plan.members), default=0)
    assert (
        sum(plan.members[[m.item for m in plan.members].index(c)].promised_limit for c in plan.critical_path)
        == plan.limit_days
    )


@settings(max_examples=150, deadline=None)
@given(catalogs(), st.data())
def test_removing_a_member_never_increases_a_bundled_figure(case, data):
    bundle, items, materials, elements, answers = case
    code = data.draw(st.sampled_from([m["item"] for m in bundle["members"]]))
    before = plan_of(case)
    after = planner.plan_bundle(without_member(bundle, code), items, materials, elements, answers)
    for name in FIGURES:
        assert getattr(after.reduction, name).bundled <= getattr(before.reduction, name).bundled, name
        assert getattr(after.reduction, name).separate <= getattr(before.reduction, name).separate, name
    assert len(after.form) <= len(before.form)


@settings(max_examples=100, deadline=None)
@given(catalogs())
def test_plan_is_deterministic(case):
    bundle, items, materials, elements, answers = case
    first = plan_of(case)
    reordered = dict(reversed(list(answers.items())))
    second = planner.plan_bundle(bundle, dict(reversed(list(items.items()))), materials, elements, reordered)
    assert first == second
    assert first.as_dict() == second.as_dict()


@settings(max_examples=150, deadline=None)
@given(catalogs())
def test_merged_form_and_materials_have_no_duplicates(case):
    plan = plan_of(case)
    elements = [f.element for f in plan.form]
    assert len(elements) == len(set(elements))
    codes = [m.material for m in plan.materials]
    assert len(codes) == len(set(codes))
    # each element asked once, required if any applicable member requires it
    items = case[1]
    for f in plan.form:
        asks = [x for m in plan.members for x in items[m.item]["form"] if x["element"] == f.element]
        assert f.required == any(x["required"] for x in asks)


@settings(max_examples=100, deadline=None)
@given(catalogs())
def test_every_member_is_accounted_for_and_edges_stay_inside(case):
    plan = plan_of(case)
    codes = [m.item for m in plan.members] + [m.item for m in plan.undecided + plan.not_applicable]
    assert sorted(codes) == sorted(m["item"] for m in case[0]["members"])
    applicable = set(plan.member_codes)
    for member in plan.members:
        assert set(member.after) <= applicable
        assert not set(member.dropped_after) & applicable
    # bundle order is kept
    order = [m["item"] for m in case[0]["members"]]
    assert plan.member_codes == [c for c in order if c in applicable]


# ------------------------------------------------------------------------------- unit cases


def simple(members, items, questions=QUESTIONS, promised_limit=None):
    return {
        "code": "B",
        "name": "一件事",
        "questions": questions,
        "members": members,
        "promised_limit": promised_limit,
    }


def item(code, limit, materials=(), **extra):
    return {
        "code": code,
        "name": code,
        "department": "D",
        "legal_limit": 60,
        "promised_limit": limit,
        "visits": extra.pop("visits", 1),
        "inspection": extra.pop("inspection", False),
        "materials": list(materials),
        "form": extra.pop("form", []),
        **extra,
    }


def test_a_dropped_dependency_is_not_made_transitive():
    """A → B → C with B not applicable: C simply loses its dependency (PRODUCT.md step 1)."""
    items = {"A": item("A", 5), "B": item("B", 7), "C": item("C", 3)}
    bundle = simple(
        [
            {"item": "A", "after": []},
            {"item": "B", "when": {"==": [{"var": "q0"}, True]}, "after": ["A"]},
            {"item": "C", "after": ["B"]},
        ],
        items,
    )
    plan = planner.plan_bundle(bundle, items, {}, {}, {"q0": False, "q1": False, "q2": False, "q3": False})
    assert plan.member_codes == ["A", "C"]
    assert plan.graph == {"A": (), "C": ()}
    assert plan.limit_days == 5  # max(5, 3): parallel
    with_b = planner.plan_bundle(bundle, items, {}, {}, {"q0": True})
    assert with_b.limit_days == 15
    assert with_b.critical_path == ("A", "B", "C")
    assert [m.stage for m in with_b.members] == [1, 2, 3]


def test_bundle_promised_limit_wins():
    items = {"A": item("A", 5), "B": item("B", 7)}
    plan = planner.plan_bundle(
        simple([{"item": "A"}, {"item": "B", "after": ["A"]}], items, promised_limit=4), items, {}, {}, {}
    )
    assert plan.limit_days == 4
    assert plan.limit_source == "bundle"
    assert plan.reduction.days == planner.Figure(12, 4)


def test_material_merge_takes_maxima_and_marks_exempt():
    materials = {
        "id": {"name": "身份证", "kind": "id_document", "exempt_via": "e_license"},
        "app": {"name": "申请表", "kind": "form"},
    }
    items = {
        "A": item(
            "A",
            1,
            [
                {"material": "id", "originals": 1, "copies": 0, "required": False, "note": "本人"},
                {"material": "app", "originals": 1, "copies": 0, "required": True},
            ],
        ),
        "B": item(
            "B", 1, [{"material": "id", "originals": 0, "copies": 2, "required": True, "note": "本人"}]
        ),
    }
    plan = planner.plan_bundle(simple([{"item": "A"}, {"item": "B"}], items), items, materials, {}, {})
    line = plan.materials[0]
    assert (line.material, line.originals, line.copies, line.required, line.exempt) == (
        "id",
        1,
        2,
        True,
        True,
    )
    assert line.notes == ("本人",)
    assert line.items == ("A", "B")
    assert plan.reduction.materials == planner.Figure(3, 1)
    assert [m.material for m in plan.to_submit] == ["app"]


def test_material_condition_on_an_open_question_is_undecided():
    items = {
        "A": item(
            "A",
            1,
            [{"material": "x", "originals": 1, "copies": 0, "required": True, "when": {"!": {"var": "q1"}}}],
        )
    }
    plan = planner.plan_bundle(simple([{"item": "A"}], items), items, {}, {}, {})
    assert plan.materials == ()
    assert plan.undecided_materials[0].open_questions == ("q1",)
    assert (
        planner.plan_bundle(simple([{"item": "A"}], items), items, {}, {}, {"q1": False})
        .materials[0]
        .material
        == "x"
    )


def test_empty_plan_has_zero_figures():
    items = {"A": item("A", 3)}
    bundle = simple([{"item": "A", "when": {"==": [{"var": "q0"}, True]}}], items)
    plan = planner.plan_bundle(bundle, items, {}, {}, {"q0": False})
    assert plan.members == ()
    assert plan.reduction.applications == planner.Figure(0, 0)
    assert plan.limit_days == 0


def test_answer_errors_name_the_question():
    questions = (
        planner.Question("kind", "类型？", "choice", ("甲", "乙")),
        planner.Question("yes", "是否？", "boolean"),
    )
    with pytest.raises(planner.AnswerError) as exc:
        planner.validate_answers(questions, {"nope": True})
    assert exc.value.field == "nope"
    with pytest.raises(planner.AnswerError) as exc:
        planner.validate_answers(questions, {"kind": "丙"})
    assert exc.value.field == "kind" and "甲" in exc.value.message
    with pytest.raises(planner.AnswerError) as exc:
        planner.validate_answers(questions, {"yes": "true"})
    assert exc.value.field == "yes"
    assert planner.validate_answers(questions, {"yes": None, "kind": "乙"}) == {"kind": "乙"}
    assert planner.answers_from_strings(questions, {"yes": "false", "kind": ""}) == {"yes": False}
    with pytest.raises(planner.AnswerError):
        planner.answers_from_strings(questions, {"yes": "maybe"})


def test_cycles_and_missing_items_are_definition_errors():
    items = {"A": item("A", 1), "B": item("B", 1)}
    cyclic = simple([{"item": "A", "after": ["B"]}, {"item": "B", "after": ["A"]}], items)
    with pytest.raises(planner.DefinitionError):
        planner.plan_bundle(cyclic, items, {}, {}, {})
    with pytest.raises(planner.DefinitionError) as exc:
        planner.plan_bundle(simple([{"item": "Z"}], items), items, {}, {}, {})
    assert "Z" in exc.value.message


def test_member_reasons_are_the_shared_wording():
    """The plan explains each member with the same sentence the portal and guides show."""
    from onething.catalog.wording import describe_condition

    questions = (planner.Question("local", "是否本市户籍？", "boolean"),)
    when = {"==": [{"var": "local"}, True]}
    items = {"A": item("A", 1), "B": item("B", 1)}
    bundle = simple(
        [{"item": "A"}, {"item": "B", "when": when}],
        items,
        questions=[{"id": "local", "text": "是否本市户籍？", "type": "boolean"}],
    )
    plan = planner.plan_bundle(bundle, items, {}, {}, {"local": True})
    reasons = {m.item: m.reason for m in plan.members}
    assert reasons["B"] == describe_condition(when, questions) == "当‘是否本市户籍？’为‘是’时办理"
    assert reasons["A"] == "所有情形均需办理"


def test_single_item_plan():
    materials = {"x": {"name": "X", "kind": "other"}}
    it = item(
        "A",
        4,
        [
            {
                "material": "x",
                "originals": 1,
                "copies": 0,
                "required": True,
                "when": {"==": [{"var": "q"}, True]},
            }
        ],
        visits=2,
        inspection=True,
    )
    plan = planner.plan_item(it, materials, {}, {"q": True})
    assert plan.kind == "item"
    assert plan.member_codes == ["A"]
    assert plan.limit_days == 4
    assert plan.reduction.visits == planner.Figure(2, 2)
    assert plan.reduction.inspections == planner.Figure(1, 1)
    assert [q.id for q in plan.questions] == ["q"]


def test_maximal_plan_picks_the_widest_case():
    items = {"A": item("A", 1), "B": item("B", 1), "C": item("C", 1)}
    questions = [
        {"id": "t", "text": "类型？", "type": "choice", "choices": ["甲", "乙"]},
        {"id": "q0", "text": "？", "type": "boolean"},
    ]
    bundle = simple(
        [
            {"item": "A", "when": {"==": [{"var": "t"}, "甲"]}},
            {"item": "B", "when": {"==": [{"var": "t"}, "乙"]}},
            {"item": "C", "when": {"==": [{"var": "q0"}, True]}},
        ],
        items,
        questions=questions,
    )
    plan = planner.maximal_plan(bundle, items, {}, {})
    assert plan.member_codes == ["A", "C"]
    assert plan.answers == {"t": "甲", "q0": True}
