"""共享申请 from submission to approval on working-day clocks, across the 2026 Spring Festival
and National Day 调休; refusals, disputes, suspension, revocation and expiry."""

from __future__ import annotations

import datetime as dt

import pytest
from conftest import without_placeholder_years

from onething.audit.log import history
from onething.clocks import service as clocks
from onething.core.errors import Refused, status_of
from onething.kernel.errors import DomainError, NotFound
from onething.sharing import requests
from onething.sharing.models import Request, Resource
from onething.sharing.tests.conftest import at

pytestmark = pytest.mark.django_db

S = Request.Status


def _submit(staff, resource="MZ-HYDJ-001", who="shenpi_weijian", now=None, **kw):
    found = Resource.objects.get(code=resource)
    return requests.submit(
        staff[who],
        resource=resource,
        fields=kw.pop("fields", found.field_keys()[:2]),
        purpose=kw.pop("purpose", "核验出生登记材料"),
        legal_basis=kw.pop("legal_basis", "《政务数据共享条例》第十四条"),
        now=now or at("2026-02-13"),
        **kw,
    )


def test_unconditional_data_is_granted_at_the_check(staff):
    r = _submit(staff, "GA-SFZ-001", now=at("2026-02-12"))
    assert r.status == S.PENDING
    assert r.due_date == dt.date(2026, 2, 14)  # the Saturday 14 February is a make-up working day
    r = requests.approve(staff["admin"], r.pk, now=at("2026-02-14"))
    assert r.status == S.APPROVED and r.due_date is None
    assert r.valid_from == dt.date(2026, 2, 14) and r.valid_until == dt.date(2027, 2, 14)
    assert clocks.get(("sharing.request", str(r.pk)), "check").running is False
    assert (
        staff["shenpi_weijian"]
        .notifications.filter(event="sharing.approve", title__contains=str(r.pk))
        .exists()
    )
    assert [h.action for h in history("sharing_request", str(r.pk))] == [
        "sharing_request.submit",
        "sharing_request.grant",
    ]


def test_conditional_data_goes_to_the_provider_across_the_spring_festival(staff):
    r = _submit(staff, "SCJG-QYDJ-001", fields=["uscc", "name"])
    # submitted Friday 13 February: the holiday runs 15–23 February; 14 February is worked
    assert r.due_date == dt.date(2026, 2, 24)
    assert staff["admin"].notifications.filter(event="sharing.submit", title__contains=str(r.pk)).exists()
    r = requests.approve(staff["admin"], r.pk, now=at("2026-02-24"))
    assert r.status == S.CHECKED
    # the provider answers within 5 working days: 25, 26, 27, 28 (Saturday, worked) February, 2 March
    assert r.due_date == dt.date(2026, 3, 2)
    assert (
        staff["bumen_admin"].notifications.filter(event="sharing.check", title__contains=str(r.pk)).exists()
    )
    with pytest.raises(DomainError) as exc:  # the authority does not decide for the provider
        requests.approve(staff["admin"], r.pk, now=at("2026-02-25"))
    assert status_of(exc.value) == 403
    r = requests.approve(
        staff["bumen_admin"], r.pk, valid_until="2026-12-31", daily_quota=5, now=at("2026-02-26")
    )
    assert r.status == S.APPROVED and r.valid_until == dt.date(2026, 12, 31) and r.daily_quota == 5


def test_data_to_be_published_first_gets_ten_working_days(staff):
    Resource.objects.filter(code="SCJG-QYDJ-001").update(publish_first=True)
    r = _submit(staff, "SCJG-QYDJ-001", fields=["uscc"])
    r = requests.approve(staff["admin"], r.pk, now=at("2026-02-24"))
    assert r.due_date == dt.date(2026, 3, 9)


def test_national_day_make_up_days_count(staff):
    r = _submit(staff, "SCJG-QYDJ-001", fields=["uscc"], now=at("2026-09-29"))
    assert r.due_date == dt.date(2026, 10, 8)  # 30 September, then 8 October (1–7 October off)
    r = requests.approve(staff["admin"], r.pk, now=at("2026-09-30"))
    assert r.due_date == dt.date(2026, 10, 13)  # 8, 9, 10 (Saturday, worked), 12, 13 October


def test_a_year_not_loaded_refuses_the_request_and_writes_nothing(staff):
    without_placeholder_years()
    before = Request.objects.count()
    with pytest.raises(DomainError) as exc:
        _submit(staff, "SCJG-QYDJ-001", fields=["uscc"], now=at("2026-12-30"))
    assert status_of(exc.value) == 409 and "2027" in exc.value.message
    assert Request.objects.count() == before


def test_a_negative_list_resource_is_refused_when_asked_for_with_its_legal_basis(staff):
    r = _submit(staff, "GA-FZJL-001", fields=["name"])
    assert r.status == S.REFUSED and "《公安机关办理犯罪记录查询工作规定》" in r.reason
    assert r.due_date is None


