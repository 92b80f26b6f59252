"""Appointments (预约): the slots a hall offers, booking, cancelling, rescheduling, arriving.

- :func:`ensure_slots` — materialise :class:`~onething.halls.models.Slot` rows for the days a
  hall is open (the official calendar with its 调休, or every day; minus its closures), its
  sessions cut into ``slot_minutes``, each with the capacity of the windows serving the service.
- :func:`slots_for` — the slots of one day that can be booked now, with the places left.
- :func:`book` / :func:`hold` + :func:`confirm` — a place for the signed-in person. A seat is
  taken with one guarded ``UPDATE`` (``booked < capacity``), so two people never get the last
  place; ``booked`` counts held and booked appointments.
- :func:`cancel` (late when within ``late_cancel_hours``), :func:`reschedule` (a new record,
  the old one kept with its reason), :func:`arrive` / :func:`arrive_by_code` (a ticket served
  at its time).
- :func:`expire_holds`, :func:`mark_no_shows`, :func:`send_reminders` — the periodic tasks.
- :func:`counts` — what happened to a hall's appointments in a period.

Every change goes through the engine (``machines.APPOINTMENT``) in one transaction that locks
the appointment (or the person, when booking) first.
"""

from __future__ import annotations

import datetime as dt
import secrets
from zoneinfo import ZoneInfo

from django.conf import settings as django_settings
from django.db import transaction
from django.db.models import Count, F
from django.utils import timezone

from onething.accounts.models import User
from onething.calendar.service import YearNotLoaded, get_calendar
from onething.core import text
from onething.directory.models import Hall
from onething.halls import offer, queue, rules
from onething.halls.machines import APPOINTMENT, PERSON, SYSTEM
from onething.halls.models import Appointment, Closure, HallPolicy, Service, Slot, Ticket
from onething.kernel.errors import Conflict, Invalid, NotFound, NotPermitted
from onething.notifications.service import notify
from onething.workflow import engine

A = Appointment.Status
#: the states that hold a seat of their slot
HOLDING = (A.HELD, A.BOOKED)
#: a short reference read out at the kiosk: no 0/O, 1/I
CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 8
LINK = "/halls/appointments/"


def zone() -> ZoneInfo:
    return ZoneInfo(django_settings.TIME_ZONE)


def local_day(moment: dt.datetime) -> dt.date:
    return moment.astimezone(zone()).date()


def _at(day: dt.date, hhmm: str) -> dt.datetime:
    """``day`` at ``"HH:MM"`` local time (``"24:00"``: the end of the day)."""
    hours, minutes = (int(part) for part in str(hhmm).split(":", 1))
    if not (0 <= hours <= 24 and 0 <= minutes < 60) or (hours == 24 and minutes):
        raise ValueError(hhmm)
    if hours == 24:
        return dt.datetime.combine(day + dt.timedelta(days=1), dt.time(0, 0), tzinfo=zone())
    return dt.datetime.combine(day, dt.time(hours, minutes), tzinfo=zone())


def day_bounds(day: dt.date) -> tuple[dt.datetime, dt.datetime]:
    return _at(day, "00:00"), _at(day, "24:00")


def sessions(hall: Hall) -> list[tuple[str, str]]:
    rows = (hall.opening or {}).get("sessions") or rules.DEFAULT_SESSIONS
    return [(str(first), str(last)) for first, last in rows]


def closed_days(hall: Hall, first: dt.date, last: dt.date) -> set[dt.date]:
    out: set[dt.date] = set()
    for closure in Closure.objects.filter(hall=hall, first_day__lte=last, last_day__gte=first):
        day = max(closure.first_day, first)
        while day <= min(closure.last_day, last):
            out.add(day)
            day += dt.timedelta(days=1)
    return out


def is_open(hall: Hall, day: dt.date, *, closed: set[dt.date] | None = None) -> bool:
    """Whether ``hall`` takes visitors on ``day``: a working day of the official calendar (调休
    included; a year not loaded: closed) or every day for ``every_day`` halls; not a closure."""
    closed = closed_days(hall, day, day) if closed is None else closed
    if day in closed:
        return False
    if (hall.opening or {}).get("every_day"):
        return True
    try:
        return get_calendar().is_workday(day)
    except YearNotLoaded:
        return False


