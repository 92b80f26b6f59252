"""The queue: window sessions, taking a number, calling, and what follows a call.

Every change goes through the engine (:mod:`onething.halls.machines`) in one transaction that
locks the owner row first:

- :func:`sign_in` / :func:`pause` / :func:`resume` / :func:`sign_out` — a clerk at a window;
  :func:`session_of` is the one answer to "where is this clerk working now" (intake, calling
  and the figures use it).
- :func:`issue` — a number for a service of a hall, from a kiosk, a phone, a clerk or an
  appointment; priority read from the ID number (age) or given by the clerk.
- :func:`call_next` — the window's next ticket by :func:`onething.kernel.queueing.pick`. It
  locks the hall's counters of the services the window serves, so two windows calling at once
  never get the same ticket; a clerk still holding a called ticket gets 409.
- :func:`recall`, :func:`finish`, :func:`no_show`, :func:`transfer`, :func:`cancel`.
- :func:`ahead` — how many wait before a ticket, by the same ordering.
"""

from __future__ import annotations

import datetime as dt

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from onething.accounts.models import StaffRole, User
from onething.core import text
from onething.directory.models import Hall, Window
from onething.halls import offer, rules
from onething.halls.machines import ASSISTANT, CLERK, KIOSK, PERSON, SESSION, SYSTEM, TICKET
from onething.halls.models import HallPolicy, QueueDay, Service, Ticket, WindowSession
from onething.kernel import codes, queueing
from onething.kernel.errors import Conflict, Invalid, NotFound, NotPermitted
from onething.workflow import engine

T = Ticket.Status


def policy(hall: Hall) -> HallPolicy:
    """The hall's settings (an unsaved row of defaults when it has none)."""
    found = HallPolicy.objects.filter(hall=hall).first()
    return found or HallPolicy(hall=hall)


def ordering_rule(settings: HallPolicy) -> queueing.Rule:
    return queueing.Rule(
        fairness=settings.fairness, grace=dt.timedelta(minutes=settings.appointment_grace_minutes)
    )


def hall_roles(user, hall: Hall) -> set[str]:
    """The queue roles ``user`` holds at ``hall`` (clerk, kiosk, assistant)."""
    mapping = {StaffRole.WINDOW_CLERK: CLERK, StaffRole.KIOSK: KIOSK, StaffRole.ASSISTANT: ASSISTANT}
    if not getattr(user, "is_authenticated", False):
        return set()
    return {mapping[r.role] for r in user.roles() if r.role in mapping and r.hall_id == hall.pk}


# ---------------------------------------------------------------------------------- sessions


def session_of(user) -> WindowSession | None:
    """The clerk's open window session, or ``None``."""
    if not getattr(user, "is_authenticated", False):
        return None
    return (
        WindowSession.objects.filter(clerk=user, status__in=WindowSession.OPEN)
        .select_related("window__hall__region")
        .first()
    )


def window_by_code(code: str) -> Window:
    window = Window.objects.select_related("hall__region").filter(code=str(code)[:40], active=True).first()
    if window is None:
        raise NotFound("未找到该窗口", "window")
    return window


def sign_in(user, window: Window, *, now=None) -> WindowSession:
    """``user`` works at ``window`` from now; a session elsewhere is closed first. Another
    clerk at the window answers 409."""
    now = now or timezone.now()
    if CLERK not in hall_roles(user, window.hall):
        raise NotFound("未找到该窗口", "window")
    with transaction.atomic():
        User.objects.select_for_update().filter(pk=user.pk).first()
        current = WindowSession.objects.filter(clerk=user, status__in=WindowSession.OPEN).first()
        if current is not None and current.window_id == window.pk:
            return current
        if Ticket.objects.filter(clerk=user, status=T.CALLED).exists():
            raise Conflict("您还有已呼叫未办结的号，请先办结、转移或标记过号", "ticket")
        if current is not None:
            _close(current, user, now)
        session = WindowSession(
            window=window, clerk=user, started_at=now, services=offer.window_services(window)
        )
        try:
            with transaction.atomic():
                engine.create(
                    SESSION,
                    session,
                    "sign_in",
                    roles={CLERK},
                    actor=user,
                    at=now,
                    save_as="session_id",
                    window=window.code,
                )
        except IntegrityError:
            raise Conflict(f"{window.number}号窗口已有工作人员签到", "window") from None
    return session


