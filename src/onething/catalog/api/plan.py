"""Bundle and item plans (一件事规划) and the bundles overview, from the published catalog.

The planning itself is :mod:`onething.catalog.planner` (pure); this module reads the current
published revisions it needs (a handful of queries, independent of the catalog's size), maps
planner errors to the public error shape and declares every status in OpenAPI.

``GET /bundles`` and ``GET /bundles/overview.xlsx`` live here rather than in the guides app
because they must be registered before ``GET /bundles/{code}`` (Django matches URL patterns in
order, and ``{code}`` would swallow ``overview.xlsx``); this module is imported first.
"""

from __future__ import annotations

import io
from typing import Any

from django.db.models import Q
from django.http import HttpResponse
from django.utils import timezone
from ninja import Field, Schema
from pydantic import BaseModel

from onething.catalog import planner
from onething.catalog.api import router
from onething.catalog.models import Revision
from onething.catalog.publishing import current, current_many
from onething.core.errors import ApiError, not_found, responses
from onething.directory.models import Department, Region

# ------------------------------------------------------------------------------- loading


def _material_and_element_records(items: dict[str, dict]) -> tuple[dict[str, dict], dict[str, dict]]:
    """Material types and data elements the items name, in one query."""
    material_codes = sorted({m["material"] for i in items.values() for m in i.get("materials") or ()})
    element_keys = sorted({f["element"] for i in items.values() for f in i.get("form") or ()})
    out: dict[str, dict[str, dict]] = {"material": {}, "data_element": {}}
    rows = Revision.objects.filter(current=True, withdrawn=False).filter(
        Q(kind="material", code__in=material_codes) | Q(kind="data_element", code__in=element_keys)
    )
    for kind, code, data in rows.values_list("kind", "code", "data"):
        out[kind][code] = data
    return out["material"], out["data_element"]


def planner_error(exc: planner.PlanError, prefix: str = "answers") -> ApiError:
    """A planner error as the public error: bad answers → 400 naming the question."""
    if isinstance(exc, planner.AnswerError):
        return ApiError(400, exc.code, exc.message, f"{prefix}.{exc.field}" if prefix else exc.field)
    return ApiError(409, exc.code, f"一件事定义有误，暂不能生成规划：{exc.message}", exc.field)


def load_bundle(code: str) -> tuple[dict, dict[str, dict], dict[str, dict], dict[str, dict]]:
    """The published bundle and what planning it needs; 404 when it is not published."""
    bundle = current("bundle", code)
    if bundle is None:
        raise not_found(f"一件事 {code}", "code")
    items = current_many("item", [m["item"] for m in bundle["members"]])
    materials, elements = _material_and_element_records(items)
    return bundle, items, materials, elements


def declared_item_questions(item: dict) -> dict[str, planner.Question]:
    """Questions of published bundles that contain ``item``: they give its material conditions
    a text and a type (a single item declares no questions of its own)."""
    out: dict[str, planner.Question] = {}
    for bundle in current_many("bundle").values():
        if any(m["item"] == item["code"] for m in bundle["members"]):
            for q in planner.questions_of(bundle):
                out.setdefault(q.id, q)
    return out


def load_item(code: str) -> tuple[dict, dict[str, dict], dict[str, dict], tuple[planner.Question, ...]]:
    item = current("item", code)
    if item is None:
        raise not_found(f"事项 {code}", "code")
    materials, elements = _material_and_element_records({code: item})
    questions = planner.item_questions(item, declared_item_questions(item))
    return item, materials, elements, questions


def bundle_plan(code: str, answers: Any, prefix: str = "answers") -> tuple[dict, planner.Plan]:
    """(published bundle, plan) or an :class:`ApiError` (404 unknown, 400 bad answer)."""
    bundle, items, materials, elements = load_bundle(code)
    try:
        return bundle, planner.plan_bundle(bundle, items, materials, elements, answers)
    except planner.PlanError as exc:
        raise planner_error(exc, prefix)


def item_plan(code: str, answers: Any, prefix: str = "answers") -> tuple[dict, planner.Plan]:
    item, materials, elements, questions = load_item(code)
    try:
        return item, planner.plan_item(item, materials, elements, answers, questions=questions)
    except planner.PlanError as exc:
        raise planner_error(exc, prefix)


# ------------------------------------------------------------------------------- schemas


class PlanIn(Schema):
    answers: dict[str, Any] = Field(default_factory=dict, description="问题标识 → 回答（布尔或选项文字）")


# Output schemas are plain pydantic models: ninja's Django-aware ``Schema`` resolves every
# attribute through a getter, which for a 100-line plan cost more than computing the plan.


class FigureOut(BaseModel):
    separate: int
    bundled: int


class ReductionOut(BaseModel):
    applications: FigureOut
    materials: FigureOut
    inspections: FigureOut
    visits: FigureOut
    days: FigureOut


class PlanFormOut(BaseModel):
    element: str
    label: str
    type: str
    required: bool
    choices: list[str]
    items: list[str]


class PlanMaterialOut(BaseModel):
    material: str
    name: str
    kind: str
    originals: int
    copies: int
    required: bool
    exempt: bool
    exempt_via: str | None = None
    notes: list[str]
    items: list[str]


