"""Import and export of the catalog in the exchange format (JSON, or its .xlsx rendering).

Import validates the whole document first and refuses it whole, listing every fault; a valid
document is applied in one transaction, records matched by code. Every record that changed is
written to the working tables and published as a new revision; unchanged records are left
alone, so importing the same file twice changes nothing.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.db import transaction

from onething.catalog import normalize, records
from onething.catalog.models import PublishState, Revision
from onething.catalog.publishing import known_from_database, record_revision
from onething.catalog.validation import Fault, validate_catalog

FORMAT = "onething-catalog/1"


class CatalogRejected(Exception):
    """The document is invalid; nothing was written."""

    def __init__(self, faults: list[Fault]):
        self.faults = faults
        super().__init__(f"目录文件有 {len(faults)} 处错误，未导入任何记录")


@dataclass
class ImportReport:
    created: Counter = field(default_factory=Counter)
    updated: Counter = field(default_factory=Counter)
    unchanged: Counter = field(default_factory=Counter)

    @property
    def changed(self) -> int:
        return sum(self.created.values()) + sum(self.updated.values())

    def summary(self) -> str:
        parts = []
        for kind in normalize.KIND_OF_LIST.values():
            c, u, s = self.created[kind], self.updated[kind], self.unchanged[kind]
            if c or u or s:
                parts.append(f"{normalize.KIND_NAMES[kind]}：新增 {c}，更新 {u}，未变 {s}")
        return "；".join(parts) or "文件中没有记录"


def read_document(path: str | Path) -> Any:
    """Read a catalog file: ``.xlsx`` through the workbook rendering, anything else as JSON."""
    path = Path(path)
    if path.suffix.lower() == ".xlsx":
        from onething.catalog.xlsx import read_workbook

        return read_workbook(path)
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError:
        raise CatalogRejected([Fault("catalog", path.name, "", "文件不是 UTF-8 编码的文本")])
    except json.JSONDecodeError as exc:
        raise CatalogRejected(
            [Fault("catalog", path.name, "", f"不是合法的 JSON（第{exc.lineno}行第{exc.colno}列）")]
        )


def _item_codes(document: dict) -> set[str]:
    return {
        m["item"]
        for b in document.get("bundles") or []
        if isinstance(b, dict)
        for m in b.get("members") or []
        if isinstance(m, dict) and isinstance(m.get("item"), str)
    }


def validate_document(document: Any) -> list[Fault]:
    known = known_from_database(_item_codes(document) if isinstance(document, dict) else set())
    return validate_catalog(document, known)


def import_document(document: Any, author=None, reason: str = "导入目录文件") -> ImportReport:
    """Validate and apply a catalog document; raises :class:`CatalogRejected` with every fault."""
    faults = validate_document(document)
    if faults:
        raise CatalogRejected(faults)
    report = ImportReport()
    with transaction.atomic():
        for list_name in normalize.KIND_ORDER:
            kind = normalize.KIND_OF_LIST[list_name]
            raw = document.get(list_name) or []
            if kind == "region":  # parents first
                raw = _parents_first(raw)
            batch = [normalize.NORMALIZERS[kind](record) for record in raw]
            working, published = _current_state(kind, [d[normalize.KEY_OF_KIND[kind]] for d in batch])
            for data in batch:
                code = data[normalize.KEY_OF_KIND[kind]]
                _import_record(kind, data, working.get(code), published.get(code), author, reason, report)
    return report


def _current_state(kind: str, codes: list[str], chunk: int = 500) -> tuple[dict, dict]:
    """Working and published records of ``codes``, read in a few queries (not two per record)."""
    queryset, to_dict = records.SERIALIZERS[kind]
    working: dict[str, dict] = {}
    published: dict[str, dict] = {}
    for start in range(0, len(codes), chunk):
        part = codes[start : start + chunk]
        working.update((obj.pk, to_dict(obj)) for obj in queryset().filter(pk__in=part))
        published.update(
            Revision.objects.filter(kind=kind, code__in=part, current=True).values_list("code", "data")
        )
    return working, published


def _parents_first(regions: list[dict]) -> list[dict]:
    by_code = {r["code"]: r for r in regions}
    ordered: list[dict] = []
    placed: set[str] = set()

    def place(r: dict, depth: int = 0) -> None:
        if r["code"] in placed or depth > 10:
            return
        parent = r.get("parent")
        if parent in by_code:
            place(by_code[parent], depth + 1)
        ordered.append(r)
        placed.add(r["code"])

    for r in regions:
        place(r)
    return ordered


def _import_record(
    kind: str,
    data: dict,
    working: dict | None,
    published: dict | None,
    author,
    reason: str,
    report: ImportReport,
) -> None:
    if working == data and published == data:
        report.unchanged[kind] += 1
        return
    if kind in ("item", "bundle"):
        records.APPLIERS[kind](data, state=PublishState.PUBLISHED)
    elif working != data:
        records.APPLIERS[kind](data)
    record_revision(kind, data, author, reason)
    (report.updated if working is not None else report.created)[kind] += 1


def import_file(path: str | Path, author=None, reason: str | None = None) -> ImportReport:
    document = read_document(path)
    return import_document(document, author=author, reason=reason or f"导入 {Path(path).name}")


def export_document(published_only: bool = True) -> dict:
    """The catalog as an exchange document: the published records (or the working records)."""
    document: dict[str, Any] = {"format": FORMAT}
    for list_name in normalize.KIND_ORDER:
        kind = normalize.KIND_OF_LIST[list_name]
        if published_only:
            rows = Revision.objects.filter(kind=kind, current=True, withdrawn=False).order_by("code")
            data = [normalize.strip_for_export(kind, d) for d in rows.values_list("data", flat=True)]
        else:
            queryset, to_dict = records.SERIALIZERS[kind]
            data = [normalize.strip_for_export(kind, to_dict(obj)) for obj in queryset().order_by("pk")]
        document[list_name] = data
    return document


def export_file(path: str | Path, published_only: bool = True) -> dict:
    path = Path(path)
    document = export_document(published_only)
    if path.suffix.lower() == ".xlsx":
        from onething.catalog.xlsx import write_workbook

        write_workbook(document, path)
    else:
        path.write_text(json.dumps(document, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    return document