def _close(session: WindowSession, actor, now, roles=frozenset({CLERK})) -> None:
    engine.fire(SESSION, session, "sign_out", roles=roles, actor=actor, at=now, window=session.window.code)
    session.ended_at = now
    session.save(update_fields=["status", "ended_at"])


def _own_session(user) -> WindowSession:
    """The clerk's open session, locked."""
    rows = WindowSession.objects.filter(clerk=user, status__in=WindowSession.OPEN)
    session = rows.select_for_update().select_related("window__hall").first()
    if session is None:
        raise NotFound("您尚未在任何窗口签到", "window")
    return session


def sign_out(user, *, now=None) -> None:
    now = now or timezone.now()
    with transaction.atomic():
        session = _own_session(user)
        if Ticket.objects.filter(clerk=user, status=T.CALLED).exists():
            raise Conflict("您还有已呼叫未办结的号，请先办结、转移或标记过号", "ticket")
        _close(session, user, now)


def pause(user, reason, *, now=None) -> WindowSession:
    now = now or timezone.now()
    reason = text.clean(reason, "reason", max_length=200)
    with transaction.atomic():
        session = _own_session(user)
        engine.fire(
            SESSION,
            session,
            "pause",
            roles={CLERK},
            actor=user,
            at=now,
            reason=reason,
            context={"reason": reason},
        )
        session.pause_reason = reason
        session.save(update_fields=["status", "pause_reason"])
    return session


def resume(user, *, now=None) -> WindowSession:
    now = now or timezone.now()
    with transaction.atomic():
        session = _own_session(user)
        engine.fire(SESSION, session, "resume", roles={CLERK}, actor=user, at=now)
        session.pause_reason = ""
        session.save(update_fields=["status", "pause_reason"])
    return session


# ---------------------------------------------------------------------------------- issuing


def _service(hall: Hall, code) -> Service:
    service = Service.objects.filter(code=str(code or "")[:40]).first()
    if service is None or service not in offer.offered(hall):
        raise Invalid("本大厅不办理该业务，请重新选择", "service")
    return service


