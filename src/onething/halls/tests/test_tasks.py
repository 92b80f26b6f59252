"""The periodic tasks of halls and the queue run their step and report what they did."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from onething.accounts.models import User
from onething.directory.models import Hall
from onething.halls import tasks
from onething.halls.models import Slot, Ticket
from onething.halls.queue import issue

pytestmark = pytest.mark.django_db


def test_yesterdays_waiting_tickets_are_voided_at_night_and_only_they():
    hall = Hall.objects.get(code="yueyang-city-hall")
    kiosk = User.objects.get(username="quhao")
    old = issue(kiosk, hall, "zonghe", now=timezone.now() - dt.timedelta(days=1))
    today = issue(kiosk, hall, "zonghe")
    assert tasks.expire_past_tickets.call_local() == 1
    assert Ticket.objects.get(pk=old.pk).status == "expired"
    assert Ticket.objects.get(pk=today.pk).status == "waiting"
    assert tasks.expire_past_tickets.call_local() == 0


def test_the_booking_tasks_run_on_a_quiet_day():
    assert tasks.expire_holds.call_local() == 0
    assert tasks.mark_no_shows.call_local() == 0
    assert tasks.send_reminders.call_local() == 0
    before = Slot.objects.count()
    assert tasks.ensure_slots.call_local() == Slot.objects.count() - before
