"""Every (state, event, role) of the e-licence machines, through the engine, on real rows: a legal
firing lands on its declared target with exactly one audit record; anything else is refused
(403 for a role, 409 for a state or a guard) and changes nothing. Then the same table through
``issuing.change`` with the roles ``access.roles_for`` derives from real accounts, where the
status-list bits must follow the state; guards refuse one by one; ``wallet.withdraw``."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser
from django.db import transaction

from onething.accounts.models import StaffRole, User
from onething.audit.models import AuditRecord
from onething.core.errors import status_of
from onething.directory.models import Department
from onething.kernel.errors import DomainError, NotFound, NotPermitted
from onething.licences import access, credentials, issuing, machines, statuslists, wallet
from onething.licences.models import Consent, Licence, LicenceType, StatusList
from onething.notifications.models import Notification
from onething.workflow.engine import IllegalTransition
from onething.workflow.tests.table import check_every_firing

pytestmark = pytest.mark.django_db

MARKET = "11430600MB0600018G"  # 岳阳市市场监督管理局 (bumen_admin is its department admin)
POLICE = "11430600MB0600046D"  # 岳阳市公安局
ENTERPRISE = "91430600MA4L00001C"  # 李四's enterprise
ZHANGSAN = "430602199001011235"

ROLES = (machines.ISSUER, machines.HOLDER, machines.SYSTEM)
MODELS = {machines.LICENCE: Licence, machines.CONSENT: Consent}
#: a context in which every guard of the licence machine holds
PERMISSIVE = {"reason": "理由", "reason_code": "revoke"}


class _Rollback(Exception):
    pass


def _business_licence() -> Licence:
    """A fresh 营业执照 of 李四's enterprise from 市场监管 (issued through ``issuing.issue``)."""
    return issuing.issue(
        issuing.Request(
            type=LicenceType.objects.get(name="营业执照"),
            issuer=Department.objects.get(code=MARKET),
            holder_kind="enterprise",
            holder_id=ENTERPRISE,
            holder_name="岳阳市李四餐饮有限公司",
            fields={"name": "岳阳市李四餐饮有限公司", "legal_rep": "李四"},
            source="test",
        )
    )


def _consent() -> Consent:
    zhangsan = User.objects.get(username="zhangsan")
    return wallet.give(
        zhangsan,
        holder_id=ZHANGSAN,
        kind=LicenceType.objects.get(name="结婚证"),
        scope="item",
        scope_code="430602-GA-0701-01",
        scope_name="出生登记（户口登记）",
        purpose="办理出生登记",
    )


def _bits(licence: Licence) -> tuple[bool, bool]:
    """(revocation bit, suspension bit) of ``licence`` as stored now."""
    return (
        statuslists.bit(StatusList.objects.get(pk=licence.revocation_list_id), licence.revocation_index),
        statuslists.bit(StatusList.objects.get(pk=licence.suspension_list_id), licence.suspension_index),
    )


def _user(username: str) -> User:
    return User.objects.get(username=username)


# ------------------------------------------------------------------------------ the engine table


@pytest.mark.parametrize("machine", list(MODELS), ids=lambda m: m.name)
def test_every_state_event_and_role(machine):
    row = _business_licence() if machine is machines.LICENCE else _consent()
    check_every_firing(machine, MODELS[machine], row, ROLES, PERMISSIVE)


@pytest.mark.parametrize("machine", list(MODELS), ids=lambda m: m.name)
def test_each_guard_refuses_alone(machine):
    spoilers = {
        "reason_given": {"reason": "  "},
        "reason_code_known": {"reason_code": "nonsense"},
    }
    guarded = 0
    for e in machine.events.values():
        for guard in e.guards:
            state = next(iter(e.sources))
            role = next(iter(e.roles))
            refusal = machine.fire(state, e.name, {role}, context={**PERMISSIVE, **spoilers[guard]})
            assert getattr(refusal, "guard", None) == guard, (machine.name, e.name, guard)
            assert refusal.message and "{" not in refusal.message
            # every other guard's spoiler leaves this event alone
            for other, spoil in spoilers.items():
                if other not in e.guards:
                    fired = machine.fire(state, e.name, {role}, context={**PERMISSIVE, **spoil})
                    assert getattr(fired, "target", None) == e.targets[0], (e.name, other)
            guarded += 1
    assert guarded == (2 if machine is machines.LICENCE else 0)


def test_no_lifecycle_of_licences_can_get_stuck():
    for machine in MODELS:
        assert machine.stuck_states() == set(), machine.name
        assert machine.reachable() >= set(machine.states), machine.name


def test_state_labels_are_the_models_choices():
    for machine, model in MODELS.items():
        assert machine.choices() == list(model._meta.get_field("status").choices)


# ------------------------------------------------------------------------------ roles


