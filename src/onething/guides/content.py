"""The content of a generated service guide (智能生成办事指南), from the published catalog.

One function per subject (bundle, item) gathers everything a guide shows — plan, members,
materials, flow diagram, limits, fees, results, halls, channels, versions — into one context
dict, so the HTML page, the PDF and the 情形引导 page cannot drift apart. Nothing here is
typed by hand: change the catalog, publish, and every guide changes with it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import mark_safe

from onething.catalog import planner
from onething.catalog.models import (
    AUDIENCES,
    CROSS_PROVINCE_MODES,
    ONLINE_DEPTHS,
    Revision,
)
from onething.catalog.plans import load_bundle, load_item, planner_error
from onething.catalog.views import CATEGORY_NAMES, EXEMPT_NAMES, ONLINE_NAMES, RESULT_TYPE_NAMES, fee_text
from onething.directory.models import Department, Hall, Region
from onething.documents.render import qr_svg
from onething.guides import diagrams

ANSWER_PREFIX = "a."
AUDIENCE_NAMES = dict(AUDIENCES)
ONLINE_RANK = {code: n for n, (code, _) in enumerate(ONLINE_DEPTHS)}
CHANNELS = [
    ("政务服务便民热线", "12345", "咨询、求助、投诉、举报、建议，7×24小时"),
    ("办不成事反映窗口", "政务服务中心一楼", "办事遇到困难、办不成时当场反映"),
    ("好差评", "办结后在网上、掌上或窗口评价", "差评件限期核实整改并回访"),
]


@dataclass(frozen=True)
class Subject:
    kind: str  # "bundle" | "item"
    code: str


def answer_params(query: Mapping[str, Any]) -> dict[str, str]:
    """``a.<question>=<value>`` query parameters as raw answers (question id → text)."""
    return {
        key[len(ANSWER_PREFIX) :]: str(query.get(key, ""))
        for key in sorted(query.keys())
        if key.startswith(ANSWER_PREFIX) and len(key) > len(ANSWER_PREFIX)
    }


def answers_query(answers: Mapping[str, Any]) -> str:
    """Typed answers back into ``a.<question>=…`` form (true/false for booleans)."""
    return urlencode(
        [
            (f"{ANSWER_PREFIX}{qid}", "true" if v is True else "false" if v is False else str(v))
            for qid, v in answers.items()
        ]
    )


def answer_text(value: Any) -> str:
    return "是" if value is True else "否" if value is False else str(value)


def _with_query(path: str, query: str) -> str:
    return f"{path}?{query}" if query else path


def typed_answers(questions, raw: Mapping[str, str]) -> dict[str, Any]:
    try:
        return planner.answers_from_strings(questions, raw)
    except planner.PlanError as exc:
        raise planner_error(exc, prefix="a")


def _versions(bundle_code: str | None, item_codes: list[str]) -> dict[str, int]:
    rows = Revision.objects.filter(current=True, kind="item", code__in=item_codes).values_list(
        "code", "version"
    )
    out = dict(rows)
    if bundle_code:
        out[bundle_code] = (
            Revision.objects.filter(current=True, kind="bundle", code=bundle_code)
            .values_list("version", flat=True)
            .first()
            or 0
        )
    return out


def halls_for(region_code: str | None) -> list[Hall]:
    """Halls of the region, then of its ancestors (a county item can be done at the city hall)."""
    if not region_code:
        return []
    region = Region.objects.filter(pk=region_code).first()
    if region is None:
        return []
    codes = [region.code, *reversed(region.ancestor_codes())]
    halls = list(Hall.objects.filter(region_id__in=codes).select_related("region"))
    return sorted(halls, key=lambda h: (codes.index(h.region_id), h.code))


def _member_rows(
    plan: planner.Plan, items: Mapping[str, dict], departments: Mapping[str, Department]
) -> list[dict]:
    rows = []
    for m in plan.members:
        item = items[m.item]
        dept = departments.get(item["department"])
        rows.append(
            {
                "plan": m,
                "code": m.item,
                "name": m.name,
                "category": CATEGORY_NAMES.get(item.get("category"), ""),
                "department": dept.name if dept else item["department"],
                "department_short": (dept.short_name or dept.name) if dept else "",
                "conditions": item.get("conditions") or "",
                "legal_basis": item.get("legal_basis") or "",
                "legal_limit": item.get("legal_limit", 0),
                "promised_limit": item.get("promised_limit", 0),
                "visits": item.get("visits", 1),
                "inspection": bool(item.get("inspection")),
                "online": ONLINE_NAMES.get(item.get("online"), item.get("online", "")),
                "online_code": item.get("online"),
                "cross_province": [CROSS_PROVINCE_MODES.get(c, c) for c in item.get("cross_province") or ()],
                "fee": fee_text(item.get("fee") or {}),
                "charged": bool((item.get("fee") or {}).get("charged")),
                "result": (item.get("result") or {}).get("name", ""),
                "result_type": RESULT_TYPE_NAMES.get((item.get("result") or {}).get("type"), ""),
                "reason": m.reason,
                "after_names": [plan_member_name(plan, a) for a in m.after],
            }
        )
    return rows


def plan_member_name(plan: planner.Plan, code: str) -> str:
    return next((m.name for m in plan.members if m.item == code), code)


def _common(plan: planner.Plan, items: Mapping[str, dict], region_code: str | None) -> dict:
    dept_codes = {i["department"] for i in items.values()}
    departments = {d.code: d for d in Department.objects.filter(code__in=dept_codes)}
    members = _member_rows(plan, items, departments)
    online_codes = [r["online_code"] for r in members if r["online_code"]]
    weakest = min(online_codes, key=lambda c: ONLINE_RANK.get(c, 0)) if online_codes else None
    cross = sorted({c for r in members for c in r["cross_province"]})
    materials = [
        {
            "line": line,
            "exempt_name": EXEMPT_NAMES.get(line.exempt_via or "", ""),
            "item_names": [plan_member_name(plan, c) for c in line.items],
        }
        for line in plan.materials
    ]
    questions = [
        {
            "question": q,
            "answered": q.id in plan.answers,
            "answer": plan.answers.get(q.id),
            "answer_text": answer_text(plan.answers[q.id]) if q.id in plan.answers else "",
        }
        for q in plan.questions
    ]
    return {
        "plan": plan,
        "members": members,
        "materials": materials,
        "to_submit_count": len(plan.to_submit),
        "exempt_count": sum(1 for line in plan.materials if line.exempt),
        "questions": questions,
        "reduction_rows": plan.reduction.rows(),
        "reduction_chart": diagrams.reduction_chart(plan.reduction.rows()),
        "online_summary": ONLINE_NAMES.get(weakest, "") if weakest else "",
        "all_online": bool(members) and all(r["online_code"] == "full" for r in members),
        "cross_province": cross,
        "fees": [r for r in members if r["charged"]],
        "fee_total": sum(
            (items[r["code"]].get("fee") or {}).get("amount_yuan") or 0 for r in members if r["charged"]
        ),
        "visits": plan.reduction.visits.bundled,
        "halls": halls_for(region_code),
        "channels": CHANNELS,
        "generated_at": timezone.localtime(),
    }


def _links(kind: str, code: str, answers: Mapping[str, Any]) -> dict:
    query = answers_query(answers)
    guide_path = reverse(f"guides:{kind}_guide", args=[code])
    guidance_path = reverse(f"guides:{kind}", args=[code])
    pdf_path = f"/api/v1/catalog/{kind}s/{code}/guide.pdf"
    guide_url = settings.PUBLIC_URL + _with_query(guide_path, query)
    return {
        "query": query,
        "guide_path": _with_query(guide_path, query),
        "guidance_path": _with_query(guidance_path, query),
        "pdf_path": _with_query(pdf_path, query),
        "guide_url": guide_url,
        "qr": mark_safe(qr_svg(guide_url, title="扫码查看在线办事指南")),  # noqa: S308 - segno output
    }


def bundle_guide(
    code: str, raw_answers: Mapping[str, str] | None = None, answers: Mapping[str, Any] | None = None
) -> dict:
    """Everything a guide of bundle ``code`` shows, for these answers (raw strings or typed).

    Raises a domain error (:mod:`onething.kernel.errors`) — NotFound for an unpublished bundle, Invalid naming
    ``a.<question>`` for a bad answer.
    """
    bundle, items, materials, elements = load_bundle(code)
    questions = planner.questions_of(bundle)
    if answers is None:
        answers = typed_answers(questions, raw_answers or {})
    try:
        plan = planner.plan_bundle(bundle, items, materials, elements, answers)
    except planner.PlanError as exc:
        raise planner_error(exc, prefix="a")
    context = _common(plan, items, bundle.get("region"))
    lead = Department.objects.filter(pk=bundle["lead_department"]).first()
    region = Region.objects.filter(pk=bundle.get("region")).first() if bundle.get("region") else None
    labels = {r["code"]: (r["name"], r["department_short"]) for r in context["members"]}
    versions = _versions(code, list(items))
    context.update(
        {
            "kind": "bundle",
            "kind_name": "一件事",
            "code": code,
            "name": bundle["name"],
            "description": bundle.get("description") or "",
            "audience": AUDIENCE_NAMES.get(bundle.get("audience"), ""),
            "lead_department": lead.name if lead else bundle["lead_department"],
            "region": region.name if region else "",
            "flow": diagrams.bundle_flow(plan, labels),
            "versions": versions,
            "version": versions.get(code, 0),
            "version_text": f"一件事第{versions.get(code, 0)}版；成员事项 "
            + "、".join(f"{c} 第{versions.get(c, 0)}版" for c in plan.member_codes),
            "legal_limit": sum(r["legal_limit"] for r in context["members"]),
            **_links("bundle", code, plan.answers),
        }
    )
    return context


def item_guide(
    code: str, raw_answers: Mapping[str, str] | None = None, answers: Mapping[str, Any] | None = None
) -> dict:
    """Everything a guide of the single item ``code`` shows (a one-member plan)."""
    item, materials, elements, questions = load_item(code)
    if answers is None:
        answers = typed_answers(questions, raw_answers or {})
    try:
        plan = planner.plan_item(item, materials, elements, answers, questions=questions)
    except planner.PlanError as exc:
        raise planner_error(exc, prefix="a")
    items = {code: item}
    context = _common(plan, items, item.get("region"))
    region = Region.objects.filter(pk=item.get("region")).first()
    versions = _versions(None, [code])
    member = context["members"][0]
    context.update(
        {
            "kind": "item",
            "kind_name": "事项",
            "code": code,
            "name": item["name"],
            "description": member["conditions"],
            "audience": AUDIENCE_NAMES.get(item.get("audience"), ""),
            "lead_department": member["department"],
            "region": region.name if region else "",
            "flow": diagrams.item_flow(item),
            "item": item,
            "versions": versions,
            "version": versions.get(code, 0),
            "version_text": f"事项 {code} 第{versions.get(code, 0)}版",
            "legal_limit": member["legal_limit"],
            **_links("item", code, plan.answers),
        }
    )
    return context


def guide(kind: str, code: str, raw_answers: Mapping[str, str] | None = None) -> dict:
    return (bundle_guide if kind == "bundle" else item_guide)(code, raw_answers)


def answer_text_value(value: Any) -> str:
    """An answer as the query-string value it came from (true/false for booleans)."""
    return "true" if value is True else "false" if value is False else str(value)
