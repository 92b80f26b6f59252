"""Staff pages of 12345 (``/hotline/``): the operator's workbench (受理, with the knowledge and
duplicates panels and 当场答复办结 for a 咨询), the queue, one ticket with the actions the
viewer's roles allow, and the hall's 办不成事 window.

Views are thin: they check who may see what (anonymous: the login page; no role or a ticket
outside scope: 404), call ``intake``, ``service`` and ``merging`` with the roles
``access.roles_for`` gives, and render. A refused input is the rule's Chinese message next to
its field with what was typed, never an error page; nothing is half-written (filing and an
on-the-spot answer share one transaction). The caller's phone is shown in full only to the
hotline centre and the handling department; personal numbers in free text are masked for
everyone but the caller. A caller without a staff role on the ticket is sent to the
public-safe page (``follow_ticket``): this one shows who did what and the internal notes.
An answer taken from the knowledge base is recorded on the ticket (``answered_from``) and
counted (``knowledge.record_use``).
"""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.db import transaction
from django.db.models import Case, Count, F, IntegerField, Q, Value, When
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import path
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from onething.accounts.masking import phone_for_viewer, text_for
from onething.accounts.models import StaffRole
from onething.audit.log import history as audit_history
from onething.core import text
from onething.core.errors import Refused, status_of
from onething.directory.models import Department, Region
from onething.hotline import access, intake, knowledge, merging, rules, service
from onething.hotline.machines import CALLER, EXTENSION, HANDLER, OPERATOR, SUPERVISOR, TICKET, WINDOW
from onething.hotline.models import Extension, Ticket
from onething.kernel.errors import Invalid

T = Ticket.Status
LIST_LIMIT = 200
WARNINGS = {"yellow": "黄灯", "red": "红灯"}
#: the queue's tabs: name → (label, statuses; None = every state)
TABS = {
    "open": ("未办结", list(Ticket.OPEN)),
    "received": ("待派单", [T.RECEIVED, T.RETURNED]),
    "dispatched": ("待签收", [T.DISPATCHED]),
    "handling": ("办理中", [T.HANDLING, T.WAITING]),
    "answered": ("待审核", [T.ANSWERED]),
    "finished": ("待回访", [T.FINISHED]),
    "all": ("全部", None),
}
STATUS_BADGES = {
    T.RECEIVED: "badge-warn",
    T.DISPATCHED: "badge-warn",
    T.RETURNED: "badge-warn",
    T.HANDLING: "badge-online",
    T.WAITING: "badge-muted",
    T.ANSWERED: "badge-online",
    T.MERGED: "badge-muted",
    T.FINISHED: "badge-ok",
    T.CLOSED: "badge-ok",
    T.REDIRECTED: "badge-muted",
}
#: actions posted to ``act/<event>/`` beyond the machine's events
EXTRA = ("extension", "decide_extension")
REASONED = {
    "return",
    "accept_return",
    "reject_return",
    "wait",
    "send_back",
    "supervise",
    "archive",
    "unmerge",
}
DEPARTMENT_EVENTS = {"dispatch", "reassign", "transfer"}
MESSAGES = {
    "dispatch": "已派单",
    "sign": "已签收",
    "return": "已退单，等待热线中心审核",
    "accept_return": "已同意退单，请重新派单",
    "reject_return": "已驳回退单",
    "reassign": "已改派",
    "transfer": "已转派",
    "wait": "已暂停计时，等待群众补充",
    "resume": "已恢复办理",
    "answer": "已答复，等待热线中心审核",
    "send_back": "已退回重办",
    "finish": "已审核办结",
    "supervise": "已督办",
    "revisit": "已记录回访",
    "archive": "已办结归档",
    "resolve": "已当场答复办结",
    "merge": "已合并办理",
    "unmerge": "已取消合并",
    "extension": "已申请延期，等待热线中心审核",
    "decide_extension": "已处理延期申请",
}
#: the intake form's fields (the names ``intake`` reports errors under → the form's names)
FIELD_NAMES = {"caller.name": "caller_name", "caller.phone": "caller_phone", "caller": "caller_name"}
#: the ticket page's free-text fields asked under their own labels (the service's ``note`` is “说明”)
text.LABELS.setdefault("revisit_record", "回访记录")
text.LABELS.setdefault("extension_remark", "审核意见")
text.LABELS.setdefault("answered_from", "知识库答复")


