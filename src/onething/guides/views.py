"""Portal pages of the guides app: 情形引导, the HTML guide and the bundles overview.

Every page works without JavaScript (plain GET forms, answers in the query string as
``a.<question>=…``, so a guidance state is a shareable, bookmarkable URL). With htmx the
same form swaps only the guidance panel (``HX-Request`` → the partial template).
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_GET

from onething.catalog.plans import OVERVIEW_BASIS_TEXT, bundles_overview
from onething.guides import content, diagrams
from onething.kernel.errors import Invalid, NotFound

MODES = {"step": "逐题引导", "window": "窗口导办"}


def _load(kind: str, code: str, raw: dict[str, str]) -> tuple[dict, str | None]:
    """The guide context; a bad answer is dropped and reported instead of failing the page."""
    try:
        return content.guide(kind, code, raw), None
    except NotFound as exc:
        raise Http404(exc.message)
    except Invalid as exc:
        if not exc.field:
            raise
        bad = exc.field.removeprefix(content.ANSWER_PREFIX)
        remaining = {k: v for k, v in raw.items() if k != bad}
        return content.guide(kind, code, remaining), exc.message


def _guidance(request: HttpRequest, kind: str, code: str) -> HttpResponse:
    raw = content.answer_params(request.GET)
    mode = request.GET.get("mode") if request.GET.get("mode") in MODES else "step"
    ctx, error = _load(kind, code, raw)
    plan = ctx["plan"]
    pending = [q for q in ctx["questions"] if not q["answered"]]
    base_path = ctx["guidance_path"].split("?")[0]
    for q in ctx["questions"]:  # a link that takes the answer back (修改)
        others = {k: v for k, v in plan.answers.items() if k != q["question"].id}
        query = content.answers_query(others)
        q["change_url"] = (
            base_path + "?" + "&".join(p for p in (query, "" if mode == "step" else f"mode={mode}") if p)
        )
    ctx.update(
        {
            "mode": mode,
            "modes": MODES,
            "error": error,
            "next": pending[0] if pending else None,
            "answered_count": len(ctx["questions"]) - len(pending),
            "base_path": base_path,
            "window_path": base_path
            + "?"
            + urlencode([*((f"a.{k}", v) for k, v in raw.items()), ("mode", "window")]),
            "step_path": base_path + ("?" + ctx["query"] if ctx["query"] else ""),
            # 立即申请: the application starts with these answers (never asked twice)
            "apply_path": reverse("cases:apply", args=[kind, code])
            + ("?" + ctx["query"] if ctx["query"] else ""),
            "answer_hidden": [
                (f"{content.ANSWER_PREFIX}{k}", content.answer_text_value(v)) for k, v in plan.answers.items()
            ],
        }
    )
    template = "guides/_guidance.html" if request.headers.get("HX-Request") else "guides/guidance.html"
    return render(request, template, ctx, status=400 if error else 200)


@require_GET
def bundle(request: HttpRequest, code: str) -> HttpResponse:
    return _guidance(request, "bundle", code)


@require_GET
def item(request: HttpRequest, code: str) -> HttpResponse:
    return _guidance(request, "item", code)


def _guide_page(request: HttpRequest, kind: str, code: str) -> HttpResponse:
    ctx, error = _load(kind, code, content.answer_params(request.GET))
    ctx["error"] = error
    return render(request, "guides/guide.html", ctx, status=400 if error else 200)


@require_GET
def bundle_guide(request: HttpRequest, code: str) -> HttpResponse:
    return _guide_page(request, "bundle", code)


@require_GET
def item_guide(request: HttpRequest, code: str) -> HttpResponse:
    return _guide_page(request, "item", code)


@require_GET
def bundles(request: HttpRequest) -> HttpResponse:
    rows = bundles_overview()
    for r in rows:
        r["rows"] = r["plan"].reduction.rows()
        r["chart"] = diagrams.reduction_chart(r["rows"], title=f"{r['name']}：分别办理与一件事办理对比")
        r["answers_text"] = "；".join(
            f"{q.text}{content.answer_text(r['answers'][q.id])}"
            for q in r["plan"].questions
            if q.id in r["answers"]
        )
        r["guidance_path"] = f"{request.path}{r['code']}/?{content.answers_query(r['answers'])}"
    return render(request, "guides/bundles.html", {"rows": rows, "basis_text": OVERVIEW_BASIS_TEXT})
