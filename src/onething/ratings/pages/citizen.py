"""The citizen's pages of 好差评: 评价本次服务 (一事一评, ``/ratings/cases/<number>/``), the
window visit's rating by its ticket (一次一评, ``/ratings/tickets/<token>/``) and 我的评价
(``/ratings/mine/``).

Views are thin: they find what the person may rate (anyone else: 404), read the form and call
``service.rate``. The form works without JavaScript: a refused value is a message on the page
next to its field, the form keeps what was typed, and the status is 400. A 差评 asks its reason
and a 说明 (the page's rule, on top of the service's). After a rating the page shows it and,
for a 差评, how its rectification is getting on.
"""

from __future__ import annotations

import re
from types import SimpleNamespace

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import path
from django.views.decorators.http import require_GET, require_http_methods

from onething.cases.models import Application
from onething.core.errors import Refused
from onething.halls.models import Ticket
from onething.kernel.errors import Conflict, Invalid
from onething.ratings import rules, service
from onething.ratings.mine import my_ratings, waiting
from onething.ratings.models import Rating, Rectification

TOKEN = re.compile(r"[A-Za-z0-9_-]{8,32}")
THANKS = "感谢您的评价！"

#: the rectification's steps as the rater sees them: (key, words)
STEPS = [("verify", "回访核实"), ("answer", "整改并答复"), ("revisit", "整改回访"), ("closed", "办结")]
CURRENT_STEP = {
    Rectification.Status.VERIFYING: "verify",
    Rectification.Status.HANDLING: "answer",
    Rectification.Status.ANSWERED: "revisit",
}


def page_channel(request) -> str:
    """``mobile`` from a phone's browser (its User-Agent says “Mobi”), else ``web``."""
    return "mobile" if "Mobi" in request.headers.get("User-Agent", "") else "web"


# ------------------------------------------------------------------------------ the views' parts


def progress(rect: Rectification | None) -> dict | None:
    """A rectification as its rater follows it: status, the steps done, the answer."""
    if rect is None:
        return None
    reached = {
        "verify": rect.verified_at,
        "answer": rect.answered_at,
        "revisit": rect.revisited_at,
        "closed": rect.closed_at,
    }
    keys = [key for key, _ in STEPS]
    # the step under way follows the status (a rater unsatisfied at the return visit sends
    # the rectification back to 整改并答复: the later steps are to be done again)
    current = CURRENT_STEP.get(rect.status)
    steps = []
    for key, words in STEPS:
        if rect.status == rect.Status.VOIDED:
            done = reached[key] is not None
        elif current is None:
            done = True
        else:
            done = keys.index(key) < keys.index(current)
        steps.append(
            {"key": key, "words": words, "done": done, "current": key == current, "at": reached[key]}
        )
    return {
        "rect": rect,
        "status": rect.get_status_display(),
        "closed": rect.status in (rect.Status.CLOSED, rect.Status.VOIDED),
        "due_date": rect.due_date if rect.status not in (rect.Status.CLOSED, rect.Status.VOIDED) else None,
        "outcome": rect.get_outcome_display() if rect.outcome else "",
        "answer": rect.answer,
        "answered_at": rect.answered_at,
        "steps": steps,
    }


def rating_view(rating: Rating) -> dict:
    rect = getattr(rating, "rectification", None) if _has_rect(rating) else None
    return {
        "r": rating,
        "level": rating.level,
        "bad": rating.bad,
        "defaulted": rating.source == Rating.Source.DEFAULTED,
        "channel": rules.CHANNELS.get(rating.channel, rating.channel),
        "reason": rules.REASONS.get(rating.reason, ""),
        "indicators": [
            {"label": rules.INDICATORS[k], "level": rules.LEVELS.get(v, v)}
            for k, v in (rating.indicators or {}).items()
            if k in rules.INDICATORS
        ],
        "progress": progress(rect),
    }


def _has_rect(rating: Rating) -> bool:
    try:
        rating.rectification  # noqa: B018 - the reverse one-to-one raises when absent
    except Rectification.DoesNotExist:
        return False
    return True


def _form(data, channel: str) -> dict:
    """What the person chose, as the service takes it (and the page shows it back)."""
    data = data or {}
    return {
        "score": data.get("score", ""),
        "indicators": {k: data.get(f"ind_{k}", "") for k in rules.indicators_of(channel)},
        "comment": data.get("comment", ""),
        "bad_reason": data.get("bad_reason", ""),
        "reason_text": data.get("reason_text", ""),
        "subcase": data.get("subcase", ""),
    }


def _check(form: dict, channel: str) -> None:
    """The service's checks, then the page's own: a 差评 says why (说明)."""
    values = service.clean_values(
        channel, form["score"], form["indicators"], form["comment"], form["bad_reason"], form["reason_text"]
    )
    if rules.is_bad(values["score"]) and not values["reason_text"]:
        raise Invalid("差评请填写说明，便于核实和整改", "reason_text")


def _error(exc) -> SimpleNamespace:
    field = getattr(exc, "field", None) or ""
    if field.startswith("indicators."):
        field = "ind_" + field.split(".", 1)[1]
    return SimpleNamespace(message=getattr(exc, "message", None) or str(exc), field=field)


