"""The message log (issue #17): one hash chain, exported and checked offline — chain and signatures."""

from __future__ import annotations

import datetime as dt
import io
import json
from zoneinfo import ZoneInfo

import pytest
from django.core.management import CommandError, call_command

from onething.federation import inbox, keys, log, nodes
from onething.federation.models import LogEntry
from onething.federation.tests import test_inbox
from onething.federation.tests.test_inbox import CASE, PeerNode
from onething.kernel import envelope
from onething.kernel.envelope import EnvelopeRefused
from onething.kernel.hashchain import GENESIS, link_hash

#: the fixtures this module shares with the inbox tests
hubei, hunan, key_dir = test_inbox.hubei, test_inbox.hunan, test_inbox.key_dir

pytestmark = pytest.mark.django_db


def traffic(peer: PeerNode) -> None:
    """A few deliveries: applied, held, duplicate, and one refused (an unknown sender)."""
    first = peer.seal(case=CASE, seq=1)
    inbox.receive(first)
    inbox.receive(peer.seal(case=CASE, seq=3))
    inbox.receive(first)
    with pytest.raises(EnvelopeRefused):
        inbox.receive(PeerNode("440000", "广东省", "https://gd.example.cn").seal())


def exported() -> list[str]:
    out = io.StringIO()
    log.export(out)
    return out.getvalue().splitlines()


def rechain(lines: list[str]) -> list[str]:
    """An attacker's copy: entries changed and every hash recomputed so the chain holds again."""
    out, previous = [lines[0]], GENESIS
    for line in lines[1:]:
        row = json.loads(line)
        row["digest"] = envelope.digest(row["token"])
        row["previous_hash"] = previous
        row["hash"] = previous = link_hash(
            previous,
            log.content(
                row["event"], row["peer"], row["message_id"], row["digest"], row["reason"], row["at"]
            ),
        )
        out.append(json.dumps(row, ensure_ascii=False))
    return out


# ------------------------------------------------------------------------------ the chain


