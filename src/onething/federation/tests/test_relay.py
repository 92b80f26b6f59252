"""The relay (issue #17): claim → POST → verified receipt → delivered; retries forever with a
capped backoff; stale claims recovered; a case's messages in sequence order; ``node ping``."""

from __future__ import annotations

import datetime as dt
import io
import urllib.error

import pytest
from django.core.management import CommandError, call_command

from onething.federation import nodes, outbox, relay, tasks
from onething.federation.models import LogEntry, Outbound, Peer
from onething.federation.tests.test_nodes import Peer_
from onething.federation.tests.test_outbox import CASE, GUANGDONG, HUBEI, HUNAN, NOW, logged
from onething.federation.tests.test_outbox import world as world  # the fixture
from onething.kernel import envelope

pytestmark = pytest.mark.django_db

S = Outbound.Status
SECOND = dt.timedelta(seconds=1)


def row_of(row: Outbound) -> Outbound:
    row.refresh_from_db()
    return row


# ------------------------------------------------------------------------------ delivered


@pytest.mark.parametrize("outcome", [envelope.APPLIED, envelope.HELD, envelope.REFUSED])
def test_a_verified_receipt_delivers_whatever_its_outcome(world, settings, outcome):
    settings.ONETHING = {**settings.ONETHING, "FEDERATION_TIMEOUT": 3}
    world.outcome = outcome
    row = outbox.send(GUANGDONG, "case.forward", {"form": {"name": "张三"}}, case=CASE, now=NOW)

    counts = relay.deliver_due(NOW, transport=world)

    assert counts == {"recovered": 0, S.DELIVERED: 1, S.RETRYING: 0, "more": False}
    ((url, opened, timeout),) = world.calls
    assert url == "https://guangdong.example.cn/onething/federation/v1/envelopes" and timeout == 3
    assert opened.message_id == str(row.message_id)
    row = row_of(row)
    assert (row.status, row.attempts, row.delivered_at, row.last_error) == (S.DELIVERED, 1, NOW, "")
    receipt = envelope.open_receipt(row.receipt, nodes.trusted_keys(GUANGDONG))
    assert (receipt.receiver, receipt.sender, receipt.message_id, receipt.digest, receipt.outcome) == (
        GUANGDONG,
        HUNAN,
        str(row.message_id),
        row.digest,
        outcome,
    )
    (entry,) = logged("receipt_received", row)
    assert entry.peer == GUANGDONG and entry.token == row.receipt and entry.reason.startswith(outcome)
    # delivered is done: the next run posts nothing
    assert relay.deliver_due(NOW + dt.timedelta(hours=2), transport=world)[S.DELIVERED] == 0
    assert len(world.calls) == 1


def test_the_default_transport_is_an_http_post(world, monkeypatch):
    seen = []

    def post(url, token, timeout):
        seen.append((url, timeout))
        return world(url, token, timeout)

    monkeypatch.setattr(relay, "http_post", post)
    row = outbox.send(HUBEI, "node.ping", {}, now=NOW)
    relay.deliver_due(NOW)
    assert row_of(row).status == S.DELIVERED
    assert seen == [("https://hubei.example.cn/federation/v1/envelopes", 10.0)]


# ------------------------------------------------------------------------------ failures


