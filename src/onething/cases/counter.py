"""叫号台: what the window clerk's counter page shows — where they may sign in, the ticket they
have called, and who that visitor is for the platform (their open applications, the application
they came about, their appointment).

The queue itself (signing in, calling, recalling, finishing …) is ``onething.halls.queue``;
this module only reads. Personal numbers are masked (the clerk is never their owner), and an
application is listed only when the clerk may see it (``access.visible_applications``).
"""

from __future__ import annotations

from django.db.models import Q
from django.utils import timezone

from onething.accounts.masking import id_for_viewer
from onething.cases.access import clerk_halls, visible_applications
from onething.cases.models import Application
from onething.directory.models import Window
from onething.halls import offer, queue, rules
from onething.halls.machines import CLERK, TICKET
from onething.halls.models import Appointment, Service, Ticket, WindowSession

S = Application.Status
#: an application still running (not archived, refused or withdrawn)
FINISHED = (S.CLOSED, S.REJECTED, S.WITHDRAWN)
#: the ticket buttons of the page, in order, by the machine's event name
BUTTONS = ("recall", "finish", "no_show", "transfer")


def sign_in_choices(user) -> list[dict]:
    """The clerk's halls with their windows: who sits where (taken windows cannot be chosen)."""
    out = []
    for hall in {h.pk: h for h in clerk_halls(user)}.values():
        sessions = {
            s.window_id: s
            for s in WindowSession.objects.filter(
                window__hall=hall, status__in=WindowSession.OPEN
            ).select_related("clerk")
        }
        windows = []
        for window in Window.objects.filter(hall=hall, active=True).order_by("number"):
            session = sessions.get(window.pk)
            windows.append(
                {
                    "window": window,
                    "taken": session is not None and session.clerk_id != user.pk,
                    "clerk": (session.clerk.real_name or session.clerk.username) if session else "",
                }
            )
        out.append({"hall": hall, "windows": windows})
    return out


def held(user) -> Ticket | None:
    """The ticket ``user`` has called and not yet finished, transferred or marked 过号."""
    return (
        Ticket.objects.filter(clerk=user, status=Ticket.Status.CALLED)
        .select_related("service", "hall", "appointment", "person")
        .first()
    )


def waiting_count(session: WindowSession) -> int:
    """How many wait today for the services this window calls."""
    rows = Ticket.objects.filter(
        hall_id=session.window.hall_id,
        status=Ticket.Status.WAITING,
        day=timezone.localdate(),
        service_id__in=session.services,
    )
    return rows.filter(Q(for_window__isnull=True) | Q(for_window=session.window)).count()


def actions(ticket: Ticket) -> list[str]:
    """The ticket buttons the machine allows now (过号 only after enough calls)."""
    context = {
        "calls": ticket.calls,
        "no_show_calls": queue.policy(ticket.hall).no_show_calls,
        "reason": "-",  # the transfer's reason is asked for in its form
    }
    allowed = set(TICKET.allowed(ticket.status, {CLERK}, context))
    return [name for name in BUTTONS if name in allowed]


def transfer_targets(session: WindowSession, ticket: Ticket) -> dict:
    """Other windows of the hall and the hall's other services, for 转移."""
    windows = Window.objects.filter(hall_id=ticket.hall_id, active=True).exclude(pk=session.window_id)
    services = [s for s in offer.offered(ticket.hall) if s.pk != ticket.service_id]
    return {"windows": list(windows.order_by("number")), "services": services}


def id_number_of(ticket: Ticket) -> str:
    """The visitor's ID number: given when the number was taken, else the account's."""
    return ticket.id_number or (ticket.person.id_number if ticket.person_id else "") or ""


def _person_applications(user, ticket: Ticket):
    who = Q()
    if ticket.person_id:
        who |= Q(applicant_id=ticket.person_id)
    if id_number_of(ticket):
        who |= Q(applicant_id_number=id_number_of(ticket))
    if not who:
        return [], 0
    rows = Application.objects.filter(who).exclude(status__in=FINISHED)
    visible = visible_applications(user).filter(who).exclude(status__in=FINISHED)
    shown = list(visible.order_by("-created_at")[:20])
    return shown, max(rows.count() - visible.count(), 0)


def _appointment(ticket: Ticket) -> Appointment | None:
    if ticket.appointment_id:
        return ticket.appointment
    if not ticket.person_id:
        return None
    return (
        Appointment.objects.filter(
            person_id=ticket.person_id,
            hall_id=ticket.hall_id,
            status=Appointment.Status.BOOKED,
            start__date=ticket.day,
        )
        .select_related("service")
        .order_by("start")
        .first()
    )


def visitor(user, ticket: Ticket) -> dict:
    """Who the called ticket is for, as the clerk may see it."""
    came_for = None
    if ticket.application_number:
        found = visible_applications(user).filter(number=ticket.application_number).first()
        came_for = {"number": ticket.application_number, "application": found}
    shown, hidden = _person_applications(user, ticket)
    person = ticket.person
    name = ticket.name or (person.real_name if person else "")
    id_number = id_number_of(ticket)
    return {
        "name": name,
        "id_number": id_for_viewer(id_number, user, person) if id_number else "",
        "registered": person is not None,
        "came_for": came_for,
        "applications": shown,
        "elsewhere": hidden,
        "appointment": _appointment(ticket),
        "priority": rules.PRIORITY_REASONS.get(ticket.priority_reason, ticket.priority_reason),
    }


def page(user) -> dict:
    """The counter page's context."""
    session = queue.session_of(user)
    if session is None:
        return {"session": None, "choices": sign_in_choices(user)}
    ticket = held(user)
    context = {
        "session": session,
        "hall": session.window.hall,
        "window": session.window,
        "paused": session.status == WindowSession.Status.PAUSED,
        "waiting": waiting_count(session),
        "services": list(Service.objects.filter(code__in=session.services)),
        "offered": offer.offered(session.window.hall),
        "priority_reasons": rules.PRIORITY_REASONS,
        "ticket": ticket,
    }
    if ticket is not None:
        context["actions"] = actions(ticket)
        context["targets"] = transfer_targets(session, ticket)
        context["visitor"] = visitor(user, ticket)
    return context