class PlanQuestionOut(BaseModel):
    id: str
    text: str
    type: str
    choices: list[str] | None = None


class PlanMemberOut(BaseModel):
    item: str
    name: str
    department: str
    promised_limit: int
    legal_limit: int
    visits: int
    inspection: bool
    when: Any = None
    reason: str
    after: list[str]
    dropped_after: list[str]
    stage: int


class SkippedMemberOut(BaseModel):
    item: str
    name: str
    when: Any = None
    reason: str
    open_questions: list[str]


class UndecidedMaterialOut(BaseModel):
    item: str
    material: str
    name: str
    open_questions: list[str]


class InspectionOut(BaseModel):
    members: list[str]
    joint: bool


class PlanOut(BaseModel):
    kind: str
    code: str
    name: str
    members: list[str]
    form: list[PlanFormOut]
    materials: list[PlanMaterialOut]
    limit_days: int
    limit_source: str
    reduction: ReductionOut
    answers: dict[str, Any]
    open_questions: list[PlanQuestionOut]
    applicable: list[PlanMemberOut]
    undecided: list[SkippedMemberOut]
    not_applicable: list[SkippedMemberOut]
    undecided_materials: list[UndecidedMaterialOut]
    inspection: InspectionOut
    graph: dict[str, list[str]]
    critical_path: list[str]


# ------------------------------------------------------------------------------- overview


OVERVIEW_BASIS = "maximal"
OVERVIEW_BASIS_TEXT = (
    "按各一件事的最大情形计算：在全部回答组合中选取适用成员事项最多的一种（同等时取材料最多者）"
)


def bundles_overview() -> list[dict]:
    """Every published bundle with its reduction figures for its maximal plan.

    "All members applicable" is not always possible (个体工商户 and 企业 exclude each other), so
    the overview uses each bundle's widest real case; the answers used are listed.
    """
    bundles = sorted(current_many("bundle").values(), key=lambda b: b["code"])
    items = current_many("item", {m["item"] for b in bundles for m in b["members"]})
    materials, elements = _material_and_element_records(items)
    departments = dict(
        Department.objects.filter(pk__in={b["lead_department"] for b in bundles}).values_list("pk", "name")
    )
    regions = dict(
        Region.objects.filter(pk__in={b["region"] for b in bundles if b.get("region")}).values_list(
            "pk", "name"
        )
    )
    rows = []
    for b in bundles:
        try:
            plan = planner.maximal_plan(b, items, materials, elements)
        except planner.PlanError:
            continue  # a member withdrawn after publication: the bundle cannot be planned now
        rows.append(
            {
                "code": b["code"],
                "name": b["name"],
                "region": {"code": b.get("region") or "", "name": regions.get(b.get("region"), "")},
                "lead_department": {
                    "code": b["lead_department"],
                    "name": departments.get(b["lead_department"], ""),
                },
                "members": plan.member_codes,
                "member_count": len(b["members"]),
                "answers": plan.answers,
                "limit_days": plan.limit_days,
                "reduction": plan.reduction.as_dict(),
                "plan": plan,
            }
        )
    return rows


class NamedOut(Schema):
    code: str
    name: str


class OverviewRowOut(Schema):
    code: str
    name: str
    region: NamedOut
    lead_department: NamedOut
    members: list[str]
    member_count: int
    answers: dict[str, Any]
    limit_days: int
    reduction: ReductionOut


class OverviewOut(Schema):
    basis: str
    basis_text: str
    count: int
    bundles: list[OverviewRowOut]


@router.get(
    "/bundles",
    response=responses(OverviewOut),
    summary="一件事清单及减环节、减材料、减时限、减跑动情况",
    description=OVERVIEW_BASIS_TEXT,
)
def list_bundles(request):
    rows = bundles_overview()
    return {"basis": OVERVIEW_BASIS, "basis_text": OVERVIEW_BASIS_TEXT, "count": len(rows), "bundles": rows}


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
OVERVIEW_HEADERS = [
    "编码",
    "一件事名称",
    "区划",
    "牵头部门",
    "成员事项数",
    "本情形适用事项数",
    "申请次数（分别办）",
    "申请次数（一件事）",
    "提交材料（分别办）",
    "提交材料（一件事）",
    "现场核查（分别办）",
    "现场核查（一件事）",
    "跑动次数（分别办）",
    "跑动次数（一件事）",
    "办理时限（分别办，工作日）",
    "办理时限（一件事，工作日）",
    "计算采用的情形回答",
]


