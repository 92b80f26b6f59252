"""Turning published catalog records into what a citizen reads.

Pure functions over the exchange-format dicts returned by :mod:`onething.catalog.views`:
labels, limits and material remarks. Conditions and dependencies in words come from
:mod:`onething.catalog.wording`, plans from :mod:`onething.catalog.planner` — one wording and
one plan for the portal, the guides and the API.
"""

from __future__ import annotations

from collections.abc import Mapping

from onething.catalog.models import AUDIENCES, LEVELS, MATERIAL_KINDS
from onething.catalog.views import EXEMPT_NAMES
from onething.catalog.wording import describe_condition

AUDIENCE_NAMES = dict(AUDIENCES)
LEVEL_NAMES = dict(LEVELS)
KIND_NAMES = dict(MATERIAL_KINDS)

# Life events (个人) and enterprise life-cycle stages (法人) shown as tiles on the home page.
PERSON_THEMES = ["生育", "教育", "就业", "婚姻", "住房", "退休", "身后", "社保", "户籍", "出行"]
ENTERPRISE_THEMES = ["开办", "变更", "经营", "注销"]
THEME_MARKS = {
    "生育": "育",
    "教育": "教",
    "就业": "业",
    "婚姻": "婚",
    "住房": "房",
    "退休": "休",
    "身后": "身",
    "社保": "保",
    "户籍": "户",
    "出行": "行",
    "开办": "开",
    "变更": "变",
    "经营": "营",
    "注销": "销",
}


# ----------------------------------------------------------------------------- conditions


# ----------------------------------------------------------------------------- limits & labels


def limit_text(days: int | None) -> str:
    if days is None:
        return "—"
    if days == 0:
        return "即办件（当场办结）"
    return f"{days} 个工作日"


def legal_limit_text(days: int | None) -> str:
    if days is None or days == 0:
        return "法律法规未规定办结时限"
    return f"{days} 个工作日"


def material_remarks(material: Mapping, questions: Mapping[str, Mapping] | None = None) -> list[str]:
    """Notes shown next to a material: how an exempt one is obtained, its note, its condition."""
    remarks = []
    if material.get("exempt"):
        via = EXEMPT_NAMES.get(material.get("exempt_via") or "", "电子证照或数据共享")
        remarks.append(f"通过{via}获取，无需提交")
    if material.get("note"):
        remarks.append(str(material["note"]))
    if material.get("when"):
        remarks.append(describe_condition(material["when"], questions or {}, "提交"))
    return remarks


# ----------------------------------------------------------------------------- bundles
