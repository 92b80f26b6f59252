"""Notifications: pluggable channels, inbox storage, the SMS outbox, and sending only after
the change is committed — a rolled-back acceptance must never text the applicant."""

from __future__ import annotations

import pytest
from django.db import transaction
from django.test import override_settings

from onething.notifications import registry, service
from onething.notifications.backends import sms
from onething.notifications.models import Notification

pytestmark = pytest.mark.django_db


def _settings(*backends):
    from django.conf import settings

    return override_settings(ONETHING={**settings.ONETHING, "NOTIFICATION_BACKENDS": list(backends)})


@pytest.fixture
def person(make_user):
    return make_user("applicant", phone="13812345678", email="a@example.cn")


@pytest.fixture(autouse=True)
def _no_sms_gateway(monkeypatch):
    monkeypatch.delenv("ONETHING_SMS_URL", raising=False)
    sms.OUTBOX.clear()
    yield
    sms.OUTBOX.clear()


def test_builtin_backends_are_registered():
    backends = registry.registered()
    assert {"inbox", "console", "sms", "email"} <= set(backends)
    assert backends["sms"].label == "短信"
    assert registry.get_backend("inbox").name == "inbox"


def test_unknown_backend():
    with pytest.raises(LookupError, match="未知的通知渠道：pigeon"):
        registry.get_backend("pigeon")


def test_inbox_is_always_enabled():
    with _settings("sms"):
        assert service.enabled_backends() == ["inbox", "sms"]


def test_notify_after_commit_stores_in_inbox(person, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        service.notify(person, "case.accepted", "您的申请已受理", "受理编号 A001", "/cases/A001")
    assert Notification.objects.count() == 0  # nothing before the commit
    assert len(callbacks) == 1
    callbacks[0]()
    note = Notification.objects.get()
    assert (note.recipient, note.event, note.title, note.link) == (
        person,
        "case.accepted",
        "您的申请已受理",
        "/cases/A001",
    )
    assert note.read_at is None and str(note) == "您的申请已受理"


def test_rolled_back_change_sends_nothing(person, django_capture_on_commit_callbacks):
    with (
        _settings("inbox", "sms"),
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        service.notify(person, "case.accepted", "您的申请已受理")
        raise RuntimeError("acceptance failed")
    assert callbacks == []
    assert Notification.objects.count() == 0 and sms.OUTBOX == []


def test_sms_goes_to_the_outbox_without_a_gateway(person, django_capture_on_commit_callbacks):
    with _settings("inbox", "sms"), django_capture_on_commit_callbacks(execute=True):
        service.notify(person, "case.done", "您的申请已办结")
    assert sms.OUTBOX == [("13812345678", "【一件事】您的申请已办结")]
    assert Notification.objects.filter(recipient=person).count() == 1


def test_sms_skips_people_without_a_phone(make_user, django_capture_on_commit_callbacks):
    with _settings("sms"), django_capture_on_commit_callbacks(execute=True):
        service.notify(make_user("nophone"), "case.done", "办结")
    assert sms.OUTBOX == []


def test_email_channel(person, django_capture_on_commit_callbacks):
    from django.core import mail

    with _settings("email"), django_capture_on_commit_callbacks(execute=True):
        service.notify(person, "case.done", "您的申请已办结", "请领取结果")
    assert [m.to for m in mail.outbox] == [["a@example.cn"]]
    assert mail.outbox[0].subject == "【一件事】您的申请已办结"


def test_a_failing_channel_does_not_stop_the_others(person, django_capture_on_commit_callbacks, caplog):
    @registry.register("broken-test")
    class Broken(registry.Backend):
        def send(self, message):
            raise ConnectionError("gateway down")

    try:
        with _settings("broken-test", "inbox"), django_capture_on_commit_callbacks(execute=True):
            service.notify(person, "case.done", "办结")
    finally:
        registry._BACKENDS.pop("broken-test", None)
    assert Notification.objects.count() == 1
    assert "broken-test" in caplog.text


def test_no_recipient_is_ignored(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        service.notify(None, "x", "y")
    assert callbacks == []


def test_console_channel_logs_masked(person, django_capture_on_commit_callbacks, caplog):
    caplog.set_level("INFO", logger="onething.notifications")
    with _settings("console"), django_capture_on_commit_callbacks(execute=True):
        service.notify(person, "case.done", "办结", "申请人 11010519491231002X")
    assert "通知 case.done" in caplog.text


def test_one_transaction_one_callback_one_insert(
    person, make_user, django_capture_on_commit_callbacks, django_assert_num_queries
):
    """All messages of one transaction are delivered by one callback: one INSERT for the inbox,
    one SMS per message."""
    other = make_user("other", phone="13900000000")
    with django_capture_on_commit_callbacks(execute=False) as callbacks, transaction.atomic():
        service.notify(person, "case.submit", "已收到您的申请")
        service.notify(other, "case.submit", "新申请待预审")
    assert len(callbacks) == 1
    with _settings("inbox", "sms"), django_assert_num_queries(1):
        callbacks[0]()
    assert sorted(Notification.objects.values_list("title", flat=True)) == ["已收到您的申请", "新申请待预审"]
    assert [phone for phone, _ in sms.OUTBOX] == ["13812345678", "13900000000"]


def test_rolled_back_savepoint_drops_only_its_messages(person, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        service.notify(person, "a", "保留一")
        try:
            with transaction.atomic():
                service.notify(person, "b", "撤销")
                raise RuntimeError("inner change failed")
        except RuntimeError:
            pass
        service.notify(person, "c", "保留二")
    assert sorted(Notification.objects.values_list("title", flat=True)) == ["保留一", "保留二"]


def test_a_later_transaction_gets_a_new_batch(person, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        service.notify(person, "a", "第一次")
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        service.notify(person, "b", "第二次")
    assert len(callbacks) == 1
    assert Notification.objects.count() == 2