def issue(
    user,
    hall: Hall,
    service_code,
    *,
    id_number: str = "",
    name: str = "",
    priority_reason: str = "",
    appointment=None,
    application_number: str = "",
    now=None,
) -> Ticket:
    """A number for ``service_code`` at ``hall``.

    Who: a kiosk or clerk or 帮办 staff of the hall for anyone (optionally with an ID number),
    or a signed-in person for themself (by phone). Priority: the clerk may give a reason
    (残疾人、孕妇 …); otherwise it is read from the ID number (age ≥ the hall's threshold).
    With an ``appointment`` (already marked arrived by the caller) the ticket is served at its time.
    """
    now = now or timezone.now()
    roles = hall_roles(user, hall)
    channel = "kiosk" if KIOSK in roles else "window" if roles & {CLERK, ASSISTANT} else "mobile"
    person = service = None
    if appointment is not None:
        roles, channel, person = roles | {SYSTEM}, "appointment", appointment.person
        service = appointment.service
    elif not roles:
        if not getattr(user, "is_authenticated", False):
            raise NotPermitted("请先登录后再取号")
        if user.has_role(StaffRole.KIOSK):  # a device account is not a person, and only serves its hall
            raise NotFound("未找到该大厅", "hall")
        roles, person = {PERSON}, user
        id_number = user.id_number or ""
        name = user.real_name or ""
    service = service or _service(hall, service_code)
    id_number = text.clean(id_number, "id_number", max_length=18).upper()
    if id_number:
        reason = codes.validate_id_number(id_number)
        if reason:
            raise Invalid(f"公民身份号码{reason}", "id_number")
        if person is None:
            person = User.objects.filter(id_number=id_number).first()
    name = text.clean(name, "name", max_length=50) or (person.real_name if person else "")
    if priority_reason and priority_reason not in rules.PRIORITY_REASONS:
        raise Invalid("优先原因应为：" + "、".join(rules.PRIORITY_REASONS.values()), "priority_reason")
    if priority_reason and not roles & {CLERK, ASSISTANT}:
        raise NotPermitted("优先资格由窗口工作人员核验后给出", "priority_reason")
    settings = policy(hall)
    day = timezone.localdate(now)
    priority_reason = priority_reason or rules.priority_from_id(id_number, day, settings.priority_age)
    application_number = text.clean(application_number, "application", max_length=40)
    with transaction.atomic():
        counter, _ = QueueDay.objects.get_or_create(hall=hall, service=service, day=day)
        counter = QueueDay.objects.select_for_update().get(pk=counter.pk)
        if roles == {PERSON}:  # one number at a time per person and service (no hoarding by phone)
            held = Ticket.objects.filter(
                person=person, hall=hall, service=service, day=day, status__in=[T.WAITING, T.CALLED]
            ).first()
            if held is not None:
                raise Conflict(f"您已取得{service.name}的号 {held.number}，请勿重复取号", "service")
        counter.last += 1
        counter.save(update_fields=["last"])
        ticket = Ticket(
            hall=hall,
            service=service,
            day=day,
            number=rules.number(service.prefix, counter.last),
            channel=channel,
            priority=bool(priority_reason),
            priority_reason=priority_reason,
            person=person,
            name=name,
            id_number=id_number,
            appointment=appointment,
            appointment_at=appointment.start if appointment is not None else None,
            application_number=application_number,
            issued_at=now,
            issued_by=user if getattr(user, "is_authenticated", False) else None,
        )
        engine.create(
            TICKET,
            ticket,
            "issue",
            roles=roles,
            actor=ticket.issued_by,
            at=now,
            save_as="ticket_id",
            number=ticket.number,
            hall=hall.code,
            service=service.code,
        )
    return ticket


# ---------------------------------------------------------------------------------- calling


def _waiting(hall_id: int | str, services: list[str], window: Window | None = None):
    rows = Ticket.objects.filter(hall_id=hall_id, status=T.WAITING, service_id__in=services)
    if window is not None:
        rows = rows.filter(Q(for_window__isnull=True) | Q(for_window=window))
    return rows


def _as_waiting(rows) -> list[queueing.Waiting]:
    return [
        queueing.Waiting(id=pk, issued_at=issued, priority=prio, appointment_at=at)
        for pk, issued, prio, at in rows.values_list("id", "issued_at", "priority", "appointment_at")
    ]


def _not_due(rows, threshold):
    return rows.filter(Q(appointment_at__isnull=True) | Q(appointment_at__gt=threshold))


def _candidates(rows, *, now, rule: queueing.Rule) -> list[queueing.Waiting]:
    """The head of each group :func:`~onething.kernel.queueing.pick` chooses among — the
    earliest due appointment, the first priority and the first normal ticket — each locked with
    ``SKIP LOCKED``: "call next" reads three rows, not the whole queue, picks exactly what it
    would pick from all of them, and a head another window holds at this instant is passed for
    the next in its group instead of waited for."""
    threshold = now + rule.grace
    rows = rows.select_for_update(skip_locked=True)
    due = rows.filter(appointment_at__lte=threshold).order_by("appointment_at", "issued_at", "id")[:1]
    rest = _not_due(rows, threshold)
    first = [rest.filter(priority=flag).order_by("issued_at", "id")[:1] for flag in (True, False)]
    return [w for head in (due, *first) for w in _as_waiting(head)]


