"""Delivering the outbox: claim → send → mark; retries with backoff; failed after the last
attempt; claims of a dead consumer recovered; the same message id on every attempt, so the
receiving side delivers it once."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.core import mail
from django.db import transaction
from django.utils import timezone

from onething.notifications import delivery, registry, service
from onething.notifications.backends import console, file, sms
from onething.notifications.models import OutboxMessage
from onething.notifications.registry import Message

pytestmark = pytest.mark.django_db
S = OutboxMessage.Status
T0 = dt.datetime(2026, 12, 1, 9, 0, tzinfo=dt.UTC)


class Recorder(registry.Backend):
    """A channel that records what it was given and fails while ``failures`` says so."""

    sent: list[Message] = []
    failures = 0

    def send(self, message: Message) -> None:
        if Recorder.failures:
            Recorder.failures -= 1
            raise ConnectionError("网关不可用：用户 430602199001011235")
        Recorder.sent.append(message)


@pytest.fixture
def recorder(channels):
    registry.register("recorder-test")(Recorder)
    Recorder.sent, Recorder.failures = [], 0
    channels(["inbox", "recorder-test"], {"case.done": ["recorder-test"]})
    yield Recorder
    registry._BACKENDS.pop("recorder-test", None)


def _queue(person, title="您的申请已办结", event="case.done") -> OutboxMessage:
    with transaction.atomic():
        service.notify(person, event, title, "请领取结果", "/cases/A1/")
    return OutboxMessage.objects.filter(title=title).get()


def test_committed_messages_are_delivered_by_the_task(
    person, channels, immediate_huey, django_capture_on_commit_callbacks
):
    """End to end: commit → kick → huey task (immediate in tests) → SMS sent, row marked."""
    channels(["inbox", "sms"], {"case.done": ["sms"]})
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        service.notify(person, "case.done", "您的申请已办结")
        assert sms.OUTBOX == []  # nothing leaves before the commit
    assert sms.OUTBOX == [("13812345678", "【一件事】您的申请已办结")]
    row = OutboxMessage.objects.get()
    assert (row.status, row.attempts, row.last_error) == (S.SENT, 1, "")
    assert row.sent_at is not None and row.claimed_at is not None


def test_a_rolled_back_change_sends_nothing(
    person, channels, immediate_huey, django_capture_on_commit_callbacks
):
    channels(["inbox", "sms"], {"case.done": ["sms"]})
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        service.notify(person, "case.done", "您的申请已办结")
        raise RuntimeError("acceptance failed")
    assert callbacks == [] and sms.OUTBOX == [] and OutboxMessage.objects.count() == 0


def test_the_channel_gets_the_message_with_its_id(person, recorder):
    row = _queue(person)
    assert delivery.deliver_due(now=T0 + dt.timedelta(days=400))["sent"] == 1
    (message,) = recorder.sent
    assert message == Message(
        recipient_id=person.pk,
        phone="13812345678",
        email="a@example.cn",
        event="case.done",
        title="您的申请已办结",
        body="请领取结果",
        link="/cases/A1/",
        id=row.pk,
    )


def test_nothing_is_claimed_before_it_is_due(person, recorder):
    row = _queue(person)
    OutboxMessage.objects.filter(pk=row.pk).update(next_attempt_at=T0)
    assert delivery.deliver_due(now=T0 - dt.timedelta(seconds=1))["sent"] == 0
    assert delivery.deliver_due(now=T0)["sent"] == 1


def test_retries_back_off_then_give_up(person, recorder, settings):
    settings.ONETHING = {**settings.ONETHING, "NOTIFY_MAX_ATTEMPTS": 3, "NOTIFY_RETRY_SECONDS": 60}
    recorder.failures = 10
    row = _queue(person)
    OutboxMessage.objects.filter(pk=row.pk).update(next_attempt_at=T0)

    assert delivery.deliver_due(now=T0)["retrying"] == 1
    row.refresh_from_db()
    assert (row.status, row.attempts, row.next_attempt_at) == (S.RETRYING, 1, T0 + dt.timedelta(seconds=60))
    assert row.last_error == "ConnectionError: 网关不可用：用户 4306**********1235"  # masked

    assert delivery.deliver_due(now=T0 + dt.timedelta(seconds=59))["retrying"] == 0  # not yet due
    assert delivery.deliver_due(now=T0 + dt.timedelta(seconds=60))["retrying"] == 1
    row.refresh_from_db()
    assert (row.attempts, row.next_attempt_at) == (2, T0 + dt.timedelta(seconds=180))  # +120 s

    assert delivery.deliver_due(now=T0 + dt.timedelta(seconds=180))["failed"] == 1
    row.refresh_from_db()
    assert (row.status, row.attempts) == (S.FAILED, 3)
    assert delivery.deliver_due(now=T0 + dt.timedelta(days=1))["sent"] == 0  # given up: not claimed again
    assert recorder.sent == []


def test_a_retry_that_succeeds_is_sent_once(person, recorder):
    recorder.failures = 1
    row = _queue(person)
    OutboxMessage.objects.filter(pk=row.pk).update(next_attempt_at=T0)
    delivery.deliver_due(now=T0)
    delivery.deliver_due(now=T0 + dt.timedelta(minutes=5))
    row.refresh_from_db()
    assert (row.status, row.attempts, row.last_error) == (S.SENT, 2, "")
    assert [m.id for m in recorder.sent] == [row.pk]


def test_backoff_doubles_and_is_capped(settings):
    settings.ONETHING = {**settings.ONETHING, "NOTIFY_RETRY_SECONDS": 30}
    assert [delivery.backoff(n).total_seconds() for n in (1, 2, 3, 4)] == [30, 60, 120, 240]
    assert delivery.backoff(30) == dt.timedelta(hours=1)


def test_a_dead_consumers_claim_is_recovered_and_sent(person, recorder, settings):
    """A consumer claimed and died (SIGKILL before sending or before marking): after the claim
    timeout the row is due again; before it, it is left alone (its consumer may be alive)."""
    settings.ONETHING = {**settings.ONETHING, "NOTIFY_CLAIM_TIMEOUT": 600}
    row = _queue(person)
    OutboxMessage.objects.filter(pk=row.pk).update(next_attempt_at=T0)
    assert [r.pk for r in delivery.claim(T0)] == [row.pk]  # … and the consumer dies here

    result = delivery.deliver_due(now=T0 + dt.timedelta(seconds=599))
    assert (result["recovered"], result["sent"]) == (0, 0)
    result = delivery.deliver_due(now=T0 + dt.timedelta(seconds=601))
    assert (result["recovered"], result["sent"]) == (1, 1)
    row.refresh_from_db()
    assert (row.status, row.attempts) == (S.SENT, 2)
    assert [m.id for m in recorder.sent] == [row.pk]


def test_a_stale_claim_on_its_last_attempt_fails(person, recorder, settings):
    settings.ONETHING = {**settings.ONETHING, "NOTIFY_MAX_ATTEMPTS": 1}
    row = _queue(person)
    OutboxMessage.objects.filter(pk=row.pk).update(next_attempt_at=T0)
    delivery.claim(T0)
    assert delivery.deliver_due(now=T0 + dt.timedelta(hours=1))["recovered"] == 1
    row.refresh_from_db()
    assert row.status == S.FAILED and "超时未确认" in row.last_error


def test_a_late_consumer_does_not_overwrite_a_newer_claim(person, recorder, settings):
    """The first consumer stalled past the timeout; the row was recovered and claimed again.
    The stalled one's outcome must not touch the new claim; the receiver sees one id twice."""
    row = _queue(person)
    OutboxMessage.objects.filter(pk=row.pk).update(next_attempt_at=T0)
    (stalled,) = delivery.claim(T0)
    later = T0 + delivery.claim_timeout() + dt.timedelta(seconds=1)
    delivery.recover_stale(later)
    (fresh,) = delivery.claim(later)
    recorder.failures = 1
    assert delivery.send_one(stalled, later) == S.RETRYING  # its failure is not recorded …
    row.refresh_from_db()
    assert (row.status, row.claimed_at) == (S.SENDING, later)  # … the new claim stands
    assert delivery.send_one(fresh, later) == S.SENT
    row.refresh_from_db()
    assert row.status == S.SENT