def test_an_unreachable_peer_is_retried_forever_with_a_capped_backoff(world):
    row = outbox.send(HUBEI, "case.forward", {}, case=CASE, now=NOW)
    world.fail[HUBEI] = urllib.error.URLError(ConnectionRefusedError(111, "Connection refused"))
    now, waits = NOW, []
    for attempt in range(1, 101):
        assert relay.deliver_due(now - SECOND, transport=world)[S.RETRYING] == 0  # not due yet
        assert relay.deliver_due(now, transport=world)[S.RETRYING] == 1
        row = row_of(row)
        assert row.status == S.RETRYING and row.attempts == attempt
        assert "无法连接节点 420000" in row.last_error and "Connection refused" in row.last_error
        waits.append(row.next_attempt_at - now)
        full = min(relay.BACKOFF_BASE * 2 ** min(attempt - 1, 10), relay.BACKOFF_CAP)
        assert full * (1 - relay.JITTER) <= waits[-1] <= full
        now = row.next_attempt_at
    assert waits[0] <= dt.timedelta(seconds=30) and waits[1] > dt.timedelta(seconds=30)
    assert max(waits) <= dt.timedelta(hours=1) and waits[-1] >= dt.timedelta(minutes=48)
    assert len(world.calls) == 100 and not row.receipt and not logged("receipt_received", row)

    # the partition heals (days later): the next attempt delivers
    del world.fail[HUBEI]
    relay.deliver_due(now + dt.timedelta(days=3), transport=world)
    assert row_of(row).status == S.DELIVERED and row.attempts == 101


def test_the_backoff_doubles_from_thirty_seconds_to_an_hour():
    assert [relay.backoff(n, jitter=0).total_seconds() for n in range(1, 9)] == [
        30,
        60,
        120,
        240,
        480,
        960,
        1920,
        3600,
    ]
    assert relay.backoff(10_000, jitter=0) == dt.timedelta(hours=1)
    assert relay.backoff(3, jitter=1) == dt.timedelta(seconds=120 * (1 - relay.JITTER))


@pytest.mark.parametrize(
    ("answer", "error"),
    [
        ((503, b"<h1>Service Unavailable</h1>"), "节点 420000 返回 HTTP 503：<h1>Service Unavailable</h1>"),
        ((400, b""), "节点 420000 返回 HTTP 400"),
        (
            (403, '{"error": {"code": "untrusted_key", "message": "签名密钥不受信任。"}}'.encode()),
            "节点 420000 返回 HTTP 403：签名密钥不受信任。（untrusted_key）",
        ),
        ((302, b""), "节点 420000 返回 HTTP 302"),
        (TimeoutError("timed out"), "连接节点 420000 超时（10 秒）"),
        (urllib.error.URLError(TimeoutError("timed out")), "连接节点 420000 超时（10 秒）"),
        ((200, b"OK"), "节点 420000 的回执无效（malformed）"),
        ((200, "回执".encode()), "节点 420000 的应答不是签名回执"),
    ],
)
def test_any_other_answer_is_a_failed_attempt(world, answer, error):
    row = outbox.send(HUBEI, "node.ping", {}, now=NOW)
    world.fail[HUBEI] = answer
    assert relay.deliver_due(NOW, transport=world)[S.RETRYING] == 1
    row = row_of(row)
    assert row.status == S.RETRYING and row.last_error.startswith(error)
    assert row.next_attempt_at > NOW and not row.receipt and row.delivered_at is None


def test_a_receipt_that_does_not_verify_is_not_delivery(world):
    hubei, guangdong = world.peers[HUBEI], world.peers[GUANGDONG]
    stranger = Peer_(HUBEI, "冒充的湖北省", "https://evil.example.cn")  # same code, keys never trusted
    rows = [outbox.send(HUBEI, "case.status", {}, case=f"C{n}", now=NOW) for n in range(5)]
    fakes = {
        # signed by a key nobody trusted
        rows[0].message_id: lambda token, opened: (200, world.receipt(token, opened, signer=stranger)),
        # signed by another trusted peer (its keys are not 湖北's)
        rows[1].message_id: lambda token, opened: (200, world.receipt(token, opened, signer=guangdong)),
        # 湖北's key, but answering another envelope
        rows[2].message_id: lambda token, opened: (200, world.receipt(token, opened, digest="0" * 64)),
        rows[3].message_id: lambda token, opened: (
            200,
            world.receipt(token, opened, message_id=str(rows[0].message_id)),
        ),
        # 湖北's key, but saying someone else received it
        rows[4].message_id: lambda token, opened: (200, world.receipt(token, opened, receiver=GUANGDONG)),
    }
    world.fail.update({str(k): v for k, v in fakes.items()})

    assert relay.deliver_due(NOW, transport=world)[S.RETRYING] == 5
    errors = [row_of(r).last_error for r in rows]
    assert "untrusted_key" in errors[0] and "untrusted_key" in errors[1]
    assert "另一份报文" in errors[2] and "另一份报文" in errors[3]
    assert "回执由节点 440000 出具" in errors[4]
    for row in rows:
        assert row.status == S.RETRYING and not row.receipt and not logged("receipt_received", row)

    # the genuine receipt on the next attempt delivers
    world.fail.clear()
    assert hubei is world.peers[HUBEI]
    relay.deliver_due(NOW + dt.timedelta(minutes=1), transport=world)
    assert all(row_of(r).status == S.DELIVERED for r in rows)


