"""Bad values in the new forms — NUL, ten times the limit, odd numbers — on the booking page,
the cancel form and the counter's text fields: a 400 page or a message naming the field, never
a 500, and nothing written. (The CI runs this module on PostgreSQL, which refuses NUL.)"""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.utils import timezone

from onething.accounts.models import User
from onething.directory.models import Hall
from onething.halls import booking, queue
from onething.halls.models import Appointment, HallPolicy, Ticket, WindowSession

pytestmark = pytest.mark.django_db

CITY = "yueyang-city-hall"
#: bad in any input; odd numbers are bad only where a number is expected (as text they are text)
BAD_TEXT = ["\x00", "x\x00y", "长" * 5000]
BAD = [*BAD_TEXT, "²", "100000000000000000000"]


def _client(username: str) -> Client:
    client = Client()
    client.force_login(User.objects.get(username=username))
    return client


def _open_all_day() -> Hall:
    hall = Hall.objects.get(code=CITY)
    hall.opening = {"sessions": [["00:00", "24:00"]], "every_day": True}
    hall.save(update_fields=["opening"])
    HallPolicy.objects.update_or_create(hall=hall, defaults={"min_notice_minutes": 0})
    return hall


def _first_start(hall: Hall) -> str:
    today = timezone.localdate()
    for offset in range(3):
        slots = booking.slots_for(hall, "zonghe", today + dt.timedelta(days=offset))
        if slots:
            return slots[0]["start"].isoformat()
    raise AssertionError("no slot in three days")


def test_the_booking_form_refuses_bad_values_and_writes_nothing():
    hall = _open_all_day()
    start = _first_start(hall)
    client = _client("zhangsan")
    valid = {"service": "zonghe", "start": start, "application": ""}
    for field in valid:
        for value in BAD_TEXT if field == "application" else BAD:
            response = client.post(f"/halls/{CITY}/book/", {**valid, field: value})
            assert response.status_code in (200, 400), (field, value[:20], response.status_code)
            assert not Appointment.objects.filter(person__username="zhangsan").exists(), (field, value[:20])


def test_cancel_and_counter_texts_refuse_bad_values():
    hall = _open_all_day()
    zhangsan = User.objects.get(username="zhangsan")
    appointment = booking.book(zhangsan, hall, "zonghe", booking.parse_start(_first_start(hall)))
    citizen = _client("zhangsan")
    for value in BAD_TEXT:
        response = citizen.post(f"/halls/appointments/{appointment.pk}/cancel/", {"reason": value})
        assert response.status_code in (200, 302, 400), response.status_code
        appointment.refresh_from_db()
        assert appointment.status == "booked" and appointment.reason == ""

    clerk = _client("chuangkou")
    ticket = queue.issue(User.objects.get(username="quhao"), hall, "zonghe")
    clerk.post("/cases/window/counter/call/")
    attempts = [("transfer", {"ticket": value, "to_window": "yy-2", "reason": "转窗口"}) for value in BAD]
    for value in BAD_TEXT:
        attempts += [
            ("transfer", {"ticket": ticket.pk, "to_window": value, "to_service": "", "reason": "转窗口"}),
            ("transfer", {"ticket": ticket.pk, "to_window": "yy-2", "reason": value}),
            ("pause", {"reason": value}),
            ("sign_in", {"window": value}),
            ("issue", {"service": value}),
            ("issue", {"service": "zonghe", "name": value}),
        ]
    for action, data in attempts:
        response = clerk.post(f"/cases/window/counter/{action}/", data)
        assert response.status_code in (302, 400), (action, data, response.status_code)
    ticket.refresh_from_db()
    session = WindowSession.objects.get(clerk__username="chuangkou", status__in=WindowSession.OPEN)
    assert ticket.status == "called" and ticket.transfers == 0
    assert session.status == "active" and session.window.code == "yy-1"
    assert Ticket.objects.filter(issued_by__username="chuangkou").count() == 0
