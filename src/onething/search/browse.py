"""Browsing the published catalog by life event, enterprise stage, department and region.

Citizens think in life events (生育、婚姻、退休 …) and enterprises in stages of their life
cycle (开办、变更、经营、注销); catalogs tag items and bundles with these themes. Browse lists
bundles first — the point of 一件事 is that one application covers several items.
"""

from __future__ import annotations

from collections import Counter

from django.db.models import Case, IntegerField, QuerySet, Value, When

from onething.search.models import SearchDocument
from onething.search.regions import RegionScope

PERSON_EVENTS = ("生育", "教育", "就业", "婚姻", "住房", "退休", "身后")
ENTERPRISE_STAGES = ("开办", "变更", "经营", "注销")
GROUPS = (("person", "个人生命周期", PERSON_EVENTS), ("enterprise", "企业生命周期", ENTERPRISE_STAGES))


def _filtered(
    theme: str | None = None,
    audience: str | None = None,
    scope: RegionScope | None = None,
    department: str | None = None,
) -> QuerySet[SearchDocument]:
    qs = SearchDocument.objects.all()
    if theme:
        qs = qs.filter(themes__contains=f"|{theme}|")
    if audience:
        qs = qs.filter(audience__in=[audience, "both"])
    if scope is not None:
        qs = qs.filter(scope.q())
    if department:
        qs = qs.filter(department_code=department)
    return qs


def browse(
    theme: str | None = None,
    audience: str | None = None,
    scope: RegionScope | None = None,
    department: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> dict:
    """Documents matching all the given filters: bundles first, then items by name."""
    qs = _filtered(theme, audience, scope, department)
    bundles_first = Case(When(kind="bundle", then=Value(0)), default=Value(1), output_field=IntegerField())
    rows = qs.order_by(bundles_first, "name", "region_path", "code")[offset : offset + limit]
    return {"count": qs.count(), "results": [result(d) for d in rows]}


def result(d: SearchDocument) -> dict:
    return {
        "kind": d.kind,
        "code": d.code,
        "name": d.name,
        "department": d.department_name,
        "region": d.region_code or None,
        "region_name": d.region_name,
        "audience": d.audience,
        "themes": d.theme_list,
        "summary": d.summary,
    }


def themes(audience: str | None = None, scope: RegionScope | None = None) -> list[dict]:
    """Theme groups with counts: life events, enterprise stages, then any other themes."""
    bundles: Counter[str] = Counter()
    items: Counter[str] = Counter()
    for kind, tags in (
        _filtered(audience=audience, scope=scope).exclude(themes="").values_list("kind", "themes")
    ):
        counter = bundles if kind == "bundle" else items
        counter.update(t for t in tags.split("|") if t)
    listed = {t for _, _, names in GROUPS for t in names}
    others = sorted((t for t in {*bundles, *items} if t not in listed), key=lambda t: (-items[t], t))
    groups = [*GROUPS, ("other", "其他主题", tuple(others))]
    return [
        {
            "group": key,
            "label": label,
            "themes": [
                {"theme": t, "bundles": bundles[t], "items": items[t], "count": bundles[t] + items[t]}
                for t in names
            ],
        }
        for key, label, names in groups
        if names
    ]