def test_a_recipient_who_lost_the_address_is_given_up_at_once(person, channels):
    """The phone number was removed after the event: no retries, the row fails with why."""
    channels(["inbox", "sms"], {"case.done": ["sms"]})
    row = _queue(person)
    type(person).objects.filter(pk=person.pk).update(phone="")
    assert delivery.deliver_due(now=T0 + dt.timedelta(days=400))["failed"] == 1
    row.refresh_from_db()
    assert (row.status, row.attempts) == (S.FAILED, 1)
    assert row.last_error == "Undeliverable: 接收人没有手机号码" and sms.OUTBOX == []


def test_a_channel_switched_off_fails_its_rows(person, recorder, channels):
    row = _queue(person)
    channels(["inbox"])
    assert delivery.deliver_due(now=T0 + dt.timedelta(days=400))["failed"] == 1
    row.refresh_from_db()
    assert row.status == S.FAILED and row.last_error == "渠道 recorder-test 已停用"
    assert recorder.sent == []


def test_retry_puts_failed_rows_back(person, recorder, settings):
    settings.ONETHING = {**settings.ONETHING, "NOTIFY_MAX_ATTEMPTS": 1}
    recorder.failures = 1
    row = _queue(person)
    delivery.deliver_due(now=T0 + dt.timedelta(days=400))
    row.refresh_from_db()
    assert row.status == S.FAILED
    sent_row = _queue(person, title="另一条")
    delivery.deliver_due(now=T0 + dt.timedelta(days=400))
    assert delivery.retry([row.pk, sent_row.pk], now=T0 + dt.timedelta(days=400)) == 1  # failed ones only
    row.refresh_from_db()
    assert (row.status, row.attempts) == (S.RETRYING, 0)
    assert delivery.deliver_due(now=T0 + dt.timedelta(days=400))["sent"] == 1
    assert [m.title for m in recorder.sent] == ["另一条", "您的申请已办结"]


