"""The 数据共享 pages through the Django test client: each page for the right people, 404
outside scope, every decision posted from its form, and bad input shown next to its field in
Chinese — never a 500."""

from __future__ import annotations

import pytest
from django.test import Client

from onething.accounts.models import User
from onething.kernel.errors import NotPermitted
from onething.sharing import gateway
from onething.sharing.models import Call, Dispute, Request

pytestmark = pytest.mark.django_db

ENTERPRISE = "91430600MA4L00001C"
WEIJIAN = "11430600MB06000535"
GONGAN = "11430600MB0600046D"


def client_for(username: str) -> Client:
    client = Client()
    client.force_login(User.objects.get(username=username))
    return client


def text(response) -> str:
    return response.content.decode()


@pytest.fixture
def qydj(demo) -> Request:
    """卫健's approved request for 市场监管's 企业登记信息 (conditional)."""
    return Request.objects.get(department_id=WEIJIAN, resource__code="SCJG-QYDJ-001", status="approved")


@pytest.fixture
def pending(demo) -> Request:
    """卫健's request for 人社's 社会保险参保信息, waiting for the data authority."""
    return Request.objects.get(department_id=WEIJIAN, resource__code="RS-SBCB-001", status="pending")


@pytest.fixture
def other(demo) -> Request:
    """公安's approval of 户籍信息 (公安's own data): neither 卫健 nor 市场监管 see it."""
    return Request.objects.filter(department_id=GONGAN, resource__code="GA-HJ-001").first()


def submit(client, **overrides):
    data = {
        "resource": "SCJG-YYZZ-001",
        "fields": ["uscc", "name"],
        "purpose": "食品经营许可审查",
        "legal_basis": "《中华人民共和国食品安全法》第三十五条",
        **overrides,
    }
    return client.post("/sharing/requests/new/", data)


# ------------------------------------------------------------------------------- scope


def test_staff_home_lists_my_scope_and_is_404_for_citizens(qydj, pending, other):
    page = client_for("shenpi_weijian").get("/sharing/")
    assert page.status_code == 200
    body = text(page)
    assert f"共享申请 {qydj.pk}：" in body and f"共享申请 {pending.pk}：" in body
    assert f"共享申请 {other.pk}：" not in body
    assert "申请共享数据" in body
    filtered = text(client_for("shenpi_weijian").get("/sharing/?status=pending"))
    assert f"共享申请 {pending.pk}：" in filtered and f"共享申请 {qydj.pk}：" not in filtered
    assert client_for("shenpi_weijian").get("/sharing/?status=nonsense").status_code == 200
    assert f"共享申请 {other.pk}：" in text(client_for("admin").get("/sharing/"))
    provider = text(client_for("bumen_admin").get("/sharing/"))
    assert f"共享申请 {qydj.pk}：" in provider and f"共享申请 {pending.pk}：" not in provider
    assert client_for("zhangsan").get("/sharing/").status_code == 404
    assert Client().get("/sharing/").status_code == 302  # to the login page


def test_catalog_and_resource_page_show_metering_to_the_provider_and_authority_only(qydj):
    catalog = client_for("shenpi_weijian").get("/sharing/resources/")
    assert catalog.status_code == 200
    body = text(catalog)
    assert "企业登记信息" in body and "有条件共享" in body and "不予共享" in body
    gateway.query(User.objects.get(username="shenpi_weijian"), qydj.pk, ENTERPRISE, qydj.purpose)
    for username in ("bumen_admin", "admin"):
        page = text(client_for(username).get("/sharing/resources/SCJG-QYDJ-001/"))
        assert 'id="metering"' in page and f"/sharing/requests/{qydj.pk}/calls/" in page
        assert "P95 耗时" in page and "100.0%" in page
    public = text(client_for("shenpi_weijian").get("/sharing/resources/SCJG-QYDJ-001/"))
    assert "共享依据" in public and "来源系统" in public and "数据更新时间" in public
    assert 'id="metering"' not in public and "/calls/" not in public
    assert "个人信息" in text(client_for("shenpi_weijian").get("/sharing/resources/GA-HJ-001/"))
    assert client_for("shenpi_weijian").get("/sharing/resources/NO-SUCH/").status_code == 404
    assert client_for("zhangsan").get("/sharing/resources/").status_code == 404
    assert client_for("zhangsan").get("/sharing/resources/SCJG-QYDJ-001/").status_code == 404