def _periods(hall: Hall, day: dt.date, minutes: int) -> list[tuple[dt.datetime, dt.datetime]]:
    step = dt.timedelta(minutes=minutes)
    out = []
    for first, last in sessions(hall):
        try:
            start, end = _at(day, first), _at(day, last)
        except ValueError:
            continue
        while start + step <= end:
            out.append((start, start + step))
            start += step
    return out


def capacities(hall: Hall, settings: HallPolicy | None = None) -> dict[str, int]:
    """Service code → places per slot: active windows serving it × ``per_window`` (bookable only)."""
    settings = settings or queue.policy(hall)
    by_window = offer.hall_services(hall)
    out = {}
    for service in offer.offered(hall, by_window):
        if not service.bookable:
            continue
        windows = sum(1 for served in by_window.values() if service.code in served)
        if windows * settings.per_window:
            out[service.code] = windows * settings.per_window
    return out


def open_days(
    hall: Hall, *, today: dt.date | None = None, settings: HallPolicy | None = None
) -> list[dt.date]:
    """The days within the booking horizon (today and the ``horizon_days - 1`` after) the hall is open."""
    settings = settings or queue.policy(hall)
    today = today or timezone.localdate()
    last = today + dt.timedelta(days=max(settings.horizon_days, 1) - 1)
    closed = closed_days(hall, today, last)
    days = [today + dt.timedelta(days=i) for i in range((last - today).days + 1)]
    return [d for d in days if is_open(hall, d, closed=closed)]


def ensure_slots(hall: Hall, *, days: int | None = None, today: dt.date | None = None) -> int:
    """Create the missing slots of ``hall`` for ``days`` days from ``today`` (default: the
    policy's horizon). Existing slots are left as they are. Returns how many were created."""
    settings = queue.policy(hall)
    today = today or timezone.localdate()
    days = settings.horizon_days if days is None else days
    if days <= 0:
        return 0
    last = today + dt.timedelta(days=days - 1)
    places = capacities(hall, settings)
    if not places:
        return 0
    closed = closed_days(hall, today, last)
    wanted = []
    for i in range(days):
        day = today + dt.timedelta(days=i)
        if is_open(hall, day, closed=closed):
            wanted.extend(_periods(hall, day, max(settings.slot_minutes, 5)))
    if not wanted:
        return 0
    low, high = day_bounds(today)[0], day_bounds(last)[1]
    existing = set(
        Slot.objects.filter(hall=hall, start__gte=low, start__lt=high).values_list("service_id", "start")
    )
    new = [
        Slot(hall=hall, service_id=code, start=start, end=end, capacity=capacity)
        for code, capacity in places.items()
        for start, end in wanted
        if (code, start) not in existing
    ]
    Slot.objects.bulk_create(new, ignore_conflicts=True, batch_size=500)
    return len(new)


# ---------------------------------------------------------------------------------- reading


def _hall(hall) -> Hall:
    if isinstance(hall, Hall):
        return hall
    found = Hall.objects.filter(code=str(hall or "")[:40]).first()
    if found is None:
        raise NotFound("未找到该大厅", "hall")
    return found


def _service(hall: Hall, service) -> Service:
    code = service.code if isinstance(service, Service) else service
    found = Service.objects.filter(code=str(code or "")[:40]).first()
    if found is None or not found.bookable or found.code not in capacities(hall):
        raise Invalid("本大厅不提供该业务的预约，请重新选择", "service")
    return found


def _window(settings: HallPolicy, now: dt.datetime) -> tuple[dt.datetime, dt.datetime]:
    """The earliest start that can be booked at ``now`` and the end of the horizon."""
    earliest = now + dt.timedelta(minutes=settings.min_notice_minutes)
    last = local_day(now) + dt.timedelta(days=max(settings.horizon_days, 1) - 1)
    return earliest, day_bounds(last)[1]