def _choices(channel: str, form: dict) -> dict:
    return {
        "levels": [
            {"score": s, "value": str(s), "words": w, "bad": rules.is_bad(s)} for s, w in rules.LEVELS.items()
        ],
        "indicators": [
            {"key": k, "label": label, "value": form["indicators"].get(k, "")}
            for k, label in rules.indicators_of(channel).items()
        ],
        "reasons": list(rules.REASONS.items()),
        "comment_max": rules.COMMENT_MAX,
        "reason_text_max": rules.REASON_TEXT_MAX,
    }


# ------------------------------------------------------------------------------ 一事一评


def _own_application(request, number: str) -> Application:
    try:
        return service.find_application(number, request.user)
    except Refused:
        raise Http404("未找到该办件") from None


def _subcases(app: Application) -> list[dict]:
    """The steps a bundle's rating may be about (only when it has several)."""
    if app.kind != "bundle":
        return []
    subs = list(app.subcases.select_related("department").order_by("pk"))
    if len(subs) < 2:
        return []
    return [
        {"number": s.number, "words": f"{s.department.short_name or s.department.name} · {s.item_name}"}
        for s in subs
    ]


@login_required
@require_http_methods(["GET", "POST"])
def case(request, number: str):
    """评价本次服务 (一事一评): the applicant rates the finished case on this page's channel."""
    app = _own_application(request, number)
    channel = page_channel(request)
    existing = (
        Rating.objects.filter(application=app, ticket=None, channel=channel)
        .select_related("rectification")
        .first()
    )
    form = _form(request.POST if request.method == "POST" else None, channel)
    context = {
        "app": app,
        "channel": channel,
        "channel_name": rules.CHANNELS[channel],
        "finished": service.finished(application=app),
        "existing": rating_view(existing) if existing else None,
        "form": form,
        "subcases": _subcases(app),
        "error": None,
        **_choices(channel, form),
    }
    if request.method == "POST" and existing is None and context["finished"]:
        try:
            _check(form, channel)
            service.rate(
                request.user,
                application=app,
                channel=channel,
                score=form["score"],
                indicators=form["indicators"],
                comment=form["comment"],
                bad_reason=form["bad_reason"],
                reason_text=form["reason_text"],
                subcase=form["subcase"] or None,
            )
        except Conflict as exc:
            messages.error(request, exc.message)
            return redirect("ratings:case", number=app.number)
        except Refused as exc:
            context["error"] = _error(exc)
            return render(request, "ratings/rate_case.html", context, status=400)
        messages.success(request, THANKS)
        return redirect("ratings:case", number=app.number)
    if request.method == "POST":  # rated meanwhile, or not finished: the page says so
        if existing is not None:
            messages.error(request, "该服务已在此渠道评价过，不能重复评价")
        return redirect("ratings:case", number=app.number)
    return render(request, "ratings/rate_case.html", context)


# ------------------------------------------------------------------------------ 一次一评


def _ticket(token: str) -> Ticket:
    if not TOKEN.fullmatch(str(token)):
        raise Http404
    found = Ticket.objects.select_related("hall", "service", "window").filter(token=token).first()
    if found is None:
        raise Http404
    return found


@require_http_methods(["GET", "POST"])
def ticket(request, token: str):
    """评价本次窗口服务 (一次一评): whoever holds the ticket's random token (its QR code) rates
    the finished visit; no personal data is shown."""
    found = _ticket(token)
    channel = "window"
    person = request.user if service.served(request.user, ticket=found) else None
    existing = Rating.objects.filter(ticket=found, channel=channel).select_related("rectification").first()
    form = _form(request.POST if request.method == "POST" else None, channel)
    context = {
        "ticket": found,
        "channel": channel,
        "channel_name": rules.CHANNELS[channel],
        "finished": service.finished(ticket=found),
        "existing": rating_view(existing) if existing else None,
        "form": form,
        "error": None,
        **_choices(channel, form),
    }
    if request.method == "POST" and existing is None and context["finished"]:
        try:
            _check(form, channel)
            service.rate(
                person,
                ticket=found,
                holder=True,
                channel=channel,
                score=form["score"],
                indicators=form["indicators"],
                comment=form["comment"],
                bad_reason=form["bad_reason"],
                reason_text=form["reason_text"],
            )
        except Conflict as exc:
            messages.error(request, exc.message)
            return redirect("ratings:ticket", token=found.token)
        except Refused as exc:
            context["error"] = _error(exc)
            return render(request, "ratings/rate_ticket.html", context, status=400)
        messages.success(request, THANKS)
        return redirect("ratings:ticket", token=found.token)
    if request.method == "POST":
        if existing is not None:
            messages.error(request, "该服务已在此渠道评价过，不能重复评价")
        else:
            messages.error(request, "办结后才能评价")
        return redirect("ratings:ticket", token=found.token)
    return render(request, "ratings/rate_ticket.html", context)


# ------------------------------------------------------------------------------ 我的评价


@login_required
@require_GET
def mine(request):
    """我的评价: each rating with its level and date, and for a 差评 the rectification's
    progress and answer; the services waiting for a rating."""
    rows = my_ratings(request.user).order_by("-created_at")[:200]
    context = {"ratings": [rating_view(r) for r in rows], **waiting(request.user)}
    return render(request, "ratings/mine.html", context)


urlpatterns = [
    path("cases/<str:number>/", case, name="case"),
    path("tickets/<str:token>/", ticket, name="ticket"),
    path("mine/", mine, name="mine"),
]