def test_request_page_is_404_outside_scope(qydj, other):
    url = f"/sharing/requests/{qydj.pk}/"
    for username in ("shenpi_weijian", "bumen_admin", "admin"):
        assert client_for(username).get(url).status_code == 200, username
    assert client_for("zhangsan").get(url).status_code == 404
    assert client_for("lisi").get(url).status_code == 404
    assert client_for("shenpi_weijian").get(f"/sharing/requests/{other.pk}/").status_code == 404
    assert client_for("bumen_admin").get(f"/sharing/requests/{other.pk}/").status_code == 404
    for bad in ("abc", "0", "-1", "99999999999999999999", "999999"):
        assert client_for("admin").get(f"/sharing/requests/{bad}/").status_code == 404, bad


def test_request_page_shows_everything_and_the_history(qydj):
    body = text(client_for("shenpi_weijian").get(f"/sharing/requests/{qydj.pk}/"))
    for shown in (
        "企业登记信息",
        "统一社会信用代码",
        "企业名称",
        qydj.purpose,
        "已批准",
        "有效期",
        "办理记录",
    ):
        assert shown in body, shown
    assert 'id="query-form"' in body  # the using department may call it
    assert 'id="calls-link"' not in body
    provider = text(client_for("bumen_admin").get(f"/sharing/requests/{qydj.pk}/"))
    assert 'id="calls-link"' in provider and 'id="query-form"' not in provider
    assert "暂停授权" in provider and "撤销授权" in provider


def test_request_page_shows_the_history_in_the_machines_words():
    from onething.sharing import requests as sharing_requests

    weijian, admin = User.objects.get(username="shenpi_weijian"), User.objects.get(username="admin")
    r = sharing_requests.submit(
        weijian,
        resource="SCJG-QYDJ-001",
        fields=["uscc"],
        purpose="核验企业名称",
        legal_basis="《食品安全法》",
    )
    sharing_requests.approve(admin, r.pk)
    sharing_requests.approve(User.objects.get(username="bumen_admin"), r.pk)
    body = text(client_for("shenpi_weijian").get(f"/sharing/requests/{r.pk}/"))
    assert "提交共享申请" in body and "审核通过，转提供部门" in body and "同意共享" in body


def test_call_log_for_the_provider_and_authority_only(qydj, other):
    gateway.query(User.objects.get(username="shenpi_weijian"), qydj.pk, ENTERPRISE, qydj.purpose)
    with pytest.raises(NotPermitted):
        gateway.query(User.objects.get(username="shenpi_weijian"), qydj.pk, ENTERPRISE, "别的用途")
    url = f"/sharing/requests/{qydj.pk}/calls/"
    for username in ("bumen_admin", "admin"):
        page = client_for(username).get(url)
        assert page.status_code == 200
        body = text(page)
        assert "允许" in body and "拒绝" in body and "别的用途" in body
        assert ENTERPRISE in body  # an enterprise's code is public (a person's is masked)
    assert client_for("shenpi_weijian").get(url).status_code == 404
    assert client_for("zhangsan").get(url).status_code == 404
    assert client_for("bumen_admin").get(f"/sharing/requests/{other.pk}/calls/").status_code == 404
    assert client_for("admin").get("/sharing/requests/abc/calls/").status_code == 404


# ------------------------------------------------------------------------------- new request


