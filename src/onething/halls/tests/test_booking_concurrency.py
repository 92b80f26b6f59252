"""Many people booking the last places of one slot at once, on PostgreSQL, each thread on its
own connection: the guarded ``UPDATE … WHERE booked < capacity`` lets exactly ``capacity`` of
them in; the others are told 该时段已约满 (409); ``booked`` equals the appointments made."""

from __future__ import annotations

import datetime as dt
import os
from zoneinfo import ZoneInfo

import pytest
from tests.plugins.concurrency import together

from onething.accounts.models import User
from onething.directory.models import Hall
from onething.halls import booking
from onething.halls.models import Appointment, Slot
from onething.kernel.errors import Conflict

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(
        not os.environ.get("DATABASE_URL", "").startswith("postgres"),
        reason="real concurrency needs PostgreSQL (SQLite serialises writers)",
    ),
]

TZ = ZoneInfo("Asia/Shanghai")
CAPACITY, EXTRA = 3, 5


@pytest.mark.django_db(transaction=True)
def test_k_plus_m_people_booking_a_slot_of_k_places_get_exactly_k():
    hall = Hall.objects.get(code="yueyang-city-hall")
    start, now = dt.datetime(2026, 10, 9, 10, tzinfo=TZ), dt.datetime(2026, 10, 8, 8, tzinfo=TZ)
    booking.ensure_slots(hall, days=1, today=start.date())
    Slot.objects.filter(hall=hall, service_id="zonghe", start=start).update(capacity=CAPACITY, booked=0)
    people = [User.objects.create_user(f"booker{n}", password="x") for n in range(CAPACITY + EXTRA)]

    def work(user):
        return lambda: booking.book(user, hall, "zonghe", start, now=now)

    outcomes = together([work(user) for user in people])
    made = [o for o in outcomes if isinstance(o, Appointment)]
    refused = [o for o in outcomes if isinstance(o, Conflict)]
    assert len(made) == CAPACITY, outcomes
    assert len(refused) == EXTRA and all(o.message == "该时段已约满，请选择其他时段" for o in refused)
    slot = Slot.objects.get(hall=hall, service_id="zonghe", start=start)
    assert slot.booked == CAPACITY == Appointment.objects.filter(slot=slot, status="booked").count()
    assert len({a.code for a in made}) == CAPACITY
