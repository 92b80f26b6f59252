"""免提交率 per bundle and per item, as planned and as achieved.

- *planned*: of the materials the applications' plans list, how many are marked 免提交
  (``exempt_via``: e-licence or data sharing) — what the catalog promises;
- *achieved*: how many of them the platform actually obtained without the applicant submitting
  them (fetched through data sharing, or a verified e-licence reference, for every sub-case
  that needed them) — what applicants got.

A bundle's row counts each application's materials once; an item's row counts the materials
its sub-cases needed. The oversight dashboards read :func:`report`; ``onething
exemption-report`` prints it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from onething.cases.models import Application, Material, SharedData
from onething.catalog.models import Item


@dataclass
class Row:
    kind: str  # bundle | item
    code: str
    name: str
    applications: int = 0
    materials: int = 0
    exempt: int = 0
    obtained: int = 0

    @property
    def planned_rate(self) -> float:
        return self.exempt / self.materials if self.materials else 0.0

    @property
    def achieved_rate(self) -> float:
        return self.obtained / self.materials if self.materials else 0.0

    def as_dict(self) -> dict:
        return {
            "kind": self.kind,
            "code": self.code,
            "name": self.name,
            "applications": self.applications,
            "materials": self.materials,
            "exempt": self.exempt,
            "obtained": self.obtained,
            "planned_rate": round(self.planned_rate, 4),
            "achieved_rate": round(self.achieved_rate, 4),
        }


def report(since: dt.datetime | None = None) -> list[Row]:
    """Rows for every bundle or item applied for (since ``since``), then every member item."""
    apps = Application.objects.all()
    if since is not None:
        apps = apps.filter(created_at__gte=since)
    apps = list(apps.only("pk", "kind", "code", "name", "plan"))
    ids = [a.pk for a in apps]
    fetched = set(
        Material.objects.filter(
            application_id__in=ids, source="platform", fetch_status="fetched"
        ).values_list("application_id", "material")
    )
    per_sub = set(
        SharedData.objects.filter(application_id__in=ids, found=True).values_list(
            "application_id", "subcase__item_code", "material"
        )
    )
    top: dict[tuple[str, str], Row] = {}
    items: dict[str, Row] = {}
    for app in apps:
        row = top.setdefault((app.kind, app.code), Row(app.kind, app.code, app.name))
        row.applications += 1
        for line in app.plan.get("materials", []):
            exempt = bool(line.get("exempt"))
            row.materials += 1
            row.exempt += exempt
            row.obtained += exempt and (app.pk, line["material"]) in fetched
            if app.kind != "bundle":
                continue
            for item in line.get("items") or []:
                member = items.setdefault(item, Row("item", item, item))
                member.materials += 1
                member.exempt += exempt
                member.obtained += exempt and (app.pk, item, line["material"]) in per_sub
    for app in apps:
        if app.kind == "bundle":
            for item in {i for line in app.plan.get("materials", []) for i in line.get("items") or []}:
                items[item].applications += 1
    names = dict(Item.objects.filter(code__in=list(items)).values_list("code", "name"))
    for code, row in items.items():
        row.name = names.get(code, code)
        if ("item", code) in top:  # also applied for alone: one row per item
            alone = top[("item", code)]
            alone.applications += row.applications
            alone.materials += row.materials
            alone.exempt += row.exempt
            alone.obtained += row.obtained
        else:
            top[("item", code)] = row
    return sorted(top.values(), key=lambda r: (r.kind != "bundle", r.code))