def test_refusal_needs_reasons_and_a_dispute_is_settled_by_the_authority(staff):
    r = _submit(staff, "SCJG-QYDJ-001", fields=["uscc"])
    requests.approve(staff["admin"], r.pk, now=at("2026-02-24"))
    with pytest.raises(Refused) as exc:
        requests.refuse(staff["bumen_admin"], r.pk, reason="  ", now=at("2026-02-25"))
    assert exc.value.field == "reason"
    r = requests.refuse(staff["bumen_admin"], r.pk, reason="该数据项涉及商业秘密", now=at("2026-02-25"))
    assert r.status == S.REFUSED
    r = requests.dispute(staff["shenpi_weijian"], r.pk, reason="办理许可须核验企业名称", now=at("2026-02-26"))
    # the authority coordinates within 5 working days: 27, 28 (Saturday, worked) February, 2–4 March
    assert r.status == S.DISPUTED and r.due_date == dt.date(2026, 3, 4)
    r = requests.approve(staff["admin"], r.pk, now=at("2026-03-02"))
    assert r.status == S.APPROVED


def test_an_approval_can_be_suspended_resumed_revoked_and_it_expires(staff):
    r = _submit(staff, "GA-SFZ-001", now=at("2026-02-12"))
    requests.approve(staff["admin"], r.pk, valid_until="2026-03-01", now=at("2026-02-14"))
    assert requests.suspend(staff["shuju_gongan"], r.pk, reason="核查").status == S.SUSPENDED
    assert requests.resume(staff["shuju_gongan"], r.pk).status == S.APPROVED
    assert requests.expire_due(dt.date(2026, 3, 1)) == []
    assert requests.expire_due(dt.date(2026, 3, 2)) == [r.pk]
    assert Request.objects.get(pk=r.pk).status == S.EXPIRED
    with pytest.raises(DomainError):
        requests.revoke(staff["shuju_gongan"], r.pk, reason="到期后不能撤销")
    other = _submit(staff, "GA-SFZ-001", now=at("2026-02-12"))
    requests.approve(staff["admin"], other.pk, now=at("2026-02-14"))
    assert requests.revoke(staff["admin"], other.pk, reason="用途已完成").status == S.REVOKED


def test_outside_scope_is_not_found_and_the_requester_cannot_approve(staff):
    r = _submit(staff, "SCJG-QYDJ-001", fields=["uscc"])
    for who in ("zhangsan", "shenpi_gongan", "shuju_renshe"):
        with pytest.raises(NotFound):
            requests.get_visible(staff[who], r.pk)
    with pytest.raises(DomainError) as exc:
        requests.approve(staff["shenpi_weijian"], r.pk)
    assert status_of(exc.value) == 403
    assert requests.get_visible(staff["bumen_admin"], r.pk).pk == r.pk  # the provider sees it


@pytest.mark.parametrize(
    "field, value, reason",
    [
        ("fields", ["nonexistent"], "不是"),
        ("fields", [], "必填"),
        ("purpose", "x" * 201, "200"),
        ("purpose", "用途\x00", "控制字符"),
        ("legal_basis", "", "必填"),
        ("items", ["no-such-item"], "不是目录中的事项"),
    ],
)
def test_bad_input_names_the_field_and_writes_nothing(staff, field, value, reason):
    before = Request.objects.count()
    with pytest.raises(Refused) as exc:
        _submit(staff, "SCJG-QYDJ-001", **{field: value})
    assert getattr(exc.value, "field", None) == field
    assert reason in str(getattr(exc.value, "message", exc.value))
    assert Request.objects.count() == before


def test_only_staff_of_a_using_department_may_request(staff):
    with pytest.raises(DomainError) as exc:
        _submit(staff, "SCJG-QYDJ-001", who="zhangsan", fields=["uscc"])
    assert status_of(exc.value) == 403


def test_a_dispute_of_data_is_answered_within_five_working_days_across_national_day(staff):
    from onething.sharing import disputes

    d = disputes.raise_dispute(
        staff["lisi"],
        resource="SCJG-YYZZ-001",
        subject="91430600MA4L00001C",
        field="address",
        claimed="巴陵中路99号",
        reason="已搬迁",
        now=at("2026-09-30"),
    )
    assert d.due_date == dt.date(2026, 10, 13)  # 8, 9, 10 (Saturday, worked), 12, 13 October
    assert staff["bumen_admin"].notifications.filter(event="sharing.dispute_raised").exists()
    answered = disputes.answer(
        staff["bumen_admin"], d.pk, corrected=False, answer="经核实无误", now=at("2026-10-09")
    )
    assert answered.status == "upheld" and answered.due_date is None
