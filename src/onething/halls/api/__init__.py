"""大厅与排队 API (``/api/v1/halls``, ``/api/v1/queue``).

Public interfaces (PRODUCT.md C6): ``GET /halls``; ``POST /queue/tickets``;
``POST /queue/windows/{window}/call-next``; ``POST /queue/tickets/{id}/finish`` and
``/no-show``. The rest is ours: signing in and out at a window, pause and resume, recall and
transfer, one ticket's position. Slots and appointments are in ``api/appointments.py``.
"""

from __future__ import annotations

from django.http import HttpRequest
from ninja import Router, Schema
from ninja.responses import Status

from onething.accounts.auth import authenticated
from onething.core.errors import responses
from onething.core.text import RowId, Text
from onething.directory.models import Hall, Region, within_q
from onething.halls import offer, queue
from onething.halls.models import Ticket, WindowSession
from onething.kernel.errors import NotFound

router = Router(tags=["halls"], auth=authenticated)
queue_router = Router(tags=["halls"], auth=authenticated)


class ServiceOut(Schema):
    code: str
    name: str


class WindowOut(Schema):
    code: str
    name: str
    number: str
    zone: str
    comprehensive: bool
    services: list[str]
    clerk: str | None
    status: str | None


class HallOut(Schema):
    code: str
    name: str
    kind: str
    kind_name: str
    region: str
    address: str
    windows: list[WindowOut]
    services: list[ServiceOut]


class HallList(Schema):
    results: list[HallOut]


def hall_out(hall: Hall, sessions: dict) -> dict:
    by_window = offer.hall_services(hall)
    windows = []
    for window in hall.windows.filter(active=True).order_by("number"):
        session = sessions.get(window.pk)
        windows.append(
            {
                "code": window.code,
                "name": window.name,
                "number": window.number,
                "zone": window.zone,
                "comprehensive": window.comprehensive,
                "services": by_window.get(window.code, []),
                "clerk": session.clerk.username if session else None,
                "status": session.status if session else None,
            }
        )
    return {
        "code": hall.code,
        "name": hall.name,
        "kind": hall.kind,
        "kind_name": hall.get_kind_display(),
        "region": hall.region_id,
        "address": hall.address,
        "windows": windows,
        "services": [{"code": s.code, "name": s.name} for s in offer.offered(hall, by_window)],
    }


def open_sessions() -> dict:
    rows = WindowSession.objects.filter(status__in=WindowSession.OPEN).select_related("clerk")
    return {s.window_id: s for s in rows}


@router.get("", auth=None, response=responses(HallList), summary="服务大厅、窗口与排队业务（公开）")
def halls(request: HttpRequest, region: Text(12) | None = None) -> dict:
    rows = Hall.objects.select_related("region")
    if region:  # the halls of that region and the regions below it (not a code merely alike)
        rows = rows.filter(within_q(Region.objects.filter(code=region)))
    sessions = open_sessions()
    return {"results": [hall_out(h, sessions) for h in rows.order_by("region__path", "code")]}


class QueueTicketIn(Schema):
    hall: Text(40)
    service: Text(40)
    id_number: Text(18) | None = None
    name: Text(50) | None = None
    priority_reason: Text(20) | None = None
    appointment: RowId | None = None
    application: Text(40) | None = None


class QueueTicketOut(Schema):
    id: int
    number: str
    service: str
    service_name: str
    hall: str
    priority: bool
    status: str
    ahead: int
    window: str | None
    url: str


class CalledTicket(Schema):
    id: int
    number: str
    service: str
    priority: bool
    calls: int


class QueueCallOut(Schema):
    ticket: CalledTicket


def ticket_out(ticket: Ticket) -> dict:
    return {
        "id": ticket.pk,
        "number": ticket.number,
        "service": ticket.service_id,
        "service_name": ticket.service.name,
        "hall": ticket.hall_id,
        "priority": ticket.priority,
        "status": ticket.status,
        "ahead": queue.ahead(ticket),
        "window": ticket.window.number if ticket.window_id else None,
        "url": f"/halls/ticket/{ticket.token}/",
    }


def called_out(ticket: Ticket) -> dict:
    return {
        "ticket": {
            "id": ticket.pk,
            "number": ticket.number,
            "service": ticket.service_id,
            "priority": ticket.priority,
            "calls": ticket.calls,
        }
    }


