"""Pages of 好差评 rates and rankings (``/ratings/figures/``), their Excel export, and the public
评价概况 of an item or bundle (``/ratings/services/<code>/``).

The figures are for supervisors (their regions), platform admins (the province) and
department admins (their department's rows only); anyone else gets 404, as does a region
unknown or outside the person's scope. A bad period or dimension is a message on the page
(status 400) with the defaults in its place, never an error page. The public summary needs no
login and shows no personal data. Views are thin: :mod:`onething.ratings.figures` computes.
"""

from __future__ import annotations

from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.urls import path, reverse
from django.utils.http import urlencode
from django.views.decorators.http import require_GET

from onething.core.errors import Refused
from onething.core.pages import refused
from onething.kernel.errors import NotFound
from onething.ratings import figures, rules

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def percent(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.1f}%"


def score(value: float | None) -> str:
    return "—" if value is None else f"{value:.2f}"


def cells(row: figures.Row) -> list[dict]:
    """A row's figures as the tables show them (rates with their numerator / denominator)."""
    out = [{"label": "评价数", "value": row.ratings}]
    out.append({"label": "主动评价", "value": row.given})
    out.append({"label": "默认评价", "value": row.defaulted})
    for name, (label, _, _) in figures.RATES.items():
        top, bottom = row.parts(name)
        out.append({"label": label, "value": percent(row.rate(name)), "parts": f"{top}/{bottom}"})
    out.append({"label": "平均分", "value": score(row.average)})
    return out


def ranking_rows(rows: list[figures.Row]) -> list[dict]:
    return [
        {
            "rank": r.rank,
            "label": r.label,
            "good_rate": r.good_rate,
            "good": percent(r.good_rate),
            "fixed": percent(r.fixed_rate),
            "ratings": r.ratings,
        }
        for r in rows
    ]


def _filters(request):
    """(region, departments, dimension, start, end, errors); 404 outside the scope."""
    scope = figures.scope_of(request.user)
    if not scope:
        raise Http404
    try:
        region, departments = figures.region_for(scope, request.GET.get("region"))
    except Refused:  # unknown, outside, or not a region code at all
        raise Http404 from None
    errors = []
    try:
        dim = figures.dimension(request.GET.get("by"))
    except Refused as exc:
        errors.append(exc)
        dim = "region"
    if dim not in figures.dims_for(departments):
        raise Http404
    try:
        start, end = figures.period(request.GET.get("from"), request.GET.get("to"))
    except Refused as exc:
        errors.append(exc)
        start, end = figures.period()
    return scope, region, departments, dim, start, end, errors


def _query(code: str, dim: str, start, end) -> str:
    return urlencode({"region": code, "by": dim, "from": start.isoformat(), "to": end.isoformat()})


@require_GET
def figures_page(request):
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    scope, region, departments, dim, start, end, errors = _filters(request)
    for exc in errors:
        refused(request, exc)
    data = figures.report(region, start, end, departments=departments, dims=[dim])
    base = reverse("ratings:figures")
    rows = [
        {
            "label": r.label,
            "href": (base + "?" + _query(r.key, dim, start, end))
            if dim == "region" and r.key != figures.SELF
            else "",
            "cells": cells(r),
        }
        for r in data["dims"][dim]
    ]
    totals = data["totals"]
    return render(
        request,
        "ratings/figures.html",
        {
            "region": region,
            "options": scope.options(),
            "department_only": departments is not None,
            "dim": dim,
            "caption": figures.DIMS[dim],
            "head": figures.HEADS[dim],
            "tabs": [
                {
                    "dim": d,
                    "label": label,
                    "href": base + "?" + _query(region.code, d, start, end),
                    "current": d == dim,
                }
                for d, label in figures.DIMS.items()
                if d in figures.dims_for(departments)
            ],
            "first": start,
            "last": end,
            "presets": [
                {
                    "label": label,
                    "href": base + "?" + _query(region.code, dim, a, b),
                    "current": (a, b) == (start, end),
                }
                for label, a, b in figures.presets()
            ],
            "totals": cells(totals),
            "indicators": [
                {"label": label, "value": score(totals.indicators[k])}
                for k, label in rules.INDICATORS.items()
            ],
            "columns": [c["label"] for c in cells(totals)],
            "rows": rows,
            "region_ranking": ranking_rows(data["rankings"]["region"]),
            "department_ranking": ranking_rows(data["rankings"]["department"]),
            "note": figures.COVERAGE_NOTE,
            "export": reverse("ratings:figures_xlsx") + "?" + _query(region.code, dim, start, end),
        },
        status=400 if errors else 200,
    )


@require_GET
def figures_xlsx(request):
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    _, region, departments, _, start, end, errors = _filters(request)
    if errors:  # the page, with the messages and status 400
        return figures_page(request)
    body = figures.xlsx(figures.report(region, start, end, departments=departments))
    response = HttpResponse(body, content_type=XLSX)
    name = f"ratings-{region.code}-{start:%Y%m%d}-{end:%Y%m%d}.xlsx"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@require_GET
def service_page(request, code: str):
    try:
        summary = figures.service_summary(code)
    except NotFound:
        raise Http404 from None
    groups = [
        {"label": label, "all": summary["all"][key], "recent": summary["recent"][key]}
        for key, label in figures.LEVEL_GROUPS
    ]
    guide = reverse(f"guides:{'bundle' if summary['kind'] == 'bundle' else 'item'}", args=[summary["code"]])
    return render(
        request,
        "ratings/service_summary.html",
        {
            "summary": summary,
            "groups": groups,
            "all_rate": percent(summary["all"]["good_rate"]),
            "recent_rate": percent(summary["recent"]["good_rate"]),
            "guide": guide,
        },
    )


urlpatterns = [
    path("figures/", figures_page, name="figures"),
    path("figures/export.xlsx", figures_xlsx, name="figures_xlsx"),
    path("services/<str:code>/", service_page, name="service"),
]
