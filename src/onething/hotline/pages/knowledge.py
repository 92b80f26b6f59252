"""Knowledge-base pages (``/hotline/knowledge/``) and the two panels of the operator's
workbench.

- ``knowledge/`` — search (the portal's Chinese search over item guides, plus the centre's
  articles) and the latest articles, for hotline staff of any role;
- ``knowledge/<id>/`` — one article; ``knowledge/new/``, ``knowledge/<id>/edit/`` — writing
  them, for operators and platform admins;
- ``knowledge/panel/?q=&region=`` — an htmx fragment: the answers, each with a “用此答复”
  button carrying ``data-answer-key`` and ``data-answer-summary`` (the workbench's script
  puts them into the reply);
- ``duplicates/panel/?region=&content=&caller_phone=&item=&address=`` — an htmx fragment:
  possible duplicates of the ticket being typed, for operators.

Anonymous: the login page; signed in without the role: 404. A refused input is its Chinese
message on the page, never an error page.
"""

from __future__ import annotations

from types import SimpleNamespace

from django.contrib.auth.views import redirect_to_login
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import path
from django.views.decorators.http import require_GET, require_http_methods

from onething.accounts.masking import mask_text
from onething.core.errors import Refused
from onething.hotline import access, duplicates, knowledge, rules
from onething.hotline.machines import OPERATOR, TICKET
from onething.hotline.models import Article
from onething.hotline.service import link as ticket_link

LATEST = 30
EXCERPT = 80


def _error(exc) -> SimpleNamespace:
    return SimpleNamespace(
        message=getattr(exc, "message", None) or str(exc), field=getattr(exc, "field", "") or ""
    )


def _gate(request, allowed):
    """None when ``allowed(user)``; else the login page (anonymous) or a 404."""
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    if not allowed(request.user):
        raise Http404
    return None


def _is_operator(user) -> bool:
    return OPERATOR in access.staff_roles(user)


def _article(pk: int, user) -> Article:
    if not 0 < pk < 2**62:
        raise Http404
    article = Article.objects.select_related("region", "updated_by").filter(pk=pk).first()
    if article is None or (not article.published and not knowledge.may_edit(user)):
        raise Http404
    return article


def _answers(request) -> tuple[str, str, list, SimpleNamespace | None]:
    q = request.GET.get("q", "")
    region = request.GET.get("region", knowledge.home_region(request.user))
    try:
        return q, region, knowledge.search(q, region=region or None), None
    except Refused as exc:
        return q, region, [], _error(exc)


@require_GET
def index(request):
    if (gate := _gate(request, knowledge.may_search)) is not None:
        return gate
    q, region, answers, error = _answers(request)
    latest = []
    if not q.strip():
        qs = Article.objects.select_related("region").order_by("-updated_at")
        if not knowledge.may_edit(request.user):
            qs = qs.filter(published=True)
        latest = list(qs[:LATEST])
    context = {
        "q": q,
        "region": region,
        "answers": answers,
        "error": error,
        "latest": latest,
        "may_edit": knowledge.may_edit(request.user),
    }
    return render(request, "hotline/knowledge/index.html", context, status=400 if error else 200)


@require_GET
def panel(request):
    """The workbench's answers fragment (htmx ``hx-get``)."""
    if (gate := _gate(request, knowledge.may_search)) is not None:
        return gate
    q, _region, answers, error = _answers(request)
    context = {"q": q, "answers": answers, "error": error}
    return render(request, "hotline/knowledge/_panel.html", context, status=400 if error else 200)


@require_GET
def article(request, pk: int):
    if (gate := _gate(request, knowledge.may_search)) is not None:
        return gate
    obj = _article(pk, request.user)
    context = {"article": obj, "body": mask_text(obj.body), "may_edit": knowledge.may_edit(request.user)}
    return render(request, "hotline/knowledge/article.html", context)


FIELDS = ("title", "body", "keywords", "region", "item_code")


@require_http_methods(["GET", "POST"])
def edit(request, pk: int | None = None):
    if (gate := _gate(request, knowledge.may_edit)) is not None:
        return gate
    obj = _article(pk, request.user) if pk is not None else None
    error = None
    if request.method == "POST":
        form = {f: request.POST.get(f, "") for f in FIELDS}
        form["published"] = request.POST.get("published") == "on"
        try:
            saved = knowledge.save_article(form, request.user, obj)
        except Refused as exc:
            error = _error(exc)
        else:
            return redirect("hotline:knowledge_article", pk=saved.pk)
    elif obj is not None:
        form = {
            "title": obj.title,
            "body": obj.body,
            "keywords": obj.keywords,
            "region": obj.region_id or "",
            "item_code": obj.item_code,
            "published": obj.published,
        }
    else:
        form = {f: "" for f in FIELDS} | {"published": True}
    context = {
        "article": obj,
        "form": form,
        "error": error,
        "max_title": rules.TITLE_MAX,
        "max_body": rules.ARTICLE_MAX,
    }
    return render(request, "hotline/knowledge/edit.html", context, status=400 if error else 200)


@require_GET
def duplicates_panel(request):
    """The workbench's possible-duplicates fragment (htmx ``hx-get``), operators only; only
    tickets the operator may read are listed."""
    if (gate := _gate(request, _is_operator)) is not None:
        return gate
    g = request.GET
    rows, error = [], None
    if g.get("region", "").strip():
        try:
            found = duplicates.suggest(
                region=g.get("region", ""),
                content=g.get("content", ""),
                caller_phone=g.get("caller_phone", ""),
                item_code=g.get("item", ""),
                address=g.get("address", ""),
            )
        except Refused as exc:
            error, found = _error(exc), []
        for s in found:
            if not access.may_read(request.user, s.ticket):
                continue
            content = mask_text(s.ticket.content)
            rows.append(
                {
                    "ticket": s.ticket,
                    "category": rules.CATEGORIES.get(s.ticket.category, s.ticket.category),
                    "status": TICKET.state_label(s.ticket.status),
                    "excerpt": content if len(content) <= EXCERPT else content[: EXCERPT - 1] + "…",
                    "reasons": s.reasons,
                    "percent": round(s.score * 100),
                    "link": ticket_link(s.ticket),
                }
            )
    return render(
        request,
        "hotline/knowledge/_duplicates.html",
        {"rows": rows, "error": error},
        status=400 if error else 200,
    )


urlpatterns = [
    path("knowledge/", index, name="knowledge"),
    path("knowledge/panel/", panel, name="knowledge_panel"),
    path("knowledge/new/", edit, name="knowledge_new"),
    path("knowledge/<int:pk>/", article, name="knowledge_article"),
    path("knowledge/<int:pk>/edit/", edit, name="knowledge_edit"),
    path("duplicates/panel/", duplicates_panel, name="duplicates_panel"),
]