def slots_for(hall, service, day: dt.date, *, now=None) -> list[dict]:
    """The slots of ``service`` at ``hall`` on ``day`` that can be booked at ``now``:
    ``{"start", "end", "capacity", "left"}``, in time order (full ones with ``left`` 0)."""
    now = now or timezone.now()
    hall = _hall(hall)
    service = _service(hall, service)
    settings = queue.policy(hall)
    earliest, horizon = _window(settings, now)
    low, high = day_bounds(day)
    if high <= earliest or low >= horizon or not is_open(hall, day):
        return []
    ensure_slots(hall, days=1, today=day)
    rows = Slot.objects.filter(
        hall=hall, service=service, start__gte=max(low, earliest), start__lt=min(high, horizon)
    ).order_by("start")
    return [
        {"start": s.start, "end": s.end, "capacity": s.capacity, "left": max(s.capacity - s.booked, 0)}
        for s in rows
    ]


def mine(user):
    """The person's appointments, newest start first."""
    return Appointment.objects.filter(person_id=getattr(user, "pk", None)).select_related("hall", "service")


def visible(user, appointment_id) -> Appointment:
    """The person's own appointment (anyone else's, or none: 404)."""
    try:
        pk = int(appointment_id)
    except (TypeError, ValueError):
        pk = 0
    found = mine(user).filter(pk=pk).first() if 0 < pk < 2**63 else None
    if found is None:
        raise NotFound("未找到该预约", "appointment")
    return found


def parse_start(value) -> dt.datetime:
    """An ISO 8601 time from a form or the API (naive: Beijing time), or Invalid naming "start"."""
    from django.utils.dateparse import parse_datetime

    if isinstance(value, dt.datetime):
        moment = value
    else:
        raw = text.clean(value, "start", max_length=40)
        try:
            moment = parse_datetime(raw) if raw else None
        except ValueError:
            moment = None
        if moment is None:
            raise Invalid("预约时间格式不正确，请重新选择时段", "start")
    if timezone.is_naive(moment):
        moment = moment.replace(tzinfo=zone())
    return moment


# ---------------------------------------------------------------------------------- booking


def _new_code() -> str:
    while True:
        code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
        if not Appointment.objects.filter(code=code).exists():
            return code


def _release(slot_id: int) -> None:
    Slot.objects.filter(pk=slot_id, booked__gt=0).update(booked=F("booked") - 1)


def _take(slot: Slot) -> bool:
    """One guarded statement: a seat of ``slot`` if one is left."""
    return bool(Slot.objects.filter(pk=slot.pk, booked__lt=F("capacity")).update(booked=F("booked") + 1))


def _expire_stale(slot: Slot, now: dt.datetime) -> int:
    """Holds of ``slot`` past their time, expired now (so a full slot frees their seats)."""
    done = 0
    for pk in Appointment.objects.filter(slot=slot, status=A.HELD, held_until__lt=now).values_list(
        "pk", flat=True
    ):
        done += _expire_one(pk, now)
    return done


def _when(appointment: Appointment) -> str:
    start, end = appointment.start.astimezone(zone()), appointment.end.astimezone(zone())
    return f"{start:%Y-%m-%d %H:%M}—{end:%H:%M}"


def arrival_from(appointment: Appointment) -> dt.datetime:
    return appointment.start - rules.ARRIVAL_EARLY


def _told_booked(appointment: Appointment, verb: str = "预约成功") -> None:
    notify(
        appointment.person,
        "halls.appointment",
        f"{verb}：{appointment.hall.name}",
        f"{appointment.service.name}，{_when(appointment)}，预约号 {appointment.code}。"
        f"请于预约时间前 {int(rules.ARRIVAL_EARLY.total_seconds() // 60)} 分钟内到"
        f"{appointment.hall.address or appointment.hall.name}签到。",
        LINK,
    )


