"""The caller's pages of 12345: 在线反映 (``/hotline/new/``), 我的诉求 (``/hotline/mine/``) and
查询进度 by ticket number and lookup code (``/hotline/follow/``), where a finished ticket is
rated.

Views are thin: they read the form, call ``intake.file`` / ``service.follow`` /
``service.rate`` and show a refusal at its field (nothing is saved). The lookup code is shown
once, on the page after filing (it is kept in the session only until that page is read). A
ticket page is shown to the signed-in caller who owns it, or to a session that typed its
number and code; the progress shown is public-safe: the state changes with their dates, never
who did them or the centre's internal notes (退单 reasons, review remarks).

Guessing lookup codes (6 characters of 31: about 887 million) is throttled: more than
``FOLLOW_LIMIT`` failures within ``FOLLOW_WINDOW`` in a session or from an address and the
form is refused (429) until the oldest failure ages out. Failures from an address are rows
(``accounts.RateEvent``), shared by every process, as the other throttles are.
"""

from __future__ import annotations

import datetime as dt
import math
from types import SimpleNamespace

from axes.helpers import get_client_ip_address
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import path
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods

from onething.accounts import throttle
from onething.accounts.masking import mask_text
from onething.accounts.models import RateEvent
from onething.audit.log import history
from onething.core.errors import Refused
from onething.hotline import intake, rules, service
from onething.hotline.machines import CALLER
from onething.hotline.models import Ticket
from onething.kernel.errors import Conflict, NotFound
from onething.search import regions

T = Ticket.Status

#: one line under each 诉求类型 on the form
CATEGORY_HELP = {
    "consult": "询问政策规定、办事流程、办理条件等",
    "help": "生活或办事中遇到困难，需要有关部门帮助解决",
    "complaint": "对部门、窗口或工作人员的服务、作风有意见",
    "report": "反映违法违规行为或问题线索，可以匿名",
    "suggestion": "对政务服务、城市管理等提出意见和建议",
    "not_done": "办事时遇到办不成、办不快、办不好，或被推诿、多次跑动",
}

#: the ticket's state as the caller reads it: a 退单 under review is, for them, awaiting dispatch
PUBLIC_STATUS = {
    T.RECEIVED: "已受理，待派单",
    T.DISPATCHED: "已派单，待签收",
    T.RETURNED: "已受理，待派单",
    T.HANDLING: "办理中",
    T.WAITING: "待您补充情况（暂停计时）",
    T.ANSWERED: "已答复，待审核办结",
    T.MERGED: "已与同类诉求合并办理",
    T.FINISHED: "已办结",
    T.CLOSED: "已办结，已回访",
    T.REDIRECTED: "不予受理（已告知反映渠道）",
}

#: the audit events shown on the progress timeline, with the words the caller reads; every
#: other event (退单 and its review, 督办, 待补充, merging, the centre's notes) stays internal
TIMELINE = {
    "receive": "受理",
    "dispatch": "派单",
    "reassign": "派单",
    "transfer": "派单",
    "sign": "签收",
    "answer": "答复",
    "resolve": "办结",
    "finish": "办结",
    "finish_merged": "办结",
    "revisit": "回访",
}

SESSION_VERIFIED = "hotline_follow"
SESSION_FAILURES = "hotline_follow_failures"
SESSION_FILED = "hotline_filed"
VERIFIED_MAX = 20
FOLLOW_LIMIT = 10
FOLLOW_WINDOW = dt.timedelta(minutes=10)
FOLLOW_SCOPE = "hotline.follow"
WRONG = "工单编号或查询码不正确"
THANKS = "感谢您的评价"
MERGED = "已与同类诉求合并办理"
FORM_FIELDS = ("category", "region", "content", "address", "application", "phone", "anonymous")
#: the intake's field names as this form names them
FIELD_OF = {"caller.phone": "phone", "caller": "phone", "caller.name": "phone"}


def page_channel(request) -> str:
    """``mobile`` from a phone's browser (its User-Agent says “Mobi”), else ``web``."""
    return "mobile" if "Mobi" in request.headers.get("User-Agent", "") else "web"


def _error(exc) -> SimpleNamespace:
    field = getattr(exc, "field", None) or ""
    return SimpleNamespace(
        message=getattr(exc, "message", None) or str(exc), field=FIELD_OF.get(field, field)
    )


# ------------------------------------------------------------------------------ 在线反映


def _region_choices(selected: str) -> list[dict]:
    return [
        {"code": r["code"], "name": r["name"], "level": r["level"], "selected": r["code"] == selected}
        for r in regions.choices()
    ]


def _initial(request) -> dict:
    preferred = regions.preferred(request)
    return {
        "category": "",
        "region": preferred.code if preferred else "",
        "content": "",
        "address": "",
        "application": request.GET.get("application", "")[:40],
        "phone": request.user.phone,
        "anonymous": "",
    }