def call_next(user, window: Window, *, now=None) -> Ticket | None:
    """Call the window's next ticket (``None``: nobody waits for it).

    The window's session row is locked (one call at a time per window and clerk); the heads of
    the queue are locked with ``SKIP LOCKED`` (:func:`_candidates`), so windows calling at the
    same instant never wait for each other and never get the same ticket. (SQLite serialises
    writing transactions instead.)
    """
    now = now or timezone.now()
    with transaction.atomic():
        session = (
            WindowSession.objects.select_for_update()
            .filter(window=window, status__in=WindowSession.OPEN)
            .first()
        )
        if session is None or session.clerk_id != user.pk:
            raise NotFound("您未在该窗口签到", "window")
        if session.status == WindowSession.Status.PAUSED:
            raise Conflict("窗口已暂停服务，请先恢复服务", "window")
        if Ticket.objects.filter(clerk=user, status=T.CALLED).exists():
            raise Conflict("您还有已呼叫未办结的号，请先办结、转移或标记过号", "ticket")
        day = timezone.localdate(now)
        rule = ordering_rule(policy(window.hall))
        rows = _waiting(window.hall_id, session.services, window).filter(day=day)
        candidates = _candidates(rows, now=now, rule=rule)
        chosen = queueing.pick(candidates, now=now, run=session.priority_run, rule=rule)
        if chosen is None:
            return None
        ticket = Ticket.objects.get(pk=chosen.id)  # locked by _candidates
        engine.fire(
            TICKET,
            ticket,
            "call",
            roles={CLERK},
            actor=user,
            at=now,
            window=window.code,
            number=ticket.number,
        )
        ticket.called_at = ticket.called_at or now
        ticket.last_called_at = now
        ticket.calls += 1
        ticket.window, ticket.session, ticket.clerk = window, session, user
        ticket.save(
            update_fields=["status", "called_at", "last_called_at", "calls", "window", "session", "clerk"]
        )
        session.priority_run = queueing.after(session.priority_run, chosen, now=now, rule=rule)
        session.save(update_fields=["priority_run"])
    return ticket


def _held(user, ticket_id) -> Ticket:
    """The ticket, locked, when ``user`` is the clerk who called it (else 404)."""
    ticket = Ticket.objects.select_for_update().filter(pk=ticket_id).first()
    if ticket is None or ticket.clerk_id != user.pk:
        raise NotFound("未找到该号", "ticket")
    return ticket


def recall(user, ticket_id, *, now=None) -> Ticket:
    now = now or timezone.now()
    with transaction.atomic():
        ticket = _held(user, ticket_id)
        engine.fire(TICKET, ticket, "recall", roles={CLERK}, actor=user, at=now, number=ticket.number)
        ticket.calls += 1
        ticket.last_called_at = now
        ticket.save(update_fields=["calls", "last_called_at"])
    return ticket


def finish(user, ticket_id, *, now=None) -> Ticket:
    now = now or timezone.now()
    with transaction.atomic():
        ticket = _held(user, ticket_id)
        engine.fire(TICKET, ticket, "finish", roles={CLERK}, actor=user, at=now, number=ticket.number)
        ticket.finished_at = now
        ticket.save(update_fields=["status", "finished_at"])
    return ticket


def no_show(user, ticket_id, *, now=None) -> Ticket:
    now = now or timezone.now()
    with transaction.atomic():
        ticket = _held(user, ticket_id)
        context = {"calls": ticket.calls, "no_show_calls": policy(ticket.hall).no_show_calls}
        engine.fire(
            TICKET,
            ticket,
            "no_show",
            roles={CLERK},
            actor=user,
            at=now,
            context=context,
            number=ticket.number,
        )
        ticket.finished_at = now
        ticket.save(update_fields=["status", "finished_at"])
    return ticket


