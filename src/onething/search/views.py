"""Portal pages: search results (``/search/?q=``) and browse by theme (``/search/browse``).

Server-rendered, no scripts: the same engine and validation as the API, with a message on the
page instead of a JSON error.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_GET

from onething.core.errors import ApiError
from onething.search import browse as browsing
from onething.search import params
from onething.search.engine import search

KIND_LABELS = {"bundle": "一件事", "item": "事项"}


def detail_url(kind: str, code: str) -> str:
    """The portal page of a result (``/items/<code>/``, ``/bundles/<code>/``): its full standard
    elements, from which the guidance page and the PDF guide are one tap away."""
    return reverse(f"web:{kind}", args=[code])


def _decorate(results: list[dict]) -> list[dict]:
    for r in results:
        r["kind_label"] = KIND_LABELS.get(r["kind"], r["kind"])
        r["url"] = detail_url(r["kind"], r["code"])
    return results


@require_GET
def results(request: HttpRequest) -> HttpResponse:
    q = request.GET.get("q", "")
    context: dict = {"q": q, "region": request.GET.get("region", ""), "results": [], "error": None}
    if q.strip():
        try:
            scope = params.clean_region(context["region"])
            context["results"] = _decorate(search(params.clean_query(q), scope, 50))
        except ApiError as exc:
            context["error"] = exc.message
    status = 400 if context["error"] else 200
    return render(request, "search/results.html", context, status=status)


@require_GET
def browse(request: HttpRequest) -> HttpResponse:
    context: dict = {"error": None, "groups": [], "page": None}
    theme = request.GET.get("theme", "")
    audience = request.GET.get("audience", "")
    region = request.GET.get("region", "")
    context.update(theme=theme, audience=audience, region=region)
    try:
        scope = params.clean_region(region)
        clean_audience = params.clean_audience(audience)
        context["groups"] = browsing.themes(clean_audience, scope)
        if theme:
            page = browsing.browse(params.clean_theme(theme), clean_audience, scope, limit=100)
            _decorate(page["results"])
            context["page"] = page
    except ApiError as exc:
        context["error"] = exc.message
    status = 400 if context["error"] else 200
    return render(request, "search/browse.html", context, status=status)