def test_a_run_stops_after_its_batches(person, recorder, monkeypatch):
    monkeypatch.setattr(delivery, "BATCH", 2)
    for n in range(5):
        _queue(person, title=f"第{n}条")
    first = delivery.deliver_due(now=T0 + dt.timedelta(days=400), batches=2)
    assert (first["sent"], first["more"]) == (4, True)
    second = delivery.deliver_due(now=T0 + dt.timedelta(days=400), batches=2)
    assert (second["sent"], second["more"]) == (1, False)


def test_the_periodic_sweep_delivers_what_no_kick_announced(person, recorder, immediate_huey):
    from onething.notifications.tasks import sweep_outbox

    row = _queue(person)  # no commit callback ran: only the sweep can find it
    sweep_outbox.call_local()
    row.refresh_from_db()
    assert row.status == S.SENT


def test_the_task_continues_a_backlog(person, recorder, immediate_huey, monkeypatch):
    from onething.notifications.tasks import deliver_outbox

    monkeypatch.setattr(delivery, "MAX_BATCHES", 1)
    monkeypatch.setattr(delivery, "BATCH", 2)
    for n in range(5):
        _queue(person, title=f"第{n}条")
    deliver_outbox()  # immediate: runs here, re-enqueues itself while rows remain
    assert OutboxMessage.objects.filter(status=S.SENT).count() == 5


# ------------------------------------------------------------------------------- channels


def test_sms_without_a_gateway_goes_to_the_dev_outbox(person, channels):
    channels(["inbox", "sms"], {"case.done": ["sms"]})
    _queue(person)
    delivery.deliver_due(now=T0 + dt.timedelta(days=400))
    assert sms.OUTBOX == [("13812345678", "【一件事】您的申请已办结")]


def test_sms_gateway_gets_the_message_id_and_its_failure_is_retried(person, channels, monkeypatch):
    """A fake gateway on loopback: the body carries the id (the gateway's dedup key); a 503
    is a failed attempt, not a sent message."""
    import threading
    from http.server import BaseHTTPRequestHandler, HTTPServer

    received, answers = [], [503, 200]

    class Gateway(BaseHTTPRequestHandler):
        def do_POST(self):
            received.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
            self.send_response(answers.pop(0))
            self.end_headers()

        def log_message(self, *args):
            pass

    server = HTTPServer(("127.0.0.1", 0), Gateway)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        monkeypatch.setenv("ONETHING_SMS_URL", f"http://127.0.0.1:{server.server_port}/send")
        channels(["inbox", "sms"], {"case.done": ["sms"]})
        row = _queue(person)
        assert delivery.deliver_due(now=T0 + dt.timedelta(days=400))["retrying"] == 1
        assert delivery.deliver_due(now=T0 + dt.timedelta(days=401))["sent"] == 1
    finally:
        server.shutdown()
    expected = {"phone": "13812345678", "text": "【一件事】您的申请已办结", "id": f"onething-{row.pk}"}
    assert received == [expected, expected]
    row.refresh_from_db()
    assert row.status == S.SENT and row.attempts == 2


