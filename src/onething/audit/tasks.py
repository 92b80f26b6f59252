"""Periodic work of the audit app (huey): link pending audit records into the hash chain.

Records are normally linked milliseconds after their transaction commits (``on_commit``);
this task links whatever those best-effort runs missed (a linker that was busy, a crash
between commit and linking). Idempotent: a run with nothing pending does one query.
"""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from onething.audit.log import link_pending


@db_periodic_task(crontab())
def link_audit_chain() -> int:
    return link_pending(wait=True)
