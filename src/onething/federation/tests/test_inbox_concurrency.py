"""The same envelope delivered twice at the same instant, on PostgreSQL, each delivery on its own
connection (the relay retried while the first POST was still running, or a hub duplicated it).

In a case both deliveries queue on the case's sequence row (``select_for_update``) and the
second finds the first's inbox row; outside a case the second's insert waits on the unique
``(sender, message_id)`` index and fails when the first commits. Either way: one inbox row, one
effect, and both callers get the same signed receipt.
"""

from __future__ import annotations

import os

import pytest
from tests.plugins.concurrency import together

from onething.federation import inbox
from onething.federation.models import Inbound, LogEntry
from onething.federation.tests import test_inbox
from onething.federation.tests.test_inbox import CASE, effect_rows, last_in, receipt_of

#: the fixtures this module shares with the inbox tests
effects, hubei, hunan, key_dir = test_inbox.effects, test_inbox.hubei, test_inbox.hunan, test_inbox.key_dir

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(
        not os.environ.get("DATABASE_URL", "").startswith("postgres"),
        reason="real concurrency needs PostgreSQL (SQLite serialises writers)",
    ),
    pytest.mark.django_db(transaction=True),
]


def _twice_at_once(token: str) -> list[inbox.Received]:
    outcomes = together([lambda: inbox.receive(token), lambda: inbox.receive(token)])
    assert all(isinstance(o, inbox.Received) for o in outcomes), outcomes
    return outcomes


@pytest.mark.parametrize("case", [CASE, ""], ids=["in a case", "node-level"])
def test_one_envelope_delivered_twice_at_once_takes_effect_once(hubei, effects, case):
    token = hubei.seal(case=case, seq=1 if case else 0, kind="test.record")
    first, second = _twice_at_once(token)
    assert first.receipt == second.receipt
    assert receipt_of(first.receipt).outcome == "applied"
    assert sorted([first.duplicate, second.duplicate]) == [False, True]
    assert Inbound.objects.count() == 1 and effect_rows() == 1
    assert len(effects) == 1  # the loser never ran the handler
    if case:
        assert last_in() == 1
    assert list(
        LogEntry.objects.filter(event="received").values_list("reason", flat=True).order_by("id")
    ) == [
        "",
        "重复投递",
    ]


def test_a_case_delivered_out_of_order_by_many_at_once_applies_in_order(hubei, effects):
    tokens = [hubei.seal(case=CASE, seq=n, kind="test.record") for n in (1, 2, 3, 4)]
    outcomes = together([lambda t=t: inbox.receive(t) for t in reversed(tokens + tokens)])
    assert all(isinstance(o, inbox.Received) for o in outcomes), outcomes
    assert [seq for _, seq, _ in effects] == [1, 2, 3, 4]
    assert Inbound.objects.count() == 4 and set(Inbound.objects.values_list("status", flat=True)) == {
        "applied"
    }
    assert effect_rows() == 4 and last_in() == 4