def test_email_carries_a_stable_message_id_and_failures_raise(person, channels, settings):
    channels(["inbox", "email"], {"case.done": ["email"]})
    row = _queue(person)
    delivery.deliver_due(now=T0 + dt.timedelta(days=400))
    (sent,) = mail.outbox
    assert sent.to == ["a@example.cn"] and sent.subject == "【一件事】您的申请已办结"
    assert sent.extra_headers["Message-ID"] == f"<onething-outbox-{row.pk}@127.0.0.1>"
    assert sent.body == "请领取结果\n\nhttp://127.0.0.1:8000/cases/A1/"
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", 9  # nothing listens: refused
    row2 = _queue(person, title="第二封")
    delivery.deliver_due(now=T0 + dt.timedelta(days=400))
    row2.refresh_from_db()
    assert row2.status == S.RETRYING and "ConnectionRefusedError" in row2.last_error


def test_console_logs_a_message_id_once(caplog):
    caplog.set_level("INFO", logger="onething.notifications")
    message = Message(7, "", "", "case.done", "办结", "申请人 11010519491231002X", "", id=987654321)
    backend = registry.get_backend("console")
    backend.send(message)
    backend.send(message)
    lines = [r.getMessage() for r in caplog.records if "#987654321" in r.getMessage()]
    assert len(lines) == 1 and "通知 #987654321 case.done" in lines[0]
    assert "11010519491231002X" not in caplog.text  # the log filter masks it


def test_console_forgets_the_oldest_ids(monkeypatch):
    monkeypatch.setattr(console, "SEEN_MAX", 2)
    monkeypatch.setattr(console, "_seen", type(console._seen)())
    assert [console._first_time(n) for n in (1, 2, 3, 1)] == [True, True, True, True]  # 1 was forgotten
    assert console._first_time(3) is False


def test_file_channel_is_idempotent_across_processes(tmp_path, monkeypatch):
    target = tmp_path / "out.jsonl"
    monkeypatch.setenv("ONETHING_NOTIFY_FILE", str(target))
    monkeypatch.setattr(file, "_seen", file._Seen())
    backend = registry.get_backend("file")
    backend.send(Message(1, "", "", "e", "一", "", "", id=1))
    backend.send(Message(1, "", "", "e", "一", "", "", id=1))
    monkeypatch.setattr(file, "_seen", file._Seen())  # another process: knows nothing yet
    backend.send(Message(1, "", "", "e", "一", "", "", id=1))
    backend.send(Message(1, "", "", "e", "二", "", "", id=2))
    lines = [json.loads(line) for line in target.read_text().splitlines()]
    assert [(d["id"], d["title"]) for d in lines] == [(1, "一"), (2, "二")]


def test_file_channel_survives_a_torn_last_line(tmp_path, monkeypatch):
    """A writer killed mid-line leaves half a line: the next message starts on a new line."""
    target = tmp_path / "out.jsonl"
    target.write_text('{"id": 1, "title": "一"}\n{"id": 2, "tit')
    monkeypatch.setenv("ONETHING_NOTIFY_FILE", str(target))
    monkeypatch.setattr(file, "_seen", file._Seen())
    backend = registry.get_backend("file")
    backend.send(Message(1, "", "", "e", "一", "", "", id=1))  # already there
    backend.send(Message(1, "", "", "e", "三", "", "", id=3))
    lines = target.read_text().splitlines()
    assert lines[0] == '{"id": 1, "title": "一"}' and lines[1] == '{"id": 2, "tit'
    assert json.loads(lines[2])["id"] == 3 and len(lines) == 3


def test_file_channel_defaults_to_the_var_dir(settings, monkeypatch, tmp_path):
    monkeypatch.delenv("ONETHING_NOTIFY_FILE", raising=False)
    settings.VAR_DIR = tmp_path
    assert file.path() == tmp_path / "notifications.jsonl"


def test_the_inbox_is_never_delivered_through_the_outbox():
    with pytest.raises(RuntimeError, match="不经发件箱"):
        registry.get_backend("inbox").send(Message(1, "", "", "e", "t", "", ""))


def test_claim_reads_fresh_time_without_an_injected_clock(person, recorder):
    row = _queue(person)
    before = timezone.now()
    delivery.deliver_due()
    row.refresh_from_db()
    assert row.status == S.SENT and row.claimed_at >= before