def _data(form: dict, channel: str) -> dict:
    """The form as ``intake.file`` takes it."""
    return {
        "category": form["category"],
        "channel": channel,
        "content": form["content"],
        "region": form["region"],
        "address": form["address"],
        "application": form["application"],
        "caller": {"phone": form["phone"]},
        "anonymous": bool(form["anonymous"]),
    }


@login_required
@require_http_methods(["GET", "POST"])
def new(request):
    """在线反映: a signed-in person files a ticket; the lookup code is shown on the next page."""
    if request.method == "POST":
        form = {k: request.POST.get(k, "") for k in FORM_FIELDS}
    else:
        form = _initial(request)
    context = {
        "form": form,
        "error": None,
        "categories": [
            {"key": k, "label": v, "help": CATEGORY_HELP[k], "checked": form["category"] == k}
            for k, v in rules.CATEGORIES.items()
        ],
        "region_choices": _region_choices(form["region"]),
        "not_taken": list(rules.NOT_TAKEN.values()),
        "content_max": rules.CONTENT_MAX,
        "address_max": rules.ADDRESS_MAX,
    }
    if request.method == "GET":
        return render(request, "hotline/citizen/new.html", context)
    try:
        filed = intake.file(_data(form, page_channel(request)), actor=request.user, role=CALLER)
    except Refused as exc:
        context["error"] = _error(exc)
        return render(request, "hotline/citizen/new.html", context, status=400)
    ticket = filed.ticket
    request.session[SESSION_FILED] = {"number": ticket.number, "code": filed.lookup_code}
    _remember(request, ticket.number)
    return redirect("hotline:filed")


@login_required
@require_GET
def filed(request):
    """The page after filing: the number, the lookup code (this once), the promised date."""
    entry = request.session.get(SESSION_FILED) or {}
    ticket = Ticket.objects.filter(number=entry.get("number", "")).first()
    if ticket is None:
        return redirect("hotline:mine")
    code = entry.get("code", "")
    if code:  # shown once: a reload shows the number only
        request.session[SESSION_FILED] = {"number": ticket.number, "code": ""}
    return render(request, "hotline/citizen/filed.html", {"ticket": ticket, "code": code})


# ------------------------------------------------------------------------------ 我的诉求


@login_required
@require_GET
def mine(request):
    tickets = Ticket.objects.filter(caller=request.user).order_by("-received_at", "-pk")[:200]
    rows = [{"t": t, "status": PUBLIC_STATUS.get(t.status, t.get_status_display())} for t in tickets]
    return render(request, "hotline/citizen/mine.html", {"rows": rows})


# ------------------------------------------------------------------------------ 查询进度


def _client_ip(request) -> str:
    return get_client_ip_address(request) or "unknown"


def _clock() -> dt.datetime:
    """Now (one place, so a test can move it past the window)."""
    return timezone.now()


def _session_failures(request, now: float) -> list[float]:
    since = now - FOLLOW_WINDOW.total_seconds()
    return [t for t in request.session.get(SESSION_FAILURES, []) if isinstance(t, int | float) and t > since]


def _wait_seconds(request) -> int:
    """Seconds until this session and address may try again; 0 when they may now."""
    moment = _clock()
    now = moment.timestamp()
    waits = [0.0]
    failures = _session_failures(request, now)
    if len(failures) >= FOLLOW_LIMIT:
        waits.append(sorted(failures)[-FOLLOW_LIMIT] + FOLLOW_WINDOW.total_seconds() - now)
    times = list(
        RateEvent.objects.filter(
            scope=FOLLOW_SCOPE,
            key=throttle.key(FOLLOW_SCOPE, _client_ip(request)),
            at__gt=moment - FOLLOW_WINDOW,
        )
        .order_by("-at")
        .values_list("at", flat=True)[:FOLLOW_LIMIT]
    )
    if len(times) >= FOLLOW_LIMIT:
        waits.append((times[-1] + FOLLOW_WINDOW - moment).total_seconds())
    return max(0, math.ceil(max(waits)))


def _count_failure(request) -> None:
    moment = _clock()
    now = moment.timestamp()
    request.session[SESSION_FAILURES] = [*_session_failures(request, now), now][-FOLLOW_LIMIT * 2 :]
    hashed = throttle.key(FOLLOW_SCOPE, _client_ip(request))
    RateEvent.objects.filter(scope=FOLLOW_SCOPE, key=hashed, at__lte=moment - FOLLOW_WINDOW).delete()
    RateEvent.objects.create(scope=FOLLOW_SCOPE, key=hashed, at=moment)


def _remember(request, number: str) -> None:
    """This session has shown it knows ``number``'s lookup code (or filed it)."""
    known = [n for n in request.session.get(SESSION_VERIFIED, []) if n != number]
    request.session[SESSION_VERIFIED] = [*known, number][-VERIFIED_MAX:]


