"""Conformance audit (五级十二同 / 同一事项无差别受理).

Implementations of the same basic item must keep the standard elements identical across
levels. The reference is the implementation at the highest level (the provincial one; if
there is none, the highest level present, lowest code first). Every other implementation is
compared element by element; each difference is one finding.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from typing import Any

from onething.kernel.codes import REGION_LEVELS

#: the standard elements compared, with their Chinese names
STANDARD_ELEMENTS = {
    "name": "事项名称",
    "category": "事项类型",
    "legal_basis": "设定依据",
    "conditions": "受理条件",
    "legal_limit": "法定办结时限",
    "promised_limit": "承诺办结时限",
    "visits": "到办事现场次数",
    "online": "网上办理深度",
    "fee": "收费标准",
    "result": "办理结果",
    "materials": "申请材料",
    "form": "申请表单",
}


@dataclass(frozen=True)
class Deviation:
    basic_code: str
    reference: str
    code: str
    element: str
    element_name: str
    expected: Any
    actual: Any

    def as_dict(self) -> dict:
        return asdict(self)

    def __str__(self) -> str:
        return f"{self.code} 与 {self.reference} 的“{self.element_name}”不一致：应为 {self.expected}，实为 {self.actual}"


def _rank(item: dict) -> tuple:
    region = item.get("region", "")
    level = _level_of_region(region)
    return (REGION_LEVELS.index(level) if level in REGION_LEVELS else 99, item["code"])


def _level_of_region(code: str) -> str | None:
    from onething.kernel.codes import region_level

    return region_level(code)


def _element(item: dict, name: str) -> Any:
    if name == "materials":
        return sorted(
            f"{m['material']}（原件{m.get('originals', 1)}，复印件{m.get('copies', 0)}"
            f"{'' if m.get('required', True) else '，非必需'}）"
            for m in item.get("materials", [])
        )
    if name == "form":
        return sorted(
            f["element"] + ("" if f.get("required", True) else "（选填）") for f in item.get("form", [])
        )
    if name == "result":
        return (item.get("result") or {}).get("name", "")
    if name == "fee":
        fee = item.get("fee") or {}
        return "不收费" if not fee.get("charged") else f"收费 {fee.get('amount_yuan', '')} 元"
    return item.get(name)


def _describe_difference(name: str, expected: Any, actual: Any) -> tuple[Any, Any]:
    if name == "materials" or name == "form":
        missing = sorted(set(expected) - set(actual))
        extra = sorted(set(actual) - set(expected))
        return (
            "缺少：" + "、".join(missing) if missing else "",
            "多出：" + "、".join(extra) if extra else "",
        )
    return expected, actual


def audit(items: Iterable[dict]) -> list[Deviation]:
    """All deviations among published implementations (exchange-format records)."""
    groups: dict[str, list[dict]] = defaultdict(list)
    for item in items:
        groups[item["basic_code"]].append(item)
    findings: list[Deviation] = []
    for basic_code in sorted(groups):
        group = sorted(groups[basic_code], key=_rank)
        reference = group[0]
        for other in group[1:]:
            for name, label in STANDARD_ELEMENTS.items():
                expected, actual = _element(reference, name), _element(other, name)
                if expected != actual:
                    e, a = _describe_difference(name, expected, actual)
                    findings.append(
                        Deviation(basic_code, reference["code"], other["code"], name, label, e, a)
                    )
    return findings


# ------------------------------------------------------------------------------ 免提交 not claimed


@dataclass(frozen=True)
class MissedExemption:
    """A material an item still asks of the applicant although an approved data source (given
    by the caller, e.g. the sharing app) could supply it: the material type is not marked 免提交."""

    department: str
    item: str
    item_name: str
    material: str
    sources: tuple[str, ...]  # how the data could be had (e.g. "GA-HJ-001（共享申请 12，公安局）")

    def as_dict(self) -> dict:
        return {**asdict(self), "sources": list(self.sources)}

    def __str__(self) -> str:
        return (
            f"{self.item}（{self.item_name}）仍要求提交“{self.material}”，"
            f"但已可通过 {'、'.join(self.sources)} 获取，材料类型未标注免提交"
        )


def missed_exemptions(
    items: Iterable[dict], exempt: set[str], sources: dict[str, list[str]]
) -> list[MissedExemption]:
    """Material lines of ``items`` (exchange-format records) whose material type is not in
    ``exempt`` (marked 免提交) but has an available source in ``sources`` (material code → what
    could supply it), by department then item. Knows nothing of where the sources come from."""
    findings = [
        MissedExemption(
            item.get("department", ""),
            item["code"],
            item.get("name", ""),
            m["material"],
            tuple(sources[m["material"]]),
        )
        for item in items
        for m in item.get("materials", [])
        if m.get("material") not in exempt and sources.get(m.get("material"))
    ]
    return sorted(findings, key=lambda f: (f.department, f.item, f.material))
