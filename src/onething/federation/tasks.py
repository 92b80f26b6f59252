"""Huey tasks of the federation app: relay the outbox to the peer nodes.

``kick`` is enqueued after each commit that wrote outbox rows (``outbox.send``, coalesced per
process); ``sweep_outbox`` runs every minute and delivers whatever those runs missed — a kick
lost to a crash, retries whose backoff has passed (a partition that healed), claims of a relay
that died (``relay.recover_stale``, run by every ``deliver_due``). Both run
:func:`relay.deliver_due`, which is safe to run in parallel (claims are disjoint) and cheap when
nothing is due. Neither returns a value: huey would keep every result.
"""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from onething.federation import relay


@db_task()
def kick() -> None:
    if relay.deliver_due()["more"]:
        kick()  # a backlog: continue in a new task, so other tasks get their turn


@db_periodic_task(crontab())
def sweep_outbox() -> None:
    if relay.deliver_due()["more"]:
        kick()