def test_new_request_form_submits_and_redirects(demo):
    client = client_for("shenpi_weijian")
    assert client.get("/sharing/requests/new/").status_code == 200
    page = text(client.get("/sharing/requests/new/?resource=SCJG-YYZZ-001"))
    assert 'name="fields" value="legal_rep"' in page and "法定代表人" in page
    response = submit(client, items=["430600-WJ-0101-01"])
    assert response.status_code == 302
    created = Request.objects.order_by("-id").first()
    assert response["Location"] == f"/sharing/requests/{created.pk}/"
    assert created.status == "pending" and created.fields == ["uscc", "name"]
    assert created.items == ["430600-WJ-0101-01"]
    detail = text(client.get(response["Location"]))
    assert "已提交" in detail and "待审核" in detail
    assert client_for("zhangsan").get("/sharing/requests/new/").status_code == 404
    assert client_for("admin").get("/sharing/requests/new/").status_code in (200, 404)


def test_negative_list_resource_is_refused_at_once(demo):
    response = submit(client_for("shenpi_weijian"), resource="GA-FZJL-001", fields=["name"])
    assert response.status_code == 302
    created = Request.objects.order_by("-id").first()
    assert created.status == "refused" and "负面清单" in created.reason


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"fields": []}, "“数据项”必填"),
        ({"fields": ["nonsense"]}, "不是“营业执照信息”的数据项"),
        ({"purpose": ""}, "“用途”必填"),
        ({"purpose": "很" * 3000}, "“用途”"),
        ({"legal_basis": "   "}, "“依据”必填"),
        ({"resource": "NO-SUCH"}, "数据资源 NO-SUCH 不存在"),
        ({"resource": ""}, "请选择数据资源"),
        ({"item_codes": "NOT-AN-ITEM"}, "不是目录中的事项"),
        ({"department": GONGAN}, "您不是该部门的工作人员"),
    ],
)
def test_new_request_errors_are_shown_in_chinese(demo, overrides, message):
    before = Request.objects.count()
    response = submit(client_for("shenpi_weijian"), **overrides)
    assert response.status_code == 400
    assert message in text(response)
    assert Request.objects.count() == before


def test_nul_character_is_refused_without_a_500(demo):
    response = submit(client_for("shenpi_weijian"), purpose="食品\x00经营")
    assert response.status_code == 400
    assert Request.objects.filter(purpose__contains="食品").count() == 0


# ------------------------------------------------------------------------------- decisions


def post(client, request_id: int, name: str, **data):
    return client.post(f"/sharing/requests/{request_id}/act/{name}/", data)


def test_conditional_request_check_then_provider_approval_with_quota(pending):
    admin, renshe = client_for("admin"), client_for("shuju_renshe")
    page = text(admin.get(f"/sharing/requests/{pending.pk}/"))
    assert "审核通过，转提供部门" in page and "审核不通过" in page
    assert post(admin, pending.pk, "approve", reason="符合共享条件").status_code == 302
    pending.refresh_from_db()
    assert pending.status == "checked"
    page = text(renshe.get(f"/sharing/requests/{pending.pk}/"))
    assert "同意共享" in page and 'name="daily_quota"' in page
    bad = post(renshe, pending.pk, "approve", daily_quota="abc")
    assert bad.status_code == 400 and "每日调用上限" in text(bad)
    bad = post(renshe, pending.pk, "approve", valid_until="2000-01-01")
    assert bad.status_code == 400 and "有效期至" in text(bad)
    done = post(renshe, pending.pk, "approve", daily_quota="50", valid_until="")
    assert done.status_code == 302
    pending.refresh_from_db()
    assert pending.status == "approved" and pending.daily_quota == 50
    assert "已批准" in text(renshe.get(done["Location"]))