def test_entries_link_from_the_genesis(hunan):
    at = dt.datetime(2026, 9, 30, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
    first = log.append("sent", peer="420000", message_id="m1", token="a.b.c", at=at)
    second = log.append("receipt_received", peer="420000", message_id="m1", token="d.e.f", reason="ok")
    assert first.previous_hash == GENESIS and second.previous_hash == first.hash
    assert first.digest == envelope.digest("a.b.c")
    # the time is hashed in UTC: read back from the database the chain still holds
    assert log.verify() is None
    assert log.verify(LogEntry.objects.order_by("id")) is None


def test_a_changed_entry_breaks_the_chain_there(hubei):
    traffic(hubei)
    ids = list(LogEntry.objects.order_by("id").values_list("id", flat=True))
    assert log.verify() is None and len(ids) >= 7

    original = LogEntry.objects.get(id=ids[2])
    LogEntry.objects.filter(id=ids[2]).update(reason="改过的说明")
    assert log.verify() == ids[2]
    LogEntry.objects.filter(id=ids[2]).update(reason=original.reason)
    assert log.verify() is None

    LogEntry.objects.filter(id=ids[4]).update(at=original.at + dt.timedelta(seconds=1))
    assert log.verify() == ids[4]


def test_a_changed_token_or_a_removed_entry_breaks_the_chain(hubei):
    traffic(hubei)
    ids = list(LogEntry.objects.order_by("id").values_list("id", flat=True))
    received = LogEntry.objects.filter(event="received").order_by("id").first()
    LogEntry.objects.filter(id=received.id).update(token=received.token[:-2] + "AA")
    assert log.verify() == received.id
    LogEntry.objects.filter(id=received.id).update(token=received.token)
    assert log.verify() is None

    LogEntry.objects.filter(id=ids[3]).delete()
    assert log.verify() == ids[4]


# ------------------------------------------------------------------------------ export


def test_an_export_verifies_offline(hubei):
    traffic(hubei)
    lines = exported()
    head = json.loads(lines[0])
    assert head["node"] == nodes.descriptor() | {"keys": head["node"]["keys"]}
    assert head["node"]["code"] == "430000"
    assert head["peers"][0]["code"] == "420000" and hubei.kid in head["peers"][0]["keys"]
    assert len(lines) == 1 + LogEntry.objects.count()

    report = log.verify_export(lines)
    assert report["ok"], report["problems"]
    assert report["node"] == "430000"
    assert report["entries"] == LogEntry.objects.count()
    assert report["chain_only"] == 1  # the refused envelope of the unknown sender
    assert report["signatures_checked"] == report["entries"] - 1


def test_receipts_signed_with_a_rotated_out_key_still_verify(hubei):
    inbox.receive(hubei.seal())
    keys.rotate(overlap_days=0)  # the old key leaves the descriptor at once
    inbox.receive(hubei.seal())
    assert log.verify_export(exported())["ok"]


def test_a_tampered_token_in_the_export_fails(hubei):
    traffic(hubei)
    lines = exported()
    number = next(n for n, line in enumerate(lines) if json.loads(line).get("event") == "received")
    row = json.loads(lines[number])
    head, body, signature = row["token"].split(".")
    row["token"] = f"{head}.{body}.{signature[:5]}{'A' if signature[5] != 'A' else 'B'}{signature[6:]}"
    lines[number] = json.dumps(row, ensure_ascii=False)

    report = log.verify_export(lines)
    assert not report["ok"] and report["broken_at"] == row["id"]
    assert {p["id"] for p in report["problems"]} == {row["id"]}

    # recomputing the chain over the change does not help: the signature does not hold
    forged = log.verify_export(rechain(lines))
    assert forged["broken_at"] is None and not forged["ok"]
    assert [p["id"] for p in forged["problems"]] == [row["id"]]
    assert "签名" in forged["problems"][0]["reason"]


def test_an_envelope_swapped_for_another_peers_fails(hubei):
    """Even re-chained, a received envelope must be the claimed peer's, signed by its key."""
    traffic(hubei)
    lines = exported()
    number = next(n for n, line in enumerate(lines) if json.loads(line).get("event") == "received")
    row = json.loads(lines[number])
    row["peer"] = "440000"
    lines[number] = json.dumps(row, ensure_ascii=False)
    report = log.verify_export(rechain(lines))
    assert not report["ok"] and [p["id"] for p in report["problems"]] == [row["id"]]


def test_a_file_that_is_not_an_export_fails():
    assert not log.verify_export([])["ok"]
    assert not log.verify_export(['{"format": "something else"}'])["ok"]
    report = log.verify_export([json.dumps({"format": log.FORMAT, "node": {}, "peers": []}), "{not json"])
    assert not report["ok"] and report["problems"][0]["line"] == 2


# ------------------------------------------------------------------------------ the command


def test_node_log_export_and_verify(hubei, tmp_path):
    traffic(hubei)
    path = tmp_path / "log.jsonl"
    out = io.StringIO()
    call_command("node", "log", "--export", str(path), stdout=out)
    assert f"已导出 {LogEntry.objects.count()} 条" in out.getvalue()

    out = io.StringIO()
    call_command("node", "log", "--verify", str(path), stdout=out)
    assert "验证通过" in out.getvalue()

    lines = path.read_text(encoding="utf-8").splitlines()
    row = json.loads(lines[2])
    row["reason"] = "篡改"
    lines[2] = json.dumps(row, ensure_ascii=False)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    err = io.StringIO()
    with pytest.raises(CommandError, match="验证未通过"):
        call_command("node", "log", "--verify", str(path), stdout=io.StringIO(), stderr=err)
    assert "第3行" in err.getvalue() and "哈希链" in err.getvalue()

    with pytest.raises(CommandError, match="找不到"):
        call_command("node", "log", "--verify", str(tmp_path / "missing.jsonl"))