def _book(
    user,
    hall: Hall,
    service: Service,
    start: dt.datetime,
    *,
    event: str,
    application_number: str,
    now: dt.datetime,
    replacing: Appointment | None = None,
) -> Appointment:
    """The new appointment, inside the caller's transaction (which has locked the person)."""
    settings = queue.policy(hall)
    earliest, horizon = _window(settings, now)
    if start < earliest:
        raise Invalid(f"请至少提前 {settings.min_notice_minutes} 分钟预约，请选择更晚的时段", "start")
    if start >= horizon:
        raise Invalid(f"只能预约 {settings.horizon_days} 天内的时段", "start")
    day = local_day(start)
    if not is_open(hall, day):
        raise Invalid("该日大厅不开放预约，请选择其他日期", "start")
    ensure_slots(hall, days=1, today=day)
    slot = Slot.objects.filter(hall=hall, service=service, start=start).first()
    if slot is None:
        raise Invalid("该时间不是可预约的时段，请重新选择", "start")
    low, high = day_bounds(day)
    same_day = Appointment.objects.filter(
        person=user, hall=hall, status__in=HOLDING, start__gte=low, start__lt=high
    )
    if replacing is not None:
        same_day = same_day.exclude(pk=replacing.pk)
    if same_day.count() >= settings.per_person_per_day:
        raise Conflict(
            f"您在{hall.name}当天已有预约（每人每天限 {settings.per_person_per_day} 次），如需换时间请改约",
            "start",
        )
    if not _take(slot) and not (_expire_stale(slot, now) and _take(slot)):
        raise Conflict("该时段已约满，请选择其他时段", "start")
    appointment = Appointment(
        code=_new_code(),
        person=user,
        hall=hall,
        service=service,
        slot=slot,
        start=slot.start,
        end=slot.end,
        held_until=now + dt.timedelta(minutes=settings.hold_minutes) if event == "hold" else None,
        application_number=application_number,
        created_at=now,
    )
    engine.create(
        APPOINTMENT,
        appointment,
        event,
        roles={PERSON},
        actor=user,
        at=now,
        save_as="appointment_id",
        code=appointment.code,
        hall=hall.code,
        service=service.code,
        start=slot.start.isoformat(),
    )
    return appointment


def _lock_person(user) -> None:
    if not getattr(user, "is_authenticated", False):
        raise NotPermitted("请先登录后再预约")
    User.objects.select_for_update().filter(pk=user.pk).first()


def _create(user, hall, service_code, start, *, event, application_number, now) -> Appointment:
    now = now or timezone.now()
    if not getattr(user, "is_authenticated", False):
        raise NotPermitted("请先登录后再预约")
    hall = _hall(hall)
    service = _service(hall, service_code)
    start = parse_start(start)
    application_number = text.clean(application_number, "application", max_length=40)
    with transaction.atomic():
        _lock_person(user)
        appointment = _book(
            user, hall, service, start, event=event, application_number=application_number, now=now
        )
        if event == "book":
            _told_booked(appointment)
    return appointment


def book(user, hall, service_code, start, *, application_number: str = "", now=None) -> Appointment:
    """Book ``start`` (a slot's start) of ``service_code`` at ``hall`` for the signed-in person."""
    return _create(
        user, hall, service_code, start, event="book", application_number=application_number, now=now
    )


def hold(user, hall, service_code, start, *, application_number: str = "", now=None) -> Appointment:
    """Hold a place for ``hold_minutes`` while the person confirms (:func:`confirm`)."""
    return _create(
        user, hall, service_code, start, event="hold", application_number=application_number, now=now
    )


def _locked(user, appointment_id) -> Appointment:
    pk = visible(user, appointment_id).pk
    return Appointment.objects.select_for_update().select_related("hall", "service", "person").get(pk=pk)


def confirm(user, appointment_id, *, now=None) -> Appointment:
    now = now or timezone.now()
    with transaction.atomic():
        appointment = _locked(user, appointment_id)
        if appointment.status == A.HELD and appointment.held_until and appointment.held_until < now:
            raise Conflict("锁定已过期，请重新选择时段", "appointment")
        engine.fire(
            APPOINTMENT, appointment, "confirm", roles={PERSON}, actor=user, at=now, code=appointment.code
        )
        appointment.held_until = None
        appointment.save(update_fields=["status", "held_until"])
        _told_booked(appointment)
    return appointment