def _error(exc) -> SimpleNamespace:
    field = getattr(exc, "field", "") or ""
    return SimpleNamespace(
        message=getattr(exc, "message", None) or str(exc), field=FIELD_NAMES.get(field, field)
    )


def _answer_source(value) -> str:
    """The knowledge-base answer a reply was taken from (``article:<id>``, ``item:<code>``), or
    ``""``; a key naming no published answer is refused (the hidden field was tampered with or
    the answer withdrawn meanwhile)."""
    key = text.clean(value, "answered_from", max_length=100)
    if key and knowledge.use(key) is None:
        raise Invalid("所选知识库答复已不存在，请重新从知识库选择", "answered_from")
    return key


def _signed_in(request):
    return None if request.user.is_authenticated else redirect_to_login(request.get_full_path())


def _local_input(moment: dt.datetime | None) -> str:
    """A moment as a ``datetime-local`` value in Asia/Shanghai."""
    return timezone.localtime(moment).strftime("%Y-%m-%dT%H:%M") if moment else ""


def _roles_of(user, *names) -> list[StaffRole]:
    return [r for r in access._roles(user) if r.role in names]


# ------------------------------------------------------------------------------ scopes


def operator_region(user) -> Region | None:
    """The widest region the user takes calls for (the first one, by path)."""
    regions = [r.region for r in _roles_of(user, StaffRole.HOTLINE_OPERATOR) if r.region_id]
    return min(regions, key=lambda r: len(r.path), default=None)


def region_options(region: Region) -> list[Region]:
    """The region and those below it (down to townships), by path."""
    return list(
        Region.objects.filter(Q(code=region.code) | Q(path__startswith=f"{region.path}/"))
        .exclude(level="village")
        .order_by("path")[:500]
    )


def department_options(ticket: Ticket) -> list[Department]:
    """Departments a ticket may be sent to: of its region's chain and the regions below it."""
    chain = ticket.region.path.split("/")
    return list(
        Department.objects.filter(
            Q(region_id__in=chain) | Q(region__path__startswith=f"{ticket.region.path}/")
        )
        .select_related("region")
        .order_by("region__path", "name")[:500]
    )


def window_hall(user):
    roles = _roles_of(user, *access.WINDOW_ROLES)
    return next((r.hall for r in roles if r.hall_id), None)


# ------------------------------------------------------------------------------ what a row shows


def light(ticket: Ticket) -> dict | None:
    """The yellow/red light of a ticket, in words as well as colour (the cases' badges)."""
    if ticket.warning == "red":
        return {"level": "red", "badge": "badge-danger", "words": "红灯：已超时限"}
    if ticket.warning == "yellow":
        return {"level": "yellow", "badge": "badge-warn", "words": "黄灯：临近时限"}
    return None


def status_label(ticket: Ticket) -> str:
    """The state in words; a closed ticket says how it closed (a 咨询 answered on the spot or
    one archived without a return visit was never 回访)."""
    if ticket.status == T.CLOSED and ticket.revisited_at is None:
        return "已当场答复办结" if ticket.assigned_id is None else "无法回访，已办结归档"
    return ticket.get_status_display()


def _row(ticket: Ticket) -> dict:
    return {
        "t": ticket,
        "status": status_label(ticket),
        "light": light(ticket),
        "badge": STATUS_BADGES.get(ticket.status, ""),
        "category": rules.CATEGORIES.get(ticket.category, ticket.category),
    }


def _caller_phone(ticket: Ticket, user, roles: set[str]) -> str:
    if not ticket.caller_phone:
        return ""
    if roles & {OPERATOR, HANDLER}:
        return ticket.caller_phone
    return phone_for_viewer(ticket.caller_phone, user, ticket.caller)