def test_roles_for_maps_accounts_to_the_machine_roles(make_user):
    market = _business_licence()
    assert access.roles_for(_user("bumen_admin"), market) == {machines.ISSUER}
    assert access.roles_for(_user("lisi"), market) == {machines.HOLDER}
    assert access.roles_for(_user("zhangsan"), market) == set()
    approver = _user("shenpi_shichang")
    assert StaffRole.objects.filter(user=approver, role=StaffRole.APPROVER, department_id=MARKET).exists()
    assert access.roles_for(approver, market) == set()  # sees what it issued, does not change it
    assert market in access.visible(approver)
    police_admin = make_user("gongan_admin", roles=[(StaffRole.DEPARTMENT_ADMIN, {"department_id": POLICE})])
    assert access.roles_for(police_admin, market) == set()  # another department's admin
    driving = Licence.objects.get(type__name="机动车驾驶证", holder_id=ZHANGSAN)
    assert access.roles_for(police_admin, driving) == {machines.ISSUER}
    assert access.roles_for(_user("zhangsan"), driving) == {machines.HOLDER}
    assert access.roles_for(_user("bumen_admin"), driving) == set()
    assert access.roles_for(AnonymousUser(), market) == set()


# ------------------------------------------------------------------------------ through change

#: the bits (revocation, suspension) each state of a licence must show after ``issuing.change``
BITS = {Licence.Status.VALID: (False, False), Licence.Status.SUSPENDED: (False, True)}
ACTORS = ("bumen_admin", "lisi", "zhangsan", "shenpi_shichang")


def _change_attempt(licence, state, name, actor):
    """Put ``licence`` into ``state`` (with its bits), call ``issuing.change``, roll back."""
    before_audit = AuditRecord.objects.count()
    before_notes = Notification.objects.count()
    outcome = None
    try:
        with transaction.atomic():
            Licence.objects.filter(pk=licence.pk).update(status=state)
            revoked_bit = state == Licence.Status.REVOKED
            statuslists.set_bit(licence.revocation_list_id, licence.revocation_index, revoked_bit)
            suspended_bit = state == Licence.Status.SUSPENDED
            statuslists.set_bit(licence.suspension_list_id, licence.suspension_index, suspended_bit)
            try:
                outcome = issuing.change(licence, name, actor, reason_code="cancel", reason="依申请注销")
            except DomainError as exc:
                outcome = exc
            fresh = Licence.objects.get(pk=licence.pk)
            facts = {
                "status": fresh.status,
                "bits": _bits(fresh),
                "reason_code": fresh.reason_code,
                "audit": list(
                    AuditRecord.objects.order_by("id").values_list("action", "object_id")[before_audit:]
                ),
                "notes": Notification.objects.count() - before_notes,
                "genuine": credentials.verify(fresh.credential).genuine,
            }
            raise _Rollback
    except _Rollback:
        pass
    return outcome, facts


def test_every_state_event_and_actor_through_change():
    licence = _business_licence()
    holders = len(issuing.holders(licence))
    assert holders >= 1
    checked = 0
    for state in machines.LICENCE.states:
        for name in issuing.CHANGE_TITLES:
            e = machines.LICENCE.events[name]
            for username in ACTORS:
                actor = _user(username)
                roles = access.roles_for(actor, licence)
                outcome, facts = _change_attempt(licence, state, name, actor)
                where = f"{state} --{name}/{username}{sorted(roles)}"
                if state in e.sources and roles & e.roles:
                    assert isinstance(outcome, Licence), (where, outcome)
                    target = e.targets[0]
                    assert outcome.status == facts["status"] == target, where
                    assert facts["audit"] == [(f"licence.{name}", licence.identifier)], where
                    assert facts["bits"] == BITS.get(target, (True, False)), where
                    assert facts["reason_code"] == ("cancel" if name == "revoke" else ""), where
                    assert facts["notes"] == holders, where
                    assert facts["genuine"] is (target == Licence.Status.VALID), where
                else:
                    expected = NotPermitted if not roles & e.roles else IllegalTransition
                    assert isinstance(outcome, expected), (where, outcome)
                    assert facts["status"] == state, where
                    assert facts["bits"] == BITS.get(state, (True, False)), where
                    assert facts["audit"] == [] and facts["notes"] == 0, where
                checked += 1
    assert checked == len(machines.LICENCE.states) * 3 * len(ACTORS)
    # only bumen_admin ever changed anything
    assert Licence.objects.get(pk=licence.pk).status == Licence.Status.VALID


def test_an_unknown_event_is_refused_before_the_machine():
    from onething.kernel.errors import Invalid

    licence = _business_licence()
    with pytest.raises(Invalid):
        issuing.change(licence, "issue", _user("bumen_admin"))
    assert Licence.objects.get(pk=licence.pk).status == Licence.Status.VALID


def test_suspend_without_a_reason_is_refused_by_its_guard_alone():
    licence = _business_licence()
    admin = _user("bumen_admin")
    before = AuditRecord.objects.count()
    for reason in ("", "   "):
        with pytest.raises(IllegalTransition) as refused:
            issuing.change(licence, "suspend", admin, reason=reason, reason_code="revoke")
        assert refused.value.extra["guard"] == "reason_given"
        assert status_of(refused.value) == 409
    fresh = Licence.objects.get(pk=licence.pk)
    assert fresh.status == Licence.Status.VALID and _bits(fresh) == (False, False)
    assert AuditRecord.objects.count() == before
    # the reason code does not matter to suspend: any code (or none) with a reason suspends
    issuing.change(licence, "suspend", admin, reason="涉嫌违法经营，立案调查", reason_code="nonsense")
    assert Licence.objects.get(pk=licence.pk).status == Licence.Status.SUSPENDED


