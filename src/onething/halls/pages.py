"""Hall pages (``/halls/``): the list of halls, a hall (windows on duty, how many wait, 手机取号,
预约办事), taking a number, the ticket by its random token (live, no personal data; cancel;
一次一评 links to 好差评), the hall's number machine (kiosk), the calling display (live, optional spoken
calls), the window figures with their Excel export and the 进驻率 report.

Views are thin: they check who may see what (outside scope: 404), call ``queue``, ``figures``
and ``entry`` and render. A refused action is a Chinese message on the page, never
an error page. An ID number typed at the kiosk travels only in a POST body.
"""

from __future__ import annotations

import re
from collections import Counter, OrderedDict

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from onething.core import text
from onething.core.errors import Refused
from onething.core.pages import refused
from onething.directory.models import Hall, Region, within
from onething.halls import booking, entry, figures, offer, queue, rules
from onething.halls.machines import KIOSK
from onething.halls.models import Service, Ticket, WindowSession

T = Ticket.Status
TOKEN = re.compile(r"[A-Za-z0-9_-]{8,32}")

#: how the list of halls is grouped: (key, heading)
GROUPS = [
    ("province", "省级政务服务中心"),
    ("city", "市级政务服务中心"),
    ("county", "县级政务服务中心"),
    ("township", "乡镇（街道）便民服务中心"),
    ("village", "村（社区）便民服务站"),
    ("bank", "政银合作网点"),
    ("self_service", "24小时自助服务区"),
]

#: what a visitor sees of a window: session status → word
DUTY = {WindowSession.Status.ACTIVE: "在岗", WindowSession.Status.PAUSED: "暂停"}
CLOSED = "未开放"

#: ticket status → the sentence on the ticket page
STATUS_TEXT = {
    T.WAITING: "等候中",
    T.CALLED: "已叫号",
    T.DONE: "已办结",
    T.NO_SHOW: "已过号",
    T.CANCELLED: "已取消",
    T.EXPIRED: "已作废（当日未叫号）",
}


def _hall(code: str) -> Hall:
    hall = Hall.objects.select_related("region").filter(code=str(code)[:40]).first()
    if hall is None:
        raise Http404
    return hall


def _group(hall: Hall) -> str:
    if hall.kind == "hall":
        return hall.region.level if hall.region.level in ("province", "city") else "county"
    return hall.kind


def opening_text(hall: Hall) -> str:
    """``工作日 09:00–12:00、13:30–17:00`` from the hall's opening sessions (or its hours text)."""
    opening = hall.opening or {}
    sessions = opening.get("sessions") or []
    if sessions:
        times = "、".join(f"{a}–{b}" for a, b in sessions)
        return f"{'每天' if opening.get('every_day') else '工作日'} {times}"
    if hall.hours:
        return hall.hours
    return "工作日 " + "、".join(f"{a}–{b}" for a, b in rules.DEFAULT_SESSIONS)


def _today():
    return timezone.localdate()


def waiting_counts(hall: Hall) -> Counter:
    rows = Ticket.objects.filter(hall=hall, day=_today(), status=T.WAITING)
    return Counter(rows.values_list("service_id", flat=True))


def _staff_links(user) -> list[dict]:
    links = []
    if figures.visible_halls(user).exists():
        links.append({"href": reverse("halls:figures"), "label": "窗口数据"})
    if figures.is_platform_admin(user) or figures.supervised_regions(user):
        links.append({"href": reverse("halls:entry"), "label": "进驻率"})
    return links


# ---------------------------------------------------------------------------------- public


@require_GET
def index(request):
    halls = Hall.objects.select_related("region").order_by("region__path", "code")
    groups: OrderedDict = OrderedDict((key, {"title": title, "halls": []}) for key, title in GROUPS)
    for hall in halls:
        groups[_group(hall)]["halls"].append({"hall": hall, "opening": opening_text(hall)})
    return render(
        request,
        "halls/index.html",
        {"groups": [g for g in groups.values() if g["halls"]], "staff_links": _staff_links(request.user)},
    )


def _zones(hall: Hall, by_window: dict) -> list[dict]:
    sessions = {
        s.window_id: s for s in WindowSession.objects.filter(window__hall=hall, status__in=WindowSession.OPEN)
    }
    names = {s.code: s.name for s in Service.objects.all()}
    zones: OrderedDict = OrderedDict()
    for window in hall.windows.filter(active=True).order_by("zone", "number"):
        session = sessions.get(window.pk)
        zones.setdefault(window.zone or "服务窗口", []).append(
            {
                "number": window.number,
                "name": window.name,
                "duty": DUTY.get(session.status, CLOSED) if session else CLOSED,
                "on": bool(session and session.status == WindowSession.Status.ACTIVE),
                "services": [names[c] for c in by_window.get(window.code, []) if c in names],
            }
        )
    return [{"name": name, "windows": rows} for name, rows in zones.items()]