def overview_workbook(rows: list[dict]) -> bytes:
    """The overview as an Excel workbook with Chinese headers (for reform reports)."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    wb = Workbook()
    ws = wb.active
    ws.title = "一件事减环节情况"
    ws.append(OVERVIEW_HEADERS)
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for r in rows:
        red = r["reduction"]
        answers = "；".join(
            f"{q.text}：{'是' if r['answers'][q.id] is True else '否' if r['answers'][q.id] is False else r['answers'][q.id]}"
            for q in r["plan"].questions
            if q.id in r["answers"]
        )
        ws.append(
            [
                r["code"],
                r["name"],
                r["region"]["name"],
                r["lead_department"]["name"],
                r["member_count"],
                len(r["members"]),
                *(
                    red[k][s]
                    for k in ("applications", "materials", "inspections", "visits", "days")
                    for s in ("separate", "bundled")
                ),
                answers,
            ]
        )
    ws.append([])
    ws.append([f"说明：{OVERVIEW_BASIS_TEXT}。生成时间 {timezone.localtime():%Y-%m-%d %H:%M}"])
    for column, width in zip("ABCDEFGHIJKLMNOPQ", (22, 24, 10, 30, *([12] * 12), 60), strict=True):
        ws.column_dimensions[column].width = width
    ws.freeze_panes = "C2"
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


@router.get(
    "/bundles/overview.xlsx",
    response=responses(None),
    summary="一件事减环节情况导出（Excel）",
    description=OVERVIEW_BASIS_TEXT,
    openapi_extra={
        "responses": {
            200: {
                "description": "Excel 工作簿",
                "content": {XLSX: {"schema": {"type": "string", "format": "binary"}}},
            }
        }
    },
)
def bundles_overview_xlsx(request):
    response = HttpResponse(overview_workbook(bundles_overview()), content_type=XLSX)
    response["Content-Disposition"] = 'attachment; filename="bundles-overview.xlsx"'
    return response


# ------------------------------------------------------------------------------- plan endpoints


@router.post(
    "/bundles/{code}/plan",
    response=responses(PlanOut, 404, 409),
    summary="一件事规划：适用事项、一表、一套材料、时限与减环节报告",
    description="根据情形回答计算适用的成员事项、合并表单、合并材料清单（免提交材料标注）、联合踏勘、"
    "办理时限和减环节、减材料、减时限、减跑动报告。未回答的问题列于 open_questions，"
    "其条件依赖未回答问题的成员事项列于 undecided。",
)
def plan_bundle(request, code: str, payload: PlanIn):
    _, plan = bundle_plan(code, payload.answers)
    return plan.as_dict()


@router.post(
    "/items/{code}/plan",
    response=responses(PlanOut, 404, 409),
    summary="单个事项规划（与一件事相同的结构，一个成员）",
)
def plan_item(request, code: str, payload: PlanIn):
    _, plan = item_plan(code, payload.answers)
    return plan.as_dict()


# ------------------------------------------------------------------------------- admin preview


def plan_preview_html(code: str, answers_json: str | None = None) -> str:
    """The plan and reduction report of the *working* bundle ``code`` for the admin form.

    Answers come from ``answers_json`` (the ``plan_answers`` query parameter of the change
    page); without it the bundle's maximal plan is shown. Links list the answer combinations
    so a maintainer can check each case without typing JSON. Faults are shown, not raised.
    """
    import json
    from urllib.parse import quote

    from django.utils.html import escape, format_html_join

    from onething.catalog import records

    bundle = records.working_record("bundle", code)
    if bundle is None:
        return "保存后可预览规划"
    items = {}
    for m in bundle["members"]:
        record = records.working_record("item", m["item"]) or current("item", m["item"])
        if record is not None:
            items[m["item"]] = record
    materials, elements = _material_and_element_records(items)
    try:
        if answers_json:
            answers = json.loads(answers_json)
            plan = planner.plan_bundle(bundle, items, materials, elements, answers)
            basis = f"情形：{escape(json.dumps(plan.answers, ensure_ascii=False))}"
        else:
            plan = planner.maximal_plan(bundle, items, materials, elements)
            basis = f"最大情形：{escape(json.dumps(plan.answers, ensure_ascii=False))}"
    except (ValueError, planner.PlanError) as exc:
        return f'<p class="errornote">无法计算规划：{escape(getattr(exc, "message", str(exc)))}</p>'
    rows = format_html_join(
        "",
        "<tr><td>{}</td><td>{}</td><td>{}</td></tr>",
        ((r["label"], r["separate"], r["bundled"]) for r in plan.reduction.rows()),
    )
    members = "、".join(escape(f"{m.name}（{m.promised_limit}日）") for m in plan.members) or "无"
    materials_text = (
        "、".join(escape(m.name + ("（免提交）" if m.exempt else "")) for m in plan.materials) or "无"
    )
    combos = []
    for q in planner.questions_of(bundle)[:3]:
        values = (True, False) if q.type == "boolean" else q.choices
        for v in values:
            query = quote(json.dumps({**plan.answers, q.id: v}, ensure_ascii=False))
            combos.append(f'<a href="?plan_answers={query}">{escape(q.text)}→{escape(str(v))}</a>')
    return (
        f"<div><p>{basis}；办理时限 {plan.limit_days} 个工作日</p>"
        f"<p>适用事项：{members}</p><p>合并材料：{materials_text}</p>"
        f"<table><tr><th>项目</th><th>分别办理</th><th>一件事</th></tr>{rows}</table>"
        f"<p>其他情形（或在地址栏加 ?plan_answers={{JSON}}）：{' · '.join(combos)}</p></div>"
    )