def transfer(user, ticket_id, *, reason, window_code: str = "", service_code: str = "", now=None) -> Ticket:
    """Back to waiting, for another window of the hall or another service; keeps its number
    and its place (the time it was taken)."""
    now = now or timezone.now()
    reason = text.clean(reason, "reason", max_length=200)
    with transaction.atomic():
        ticket = _held(user, ticket_id)
        target_window = None
        if window_code:
            target_window = Window.objects.filter(
                code=str(window_code)[:40], hall_id=ticket.hall_id, active=True
            ).first()
            if target_window is None:
                raise Invalid("本大厅没有该窗口", "window")
        service = ticket.service
        if service_code:
            service = _service(ticket.hall, service_code)
        if target_window is None and service.pk == ticket.service_id:
            raise Invalid("请选择转往的窗口或业务", "window")
        engine.fire(
            TICKET,
            ticket,
            "transfer",
            roles={CLERK},
            actor=user,
            at=now,
            reason=reason,
            context={"reason": reason},
            number=ticket.number,
            window=target_window.code if target_window else "",
            service=service.code,
        )
        ticket.service = service
        ticket.for_window = target_window
        ticket.transfers += 1
        ticket.clerk = None
        ticket.save(update_fields=["status", "service", "for_window", "transfers", "clerk"])
    return ticket


def cancel(user, ticket: Ticket, *, now=None) -> Ticket:
    """The holder gives up their number."""
    now = now or timezone.now()
    with transaction.atomic():
        ticket = Ticket.objects.select_for_update().get(pk=ticket.pk)
        roles = {PERSON} if ticket.person_id and ticket.person_id == getattr(user, "pk", None) else set()
        if not roles:
            raise NotFound("未找到该号", "ticket")
        engine.fire(TICKET, ticket, "cancel", roles=roles, actor=user, at=now, number=ticket.number)
        ticket.finished_at = now
        ticket.save(update_fields=["status", "finished_at"])
    return ticket


def expire_past(now=None) -> int:
    """Void tickets still waiting from an earlier day (the nightly task)."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    done = 0
    for pk in Ticket.objects.filter(status=T.WAITING, day__lt=today).values_list("pk", flat=True)[:5000]:
        with transaction.atomic():
            ticket = Ticket.objects.select_for_update().get(pk=pk)
            if ticket.status != T.WAITING:
                continue
            engine.fire(TICKET, ticket, "expire", roles={SYSTEM}, at=now, number=ticket.number)
            ticket.save(update_fields=["status"])
            done += 1
    return done


def ahead(ticket: Ticket, *, now=None) -> int:
    """How many one window would call before ``ticket`` among the hall's tickets of its service
    (0 when it is no longer waiting): counted, not simulated (``queueing.ahead``)."""
    if ticket.status != T.WAITING:
        return 0
    now = now or timezone.now()
    rule = ordering_rule(policy(ticket.hall))
    threshold = now + rule.grace
    rows = _waiting(ticket.hall_id, [ticket.service_id]).filter(day=ticket.day).exclude(pk=ticket.pk)
    due = rows.filter(appointment_at__lte=threshold)
    if ticket.appointment_at is not None and ticket.appointment_at <= threshold:
        key = (ticket.appointment_at, ticket.issued_at, ticket.pk)
        return sum(1 for row in due.values_list("appointment_at", "issued_at", "id") if row < key)
    rest = _not_due(rows, threshold)
    same = rest.filter(priority=ticket.priority)
    earlier = same.filter(Q(issued_at__lt=ticket.issued_at) | Q(issued_at=ticket.issued_at, id__lt=ticket.pk))
    return due.count() + queueing.ahead(
        priority=ticket.priority,
        earlier_same=earlier.count(),
        others=rest.filter(priority=not ticket.priority).count(),
        run=0,
        rule=rule,
    )
