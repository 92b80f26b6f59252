"""一件事一次办: the plan of a bundle (or a single item) for an applicant's answers.

This is the one place that implements the bundle plan semantics of PRODUCT.md (C4, "Bundle
plan semantics — exact"). It is a *pure* function of exchange-format records — no database,
no Django — so the API, the generated guides, the admin preview, case intake and the property
tests all compute exactly the same plan, and a plan costs microseconds, not queries.

Inputs are exchange-format dicts (``contracts/catalog.schema.json``): the bundle, its member
items by code, material types by code and data elements by key. The caller (API, guides)
reads them from the *published* catalog; the admin passes working records.

Answers are validated against the bundle's questions: an unknown question or a value of the
wrong type raises :class:`AnswerError` naming the question, in Chinese. A question not yet
answered (absent or ``null``) is *open*: members and item materials whose condition names an
open question are neither applied nor refused but listed as undecided, so a partially answered
questionnaire (情形引导, one question per screen) already shows what is certain.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from onething.catalog.wording import describe_condition
from onething.kernel.jsonlogic import ConditionError, check_condition, evaluate

YES_WORDS = {"true", "1", "yes", "y", "on", "是", "有"}
NO_WORDS = {"false", "0", "no", "n", "off", "否", "无", "没有"}


# ------------------------------------------------------------------------------- errors


class PlanError(ValueError):
    """Base of planner errors; ``field`` names what is wrong, ``message`` is Chinese."""

    code = "plan_error"

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field
        self.message = message


class AnswerError(PlanError):
    """An answer the bundle cannot accept (unknown question, wrong type, not a choice)."""

    code = "invalid_answer"


class DefinitionError(PlanError):
    """The bundle definition cannot be planned (member item missing, dependency cycle …).

    Publication refuses such bundles, so on the published catalog this means a member item was
    withdrawn after the bundle was published; in the admin preview it explains a draft's fault.
    """

    code = "invalid_definition"


# ------------------------------------------------------------------------------- the plan


@dataclass(frozen=True)
class Question:
    id: str
    text: str
    type: str  # "boolean" | "choice" | "any" (items: a variable no bundle declares)
    choices: tuple[str, ...] = ()

    def as_dict(self) -> dict:
        out: dict[str, Any] = {"id": self.id, "text": self.text, "type": self.type}
        if self.type == "choice":
            out["choices"] = list(self.choices)
        return out


@dataclass(frozen=True)
class MemberPlan:
    """An applicable member: the item, why it applies, and what it waits for."""

    item: str
    name: str
    department: str
    promised_limit: int
    legal_limit: int
    visits: int
    inspection: bool
    when: Any
    reason: str  # the condition in words ("所有申请人均需办理" when unconditional)
    after: tuple[str, ...]  # effective predecessors (applicable members only)
    dropped_after: tuple[str, ...]  # declared predecessors that do not apply to this applicant
    stage: int  # 1 = can start at once; n = after stage n-1 is done

    def as_dict(self) -> dict:
        return {
            "item": self.item,
            "name": self.name,
            "department": self.department,
            "promised_limit": self.promised_limit,
            "legal_limit": self.legal_limit,
            "visits": self.visits,
            "inspection": self.inspection,
            "when": self.when,
            "reason": self.reason,
            "after": list(self.after),
            "dropped_after": list(self.dropped_after),
            "stage": self.stage,
        }


@dataclass(frozen=True)
class SkippedMember:
    """A member that does not apply (condition false) or is undecided (open question)."""

    item: str
    name: str
    when: Any
    reason: str
    open_questions: tuple[str, ...] = ()

    def as_dict(self) -> dict:
        return {
            "item": self.item,
            "name": self.name,
            "when": self.when,
            "reason": self.reason,
            "open_questions": list(self.open_questions),
        }


@dataclass(frozen=True)
class FormField:
    element: str
    label: str
    type: str
    required: bool
    choices: tuple[str, ...]
    items: tuple[str, ...]  # members that ask for it

    def as_dict(self) -> dict:
        return {
            "element": self.element,
            "label": self.label,
            "type": self.type,
            "required": self.required,
            "choices": list(self.choices),
            "items": list(self.items),
        }


@dataclass(frozen=True)
class MaterialLine:
    material: str
    name: str
    kind: str
    originals: int
    copies: int
    required: bool
    exempt: bool
    exempt_via: str | None
    notes: tuple[str, ...]
    items: tuple[str, ...]  # members that ask for it

    def as_dict(self) -> dict:
        return {
            "material": self.material,
            "name": self.name,
            "kind": self.kind,
            "originals": self.originals,
            "copies": self.copies,
            "required": self.required,
            "exempt": self.exempt,
            "exempt_via": self.exempt_via,
            "notes": list(self.notes),
            "items": list(self.items),
        }


@dataclass(frozen=True)
class UndecidedMaterial:
    item: str
    material: str
    name: str
    open_questions: tuple[str, ...]

    def as_dict(self) -> dict:
        return {
            "item": self.item,
            "material": self.material,
            "name": self.name,
            "open_questions": list(self.open_questions),
        }


@dataclass(frozen=True)
class Figure:
    separate: int
    bundled: int

    @property
    def saved(self) -> int:
        return self.separate - self.bundled

    @property
    def percent(self) -> int:
        """Share saved, in whole percent (0 when nothing was needed separately)."""
        return round(100 * self.saved / self.separate) if self.separate else 0

    def as_dict(self) -> dict:
        return {"separate": self.separate, "bundled": self.bundled}


@dataclass(frozen=True)
class Reduction:
    """减环节、减材料、减时限、减跑动 — computed from the plan, never typed in."""

    applications: Figure
    materials: Figure
    inspections: Figure
    visits: Figure
    days: Figure

    NAMES = (
        ("applications", "申请次数", "次"),
        ("materials", "提交材料", "份"),
        ("inspections", "现场核查", "次"),
        ("visits", "跑动次数", "次"),
        ("days", "办理时限", "个工作日"),
    )

    def as_dict(self) -> dict:
        return {key: getattr(self, key).as_dict() for key, _, _ in self.NAMES}

    def rows(self) -> list[dict]:
        """Rows for people (pages, PDFs, Excel): label, unit, separate, bundled, saved, percent."""
        return [
            {
                "key": key,
                "label": label,
                "unit": unit,
                "separate": getattr(self, key).separate,
                "bundled": getattr(self, key).bundled,
                "saved": getattr(self, key).saved,
                "percent": getattr(self, key).percent,
            }
            for key, label, unit in self.NAMES
        ]


@dataclass(frozen=True)
class Plan:
    kind: str  # "bundle" | "item"
    code: str
    name: str
    answers: dict[str, Any]
    questions: tuple[Question, ...]
    open_questions: tuple[str, ...]
    members: tuple[MemberPlan, ...]
    undecided: tuple[SkippedMember, ...]
    not_applicable: tuple[SkippedMember, ...]
    form: tuple[FormField, ...]
    materials: tuple[MaterialLine, ...]
    undecided_materials: tuple[UndecidedMaterial, ...]
    inspection: tuple[str, ...]  # members needing on-site inspection (one joint inspection)
    graph: dict[str, tuple[str, ...]]  # member -> effective predecessors
    critical_path: tuple[str, ...]
    limit_days: int
    limit_source: str  # "bundle" (promised_limit) | "critical_path"
    reduction: Reduction

    @property
    def member_codes(self) -> list[str]:
        return [m.item for m in self.members]

    @property
    def to_submit(self) -> list[MaterialLine]:
        return [m for m in self.materials if not m.exempt]

    @property
    def complete(self) -> bool:
        return not self.open_questions

    def as_dict(self) -> dict:
        """The API shape (PRODUCT.md "Public interfaces") plus explanatory extras."""
        return {
            "kind": self.kind,
            "code": self.code,
            "name": self.name,
            "members": self.member_codes,
            "form": [f.as_dict() for f in self.form],
            "materials": [m.as_dict() for m in self.materials],
            "limit_days": self.limit_days,
            "limit_source": self.limit_source,
            "reduction": self.reduction.as_dict(),
            "answers": dict(self.answers),
            "open_questions": [q.as_dict() for q in self.questions if q.id in self.open_questions],
            "applicable": [m.as_dict() for m in self.members],
            "undecided": [m.as_dict() for m in self.undecided],
            "not_applicable": [m.as_dict() for m in self.not_applicable],
            "undecided_materials": [m.as_dict() for m in self.undecided_materials],
            "inspection": {"members": list(self.inspection), "joint": len(self.inspection) > 0},
            "graph": {k: list(v) for k, v in self.graph.items()},
            "critical_path": list(self.critical_path),
        }


# ------------------------------------------------------------------------------- answers


def questions_of(bundle: Mapping[str, Any]) -> tuple[Question, ...]:
    return tuple(
        Question(q["id"], q.get("text") or q["id"], q["type"], tuple(q.get("choices") or ()))
        for q in bundle.get("questions") or ()
    )


def validate_answers(questions: tuple[Question, ...], answers: Mapping[str, Any] | None) -> dict[str, Any]:
    """The answers that were given, checked; ``None`` values count as not answered."""
    if answers is None:
        return {}
    if not isinstance(answers, Mapping):
        raise AnswerError("answers", "回答应为 JSON 对象（问题标识 → 回答）")
    by_id = {q.id: q for q in questions}
    out: dict[str, Any] = {}
    for qid in sorted(answers, key=str):
        value = answers[qid]
        q = by_id.get(qid)
        if q is None:
            raise AnswerError(str(qid), f"没有问题 {qid}：本事项的问题是 {'、'.join(by_id) or '（无）'}")
        if value is None:
            continue
        if q.type == "boolean" and not isinstance(value, bool):
            raise AnswerError(qid, f"问题 {qid}（{q.text}）应回答 true 或 false")
        if q.type == "choice" and (not isinstance(value, str) or value not in q.choices):
            raise AnswerError(qid, f"问题 {qid}（{q.text}）的回答应为以下之一：{'、'.join(q.choices)}")
        if q.type == "any" and not isinstance(value, str | bool | int | float):
            raise AnswerError(qid, f"问题 {qid} 的回答应为文字、数字或 true/false")
        out[qid] = value
    return out


def answers_from_strings(questions: tuple[Question, ...], raw: Mapping[str, str]) -> dict[str, Any]:
    """Answers typed from strings (query parameters ``a.<question>=…``, form posts).

    An empty string means not answered. Booleans accept true/false (and 是/否); anything else
    for a boolean question is an :class:`AnswerError` naming the question.
    """
    by_id = {q.id: q for q in questions}
    out: dict[str, Any] = {}
    for qid, text in raw.items():
        q = by_id.get(qid)
        value = (text or "").strip()
        if q is None:
            raise AnswerError(qid, f"没有问题 {qid}：本事项的问题是 {'、'.join(by_id) or '（无）'}")
        if value == "":
            continue
        if q.type == "boolean":
            if value.lower() in YES_WORDS:
                out[qid] = True
            elif value.lower() in NO_WORDS:
                out[qid] = False
            else:
                raise AnswerError(qid, f"问题 {qid}（{q.text}）应回答 true 或 false")
        else:
            out[qid] = value
    return validate_answers(questions, out)


# ------------------------------------------------------------------------------- planning


_EQ_OPS = {"==": False, "===": False, "!=": True, "!==": True}


def _simple(condition: Any, answers: Mapping[str, Any]) -> tuple[bool | None, tuple] | None:
    """Fast path for the shapes catalogs use, with JSON Logic's exact result, or ``None``.

    ``{"==": [{"var": q}, literal]}`` (and !=, ===, !==) where the answer and the literal have
    the same type (bool or str — where loose and strict equality agree), ``{"!": {"var": q}}``
    and ``{"!!": …}`` on a boolean answer, ``{"in": [{"var": q}, [str, …]]}`` on a string answer.
    Anything else returns ``None`` and goes through the full implementation. A plan evaluates a
    condition per member and per item material; this keeps a 20-member bundle well under 2 ms.
    """
    if type(condition) is not dict or len(condition) != 1:
        return None
    ((op, args),) = condition.items()
    negate = _EQ_OPS.get(op)
    if negate is not None:
        if type(args) is not list or len(args) != 2:
            return None
        var, literal = args
        if type(var) is not dict or len(var) != 1 or type(var.get("var")) is not str:
            return None
        name = var["var"]
        if "." in name:
            return None
        if name not in answers:
            return None, (name,)
        value = answers[name]
        if type(value) is not type(literal) or type(value) not in (bool, str):
            return None
        return (value != literal) if negate else (value == literal), ()
    if op in ("!", "!!"):
        arg = args[0] if type(args) is list and len(args) == 1 else args
        if type(arg) is not dict or len(arg) != 1 or type(arg.get("var")) is not str or "." in arg["var"]:
            return None
        name = arg["var"]
        if name not in answers:
            return None, (name,)
        if type(answers[name]) is not bool:
            return None
        return (not answers[name]) if op == "!" else answers[name], ()
    if op == "in":
        if type(args) is not list or len(args) != 2 or type(args[1]) is not list:
            return None
        var, options = args
        if type(var) is not dict or len(var) != 1 or type(var.get("var")) is not str or "." in var["var"]:
            return None
        name = var["var"]
        if name not in answers:
            return None, (name,)
        if type(answers[name]) is not str or not all(type(o) is str for o in options):
            return None
        return answers[name] in options, ()
    return None


def _condition_state(
    condition: Any, answers: Mapping[str, Any], where: str | tuple
) -> tuple[bool | None, tuple]:
    """(True/False, ()) when decided; (None, open question ids) when it names an open question."""
    if condition is None:
        return True, ()
    fast = _simple(condition, answers)
    if fast is not None:
        return fast
    try:
        names = check_condition(condition)
    except ConditionError as exc:
        where = where if isinstance(where, str) else ".".join(map(str, where))
        raise DefinitionError(where, f"条件格式错误：{exc}")
    open_names = tuple(sorted(n for n in names if n not in answers))
    if open_names:
        return None, open_names
    return bool(evaluate(condition, answers)), ()


def _int(value: Any, default: int = 0) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else default


def plan_bundle(
    bundle: Mapping[str, Any],
    items: Mapping[str, Mapping[str, Any]],
    materials: Mapping[str, Mapping[str, Any]],
    elements: Mapping[str, Mapping[str, Any]],
    answers: Mapping[str, Any] | None = None,
    *,
    questions: tuple[Question, ...] | None = None,
    kind: str = "bundle",
) -> Plan:
    """The plan of ``bundle`` for ``answers`` (PRODUCT.md "Bundle plan semantics — exact")."""
    questions = questions_of(bundle) if questions is None else questions
    by_qid = {q.id: q for q in questions}
    given = validate_answers(questions, answers)
    open_questions = tuple(q.id for q in questions if q.id not in given)

    # 1. members: condition true → applicable; names an open question → undecided
    members_raw = list(bundle.get("members") or ())
    applicable: list[tuple[dict, Mapping[str, Any]]] = []
    undecided: list[SkippedMember] = []
    not_applicable: list[SkippedMember] = []
    reasons: dict[str, str] = {}
    for n, m in enumerate(members_raw):
        code = m["item"]
        item = items.get(code)
        if item is None:
            raise DefinitionError(f"members.{n}.item", f"成员事项 {code} 不存在或未发布")
        when = m.get("when")
        state, open_names = _condition_state(when, given, f"members.{n}.when")
        reason = describe_condition(when, by_qid)
        if state is None:
            undecided.append(SkippedMember(code, item.get("name", code), when, reason, open_names))
        elif state:
            applicable.append((m, item))
            reasons[code] = reason
        else:
            not_applicable.append(SkippedMember(code, item.get("name", code), when, reason))
    applicable_codes = {m["item"] for m, _ in applicable}

    # the after-graph among applicable members only (a non-applicable predecessor is dropped)
    graph: dict[str, tuple[str, ...]] = {}
    dropped: dict[str, tuple[str, ...]] = {}
    for m, _ in applicable:
        declared = [a for a in m.get("after") or () if a != m["item"]]
        graph[m["item"]] = tuple(dict.fromkeys(a for a in declared if a in applicable_codes))
        dropped[m["item"]] = tuple(dict.fromkeys(a for a in declared if a not in applicable_codes))
    weights = {m["item"]: _int(item.get("promised_limit")) for m, item in applicable}
    finish, best_pred, stage = _longest_paths(graph, weights)

    member_plans = tuple(
        MemberPlan(
            item=m["item"],
            name=item.get("name", m["item"]),
            department=item.get("department", ""),
            promised_limit=weights[m["item"]],
            legal_limit=_int(item.get("legal_limit")),
            visits=_int(item.get("visits"), 1),
            inspection=bool(item.get("inspection", False)),
            when=m.get("when"),
            reason=reasons[m["item"]],
            after=graph[m["item"]],
            dropped_after=dropped[m["item"]],
            stage=stage[m["item"]],
        )
        for m, item in applicable
    )

    # 2. form: each data element once, required if any member requires it
    form_order: dict[str, dict] = {}
    for m, item in applicable:
        for f in item.get("form") or ():
            key = f["element"]
            entry = form_order.setdefault(key, {"required": False, "items": []})
            entry["required"] = entry["required"] or bool(f.get("required", True))
            if m["item"] not in entry["items"]:
                entry["items"].append(m["item"])
    form = tuple(
        FormField(
            element=key,
            label=elements.get(key, {}).get("label", key),
            type=elements.get(key, {}).get("type", "string"),
            required=entry["required"],
            choices=tuple(elements.get(key, {}).get("choices") or ()),
            items=tuple(entry["items"]),
        )
        for key, entry in form_order.items()
    )

    # 3. materials: applicable item materials, merged by material type
    merged: dict[str, dict] = {}
    undecided_materials: list[UndecidedMaterial] = []
    separate_materials = 0
    for m, item in applicable:
        code = m["item"]
        for k, im in enumerate(item.get("materials") or ()):
            mat = im["material"]
            when = im.get("when")
            if when is not None:
                state, open_names = _condition_state(when, given, ("items", code, "materials", k, "when"))
                if state is None:
                    name = materials.get(mat, {}).get("name", mat)
                    undecided_materials.append(UndecidedMaterial(code, mat, name, open_names))
                    continue
                if not state:
                    continue
            separate_materials += 1
            entry = merged.get(mat)
            if entry is None:
                entry = merged[mat] = [0, 0, False, [], []]
            originals, copies = _int(im.get("originals"), 1), _int(im.get("copies"))
            if originals > entry[0]:
                entry[0] = originals
            if copies > entry[1]:
                entry[1] = copies
            if not entry[2] and im.get("required", True):
                entry[2] = True
            note = im.get("note")
            if note and note not in entry[3]:
                entry[3].append(note)
            if code not in entry[4]:
                entry[4].append(code)
    material_lines = []
    for mat, (originals, copies, required, notes, used_by) in merged.items():
        record = materials.get(mat) or {}
        exempt_via = record.get("exempt_via") or None
        material_lines.append(
            MaterialLine(
                material=mat,
                name=record.get("name", mat),
                kind=record.get("kind", "other"),
                originals=originals,
                copies=copies,
                required=required,
                exempt=bool(exempt_via),
                exempt_via=exempt_via,
                notes=tuple(notes),
                items=tuple(used_by),
            )
        )
    material_lines = tuple(material_lines)

    # 4. limit: the bundle's promised limit, else the longest path through the after-graph
    critical = _critical_path(finish, best_pred)
    promised = bundle.get("promised_limit")
    if isinstance(promised, int) and not isinstance(promised, bool):
        limit, source = promised, "bundle"
    else:
        limit, source = (max(finish.values()) if finish else 0), "critical_path"

    # 5. reduction report
    n = len(member_plans)
    inspection = tuple(mp.item for mp in member_plans if mp.inspection)
    reduction = Reduction(
        applications=Figure(n, min(n, 1)),
        materials=Figure(separate_materials, sum(1 for line in material_lines if not line.exempt)),
        inspections=Figure(len(inspection), 1 if inspection else 0),
        visits=Figure(
            sum(mp.visits for mp in member_plans), max((mp.visits for mp in member_plans), default=0)
        ),
        days=Figure(sum(mp.promised_limit for mp in member_plans), limit),
    )
    return Plan(
        kind=kind,
        code=bundle.get("code", ""),
        name=bundle.get("name", ""),
        answers=given,
        questions=questions,
        open_questions=open_questions,
        members=member_plans,
        undecided=tuple(undecided),
        not_applicable=tuple(not_applicable),
        form=form,
        materials=material_lines,
        undecided_materials=tuple(undecided_materials),
        inspection=inspection,
        graph=graph,
        critical_path=critical,
        limit_days=limit,
        limit_source=source,
        reduction=reduction,
    )


def _longest_paths(
    graph: Mapping[str, tuple[str, ...]], weights: Mapping[str, int]
) -> tuple[dict[str, int], dict[str, str | None], dict[str, int]]:
    """Per node: finish time (longest weighted path ending there), its best predecessor, stage.

    Iterative (a 200-member bundle must not hit the recursion limit); a cycle is a
    :class:`DefinitionError`, although publication already refuses cyclic bundles.
    """
    finish: dict[str, int] = {}
    best: dict[str, str | None] = {}
    stage: dict[str, int] = {}
    visiting: set[str] = set()
    for root in graph:
        if root in finish:
            continue
        stack: list[tuple[str, bool]] = [(root, False)]
        while stack:
            node, expanded = stack.pop()
            if node in finish:
                continue
            if expanded:
                visiting.discard(node)
                pred = None
                start = 0
                level = 0
                for p in graph[node]:
                    if pred is None or finish[p] > start:
                        pred, start = p, finish[p]
                    level = max(level, stage[p])
                finish[node] = start + weights.get(node, 0)
                best[node] = pred
                stage[node] = level + 1
                continue
            if node in visiting:
                raise DefinitionError("members.after", f"前置关系存在循环（涉及 {node}）")
            visiting.add(node)
            stack.append((node, True))
            for p in graph[node]:
                if p not in finish:
                    if p in visiting:
                        raise DefinitionError("members.after", f"前置关系存在循环：{p} ↔ {node}")
                    stack.append((p, False))
    return finish, best, stage


def _critical_path(finish: Mapping[str, int], best: Mapping[str, str | None]) -> tuple[str, ...]:
    if not finish:
        return ()
    end = max(finish, key=lambda code: finish[code])  # first of the longest, in member order
    path = [end]
    while best.get(path[-1]) is not None:
        path.append(best[path[-1]])
    return tuple(reversed(path))


# ------------------------------------------------------------------------------- single items


def item_questions(
    item: Mapping[str, Any], declared: Mapping[str, Question] | None = None
) -> tuple[Question, ...]:
    """The questions a single item's material conditions ask (declared by some bundle, or free)."""
    declared = declared or {}
    names: list[str] = []
    for im in item.get("materials") or ():
        try:
            for name in sorted(check_condition(im.get("when"))):
                if name not in names:
                    names.append(name)
        except ConditionError:
            continue
    return tuple(declared.get(name) or Question(name, name, "any") for name in names)


