"""The public interfaces of C8 through HTTP (PRODUCT.md): resources, requests with approve and
refuse, the gateway, the call log; service tokens are accepted by the gateway only."""

from __future__ import annotations

import datetime as dt
import io
import json

import pytest
from django.core.management import call_command
from django.test import Client

from onething.accounts.models import ApiToken
from onething.sharing.models import Call, Request
from onething.sharing.tests.conftest import ENTERPRISE

pytestmark = pytest.mark.django_db


@pytest.fixture
def client_for(token_for, staff):
    return lambda who: Client(HTTP_AUTHORIZATION=token_for(staff[who]))


def _post(client, path, body):
    return client.post(f"/api/v1/sharing/{path}", json.dumps(body), content_type="application/json")


def test_resources_list_the_catalog_for_staff_only(client_for):
    body = client_for("shenpi_weijian").get("/api/v1/sharing/resources").json()
    by_code = {r["code"]: r for r in body["results"]}
    qydj = by_code["SCJG-QYDJ-001"]
    assert qydj["provider"] == {"code": "11430600MB0600018G", "name": "岳阳市市场监督管理局"}
    assert qydj["sharing_class"] == "conditional"
    assert {"key": "uscc", "label": "统一社会信用代码"} in qydj["fields"]
    assert by_code["GA-FZJL-001"]["sharing_class"] == "none"
    assert client_for("zhangsan").get("/api/v1/sharing/resources").status_code == 403
    assert Client().get("/api/v1/sharing/resources").status_code == 401


def test_request_check_approve_and_query_through_http(client_for):
    weijian, admin, provider = client_for("shenpi_weijian"), client_for("admin"), client_for("bumen_admin")
    response = _post(
        weijian,
        "requests",
        {
            "resource": "SCJG-QYDJ-001",
            "fields": ["uscc", "name"],
            "purpose": "食品经营许可核验",
            "legal_basis": "《食品安全法》",
        },
    )
    assert response.status_code == 201, response.content
    created = response.json()
    assert created["status"] == "pending" and dt.date.fromisoformat(created["due_date"])
    rid = created["id"]
    refused = _post(weijian, f"requests/{rid}/approve", {})
    assert refused.status_code == 403 and refused.json()["error"]["message"]
    checked = _post(admin, f"requests/{rid}/approve", {})
    assert checked.status_code == 200 and checked.json()["status"] == "checked"
    approved = _post(provider, f"requests/{rid}/approve", {"daily_quota": 100})
    assert approved.json()["status"] == "approved" and approved.json()["daily_quota"] == 100
    answer = _post(weijian, "query", {"request": rid, "subject": ENTERPRISE, "purpose": "食品经营许可核验"})
    assert answer.status_code == 200
    assert answer.json()["data"] == {"uscc": ENTERPRISE, "name": "岳阳市洞庭湖餐饮管理有限公司"}
    assert isinstance(answer.json()["call"], int)
    for body, status in [
        ({"request": rid, "subject": ENTERPRISE, "purpose": "别的用途"}, 403),
        ({"request": rid, "subject": ENTERPRISE, "purpose": "食品经营许可核验", "fields": ["industry"]}, 403),
        ({"request": 10**12, "subject": ENTERPRISE, "purpose": "x"}, 404),
        ({"request": rid, "subject": "bad\x00", "purpose": "x"}, 400),
        ({"request": rid, "subject": ENTERPRISE, "purpose": "x" * 300}, 422),
    ]:
        response = _post(weijian, "query", body)
        assert response.status_code == status, (body, response.content)
        assert response.json()["error"]["message"]
    calls = provider.get(f"/api/v1/sharing/calls?request={rid}").json()["results"]
    # newest first: the two refused queries, then the answered one (a NUL or an over-long value is
    # refused at the gateway's door, before any approval is read, and an unknown id names none)
    assert [c["outcome"] for c in calls] == ["denied", "denied", "allowed"]
    assert {"caller", "purpose", "fields", "subject", "at"} <= set(calls[0])
    assert client_for("shenpi_gongan").get(f"/api/v1/sharing/calls?request={rid}").status_code == 404


def test_refuse_needs_a_reason_and_returns_the_request(client_for):
    weijian, admin = client_for("shenpi_weijian"), client_for("admin")
    rid = _post(
        weijian,
        "requests",
        {"resource": "SCJG-QYDJ-001", "fields": ["uscc"], "purpose": "核验", "legal_basis": "《条例》"},
    ).json()["id"]
    assert _post(admin, f"requests/{rid}/refuse", {"reason": ""}).status_code == 400
    refused = _post(admin, f"requests/{rid}/refuse", {"reason": "用途不明确"})
    assert refused.status_code == 200 and refused.json()["status"] == "refused"


def test_negative_list_request_is_recorded_refused(client_for):
    response = _post(
        client_for("shenpi_weijian"),
        "requests",
        {"resource": "GA-FZJL-001", "fields": ["name"], "purpose": "核验", "legal_basis": "无"},
    )
    assert response.status_code == 201 and response.json()["status"] == "refused"
    assert "负面清单" in response.json()["reason"]


