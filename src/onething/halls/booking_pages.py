"""Booking pages: choose a service, a day and a slot; my appointments (cancel, reschedule, arrive).

- ``<hall>/book/`` (``halls:book``): service → day (the open days of the horizon) → the day's
  slots with places left → a confirm form. With ``?reschedule=<id>`` the same steps choose the
  new time of one of the person's appointments (the service is kept; a reason is asked).
- ``appointments/`` (``halls:appointments``): the person's appointments with their status,
  code, hall and time; 取消预约 (with a reason), 改约, 到达签到 (in the arrival window: the
  ticket page follows).

Views are thin: they read the form, call :mod:`onething.halls.booking` and render; a refusal is
a Chinese message on the page, never an error page.
"""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, path, reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from onething.core import text
from onething.core.errors import Refused
from onething.core.pages import refused
from onething.directory.models import Hall
from onething.halls import booking, queue
from onething.halls.models import Appointment, Service
from onething.kernel.errors import DomainError

A = Appointment.Status
BADGES = {
    A.HELD: "badge-warn",
    A.BOOKED: "badge-ok",
    A.ARRIVED: "badge-ok",
    A.CANCELLED: "badge-muted",
    A.LATE_CANCELLED: "badge-warn",
    A.RESCHEDULED: "badge-muted",
    A.NO_SHOW: "badge-danger",
    A.EXPIRED: "badge-muted",
}
WEEKDAYS = "一二三四五六日"


def ticket_url(ticket) -> str:
    try:
        return reverse("halls:ticket", args=[ticket.token])
    except NoReverseMatch:
        return f"/halls/ticket/{ticket.token}/"


def _hall(code: str) -> Hall:
    hall = Hall.objects.filter(code=str(code)[:40]).first()
    if hall is None:
        raise Http404
    return hall


def _day(value) -> dt.date | None:
    if not value:
        return None
    try:
        return text.date(value, "date")
    except Refused:
        return None


def _day_label(day: dt.date, today: dt.date) -> str:
    names = {today: "今天", today + dt.timedelta(days=1): "明天", today + dt.timedelta(days=2): "后天"}
    return f"{day.month}月{day.day}日 周{WEEKDAYS[day.weekday()]}" + (
        f"（{names[day]}）" if day in names else ""
    )


def _replacing(request) -> Appointment | None:
    value = request.GET.get("reschedule") or request.POST.get("reschedule")
    if not value:
        return None
    try:
        found = booking.visible(request.user, value)
    except DomainError:
        raise Http404 from None
    return found if found.status == A.BOOKED else None


def _success(appointment: Appointment, verb: str) -> str:
    start = timezone.localtime(appointment.start)
    early = timezone.localtime(booking.arrival_from(appointment))
    return (
        f"{verb}，预约号 {appointment.code}，请于 {start:%m月%d日} {early:%H:%M}—{start:%H:%M} "
        f"到{appointment.hall.name}签到"
    )


@login_required
@require_http_methods(["GET", "POST"])
def book(request, hall: str):
    hall = _hall(hall)
    replacing = _replacing(request)
    if replacing is not None and replacing.hall_id != hall.pk:
        raise Http404
    if request.method == "POST":
        try:
            start = booking.parse_start(request.POST.get("start", ""))
            if replacing is not None:
                appointment = booking.reschedule(
                    request.user, replacing.pk, start, request.POST.get("reason", "")
                )
                messages.success(request, _success(appointment, "改约成功"))
            else:
                appointment = booking.book(
                    request.user,
                    hall,
                    request.POST.get("service", ""),
                    start,
                    application_number=request.POST.get("application", ""),
                )
                messages.success(request, _success(appointment, "预约成功"))
            return redirect("halls:appointments")
        except Refused as exc:
            refused(request, exc)
    now = timezone.now()
    today = timezone.localdate(now)
    settings = queue.policy(hall)
    places = booking.capacities(hall, settings)
    services = [s for s in Service.objects.filter(code__in=list(places))]
    code = (
        replacing.service_id
        if replacing is not None
        else (request.GET.get("service") or request.POST.get("service"))
    )
    service = next((s for s in services if s.code == code), None)
    day = _day(request.GET.get("date") or request.POST.get("date"))
    days, slots, chosen = [], [], None
    if service is not None:
        days = [
            {"day": d, "label": _day_label(d, today)}
            for d in booking.open_days(hall, today=today, settings=settings)
        ]
        if day is not None:
            try:
                slots = booking.slots_for(hall, service, day, now=now)
            except Refused as exc:
                refused(request, exc)
            wanted = request.GET.get("start") or request.POST.get("start")
            if wanted:
                try:
                    moment = booking.parse_start(wanted)
                except Refused:
                    moment = None
                chosen = next((s for s in slots if s["start"] == moment and s["left"] > 0), None)
    return render(
        request,
        "halls/book.html",
        {
            "hall": hall,
            "services": services,
            "service": service,
            "days": days,
            "day": day,
            "day_label": _day_label(day, today) if day else "",
            "slots": slots,
            "free": [s for s in slots if s["left"] > 0],
            "chosen": chosen,
            "replacing": replacing,
            "settings": settings,
        },
    )


@login_required
@require_http_methods(["GET"])
def appointments(request):
    now = timezone.now()
    rows = []
    for appointment in booking.mine(request.user).order_by("-start")[:100]:
        rows.append(
            {
                "a": appointment,
                "badge": BADGES.get(appointment.status, "badge-muted"),
                "active": appointment.status in booking.HOLDING and appointment.end > now,
                "can_arrive": booking.can_arrive(appointment, now),
                "arrive_from": booking.arrival_from(appointment),
            }
        )
    return render(request, "halls/appointments.html", {"rows": rows})


@login_required
@require_POST
def cancel(request, appointment_id: int):
    try:
        appointment = booking.cancel(request.user, appointment_id, request.POST.get("reason", ""))
        late = "（距预约时间较近，记为逾时取消）" if appointment.status == A.LATE_CANCELLED else ""
        messages.success(request, f"预约 {appointment.code} 已取消{late}")
    except Refused as exc:
        refused(request, exc)
    return redirect("halls:appointments")


@login_required
@require_POST
def arrive(request, appointment_id: int):
    try:
        ticket = booking.arrive(request.user, appointment_id)
    except Refused as exc:
        refused(request, exc)
        return redirect("halls:appointments")
    messages.success(request, f"签到成功，您的排队号 {ticket.number}，将在预约时间优先叫号")
    return redirect(ticket_url(ticket))


urlpatterns = [
    path("appointments/", appointments, name="appointments"),
    path("appointments/<int:appointment_id>/cancel/", cancel, name="appointment_cancel"),
    path("appointments/<int:appointment_id>/arrive/", arrive, name="appointment_arrive"),
    path("<slug:hall>/book/", book, name="book"),
]
