"""The hash-chained audit log: appended with the change it records, verified end to end.

Every case transition is written here; an edited, deleted or reordered row must be found by
``verify_chain`` and by ``onething verify-audit`` (which a supervisor can run at any time).
"""

from __future__ import annotations

import datetime as dt
import io
import zoneinfo

import pytest
from django.core.management import CommandError, call_command
from django.db import transaction

from onething.audit import log
from onething.audit.models import AuditRecord, ChainHead
from onething.kernel.hashchain import GENESIS


def _append(n: int = 5, actor=None) -> list[AuditRecord]:
    with transaction.atomic():
        return [
            log.record("accept", "case", f"C-{k}", actor=actor, reason=f"第{k}件", data={"step": k})
            for k in range(1, n + 1)
        ]


def _verify_command() -> str:
    out = io.StringIO()
    call_command("verify_audit", stdout=out)
    return out.getvalue()


def test_record_outside_a_transaction_raises():
    """No database is needed to see the guard: it refuses before touching anything."""
    with pytest.raises(RuntimeError, match="同一事务"):
        log.record("accept", "case", "C-1")


@pytest.mark.django_db
def test_append_links_each_record_to_the_previous(make_user):
    actor = make_user("clerk", real_name="王窗口")
    records = _append(3, actor=actor)
    assert [r.sequence for r in records] == [1, 2, 3]
    assert records[0].previous_hash == GENESIS
    assert records[1].previous_hash == records[0].hash and records[2].previous_hash == records[1].hash
    assert records[0].actor_label == "王窗口"
    head = ChainHead.objects.get(id=1)
    assert (head.length, head.last_hash) == (3, records[2].hash)
    assert log.verify_chain() is None
    assert "审计链完整，共 3 条记录" in _verify_command()
    assert [r.object_id for r in log.history("case", "C-2")] == ["C-2"]


@pytest.mark.django_db
def test_system_actor_and_awkward_data_verify():
    """Data the JSON column changes (tuples, int keys, dates) and a caller's local time zone
    must still verify after a round trip through the database."""
    shanghai = zoneinfo.ZoneInfo("Asia/Shanghai")
    with transaction.atomic():
        entry = log.record(
            "scan",
            "case",
            7,
            data={"pair": (1, 2), 3: "three", "due": dt.date(2026, 10, 8)},
            at=dt.datetime(2026, 9, 30, 17, 0, tzinfo=shanghai),
        )
    assert entry.actor_label == "系统" and entry.object_id == "7"
    assert log.verify_chain() is None


@pytest.mark.django_db
def test_tampered_data_is_detected():
    records = _append()
    AuditRecord.objects.filter(pk=records[2].pk).update(data={"step": 99})
    assert log.verify_chain().sequence == 3
    with pytest.raises(CommandError, match="第 3 条记录处断裂"):
        _verify_command()


@pytest.mark.django_db
def test_tampered_reason_with_recomputed_own_hash_is_detected():
    from onething.kernel.hashchain import link_hash

    records = _append()
    forged = AuditRecord.objects.get(pk=records[1].pk)
    forged.reason = "改写的原因"
    AuditRecord.objects.filter(pk=forged.pk).update(
        reason=forged.reason, hash=link_hash(forged.previous_hash, forged.content())
    )
    assert log.verify_chain().sequence == 3


@pytest.mark.django_db
@pytest.mark.parametrize(("deleted", "reported"), [(0, 2), (2, 4), (4, 4)])
def test_deleted_row_is_detected(deleted, reported):
    """Deleting the first, a middle or the last row; the last is caught by the chain head."""
    records = _append()
    AuditRecord.objects.filter(pk=records[deleted].pk).delete()
    assert log.verify_chain().sequence == reported
    with pytest.raises(CommandError, match=f"第 {reported} 条记录处断裂"):
        _verify_command()


@pytest.mark.django_db
def test_reordered_rows_are_detected():
    records = _append()
    a, b = records[1], records[2]
    AuditRecord.objects.filter(pk=a.pk).update(sequence=1000)
    AuditRecord.objects.filter(pk=b.pk).update(sequence=a.sequence)
    AuditRecord.objects.filter(pk=a.pk).update(sequence=b.sequence)
    assert log.verify_chain().sequence == 2
    with pytest.raises(CommandError, match="第 2 条记录处断裂"):
        _verify_command()


@pytest.mark.django_db
def test_empty_chain_verifies():
    assert log.verify_chain() is None
    assert "共 0 条记录" in _verify_command()


@pytest.mark.django_db
def test_verify_in_small_batches():
    _append(7)
    assert log.verify_chain(batch=2) is None


@pytest.mark.django_db
def test_admin_is_read_only(client, make_user):
    _append(1)
    client.force_login(make_user("root", is_staff=True, is_superuser=True))
    record = AuditRecord.objects.get()
    assert client.get("/admin/audit/auditrecord/").status_code == 200
    assert client.get("/admin/audit/auditrecord/add/").status_code == 403
    assert client.post(f"/admin/audit/auditrecord/{record.pk}/delete/", {"post": "yes"}).status_code == 403
    assert AuditRecord.objects.count() == 1