@require_GET
def hall(request, code: str):
    hall = _hall(code)
    by_window = offer.hall_services(hall)
    counts = waiting_counts(hall)
    services = [{"service": s, "waiting": counts.get(s.code, 0)} for s in offer.offered(hall, by_window)]
    mine = []
    if request.user.is_authenticated:
        mine = list(
            Ticket.objects.filter(
                person=request.user, hall=hall, day=_today(), status__in=[T.WAITING, T.CALLED]
            ).select_related("service")
        )
    return render(
        request,
        "halls/hall.html",
        {
            "hall": hall,
            "opening": opening_text(hall),
            "services": services,
            "zones": _zones(hall, by_window),
            "mine": mine,
        },
    )


@require_POST
def take(request, code: str):
    hall = _hall(code)
    back = reverse("halls:hall", args=[hall.code])
    if not request.user.is_authenticated:
        return redirect_to_login(back)
    try:
        service = text.clean(request.POST.get("service"), "service", max_length=40, required=True)
        ticket = queue.issue(request.user, hall, service)
    except Refused as exc:
        refused(request, exc)
        return redirect(back)
    messages.success(request, f"取号成功：{ticket.number}")
    return redirect("halls:ticket", token=ticket.token)


# ---------------------------------------------------------------------------------- the ticket


def _ticket(token: str) -> Ticket:
    if not TOKEN.fullmatch(str(token)):
        raise Http404
    found = Ticket.objects.select_related("hall", "service", "window").filter(token=token).first()
    if found is None:
        raise Http404
    return found


def _ticket_context(ticket: Ticket) -> dict:
    return {
        "ticket": ticket,
        "status_text": STATUS_TEXT.get(ticket.status, ticket.get_status_display()),
        "ahead": queue.ahead(ticket),
        "window_number": ticket.window.number if ticket.window_id else "",
        "terminal": ticket.status not in (T.WAITING, T.CALLED),
    }


@require_GET
def ticket(request, token: str):
    found = _ticket(token)
    context = _ticket_context(found)
    context["holder"] = bool(
        request.user.is_authenticated and found.person_id == request.user.pk and found.status == T.WAITING
    )
    return render(request, "halls/ticket.html", context)


@require_GET
def ticket_live(request, token: str):
    context = _ticket_context(_ticket(token))
    response = render(request, "halls/_ticket_live.html", context)
    if context["terminal"]:
        response.status_code = 286  # htmx: stop polling, nothing more will change
    return response


@require_POST
def ticket_cancel(request, token: str):
    found = _ticket(token)
    try:
        queue.cancel(request.user, found)
    except Refused as exc:
        refused(request, exc)
    else:
        messages.success(request, f"已取消排队号 {found.number}")
    return redirect("halls:ticket", token=found.token)


# ---------------------------------------------------------------------------------- kiosk

KIOSK_TICKET = "halls_kiosk_ticket"


def _kiosk_hall(request, code: str) -> Hall:
    hall = _hall(code)
    if KIOSK not in queue.hall_roles(request.user, hall):
        raise Http404
    return hall


@require_http_methods(["GET", "POST"])
def kiosk(request, code: str):
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    hall = _kiosk_hall(request, code)
    here = reverse("halls:kiosk", args=[hall.code])
    if request.method == "POST":
        try:
            issued = _kiosk_issue(request, hall)
        except Refused as exc:
            refused(request, exc)
        else:
            request.session[KIOSK_TICKET] = issued.pk
        return redirect(here)
    issued = None
    pk = request.session.pop(KIOSK_TICKET, None)
    if pk:
        issued = Ticket.objects.select_related("service").filter(pk=pk, hall=hall).first()
    context = {"hall": hall, "services": offer.offered(hall), "issued": None}
    if issued is not None:
        from onething.documents.render import qr_svg

        url = settings.PUBLIC_URL.rstrip("/") + reverse("halls:ticket", args=[issued.token])
        context.update(
            issued=issued,
            ahead=queue.ahead(issued),
            ticket_url=url,
            qr=qr_svg(url, scale=4, title="扫码在手机上查看排队进度"),
        )
    return render(request, "halls/kiosk.html", context)


def _kiosk_issue(request, hall: Hall) -> Ticket:
    code = text.clean(request.POST.get("appointment_code"), "appointment_code", max_length=12)
    if code:
        return booking.arrive_by_code(request.user, hall, code)
    service = text.clean(request.POST.get("service"), "service", max_length=40, required=True)
    id_number = text.clean(request.POST.get("id_number"), "id_number", max_length=18)
    return queue.issue(request.user, hall, service, id_number=id_number)


# ---------------------------------------------------------------------------------- display