def test_suspend_resume_revoke_with_required_reasons(qydj):
    provider = client_for("bumen_admin")
    empty = post(provider, qydj.pk, "suspend", reason="")
    assert empty.status_code == 400 and "“理由”必填" in text(empty)
    nul = post(provider, qydj.pk, "suspend", reason="a\x00b")
    assert nul.status_code == 400
    long = post(provider, qydj.pk, "suspend", reason="长" * 3000)
    assert long.status_code == 400 and "“理由”" in text(long)
    assert post(provider, qydj.pk, "suspend", reason="核查调用异常").status_code == 302
    qydj.refresh_from_db()
    assert qydj.status == "suspended"
    assert "恢复授权" in text(provider.get(f"/sharing/requests/{qydj.pk}/"))
    staff = client_for("shenpi_weijian")
    assert 'id="query-form"' not in text(staff.get(f"/sharing/requests/{qydj.pk}/"))
    paused = staff.post(
        f"/sharing/requests/{qydj.pk}/query/", {"subject": ENTERPRISE, "purpose": qydj.purpose}
    )
    assert paused.status_code == 400 and 'id="action-error"' in text(paused)
    assert post(provider, qydj.pk, "resume").status_code == 302
    qydj.refresh_from_db()
    assert qydj.status == "approved"
    assert post(provider, qydj.pk, "revoke", reason="不再需要").status_code == 302
    qydj.refresh_from_db()
    assert qydj.status == "revoked"
    again = post(provider, qydj.pk, "resume")
    assert again.status_code == 400  # not allowed in this state: a message, not a 500


def test_refuse_dispute_settle_and_withdraw(demo):
    staff, admin = client_for("shenpi_weijian"), client_for("admin")
    submit(staff)
    first = Request.objects.order_by("-id").first()
    empty = post(admin, first.pk, "refuse", reason=" ")
    assert empty.status_code == 400 and "理由" in text(empty)
    assert post(admin, first.pk, "refuse", reason="用途不明确").status_code == 302
    first.refresh_from_db()
    assert first.status == "refused"
    assert "提出协商" in text(staff.get(f"/sharing/requests/{first.pk}/"))
    assert post(staff, first.pk, "dispute", reason="用途已在依据中写明").status_code == 302
    first.refresh_from_db()
    assert first.status == "disputed"
    assert post(admin, first.pk, "approve", reason="协调一致").status_code == 302
    first.refresh_from_db()
    assert first.status == "approved"  # 营业执照信息 is unconditional: settled approval

    submit(staff, purpose="另一项审查")
    second = Request.objects.order_by("-id").first()
    assert "撤回申请" in text(staff.get(f"/sharing/requests/{second.pk}/"))
    assert post(staff, second.pk, "withdraw").status_code == 302
    second.refresh_from_db()
    assert second.status == "withdrawn"


def test_actions_outside_role_or_scope(qydj, other, pending):
    staff = client_for("shenpi_weijian")
    refused = post(staff, pending.pk, "approve")
    assert refused.status_code == 400 and 'id="action-error"' in text(refused)
    assert post(staff, pending.pk, "nonsense").status_code == 404
    assert post(staff, other.pk, "withdraw").status_code == 404
    assert post(client_for("zhangsan"), qydj.pk, "suspend", reason="x").status_code == 404
    assert staff.get(f"/sharing/requests/{qydj.pk}/act/suspend/").status_code == 405


# ------------------------------------------------------------------------------- query test


def test_query_form_shows_the_data_with_labels_and_denials_in_chinese(qydj):
    staff = client_for("shenpi_weijian")
    url = f"/sharing/requests/{qydj.pk}/query/"
    found = staff.post(url, {"subject": ENTERPRISE, "purpose": qydj.purpose})
    assert found.status_code == 200
    body = text(found)
    assert "查询结果" in body and "企业名称" in body and "岳阳市洞庭湖餐饮管理有限公司" in body
    assert "规模" not in body.split('id="query-data"')[1].split("</dl>")[0]  # not approved
    wrong = staff.post(url, {"subject": ENTERPRISE, "purpose": "别的用途"})
    assert wrong.status_code == 400 and 'id="query-error"' in text(wrong)
    bad = staff.post(url, {"subject": "123", "purpose": qydj.purpose})
    assert bad.status_code == 400 and 'id="query-error"' in text(bad)
    nul = staff.post(url, {"subject": "9143\x00", "purpose": qydj.purpose})
    assert nul.status_code == 400
    assert Call.objects.filter(request=qydj).count() >= 3
    assert (
        client_for("bumen_admin").post(url, {"subject": ENTERPRISE, "purpose": qydj.purpose}).status_code
        == 404
    )
    assert (
        client_for("zhangsan").post(url, {"subject": ENTERPRISE, "purpose": qydj.purpose}).status_code == 404
    )


