"""办件编号: unique across nodes, and allocated in a transaction of its own."""

from __future__ import annotations

import datetime as dt
import os
import threading

import pytest
from django.db import connection, transaction

from onething.cases import numbering
from onething.cases.models import RegionDaySequence

DAY = dt.date(2026, 12, 1)
ON_POSTGRES = os.environ.get("DATABASE_URL", "").startswith("postgres")


@pytest.mark.django_db
def test_own_regions_read_plainly_and_foreign_ones_carry_the_node(settings):
    settings.ONETHING = {**settings.ONETHING, "NODE_REGION": "430000"}
    own = numbering.allocate("430602", DAY)
    assert own.startswith("430602-20261201-") and len(own) == len("430602-20261201-000001")
    foreign = numbering.allocate("110105", DAY)
    assert foreign.startswith("110105-20261201-N43-")
    # the Beijing node numbers its own region plainly: the two can never be equal
    settings.ONETHING = {**settings.ONETHING, "NODE_REGION": "110000"}
    sequence = int(foreign.rsplit("-", 1)[1])
    assert (
        numbering.application_number("110105", DAY, sequence) == f"110105-20261201-{sequence:06d}" != foreign
    )
    assert numbering.subcase_number(foreign, 2) == f"{foreign}-02"


@pytest.mark.django_db
def test_sequences_count_per_region_and_day():
    # (on PostgreSQL a test's own transaction does not undo allocations: they commit at once)
    start = numbering.next_sequence("430602", DAY)
    assert [numbering.next_sequence("430602", DAY) for _ in range(2)] == [start + 1, start + 2]
    other_day = numbering.next_sequence("430602", DAY + dt.timedelta(days=1))
    assert numbering.next_sequence("430602", DAY + dt.timedelta(days=1)) == other_day + 1
    assert numbering.next_sequence("430602", DAY) == start + 3


@pytest.mark.skipif(not ON_POSTGRES, reason="row locks between connections need PostgreSQL")
@pytest.mark.django_db(transaction=True)
def test_allocation_inside_a_transaction_does_not_hold_the_sequence_row():
    """An intake called inside a caller's transaction: the number is committed at once, so a
    second intake of the same region and day gets the next number without waiting."""
    got: list = []

    def other_intake():
        from django.db import connection as own

        try:
            with own.cursor() as cursor:
                cursor.execute("SET lock_timeout = '2s'")
            got.append(numbering.allocate("430602", DAY))
        except Exception as exc:  # a lock timeout: the row was still held
            got.append(exc)
        finally:
            own.close()

    with transaction.atomic():
        first = numbering.allocate("430602", DAY)
        worker = threading.Thread(target=other_intake)
        worker.start()
        worker.join(10)
        # still inside the caller's transaction: the counter is already committed
        assert connection.in_atomic_block
    sequence = int(first.rsplit("-", 1)[1])
    assert got == [numbering.application_number("430602", DAY, sequence + 1)]
    assert RegionDaySequence.objects.get(region="430602", day=DAY).last == sequence + 1


@pytest.mark.skipif(not ON_POSTGRES, reason="row locks between connections need PostgreSQL")
@pytest.mark.django_db(transaction=True)
def test_a_rolled_back_caller_leaves_a_gap_not_a_duplicate():
    with pytest.raises(RuntimeError), transaction.atomic():
        lost = numbering.allocate("430602", DAY)
        raise RuntimeError
    sequence = int(lost.rsplit("-", 1)[1])
    assert numbering.allocate("430602", DAY) == numbering.application_number("430602", DAY, sequence + 1)