def _history(ticket: Ticket, owner: bool) -> list[dict]:
    names = {}
    for machine in (TICKET, EXTENSION):
        names.update({e.audit or f"{machine.audit_kind}.{e.name}": e.label for e in machine.events.values()})
    return [
        {
            "at": h.at,
            "action": names.get(h.action, h.action),
            "actor": h.actor_label,
            "reason": text_for(h.reason, owner=owner),
        }
        for h in audit_history("hotline_ticket", ticket.number)
    ]


def _dues(ticket: Ticket) -> list[dict]:
    today = timezone.localdate()
    now = timezone.now()
    out = []
    if ticket.dispatch_due:
        late = ticket.dispatch_due < now
        out.append(
            {"key": "dispatch", "label": "派单", "at": ticket.dispatch_due, "late": late, "time": True}
        )
    # the 办结时限 stays on a finished ticket (whether it was met is in 办结时间): not late any more
    done = ticket.status not in Ticket.OPEN
    for key, label, due in (
        ("sign", "签收", ticket.sign_due),
        ("finish", "办结", ticket.finish_due),
        ("revisit", "回访", ticket.revisit_due),
    ):
        if due:
            stopped = done and key == "finish"
            out.append(
                {
                    "key": key,
                    "label": label,
                    "at": due,
                    "late": due < today and not stopped,
                    "time": False,
                    "done": stopped,
                }
            )
    return out


# ------------------------------------------------------------------------------ 受理


def _intake_data(post, region_default: str = "") -> dict:
    data = {
        "category": post.get("category", ""),
        "complexity": post.get("complexity", ""),
        "channel": post.get("channel", ""),
        "received_at": post.get("received_at", ""),
        "content": post.get("content", ""),
        "region": post.get("region", "") or region_default,
        "address": post.get("address", ""),
        "application": post.get("application", ""),
        "item": post.get("item", ""),
        "department": post.get("department", ""),
        "redirect": post.get("redirect", ""),
    }
    if post.get("anonymous"):
        data["anonymous"] = "on"
    name, phone = post.get("caller_name", ""), post.get("caller_phone", "")
    if name or phone:
        data["caller"] = {"name": name, "phone": phone}
    return data


def _workbench_page(request, region: Region, *, error=None, status: int = 200):
    form = request.POST if error is not None else {}
    return render(
        request,
        "hotline/staff/workbench.html",
        {
            "region": region,
            "regions": region_options(region),
            "categories": list(rules.CATEGORIES.items()),
            "complexities": list(rules.COMPLEXITIES.items()),
            "channels": list(rules.CHANNELS.items()),
            "not_taken": [(k, v[0], v[1]) for k, v in rules.NOT_TAKEN.items()],
            "form": form,
            "error": error,
            "now": _local_input(timezone.now()),
            "q": request.GET.get("q", ""),
        },
        status=status,
    )


@require_http_methods(["GET", "POST"])
def workbench(request):
    if (login := _signed_in(request)) is not None:
        return login
    user = request.user
    region = operator_region(user)
    if region is None:
        raise Http404
    if request.method == "GET":
        return _workbench_page(request, region)
    post = request.POST
    resolve_now = bool(post.get("resolve_now"))
    source = ""
    try:
        data = _intake_data(post, region.code)
        if resolve_now:
            text.clean(
                post.get("reply"), "reply", max_length=rules.CONTENT_MAX, multiline=True, required=True
            )
            if data["category"] != "consult":
                raise Invalid("只有咨询类工单可以当场答复办结", "resolve_now")
            source = _answer_source(post.get("answered_from", ""))
        with transaction.atomic():
            filed = intake.file(data, actor=user, role=OPERATOR, scope=region)
            ticket = filed.ticket
            if resolve_now and ticket.status == T.RECEIVED:
                ticket = service.resolve(
                    ticket,
                    user,
                    roles=access.roles_for(user, ticket),
                    reply=post.get("reply", ""),
                    source=source,
                )
                knowledge.record_use(source)
    except Refused as exc:
        return _workbench_page(request, region, error=_error(exc), status=status_of(exc))
    _tell_filed(request, ticket, filed.lookup_code)
    return redirect("hotline:ticket", number=ticket.number)


