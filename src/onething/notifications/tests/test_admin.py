"""Admin: the outbox by status with a retry action, texts masked; channels per event edited
with checkboxes and used at once."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import transaction
from django.test import Client
from django.utils import timezone

from onething.notifications import routing, service
from onething.notifications.backends import sms
from onething.notifications.models import EventChannel, OutboxMessage

pytestmark = pytest.mark.django_db
S = OutboxMessage.Status


@pytest.fixture
def admin_client(make_user):
    user = make_user("outbox-admin", is_staff=True, is_superuser=True)
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def rows(person, channels):
    channels(["inbox", "sms"], {"case.done": ["sms"]})
    with transaction.atomic():
        for n, status in enumerate([S.SENT, S.FAILED, S.RETRYING, S.FAILED]):
            service.notify(person, "case.done", f"第{n}条：申请人 430602199001011235")
            OutboxMessage.objects.filter(pk=OutboxMessage.objects.latest("id").pk).update(
                status=status,
                last_error="网关错误 13812345678" if status != S.SENT else "",
                next_attempt_at=timezone.now() + dt.timedelta(days=1),  # a retry not yet due
            )
    return list(OutboxMessage.objects.order_by("id"))


def test_outbox_list_filters_by_status_and_masks(admin_client, rows):
    page = admin_client.get("/admin/notifications/outboxmessage/?status__exact=failed").content.decode()
    assert "第1条" in page and "第3条" in page and "第0条" not in page and "第2条" not in page
    assert "4306**********1235" in page and "430602199001011235" not in page
    for status in ("sent", "retrying"):
        assert (
            admin_client.get(f"/admin/notifications/outboxmessage/?status__exact={status}").status_code == 200
        )
    detail = admin_client.get(f"/admin/notifications/outboxmessage/{rows[1].pk}/change/").content.decode()
    assert "138****5678" in detail and "13812345678" not in detail
    assert 'name="title"' not in detail  # read only


def test_retry_failed_action(admin_client, rows, immediate_huey, django_capture_on_commit_callbacks):
    selected = [r.pk for r in rows]  # the action touches the failed ones only
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            "/admin/notifications/outboxmessage/",
            {"action": "retry_failed", "_selected_action": selected},
            follow=True,
        )
    assert "已将 2 条发送失败的消息重新排队发送" in response.content.decode()
    statuses = dict(OutboxMessage.objects.values_list("pk", "status"))
    assert statuses[rows[1].pk] == statuses[rows[3].pk] == S.SENT  # retried, delivered at once
    assert statuses[rows[2].pk] == S.RETRYING  # not failed: left alone (not yet due)
    assert [text for _, text in sms.OUTBOX] == [
        "【一件事】第1条：申请人 430602199001011235",
        "【一件事】第3条：申请人 430602199001011235",
    ]


def test_retry_with_nothing_failed_says_so(admin_client, rows):
    response = admin_client.post(
        "/admin/notifications/outboxmessage/",
        {"action": "retry_failed", "_selected_action": [rows[0].pk]},
        follow=True,
    )
    assert "所选消息中没有发送失败的消息" in response.content.decode()


def test_outbox_rows_cannot_be_added_or_deleted(admin_client, rows):
    assert admin_client.get("/admin/notifications/outboxmessage/add/").status_code == 403
    assert admin_client.get(f"/admin/notifications/outboxmessage/{rows[0].pk}/delete/").status_code == 403


def test_event_channels_edited_with_checkboxes(admin_client, person, channels):
    channels(["inbox", "sms"])
    row = EventChannel.objects.create(event="case.done", label="办结", channels=[])
    form = admin_client.get(f"/admin/notifications/eventchannel/{row.pk}/change/").content.decode()
    assert 'type="checkbox" name="channels" value="sms"' in form
    assert 'value="inbox"' not in form  # always on: not a choice
    assert "本部署未启用" in form  # e.g. email in this deployment
    response = admin_client.post(
        f"/admin/notifications/eventchannel/{row.pk}/change/",
        {"event": "case.done", "label": "办结", "channels": ["sms", "email"]},
    )
    assert response.status_code == 302
    row.refresh_from_db()
    assert row.channels == ["sms", "email"]
    assert routing.channels_for("case.done", phone="138", email="a@b.cn") == ["sms"]  # email not enabled
    refused = admin_client.post(
        f"/admin/notifications/eventchannel/{row.pk}/change/",
        {"event": "case.done", "label": "办结", "channels": ["pigeon"]},
    )
    assert (
        refused.status_code == 200
        and "pigeon" in refused.content.decode()
        and "errorlist" in refused.content.decode()
    )
    listing = admin_client.get("/admin/notifications/eventchannel/").content.decode()
    assert "站内消息、短信、电子邮件" in listing


def test_retry_queues_a_delivery_after_commit(admin_client, rows, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        admin_client.post(
            "/admin/notifications/outboxmessage/",
            {"action": "retry_failed", "_selected_action": [rows[1].pk]},
        )
    assert callbacks == [service.kick]
    row = OutboxMessage.objects.get(pk=rows[1].pk)
    assert (row.status, row.attempts) == (S.RETRYING, 0)
    assert row.next_attempt_at <= dt.datetime.now(dt.UTC)
