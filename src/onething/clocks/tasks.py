"""Periodic work of the clocks app (huey): the scan, every five minutes.

Five minutes because clocks can count hours: a one-hour clock turns yellow 20 minutes before
it is due. The scan is idempotent (a clock is marked and told once per level), so a missed or
repeated run, or two workers running it at once, never tells anyone twice.
"""

from __future__ import annotations

from django.utils import timezone
from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from onething.clocks import scan


def run_scan(now=None) -> dict:
    """One scan at ``now`` (injectable for tests and replays)."""
    result = scan.scan(now or timezone.now())
    return {"red": result.red, "yellow": result.yellow, "batches": result.batches}


@db_periodic_task(crontab(minute="*/5"))
def scan_clocks() -> dict:
    return run_scan()
