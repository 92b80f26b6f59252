"""The write path: ``notify``/``notify_group`` write the inbox and the outbox in the caller's
transaction — a rolled-back acceptance leaves no message, a committed one cannot lose its
messages to a crash — and channels per event are data."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.db import transaction

from onething.notifications import registry, routing, service
from onething.notifications.models import EventChannel, Notification, OutboxMessage

pytestmark = pytest.mark.django_db


def test_builtin_backends_are_registered():
    backends = registry.registered()
    assert {"inbox", "console", "sms", "email", "file"} <= set(backends)
    assert backends["sms"].label == "短信" and backends["sms"].needs == "phone"
    assert backends["email"].needs == "email"
    assert registry.get_backend("inbox").name == "inbox"


def test_unknown_backend():
    with pytest.raises(LookupError, match="未知的通知渠道：pigeon"):
        registry.get_backend("pigeon")


def test_a_deployment_adds_channels_by_module(settings):
    settings.ONETHING = {
        **settings.ONETHING,
        "NOTIFICATION_MODULES": ["onething.notifications.tests.plugin_channel"],
    }
    try:
        assert registry.get_backend("carrier-pigeon").label == "信鸽（测试）"
        assert "carrier-pigeon" in registry.registered()
    finally:
        registry._BACKENDS.pop("carrier-pigeon", None)


def test_a_broken_plugin_module_is_logged_not_fatal(settings, caplog):
    settings.ONETHING = {**settings.ONETHING, "NOTIFICATION_MODULES": ["onething.no_such_module"]}
    with pytest.raises(LookupError):
        registry.get_backend("pigeon")
    assert "无法载入通知渠道模块 onething.no_such_module" in caplog.text


def test_inbox_is_always_enabled(channels):
    channels(["sms"])
    assert routing.enabled_backends() == ["inbox", "sms"]


def test_inbox_row_is_written_in_the_callers_transaction(person, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks, transaction.atomic():
        service.notify(person, "case.accepted", "您的申请已受理", "受理编号 A001", "/cases/A001/")
        note = Notification.objects.get()  # visible inside the transaction already
    assert callbacks == []  # the inbox needs nothing after the commit
    assert (note.recipient, note.event, note.title, note.body, note.link) == (
        person,
        "case.accepted",
        "您的申请已受理",
        "受理编号 A001",
        "/cases/A001/",
    )
    assert note.read_at is None and str(note) == "您的申请已受理"


def test_rolled_back_change_leaves_no_message(person, channels):
    channels(["inbox", "sms"], {"case.accepted": ["sms"]})
    with pytest.raises(RuntimeError), transaction.atomic():
        service.notify(person, "case.accepted", "您的申请已受理")
        assert OutboxMessage.objects.count() == 1
        raise RuntimeError("acceptance failed")
    assert Notification.objects.count() == 0 and OutboxMessage.objects.count() == 0


def test_outbox_rows_for_the_events_channels(person, channels):
    channels(["inbox", "sms", "email", "console"], {"case.done": ["sms", "email"]})
    with transaction.atomic():
        service.notify(person, "case.done", "您的申请已办结", "请领取结果", "/cases/A1/")
    rows = list(
        OutboxMessage.objects.order_by("channel").values_list("channel", "status", "attempts", "title")
    )
    assert rows == [("email", "pending", 0, "您的申请已办结"), ("sms", "pending", 0, "您的申请已办结")]
    assert Notification.objects.filter(recipient=person).count() == 1


def test_an_event_without_a_row_goes_to_the_inbox_only(person, channels):
    channels(["inbox", "sms"], {"case.other": ["sms"]})
    service.notify(person, "case.done", "办结")
    assert OutboxMessage.objects.count() == 0 and Notification.objects.count() == 1


def test_a_channel_listed_but_not_enabled_is_not_used(person, channels):
    channels(["inbox", "console"], {"case.done": ["sms", "console"]})
    service.notify(person, "case.done", "办结")
    assert list(OutboxMessage.objects.values_list("channel", flat=True)) == ["console"]


def test_enabled_but_unregistered_channel_is_ignored(person, channels, caplog):
    channels(["inbox", "pigeon"], {"case.done": ["pigeon"]})
    service.notify(person, "case.done", "办结")
    assert OutboxMessage.objects.count() == 0
    assert "已启用的通知渠道 pigeon 未注册" in caplog.text


def test_no_outbox_row_for_someone_without_the_address(make_user, channels):
    channels(["inbox", "sms", "email"], {"case.done": ["sms", "email"]})
    service.notify(make_user("nophone", email="x@example.cn"), "case.done", "办结")
    service.notify(make_user("nothing"), "case.done", "办结")
    assert list(OutboxMessage.objects.values_list("channel", flat=True)) == ["email"]


def test_no_recipient_is_ignored(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        service.notify(None, "x", "y")
    assert callbacks == [] and Notification.objects.count() == 0


def test_one_kick_per_transaction(person, make_user, channels, django_capture_on_commit_callbacks):
    """The outbox rows of one transaction are handed to delivery by one callback."""
    channels(["inbox", "sms"], {"case.submit": ["sms"]})
    other = make_user("other", phone="13900000000")
    with django_capture_on_commit_callbacks(execute=False) as callbacks, transaction.atomic():
        service.notify(person, "case.submit", "已收到您的申请")
        service.notify(other, "case.submit", "新申请待预审")
        service.notify_group(get_user_model().objects.filter(pk=other.pk), "case.submit", "新申请")
    assert callbacks == [service.kick]
    assert OutboxMessage.objects.count() == 3


def test_a_rolled_back_savepoint_drops_its_rows_and_keeps_the_kick(
    person, channels, django_capture_on_commit_callbacks
):
    channels(["inbox", "sms"], {"a": ["sms"], "b": ["sms"], "c": ["sms"]})
    with django_capture_on_commit_callbacks(execute=False) as callbacks, transaction.atomic():
        service.notify(person, "a", "保留一")
        try:
            with transaction.atomic():
                service.notify(person, "b", "撤销")
                raise RuntimeError("inner change failed")
        except RuntimeError:
            pass
        service.notify(person, "c", "保留二")
    assert sorted(Notification.objects.values_list("title", flat=True)) == ["保留一", "保留二"]
    assert sorted(OutboxMessage.objects.values_list("title", flat=True)) == ["保留一", "保留二"]
    assert callbacks == [service.kick]


def test_a_kick_queued_in_a_rolled_back_savepoint_is_queued_again(
    person, channels, django_capture_on_commit_callbacks
):
    channels(["inbox", "sms"], {"a": ["sms"]})
    with django_capture_on_commit_callbacks(execute=False) as callbacks, transaction.atomic():
        try:
            with transaction.atomic():
                service.notify(person, "a", "撤销")
                raise RuntimeError
        except RuntimeError:
            pass
        service.notify(person, "a", "保留")
    assert callbacks == [service.kick]
    assert list(OutboxMessage.objects.values_list("title", flat=True)) == ["保留"]


def test_statements_on_the_write_path(person, channels, django_assert_num_queries):
    """What ``notify`` costs a request: one INSERT for the inbox, one more for the outbox rows;
    the channel table is read once per process and interval, not per message."""
    channels(["inbox", "sms"], {"case.done": ["sms"]})
    routing.channels_for("case.done")  # warm the table
    people = get_user_model().objects.filter(pk=person.pk)
    with transaction.atomic():
        with django_assert_num_queries(1):
            service.notify(person, "case.other", "只发站内")
        with django_assert_num_queries(2):
            service.notify(person, "case.done", "站内加短信")
        with django_assert_num_queries(1):
            service.notify_group(people, "case.other", "只发站内")
        with django_assert_num_queries(2):
            service.notify_group(people, "case.done", "站内加短信")


def test_nothing_reads_the_channel_table_with_only_the_inbox_enabled(
    person, channels, django_assert_num_queries
):
    channels(["inbox"], {"case.done": ["sms"]})
    with django_assert_num_queries(1):
        service.notify(person, "case.done", "办结")


# ------------------------------------------------------------------------------- groups


HALL = {"hall_id": "yueyang-city-hall"}


@pytest.fixture
def clerks(make_user):
    # clerk-1 holds the role twice (two role rows): still one message
    return [
        make_user("clerk-0", roles=[("window_clerk", HALL)]),
        make_user("clerk-1", phone="13900000001", roles=[("window_clerk", HALL), ("window_clerk", HALL)]),
        make_user("clerk-2", phone="13900000002", roles=[("window_clerk", HALL)]),
    ]


def _hall_clerks():
    return get_user_model().objects.filter(
        staff_roles__role="window_clerk", staff_roles__hall_id="yueyang-city-hall"
    )


def test_a_group_is_told_once_each_and_masked(demo, clerks, channels):
    channels(["inbox", "sms"], {"case.submit": ["sms"]})
    with transaction.atomic():
        service.notify_group(
            _hall_clerks(), "case.submit", "新申请：申请人 430602199001011235", "电话 13812345678"
        )
    notes = Notification.objects.filter(recipient__in=clerks)
    assert sorted(n.recipient.username for n in notes) == ["clerk-0", "clerk-1", "clerk-2"]
    assert {n.title for n in notes} == {"新申请：申请人 4306**********1235"}
    assert {n.body for n in notes} == {"电话 138****5678"}
    sms_rows = OutboxMessage.objects.filter(recipient__in=clerks)
    assert sorted(r.recipient.username for r in sms_rows) == ["clerk-1", "clerk-2"]  # clerk-0 has no phone
    assert {(r.channel, r.status, r.title) for r in sms_rows} == {
        ("sms", "pending", "新申请：申请人 4306**********1235")
    }


def test_a_group_is_resolved_when_it_is_told(demo, clerks, make_user):
    """The audience is who is in the group at the event: someone who joins later in the same
    transaction (or tomorrow) gets nothing for it."""
    with transaction.atomic():
        service.notify_group(_hall_clerks(), "case.submit", "新申请")
        late = make_user("late-clerk", roles=[("window_clerk", HALL)])
    assert not Notification.objects.filter(recipient=late).exists()
    assert Notification.objects.filter(recipient__in=clerks).count() == 3


def test_an_empty_group_writes_nothing(demo, channels, django_capture_on_commit_callbacks):
    channels(["inbox", "sms"], {"case.submit": ["sms"]})
    with django_capture_on_commit_callbacks(execute=False) as callbacks, transaction.atomic():
        service.notify_group(get_user_model().objects.none(), "case.submit", "无人")
        service.notify_group(get_user_model().objects.filter(username="nobody-here"), "case.submit", "无人")
    assert Notification.objects.count() == 0 and OutboxMessage.objects.count() == 0
    assert callbacks == []  # no rows, nothing to deliver


def test_group_rows_match_what_the_orm_writes(demo, clerks):
    """The hand-written INSERT … SELECT stores the same values as the ORM would."""
    with transaction.atomic():
        service.notify_group(_hall_clerks(), "case.submit", "标题", "内容", "/cases/X/")
        service.notify(clerks[0], "case.submit", "标题", "内容", "/cases/X/")
    grouped = Notification.objects.filter(recipient=clerks[0]).order_by("id")
    first, second = list(grouped)
    for field in ("event", "title", "body", "link", "read_at"):
        assert getattr(first, field) == getattr(second, field)
    assert abs((first.created_at - second.created_at).total_seconds()) < 5


# ------------------------------------------------------------------------------- channel table


def test_an_edit_of_the_channel_table_is_seen_at_once(person, channels):
    channels(["inbox", "sms"])
    assert routing.channels_for("case.done", phone="138") == []
    row = EventChannel.objects.create(event="case.done", channels=["sms"])
    assert routing.channels_for("case.done", phone="138") == ["sms"]
    row.channels = []
    row.save()
    assert routing.channels_for("case.done", phone="138") == []
    EventChannel.objects.create(event="case.x", channels=["sms"]).delete()
    assert routing.channels_for("case.x", phone="138") == []


def test_the_channel_table_is_reused_for_its_ttl(person, channels, monkeypatch, django_assert_num_queries):
    channels(["inbox", "sms"], {"case.done": ["sms"]})
    clock = [1000.0]
    monkeypatch.setattr(routing.time, "monotonic", lambda: clock[0])
    with django_assert_num_queries(1):
        routing.channels_for("case.done")
        routing.channels_for("case.done")
    clock[0] += routing.TTL + 1
    with django_assert_num_queries(1):
        routing.channels_for("case.done")


def test_seed_migration_lists_the_cases_events():
    """Every event kind the cases app sends has a row (so the admin can switch channels on),
    SMS for the applicant's milestones; seeding twice adds nothing."""
    from importlib import import_module

    from django.apps import apps

    seed = import_module("onething.notifications.migrations.0003_seed_event_channels")
    EventChannel.objects.all().delete()
    seed.seed(apps, None)
    seed.seed(apps, None)
    table = dict(EventChannel.objects.values_list("event", "channels"))
    assert len(table) == len(seed.EVENTS) == 24
    assert table["case.accept"] == ["sms"] and table["case.request_correction"] == ["sms"]
    assert table["case.submit"] == [] and table["case.deadline"] == []
    assert not EventChannel.objects.filter(label="").exists()
