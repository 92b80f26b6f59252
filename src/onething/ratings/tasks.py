"""Periodic work of 好差评 (huey; crontab times are UTC, Beijing is UTC+8).

- nightly (02:20 Beijing): services nobody rated within their region's days get their default
  rating (``defaults.apply``; idempotent, so a missed or repeated run changes nothing twice).
"""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from onething.ratings import defaults


@db_periodic_task(crontab(minute="20", hour="18"))
def apply_default_ratings() -> int:
    return defaults.apply()
