"""Huey tasks of the accounts app: send SMS verification codes, purge old codes and throttle rows.

``send_phone_code`` is enqueued after the commit that stored the code
(``verification.queue_delivery``), so the request that asked for it never waits for the SMS
gateway; a failed send is retried a few times (the code expires in ten minutes anyway, and a
person can ask again).
"""

from __future__ import annotations

import datetime as dt

from django.utils import timezone
from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from onething.accounts import throttle, verification
from onething.accounts.models import PhoneCode

#: codes are kept this long after they were sent (support: "did my code go out?"), then deleted
KEEP_CODES = dt.timedelta(days=1)


@db_task(retries=3, retry_delay=15)
def send_phone_code(code_id: int, via: str, text: str) -> None:
    verification.deliver(code_id, via, text)


def purge(now: dt.datetime) -> dict:
    codes, _ = PhoneCode.objects.filter(created_at__lt=now - KEEP_CODES).delete()
    return {"codes": codes, "events": throttle.purge(now)}


@db_periodic_task(crontab(minute="23", hour="3"))
def purge_codes_and_throttles() -> None:
    purge(timezone.now())
