"""Turning published catalog records into :class:`SearchDocument` rows and their texts.

The name is indexed apart from everything else (keywords, themes, department, description,
member items of a bundle) so that ranking can weigh a name match far above a match in the
surrounding text. The department name enters the text without the names of the regions it
belongs to (岳阳市岳阳楼区市场监督管理局 → 市场监督管理局), so the implementations of one basic
item share one :class:`SearchText`. Names of departments and regions are looked up once per
batch.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field

from onething.directory.models import Department, Region
from onething.search.models import SearchDocument, SearchText
from onething.search.normalize import fold
from onething.search.segmentation import index_tokens


@dataclass
class Names:
    """Department and region names (and region paths) for a batch of records."""

    departments: dict[str, str] = field(default_factory=dict)
    regions: dict[str, tuple[str, str]] = field(default_factory=dict)
    items: dict[str, str] = field(default_factory=dict)

    @classmethod
    def load(cls, records: Iterable[tuple[str, dict]]) -> Names:
        from onething.catalog.publishing import current_many

        records = list(records)
        departments = {d.get("department") or d.get("lead_department") for _, d in records}
        regions = {d.get("region") for _, d in records}
        members = {m["item"] for kind, d in records if kind == "bundle" for m in d.get("members", [])}
        names = cls()
        names.departments = dict(
            Department.objects.filter(code__in=[c for c in departments if c]).values_list("code", "name")
        )
        paths = Region.objects.filter(code__in=[c for c in regions if c]).values_list("path", flat=True)
        with_ancestors = {code for path in paths for code in path.split("/")}
        names.regions = {
            code: (name, path)
            for code, name, path in Region.objects.filter(code__in=with_ancestors).values_list(
                "code", "name", "path"
            )
        }
        if members:
            names.items = {code: data["name"] for code, data in current_many("item", members).items()}
        return names


def without_regions(department_name: str, region_path: str, names: Names) -> str:
    """A department name without the names of the regions above it (湖南省, 岳阳市, 岳阳楼区)."""
    out = department_name
    for code in reversed(region_path.split("/") if region_path else []):
        region_name = names.regions.get(code, ("", ""))[0]
        for form in (region_name, region_name[:-1] if len(region_name) > 2 else ""):
            if form:
                out = out.replace(form, "")
    return out or department_name


def text_of(kind: str, name: str, extra: list[str]) -> SearchText:
    """The searchable text (not saved); its signature identifies equal texts."""
    name_tokens = index_tokens([name])
    extra_tokens = index_tokens(extra)
    signature = hashlib.sha256(f"{kind}\x1f{name_tokens}\x1f{extra_tokens}".encode()).hexdigest()
    return SearchText(
        kind=kind,
        signature=signature,
        folded_name=fold(name),
        folded_extra=fold(" ".join(t for t in extra if t)),
        name_tokens=name_tokens,
        extra_tokens=extra_tokens,
    )


def build(kind: str, data: dict, names: Names, version: int = 0) -> SearchDocument:
    """The index document of one published item or bundle, with its text (neither saved)."""
    department = data.get("department") if kind == "item" else data.get("lead_department")
    region = data.get("region") or ""
    region_name, region_path = names.regions.get(region, ("", region))
    department_name = names.departments.get(department or "", "")
    themes = [t for t in data.get("themes") or [] if t]
    extra = [*(data.get("keywords") or []), *themes, without_regions(department_name, region_path, names)]
    if kind == "bundle":
        extra.append(data.get("description") or "")
        extra.extend(names.items.get(m["item"], "") for m in data.get("members", []))
        summary = (data.get("description") or "")[:300]
    else:
        summary = ""
    return SearchDocument(
        kind=kind,
        code=data["code"],
        version=version,
        name=data["name"],
        basic_code=data.get("basic_code") or "",
        summary=summary,
        region_code=region,
        region_name=region_name,
        region_path=region_path,
        department_code=department or "",
        department_name=department_name,
        audience=data.get("audience") or "both",
        themes=f"|{'|'.join(themes)}|" if themes else "",
        text=text_of(kind, data["name"], extra),
    )
