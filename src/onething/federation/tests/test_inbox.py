"""The 跨省通办 inbox (issue #17): each envelope of a trusted peer takes effect once, in order.

This node is 湖南省 (430000); the peer is 湖北省 (420000), a key pair outside this database
whose descriptor this node trusts. ``effects`` registers test handlers: ``test.record`` writes
a row (the effect counted) and notes the call; ``test.refuse`` refuses; ``test.crash`` writes a
row and then fails.
"""

from __future__ import annotations

import base64
import json
import uuid

import pytest

from onething.federation import handlers, inbox, nodes
from onething.federation.models import Inbound, LogEntry, Sequence
from onething.kernel import envelope
from onething.kernel.envelope import EnvelopeRefused

pytestmark = pytest.mark.django_db

HUNAN = ("430000", "湖南省", "https://hunan.example.cn")
CASE = "420100-20260930-000001"
#: the node code under which the test handlers write their effect rows
EFFECT = "999999"


class PeerNode:
    """Another node: its signing key and the envelopes it would send."""

    def __init__(self, code: str = "420000", name: str = "湖北省", url: str = "https://hubei.example.cn"):
        self.code, self.name, self.url = code, name, url
        self.pem = envelope.new_private_key()
        self.jwk = envelope.public_jwk(self.pem)
        self.kid = envelope.key_id(self.jwk)

    def descriptor(self) -> dict:
        return {
            "code": self.code,
            "name": self.name,
            "url": self.url,
            "hub": False,
            "keys": [{"kid": self.kid, "jwk": self.jwk, "current": True, "valid_until": None}],
        }

    def message(
        self, *, case: str = "", seq: int = 0, kind: str = "node.ping", **fields
    ) -> envelope.Envelope:
        return envelope.Envelope(
            sender=fields.pop("sender", self.code),
            recipient=fields.pop("recipient", HUNAN[0]),
            message_id=fields.pop("message_id", None) or str(uuid.uuid4()),
            case=case,
            seq=seq,
            kind=kind,
            payload=fields.pop("payload", {}),
            sent_at="2026-09-30T10:00:00+08:00",
            **fields,
        )

    def seal(self, **fields) -> str:
        return envelope.seal(self.message(**fields), self.pem, self.kid)


@pytest.fixture(autouse=True)
def key_dir(settings, tmp_path):
    folder = tmp_path / "node-keys"
    settings.ONETHING = {**settings.ONETHING, "NODE_KEY_DIR": str(folder)}
    return folder


@pytest.fixture
def hunan(key_dir):
    return nodes.init(*HUNAN)


@pytest.fixture
def hubei(hunan) -> PeerNode:
    peer = PeerNode()
    nodes.trust(peer.descriptor())
    return peer


@pytest.fixture
def effects(monkeypatch) -> list[tuple[str, int, str]]:
    """The calls of the test handlers: (case, seq, message id), in the order they ran."""
    calls: list[tuple[str, int, str]] = []

    def write(message: envelope.Envelope) -> None:
        calls.append((message.case, message.seq, message.message_id))
        Sequence.objects.create(peer=EFFECT, case=message.message_id, direction="out")

    def record(message):
        write(message)

    def refuse(message):
        write(message)
        raise handlers.Refused("该办件已办结，不再接收状态变更。")

    def crash(message):
        write(message)
        raise RuntimeError("the handler's database went away")

    for kind, fn in (("test.record", record), ("test.refuse", refuse), ("test.crash", crash)):
        monkeypatch.setitem(handlers.HANDLERS, kind, fn)
    return calls


def effect_rows() -> int:
    return Sequence.objects.filter(peer=EFFECT).count()


def own_keys() -> dict:
    return {k["kid"]: k["jwk"] for k in nodes.descriptor()["keys"]}


def receipt_of(token: str) -> envelope.Receipt:
    return envelope.open_receipt(token, own_keys())


def events(message_id: str = "") -> list[str]:
    found = LogEntry.objects.order_by("id")
    if message_id:
        found = found.filter(message_id=message_id)
    return list(found.values_list("event", flat=True))


