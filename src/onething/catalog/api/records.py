"""Items, bundles, browse and the conformance audit."""

from __future__ import annotations

from typing import Any

from ninja import Field, Query, Schema

from onething.catalog import views
from onething.catalog.api import router
from onething.catalog.conformance import audit
from onething.catalog.publishing import current_many
from onething.core.errors import not_found, responses
from onething.directory.models import Region


class Named(Schema):
    code: str
    name: str


class MaterialLine(Schema):
    material: str
    name: str
    kind: str
    originals: int
    copies: int
    required: bool
    when: Any = None
    note: str | None = None
    exempt: bool
    exempt_via: str | None = None


class FormLine(Schema):
    element: str
    label: str
    type: str
    required: bool
    choices: list[str] = []


class Step(Schema):
    name: str
    days: int | None = None


class ItemOut(Schema):
    code: str
    basic_code: str
    name: str
    category: str
    category_name: str
    category_code: str
    department: Named
    region: Named
    level: str | None = None
    audience: str
    legal_basis: str
    conditions: str
    legal_limit: int
    promised_limit: int
    visits: int
    inspection: bool
    online: str
    online_name: str
    cross_province: list[str]
    cross_province_names: list[str]
    fee: dict[str, Any]
    result: dict[str, Any] | None = None
    steps: list[Step]
    materials: list[MaterialLine]
    form: list[FormLine]
    themes: list[str]
    keywords: list[str]
    version: int | None


class Question(Schema):
    id: str
    text: str
    type: str
    choices: list[str] | None = None


class MemberOut(Schema):
    item: str
    name: str
    department: Named
    when: Any = None
    after: list[str]
    promised_limit: int | None = None


class BundleOut(Schema):
    code: str
    name: str
    description: str
    audience: str
    lead_department: Named
    region: Named | None = None
    themes: list[str]
    keywords: list[str]
    questions: list[Question]
    members: list[MemberOut]
    promised_limit: int | None = None
    version: int | None


CODE = Field(..., max_length=64, pattern=r"^[A-Za-z0-9-]{1,64}$")


@router.get("/items/{code}", response=responses(ItemOut, 404), summary="事项详情（全部标准要素）")
def get_item(request, code: str):
    item = views.published_item(code)
    if item is None:
        raise not_found(f"事项 {code}", "code")
    return item


@router.get("/bundles/{code}", response=responses(BundleOut, 404), summary="一件事详情")
def get_bundle(request, code: str):
    bundle = views.published_bundle(code)
    if bundle is None:
        raise not_found(f"一件事 {code}", "code")
    return bundle


class RegionOut(Schema):
    code: str
    name: str
    level: str
    parent: str | None


@router.get("/regions", response=responses(list[RegionOut]), summary="行政区划")
def list_regions(request):
    return [
        {"code": r.code, "name": r.name, "level": r.level, "parent": r.parent_id}
        for r in Region.objects.order_by("code")
    ]


class DeviationOut(Schema):
    basic_code: str
    reference: str
    code: str
    element: str
    element_name: str
    expected: Any
    actual: Any


class AuditOut(Schema):
    count: int
    deviations: list[DeviationOut]


class AuditIn(Schema):
    basic_code: str | None = Field(None, max_length=32)


@router.get("/conformance", response=responses(AuditOut), summary="同一事项标准化比对（五级十二同）")
def conformance(request, params: Query[AuditIn]):
    items = current_many("item").values()
    if params.basic_code:
        items = [i for i in items if i["basic_code"] == params.basic_code]
    findings = [f.as_dict() for f in audit(items)]
    return {"count": len(findings), "deviations": findings}
