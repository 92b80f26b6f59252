"""进驻率 (应进必进): for each region, which of its published items are offered in its halls.

A region's items are the published items of the region and of the regions below it. An item
is offered when an active window of a hall in the region's subtree accepts it within the
hall's scope (``offer.hall_items`` and ``offer.accepts``: what intake at that window takes
in). The rate is offered / items; the report lists the items not offered.

Regions reported: those of the subtree asked for (all, without one) that have items of their
own or a hall.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import Q

from onething.catalog.models import Item, PublishState
from onething.directory.models import Hall, Region, within
from onething.halls import offer


@dataclass
class Row:
    region: Region
    items: list[dict] = field(default_factory=list)
    offered: list[dict] = field(default_factory=list)
    missing: list[dict] = field(default_factory=list)
    halls: list[Hall] = field(default_factory=list)

    @property
    def rate(self) -> float | None:
        return len(self.offered) / len(self.items) if self.items else None

    @property
    def percent(self) -> str:
        return "—" if self.rate is None else f"{self.rate * 100:.1f}%"


def offered_by_hall() -> dict[str, set[str]]:
    """Hall code → the codes of the items some active window of the hall accepts."""
    out: dict[str, set[str]] = {}
    for hall in Hall.objects.select_related("region"):
        items = offer.hall_items(hall)
        windows = list(hall.windows.filter(active=True))
        out[hall.code] = {i["code"] for i in items if any(offer.accepts(w, i) for w in windows)}
    return out


def report(region: Region | None = None, *, regions=None) -> list[Row]:
    """The rows of ``region``'s subtree (every region without one), province first.

    ``regions`` restricts the rows to those within any of these regions (a supervisor's)."""
    published = list(
        Item.objects.filter(state__in=[PublishState.PUBLISHED, PublishState.CHANGED])
        .select_related("region")
        .values("code", "name", "region__path", "department__name")
        .order_by("code")
    )
    halls = list(Hall.objects.select_related("region").order_by("code"))
    by_hall = offered_by_hall()
    candidates = Region.objects.order_by("path")
    if region is not None:
        candidates = candidates.filter(Q(path=region.path) | Q(path__startswith=f"{region.path}/"))
    scopes = [r.code for r in regions] if regions is not None else None
    own_items = {i["region__path"] for i in published}
    hall_paths = {h.region.path for h in halls}
    rows = []
    for r in candidates.order_by("path"):
        if r.path not in own_items and r.path not in hall_paths:
            continue
        if scopes is not None and not any(within(r.path, s) for s in scopes):
            continue
        row = Row(region=r)
        row.items = [i for i in published if within(i["region__path"], r.code)]
        row.halls = [h for h in halls if within(h.region.path, r.code)]
        offered = set().union(*(by_hall[h.code] for h in row.halls)) if row.halls else set()
        row.offered = [i for i in row.items if i["code"] in offered]
        row.missing = [i for i in row.items if i["code"] not in offered]
        rows.append(row)
    return rows
