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

from django.http import HttpResponse
from django.utils import timezone
from ninja import Field, Schema
from pydantic import BaseModel

from onething.catalog.api import router
from onething.catalog.plans import (
    OVERVIEW_BASIS,
    OVERVIEW_BASIS_TEXT,
    bundle_plan,
    bundles_overview,
    item_plan,
)
from onething.core.errors import responses

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


class NamedOut(Schema):
    """Something referred to by code and name (a region, a department, an item, a hall); the
    12345 tickets use it too, so the OpenAPI document has one ``NamedOut``."""

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