def test_service_token_calls_the_gateway_only_under_its_approvals(staff):
    approval = Request.objects.get(resource__code="SCJG-QYDJ-001", department_id="11430600MB06000535")
    out, err = io.StringIO(), io.StringIO()
    call_command(
        "service_token",
        "shenpi_weijian",
        "--requests",
        str(approval.pk),
        "--days",
        "30",
        stdout=out,
        stderr=err,
    )
    system = Client(HTTP_AUTHORIZATION=f"Bearer {out.getvalue().strip()}")
    ok = _post(system, "query", {"request": approval.pk, "subject": ENTERPRISE, "purpose": approval.purpose})
    assert ok.status_code == 200
    assert Call.objects.get(pk=ok.json()["call"]).caller_label.endswith("（系统令牌）")
    other = Request.objects.get(resource__code="SCJG-YYZZ-001", department_id="11430600MB06000535")
    assert (
        _post(
            system, "query", {"request": other.pk, "subject": ENTERPRISE, "purpose": other.purpose}
        ).status_code
        == 404
    )
    # deny by default: nowhere else
    assert system.get("/api/v1/sharing/resources").status_code == 401
    assert system.get("/api/v1/me/notifications").status_code == 401
    # an expired token is nothing
    ApiToken.objects.filter(sharing_requests__isnull=False).update(
        expires_at=dt.datetime(2020, 1, 1, tzinfo=dt.UTC)
    )
    assert (
        _post(
            system, "query", {"request": approval.pk, "subject": ENTERPRISE, "purpose": approval.purpose}
        ).status_code
        == 401
    )


def test_service_token_only_for_the_persons_own_approvals(staff):
    approval = Request.objects.get(resource__code="SCJG-QYDJ-001", department_id="11430600MB06000535")
    from django.core.management.base import CommandError

    with pytest.raises(CommandError):
        call_command("service_token", "shenpi_gongan", "--requests", str(approval.pk), stdout=io.StringIO())


def test_who_used_my_data(client_for, staff):
    approval = Request.objects.get(resource__code="SCJG-QYDJ-001", department_id="11430600MB06000535")
    _post(
        client_for("shenpi_weijian"),
        "query",
        {"request": approval.pk, "subject": ENTERPRISE, "purpose": approval.purpose},
    )
    uses = client_for("lisi").get("/api/v1/sharing/me/uses").json()["results"]
    assert uses[0]["department"] == "岳阳市卫生健康委员会" and uses[0]["purpose"] == approval.purpose
    assert uses[0]["legal_basis"]
    theirs = client_for("zhangsan").get("/api/v1/sharing/me/uses").json()["results"]
    assert all(u["resource"] != "企业登记信息" for u in theirs)


def test_a_dispute_is_answered_by_the_provider_and_corrects_the_library(client_for, staff):
    from onething.sharing.models import SourceRecord

    body = {
        "resource": "SCJG-YYZZ-001",
        "subject": ENTERPRISE,
        "field": "address",
        "claimed": "巴陵中路99号",
        "reason": "已搬迁",
    }
    created = _post(client_for("lisi"), "disputes", body)
    assert created.status_code == 201 and created.json()["status"] == "open" and created.json()["due_date"]
    assert _post(client_for("zhangsan"), "disputes", body).status_code == 403  # not his data
    did = created.json()["id"]
    assert (
        _post(
            client_for("shenpi_weijian"), f"disputes/{did}/answer", {"corrected": True, "answer": "x"}
        ).status_code
        == 404
    )
    answered = _post(
        client_for("bumen_admin"),
        f"disputes/{did}/answer",
        {"corrected": True, "answer": "已核实更正", "value": "巴陵中路99号"},
    )
    assert answered.status_code == 200 and answered.json()["status"] == "corrected"
    assert (
        SourceRecord.objects.get(resource__code="SCJG-YYZZ-001", subject=ENTERPRISE).data["address"]
        == "巴陵中路99号"
    )


def test_export_and_offline_verify_commands(tmp_path, client_for):
    approval = Request.objects.get(resource__code="SCJG-QYDJ-001", department_id="11430600MB06000535")
    _post(
        client_for("shenpi_weijian"),
        "query",
        {"request": approval.pk, "subject": ENTERPRISE, "purpose": approval.purpose},
    )
    target = tmp_path / "calls.json"
    call_command("sharing_calls", "export", str(target), stdout=io.StringIO())
    out = io.StringIO()
    call_command("sharing_calls", "verify", str(target), stdout=out)
    assert "校验通过" in out.getvalue()
    document = json.loads(target.read_text("utf-8"))
    document["records"][0]["rows"] = 9
    target.write_text(json.dumps(document, ensure_ascii=False), "utf-8")
    from django.core.management.base import CommandError

    with pytest.raises(CommandError):
        call_command("sharing_calls", "verify", str(target), stdout=io.StringIO())