def last_in(case: str = CASE, sender: str = "420000") -> int | None:
    row = Sequence.objects.filter(peer=sender, case=case, direction="in").first()
    return None if row is None else row.last


def message_id_of(token: str) -> str:
    return envelope.peek(token)[1]["message_id"]


# ------------------------------------------------------------------------------ applied once


def test_a_ping_is_applied_and_answered_with_a_signed_receipt(hubei):
    token = hubei.seal()
    got = inbox.receive(token)
    assert (got.status, got.duplicate) == ("applied", False)

    row = Inbound.objects.get()
    assert (row.sender, str(row.message_id), row.kind, row.status) == (
        "420000",
        message_id_of(token),
        "node.ping",
        "applied",
    )
    assert row.token == token and row.digest == envelope.digest(token) and row.receipt == got.receipt
    assert row.applied_at is not None

    receipt = receipt_of(got.receipt)
    assert (receipt.receiver, receipt.sender, receipt.message_id, receipt.digest, receipt.outcome) == (
        "430000",
        "420000",
        message_id_of(token),
        envelope.digest(token),
        "applied",
    )
    assert events() == ["received", "receipt_sent"]
    assert LogEntry.objects.get(event="received").token == token
    assert LogEntry.objects.get(event="receipt_sent").token == got.receipt


def test_bytes_are_received_like_text(hubei, effects):
    token = hubei.seal(kind="test.record")
    assert inbox.receive(token.encode("ascii")).status == "applied"
    assert Inbound.objects.get().token == token
    assert len(effects) == 1


def test_a_duplicate_delivery_gets_the_same_receipt_and_no_second_effect(hubei, effects):
    token = hubei.seal(case=CASE, seq=1, kind="test.record")
    first = inbox.receive(token)
    again = inbox.receive(token)
    third = inbox.receive(token)
    assert (first.duplicate, again.duplicate, third.duplicate) == (False, True, True)
    assert again.receipt == first.receipt == third.receipt
    assert again.status == "applied"
    assert len(effects) == 1 and effect_rows() == 1
    assert Inbound.objects.count() == 1
    assert last_in() == 1
    # every delivery is in the log, each answered by the one receipt
    assert events(message_id_of(token)) == ["received", "receipt_sent"] * 3
    sent = LogEntry.objects.filter(event="receipt_sent").values_list("token", flat=True)
    assert set(sent) == {first.receipt}


def test_a_node_level_duplicate_is_answered_the_same(hubei, effects):
    token = hubei.seal(kind="test.record")
    first = inbox.receive(token)
    assert inbox.receive(token) == first._replace(duplicate=True)
    assert len(effects) == 1 and effect_rows() == 1


def test_a_message_id_reused_for_another_envelope_is_refused(hubei, effects):
    message_id = str(uuid.uuid4())
    first = hubei.seal(case=CASE, seq=1, kind="test.record", message_id=message_id, payload={"n": 1})
    other = hubei.seal(case=CASE, seq=2, kind="test.record", message_id=message_id, payload={"n": 2})
    inbox.receive(first)
    with pytest.raises(EnvelopeRefused) as refused:
        inbox.receive(other)
    assert refused.value.code == "malformed"
    assert message_id in refused.value.reason and "报文编号" in refused.value.reason
    assert len(effects) == 1 and last_in() == 1
    row = Inbound.objects.get()
    assert row.digest == envelope.digest(first) and row.status == "applied"
    entry = LogEntry.objects.filter(event="refused").get()
    assert (entry.peer, entry.message_id, entry.token) == ("420000", message_id, other)
    assert "报文编号" in entry.reason


# ------------------------------------------------------------------------------ order