def display_context(hall: Hall) -> dict:
    today = _today()
    windows = list(hall.windows.filter(active=True).order_by("number"))
    called = {
        t.window_id: t
        for t in Ticket.objects.filter(hall=hall, day=today, status=T.CALLED).select_related("service")
    }
    current = [
        {"number": w.number, "ticket": called[w.pk].number, "service": called[w.pk].service.name}
        for w in sorted(windows, key=lambda w: (len(w.number), w.number))
        if w.pk in called
    ]
    recent = list(
        Ticket.objects.filter(hall=hall, day=today, last_called_at__isnull=False, window__isnull=False)
        .select_related("service", "window")
        .order_by("-last_called_at", "-pk")[:10]
    )
    counts = waiting_counts(hall)
    services = [{"name": s.name, "waiting": counts.get(s.code, 0)} for s in offer.offered(hall)]
    latest = recent[0] if recent and recent[0].status == T.CALLED else None
    return {
        "hall": hall,
        "current": current,
        "recent": [
            {"ticket": t.number, "window": t.window.number, "service": t.service.name, "at": t.last_called_at}
            for t in recent
        ],
        "services": services,
        "latest": latest,
        "latest_key": f"{latest.pk}-{latest.calls}" if latest else "",
        "now": timezone.localtime(),
    }


@require_GET
def display(request, code: str):
    return render(request, "halls/display.html", display_context(_hall(code)))


@require_GET
def display_live(request, code: str):
    return render(request, "halls/_display_live.html", display_context(_hall(code)))


# ---------------------------------------------------------------------------------- figures


def _figures_scope(request):
    halls = figures.visible_halls(request.user)
    if not halls.exists():
        raise Http404
    return halls


def _figure_filters(request, halls):
    """The chosen halls (one, or all visible) and the period; a bad value is a message and the
    default in its place. A hall outside the person's scope is a 404."""
    code = request.GET.get("hall", "")
    chosen = list(halls)
    if code:
        one = halls.filter(code=str(code)[:40]).first()
        if one is None:
            raise Http404
        chosen = [one]
    try:
        first, last = figures.period(request.GET.get("from"), request.GET.get("to"))
        error = None
    except Refused as exc:
        first = last = _today()
        error = exc
    return code, chosen, first, last, error


def _figures_login(request):
    return redirect_to_login(request.get_full_path()) if not request.user.is_authenticated else None


@require_GET
def figures_page(request):
    if (login := _figures_login(request)) is not None:
        return login
    halls = _figures_scope(request)
    code, chosen, first, last, error = _figure_filters(request, halls)
    if error is not None:
        refused(request, error)
    data = figures.report(chosen, first, last)
    query = {"hall": code, "from": first.isoformat(), "to": last.isoformat()}
    return render(
        request,
        "halls/figures.html",
        {
            "halls": halls,
            "hall_code": code,
            "first": first,
            "last": last,
            "totals": figures.shown(data["totals"]),
            "tables": _tables(data, halls),
            "columns": [label for _, label in figures.COLUMNS],
            "export": reverse("halls:figures_xlsx") + "?" + urlencode(query),
        },
    )


def _tables(data: dict, halls) -> list[dict]:
    names = {h.code: h.name for h in halls}
    return [
        {
            "key": key,
            "caption": caption,
            "head": head,
            "rows": [{"name": name(r, names), "cells": figures.shown(r)} for r in data[key]],
        }
        for key, caption, head, name in figures.TABLES
    ]


@require_GET
def figures_xlsx(request):
    if (login := _figures_login(request)) is not None:
        return login
    halls = _figures_scope(request)
    code, chosen, first, last, error = _figure_filters(request, halls)
    if error is not None:
        refused(request, error)
        return redirect("halls:figures")
    body = figures.xlsx(chosen, first, last)
    response = HttpResponse(
        body, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    name = f"hall-figures-{code or 'all'}-{first:%Y%m%d}-{last:%Y%m%d}.xlsx"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


# ---------------------------------------------------------------------------------- 进驻率


@require_GET
def entry_page(request):
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    admin = figures.is_platform_admin(request.user)
    supervised = figures.supervised_regions(request.user)
    if not admin and not supervised:
        raise Http404
    scope = None if admin else supervised
    code = request.GET.get("region", "")
    region = None
    if code:
        try:
            code = text.clean(code, "region", max_length=12)
        except Refused as exc:
            refused(request, exc)
            code = ""
        region = Region.objects.filter(code=code).first() if code else None
        if code and (
            region is None or (scope is not None and not any(within(region.path, s.code) for s in scope))
        ):
            raise Http404
    every = entry.report(None, regions=scope)
    rows = [r for r in every if region is None or within(r.region.path, region.code)]
    return render(
        request,
        "halls/entry.html",
        {"rows": rows, "region_code": code, "options": [r.region for r in every]},
    )


urlpatterns = [
    path("", index, name="index"),
    path("figures/", figures_page, name="figures"),
    path("figures/export.xlsx", figures_xlsx, name="figures_xlsx"),
    path("entry/", entry_page, name="entry"),
    path("ticket/<str:token>/", ticket, name="ticket"),
    path("ticket/<str:token>/live/", ticket_live, name="ticket_live"),
    path("ticket/<str:token>/cancel/", ticket_cancel, name="ticket_cancel"),
    path("<slug:code>/", hall, name="hall"),
    path("<slug:code>/take/", take, name="take"),
    path("<slug:code>/kiosk/", kiosk, name="kiosk"),
    path("<slug:code>/display/", display, name="display"),
    path("<slug:code>/display/live/", display_live, name="display_live"),
]