def _throttled(request, form: dict, wait: int):
    minutes = max(1, math.ceil(wait / 60))
    context = {
        "form": form,
        "throttled": f"查询失败次数过多，为保护诉求人信息，请{minutes}分钟后再试",
        "error": None,
    }
    response = render(request, "hotline/citizen/follow.html", context, status=429)
    response["Retry-After"] = str(wait)
    return response


@require_http_methods(["GET", "POST"])
def follow(request):
    """查询进度: the number and lookup code lead to the ticket's page (no account needed)."""
    form = {
        "number": request.POST.get("number", "")
        if request.method == "POST"
        else request.GET.get("number", "")[:40],
        "code": "",
    }
    context = {"form": form, "error": None, "throttled": ""}
    if request.method == "GET":
        return render(request, "hotline/citizen/follow.html", context)
    wait = _wait_seconds(request)
    if wait:
        return _throttled(request, form, wait)
    try:
        ticket = service.follow(request.POST.get("number", ""), request.POST.get("code", ""))
    except NotFound:
        _count_failure(request)
        context["error"] = SimpleNamespace(message=WRONG, field="code")
        return render(request, "hotline/citizen/follow.html", context)
    except Refused as exc:  # a field left empty or too long: not a guess, not counted
        context["error"] = _error(exc)
        return render(request, "hotline/citizen/follow.html", context)
    _remember(request, ticket.number)
    return redirect("hotline:follow_ticket", number=ticket.number)


def _may_follow(request, ticket: Ticket) -> bool:
    if ticket.number in request.session.get(SESSION_VERIFIED, []):
        return True
    user = request.user
    return bool(user.is_authenticated and ticket.caller_id and ticket.caller_id == user.pk)


def timeline(ticket: Ticket) -> list[dict]:
    """The public-safe progress: the state changes with their moments, nothing else."""
    prefix = "hotline_ticket."
    steps = []
    for record in history("hotline_ticket", ticket.number):
        name = record.action[len(prefix) :] if record.action.startswith(prefix) else ""
        if name in TIMELINE:
            steps.append({"words": TIMELINE[name], "at": record.at})
    return steps


def _levels(selected: str) -> list[dict]:
    return [
        {"value": str(score), "words": words, "bad": score <= 2, "checked": selected == str(score)}
        for score, words in rules.LEVELS.items()
    ]


def _ticket_context(ticket: Ticket, rate_form: dict, error) -> dict:
    done = ticket.status in (T.FINISHED, T.CLOSED)
    return {
        "ticket": ticket,
        "status": PUBLIC_STATUS.get(ticket.status, ticket.get_status_display()),
        "merged": ticket.status == T.MERGED or ticket.primary_id is not None,
        "merged_words": MERGED,
        "steps": timeline(ticket),
        "done": done,
        "reply": mask_text(ticket.reply) if done and ticket.reply else "",
        "waiting_reason": mask_text(ticket.waiting_reason) if ticket.status == T.WAITING else "",
        "may_rate": done and ticket.rated_at is None,
        "score_words": rules.LEVELS.get(ticket.score, "") if ticket.score else "",
        "rating_comment": mask_text(ticket.rating_comment),
        "levels": _levels(rate_form.get("score", "")),
        "rate_form": rate_form,
        "comment_max": rules.NOTE_MAX,
        "error": error,
    }


@require_http_methods(["GET", "POST"])
def follow_ticket(request, number: str):
    """A followed ticket: status, dates, the public progress, the reply once finished, and
    the rating form while it is not rated (POST rates it)."""
    ticket = Ticket.objects.select_related("region").filter(number=number).first()
    if ticket is None or not _may_follow(request, ticket):
        return redirect("hotline:follow")
    rate_form = {"score": "", "comment": ""}
    if request.method == "POST":
        rate_form = {"score": request.POST.get("score", ""), "comment": request.POST.get("comment", "")}
        actor = request.user if request.user.is_authenticated else None
        try:
            service.rate(
                ticket, actor, roles={CALLER}, score=rate_form["score"], comment=rate_form["comment"]
            )
        except Conflict as exc:
            messages.error(request, exc.message)
            return redirect("hotline:follow_ticket", number=ticket.number)
        except Refused as exc:
            context = _ticket_context(ticket, rate_form, _error(exc))
            return render(request, "hotline/citizen/ticket.html", context, status=400)
        messages.success(request, THANKS)
        return redirect("hotline:follow_ticket", number=ticket.number)
    return render(request, "hotline/citizen/ticket.html", _ticket_context(ticket, rate_form, None))


urlpatterns = [
    path("new/", new, name="new"),
    path("new/done/", filed, name="filed"),
    path("mine/", mine, name="mine"),
    path("follow/", follow, name="follow"),
    path("follow/<str:number>/", follow_ticket, name="follow_ticket"),
]