def test_out_of_order_3_1_2_is_held_then_applied_1_2_3(hubei, effects):
    tokens = {n: hubei.seal(case=CASE, seq=n, kind="test.record") for n in (1, 2, 3)}

    third = inbox.receive(tokens[3])
    assert third.status == "held"
    held = receipt_of(third.receipt)
    assert held.outcome == "held" and "第 1 号" in held.reason
    assert effects == [] and last_in() == 0

    assert inbox.receive(tokens[1]).status == "applied"
    assert [seq for _, seq, _ in effects] == [1]
    assert Inbound.objects.get(seq=3).status == "held" and last_in() == 1

    second = inbox.receive(tokens[2])
    assert second.status == "applied"
    assert [seq for _, seq, _ in effects] == [1, 2, 3]
    assert [message_id for *_, message_id in effects] == [message_id_of(tokens[n]) for n in (1, 2, 3)]
    assert last_in() == 3
    assert set(Inbound.objects.values_list("status", flat=True)) == {"applied"}

    # the held one's stored receipt now says applied: a late duplicate hears the truth
    late = inbox.receive(tokens[3])
    assert late.duplicate and late.status == "applied"
    assert receipt_of(late.receipt).outcome == "applied" and late.receipt != third.receipt
    assert len(effects) == 3


def test_a_gap_is_held_until_it_fills(hubei, effects):
    first, third, fourth = (hubei.seal(case=CASE, seq=n, kind="test.record") for n in (1, 3, 4))
    inbox.receive(first)
    assert inbox.receive(fourth).status == "held"
    assert inbox.receive(third).status == "held"
    assert last_in() == 1 and len(effects) == 1
    assert sorted(Inbound.objects.filter(status="held").values_list("seq", flat=True)) == [3, 4]

    # another case of the same peer is ordered on its own
    other = hubei.seal(case="420100-20260930-000002", seq=1, kind="test.record")
    assert inbox.receive(other).status == "applied"

    assert inbox.receive(hubei.seal(case=CASE, seq=2, kind="test.record")).status == "applied"
    assert [seq for case, seq, _ in effects if case == CASE] == [1, 2, 3, 4]
    assert last_in() == 4


def test_a_sequence_number_replayed_under_a_new_id_is_refused(hubei, effects):
    inbox.receive(hubei.seal(case=CASE, seq=1, kind="test.record"))
    replay = inbox.receive(hubei.seal(case=CASE, seq=1, kind="test.record"))
    assert (replay.status, replay.duplicate) == ("refused", False)
    receipt = receipt_of(replay.receipt)
    assert receipt.outcome == "refused" and "序号重复" in receipt.reason
    assert len(effects) == 1 and last_in() == 1

    # a held place taken by another message id is refused too
    assert inbox.receive(hubei.seal(case=CASE, seq=3, kind="test.record")).status == "held"
    assert inbox.receive(hubei.seal(case=CASE, seq=3, kind="test.record")).status == "refused"
    inbox.receive(hubei.seal(case=CASE, seq=2, kind="test.record"))
    assert [seq for _, seq, _ in effects] == [1, 2, 3]
    assert Inbound.objects.filter(status="refused").count() == 2
    assert Inbound.objects.filter(status="applied").count() == 3


def test_a_business_refusal_is_recorded_once_and_the_case_moves_on(hubei, effects):
    token = hubei.seal(case=CASE, seq=1, kind="test.refuse")
    got = inbox.receive(token)
    assert got.status == "refused"
    receipt = receipt_of(got.receipt)
    assert receipt.outcome == "refused" and receipt.reason == "该办件已办结，不再接收状态变更。"
    row = Inbound.objects.get()
    assert (row.status, row.reason) == ("refused", "该办件已办结，不再接收状态变更。")
    # what the handler wrote before refusing is rolled back with its savepoint
    assert effect_rows() == 0

    again = inbox.receive(token)
    assert again.duplicate and again.receipt == got.receipt
    assert len(effects) == 1  # the handler ran once
    assert last_in() == 1
    assert inbox.receive(hubei.seal(case=CASE, seq=2, kind="test.record")).status == "applied"


def test_an_unknown_kind_is_refused_by_the_registry(hubei):
    got = inbox.receive(hubei.seal(kind="case.nonsense"))
    assert got.status == "refused"
    assert "未知的报文类型 case.nonsense" in receipt_of(got.receipt).reason


