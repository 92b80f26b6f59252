"""Plans from the published catalog: load a bundle or item with what planning it needs, plan it.

The planning itself is :mod:`onething.catalog.planner` (pure). This module reads the current
published revisions it needs (a handful of queries, independent of the catalog's size) and is
shared by the plan API, the guides, the portal pages and case intake, so they all plan alike.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q

from onething.catalog import planner
from onething.catalog.models import Revision
from onething.catalog.publishing import current, current_many
from onething.core.errors import ApiError, not_found
from onething.directory.models import Department, Region


def material_and_element_records(items: dict[str, dict]) -> tuple[dict[str, dict], dict[str, dict]]:
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
    materials, elements = material_and_element_records(items)
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
    materials, elements = material_and_element_records({code: item})
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
    materials, elements = material_and_element_records(items)
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
