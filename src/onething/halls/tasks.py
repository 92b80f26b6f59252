"""Periodic work of halls and the queue (huey; crontab times are UTC, Beijing is UTC+8).

Every step is idempotent (a state is left once, a reminder sent once: ``reminded_at``), so a
missed or repeated run never double-counts or double-notifies.

- every minute: holds not confirmed in time expire and free their seats;
- every 15 minutes: booked appointments nobody arrived for become 爽约;
- hourly 08:05–20:05 Beijing time: reminders of tomorrow's appointments (also those booked
  late in the day);
- nightly: tickets still waiting from an earlier day are voided (00:10 Beijing) and every hall's
  slots are made for the booking horizon (01:30 Beijing).
"""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from onething.directory.models import Hall
from onething.halls import booking, queue


@db_periodic_task(crontab())
def expire_holds() -> int:
    return booking.expire_holds()


@db_periodic_task(crontab(minute="*/15"))
def mark_no_shows() -> int:
    return booking.mark_no_shows()


@db_periodic_task(crontab(minute="5", hour="0-12"))
def send_reminders() -> int:
    return booking.send_reminders()


@db_periodic_task(crontab(minute="10", hour="16"))
def expire_past_tickets() -> int:
    return queue.expire_past()


def make_slots() -> int:
    """Slots for the horizon of every hall (the nightly task; also run by hand)."""
    return sum(booking.ensure_slots(hall) for hall in Hall.objects.all())


@db_periodic_task(crontab(minute="30", hour="17"))
def ensure_slots() -> int:
    return make_slots()