def plan_item(
    item: Mapping[str, Any],
    materials: Mapping[str, Mapping[str, Any]],
    elements: Mapping[str, Mapping[str, Any]],
    answers: Mapping[str, Any] | None = None,
    *,
    questions: tuple[Question, ...] | None = None,
) -> Plan:
    """A single item planned like a one-member bundle, so guides and intake share one shape.

    ``questions`` are the variables its material conditions name (see :func:`item_questions`);
    the limit is the item's promised limit.
    """
    questions = item_questions(item) if questions is None else questions
    pseudo = {
        "code": item.get("code", ""),
        "name": item.get("name", ""),
        "members": [{"item": item.get("code", "")}],
        "promised_limit": None,
    }
    return plan_bundle(
        pseudo,
        {item.get("code", ""): item},
        materials,
        elements,
        answers,
        questions=questions,
        kind="item",
    )


def full_answers(questions: tuple[Question, ...]) -> dict[str, Any]:
    """Answers making every member applicable where possible ("maximal plan" for overviews).

    Members are *not* all applicable for every bundle (e.g. 个体工商户 vs 企业 exclude each
    other), so overviews use :func:`maximal_plan` instead; this is its starting point.
    """
    return {q.id: True if q.type == "boolean" else (q.choices[0] if q.choices else "") for q in questions}


