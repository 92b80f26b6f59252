"""Sending (issue #17): ``outbox.send`` seals an envelope into the outbox in the caller's transaction."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from django.db import transaction
from django.utils import timezone

from onething.federation import nodes, outbox, relay
from onething.federation.models import LogEntry, Outbound, Sequence
from onething.federation.tests.test_nodes import Peer_
from onething.kernel import envelope
from onething.kernel.errors import Invalid, NotFound

pytestmark = pytest.mark.django_db

HUNAN, HUBEI, GUANGDONG, HUB = "430000", "420000", "440000", "100000"
NOW = dt.datetime(2026, 9, 30, 2, 0, tzinfo=dt.UTC)  # 10:00 in Beijing
CASE = "430600-20260930-000001"


class FakePeer:
    """A transport that plays peer nodes: it opens each envelope with this node's public keys
    (from its descriptor, as the peer pinned them) and answers with a receipt signed by the
    addressed peer's key. ``answer`` may replace the outcome, the status or the whole reply."""

    def __init__(self, *peers: Peer_):
        self.peers = {p.code: p for p in peers}
        self.calls: list[tuple[str, envelope.Envelope, float]] = []
        self.outcome = envelope.APPLIED
        self.fail: dict[str, object] = {}  # message id or node code → exception or (status, body)

    def receipt(
        self, token: str, opened: envelope.Envelope, *, signer: Peer_ | None = None, **change
    ) -> bytes:
        peer = signer or self.peers[opened.recipient]
        kid = next(k["kid"] for k in peer.keys if k["current"])
        fields = {
            "receiver": opened.recipient,
            "sender": opened.sender,
            "message_id": opened.message_id,
            "digest": envelope.digest(token),
            "outcome": self.outcome,
            "at": outbox.rfc3339(NOW),
            "reason": "等待前序报文" if self.outcome == envelope.HELD else "",
        }
        fields.update(change)
        return envelope.seal_receipt(envelope.Receipt(**fields), peer.pems[kid], kid).encode()

    def __call__(self, url: str, token: str, timeout: float) -> tuple[int, bytes]:
        ours = {k["kid"]: k["jwk"] for k in nodes.descriptor()["keys"]}
        opened = envelope.open_envelope(token, ours)
        self.calls.append((url, opened, timeout))
        for key in (opened.message_id, opened.recipient):
            if key in self.fail:
                failure = self.fail[key]
                if isinstance(failure, BaseException):
                    raise failure
                if callable(failure):
                    return failure(token, opened)
                return failure
        return 200, self.receipt(token, opened)

    def seqs(self) -> list[int]:
        return [opened.seq for _, opened, _ in self.calls]


@pytest.fixture
def world(settings, tmp_path):
    """This node (湖南) with 湖北 and 广东 trusted; the peers' private keys are the test's."""
    settings.ONETHING = {**settings.ONETHING, "NODE_KEY_DIR": str(tmp_path / "node-keys")}
    nodes.init(HUNAN, "湖南省", "https://hunan.example.cn")
    hubei = Peer_(HUBEI, "湖北省", "https://hubei.example.cn")
    guangdong = Peer_(GUANGDONG, "广东省", "https://guangdong.example.cn/onething/")
    nodes.trust(hubei.descriptor())
    nodes.trust(guangdong.descriptor())
    return FakePeer(hubei, guangdong)


def ours() -> dict:
    return {k["kid"]: k["jwk"] for k in nodes.descriptor()["keys"]}


def logged(event: str, row: Outbound) -> list[LogEntry]:
    return list(LogEntry.objects.filter(event=event, message_id=str(row.message_id)))


# ------------------------------------------------------------------------------ the envelope


def test_the_token_opens_with_this_nodes_descriptor_keys(world):
    deadline = {"due": "2026-10-20T17:00:00+08:00", "paused": []}
    row = outbox.send(HUBEI, "case.status", {"status": "accepted"}, case=CASE, deadline=deadline, now=NOW)

    opened = envelope.open_envelope(row.token, ours(), recipient=HUBEI)
    assert opened == envelope.Envelope(
        sender=HUNAN,
        recipient=HUBEI,
        message_id=str(row.message_id),
        case=CASE,
        seq=1,
        kind="case.status",
        payload={"status": "accepted"},
        sent_at="2026-09-30T10:00:00+08:00",
        deadline=deadline,
        via="",
    )
    row.refresh_from_db()
    assert (row.recipient, row.route, row.case, row.seq, row.kind) == (HUBEI, HUBEI, CASE, 1, "case.status")
    assert row.status == Outbound.Status.PENDING and row.attempts == 0 and row.next_attempt_at == NOW
    assert row.digest == envelope.digest(row.token)
    # a peer's key does not open it: the signature is this node's
    hubei = world.peers[HUBEI]
    with pytest.raises(envelope.EnvelopeRefused) as refused:
        envelope.open_envelope(row.token, {k["kid"]: k["jwk"] for k in hubei.keys})
    assert refused.value.code == envelope.UNTRUSTED_KEY

    (entry,) = logged("sent", row)
    assert (entry.peer, entry.token, entry.digest, entry.at) == (HUBEI, row.token, row.digest, NOW)


def test_a_peer_reached_through_a_hub_is_routed_to_the_hub(world):
    hub = Peer_(HUB, "国家枢纽", "https://hub.example.cn", hub=True)
    nodes.trust(hub.descriptor())
    nodes.trust(world.peers[HUBEI].descriptor(), via=HUB)
    row = outbox.send(HUBEI, "node.ping", {}, now=NOW)
    assert row.route == HUB and row.recipient == HUBEI
    assert envelope.open_envelope(row.token, ours()).via == HUB


