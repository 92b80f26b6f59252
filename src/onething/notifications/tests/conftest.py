"""Fixtures for the notification tests: channels switched on per test, huey run in process."""

from __future__ import annotations

import pytest

from onething.notifications import routing
from onething.notifications.backends import sms


@pytest.fixture(autouse=True)
def _fresh_channel_table():
    """Each test sees the EventChannel rows of its own transaction."""
    routing.forget()
    yield
    routing.forget()


@pytest.fixture(autouse=True)
def _no_sms_gateway(monkeypatch):
    monkeypatch.delenv("ONETHING_SMS_URL", raising=False)
    sms.OUTBOX.clear()
    yield
    sms.OUTBOX.clear()


@pytest.fixture
def channels(settings, db):
    """``channels(["inbox", "sms"], {"case.done": ["sms"]})``: the deployment's enabled
    channels and the EventChannel rows of this test."""
    from onething.notifications.models import EventChannel

    def configure(enabled, events=None):
        settings.ONETHING = {**settings.ONETHING, "NOTIFICATION_BACKENDS": list(enabled)}
        for event, names in (events or {}).items():
            EventChannel.objects.update_or_create(event=event, defaults={"channels": list(names)})
        routing.forget()

    return configure


@pytest.fixture
def immediate_huey():
    """Tasks run where they are enqueued (huey's immediate mode, in-memory storage)."""
    from huey.contrib.djhuey import HUEY

    before = HUEY.immediate
    HUEY.immediate = True
    yield HUEY
    HUEY.immediate = before


@pytest.fixture
def person(make_user):
    return make_user("applicant", phone="13812345678", email="a@example.cn")
