"""Moving catalog records between the exchange format and the working tables.

``*_to_dict`` serialise a working record to its canonical exchange form;
``apply_*`` write an exchange record into the working tables, touching nothing when the
record already says the same (so a repeated import changes nothing).
"""

from __future__ import annotations

from django.db import transaction

from onething.catalog import normalize
from onething.catalog.models import (
    Bundle,
    BundleMember,
    DataElement,
    Item,
    ItemFormField,
    ItemMaterial,
    MaterialType,
    PublishState,
)
from onething.directory.models import Department, Region, compute_path


def region_to_dict(r: Region) -> dict:
    return normalize.region({"code": r.code, "name": r.name, "level": r.level, "parent": r.parent_id})


def department_to_dict(d: Department) -> dict:
    return normalize.department(
        {"code": d.code, "name": d.name, "short_name": d.short_name, "region": d.region_id}
    )


def material_to_dict(m: MaterialType) -> dict:
    return normalize.material(
        {
            "code": m.code,
            "name": m.name,
            "kind": m.kind,
            "exempt_via": m.exempt_via or None,
            "description": m.description,
        }
    )


def data_element_to_dict(e: DataElement) -> dict:
    return normalize.data_element({"key": e.key, "label": e.label, "type": e.type, "choices": e.choices})


def item_to_dict(i: Item) -> dict:
    return normalize.item(
        {
            "code": i.code,
            "basic_code": i.basic_code,
            "name": i.name,
            "category": i.category,
            "department": i.department_id,
            "region": i.region_id,
            "level": i.level,
            "audience": i.audience,
            "legal_basis": i.legal_basis,
            "conditions": i.conditions,
            "legal_limit": i.legal_limit,
            "promised_limit": i.promised_limit,
            "visits": i.visits,
            "inspection": i.inspection,
            "online": i.online,
            "cross_province": i.cross_province,
            "fee": i.fee,
            "result": i.result,
            "steps": i.steps,
            "materials": [
                {
                    "material": m.material_id,
                    "originals": m.originals,
                    "copies": m.copies,
                    "required": m.required,
                    "when": m.when,
                    "note": m.note,
                }
                for m in i.materials.all()
            ],
            "form": [{"element": f.element_id, "required": f.required} for f in i.form_fields.all()],
            "themes": i.themes,
            "keywords": i.keywords,
        }
    )


def bundle_to_dict(b: Bundle) -> dict:
    return normalize.bundle(
        {
            "code": b.code,
            "name": b.name,
            "description": b.description,
            "audience": b.audience,
            "lead_department": b.lead_department_id,
            "region": b.region_id,
            "themes": b.themes,
            "keywords": b.keywords,
            "questions": b.questions,
            "members": [{"item": m.item_id, "when": m.when, "after": m.after} for m in b.members.all()],
            "promised_limit": b.promised_limit,
        }
    )


def items_queryset():
    return Item.objects.prefetch_related("materials", "form_fields")


def bundles_queryset():
    return Bundle.objects.prefetch_related("members")


SERIALIZERS = {
    "region": (Region.objects.all, region_to_dict),
    "department": (Department.objects.all, department_to_dict),
    "material": (MaterialType.objects.all, material_to_dict),
    "data_element": (DataElement.objects.all, data_element_to_dict),
    "item": (items_queryset, item_to_dict),
    "bundle": (bundles_queryset, bundle_to_dict),
}


def working_record(kind: str, code: str) -> dict | None:
    queryset, to_dict = SERIALIZERS[kind]
    obj = queryset().filter(pk=code).first()
    return to_dict(obj) if obj else None


# ---------------------------------------------------------------- writing working records


def apply_region(r: dict) -> None:
    Region.objects.update_or_create(
        code=r["code"],
        defaults={
            "name": r["name"],
            "level": r["level"],
            "parent_id": r["parent"],
            "path": compute_path(r["code"], r["parent"]),
        },
    )


def apply_department(d: dict) -> None:
    Department.objects.update_or_create(
        code=d["code"], defaults={"name": d["name"], "short_name": d["short_name"], "region_id": d["region"]}
    )


def apply_material(m: dict) -> None:
    MaterialType.objects.update_or_create(
        code=m["code"],
        defaults={
            "name": m["name"],
            "kind": m["kind"],
            "exempt_via": m["exempt_via"] or "",
            "description": m["description"],
        },
    )


def apply_data_element(e: dict) -> None:
    DataElement.objects.update_or_create(
        key=e["key"], defaults={"label": e["label"], "type": e["type"], "choices": e["choices"]}
    )


@transaction.atomic
def apply_item(i: dict, state: str = PublishState.DRAFT) -> Item:
    item, _ = Item.objects.update_or_create(
        code=i["code"],
        defaults={
            "basic_code": i["basic_code"],
            "name": i["name"],
            "category": i["category"],
            "department_id": i["department"],
            "region_id": i["region"],
            "level": i.get("level", ""),
            "audience": i["audience"],
            "legal_basis": i["legal_basis"],
            "conditions": i["conditions"],
            "legal_limit": i["legal_limit"],
            "promised_limit": i["promised_limit"],
            "visits": i["visits"],
            "inspection": i["inspection"],
            "online": i["online"],
            "cross_province": i["cross_province"],
            "fee": i["fee"],
            "result": i.get("result", {}),
            "steps": i["steps"],
            "themes": i["themes"],
            "keywords": i["keywords"],
            "state": state,
        },
    )
    item.materials.all().delete()
    ItemMaterial.objects.bulk_create(
        ItemMaterial(
            item=item,
            material_id=m["material"],
            originals=m["originals"],
            copies=m["copies"],
            required=m["required"],
            when=m.get("when"),
            note=m.get("note", ""),
            position=n,
        )
        for n, m in enumerate(i["materials"])
    )
    item.form_fields.all().delete()
    ItemFormField.objects.bulk_create(
        ItemFormField(item=item, element_id=f["element"], required=f["required"], position=n)
        for n, f in enumerate(i["form"])
    )
    return item


@transaction.atomic
def apply_bundle(b: dict, state: str = PublishState.DRAFT) -> Bundle:
    bundle, _ = Bundle.objects.update_or_create(
        code=b["code"],
        defaults={
            "name": b["name"],
            "description": b["description"],
            "audience": b["audience"],
            "lead_department_id": b["lead_department"],
            "region_id": b["region"],
            "themes": b["themes"],
            "keywords": b["keywords"],
            "questions": b["questions"],
            "promised_limit": b["promised_limit"],
            "state": state,
        },
    )
    bundle.members.all().delete()
    BundleMember.objects.bulk_create(
        BundleMember(bundle=bundle, item_id=m["item"], when=m.get("when"), after=m["after"], position=n)
        for n, m in enumerate(b["members"])
    )
    return bundle


APPLIERS = {
    "region": apply_region,
    "department": apply_department,
    "material": apply_material,
    "data_element": apply_data_element,
    "item": apply_item,
    "bundle": apply_bundle,
}
