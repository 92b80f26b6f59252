"""Staff pages of 好差评 (``/ratings/``): 差评整改 (the list and one rectification with its
核实 / 答复 / 回访 / 申诉 forms), 申诉复核 (the reviewer's queue and decision) and 我收到的评价
(a staff member's own ratings, never who gave them).

Views are thin: they check who may see what (anonymous: the login page; outside scope: 404),
call ``rectifications`` and ``appeals`` and render. A refused action is the rule's Chinese
message on the page (with what was typed), never an error page. The rater's name and phone
are shown only to those who make the return call or review it (``access.sees_rater``);
personal numbers in free text are masked for everyone but the rater.
"""

from __future__ import annotations

from types import SimpleNamespace

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import path
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from onething.accounts.masking import text_for
from onething.audit.log import history as audit_history
from onething.core import text
from onething.core.errors import Refused, status_of
from onething.core.pages import refused, row_id
from onething.ratings import access, appeals, rectifications, rules
from onething.ratings.machines import APPEAL, RECTIFICATION, REVIEWER
from onething.ratings.models import Appeal, Rating, Rectification

R = Rectification.Status
P = Appeal.Status

STAGES = {rules.VERIFY: "回访核实", rules.ANSWER: "整改答复", rules.REVISIT: "整改回访"}
WARNINGS = {"yellow": "黄灯", "red": "红灯"}
STATUS_BADGES = {
    R.VERIFYING: "badge-warn",
    R.HANDLING: "badge-warn",
    R.ANSWERED: "badge-online",
    R.CLOSED: "badge-ok",
    R.VOIDED: "badge-muted",
    P.PENDING: "badge-warn",
    P.UPHELD: "badge-ok",
    P.DISMISSED: "badge-muted",
}
ACTIONS = ("verify", "answer", "revisit", "appeal")
MESSAGES = {
    "verify": "已记录回访核实，整改答复时限已开始计算",
    "answer": "已答复评价人，并已通知评价人",
    "revisit": "已记录整改回访",
    "appeal": "已提出申诉，复核期间整改暂停计时",
}
LIST_LIMIT = 200


def _row_id(value) -> int:
    return row_id(value, maximum=2**62 - 1)


def _error(exc) -> SimpleNamespace:
    return SimpleNamespace(
        message=getattr(exc, "message", None) or str(exc), field=getattr(exc, "field", "") or ""
    )


def _signed_in(request):
    return None if request.user.is_authenticated else redirect_to_login(request.get_full_path())


# ------------------------------------------------------------------------------ what a row shows


def unit_name(obj) -> str:
    if obj.department_id:
        return obj.department.name
    return obj.hall.name if obj.hall_id else ""


def rating_view(rating: Rating, user) -> dict:
    """What the page shows of a rating to ``user``: who rated only when ``access.sees_rater``;
    free text masked unless ``user`` is the rater."""
    owner = bool(rating.rater_id) and rating.rater_id == user.pk
    view = {
        "obj": rating,
        "level": rating.level,
        "channel": rules.CHANNELS.get(rating.channel, rating.channel),
        "service": rating.service_name or rating.item_name or "窗口服务",
        "item": rating.item_name,
        "indicators": [
            {"label": rules.INDICATORS.get(key, key), "level": rules.LEVELS.get(value, value)}
            for key, value in (rating.indicators or {}).items()
        ],
        "comment": text_for(rating.comment, owner=owner),
        "reason": rules.REASONS.get(rating.reason, ""),
        "reason_text": text_for(rating.reason_text, owner=owner),
        "department": rating.department.name if rating.department_id else "",
        "hall": rating.hall.name if rating.hall_id else "",
        "window": rating.window.number if rating.window_id else "",
        "staff": rating.staff.display_name if rating.staff_id else "",
        "created_at": rating.created_at,
        "excluded": rating.excluded,
        "source": rating.get_source_display(),
        "rater": None,
    }
    if access.sees_rater(user, rating):
        view["rater"] = {"name": rating.rater_name or "（未留姓名）", "phone": rating.rater_phone}
    return view


