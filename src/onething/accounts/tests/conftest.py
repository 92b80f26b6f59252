"""Fixtures for registration and reset: SMS codes caught where the SMS channel would send them."""

from __future__ import annotations

import re

import pytest

from onething.kernel.codes import id_number_check_char
from onething.notifications import routing
from onething.notifications.backends import sms as sms_backend


def id_number(first17: str) -> str:
    """A 公民身份号码 with its right check character."""
    return first17 + id_number_check_char(first17)


@pytest.fixture
def sms(settings, monkeypatch):
    """The ``sms`` channel on, with no gateway (messages land in ``sms.OUTBOX``), and huey
    running each task where it is enqueued. Yields a function: the latest code sent to a phone."""
    from huey.contrib.djhuey import HUEY

    monkeypatch.delenv("ONETHING_SMS_URL", raising=False)
    settings.ONETHING = {**settings.ONETHING, "NOTIFICATION_BACKENDS": ["inbox", "sms"]}
    routing.forget()
    sms_backend.OUTBOX.clear()
    before, HUEY.immediate = HUEY.immediate, True

    def code_for(phone: str) -> str | None:
        texts = [text for to, text in sms_backend.OUTBOX if to == phone]
        if not texts:
            return None
        return re.search(r"验证码 ([0-9]{6})", texts[-1]).group(1)

    code_for.outbox = sms_backend.OUTBOX
    try:
        yield code_for
    finally:
        HUEY.immediate = before
        sms_backend.OUTBOX.clear()
        routing.forget()
