"""The hash-chained audit log: appended with the change it records, verified end to end.

Every case transition is written here; an edited, deleted or reordered row must be found by
``verify_chain`` and by ``onething verify-audit`` (which a supervisor can run at any time).
"""

from __future__ import annotations

import datetime as dt
import io
import os
import threading
import zoneinfo

import pytest
from django.core.management import CommandError, call_command
from django.db import transaction

from onething.audit import log
from onething.audit.models import AuditRecord, ChainHead
from onething.kernel.hashchain import GENESIS


def _append(n: int = 5, actor=None) -> list[AuditRecord]:
    """Record ``n`` entries in one transaction and link them (what ``on_commit`` does after a
    real commit; the test transaction never commits)."""
    with transaction.atomic():
        pending = [
            log.record("accept", "case", f"C-{k}", actor=actor, reason=f"第{k}件", data={"step": k})
            for k in range(1, n + 1)
        ]
    assert all(r.sequence is None and r.hash is None for r in pending)
    assert log.link_pending() == n
    return [AuditRecord.objects.get(pk=r.pk) for r in pending]


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
    assert log.verify_chain() is None  # links the pending record first
    assert AuditRecord.objects.get(pk=entry.pk).sequence == 1


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


@pytest.mark.django_db
def test_record_is_pending_until_linked_after_commit(django_capture_on_commit_callbacks):
    """``record`` takes no lock: it writes a pending row and queues one linker run per
    transaction, however many records the transaction wrote."""
    with django_capture_on_commit_callbacks(execute=False) as callbacks, transaction.atomic():
        first = log.record("accept", "case", "C-1")
        log.record("accept", "case", "C-2")
    assert len(callbacks) == 1
    assert first.sequence is None and first.previous_hash is None and first.hash is None
    assert not ChainHead.objects.exists()
    assert [r.object_id for r in log.history("case", "C-1")] == ["C-1"]  # pending rows included
    callbacks[0]()
    linked = list(AuditRecord.objects.order_by("sequence"))
    assert [(r.sequence, r.object_id) for r in linked] == [(1, "C-1"), (2, "C-2")]
    assert linked[0].previous_hash == GENESIS and linked[1].previous_hash == linked[0].hash
    assert ChainHead.objects.get(id=1).length == 2
    assert log.link_pending() == 0  # nothing left
    assert log.verify_chain() is None


@pytest.mark.django_db
def test_rolled_back_savepoint_keeps_the_linker_of_the_outer_transaction(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks, transaction.atomic():
        try:
            with transaction.atomic():
                log.record("accept", "case", "gone")
                raise RuntimeError("rolled back")
        except RuntimeError:
            pass
        log.record("accept", "case", "kept")
    assert len(callbacks) == 1
    callbacks[0]()
    assert list(AuditRecord.objects.values_list("object_id", "sequence")) == [("kept", 1)]


@pytest.mark.django_db
def test_pending_records_join_the_chain_after_linked_ones():
    records = _append(2)
    with transaction.atomic():
        later = log.record("accept", "case", "C-3")
    assert log.verify_chain() is None  # verify links it
    later = AuditRecord.objects.get(pk=later.pk)
    assert later.sequence == 3 and later.previous_hash == records[1].hash
    assert "审计链完整，共 3 条记录" in _verify_command()


@pytest.mark.django_db
def test_tampering_with_a_linked_row_after_more_links_is_detected():
    records = _append(3)
    AuditRecord.objects.filter(pk=records[0].pk).update(object_id="C-forged")
    with transaction.atomic():
        log.record("accept", "case", "C-4")
    assert log.verify_chain().sequence == 1


@pytest.mark.django_db
def test_failed_linking_never_fails_the_request(monkeypatch, caplog):
    def broken(**kwargs):
        raise RuntimeError("database gone")

    monkeypatch.setattr(log, "link_pending", broken)
    assert log.link_quietly() == 0
    assert "审计记录链接失败" in caplog.text


@pytest.mark.django_db
def test_periodic_task_links_pending_records():
    from onething.audit.tasks import link_audit_chain

    with transaction.atomic():
        log.record("accept", "case", "C-1")
    assert link_audit_chain.call_local() == 1
    assert AuditRecord.objects.get().sequence == 1


@pytest.mark.skipif(
    not os.environ.get("DATABASE_URL", "").startswith("postgres"),
    reason="real concurrency needs PostgreSQL (SQLite serialises writers anyway)",
)
@pytest.mark.django_db(transaction=True)
def test_concurrent_records_form_one_chain():
    """Writers in parallel, each linking after its own commit (NOWAIT: a busy linker is
    skipped, the one holding the head links for it); then one chain, consecutive sequences."""
    from django.db import connection

    writers, per_writer = 8, 10
    barrier = threading.Barrier(writers)
    errors = []

    def writer(n: int) -> None:
        try:
            barrier.wait()
            for k in range(per_writer):
                with transaction.atomic():
                    log.record("accept", "case", f"W{n}-{k}", data={"k": k})
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(writers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    log.link_pending(wait=True)  # what the periodic task does for runs that were skipped
    sequences = list(AuditRecord.objects.order_by("sequence").values_list("sequence", flat=True))
    assert sequences == list(range(1, writers * per_writer + 1))
    assert log.verify_chain() is None
    assert ChainHead.objects.get(id=1).length == writers * per_writer