def test_a_peer_that_is_down_does_not_hold_up_the_others(world):
    first = outbox.send(HUBEI, "node.ping", {}, now=NOW)
    second = outbox.send(HUBEI, "case.status", {}, case=CASE, now=NOW)
    other = outbox.send(GUANGDONG, "node.ping", {}, now=NOW)
    world.fail[HUBEI] = urllib.error.URLError(OSError("Network is unreachable"))

    counts = relay.deliver_due(NOW, transport=world)

    assert counts[S.DELIVERED] == 1 and counts[S.RETRYING] == 2
    assert [opened.recipient for _, opened, _ in world.calls] == [HUBEI, GUANGDONG]  # 湖北 once
    assert row_of(other).status == S.DELIVERED
    assert row_of(first).status == S.RETRYING and row_of(second).status == S.RETRYING
    assert second.last_error.startswith("未发送：本轮发往节点 420000 已失败")
    assert second.next_attempt_at > NOW


def test_a_peer_no_longer_trusted_keeps_its_messages(world):
    row = outbox.send(HUBEI, "node.ping", {}, now=NOW)
    descriptor = world.peers[HUBEI].descriptor()
    Peer.objects.filter(code=HUBEI).delete()
    relay.deliver_due(NOW, transport=world)
    assert row_of(row).status == S.RETRYING and "已不是信任节点" in row.last_error and not world.calls
    nodes.trust(descriptor)
    relay.deliver_due(row.next_attempt_at, transport=world)
    assert row_of(row).status == S.DELIVERED


# ------------------------------------------------------------------------------ claims


def test_a_stale_claim_is_recovered_and_delivered_once(world):
    row = outbox.send(HUBEI, "case.forward", {}, case=CASE, now=NOW)
    (crashed,) = relay.claim(NOW)  # a relay claimed it and died
    assert row_of(row).status == S.SENDING

    fresh = NOW + dt.timedelta(seconds=299)
    assert relay.deliver_due(fresh, transport=world) == {
        "recovered": 0,
        S.DELIVERED: 0,
        S.RETRYING: 0,
        "more": False,
    }
    assert world.calls == []

    later = NOW + dt.timedelta(seconds=301)
    counts = relay.deliver_due(later, transport=world)
    assert counts["recovered"] == 1 and counts[S.DELIVERED] == 1
    assert len(world.calls) == 1
    assert row_of(row).status == S.DELIVERED and row.attempts == 2 and row.delivered_at == later
    assert relay.deliver_due(later + dt.timedelta(hours=1), transport=world)[S.DELIVERED] == 0
    assert len(world.calls) == 1

    # the stalled relay wakes up and finishes its post: the row is no longer its claim
    assert relay.send_one(crashed, later, sender=HUNAN, transport=world)[0] == S.DELIVERED
    assert len(logged("receipt_received", row)) == 1 and row_of(row).delivered_at == later


