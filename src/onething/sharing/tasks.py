"""Periodic work of data sharing (huey): link the call log, expire approvals.

Both are idempotent: linking takes what the after-commit linker missed (a crash between commit
and linking), expiry fires ``expire`` once per approval whose validity has ended.
"""

from __future__ import annotations

from django.utils import timezone
from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from onething.sharing import calllog, requests


@db_periodic_task(crontab())
def link_call_chain() -> int:
    return calllog.link()


@db_periodic_task(crontab(minute="5", hour="0"))
def expire_approvals() -> list[int]:
    return requests.expire_due(timezone.localdate())