# ------------------------------------------------------------------------------ transactions


def test_a_send_rolled_back_with_its_transaction_leaves_nothing(world):
    with pytest.raises(RuntimeError), transaction.atomic():
        row = outbox.send(HUBEI, "case.forward", {"form": {}}, case=CASE, now=NOW)
        assert Outbound.objects.filter(pk=row.pk).exists()
        raise RuntimeError("the local change failed")
    assert not Outbound.objects.filter(message_id=row.message_id).exists()
    assert not LogEntry.objects.filter(message_id=str(row.message_id)).exists()
    # and the case's number was given back: the next message is still 1
    assert outbox.send(HUBEI, "case.forward", {"form": {}}, case=CASE, now=NOW).seq == 1


def test_a_refused_send_inside_a_transaction_gives_its_number_back(world):
    with transaction.atomic():
        first = outbox.send(HUBEI, "case.forward", {}, case=CASE, now=NOW)
        with pytest.raises(Invalid) as refused:
            outbox.send(HUBEI, "Case Status", {}, case=CASE, now=NOW)
        assert refused.value.field == "kind" and "kind（消息类型）" in refused.value.message
        with pytest.raises(Invalid) as refused:
            outbox.send(HUBEI, "case.status", {"at": NOW}, case=CASE, now=NOW)  # not JSON
        assert refused.value.field is None and "420000" in refused.value.message
        second = outbox.send(HUBEI, "case.status", {}, case=CASE, now=NOW)
    assert (first.seq, second.seq) == (1, 2)
    assert Outbound.objects.count() == 2


def test_one_kick_per_transaction(world, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks, transaction.atomic():
        for number in range(3):
            outbox.send(HUBEI, "case.status", {"n": number}, case=CASE, now=NOW)
    assert [c for c in callbacks if c is outbox._kick] == [outbox._kick]


@pytest.fixture
def immediate_huey():
    from huey.contrib.djhuey import HUEY

    before = HUEY.immediate
    HUEY.immediate = True
    yield HUEY
    HUEY.immediate = before


def test_the_commit_kicks_the_relay(world, monkeypatch, immediate_huey, django_capture_on_commit_callbacks):
    """End to end in one process: commit → kick → huey task → POST → receipt stored."""
    monkeypatch.setattr(relay, "http_post", world)
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        row = outbox.send(HUBEI, "node.ping", {})
        assert world.calls == []  # nothing leaves before the commit
    row.refresh_from_db()
    assert row.status == Outbound.Status.DELIVERED and len(world.calls) == 1


# ------------------------------------------------------------------------------ numbering


def test_sequence_numbers_count_per_recipient_and_case(world):
    other = "430600-20260930-000002"
    sent = [
        outbox.send(HUBEI, "case.forward", {}, case=CASE, now=NOW),
        outbox.send(HUBEI, "case.status", {}, case=CASE, now=NOW),
        outbox.send(HUBEI, "case.forward", {}, case=other, now=NOW),
        outbox.send(GUANGDONG, "case.forward", {}, case=CASE, now=NOW),
        outbox.send(HUBEI, "case.result", {}, case=CASE, now=NOW),
        outbox.send(HUBEI, "node.ping", {}, now=NOW),
        outbox.send(HUBEI, "node.ping", {}, now=NOW),
    ]
    assert [(r.recipient, r.case, r.seq) for r in sent] == [
        (HUBEI, CASE, 1),
        (HUBEI, CASE, 2),
        (HUBEI, other, 1),
        (GUANGDONG, CASE, 1),
        (HUBEI, CASE, 3),
        (HUBEI, "", 0),
        (HUBEI, "", 0),
    ]
    assert [envelope.open_envelope(r.token, ours()).seq for r in sent] == [1, 2, 1, 1, 3, 0, 0]
    assert len({r.message_id for r in sent}) == len(sent)
    lasts = {(s.peer, s.case): s.last for s in Sequence.objects.filter(direction=Sequence.Direction.OUT)}
    assert lasts == {(HUBEI, CASE): 3, (HUBEI, other): 1, (GUANGDONG, CASE): 1}


# ------------------------------------------------------------------------------ refusals


def test_only_trusted_peers_are_sent_to(world):
    with pytest.raises(NotFound, match="节点 450000 不是本节点的信任节点") as refused:
        outbox.send("450000", "node.ping", {}, now=NOW)
    assert refused.value.field == "recipient"
    with pytest.raises(Invalid, match="430000 是本节点自己"):
        outbox.send(HUNAN, "node.ping", {}, now=NOW)
    with pytest.raises(Invalid, match="case（办件编号）"):
        outbox.send(HUBEI, "case.status", {}, case="办件 1", now=NOW)
    assert not Outbound.objects.exists()
    assert not LogEntry.objects.exists()
    assert not Sequence.objects.exists()


def test_sending_needs_an_initialised_node(settings, tmp_path):
    settings.ONETHING = {**settings.ONETHING, "NODE_KEY_DIR": str(tmp_path / "node-keys")}
    with pytest.raises(NotFound, match="本节点尚未初始化"):
        outbox.send(HUBEI, "node.ping", {}, now=NOW)


def test_send_reads_the_clock_when_not_given_one(world):
    before = timezone.now()
    row = outbox.send(HUBEI, "node.ping", {"nonce": str(uuid.uuid4())})
    sent_at = dt.datetime.fromisoformat(envelope.open_envelope(row.token, ours()).sent_at)
    assert before - dt.timedelta(seconds=1) <= sent_at <= timezone.now()
