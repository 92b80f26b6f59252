"""What a hall offers: the items it takes in, which of them each window accepts, and so the
queue services each window serves (a window serves a service when it accepts every one of the
service's items in the hall's scope).

A hall takes in items of its own region and of the regions below it (as intake does); a
comprehensive window (无差别受理) accepts any of them in its categories (item themes; none:
all); a specialist window the items it names.
"""

from __future__ import annotations

from django.db.models import Count, Max, Q

from onething.catalog.models import Item, PublishState
from onething.directory.models import Hall, Window
from onething.halls.models import Service


def hall_items(hall: Hall) -> list[dict]:
    """The published items ``hall`` takes in: ``{"code", "name", "themes"}``."""
    from onething.directory.models import Region

    path = (
        Region.objects.filter(code=hall.scope_code).values_list("path", flat=True).first() or hall.scope_code
    )
    rows = Item.objects.filter(
        Q(region__path=path) | Q(region__path__startswith=f"{path}/"),
        state__in=[PublishState.PUBLISHED, PublishState.CHANGED],
    ).values("code", "name", "themes")
    return list(rows.order_by("code"))


def accepts(window: Window, item: dict) -> bool:
    if item["code"] in (window.items or []):
        return True
    if not window.comprehensive:
        return False
    themes = window.themes or []
    return not themes or bool(set(themes) & set(item["themes"] or []))


def service_items(service: Service, items: list[dict]) -> list[dict]:
    """The items of ``items`` that belong to ``service``."""
    if not service.items and not service.themes:
        return list(items)
    named, themes = set(service.items or []), set(service.themes or [])
    return [i for i in items if i["code"] in named or themes & set(i["themes"] or [])]


def window_services(window: Window, *, items: list[dict] | None = None, services=None) -> list[str]:
    """The codes of the services ``window`` serves."""
    items = hall_items(window.hall) if items is None else items
    services = list(Service.objects.all()) if services is None else services
    served = []
    for service in services:
        own = service_items(service, items)
        if own and all(accepts(window, i) for i in own):
            served.append(service.code)
    return served


#: hall → (what the answer depends on, the answer): taking a number asks on every issue
_memo: dict[str, tuple[tuple, dict[str, list[str]]]] = {}


def _signature(hall: Hall, windows: list[Window], services: list[Service]) -> tuple:
    """What :func:`hall_services` depends on: the windows' acceptance, the services and the
    hall's published items (their number and latest change) — read in three small queries."""
    from onething.directory.models import Region

    path = (
        Region.objects.filter(code=hall.scope_code).values_list("path", flat=True).first() or hall.scope_code
    )
    items = Item.objects.filter(
        Q(region__path=path) | Q(region__path__startswith=f"{path}/"),
        state__in=[PublishState.PUBLISHED, PublishState.CHANGED],
    ).aggregate(n=Count("code"), latest=Max("updated_at"))
    return (
        hall.scope_code,
        tuple((w.code, w.comprehensive, tuple(w.themes or ()), tuple(w.items or ())) for w in windows),
        tuple((s.code, tuple(s.themes or ()), tuple(s.items or ())) for s in services),
        items["n"],
        items["latest"],
    )


def hall_services(hall: Hall) -> dict[str, list[str]]:
    """Window code → service codes for every active window of ``hall``, worked out again only
    when a window, a service or the hall's items changed."""
    windows = list(hall.windows.filter(active=True).select_related("hall"))
    services = list(Service.objects.all())
    signature = _signature(hall, windows, services)
    memo = _memo.get(hall.pk)
    if memo is not None and memo[0] == signature:
        return memo[1]
    items = hall_items(hall)
    answer = {w.code: window_services(w, items=items, services=services) for w in windows}
    _memo[hall.pk] = (signature, answer)
    return answer


def offered(hall: Hall, by_window: dict[str, list[str]] | None = None) -> list[Service]:
    """The services some window of ``hall`` serves, in their order."""
    by_window = hall_services(hall) if by_window is None else by_window
    codes = {c for served in by_window.values() for c in served}
    return [s for s in Service.objects.all() if s.code in codes]
