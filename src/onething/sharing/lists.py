"""The three-lists report (需求清单、责任清单、负面清单 against the resource catalog).

:func:`report` answers four questions:

- ``unsupplied_demands`` — demands with no supply: no resource, a 不予共享 resource, or
  materials no shareable resource replaces;
- ``unused_resources`` — shareable resources nobody uses (no approved request);
- ``unmet_duties`` — duties with no catalogued resource yet;
- ``missed_exemptions`` — the sharing part of the conformance audit: material lines of
  published items whose material type is not marked 免提交 although an approved request
  exists for a resource that replaces it (:func:`onething.catalog.conformance.missed_exemptions`,
  fed here with the sharing data, since catalog must not import sharing).

``onething sharing-report [--json]`` prints it.
"""

from __future__ import annotations

from collections import defaultdict

from onething.catalog.conformance import missed_exemptions
from onething.catalog.models import MaterialType
from onething.catalog.publishing import current_many
from onething.directory.models import Department
from onething.sharing.models import Demand, Duty, Request, Resource, SharingClass

TITLES = {
    "unsupplied_demands": "有需求、无供给的共享需求",
    "unused_resources": "有供给、无人使用的数据资源",
    "unmet_duties": "尚未落实的共享责任",
    "missed_exemptions": "可通过已批准的数据共享免提交、但仍要求申请人提交的材料",
}


def _department_names() -> dict[str, str]:
    return {
        code: short or name
        for code, name, short in Department.objects.values_list("code", "name", "short_name")
    }


def unsupplied_demands() -> list[dict]:
    shareable = Resource.objects.exclude(sharing_class=SharingClass.NONE)
    replaced: set[str] = set()
    for codes in shareable.values_list("replaces", flat=True):
        replaced.update(codes or [])
    out = []
    for demand in Demand.objects.select_related("resource").order_by("department_id", "id"):
        reasons = []
        if demand.resource is None:
            reasons.append("未对应任何数据资源")
        elif demand.resource.sharing_class == SharingClass.NONE:
            reasons.append(f"对应的数据资源 {demand.resource.code} 不予共享")
        missing = [m for m in demand.materials or [] if m not in replaced]
        if missing:
            reasons.append(f"材料 {'、'.join(missing)} 尚无可共享的数据资源替代")
        if reasons:
            out.append(
                {
                    "id": demand.pk,
                    "department": demand.department_id,
                    "name": demand.name,
                    "resource": demand.resource.code if demand.resource else None,
                    "materials": list(demand.materials or []),
                    "reasons": reasons,
                }
            )
    return out


def unused_resources() -> list[dict]:
    used = set(Request.objects.filter(status=Request.Status.APPROVED).values_list("resource_id", flat=True))
    return [
        {"code": r.code, "name": r.name, "provider": r.provider_id, "sharing_class": r.sharing_class}
        for r in Resource.objects.exclude(sharing_class=SharingClass.NONE).order_by("provider_id", "code")
        if r.pk not in used
    ]


def unmet_duties() -> list[dict]:
    return [
        {"id": d.pk, "department": d.department_id, "name": d.name, "description": d.description}
        for d in Duty.objects.filter(resource__isnull=True).order_by("department_id", "id")
    ]


def exemption_sources(names: dict[str, str] | None = None) -> dict[str, list[str]]:
    """Material code → the approved requests that could supply it (resource, request, using
    department), for resources that are shared (not 不予共享)."""
    names = names if names is not None else _department_names()
    sources: dict[str, list[str]] = defaultdict(list)
    approved = (
        Request.objects.filter(status=Request.Status.APPROVED)
        .exclude(resource__sharing_class=SharingClass.NONE)
        .select_related("resource")
        .order_by("resource__code", "id")
    )
    for request in approved:
        for material in request.resource.replaces or []:
            sources[material].append(
                f"{request.resource.code}（共享申请 {request.pk}，{names.get(request.department_id, request.department_id)}）"
            )
    return dict(sources)


def missed() -> list[dict]:
    names = _department_names()
    exempt = set(MaterialType.objects.exclude(exempt_via="").values_list("code", flat=True))
    items = current_many("item").values()
    return [f.as_dict() for f in missed_exemptions(items, exempt, exemption_sources(names))]


def report() -> dict:
    """The four parts (lists of plain dicts, JSON-ready)."""
    return {
        "unsupplied_demands": unsupplied_demands(),
        "unused_resources": unused_resources(),
        "unmet_duties": unmet_duties(),
        "missed_exemptions": missed(),
    }


def report_lines(data: dict | None = None) -> list[str]:
    """The report in Chinese, one line per finding, section by section."""
    data = data if data is not None else report()
    names = _department_names()

    def dept(code: str) -> str:
        return names.get(code, code)

    lines: list[str] = []
    lines.append(f"一、{TITLES['unsupplied_demands']}（{len(data['unsupplied_demands'])} 项）")
    for d in data["unsupplied_demands"]:
        lines.append(f"  {dept(d['department'])}：{d['name']} —— {'；'.join(d['reasons'])}")
    lines.append(f"二、{TITLES['unused_resources']}（{len(data['unused_resources'])} 项）")
    for r in data["unused_resources"]:
        lines.append(f"  {dept(r['provider'])}：{r['name']}（{r['code']}）—— 尚无已批准的共享申请")
    lines.append(f"三、{TITLES['unmet_duties']}（{len(data['unmet_duties'])} 项）")
    for d in data["unmet_duties"]:
        lines.append(f"  {dept(d['department'])}：{d['name']} —— 尚未编目对应的数据资源")
    lines.append(f"四、{TITLES['missed_exemptions']}（{len(data['missed_exemptions'])} 处）")
    current = None
    for f in data["missed_exemptions"]:
        if f["department"] != current:
            current = f["department"]
            lines.append(f"  {dept(current)}：")
        lines.append(
            f"    {f['item']}（{f['item_name']}）仍要求提交“{f['material']}”，"
            f"可通过 {'、'.join(f['sources'])} 获取"
        )
    return lines
