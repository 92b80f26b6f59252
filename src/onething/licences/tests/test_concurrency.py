"""E-licences issued and changed at the same moment, on PostgreSQL, each thread on its own
connection: serials stay gapless, identifiers and status-list indices distinct, no deadlock, no
lost status-list bit, and a licence changed twice at once ends in one state its bits agree with.

``issuing.issue`` takes the serial counter's row lock (created on the first issue of a year:
``get_or_create`` under ``SELECT … FOR UPDATE``), then the open revocation list's and the open
suspension list's; ``issuing.change`` locks the licence, then the lists it writes a bit in
(revocation before suspension). One order everywhere: a deadlock would be reported by
PostgreSQL as an error in one of the threads. Two changes of one licence queue on its row lock;
the second fires on the state the first left (revoked is final: a suspend after it is refused).
"""

from __future__ import annotations

import itertools
import os

import pytest
from django.utils import timezone
from tests.plugins.concurrency import together

from onething.accounts.models import User
from onething.audit.log import verify_chain
from onething.audit.models import AuditRecord
from onething.directory.models import Department
from onething.kernel.errors import DomainError
from onething.licences import credentials, issuing, machines, statuslists, wallet
from onething.licences.models import Consent, Counter, Licence, LicenceType, StatusList
from onething.workflow.engine import IllegalTransition

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(
        not os.environ.get("DATABASE_URL", "").startswith("postgres"),
        reason="real concurrency needs PostgreSQL (SQLite serialises writers)",
    ),
]

MARKET = "11430600MB0600018G"  # 岳阳市市场监督管理局 (bumen_admin is its department admin)
ENTERPRISE = "91430600MA4L00001C"  # 李四's enterprise
ZHANGSAN = "430602199001011235"
THREADS, EACH, ROUNDS = 6, 5, 6


def _request() -> issuing.Request:
    return issuing.Request(
        type=LicenceType.objects.get(name="营业执照"),
        issuer=Department.objects.get(code=MARKET),
        holder_kind="enterprise",
        holder_id=ENTERPRISE,
        holder_name="岳阳市李四餐饮有限公司",
        fields={"name": "岳阳市李四餐饮有限公司", "legal_rep": "李四"},
        source="test",
    )


def _bits(licence: Licence) -> tuple[bool, bool]:
    """(revocation bit, suspension bit) of ``licence`` as committed now."""
    return (
        statuslists.bit(StatusList.objects.get(pk=licence.revocation_list_id), licence.revocation_index),
        statuslists.bit(StatusList.objects.get(pk=licence.suspension_list_id), licence.suspension_index),
    )


#: the bits each final state shows
BITS = {
    Licence.Status.VALID: (False, False),
    Licence.Status.SUSPENDED: (False, True),
    Licence.Status.REVOKED: (True, False),
}


@pytest.mark.django_db(transaction=True)
def test_simultaneous_issues_get_gapless_serials_and_distinct_indices():
    year = timezone.localdate().year
    kind, issuer = LicenceType.objects.get(name="营业执照"), Department.objects.get(code=MARKET)
    # the year's counter does not exist yet: the threads race to create it too
    assert not Counter.objects.filter(type=kind, issuer=issuer, year=year).exists()
    before = set(Licence.objects.values_list("pk", flat=True))

    def issue_some() -> list[Licence]:
        return [issuing.issue(_request()) for _ in range(EACH)]

    outcomes = together([issue_some] * THREADS)
    errors = [o for o in outcomes if isinstance(o, BaseException)]
    assert not errors, errors
    issued = [licence for batch in outcomes for licence in batch]
    total = THREADS * EACH
    assert len(issued) == total
    stored = list(Licence.objects.exclude(pk__in=before))
    assert {lic.pk for lic in stored} == {lic.pk for lic in issued}

    serials = [lic.identifier.split(".")[7] for lic in stored]
    assert {s[:4] for s in serials} == {str(year)}
    assert sorted(int(s[4:]) for s in serials) == list(range(1, total + 1))  # distinct and gapless
    assert Counter.objects.get(type=kind, issuer=issuer, year=year).last == total
    assert len({lic.identifier for lic in stored}) == total
    assert len({lic.number for lic in stored}) == total
    everyone = Licence.objects.all()
    for purpose in ("revocation", "suspension"):
        slots = list(everyone.values_list(f"{purpose}_list_id", f"{purpose}_index"))
        assert len(set(slots)) == len(slots), purpose
    for status_list in StatusList.objects.all():
        assert status_list.used == (
            everyone.filter(**{f"{status_list.purpose}_list": status_list}).count()
        ), status_list
    for licence in stored:
        assert licence.status == Licence.Status.VALID and _bits(licence) == (False, False)
        verification = credentials.verify(licence.credential)
        assert verification.genuine, (licence.identifier, verification.message)
    issues = AuditRecord.objects.filter(action="licence.issue", object_type="licence")
    assert sorted(issues.values_list("object_id", flat=True)) == sorted(lic.identifier for lic in stored)
    assert verify_chain() is None  # the threads' linkers left one intact chain


