"""The red/yellow card ledger and recurring complaints for staff (``/hotline/cards/``,
``/hotline/recurrences/``).

The ledger: filters (period with presets, region, level), the per-department table
(``ledger.summary``), the month trend, the latest cards linking to their tickets, and the
Excel export. Recurrences: the list in scope and a recurrence's page with the owner's 完成整改
form. Login required; nothing in scope (or a region or recurrence outside it): 404. A bad
filter is a message on the page (status 400) with the defaults in its place. Views are thin:
:mod:`onething.hotline.ledger` and :mod:`onething.hotline.recurrences` compute.
"""

from __future__ import annotations

from types import SimpleNamespace

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils.http import urlencode
from django.views.decorators.http import require_GET, require_http_methods

from onething.accounts.models import StaffRole
from onething.core.errors import Refused
from onething.core.pages import refused, row_id
from onething.hotline import ledger, recurrences, rules
from onething.hotline.machines import HANDLER
from onething.hotline.models import Recurrence

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def percent(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.1f}%"


def per_100(value: float | None) -> str:
    return "—" if value is None else f"{value:.1f}"


def _filters(request):
    """(scope narrowed, region, start, end, level, errors); 404 outside every scope."""
    scope = ledger.scope_of(request.user)
    if not scope:
        raise Http404
    try:
        region, narrowed = ledger.narrow(scope, request.GET.get("region"))
    except Refused:
        raise Http404 from None
    errors = []
    try:
        start, end = ledger.period(request.GET.get("from"), request.GET.get("to"))
    except Refused as exc:
        errors.append(exc)
        start, end = ledger.period()
    try:
        level = ledger.level_of(request.GET.get("level"))
    except Refused as exc:
        errors.append(exc)
        level = ""
    return scope, narrowed, region, start, end, level, errors


def _query(region, start, end, level) -> str:
    return urlencode(
        {
            "region": region.code if region else "",
            "from": start.isoformat(),
            "to": end.isoformat(),
            "level": level,
        }
    )


def _data(narrowed, region, start, end, level):
    cards = narrowed.cards()
    tickets = ledger.in_region(narrowed.tickets(), region)
    cards = ledger.in_region(cards, region)
    counted = cards.filter(level=level) if level else cards
    rows = ledger.summary(counted, start=start, end=end, tickets=tickets)
    months = ledger.by_month(counted, start=start, end=end, tickets=tickets)
    latest = ledger.latest(cards, start=start, end=end, level=level)
    return rows, months, latest


def _row_cells(row: ledger.Row) -> list[dict]:
    out = []
    for clock in ledger.CLOCKS:
        label = rules.CLOCK_LABELS[clock]
        out.append({"label": f"黄牌·{label}", "value": row.yellow.get(clock, 0)})
    for clock in ledger.CLOCKS:
        label = rules.CLOCK_LABELS[clock]
        out.append({"label": f"红牌·{label}", "value": row.red.get(clock, 0)})
    out += [
        {"label": "黄牌合计", "value": row.yellow_total},
        {"label": "红牌合计", "value": row.red_total},
        {"label": "办结工单", "value": row.handled},
        {"label": "按时办结率", "value": percent(row.on_time_rate)},
        {"label": "每百件红牌", "value": per_100(row.red_per_100)},
    ]
    return out


@login_required
@require_GET
def cards_page(request):
    scope, narrowed, region, start, end, level, errors = _filters(request)
    for exc in errors:
        refused(request, exc)
    rows, months, latest = _data(narrowed, region, start, end, level)
    base = reverse("hotline:cards")
    presets = [
        {
            "label": label,
            "href": base + "?" + _query(region, a, b, level),
            "current": (a, b) == (start, end),
        }
        for label, a, b in ledger.presets()
    ]
    table = [{"row": r, "cells": _row_cells(r)} for r in rows]
    return render(
        request,
        "hotline/ledger/cards.html",
        {
            "region": region,
            "options": scope.options(),
            "first": start,
            "last": end,
            "level": level,
            "levels": list(ledger.LEVELS.items()),
            "presets": presets,
            "columns": [c["label"] for c in _row_cells(ledger.Row(key="", name=""))],
            "table": table,
            "months": [{**m, "rate": percent(m["on_time_rate"])} for m in months],
            "latest": [{**ledger.card_dict(c), "when": c.at} for c in latest],
            "export": reverse("hotline:cards_xlsx") + "?" + _query(region, start, end, level),
        },
        status=400 if errors else 200,
    )