def cancel(user, appointment_id, reason, *, now=None) -> Appointment:
    """The person cancels; within ``late_cancel_hours`` of the start it is a late cancel."""
    now = now or timezone.now()
    reason = text.clean(reason, "reason", max_length=200)
    with transaction.atomic():
        appointment = _locked(user, appointment_id)
        if appointment.status in HOLDING and appointment.end <= now:
            raise Conflict("预约时段已过，无法取消", "appointment")
        late = dt.timedelta(hours=queue.policy(appointment.hall).late_cancel_hours)
        target = (
            A.LATE_CANCELLED
            if appointment.status == A.BOOKED and appointment.start - now < late
            else A.CANCELLED
        )
        engine.fire(
            APPOINTMENT,
            appointment,
            "cancel",
            roles={PERSON},
            actor=user,
            at=now,
            reason=reason,
            target=target,
            context={"reason": reason},
            code=appointment.code,
        )
        appointment.reason = reason
        appointment.ended_at = now
        appointment.save(update_fields=["status", "reason", "ended_at"])
        _release(appointment.slot_id)
        notify(
            appointment.person,
            "halls.appointment",
            f"预约已取消：{appointment.hall.name}",
            f"{appointment.service.name}，{_when(appointment)}，预约号 {appointment.code}。",
            LINK,
        )
    return appointment


def reschedule(user, appointment_id, start, reason, *, now=None) -> Appointment:
    """A new booking at ``start`` (same hall and service); the old one becomes 已改约 with the
    reason and points to the new one. One transaction: both or neither."""
    now = now or timezone.now()
    reason = text.clean(reason, "reason", max_length=200)
    start = parse_start(start)
    with transaction.atomic():
        _lock_person(user)
        old = _locked(user, appointment_id)
        engine.check(APPOINTMENT, old.status, "reschedule", {PERSON}, context={"reason": reason})
        if start == old.start:
            raise Invalid("新时段与原预约相同，请选择其他时段", "start")
        new = _book(
            user,
            old.hall,
            old.service,
            start,
            event="book",
            application_number=old.application_number,
            now=now,
            replacing=old,
        )
        engine.fire(
            APPOINTMENT,
            old,
            "reschedule",
            roles={PERSON},
            actor=user,
            at=now,
            reason=reason,
            context={"reason": reason},
            code=old.code,
            new=new.code,
        )
        old.reason = reason
        old.rescheduled_to = new
        old.ended_at = now
        old.save(update_fields=["status", "reason", "rescheduled_to", "ended_at"])
        _release(old.slot_id)
        _told_booked(new, "改约成功")
    return new


# ---------------------------------------------------------------------------------- arriving


def can_arrive(appointment: Appointment, now=None) -> bool:
    now = now or timezone.now()
    return appointment.status == A.BOOKED and arrival_from(appointment) <= now < appointment.end