@pytest.mark.django_db(transaction=True)
def test_simultaneous_changes_of_different_licences_lose_no_bit():
    """Every licence has its bits in the same two lists: concurrent writers of one list row."""
    admin = User.objects.get(username="bumen_admin")
    plan = [(Licence.Status.REVOKED, Licence.Status.SUSPENDED, Licence.Status.VALID)] * THREADS

    def issue_and_change(targets) -> list[tuple[Licence, str]]:
        done = []
        for target in targets:
            licence = issuing.issue(_request())
            if target == Licence.Status.REVOKED:
                issuing.change(licence, "revoke", admin, reason_code="cancel", reason="依申请注销")
            elif target == Licence.Status.SUSPENDED:
                issuing.change(licence, "suspend", admin, reason="立案调查")
                issuing.change(licence, "resume", admin)
                issuing.change(licence, "suspend", admin, reason="再次立案调查")
            done.append((licence, target))
        return done

    outcomes = together([lambda targets=targets: issue_and_change(targets) for targets in plan])
    errors = [o for o in outcomes if isinstance(o, BaseException)]
    assert not errors, errors
    done = [pair for batch in outcomes for pair in batch]
    assert len(done) == THREADS * 3
    for licence, target in done:
        fresh = Licence.objects.get(pk=licence.pk)
        assert fresh.status == target, fresh.identifier
        assert _bits(fresh) == BITS[target], (fresh.identifier, target)
        assert credentials.verify(fresh.credential).genuine is (target == Licence.Status.VALID)
    assert verify_chain() is None


def _orders(events: tuple[str, str]) -> dict[tuple[int, int], tuple[tuple[bool, bool], str, list[str]]]:
    """For each order the two changes may take: (which succeeded, final state, audit actions)."""
    out = {}
    for order in itertools.permutations(range(2)):
        state, succeeded, actions = Licence.Status.VALID, [False, False], []
        for n in order:
            fired = machines.LICENCE.fire(
                state, events[n], {machines.ISSUER}, context={"reason": "理由", "reason_code": "cancel"}
            )
            if hasattr(fired, "target"):
                state, succeeded[n] = fired.target, True
                actions.append(f"licence.{events[n]}")
        out[order] = (tuple(succeeded), state, actions)
    return out


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    "events", [("revoke", "suspend"), ("revoke", "revoke"), ("suspend", "suspend")], ids="+".join
)
def test_two_changes_of_one_licence_at_once_end_in_one_consistent_state(events):
    admin = User.objects.get(username="bumen_admin")
    possible = _orders(events)
    seen = set()
    for _ in range(ROUNDS):
        licence = issuing.issue(_request())

        def change(event, licence=licence):
            return lambda: issuing.change(licence, event, admin, reason_code="cancel", reason="理由")

        outcomes = together([change(e) for e in events])
        for outcome in outcomes:  # a refusal is the machine's, never a database error
            assert isinstance(outcome, Licence | IllegalTransition), outcomes
        succeeded = tuple(isinstance(o, Licence) for o in outcomes)
        fresh = Licence.objects.get(pk=licence.pk)
        actions = list(
            AuditRecord.objects.filter(object_type="licence", object_id=licence.identifier)
            .exclude(action="licence.issue")
            .order_by("id")
            .values_list("action", flat=True)
        )
        matching = [
            o
            for o, (ok, state, acts) in possible.items()
            if (ok, state, acts) == (succeeded, fresh.status, actions)
        ]
        assert matching, (events, outcomes, fresh.status, actions)
        seen.update(matching)
        assert _bits(fresh) == BITS[fresh.status], (fresh.identifier, fresh.status)
        if fresh.status == Licence.Status.REVOKED:
            assert fresh.reason_code == "cancel"
        assert not credentials.verify(fresh.credential).genuine
    assert seen  # (which order happened is up to the scheduler)
    assert verify_chain() is None


@pytest.mark.django_db(transaction=True)
def test_two_withdrawals_of_one_consent_at_once_withdraw_it_once():
    zhangsan = User.objects.get(username="zhangsan")
    kind = LicenceType.objects.get(name="结婚证")
    for _ in range(ROUNDS):
        consent = wallet.give(
            zhangsan,
            holder_id=ZHANGSAN,
            kind=kind,
            scope="item",
            scope_code="430602-GA-0701-01",
            scope_name="出生登记（户口登记）",
            purpose="办理出生登记",
        )
        outcomes = together([lambda consent=consent: wallet.withdraw(zhangsan, consent)] * 2)
        done = [o for o in outcomes if isinstance(o, Consent)]
        refused = [o for o in outcomes if isinstance(o, DomainError)]
        assert len(done) == 1 and len(refused) == 1, outcomes
        assert isinstance(refused[0], IllegalTransition)
        fresh = Consent.objects.get(pk=consent.pk)
        assert fresh.status == Consent.Status.WITHDRAWN and fresh.withdrawn_at == done[0].withdrawn_at
        withdrawals = AuditRecord.objects.filter(
            object_type="licence_consent", object_id=str(consent.pk), action="licence_consent.withdraw"
        )
        assert withdrawals.count() == 1
