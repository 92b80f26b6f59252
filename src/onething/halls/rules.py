"""The rules of halls and the queue, in one place.

Defaults a hall can change in its :class:`~onething.halls.models.HallPolicy`; the ordering of
calls itself is the pure :mod:`onething.kernel.queueing`.
"""

from __future__ import annotations

import datetime as dt

from onething.kernel import codes

DEFAULTS = {
    "priority_age": 60,  # 老年人优先: age read from the ID number's birth date
    "fairness": 3,  # after this many priority calls in a row at a window, a normal ticket
    "no_show_calls": 2,  # a ticket may be marked 过号 after being called this many times
    "appointment_grace_minutes": 10,  # a booked ticket is due this long before its time
    "slot_minutes": 30,
    "per_window": 2,  # bookings per window and slot; the rest of a window's time is walk-ins
    "horizon_days": 14,
    "min_notice_minutes": 60,
    "per_person_per_day": 1,
    "late_cancel_hours": 24,  # a cancel later than this before the start is a late cancel
    "hold_minutes": 10,  # a draft booking holds its place this long
}

#: how early before the start a booked person may check in (on the phone or at the kiosk)
ARRIVAL_EARLY = dt.timedelta(minutes=60)
#: a booked appointment not arrived this long after its end counts as a no-show
NO_SHOW_AFTER = dt.timedelta(minutes=30)

DEFAULT_SESSIONS = [["09:00", "12:00"], ["13:30", "17:00"]]

PRIORITY_REASONS = {
    "elderly": "老年人",
    "disabled": "残疾人",
    "pregnant": "孕妇",
    "military": "军人",
}

ASSIST_REASONS = {
    "elderly": "老年人",
    "disabled": "残疾人",
    "enterprise_project": "企业项目",
    "other": "其他",
}


def policy_value(policy, name: str):
    return getattr(policy, name) if policy is not None else DEFAULTS[name]


def age_on(id_number: str, day: dt.date) -> int | None:
    """Full years of age on ``day`` read from a valid ID number's birth date, else ``None``."""
    if codes.validate_id_number(id_number):
        return None
    born = dt.date(int(id_number[6:10]), int(id_number[10:12]), int(id_number[12:14]))
    return day.year - born.year - ((day.month, day.day) < (born.month, born.day))


def priority_from_id(id_number: str, day: dt.date, threshold: int) -> str:
    """The priority reason an ID number gives on ``day`` ("elderly"), or ""."""
    age = age_on(id_number, day)
    return "elderly" if age is not None and age >= threshold else ""


def number(prefix: str, seq: int) -> str:
    """``A023``: the service's letter and the day's sequence, three digits (four past 999)."""
    return f"{prefix}{seq:03d}"
