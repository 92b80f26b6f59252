"""The canonical form of catalog records in the exchange format.

Import, export, publication and comparison all go through these functions, so a record read
from a file, one serialised from the working tables and one stored in a revision compare
equal exactly when they mean the same thing (which is what makes import idempotent).
"""

from __future__ import annotations

from typing import Any

KIND_ORDER = ("regions", "departments", "materials", "data_elements", "items", "bundles")
KIND_OF_LIST = {
    "regions": "region",
    "departments": "department",
    "materials": "material",
    "data_elements": "data_element",
    "items": "item",
    "bundles": "bundle",
}
KEY_OF_KIND = {
    "region": "code",
    "department": "code",
    "material": "code",
    "data_element": "key",
    "item": "code",
    "bundle": "code",
}
KIND_NAMES = {
    "region": "区划",
    "department": "部门",
    "material": "材料类型",
    "data_element": "数据项",
    "item": "事项",
    "bundle": "一件事",
    "catalog": "文件",
    "sheet": "工作表",
}


def _str(value: Any) -> str:
    return value if isinstance(value, str) else ""


def region(r: dict) -> dict:
    return {"code": r["code"], "name": r["name"], "level": r["level"], "parent": r.get("parent") or None}


def department(d: dict) -> dict:
    out = {
        "code": d["code"],
        "name": d["name"],
        "short_name": _str(d.get("short_name")),
        "region": d["region"],
    }
    return out


def material(m: dict) -> dict:
    return {
        "code": m["code"],
        "name": m["name"],
        "kind": m["kind"],
        "exempt_via": m.get("exempt_via") or None,
        "description": _str(m.get("description")),
    }


def data_element(e: dict) -> dict:
    return {"key": e["key"], "label": e["label"], "type": e["type"], "choices": list(e.get("choices") or [])}


def item_material(m: dict) -> dict:
    out = {
        "material": m["material"],
        "originals": m.get("originals", 1),
        "copies": m.get("copies", 0),
        "required": m.get("required", True),
    }
    if m.get("when") is not None:
        out["when"] = m["when"]
    if m.get("note"):
        out["note"] = m["note"]
    return out


def item(i: dict) -> dict:
    out = {
        "code": i["code"],
        "basic_code": i["basic_code"],
        "name": i["name"],
        "category": i["category"],
        "department": i["department"],
        "region": i["region"],
    }
    if i.get("level"):
        out["level"] = i["level"]
    out.update(
        {
            "audience": i.get("audience") or "both",
            "legal_basis": _str(i.get("legal_basis")),
            "conditions": _str(i.get("conditions")),
            "legal_limit": i["legal_limit"],
            "promised_limit": i["promised_limit"],
            "visits": i.get("visits", 1),
            "inspection": bool(i.get("inspection", False)),
            "online": i.get("online") or "apply",
            "cross_province": list(i.get("cross_province") or []),
            "fee": dict(i.get("fee") or {}),
        }
    )
    if i.get("result"):
        out["result"] = dict(i["result"])
    out["steps"] = [dict(s) for s in i.get("steps") or []]
    out["materials"] = [item_material(m) for m in i.get("materials") or []]
    out["form"] = [
        {"element": f["element"], "required": f.get("required", True)} for f in i.get("form") or []
    ]
    out["themes"] = list(i.get("themes") or [])
    out["keywords"] = list(i.get("keywords") or [])
    return out


def member(m: dict) -> dict:
    out = {"item": m["item"]}
    if m.get("when") is not None:
        out["when"] = m["when"]
    out["after"] = list(m.get("after") or [])
    return out


def question(q: dict) -> dict:
    out = {"id": q["id"], "text": q["text"], "type": q["type"]}
    if q["type"] == "choice" or q.get("choices"):
        out["choices"] = list(q.get("choices") or [])
    return out


def bundle(b: dict) -> dict:
    return {
        "code": b["code"],
        "name": b["name"],
        "description": _str(b.get("description")),
        "audience": b.get("audience") or "both",
        "lead_department": b["lead_department"],
        "region": b.get("region") or None,
        "themes": list(b.get("themes") or []),
        "keywords": list(b.get("keywords") or []),
        "questions": [question(q) for q in b.get("questions") or []],
        "members": [member(m) for m in b["members"]],
        "promised_limit": b.get("promised_limit"),
    }


NORMALIZERS = {
    "region": region,
    "department": department,
    "material": material,
    "data_element": data_element,
    "item": item,
    "bundle": bundle,
}


def strip_for_export(kind: str, record: dict) -> dict:
    """Drop keys whose value the schema does not allow as null (export must validate)."""
    out = dict(record)
    if kind == "bundle" and out.get("region") is None:
        out.pop("region", None)
    return out