def test_revoke_with_an_unknown_reason_code_is_refused_by_its_guard_alone():
    licence = _business_licence()
    admin = _user("bumen_admin")
    before = AuditRecord.objects.count()
    for code in ("", "nonsense", "注销"):
        with pytest.raises(IllegalTransition) as refused:
            issuing.change(licence, "revoke", admin, reason_code=code, reason="依申请注销")
        assert refused.value.extra["guard"] == "reason_code_known"
    fresh = Licence.objects.get(pk=licence.pk)
    assert fresh.status == Licence.Status.VALID and _bits(fresh) == (False, False)
    assert AuditRecord.objects.count() == before
    # the reason text does not matter to revoke: a known code without one revokes
    issuing.change(licence, "revoke", admin, reason_code="cancel", reason="")
    fresh = Licence.objects.get(pk=licence.pk)
    assert fresh.status == Licence.Status.REVOKED and fresh.reason_code == "cancel"


def test_the_status_list_bits_follow_the_state():
    admin = _user("bumen_admin")
    licence = _business_licence()
    revocations = StatusList.objects.get(pk=licence.revocation_list_id)
    suspensions = StatusList.objects.get(pk=licence.suspension_list_id)
    counts = (_count(revocations), _count(suspensions))
    assert _bits(licence) == (False, False) and credentials.verify(licence.credential).genuine

    issuing.change(licence, "suspend", admin, reason="涉嫌违法经营，立案调查")
    assert _bits(licence) == (False, True)
    assert not credentials.verify(licence.credential).genuine
    assert (_count(revocations), _count(suspensions)) == (counts[0], counts[1] + 1)  # that bit only

    issuing.change(licence, "resume", admin)
    assert _bits(licence) == (False, False)
    assert credentials.verify(licence.credential).genuine
    assert (_count(revocations), _count(suspensions)) == counts

    issuing.change(licence, "suspend", admin, reason="再次立案调查")
    issuing.change(licence, "revoke", admin, reason_code="revoke", reason="吊销营业执照")
    assert _bits(licence) == (True, False)  # revoked while suspended: the suspension bit is cleared
    assert (_count(revocations), _count(suspensions)) == (counts[0] + 1, counts[1])
    fresh = Licence.objects.get(pk=licence.pk)
    assert fresh.status == Licence.Status.REVOKED and fresh.reason_code == "revoke"
    assert "已废止" in credentials.verify(fresh.credential).message

    other = _business_licence()  # revoked straight from valid
    issuing.change(other, "revoke", admin, reason_code="cancel", reason="依申请注销")
    assert _bits(other) == (True, False) and _bits(licence) == (True, False)
    actions = AuditRecord.objects.filter(object_type="licence", object_id=licence.identifier)
    assert list(actions.order_by("id").values_list("action", flat=True)) == [
        "licence.issue",
        "licence.suspend",
        "licence.resume",
        "licence.suspend",
        "licence.revoke",
    ]


def _count(status_list: StatusList) -> int:
    from onething.kernel import statuslist

    fresh = StatusList.objects.get(pk=status_list.pk)
    return statuslist.Bitstring(fresh.size, bytes(fresh.bits)).count()


# ------------------------------------------------------------------------------ consent


def test_consent_is_given_and_withdrawn_by_the_holder_only():
    consent = _consent()
    assert consent.status == Consent.Status.GIVEN
    assert list(
        AuditRecord.objects.filter(object_type="licence_consent").values_list("action", flat=True)
    ) == ["licence_consent.give"]
    with pytest.raises(NotPermitted):  # not the holder: no consent at all
        wallet.give(
            _user("lisi"),
            holder_id=ZHANGSAN,
            kind=LicenceType.objects.get(name="结婚证"),
            scope="item",
            scope_code="430602-GA-0701-01",
            scope_name="出生登记（户口登记）",
            purpose="办理出生登记",
        )
    for outsider in ("lisi", "bumen_admin"):  # someone else's consent is "not found"
        with pytest.raises(NotFound):
            wallet.withdraw(_user(outsider), consent)
        assert Consent.objects.get(pk=consent.pk).status == Consent.Status.GIVEN
    wallet.withdraw(_user("zhangsan"), consent)
    fresh = Consent.objects.get(pk=consent.pk)
    assert fresh.status == Consent.Status.WITHDRAWN and fresh.withdrawn_at is not None
    with pytest.raises(IllegalTransition):  # withdrawn is final
        wallet.withdraw(_user("zhangsan"), consent)
    assert list(
        AuditRecord.objects.filter(object_type="licence_consent")
        .order_by("id")
        .values_list("action", flat=True)
    ) == ["licence_consent.give", "licence_consent.withdraw"]