def _stage(rect: Rectification) -> dict:
    return {
        "label": STAGES.get(rect.stage, ""),
        "due": rect.due_date,
        "warning": rect.warning,
        "warning_label": WARNINGS.get(rect.warning, ""),
        "paused": rect.paused,
    }


def _history(kind: str, pk, machine, owner: bool) -> list[dict]:
    names = {e.audit or f"{machine.audit_kind}.{e.name}": e.label for e in machine.events.values()}
    return [
        {
            "at": h.at,
            "action": names.get(h.action, h.action),
            "actor": h.actor_label,
            "reason": text_for(h.reason, owner=owner),
        }
        for h in audit_history(kind, str(pk))
    ]


# ------------------------------------------------------------------------------ 差评整改


def _rects(user):
    return access.visible_rectifications(user).select_related(
        "rating", "department", "hall", "rating__department", "rating__hall"
    )


def _visible_rect(user, rect_id) -> Rectification:
    found = (
        _rects(user)
        .select_related("rating__window", "rating__staff", "rating__rater", "rating__region")
        .filter(pk=_row_id(rect_id))
        .first()
    )
    if found is None:
        raise Http404
    return found


@require_GET
def rectification_list(request):
    if (login := _signed_in(request)) is not None:
        return login
    user = request.user
    if not (access.works_some_unit(user) or access.regions_reviewed(user)):
        raise Http404
    rows = _rects(user)
    status, warning = request.GET.get("status", ""), request.GET.get("warning", "")
    try:
        status = text.clean(status, "status", max_length=20)
        if status and status not in R.values:
            raise text.refused("status", "不是可选的状态")
        warning = text.clean(warning, "warning", max_length=10)
        if warning and warning not in WARNINGS:
            raise text.refused("warning", "应为黄灯或红灯")
    except Refused as exc:
        refused(request, exc)
        status = warning = ""
    if status:
        rows = rows.filter(status=status)
    if warning:
        rows = rows.filter(warning=warning)
    shown = list(rows.order_by("due_date", "pk")[:LIST_LIMIT])
    return render(
        request,
        "ratings/staff_rectifications.html",
        {
            "rows": [
                {
                    "rect": r,
                    "service": r.rating.service_name or r.rating.item_name or "窗口服务",
                    "level": r.rating.level,
                    "reason": rules.REASONS.get(r.rating.reason, ""),
                    "unit": unit_name(r),
                    "stage": _stage(r),
                    "badge": STATUS_BADGES.get(r.status, ""),
                }
                for r in shown
            ],
            "statuses": R.choices,
            "warnings": list(WARNINGS.items()),
            "status": status,
            "warning": warning,
            "limited": len(shown) == LIST_LIMIT,
        },
    )


def _rect_page(request, rect: Rectification, *, error=None, action: str = "", status: int = 200):
    user = request.user
    rating = rect.rating
    roles = access.roles_for(user, rect)
    actions = rectifications.allowed(rect, roles)
    if appeals.may_file(rating, roles):
        actions = [*actions, "appeal"]
    visible = set(access.visible_appeals(user).filter(rating=rating).values_list("pk", flat=True))
    owner = bool(rating.rater_id) and rating.rater_id == user.pk
    context = {
        "rect": rect,
        "r": rating_view(rating, user),
        "unit": unit_name(rect),
        "stage": _stage(rect),
        "badge": STATUS_BADGES.get(rect.status, ""),
        "actions": actions,
        "outcomes": list(rules.OUTCOMES.items()),
        "satisfactions": list(rules.SATISFACTION.items()),
        "grounds": list(rules.GROUNDS.items()),
        "verify_note": text_for(rect.verify_note, owner=owner),
        "plan": text_for(rect.plan, owner=owner),
        "answer": text_for(rect.answer, owner=owner),
        "revisit_note": text_for(rect.revisit_note, owner=owner),
        "history": _history("rectification", rect.pk, RECTIFICATION, owner),
        "appeals": [
            {
                "obj": a,
                "link": a.pk in visible,
                "ground": rules.GROUNDS.get(a.ground, a.ground),
                "statement": text_for(a.statement, owner=owner),
                "decision_note": text_for(a.decision_note, owner=owner),
                "badge": STATUS_BADGES.get(a.status, ""),
            }
            for a in rating.appeals.order_by("filed_at")
        ],
        "error": error,
        "action": action,
        "form": request.POST if error is not None else {},
        "today": timezone.localdate(),
    }
    return render(request, "ratings/staff_rectification.html", context, status=status)