# ------------------------------------------------------------------------------- my data, disputes


def test_my_data_lists_uses_and_a_dispute_is_raised_and_answered(qydj):
    gateway.query(User.objects.get(username="shenpi_weijian"), qydj.pk, ENTERPRISE, qydj.purpose)
    call = Call.objects.filter(request=qydj, outcome="allowed").order_by("-id").first()
    lisi = client_for("lisi")
    page = lisi.get("/sharing/me/")
    assert page.status_code == 200
    body = text(page)
    assert "卫生健康委员会" in body or "卫健" in body
    assert "企业登记信息" in body and qydj.purpose in body and "企业名称" in body and "提出异议" in body
    assert "谁用了我的数据" in text(client_for("zhangsan").get("/sharing/me/"))
    assert "企业登记信息" not in text(client_for("zhangsan").get("/sharing/me/"))

    empty = lisi.post("/sharing/me/disputes/", {"call": call.pk, "field": "industry", "reason": ""})
    assert empty.status_code == 400 and "“理由”必填" in text(empty)
    wrong = lisi.post("/sharing/me/disputes/", {"call": call.pk, "field": "nonsense", "reason": "x"})
    assert wrong.status_code == 400 and "数据项" in text(wrong)
    # a call about someone else is not mine
    assert (
        client_for("zhangsan")
        .post("/sharing/me/disputes/", {"call": call.pk, "field": "name", "reason": "x"})
        .status_code
        == 404
    )
    assert (
        lisi.post("/sharing/me/disputes/", {"call": "abc", "field": "name", "reason": "x"}).status_code == 404
    )
    raised = lisi.post(
        "/sharing/me/disputes/",
        {"call": call.pk, "field": "industry", "claimed": "餐饮业", "reason": "行业登记有误"},
    )
    assert raised.status_code == 302
    dispute = Dispute.objects.order_by("-id").first()
    assert raised["Location"] == f"/sharing/disputes/{dispute.pk}/"
    assert dispute.subject == ENTERPRISE and dispute.field == "industry"
    assert "行业登记有误" in text(lisi.get(raised["Location"]))
    assert 'id="answer-form"' not in text(lisi.get(raised["Location"]))
    assert client_for("zhangsan").get(raised["Location"]).status_code == 404
    assert client_for("shenpi_weijian").get(raised["Location"]).status_code == 404

    provider = client_for("bumen_admin")
    assert f"数据异议 {dispute.pk}" in text(provider.get("/sharing/"))
    assert 'id="answer-form"' in text(provider.get(raised["Location"]))
    url = f"/sharing/disputes/{dispute.pk}/answer/"
    missing = provider.post(url, {"outcome": "upheld", "answer": ""})
    assert missing.status_code == 400 and "答复" in text(missing)
    nothing = provider.post(url, {"answer": "已核实"})
    assert nothing.status_code == 400 and "请选择核实结果" in text(nothing)
    assert lisi.post(url, {"outcome": "upheld", "answer": "自己答复"}).status_code == 400
    done = provider.post(url, {"outcome": "upheld", "answer": "经核实登记信息无误"})
    assert done.status_code == 302
    dispute.refresh_from_db()
    assert dispute.status == "upheld" and dispute.answer == "经核实登记信息无误"
    assert "经核实无误" in text(lisi.get(raised["Location"]))


def test_navigation_links(demo):
    assert 'href="/sharing/">数据共享' in text(client_for("shenpi_weijian").get("/"))
    citizen = text(client_for("zhangsan").get("/"))
    assert 'href="/sharing/me/">谁用了我的数据' in citizen and 'href="/sharing/">' not in citizen
    assert "/sharing/" not in text(Client().get("/"))