def maximal_plan(
    bundle: Mapping[str, Any],
    items: Mapping[str, Mapping[str, Any]],
    materials: Mapping[str, Mapping[str, Any]],
    elements: Mapping[str, Mapping[str, Any]],
    limit: int = 4096,
) -> Plan:
    """The plan with the most applicable members (ties: most separate materials, then the first
    combination in question order) over all combinations of answers — the bundle's widest case,
    used for the bundles overview. Falls back to :func:`full_answers` when the combinations
    exceed ``limit``.
    """
    questions = questions_of(bundle)
    domains = [(q.id, (True, False) if q.type == "boolean" else tuple(q.choices) or ("",)) for q in questions]
    total = 1
    for _, values in domains:
        total *= max(len(values), 1)
    if total > limit:
        return plan_bundle(bundle, items, materials, elements, full_answers(questions))
    best: Plan | None = None
    combos: list[dict[str, Any]] = [{}]
    for qid, values in domains:
        combos = [{**c, qid: v} for c in combos for v in values]
    for answers in combos:
        plan = plan_bundle(bundle, items, materials, elements, answers)
        key = (len(plan.members), plan.reduction.materials.separate)
        if best is None or key > (len(best.members), best.reduction.materials.separate):
            best = plan
    assert best is not None
    return best


__all__ = [
    "AnswerError",
    "DefinitionError",
    "Figure",
    "FormField",
    "MaterialLine",
    "MemberPlan",
    "Plan",
    "PlanError",
    "Question",
    "Reduction",
    "answers_from_strings",
    "describe_condition",
    "full_answers",
    "item_questions",
    "maximal_plan",
    "plan_bundle",
    "plan_item",
    "validate_answers",
]
