"""The gateway's promise, as a property (hypothesis): for any approval and any query, what comes
back is within the approved fields; another purpose, an expired, suspended or revoked approval,
a field outside it, or a 不予共享 resource is always 403 — and every call, allowed or denied, is
in the hash-chained log."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import transaction
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from onething.core.errors import status_of
from onething.kernel.errors import DomainError
from onething.sharing import calllog, gateway
from onething.sharing.models import Call, Request, Resource, SourceRecord
from onething.sharing.tests.conftest import ENTERPRISE

pytestmark = pytest.mark.django_db

SUBJECT = "430602199001011235"
KEYS = ["name", "id_number", "household_number", "household_head", "relation", "address", "registered_on"]


class _Rollback(Exception):
    pass


scenario = st.fixed_dictionaries(
    {
        "approved": st.lists(st.sampled_from(KEYS), min_size=1, unique=True),
        "asked": st.none()
        | st.lists(st.sampled_from([*KEYS, "bank_account", "criminal_record"]), unique=True),
        "other_purpose": st.booleans(),
        "state": st.sampled_from(
            ["approved", "expired_by_date", "expired", "suspended", "revoked", "pending"]
        ),
        "none_class": st.booleans(),
        # a provider that sends more than asked: the gateway must still project
        "extra": st.dictionaries(
            st.sampled_from(["bank_account", "phone", "criminal_record"]),
            st.text(st.characters(exclude_characters="\x00", exclude_categories=("Cs",)), max_size=5),
        ),
    }
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(case=scenario)
def test_answers_are_within_the_approval_and_every_refusal_is_403_and_logged(staff, case):
    today = timezone.localdate()
    try:
        with transaction.atomic():
            resource = Resource.objects.get(code="GA-HJ-001")
            if case["none_class"]:
                Resource.objects.filter(pk=resource.pk).update(sharing_class="none")
            SourceRecord.objects.filter(resource=resource, subject=SUBJECT).update(
                data={**SourceRecord.objects.get(resource=resource, subject=SUBJECT).data, **case["extra"]}
            )
            status = {"expired_by_date": "approved"}.get(case["state"], case["state"])
            valid_until = today - dt.timedelta(days=1) if case["state"] == "expired_by_date" else today
            approval = Request.objects.create(
                resource=resource,
                department_id="11430600MB06000535",
                requested_by=staff["shenpi_weijian"],
                fields=case["approved"],
                purpose="核验户籍",
                legal_basis="《政务数据共享条例》",
                status=status,
                submitted_at=timezone.now(),
                valid_from=today,
                valid_until=valid_until,
            )
            before = Call.objects.count()
            purpose = "其他用途" if case["other_purpose"] else "核验户籍"
            must_refuse = (
                case["none_class"]
                or case["state"] != "approved"
                or case["other_purpose"]
                or (case["asked"] is not None and not set(case["asked"]) <= set(case["approved"]))
            )
            try:
                answer = gateway.query(staff["shenpi_weijian"], approval.pk, SUBJECT, purpose, case["asked"])
            except DomainError as exc:
                assert must_refuse, case
                assert status_of(exc) == 403, (case, exc.message)
                call = Call.objects.order_by("-id").first()
                assert (
                    call.outcome == "denied" and call.request_id == approval.pk and call.reason == exc.message
                )
            else:
                assert not must_refuse, case
                assert set(answer.data) <= set(case["approved"])
                if case["asked"] is not None:
                    assert set(answer.data) <= set(case["asked"])
                assert not set(answer.data) & set(case["extra"]) - set(KEYS)
                assert answer.call.outcome == "allowed"
            assert Call.objects.count() == before + 1
            raise _Rollback
    except _Rollback:
        pass


def _approval(code: str, department: str = "11430600MB06000535") -> Request:
    return Request.objects.get(resource__code=code, department_id=department, status="approved")


def test_demo_conditional_resource_about_lisis_enterprise(staff):
    approval = _approval("SCJG-QYDJ-001")
    answer = gateway.query(staff["shenpi_weijian"], approval.pk, ENTERPRISE, approval.purpose)
    assert answer.found and answer.data == {
        "uscc": ENTERPRISE,
        "name": "岳阳市洞庭湖餐饮管理有限公司",
        "industry": "餐饮业",
        "founded": "",
    }
    # the founding size and region were not approved: the register has them, the answer does not
    assert "size" not in answer.data and "region" not in answer.data


def test_outside_scope_is_404_and_logged(staff):
    approval = _approval("SCJG-QYDJ-001")
    for who in ("shenpi_gongan", "zhangsan", "bumen_admin"):
        with pytest.raises(DomainError) as exc:
            gateway.query(staff[who], approval.pk, ENTERPRISE, approval.purpose)
        assert status_of(exc.value) == 404
    assert Call.objects.filter(outcome="denied", caller=staff["zhangsan"], request__isnull=True).exists()


def test_daily_quota_is_429_beyond_it(staff):
    approval = _approval("SCJG-QYDJ-001")
    Request.objects.filter(pk=approval.pk).update(daily_quota=2)
    for _ in range(2):
        gateway.query(staff["shenpi_weijian"], approval.pk, ENTERPRISE, approval.purpose)
    with pytest.raises(DomainError) as exc:
        gateway.query(staff["shenpi_weijian"], approval.pk, ENTERPRISE, approval.purpose)
    assert status_of(exc.value) == 429 and "2 次" in exc.value.message


def test_a_bad_subject_is_a_400_naming_it(staff):
    approval = _approval("SCJG-QYDJ-001")
    with pytest.raises(DomainError) as exc:
        gateway.query(staff["shenpi_weijian"], approval.pk, "91430600MA4L00001X", approval.purpose)
    assert status_of(exc.value) == 400 and exc.value.field == "subject"


def test_the_log_is_a_chain_a_slice_verifies_offline_and_tampering_shows(staff):
    approval = _approval("SCJG-QYDJ-001")
    for _ in range(3):
        gateway.query(staff["shenpi_weijian"], approval.pk, ENTERPRISE, approval.purpose)
    with pytest.raises(DomainError):
        gateway.query(staff["shenpi_weijian"], approval.pk, ENTERPRISE, "别的用途")
    assert calllog.verify() is None
    document = calllog.export_slice(first=2)
    assert document["records"][0]["sequence"] == 2
    assert calllog.verify_slice(document) is None
    tampered = {**document, "records": [dict(r) for r in document["records"]]}
    tampered["records"][1]["purpose"] = "改过的用途"
    assert "被修改" in calllog.verify_slice(tampered)
    removed = {**document, "records": document["records"][:1] + document["records"][2:]}
    assert "缺失" in calllog.verify_slice(removed)
    Call.objects.filter(sequence=2).update(purpose="改过的用途")
    assert calllog.verify().sequence == 2


def test_a_persons_number_is_never_stored_in_the_log(staff):
    approval = _approval("GA-SFZ-001")
    gateway.query(staff["shenpi_weijian"], approval.pk, SUBJECT, approval.purpose)
    call = Call.objects.order_by("-id").first()
    assert call.subject_masked != SUBJECT and SUBJECT not in str(call.content())
    assert call.subject_key == calllog.subject_key(SUBJECT)
