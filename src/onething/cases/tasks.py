"""Periodic work of the cases app (huey): deadline warnings and missed 容缺 commitments.

Runs every 15 minutes; both steps are idempotent (a clock is marked once per level, a missed
commitment flagged once), so a missed or repeated run never double-notifies. The warnings
come from the clocks' one scan (``onething.clocks.scan``, which also runs on its own task):
running it here as well only means the cases' rows are never more than 15 minutes behind.
"""

from __future__ import annotations

from django.utils import timezone
from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from onething.cases import deadlines, exempt, lifecycle


def run_scan(now=None) -> dict:
    """One scan at ``now`` (injectable for tests and replays)."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    result = deadlines.scan(today, now)
    gaps = lifecycle.flag_missed_commitments(today, now)
    return {
        "yellow": result.yellow,
        "red": result.red,
        "applications_yellow": result.applications_yellow,
        "applications_red": result.applications_red,
        "gaps_overdue": len(gaps),
    }


@db_periodic_task(crontab(minute="*/15"))
def scan_deadlines() -> dict:
    return run_scan()


@db_periodic_task(crontab(minute="*/5"))
def fetch_exempt_materials() -> int:
    """免提交 materials an intake committed but did not get to fetch (a crash in between)."""
    return exempt.fetch_pending()