def _tell_filed(request, ticket: Ticket, code: str) -> None:
    """The number and the lookup code, once (a flash message: the code is stored only hashed)."""
    if ticket.status == T.REDIRECTED:
        messages.success(
            request, f"已登记为不予受理事项，工单编号 {ticket.number}，请告知：{ticket.redirect_channel}"
        )
        return
    done = "已当场答复办结" if ticket.status == T.CLOSED else "已受理"
    messages.success(
        request,
        f"{done}。工单编号 {ticket.number}，查询码 {code}（只显示这一次，请告知诉求人凭编号和查询码查询进度）",
    )


# ------------------------------------------------------------------------------ 办不成事窗口


def _window_page(request, hall, *, error=None, status: int = 200):
    return render(
        request,
        "hotline/staff/window_new.html",
        {
            "hall": hall,
            "complexities": list(rules.COMPLEXITIES.items()),
            "form": request.POST if error is not None else {},
            "error": error,
        },
        status=status,
    )


@require_http_methods(["GET", "POST"])
def window_new(request):
    if (login := _signed_in(request)) is not None:
        return login
    user = request.user
    hall = window_hall(user)
    if hall is None:
        raise Http404
    if request.method == "GET":
        return _window_page(request, hall)
    post = request.POST
    data = {
        "category": "not_done",
        "complexity": post.get("complexity", ""),
        "channel": "window",
        "content": post.get("content", ""),
        "region": hall.region_id,
        "application": post.get("application", ""),
        "item": post.get("item", ""),
    }
    name, phone = post.get("caller_name", ""), post.get("caller_phone", "")
    if name or phone:
        data["caller"] = {"name": name, "phone": phone}
    try:
        filed = intake.file(data, actor=user, role=WINDOW, hall=hall)
    except Refused as exc:
        return _window_page(request, hall, error=_error(exc), status=status_of(exc))
    _tell_filed(request, filed.ticket, filed.lookup_code)
    return redirect("hotline:ticket", number=filed.ticket.number)


# ------------------------------------------------------------------------------ 工单队列


def _urgency(queryset):
    rank = Case(
        When(warning="red", then=Value(0)),
        When(warning="yellow", then=Value(1)),
        default=Value(2),
        output_field=IntegerField(),
    )
    # no finish date yet sorts after the dated ones on every database (SQLite puts NULL first)
    return queryset.annotate(urgency=rank).order_by(
        "urgency", F("finish_due").asc(nulls_last=True), "received_at", "pk"
    )


@require_GET
def queue(request):
    if (login := _signed_in(request)) is not None:
        return login
    user = request.user
    held = access.staff_roles(user)
    if not held:
        raise Http404
    tab = request.GET.get("tab", "open")
    if tab not in TABS:
        tab = "open"
    visible = access.visible(user)
    statuses = TABS[tab][1]
    rows = visible if statuses is None else visible.filter(status__in=statuses)
    # the cards a ticket got stay on it after the late stage is over (the card ledger)
    rows = _urgency(
        rows.select_related("region", "assigned").annotate(
            red_cards=Count("cards", filter=Q(cards__level="red"), distinct=True),
            yellow_cards=Count("cards", filter=Q(cards__level="yellow"), distinct=True),
        )
    )
    shown = list(rows[:LIST_LIMIT])
    open_rows = visible.filter(status__in=Ticket.OPEN)
    counts = {
        "red": open_rows.filter(warning="red").count(),
        "yellow": open_rows.filter(warning="yellow").count(),
        "total": open_rows.count(),
    }
    return render(
        request,
        "hotline/staff/queue.html",
        {
            "rows": [_row(t) for t in shown],
            "tabs": [(name, label) for name, (label, _) in TABS.items()],
            "tab": tab,
            "counts": counts,
            "limited": len(shown) == LIST_LIMIT,
            "is_operator": OPERATOR in held,
            "is_window": WINDOW in held,
            "is_supervisor": SUPERVISOR in held,
        },
    )