@queue_router.post(
    "/tickets", response=responses(QueueTicketOut, 401, 403, 404, 409, status=201), summary="取号"
)
def take_ticket(request: HttpRequest, payload: QueueTicketIn):
    hall = Hall.objects.select_related("region").filter(code=payload.hall).first()
    if hall is None:
        raise NotFound("未找到该大厅", "hall")
    if payload.appointment:
        from onething.halls import booking

        ticket = booking.arrive(request.auth, payload.appointment, hall=hall)
    else:
        ticket = queue.issue(
            request.auth,
            hall,
            payload.service,
            id_number=payload.id_number or "",
            name=payload.name or "",
            priority_reason=payload.priority_reason or "",
            application_number=payload.application or "",
        )
    return Status(201, ticket_out(ticket))


@queue_router.get(
    "/tickets/{ticket_id}", response=responses(QueueTicketOut, 401, 404), summary="排队号与等候人数"
)
def get_ticket(request: HttpRequest, ticket_id: RowId) -> dict:
    ticket = Ticket.objects.select_related("service", "window").filter(pk=ticket_id).first()
    user = request.auth
    if ticket is None or not (
        ticket.person_id == user.pk or ticket.issued_by_id == user.pk or ticket.clerk_id == user.pk
    ):
        raise NotFound("未找到该号", "ticket")
    return ticket_out(ticket)


@queue_router.post(
    "/windows/{window}/call-next",
    response={**responses(QueueCallOut, 401, 404, 409), 204: None},
    summary="呼叫下一位（无人等候时 204）",
)
def call_next(request: HttpRequest, window: Text(40)):
    ticket = queue.call_next(request.auth, queue.window_by_code(window))
    if ticket is None:
        return Status(204, None)
    return called_out(ticket)


class SessionOut(Schema):
    window: str
    hall: str
    status: str
    services: list[str]
    pause_reason: str


def session_out(session: WindowSession) -> dict:
    return {
        "window": session.window.code,
        "hall": session.window.hall_id,
        "status": session.status,
        "services": session.services,
        "pause_reason": session.pause_reason,
    }


class PauseIn(Schema):
    reason: Text(200) = ""


class TransferIn(Schema):
    reason: Text(200) = ""
    window: Text(40) | None = None
    service: Text(40) | None = None


@queue_router.post(
    "/windows/{window}/sign-in", response=responses(SessionOut, 401, 404, 409), summary="窗口签到"
)
def sign_in(request: HttpRequest, window: Text(40)) -> dict:
    return session_out(queue.sign_in(request.auth, queue.window_by_code(window)))


@queue_router.post(
    "/session/sign-out", response={**responses(SessionOut, 401, 404, 409), 204: None}, summary="签退"
)
def sign_out(request: HttpRequest):
    queue.sign_out(request.auth)
    return Status(204, None)


@queue_router.post("/session/pause", response=responses(SessionOut, 401, 404, 409), summary="暂停服务")
def pause(request: HttpRequest, payload: PauseIn) -> dict:
    return session_out(queue.pause(request.auth, payload.reason))


@queue_router.post("/session/resume", response=responses(SessionOut, 401, 404, 409), summary="恢复服务")
def resume(request: HttpRequest) -> dict:
    return session_out(queue.resume(request.auth))


@queue_router.post(
    "/tickets/{ticket_id}/finish", response=responses(QueueCallOut, 401, 404, 409), summary="办结"
)
def finish(request: HttpRequest, ticket_id: RowId) -> dict:
    return called_out(queue.finish(request.auth, ticket_id))


@queue_router.post(
    "/tickets/{ticket_id}/no-show", response=responses(QueueCallOut, 401, 404, 409), summary="过号"
)
def no_show(request: HttpRequest, ticket_id: RowId) -> dict:
    return called_out(queue.no_show(request.auth, ticket_id))


@queue_router.post(
    "/tickets/{ticket_id}/recall", response=responses(QueueCallOut, 401, 404, 409), summary="重呼"
)
def recall(request: HttpRequest, ticket_id: RowId) -> dict:
    return called_out(queue.recall(request.auth, ticket_id))


@queue_router.post(
    "/tickets/{ticket_id}/transfer", response=responses(QueueCallOut, 401, 404, 409), summary="转移"
)
def transfer(request: HttpRequest, ticket_id: RowId, payload: TransferIn) -> dict:
    ticket = queue.transfer(
        request.auth,
        ticket_id,
        reason=payload.reason,
        window_code=payload.window or "",
        service_code=payload.service or "",
    )
    return called_out(ticket)
