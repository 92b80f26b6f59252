"""Portal pages: search results (``/search/?q=``), browse by theme (``/search/browse``) and
the header's region chooser (``POST /search/region``).

Server-rendered, no scripts: the same engine and validation as the API, with a message on the
page instead of a JSON error. The results page shows each item once, the implementation of the
person's region first (:func:`onething.search.regions.preferred`), and never only "nothing
found": suggestions follow.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_POST

from onething.core.errors import ApiError
from onething.search import browse as browsing
from onething.search import params, regions
from onething.search.engine import find

KIND_LABELS = {"bundle": "一件事", "item": "事项"}
#: the longest address the region chooser goes back to (anything else: the home page)
MAX_NEXT = 2000


def detail_url(kind: str, code: str) -> str:
    """The portal page of a result (``/items/<code>/``, ``/bundles/<code>/``): its full standard
    elements, from which the guidance page and the PDF guide are one tap away."""
    return reverse(f"web:{kind}", args=[code])


def _decorate(results: list[dict]) -> list[dict]:
    for r in results:
        r["kind_label"] = KIND_LABELS.get(r["kind"], r["kind"])
        r["url"] = detail_url(r["kind"], r["code"])
        _decorate(r.get("others", []))
    return results


@require_GET
def results(request: HttpRequest) -> HttpResponse:
    q = request.GET.get("q", "")
    context: dict = {"q": q, "region": request.GET.get("region", ""), "page": None, "error": None}
    if q.strip():
        try:
            scope = params.clean_region(context["region"])
            preferred = regions.preferred(request) or scope
            page = find(params.clean_query(q), scope, preferred)
            for part in (page.results, page.suggestions, page.popular):
                _decorate(part)
            context.update(page=page, preferred=preferred)
        except ApiError as exc:
            context["error"] = exc.message
    status = 400 if context["error"] else 200
    return render(request, "search/results.html", context, status=status)


def _back(request: HttpRequest) -> str:
    """Back to the page the chooser was on: the form's ``next`` or the Referer (the header form
    sends none, so no page prints its own address into a hidden field), same site only."""
    target = request.POST.get("next", "")
    if not target:
        referer = urlsplit(request.headers.get("Referer", ""))
        if referer.netloc == request.get_host():
            target = referer.path + (f"?{referer.query}" if referer.query else "")
    safe = target.startswith("/") and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    )
    return target if safe and len(target) <= MAX_NEXT and "\x00" not in target else "/"


@require_POST
def choose_region(request: HttpRequest) -> HttpResponse:
    """The header's region chooser: remember the region in the session and go back."""
    try:
        region = params.clean_region(request.POST.get("region", ""))
    except ApiError as exc:
        context = {"q": "", "region": "", "page": None, "error": exc.message}
        return render(request, "search/results.html", context, status=400)
    regions.remember(request, region)
    return HttpResponseRedirect(_back(request))


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