# ------------------------------------------------------------------------------ 工单


def _lookup(number: str) -> Ticket | None:
    return (
        Ticket.objects.select_related(
            "region", "assigned", "caller", "application", "department", "hall", "primary", "replied_by"
        )
        .filter(number=str(number)[:40])
        .first()
    )


def _staff_reads(user, ticket: Ticket) -> bool:
    """Whether ``user`` reads ``ticket`` as staff: a staff role on it, or a department keeping
    it in its card ledger. The caller alone has the public-safe page (``follow_ticket``): this
    one shows who did what and the centre's internal notes."""
    roles = access.roles_for(user, ticket)
    return bool(roles - {CALLER}) or (not roles and access.may_read(user, ticket))


def _readable(user, number: str) -> Ticket:
    ticket = _lookup(number)
    if ticket is None or not _staff_reads(user, ticket):
        raise Http404
    return ticket


def _context(ticket: Ticket) -> dict:
    """The guard context for the buttons: reasons and departments are asked on the form."""
    return {
        "reason": "-",
        "department": "-",
        "category": ticket.category,
        "rated": ticket.rated_at is not None,
    }


def _ticket_page(request, ticket: Ticket, *, error=None, action: str = "", status: int = 200):
    user = request.user
    roles = access.roles_for(user, ticket)
    actions = [a for a in TICKET.allowed(ticket.status, roles, _context(ticket)) if a not in ("rate",)]
    extensions = list(ticket.extensions.select_related("department", "requested_by").order_by("requested_at"))
    pending = next((e for e in extensions if e.status == Extension.Status.PENDING), None)
    if HANDLER in roles and ticket.status in (T.HANDLING, T.WAITING) and pending is None:
        actions.append("extension")
    if OPERATOR in roles and pending is not None:
        actions.append("decide_extension")
    owner = bool(ticket.caller_id) and ticket.caller_id == user.pk
    members = list(merging.members_of(ticket)) if ticket.status != T.MERGED else []
    departments = department_options(ticket) if set(actions) & DEPARTMENT_EVENTS else []
    context = {
        "t": ticket,
        "row": _row(ticket),
        "roles": roles,
        "actions": actions,
        "reasoned": [(a, TICKET.event_label(a)) for a in actions if a in REASONED and a != "unmerge"],
        "department_actions": [(a, TICKET.event_label(a)) for a in actions if a in DEPARTMENT_EVENTS],
        "departments": departments,
        "satisfactions": list(rules.SATISFACTION.items()),
        "dues": _dues(ticket),
        "caller_phone": _caller_phone(ticket, user, roles),
        "content": text_for(ticket.content, owner=owner),
        "reply": text_for(ticket.reply, owner=owner),
        "revisit_note": text_for(ticket.revisit_note, owner=owner),
        "waiting_reason": text_for(ticket.waiting_reason, owner=owner),
        "members": members,
        "extensions": [
            {
                "e": e,
                "reason": text_for(e.reason, owner=owner),
                "note": text_for(e.decision_note, owner=owner),
            }
            for e in extensions
        ],
        "pending": pending,
        "cards": list(ticket.cards.select_related("department").order_by("at")),
        "history": _history(ticket, owner),
        "max_days": rules.EXTENSION_MAX_DAYS,
        "error": error,
        "action": action,
        "form": request.POST if error is not None else {},
        "category": rules.CATEGORIES.get(ticket.category, ticket.category),
        "channel": rules.CHANNELS.get(ticket.channel, ticket.channel),
        "commitment": ticket.category == "not_done",
    }
    return render(request, "hotline/staff/ticket.html", context, status=status)


