"""Slots and appointments API (PRODUCT.md C6).

- ``GET /halls/{hall}/slots?service=&date=YYYY-MM-DD`` (public) — the day's bookable slots;
- ``POST /appointments`` {"hall","service","start","application"?} — 201, or 409 when full;
- ``GET /appointments`` (mine), ``GET /appointments/{id}`` (mine; anyone else's: 404);
- ``POST /appointments/{id}/cancel`` {"reason"}, ``/reschedule`` {"start","reason"},
  ``/arrive`` (201: the ticket).

Times are ISO 8601 in Beijing time (``+08:00``).
"""

from __future__ import annotations

import datetime as dt

from django.http import HttpRequest
from ninja import Router, Schema
from ninja.responses import Status

from onething.accounts.auth import authenticated
from onething.core.errors import responses
from onething.core.text import Date, RowId, Text
from onething.halls import booking
from onething.halls.api import QueueTicketOut, ticket_out
from onething.halls.models import Appointment

slots_router = Router(tags=["halls"], auth=authenticated)
appointments_router = Router(tags=["halls"], auth=authenticated)


def iso(moment: dt.datetime) -> str:
    return moment.astimezone(booking.zone()).isoformat()


class SlotOut(Schema):
    start: str
    end: str
    capacity: int
    left: int


class SlotList(Schema):
    slots: list[SlotOut]


@slots_router.get(
    "/{hall}/slots", auth=None, response=responses(SlotList, 404), summary="某日可预约时段（公开）"
)
def slots(request: HttpRequest, hall: Text(40), service: Text(40), date: Date()) -> dict:
    rows = booking.slots_for(hall, service, date)
    return {"slots": [{**row, "start": iso(row["start"]), "end": iso(row["end"])} for row in rows]}


class AppointmentIn(Schema):
    hall: Text(40)
    service: Text(40)
    start: Text(40)
    application: Text(40) | None = None


class CancelIn(Schema):
    reason: Text(200) = ""


class RescheduleIn(Schema):
    start: Text(40)
    reason: Text(200) = ""


class AppointmentOut(Schema):
    id: int
    code: str
    hall: str
    hall_name: str
    service: str
    service_name: str
    start: str
    end: str
    status: str
    status_name: str
    reason: str
    rescheduled_to: int | None
    can_arrive: bool


class AppointmentList(Schema):
    results: list[AppointmentOut]


def appointment_out(appointment: Appointment) -> dict:
    return {
        "id": appointment.pk,
        "code": appointment.code,
        "hall": appointment.hall_id,
        "hall_name": appointment.hall.name,
        "service": appointment.service_id,
        "service_name": appointment.service.name,
        "start": iso(appointment.start),
        "end": iso(appointment.end),
        "status": appointment.status,
        "status_name": appointment.get_status_display(),
        "reason": appointment.reason,
        "rescheduled_to": appointment.rescheduled_to_id,
        "can_arrive": booking.can_arrive(appointment),
    }


@appointments_router.post(
    "", response=responses(AppointmentOut, 401, 403, 404, 409, status=201), summary="预约时段"
)
def create(request: HttpRequest, payload: AppointmentIn):
    appointment = booking.book(
        request.auth,
        payload.hall,
        payload.service,
        booking.parse_start(payload.start),
        application_number=payload.application or "",
    )
    return Status(201, appointment_out(appointment))


@appointments_router.get("", response=responses(AppointmentList, 401), summary="我的预约")
def my_appointments(request: HttpRequest) -> dict:
    rows = booking.mine(request.auth).order_by("-start")[:200]
    return {"results": [appointment_out(a) for a in rows]}


@appointments_router.get(
    "/{appointment_id}", response=responses(AppointmentOut, 401, 404), summary="一条预约"
)
def get_appointment(request: HttpRequest, appointment_id: RowId) -> dict:
    return appointment_out(booking.visible(request.auth, appointment_id))


@appointments_router.post(
    "/{appointment_id}/cancel", response=responses(AppointmentOut, 401, 403, 404, 409), summary="取消预约"
)
def cancel(request: HttpRequest, appointment_id: RowId, payload: CancelIn) -> dict:
    return appointment_out(booking.cancel(request.auth, appointment_id, payload.reason))


@appointments_router.post(
    "/{appointment_id}/reschedule",
    response=responses(AppointmentOut, 401, 403, 404, 409, status=201),
    summary="改约（新预约；原预约记为已改约）",
)
def reschedule(request: HttpRequest, appointment_id: RowId, payload: RescheduleIn):
    new = booking.reschedule(request.auth, appointment_id, booking.parse_start(payload.start), payload.reason)
    return Status(201, appointment_out(new))


@appointments_router.post(
    "/{appointment_id}/arrive",
    response=responses(QueueTicketOut, 401, 403, 404, 409, status=201),
    summary="到达签到（取得排队号）",
)
def arrive(request: HttpRequest, appointment_id: RowId):
    return Status(201, ticket_out(booking.arrive(request.auth, appointment_id)))