@require_GET
def rectification_detail(request, rect_id: int):
    if (login := _signed_in(request)) is not None:
        return login
    return _rect_page(request, _visible_rect(request.user, rect_id))


@require_POST
def rectification_act(request, rect_id: int, action: str):
    if (login := _signed_in(request)) is not None:
        return login
    if action not in ACTIONS:
        raise Http404
    user = request.user
    rect = _visible_rect(user, rect_id)
    roles = access.roles_for(user, rect)
    post = request.POST
    try:
        if action == "verify":
            rectifications.verify(
                rect,
                user,
                roles=roles,
                note=post.get("verify_note", ""),
                outcome=post.get("outcome", ""),
                plan=post.get("plan", ""),
                plan_due=post.get("plan_due") or None,
            )
        elif action == "answer":
            rectifications.answer(rect, user, roles=roles, answer=post.get("answer", ""))
        elif action == "revisit":
            rectifications.revisit(
                rect,
                user,
                roles=roles,
                satisfaction=post.get("satisfaction", ""),
                note=post.get("revisit_note", ""),
            )
        else:
            appeals.file(
                rect.rating,
                user,
                roles=access.roles_for(user, rect.rating),
                ground=post.get("ground", ""),
                statement=post.get("statement", ""),
            )
    except Refused as exc:
        if status_of(exc) == 404:
            raise Http404 from None
        refused(request, exc)
        return _rect_page(
            request, _visible_rect(user, rect.pk), error=_error(exc), action=action, status=status_of(exc)
        )
    messages.success(request, MESSAGES[action])
    return redirect("ratings:rectification", rect_id=rect.pk)


# ------------------------------------------------------------------------------ 申诉复核


def _appeals(user):
    return access.visible_appeals(user).select_related(
        "rating", "rating__department", "rating__hall", "filed_by", "decided_by"
    )


def _visible_appeal(user, appeal_id) -> Appeal:
    found = (
        _appeals(user)
        .select_related("rating__window", "rating__staff", "rating__region", "rating__rater")
        .filter(pk=_row_id(appeal_id))
        .first()
    )
    if found is None:
        raise Http404
    return found


@require_GET
def appeal_list(request):
    if (login := _signed_in(request)) is not None:
        return login
    user = request.user
    if not access.regions_reviewed(user):
        raise Http404
    rows = _appeals(user)
    pending = list(rows.filter(status=P.PENDING).order_by("filed_at", "pk")[:LIST_LIMIT])
    decided = list(rows.exclude(status=P.PENDING).order_by("-decided_at", "-pk")[:50])
    return render(
        request,
        "ratings/staff_appeals.html",
        {"pending": [_appeal_row(a) for a in pending], "decided": [_appeal_row(a) for a in decided]},
    )


def _appeal_row(a: Appeal) -> dict:
    rating = a.rating
    return {
        "obj": a,
        "service": rating.service_name or rating.item_name or "窗口服务",
        "level": rating.level,
        "unit": unit_name(rating),
        "ground": rules.GROUNDS.get(a.ground, a.ground),
        "badge": STATUS_BADGES.get(a.status, ""),
    }