def arrive(user, appointment_id, *, hall: Hall | None = None, now=None) -> Ticket:
    """Check in: the person themself, or a kiosk / clerk / 帮办 of the appointment's hall; from
    ``ARRIVAL_EARLY`` before the start until the end. Returns the ticket (served at its time)."""
    now = now or timezone.now()
    try:
        pk = int(appointment_id)
    except (TypeError, ValueError):
        pk = 0
    found = Appointment.objects.select_related("hall").filter(pk=pk).first() if 0 < pk < 2**63 else None
    if found is None or (hall is not None and found.hall_id != hall.pk):
        raise NotFound("未找到该预约", "appointment")
    roles = queue.hall_roles(user, found.hall)
    if getattr(user, "pk", None) is not None and found.person_id == user.pk:
        roles = roles | {PERSON}
    if not roles:
        raise NotFound("未找到该预约", "appointment")
    with transaction.atomic():
        appointment = (
            Appointment.objects.select_for_update().select_related("hall", "service", "person").get(pk=pk)
        )
        if appointment.status == A.BOOKED:
            if now < arrival_from(appointment):
                minutes = int(rules.ARRIVAL_EARLY.total_seconds() // 60)
                raise Conflict(f"请在预约时间前 {minutes} 分钟内签到（{_when(appointment)}）", "appointment")
            if now >= appointment.end:
                raise Conflict("预约时段已过，请现场取号", "appointment")
        engine.fire(
            APPOINTMENT, appointment, "arrive", roles=roles, actor=user, at=now, code=appointment.code
        )
        appointment.ended_at = now
        appointment.save(update_fields=["status", "ended_at"])
        ticket = queue.issue(
            user,
            appointment.hall,
            None,
            appointment=appointment,
            application_number=appointment.application_number,
            now=now,
        )
    return ticket


def arrive_by_code(user, hall, code, *, now=None) -> Ticket:
    """The kiosk's check-in by the appointment's code (exact, case-insensitive)."""
    hall = _hall(hall)
    code = text.clean(code, "code", max_length=20).strip().upper()
    found = Appointment.objects.filter(hall=hall, code=code).first() if code else None
    if found is None:
        raise NotFound("未找到该预约号，请核对后重新输入", "code")
    return arrive(user, found.pk, hall=hall, now=now)


# ---------------------------------------------------------------------------------- periodic


def _expire_one(pk: int, now: dt.datetime) -> int:
    with transaction.atomic():
        appointment = Appointment.objects.select_for_update().filter(pk=pk).first()
        if appointment is None or appointment.status != A.HELD or not appointment.held_until:
            return 0
        if appointment.held_until >= now:
            return 0
        engine.fire(APPOINTMENT, appointment, "expire", roles={SYSTEM}, at=now, code=appointment.code)
        appointment.ended_at = now
        appointment.save(update_fields=["status", "ended_at"])
        _release(appointment.slot_id)
    return 1


def expire_holds(now=None) -> int:
    """Holds not confirmed in time: 锁定已过期, the seat freed."""
    now = now or timezone.now()
    rows = Appointment.objects.filter(status=A.HELD, held_until__lt=now).values_list("pk", flat=True)
    return sum(_expire_one(pk, now) for pk in list(rows[:5000]))


def mark_no_shows(now=None) -> int:
    """Booked appointments nobody arrived for by ``NO_SHOW_AFTER`` after their end: 爽约."""
    now = now or timezone.now()
    rows = Appointment.objects.filter(status=A.BOOKED, end__lte=now - rules.NO_SHOW_AFTER)
    done = 0
    for pk in list(rows.values_list("pk", flat=True)[:5000]):
        with transaction.atomic():
            appointment = Appointment.objects.select_for_update().get(pk=pk)
            if appointment.status != A.BOOKED:
                continue
            engine.fire(APPOINTMENT, appointment, "miss", roles={SYSTEM}, at=now, code=appointment.code)
            appointment.save(update_fields=["status"])
            done += 1
    return done


def send_reminders(now=None) -> int:
    """The day before: tell each person with a booking tomorrow (once: ``reminded_at``)."""
    now = now or timezone.now()
    low, high = day_bounds(local_day(now) + dt.timedelta(days=1))
    rows = Appointment.objects.filter(
        status=A.BOOKED, reminded_at__isnull=True, start__gte=low, start__lt=high
    )
    done = 0
    for pk in list(rows.values_list("pk", flat=True)[:5000]):
        with transaction.atomic():
            appointment = (
                Appointment.objects.select_for_update().select_related("hall", "service", "person").get(pk=pk)
            )
            if appointment.status != A.BOOKED or appointment.reminded_at is not None:
                continue
            hall = appointment.hall
            notify(
                appointment.person,
                "halls.reminder",
                f"明天的预约：{hall.name}",
                f"{appointment.service.name}，{_when(appointment)}，地址：{hall.address or hall.name}，"
                f"预约号 {appointment.code}。请于预约时间前到达并签到，不能前往请提前取消。",
                LINK,
            )
            appointment.reminded_at = now
            appointment.save(update_fields=["reminded_at"])
            done += 1
    return done


def counts(hall, first_day: dt.date, last_day: dt.date) -> dict:
    """Appointments of ``hall`` starting between the days (inclusive), by outcome."""
    hall = _hall(hall)
    low, high = day_bounds(first_day)[0], day_bounds(last_day)[1]
    rows = (
        Appointment.objects.filter(hall=hall, start__gte=low, start__lt=high)
        .values("status")
        .annotate(n=Count("pk"))
    )
    found = {row["status"]: row["n"] for row in rows}
    out = {status: found.get(status, 0) for status in A.values}
    out["total"] = sum(found.values())
    return out
