"""Import and export of the sharing catalog (数据资源目录 and the three lists) as JSON or .xlsx.

The document::

    {"format": "onething.sharing/1",
     "resources": [...],   # 数据资源, matched by code
     "demands": [...],     # 需求清单, matched by (department, name)
     "duties": [...],      # 责任清单, matched by (department, name)
     "negative": [...]}    # 负面清单, matched by (department, name)

Import validates the whole document first and refuses it whole, listing every fault (each
names the list or sheet, the record or row, and the field, in Chinese); a valid document is
applied in one transaction. Every created or changed resource gets a :class:`ResourceVersion`
(the exported shape, who, when and the reason); an unchanged one gets none, so importing the
same file twice changes nothing. Records absent from the file are left alone.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from onething.sharing.models import (
    ENTERPRISE,
    PERSON,
    Demand,
    Duty,
    NegativeEntry,
    Resource,
    ResourceVersion,
    SharingClass,
)
from onething.sharing.rules import law_citation_problem

FORMAT = "onething.sharing/1"

LISTS = ("resources", "demands", "duties", "negative")
LIST_NAMES = {"resources": "数据资源", "demands": "需求清单", "duties": "责任清单", "negative": "负面清单"}

SHARING_CLASSES = dict(SharingClass.choices)
SUBJECT_KINDS = {PERSON: "自然人", ENTERPRISE: "法人"}
FREQUENCIES = dict(Resource.FREQUENCIES)
#: the value types a data item may declare
FIELD_TYPES = ("string", "date", "datetime", "integer", "number", "boolean")
FIELD_KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,63}$")
MAX_REASON = 500

#: (key, Chinese name, required, default) per list, in document order
RESOURCE_KEYS: tuple[tuple[str, str, bool, Any], ...] = (
    ("code", "资源编码", True, None),
    ("name", "资源名称", True, None),
    ("provider", "提供部门", True, None),
    ("sharing_class", "共享类型", True, None),
    ("subject_kind", "查询对象", False, PERSON),
    ("fields", "数据项", True, None),
    ("legal_basis", "共享依据", True, None),
    ("update_frequency", "更新频率", False, "daily"),
    ("source_system", "来源系统", False, ""),
    ("backend", "提供方式", False, "library"),
    ("backend_config", "接口配置", False, {}),
    ("replaces", "可替代材料", False, []),
    ("publish_first", "需先发布", False, False),
)
DEMAND_KEYS = (
    ("department", "需求部门", True, None),
    ("name", "需求名称", True, None),
    ("description", "需求说明", False, ""),
    ("resource", "对应资源", False, None),
    ("items", "服务事项", False, []),
    ("materials", "可替代材料", False, []),
)
DUTY_KEYS = (
    ("department", "责任部门", True, None),
    ("name", "数据名称", True, None),
    ("description", "说明", False, ""),
    ("resource", "对应资源", False, None),
)
NEGATIVE_KEYS = (
    ("department", "部门", True, None),
    ("name", "数据名称", True, None),
    ("resource", "对应资源", False, None),
    ("legal_basis", "不予共享依据", True, None),
)
KEYS = {"resources": RESOURCE_KEYS, "demands": DEMAND_KEYS, "duties": DUTY_KEYS, "negative": NEGATIVE_KEYS}
FIELD_NAMES = {name: {k: label for k, label, _, _ in keys} for name, keys in KEYS.items()}


@dataclass(frozen=True)
class Fault:
    """One fault: where (list and record, or sheet and row), which field, what is wrong."""

    where: str
    field: str
    message: str

    def __str__(self) -> str:
        return (
            f"{self.where} · {self.field}：{self.message}" if self.field else f"{self.where}：{self.message}"
        )

    def as_dict(self) -> dict[str, str]:
        return {"where": self.where, "field": self.field, "message": self.message}


class SharingRejected(Exception):
    """The document is invalid; nothing was written."""

    def __init__(self, faults: list[Fault]):
        self.faults = faults
        super().__init__(f"共享目录文件有 {len(faults)} 处错误，未导入任何记录")


@dataclass
class ImportReport:
    created: Counter = field(default_factory=Counter)
    changed: Counter = field(default_factory=Counter)
    unchanged: Counter = field(default_factory=Counter)
    versions: list[tuple[str, int]] = field(default_factory=list)  # (resource code, version)

    def summary(self) -> str:
        parts = []
        for name in LISTS:
            c, u, s = self.created[name], self.changed[name], self.unchanged[name]
            if c or u or s:
                parts.append(f"{LIST_NAMES[name]}：新增 {c}，变更 {u}，未变 {s}")
        return "；".join(parts) or "文件中没有记录"

    def as_dict(self) -> dict:
        return {
            name: {
                "created": self.created[name],
                "changed": self.changed[name],
                "unchanged": self.unchanged[name],
            }
            for name in LISTS
        }


# ------------------------------------------------------------------------------ export shapes


def resource_record(resource: Resource) -> dict:
    """A resource in the exchange shape (also the ``data`` of its versions)."""
    return {
        "code": resource.code,
        "name": resource.name,
        "provider": resource.provider_id,
        "sharing_class": resource.sharing_class,
        "subject_kind": resource.subject_kind,
        "fields": [
            {
                "key": f.get("key"),
                "label": f.get("label") or "",
                "type": f.get("type") or "string",
                "personal": bool(f.get("personal")),
            }
            for f in resource.fields or []
        ],
        "legal_basis": resource.legal_basis,
        "update_frequency": resource.update_frequency,
        "source_system": resource.source_system,
        "backend": resource.backend,
        "backend_config": resource.backend_config or {},
        "replaces": list(resource.replaces or []),
        "publish_first": bool(resource.publish_first),
    }


def _code_of(obj) -> str | None:
    return obj.resource.code if obj.resource_id else None


def demand_record(demand: Demand) -> dict:
    return {
        "department": demand.department_id,
        "name": demand.name,
        "description": demand.description,
        "resource": _code_of(demand),
        "items": list(demand.items or []),
        "materials": list(demand.materials or []),
    }


def duty_record(duty: Duty) -> dict:
    return {
        "department": duty.department_id,
        "name": duty.name,
        "description": duty.description,
        "resource": _code_of(duty),
    }


def negative_record(entry: NegativeEntry) -> dict:
    return {
        "department": entry.department_id,
        "name": entry.name,
        "resource": _code_of(entry),
        "legal_basis": entry.legal_basis,
    }


LIST_MODELS: dict[str, tuple[type, Callable[[Any], dict]]] = {
    "demands": (Demand, demand_record),
    "duties": (Duty, duty_record),
    "negative": (NegativeEntry, negative_record),
}


def export_document() -> dict:
    document: dict[str, Any] = {"format": FORMAT}
    document["resources"] = [resource_record(r) for r in Resource.objects.order_by("code")]
    for name, (model, to_dict) in LIST_MODELS.items():
        rows = model.objects.select_related("resource").order_by("department_id", "id")
        document[name] = [to_dict(obj) for obj in rows]
    return document


def export_file(path: str | Path) -> dict:
    path = Path(path)
    document = export_document()
    if path.suffix.lower() == ".xlsx":
        from onething.sharing.xlsx import write_workbook

        write_workbook(document, path)
    else:
        path.write_text(json.dumps(document, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    return document


# ------------------------------------------------------------------------------ validation


@dataclass
class _Known:
    departments: set[str]
    materials: set[str]
    items: set[str]
    resources: dict[str, str]  # stored resource code -> provider
    negative_resources: set[str]  # stored resource codes with a negative-list entry


def _known(document: dict) -> _Known:
    from onething.catalog.models import Item, MaterialType
    from onething.directory.models import Department

    def strings(name: str, key: str) -> set[str]:
        out: set[str] = set()
        for record in document.get(name) or []:
            if not isinstance(record, dict):
                continue
            value = record.get(key)
            if isinstance(value, str):
                out.add(value)
            elif isinstance(value, list):
                out.update(v for v in value if isinstance(v, str))
        return out

    departments = strings("resources", "provider") | set().union(
        *(strings(n, "department") for n in LISTS[1:])
    )
    materials = strings("resources", "replaces") | strings("demands", "materials")
    items = strings("demands", "items")
    return _Known(
        departments=set(Department.objects.filter(code__in=departments).values_list("code", flat=True)),
        materials=set(MaterialType.objects.filter(code__in=materials).values_list("code", flat=True)),
        items=set(Item.objects.filter(code__in=items).values_list("code", flat=True)),
        resources=dict(Resource.objects.values_list("code", "provider_id")),
        negative_resources=set(
            NegativeEntry.objects.filter(resource__isnull=False).values_list("resource__code", flat=True)
        ),
    )


def _has_nul(value: Any) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_has_nul(k) or _has_nul(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_has_nul(v) for v in value)
    return False


class _Checker:
    """Collects faults; names each record by sheet row (Excel) or position (JSON)."""

    def __init__(self, rows: dict[str, list[int]] | None, sheet_titles: dict[str, str] | None):
        self.faults: list[Fault] = []
        self.rows = rows
        self.sheet_titles = sheet_titles or {}

    def where(self, name: str, index: int, record: Any = None) -> str:
        if self.rows is not None and index < len(self.rows.get(name, [])):
            return f"“{self.sheet_titles.get(name, LIST_NAMES[name])}”工作表 第{self.rows[name][index]}行"
        label = ""
        if isinstance(record, dict):
            key = record.get("code") if name == "resources" else record.get("name")
            if isinstance(key, str) and key:
                label = f"（{key[:40]}）"
        return f"{LIST_NAMES[name]} 第{index + 1}条{label}"

    def field_name(self, name: str, key: str) -> str:
        label = FIELD_NAMES[name].get(key, key)
        return label if self.rows is not None else f"{label}（{key}）"

    def add(self, name: str, index: int, record: Any, key: str, message: str) -> None:
        self.faults.append(Fault(self.where(name, index, record), self.field_name(name, key), message))


def _text(
    check: _Checker, name: str, i: int, record: dict, key: str, max_length: int, required: bool
) -> None:
    value = record.get(key)
    if not isinstance(value, str):
        check.add(name, i, record, key, "应为文本")
    elif required and not value.strip():
        check.add(name, i, record, key, "必须填写")
    elif len(value) > max_length:
        check.add(name, i, record, key, f"不能超过 {max_length} 个字")


def _string_list(check: _Checker, name: str, i: int, record: dict, key: str) -> list[str] | None:
    value = record.get(key)
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        check.add(name, i, record, key, "应为编码的列表")
        return None
    duplicates = sorted({v for v in value if value.count(v) > 1})
    if duplicates:
        check.add(name, i, record, key, f"编码重复：{'、'.join(duplicates)}")
    return value


def _normalise(name: str, record: dict) -> dict:
    """The record with defaults filled in, in the export's key order (a resource's data items
    too: ``type`` defaults to string, ``personal`` to false)."""
    out = {
        key: (
            record[key]
            if key in record
            else (default.copy() if isinstance(default, dict | list) else default)
        )
        for key, _, _, default in KEYS[name]
    }
    if name == "resources" and isinstance(out["fields"], list):
        out["fields"] = [
            {
                "key": f.get("key"),
                "label": f.get("label", ""),
                "type": f.get("type", "string"),
                "personal": f.get("personal", False),
            }
            if isinstance(f, dict) and not set(f) - {"key", "label", "type", "personal"}
            else f
            for f in out["fields"]
        ]
    return out


def _check_fields(check: _Checker, i: int, record: dict) -> None:
    fields = record.get("fields")
    if not isinstance(fields, list):
        check.add("resources", i, record, "fields", "应为数据项的列表")
        return
    if not fields:
        check.add("resources", i, record, "fields", "至少须有一个数据项")
        return
    seen: set[str] = set()
    for n, f in enumerate(fields, start=1):
        prefix = f"第{n}个数据项"
        if not isinstance(f, dict):
            check.add("resources", i, record, "fields", f"{prefix}应为对象（key、label、type、personal）")
            continue
        unknown = sorted(set(f) - {"key", "label", "type", "personal"})
        if unknown:
            check.add("resources", i, record, "fields", f"{prefix}有不认识的属性：{'、'.join(unknown)}")
        key = f.get("key")
        if not isinstance(key, str) or not FIELD_KEY.match(key):
            check.add(
                "resources", i, record, "fields", f"{prefix}的键须以字母或下划线开头，只含字母、数字和下划线"
            )
        elif key in seen:
            check.add("resources", i, record, "fields", f"数据项的键“{key}”重复")
        else:
            seen.add(key)
        label = f.get("label", "")
        if not isinstance(label, str) or "|" in label or "\n" in label or "\r" in label or len(label) > 100:
            check.add(
                "resources", i, record, "fields", f"{prefix}的名称应为不含“|”和换行的文本（至多 100 字）"
            )
        if f.get("type", "string") not in FIELD_TYPES:
            check.add(
                "resources",
                i,
                record,
                "fields",
                f"{prefix}的类型“{f.get('type')}”不正确，可选：{'、'.join(FIELD_TYPES)}",
            )
        if not isinstance(f.get("personal", False), bool):
            check.add("resources", i, record, "fields", f"{prefix}的“个人信息”应为是或否")


def _check_resource(check: _Checker, i: int, record: dict, known: _Known) -> None:
    from onething.sharing import providers

    _text(check, "resources", i, record, "code", 64, True)
    code = record.get("code")
    if isinstance(code, str) and code != code.strip():
        check.add("resources", i, record, "code", "资源编码前后不能有空格")
    _text(check, "resources", i, record, "name", 200, True)
    provider = record.get("provider")
    if not isinstance(provider, str) or provider not in known.departments:
        check.add("resources", i, record, "provider", f"部门“{provider}”不存在（应为部门的统一社会信用代码）")
    if record.get("sharing_class") not in SHARING_CLASSES:
        check.add(
            "resources",
            i,
            record,
            "sharing_class",
            f"共享类型“{record.get('sharing_class')}”不正确，应为 unconditional（无条件共享）、"
            "conditional（有条件共享）或 none（不予共享）",
        )
    if record.get("subject_kind") not in SUBJECT_KINDS:
        check.add(
            "resources",
            i,
            record,
            "subject_kind",
            f"查询对象“{record.get('subject_kind')}”不正确，应为 person（自然人）或 enterprise（法人）",
        )
    _check_fields(check, i, record)
    _text(check, "resources", i, record, "legal_basis", 2000, True)
    if record.get("update_frequency") not in FREQUENCIES:
        check.add(
            "resources",
            i,
            record,
            "update_frequency",
            f"更新频率“{record.get('update_frequency')}”不正确，可选：{'、'.join(FREQUENCIES)}",
        )
    _text(check, "resources", i, record, "source_system", 200, False)
    backend = record.get("backend")
    registered = {key for key, _ in providers.choices()}
    if not isinstance(backend, str) or backend not in registered:
        check.add(
            "resources",
            i,
            record,
            "backend",
            f"未登记的数据提供方式“{backend}”，可选：{'、'.join(sorted(registered))}",
        )
    if not isinstance(record.get("backend_config"), dict):
        check.add("resources", i, record, "backend_config", "应为 JSON 对象")
    replaces = _string_list(check, "resources", i, record, "replaces")
    for material in replaces or []:
        if material not in known.materials:
            check.add("resources", i, record, "replaces", f"材料类型“{material}”不存在")
    if not isinstance(record.get("publish_first"), bool):
        check.add("resources", i, record, "publish_first", "应为是或否")


def _check_department(check: _Checker, name: str, i: int, record: dict, known: _Known) -> None:
    department = record.get("department")
    if not isinstance(department, str) or department not in known.departments:
        check.add(name, i, record, "department", f"部门“{department}”不存在（应为部门的统一社会信用代码）")


def _check_resource_ref(
    check: _Checker, name: str, i: int, record: dict, providers_of: dict[str, str], same_department: bool
) -> None:
    code = record.get("resource")
    if code is None:
        return
    if not isinstance(code, str) or code not in providers_of:
        check.add(name, i, record, "resource", f"数据资源“{code}”不存在（文件中和平台上都没有）")
    elif (
        same_department
        and isinstance(record.get("department"), str)
        and providers_of[code] != record["department"]
    ):
        check.add(name, i, record, "resource", f"数据资源“{code}”不是该部门提供的")


def validate_document(
    document: Any, rows: dict[str, list[int]] | None = None, sheet_titles: dict[str, str] | None = None
) -> list[Fault]:
    """Every fault of ``document`` (empty: it may be imported). ``rows`` maps each list to the
    workbook row of each record, so faults of an .xlsx name the sheet and row."""
    check = _Checker(rows, sheet_titles)
    if not isinstance(document, dict):
        return [Fault("文件", "", '应为 JSON 对象（{"format": …, "resources": […] …}）')]
    if document.get("format") != FORMAT:
        check.faults.append(
            Fault("文件", "格式（format）", f"应为“{FORMAT}”，实为“{document.get('format')}”")
        )
    unknown = sorted(set(document) - {"format", *LISTS})
    if unknown:
        check.faults.append(Fault("文件", "", f"不认识的内容：{'、'.join(unknown)}"))
    if _has_nul(document):
        check.faults.append(Fault("文件", "", "含有不允许的控制字符（\\u0000）"))
    lists: dict[str, list[dict | None]] = {}
    for name in LISTS:
        raw = document.get(name, [])
        if not isinstance(raw, list):
            check.faults.append(Fault(LIST_NAMES[name], name, "应为数组"))
            raw = []
        out: list[dict | None] = []
        for i, record in enumerate(raw):
            if not isinstance(record, dict):
                check.faults.append(Fault(check.where(name, i), "", "应为对象"))
                out.append(None)
                continue
            for key in sorted(set(record) - set(FIELD_NAMES[name])):
                check.add(name, i, record, key, "不认识的字段")
            for key, _, required, _ in KEYS[name]:
                if required and key not in record:
                    check.add(name, i, record, key, "缺少该字段")
            out.append(_normalise(name, record))
        lists[name] = out
    known = _known(document)

    providers_of = dict(known.resources)
    seen_codes: dict[str, int] = {}
    for i, record in enumerate(lists["resources"]):
        if record is None:
            continue
        _check_resource(check, i, record, known)
        code = record.get("code")
        if isinstance(code, str):
            if code in seen_codes:
                check.add(
                    "resources",
                    i,
                    record,
                    "code",
                    f"资源编码“{code}”重复（与第{seen_codes[code] + 1}条相同）",
                )
            else:
                seen_codes[code] = i
                if isinstance(record.get("provider"), str):
                    providers_of[code] = record["provider"]

    for name in LISTS[1:]:
        seen: dict[tuple, int] = {}
        for i, record in enumerate(lists[name]):
            if record is None:
                continue
            _check_department(check, name, i, record, known)
            _text(check, name, i, record, "name", 200, True)
            if "description" in record:
                _text(check, name, i, record, "description", 5000, False)
            _check_resource_ref(check, name, i, record, providers_of, same_department=name != "demands")
            key = (record.get("department"), record.get("name"))
            if all(isinstance(k, str) for k in key):
                if key in seen:
                    check.add(
                        name, i, record, "name", f"同一部门的“{key[1]}”重复（与第{seen[key] + 1}条相同）"
                    )
                else:
                    seen[key] = i
            if name == "demands":
                for material in _string_list(check, name, i, record, "materials") or []:
                    if material not in known.materials:
                        check.add(name, i, record, "materials", f"材料类型“{material}”不存在")
                for item in _string_list(check, name, i, record, "items") or []:
                    if item not in known.items:
                        check.add(name, i, record, "items", f"服务事项“{item}”不存在")
            if name == "negative":
                basis = record.get("legal_basis")
                if not isinstance(basis, str):
                    check.add(name, i, record, "legal_basis", "应为文本")
                else:
                    problem = law_citation_problem(basis)
                    if problem:
                        check.add(name, i, record, "legal_basis", problem)
                    elif len(basis) > 2000:
                        check.add(name, i, record, "legal_basis", "不能超过 2000 个字")

    negative_codes = known.negative_resources | {
        r["resource"] for r in lists["negative"] if r is not None and isinstance(r.get("resource"), str)
    }
    for i, record in enumerate(lists["resources"]):
        if record is None or record.get("sharing_class") != SharingClass.NONE:
            continue
        if record.get("code") not in negative_codes:
            check.add(
                "resources",
                i,
                record,
                "sharing_class",
                "不予共享的数据资源须列入负面清单（文件中或平台上须有对应该资源的负面清单条目及其法律依据）",
            )
    return check.faults


# ------------------------------------------------------------------------------ import


def read_document(path: str | Path) -> tuple[Any, dict[str, list[int]] | None, dict[str, str] | None]:
    """A sharing file: (document, workbook rows per list or ``None``, sheet titles or ``None``)."""
    path = Path(path)
    if path.suffix.lower() == ".xlsx":
        from onething.sharing.xlsx import SHEET_TITLES, read_workbook

        document, rows = read_workbook(path)
        return document, rows, SHEET_TITLES
    try:
        return json.loads(path.read_text(encoding="utf-8")), None, None
    except UnicodeDecodeError:
        raise SharingRejected([Fault(path.name, "", "文件不是 UTF-8 编码的文本")]) from None
    except json.JSONDecodeError as exc:
        raise SharingRejected(
            [Fault(path.name, "", f"不是合法的 JSON（第{exc.lineno}行第{exc.colno}列）")]
        ) from None


def _check_reason(reason: str | None) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise SharingRejected([Fault("导入", "变更原因（--reason）", "必须填写变更原因")])
    if len(reason) > MAX_REASON:
        raise SharingRejected([Fault("导入", "变更原因（--reason）", f"不能超过 {MAX_REASON} 个字")])
    return reason


def record_version(resource: Resource, user, reason: str, *, created: bool = False) -> ResourceVersion:
    """Write ``resource``'s current state as its next version (who, when, why) and bump
    ``resource.version``: a new resource is version 1, a change the next number.

    Call inside a transaction, after saving the resource."""
    latest = ResourceVersion.objects.filter(resource=resource).aggregate(n=Max("version"))["n"] or 0
    number = latest + 1 if created else max(resource.version, latest) + 1
    Resource.objects.filter(pk=resource.pk).update(version=number)
    resource.version = number
    return ResourceVersion.objects.create(
        resource=resource,
        version=number,
        data=resource_record(resource),
        changed_by=user if getattr(user, "pk", None) else None,
        changed_at=timezone.now(),
        reason=reason[:MAX_REASON],
    )


def _apply_resource(data: dict, user, reason: str, report: ImportReport) -> None:
    resource = Resource.objects.select_for_update().filter(code=data["code"]).first()
    if resource is not None and resource_record(resource) == data:
        report.unchanged["resources"] += 1
        return
    created = resource is None
    if created:
        resource = Resource(code=data["code"])
    for key, value in data.items():
        if key == "provider":
            resource.provider_id = value
        elif key != "code":
            setattr(resource, key, value)
    resource.save()
    version = record_version(resource, user, reason, created=created)
    report.versions.append((resource.code, version.version))
    (report.created if created else report.changed)["resources"] += 1


def _apply_list(name: str, data: dict, resources: dict[str, int], report: ImportReport) -> None:
    model, to_dict = LIST_MODELS[name]
    obj = (
        model.objects.select_related("resource")
        .filter(department_id=data["department"], name=data["name"])
        .order_by("id")
        .first()
    )
    if obj is not None and to_dict(obj) == data:
        report.unchanged[name] += 1
        return
    created = obj is None
    if created:
        obj = model(department_id=data["department"], name=data["name"])
    for key, value in data.items():
        if key == "resource":
            obj.resource_id = resources[value] if value else None
        elif key not in ("department", "name"):
            setattr(obj, key, value)
    obj.save()
    (report.created if created else report.changed)[name] += 1


def import_document(
    document: Any,
    *,
    reason: str | None,
    user=None,
    rows: dict[str, list[int]] | None = None,
    sheet_titles: dict[str, str] | None = None,
) -> ImportReport:
    """Validate and apply a sharing document; raises :class:`SharingRejected` with every fault."""
    reason = _check_reason(reason)
    faults = validate_document(document, rows, sheet_titles)
    if faults:
        raise SharingRejected(faults)
    report = ImportReport()
    with transaction.atomic():
        for record in document.get("resources") or []:
            _apply_resource(_normalise("resources", record), user, reason, report)
        resources = dict(Resource.objects.values_list("code", "pk"))
        for name in ("negative", "duties", "demands"):
            for record in document.get(name) or []:
                _apply_list(name, _normalise(name, record), resources, report)
    return report


def import_file(path: str | Path, *, reason: str | None, user=None) -> ImportReport:
    _check_reason(reason)
    document, rows, titles = read_document(path)
    return import_document(document, reason=reason, user=user, rows=rows, sheet_titles=titles)