@require_GET
def ticket_detail(request, number: str):
    if (login := _signed_in(request)) is not None:
        return login
    ticket = _lookup(number)
    if ticket is not None and ticket.caller_id == request.user.pk and not _staff_reads(request.user, ticket):
        return redirect("hotline:follow_ticket", number=ticket.number)
    return _ticket_page(request, _readable(request.user, number))


def _perform(action: str, ticket: Ticket, user, roles: set[str], post) -> None:
    reason = post.get("reason", "")
    if action == "dispatch":
        service.dispatch(ticket, user, roles=roles, department=post.get("department", ""), note_text=reason)
    elif action in ("reassign", "transfer"):
        getattr(service, action)(
            ticket, user, roles=roles, department=post.get("department", ""), reason=reason
        )
    elif action == "return":
        service.return_(ticket, user, roles=roles, reason=reason)
    elif action in ("accept_return", "reject_return", "wait", "send_back", "supervise", "archive"):
        getattr(service, action)(ticket, user, roles=roles, reason=reason)
    elif action in ("sign", "resume", "finish"):
        getattr(service, action)(ticket, user, roles=roles)
    elif action == "answer":
        service.answer(ticket, user, roles=roles, reply=post.get("reply", ""))
    elif action == "resolve":
        source = _answer_source(post.get("answered_from", ""))
        with transaction.atomic():
            service.resolve(ticket, user, roles=roles, reply=post.get("reply", ""), source=source)
            knowledge.record_use(source)
    elif action == "revisit":
        satisfaction = intake.choice(post.get("satisfaction", ""), "satisfaction", rules.SATISFACTION)
        record = text.clean(
            post.get("note"), "revisit_record", max_length=rules.NOTE_MAX, multiline=True, required=True
        )
        service.revisit(ticket, user, roles=roles, satisfaction=satisfaction, note_text=record)
    elif action == "merge":
        merging.merge(ticket, post.get("members", ""), user, roles=roles, reason=reason)
    elif action == "unmerge":
        merging.unmerge(ticket, user, roles=roles, reason=reason)
    elif action == "extension":
        service.request_extension(ticket, user, roles=roles, days=post.get("days", ""), reason=reason)
    elif action == "decide_extension":
        pending = ticket.extensions.filter(status=Extension.Status.PENDING).first()
        if pending is None:
            raise Invalid("没有待审核的延期申请", "extension")
        decision = post.get("decision", "")
        if decision not in ("approve", "refuse"):
            raise Invalid("请选择同意或不同意延期", "decision")
        remark = text.clean(
            post.get("note"),
            "extension_remark",
            max_length=rules.NOTE_MAX,
            multiline=True,
            required=decision == "refuse",
        )
        service.decide_extension(pending, user, roles=roles, approve=decision == "approve", note_text=remark)
    else:  # pragma: no cover - the URL's event is checked first
        raise Http404


@require_POST
def ticket_act(request, number: str, event: str):
    if (login := _signed_in(request)) is not None:
        return login
    if event not in TICKET.events and event not in EXTRA:
        raise Http404
    if event in ("receive", "redirect", "finish_merged", "rate"):
        raise Http404
    user = request.user
    ticket = _readable(user, number)
    roles = access.roles_for(user, ticket)
    try:
        _perform(event, ticket, user, roles, request.POST)
    except Refused as exc:
        if status_of(exc) == 404 and getattr(exc, "field", "") == "number":
            raise Http404 from None
        # the page again, the rule's sentence at the top and at its field, with what was typed
        return _ticket_page(
            request, _readable(user, ticket.number), error=_error(exc), action=event, status=status_of(exc)
        )
    messages.success(request, MESSAGES.get(event, "已处理"))
    return redirect("hotline:ticket", number=ticket.number)


urlpatterns = [
    path("", workbench, name="workbench"),
    path("queue/", queue, name="queue"),
    path("window/new/", window_new, name="window_new"),
    path("tickets/<str:number>/", ticket_detail, name="ticket"),
    path("tickets/<str:number>/act/<slug:event>/", ticket_act, name="ticket_act"),
]
