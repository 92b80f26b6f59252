"""Read models of the published catalog, shaped for people and the API.

Turns exchange-format records into the "full element set" the API and pages show: codes
together with names (department, region, material, data element, category).
"""

from __future__ import annotations

from onething.catalog.models import (
    CATEGORIES,
    CATEGORY_CODES,
    CROSS_PROVINCE_MODES,
    EXEMPT_VIA,
    ONLINE_DEPTHS,
)
from onething.catalog.publishing import current, current_many, current_version
from onething.directory.models import Department, Region

CATEGORY_NAMES = dict(CATEGORIES)
ONLINE_NAMES = dict(ONLINE_DEPTHS)
EXEMPT_NAMES = dict(EXEMPT_VIA)
#: 办理结果类型 (``result.type`` in the exchange format) as people read it
RESULT_TYPE_NAMES = {
    "certificate": "证照",
    "approval": "批准文书",
    "record": "备案 / 登记回执",
    "payment": "款项发放",
    "other": "其他",
}


def _names(model, codes) -> dict[str, str]:
    return dict(model.objects.filter(pk__in=list(codes)).values_list("pk", "name"))


def fee_text(fee: dict | None) -> str:
    """收费 in words: “不收费”, “收费 20 元（依据）”."""
    if not fee or not fee.get("charged"):
        return "不收费"
    amount = fee.get("amount_yuan")
    text = f"收费 {amount:g} 元" if isinstance(amount, int | float) else "收费"
    return f"{text}（{fee['basis']}）" if fee.get("basis") else text


def item_view(data: dict, materials: dict | None = None, elements: dict | None = None) -> dict:
    materials = (
        materials
        if materials is not None
        else current_many("material", {m["material"] for m in data["materials"]})
    )
    elements = (
        elements
        if elements is not None
        else current_many("data_element", {f["element"] for f in data["form"]})
    )
    departments = _names(Department, [data["department"]])
    regions = _names(Region, [data["region"]])
    out = dict(data)
    out["category_name"] = CATEGORY_NAMES.get(data["category"], data["category"])
    out["category_code"] = CATEGORY_CODES.get(data["category"], "")
    out["online_name"] = ONLINE_NAMES.get(data["online"], data["online"])
    out["cross_province_names"] = [CROSS_PROVINCE_MODES[m] for m in data["cross_province"]]
    out["department"] = {"code": data["department"], "name": departments.get(data["department"], "")}
    out["region"] = {"code": data["region"], "name": regions.get(data["region"], "")}
    out["materials"] = [
        {
            **m,
            "name": materials.get(m["material"], {}).get("name", m["material"]),
            "kind": materials.get(m["material"], {}).get("kind", "other"),
            "exempt_via": materials.get(m["material"], {}).get("exempt_via"),
            "exempt": bool(materials.get(m["material"], {}).get("exempt_via")),
        }
        for m in data["materials"]
    ]
    out["form"] = [
        {
            **f,
            "label": elements.get(f["element"], {}).get("label", f["element"]),
            "type": elements.get(f["element"], {}).get("type", "string"),
            "choices": elements.get(f["element"], {}).get("choices", []),
        }
        for f in data["form"]
    ]
    out["version"] = current_version("item", data["code"])
    return out


def bundle_view(data: dict) -> dict:
    items = current_many("item", [m["item"] for m in data["members"]])
    departments = _names(Department, {data["lead_department"], *(i["department"] for i in items.values())})
    out = dict(data)
    out["lead_department"] = {
        "code": data["lead_department"],
        "name": departments.get(data["lead_department"], ""),
    }
    out["region"] = (
        {"code": data["region"], "name": _names(Region, [data["region"]]).get(data["region"], "")}
        if data.get("region")
        else None
    )
    out["members"] = [
        {
            **m,
            "name": items.get(m["item"], {}).get("name", m["item"]),
            "department": {
                "code": items.get(m["item"], {}).get("department", ""),
                "name": departments.get(items.get(m["item"], {}).get("department", ""), ""),
            },
            "promised_limit": items.get(m["item"], {}).get("promised_limit"),
        }
        for m in data["members"]
    ]
    out["version"] = current_version("bundle", data["code"])
    return out


def published_item(code: str) -> dict | None:
    data = current("item", code)
    return item_view(data) if data else None


def published_bundle(code: str) -> dict | None:
    data = current("bundle", code)
    return bundle_view(data) if data else None
