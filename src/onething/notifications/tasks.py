"""Huey tasks of the notifications app: deliver the outbox.

``deliver_outbox`` is enqueued after each commit that wrote outbox rows (coalesced per
process, ``service.kick``); ``sweep_outbox`` runs every minute and delivers whatever those
runs missed — a kick lost to a crash, retries whose backoff has passed, claims of a consumer
that died. Both run :func:`delivery.deliver_due`, which is safe to run in parallel (claims
are disjoint) and cheap when nothing is due (one UPDATE and one SELECT on partial indexes).
Neither returns a value: huey would keep every result.
"""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from onething.notifications import delivery


@db_task()
def deliver_outbox() -> None:
    if delivery.deliver_due()["more"]:
        deliver_outbox()  # a backlog: continue in a new task, so other tasks get their turn


@db_periodic_task(crontab())
def sweep_outbox() -> None:
    if delivery.deliver_due()["more"]:
        deliver_outbox()