def _appeal_page(request, appeal: Appeal, *, error=None, status: int = 200):
    user = request.user
    rating = appeal.rating
    roles = access.roles_for(user, appeal)
    context = access.context_for(user, appeal, reason="-")
    may_decide = bool(set(APPEAL.allowed(appeal.status, roles, context)) & {"uphold", "dismiss"})
    # a reviewer of the rated unit sees why not (separation of duties)
    barred = ""
    if not may_decide and REVIEWER in roles and appeal.status == P.PENDING:
        barred = APPEAL.guards["outside_unit"].message
    rect = Rectification.objects.filter(rating=rating).first()
    owner = bool(rating.rater_id) and rating.rater_id == user.pk
    return render(
        request,
        "ratings/staff_appeal.html",
        {
            "a": appeal,
            "row": _appeal_row(appeal),
            "r": rating_view(rating, user),
            "statement": text_for(appeal.statement, owner=owner),
            "decision_note": text_for(appeal.decision_note, owner=owner),
            "rect": rect
            if rect is not None and access.visible_rectifications(user).filter(pk=rect.pk).exists()
            else None,
            "may_decide": may_decide,
            "barred": barred,
            "history": _history("rating_appeal", appeal.pk, APPEAL, owner),
            "error": error,
            "form": request.POST if error is not None else {},
        },
        status=status,
    )


@require_GET
def appeal_detail(request, appeal_id: int):
    if (login := _signed_in(request)) is not None:
        return login
    return _appeal_page(request, _visible_appeal(request.user, appeal_id))


@require_POST
def appeal_decide(request, appeal_id: int):
    if (login := _signed_in(request)) is not None:
        return login
    user = request.user
    appeal = _visible_appeal(user, appeal_id)
    decision = request.POST.get("decision", "")
    try:
        if decision not in ("uphold", "dismiss"):
            raise text.refused("uphold", "请选择：申诉成立或申诉不成立")
        appeals.decide(
            appeal,
            user,
            roles=access.roles_for(user, appeal),
            uphold=decision == "uphold",
            note=request.POST.get("decision_note", ""),
        )
    except Refused as exc:
        if status_of(exc) == 404:
            raise Http404 from None
        refused(request, exc)
        return _appeal_page(
            request, _visible_appeal(user, appeal.pk), error=_error(exc), status=status_of(exc)
        )
    messages.success(
        request,
        "已复核：申诉成立，该评价不计入统计" if decision == "uphold" else "已复核：申诉不成立，整改恢复计时",
    )
    return redirect("ratings:appeal", appeal_id=appeal.pk)


# ------------------------------------------------------------------------------ 我收到的评价


@require_GET
def received(request):
    """The ratings a staff member received: level, indicators, comment and date — never who
    gave them (not even the rater's name: a clerk must not look for the person)."""
    if (login := _signed_in(request)) is not None:
        return login
    user = request.user
    if not access.is_staff(user):
        raise Http404
    rows = access.received(user).order_by("-created_at", "-pk")
    shown = []
    for rating in rows[:LIST_LIMIT]:
        shown.append(
            {
                "level": rating.level,
                "score": rating.score,
                "bad": rating.bad,
                "channel": rules.CHANNELS.get(rating.channel, rating.channel),
                "service": rating.service_name or rating.item_name or "窗口服务",
                "indicators": [
                    {"label": rules.INDICATORS.get(k, k), "level": rules.LEVELS.get(v, v)}
                    for k, v in (rating.indicators or {}).items()
                ],
                "comment": text_for(rating.comment, owner=rating.rater_id == user.pk),
                "reason": rules.REASONS.get(rating.reason, ""),
                "created_at": rating.created_at,
                "excluded": rating.excluded,
            }
        )
    return render(request, "ratings/staff_received.html", {"rows": shown})


urlpatterns = [
    path("rectifications/", rectification_list, name="rectifications"),
    path("rectifications/<int:rect_id>/", rectification_detail, name="rectification"),
    path("rectifications/<int:rect_id>/<slug:action>/", rectification_act, name="rectification_act"),
    path("appeals/", appeal_list, name="appeals"),
    path("appeals/<int:appeal_id>/", appeal_detail, name="appeal"),
    path("appeals/<int:appeal_id>/decide/", appeal_decide, name="appeal_decide"),
    path("staff/received/", received, name="received"),
]