@login_required
@require_GET
def cards_xlsx(request):
    _, narrowed, region, start, end, level, errors = _filters(request)
    if errors:
        return cards_page(request)
    rows, months, latest = _data(narrowed, region, start, end, level)
    body = ledger.xlsx(
        rows, months, latest, start=start, end=end, region_name=region.name if region else "本人可见范围"
    )
    response = HttpResponse(body, content_type=XLSX)
    name = f"hotline-cards-{region.code if region else 'all'}-{start:%Y%m%d}-{end:%Y%m%d}.xlsx"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


# ------------------------------------------------------------------------------ recurrences


def _may_see_recurrences(user) -> bool:
    """Staff with a ledger scope, and the halls' managers (who own hall recurrences)."""
    if ledger.scope_of(user):
        return True
    return StaffRole.objects.filter(user=user, role=StaffRole.HALL_MANAGER, hall__isnull=False).exists()


@login_required
@require_GET
def recurrence_list(request):
    if not _may_see_recurrences(request.user):
        raise Http404
    status = request.GET.get("status", "")
    rows = recurrences.visible(request.user).select_related("department", "hall", "region")
    if status in Recurrence.Status.values:
        rows = rows.filter(status=status)
    else:
        status = ""
    rows = rows.order_by("-status", "due_date", "-opened_at")[:200]  # "open" sorts after "fixed"
    return render(
        request,
        "hotline/ledger/recurrences.html",
        {
            "rows": [
                {
                    "r": r,
                    "subject": rules.RECURRENCE_SUBJECTS.get(r.subject, r.subject),
                    "owner": _owner_name(r),
                }
                for r in rows
            ],
            "statuses": Recurrence.Status.choices,
            "status": status,
        },
    )


def _owner_name(r: Recurrence) -> str:
    if r.department_id:
        return r.department.short_name or r.department.name
    return r.hall.name if r.hall_id else ""


@login_required
@require_http_methods(["GET", "POST"])
def recurrence_detail(request, recurrence_id):
    found = (
        recurrences.visible(request.user)
        .select_related("department", "hall", "region", "fixed_by")
        .filter(pk=row_id(recurrence_id))
        .first()
    )
    if found is None:
        raise Http404("未找到该重复诉求")
    roles = recurrences.roles_for(request.user, found)
    may_fix = HANDLER in roles and found.status == Recurrence.Status.OPEN
    form = {"note": request.POST.get("note", "")}
    error = None
    if request.method == "POST":
        if not may_fix:
            raise Http404
        try:
            recurrences.fix(found, request.user, roles=roles, note=form["note"])
        except Refused as exc:
            error = SimpleNamespace(message=exc.message, field=getattr(exc, "field", None) or "")
        else:
            messages.success(request, "已记录整改情况")
            return redirect("hotline:recurrence", recurrence_id=found.pk)
    return render(
        request,
        "hotline/ledger/recurrence.html",
        {
            "r": found,
            "subject": rules.RECURRENCE_SUBJECTS.get(found.subject, found.subject),
            "owner": _owner_name(found),
            "tickets": recurrences.tickets_of(found, request.user),
            "may_fix": may_fix,
            "form": form,
            "error": error,
            "note_max": rules.NOTE_MAX,
        },
        status=400 if error else 200,
    )


urlpatterns = [
    path("cards/", cards_page, name="cards"),
    path("cards/export.xlsx", cards_xlsx, name="cards_xlsx"),
    path("recurrences/", recurrence_list, name="recurrences"),
    path("recurrences/<str:recurrence_id>/", recurrence_detail, name="recurrence"),
]