def test_the_claim_timeout_is_a_setting(world, settings):
    settings.ONETHING = {**settings.ONETHING, "FEDERATION_CLAIM_TIMEOUT": 30}
    row = outbox.send(HUBEI, "node.ping", {}, now=NOW)
    relay.claim(NOW)
    assert relay.recover_stale(NOW + dt.timedelta(seconds=29)) == 0
    assert relay.recover_stale(NOW + dt.timedelta(seconds=31)) == 1
    assert row_of(row).status == S.RETRYING and "重新投递" in row.last_error


# ------------------------------------------------------------------------------ order


def test_a_cases_messages_leave_in_sequence_order_one_at_a_time(world):
    rows = [outbox.send(HUBEI, "case.status", {"n": n}, case=CASE, now=NOW) for n in range(1, 4)]
    other = outbox.send(HUBEI, "case.forward", {}, case="C2", now=NOW)
    ping = outbox.send(HUBEI, "node.ping", {}, now=NOW)
    # the first message of the case is refused with a 400 once (not a down peer)
    world.fail[str(rows[0].message_id)] = (400, b"")

    relay.deliver_due(NOW, transport=world)
    assert world.seqs() == [1, 1, 0]  # CASE#1 (failed), C2#1, the ping: CASE#2 and #3 wait
    assert [row_of(r).status for r in rows] == [S.RETRYING, S.PENDING, S.PENDING]
    assert rows[1].attempts == 0 and rows[2].attempts == 0
    assert row_of(other).status == S.DELIVERED and row_of(ping).status == S.DELIVERED

    del world.fail[str(rows[0].message_id)]
    later = rows[0].next_attempt_at
    relay.deliver_due(later, transport=world)
    assert world.seqs() == [1, 1, 0, 1, 2, 3]
    assert [row_of(r).status for r in rows] == [S.DELIVERED] * 3


def test_order_is_per_recipient(world):
    hubei = outbox.send(HUBEI, "case.status", {}, case=CASE, now=NOW)
    outbox.send(GUANGDONG, "case.status", {}, case=CASE, now=NOW)
    guangdong_second = outbox.send(GUANGDONG, "case.status", {}, case=CASE, now=NOW)
    world.fail[HUBEI] = (503, b"")
    relay.deliver_due(NOW, transport=world)
    assert row_of(hubei).status == S.RETRYING
    assert row_of(guangdong_second).status == S.DELIVERED  # 湖北's #1 does not hold 广东's #2


# ------------------------------------------------------------------------------ tasks, command


def test_the_minute_sweep_delivers(world, monkeypatch):
    monkeypatch.setattr(relay, "http_post", world)
    row = outbox.send(HUBEI, "node.ping", {}, now=NOW)
    tasks.sweep_outbox.call_local()
    assert row_of(row).status == S.DELIVERED


def node(*args: str) -> str:
    out = io.StringIO()
    call_command("node", *args, stdout=out)
    return out.getvalue()


def test_node_ping(world, monkeypatch):
    monkeypatch.setattr(relay, "http_post", world)
    printed = node("ping", HUBEI)
    row = Outbound.objects.get(kind="node.ping")
    assert row.status == S.DELIVERED and row.case == "" and row.seq == 0
    assert f"节点 {HUBEI} 已收到 ping（报文 {row.message_id}），回执结果 applied" in printed

    world.fail[HUBEI] = urllib.error.URLError(ConnectionRefusedError(111, "Connection refused"))
    with pytest.raises(
        CommandError, match=r"ping 未送达节点 420000：无法连接节点 420000.*第2次尝试在 .* 之后"
    ):
        node("ping", HUBEI)
    assert Outbound.objects.filter(kind="node.ping", status=S.RETRYING).count() == 1

    with pytest.raises(CommandError, match="节点 450000 不是本节点的信任节点"):
        node("ping", "450000")
    assert LogEntry.objects.filter(event="sent").count() == 2