def test_a_crashing_handler_leaves_nothing(hubei, effects, monkeypatch):
    token = hubei.seal(case=CASE, seq=1, kind="test.crash")
    with pytest.raises(RuntimeError):
        inbox.receive(token)
    assert not Inbound.objects.exists()
    assert last_in() is None  # the sequence row made for the case went with the rollback
    assert effect_rows() == 0 and not LogEntry.objects.exists()

    # the sender retries after the fault is fixed: applied once
    monkeypatch.setitem(handlers.HANDLERS, "test.crash", handlers.HANDLERS["test.record"])
    assert inbox.receive(token).status == "applied"
    assert effect_rows() == 1 and last_in() == 1


def test_a_crash_while_releasing_held_messages_rolls_back_the_whole_delivery(hubei, effects):
    inbox.receive(hubei.seal(case=CASE, seq=1, kind="test.record"))
    held = hubei.seal(case=CASE, seq=3, kind="test.crash")
    assert inbox.receive(held).status == "held"
    second = hubei.seal(case=CASE, seq=2, kind="test.record")
    with pytest.raises(RuntimeError):
        inbox.receive(second)
    assert last_in() == 1
    assert not Inbound.objects.filter(seq=2).exists()
    assert Inbound.objects.get(seq=3).status == "held"
    assert effect_rows() == 1
    assert len(events(message_id_of(second))) == 0


# ------------------------------------------------------------------------------ not heard


def _refused(token: str, code: str) -> LogEntry:
    with pytest.raises(EnvelopeRefused) as refused:
        inbox.receive(token)
    assert refused.value.code == code, refused.value
    assert not Inbound.objects.exists()
    entry = LogEntry.objects.get()
    assert entry.event == "refused" and entry.token == token and code in entry.reason
    return entry


def test_an_untrusted_sender_is_refused_and_logged(hunan, effects):
    stranger = PeerNode("440000", "广东省", "https://gd.example.cn")
    token = stranger.seal(case=CASE, seq=1, kind="test.record")
    entry = _refused(token, "untrusted_key")
    assert "440000" in entry.reason and "信任" in entry.reason
    assert (entry.peer, entry.message_id) == ("440000", message_id_of(token))
    assert effects == [] and last_in(sender="440000") is None


def test_a_trusted_peer_cannot_sign_for_another(hubei, effects):
    other = PeerNode("440000", "广东省", "https://gd.example.cn")
    nodes.trust(other.descriptor())
    forged = envelope.seal(hubei.message(kind="test.record"), other.pem, other.kid)  # claims 420000
    _refused(forged, "untrusted_key")
    assert effects == []


def test_a_changed_byte_is_refused_and_logged(hubei, effects):
    token = hubei.seal(case=CASE, seq=1, kind="test.record", payload={"status": "accepted"})
    head, body, signature = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    claims["payload"]["status"] = "refused"
    forged_body = (
        base64.urlsafe_b64encode(
            json.dumps(claims, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
        )
        .rstrip(b"=")
        .decode()
    )
    _refused(f"{head}.{forged_body}.{signature}", "bad_signature")
    LogEntry.objects.all().delete()

    # a flipped character in the signature
    flipped = signature[:10] + ("A" if signature[10] != "A" else "B") + signature[11:]
    _refused(f"{head}.{body}.{flipped}", "bad_signature")
    assert effects == [] and last_in() is None


def test_an_envelope_for_another_node_is_refused_and_logged(hubei, effects):
    entry = _refused(hubei.seal(kind="test.record", recipient="440000"), "wrong_recipient")
    assert "440000" in entry.reason
    assert effects == []


def test_garbage_is_refused_and_logged_as_it_came(hunan):
    garbage = b"not a token\x00\xff"
    with pytest.raises(EnvelopeRefused) as refused:
        inbox.receive(garbage)
    assert refused.value.code == "malformed"
    entry = LogEntry.objects.get()
    assert entry.event == "refused" and (entry.peer, entry.message_id) == ("", "")
    assert "\x00" not in entry.token and entry.digest == envelope.digest(entry.token)
