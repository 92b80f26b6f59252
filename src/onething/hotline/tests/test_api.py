"""12345 tickets in the API (``/api/v1/tickets``): filing (201 shape and the due moments of
PRODUCT.md C11, 400 naming the field and writing nothing, who may file), the queue (scope,
filters, urgency order, paging), the detail (404 outside scope, phone and personal numbers
masked), the transitions (round trip, 403 for a role, 409 for a state), merging, extensions
and following by number and lookup code."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.test import Client

from onething.accounts.models import User
from onething.hotline import rules
from onething.hotline.models import Extension, Ticket

pytestmark = pytest.mark.django_db

API = "/api/v1/tickets"
ID_NUMBER = "430602199001011234"
PHONE = "13800000000"
COMPLAINT = {
    "category": "complaint",
    "channel": "hotline",
    "received_at": "2026-09-30T15:50:00+08:00",
    "content": "店铺卫生差",
    "region": "430602",
    "caller": {"name": "张先生", "phone": PHONE},
}


def client_for(username: str | None) -> Client:
    client = Client()
    if username:
        client.force_login(User.objects.get(username=username))
    return client


def post(client: Client, url: str, body=None):
    data = body if isinstance(body, str) else json.dumps(body if body is not None else {})
    return client.post(API + url, data, content_type="application/json")


def file(username: str = "jiexian", **changes) -> dict:
    response = post(client_for(username), "", {**COMPLAINT, **changes})
    assert response.status_code == 201, response.json()
    return response.json()


def department_of(username: str) -> str:
    return User.objects.get(username=username).staff_roles.get().department_id


# ------------------------------------------------------------------------------ filing


def test_a_complaint_is_filed_with_the_c11_due_moments():
    body = file()
    assert set(body) == {"number", "lookup_code", "status", "due"}
    assert body["number"].startswith("12345-20260930-") and len(body["lookup_code"]) == 6
    assert body["status"] == "received"
    assert body["due"] == {"dispatch": "2026-09-30T16:50:00+08:00", "finish_date": "2026-10-13"}
    ticket = Ticket.objects.get(number=body["number"])
    assert (
        ticket.channel == "hotline"
        and ticket.caller_phone == PHONE
        and ticket.created_by.username == "jiexian"
    )


def test_a_redirected_matter_has_no_due():
    body = file(redirect="litigation")
    assert body["status"] == "redirected" and body["due"] is None


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"category": None}, "category"),
        ({"category": "gossip"}, "category"),
        ({"complexity": "hard", "category": "not_done"}, "complexity"),
        ({"channel": "pigeon"}, "channel"),
        ({"received_at": "yesterday"}, "received_at"),
        ({"received_at": "2099-01-01T00:00:00+08:00"}, "received_at"),
        ({"content": ""}, "content"),
        ({"content": "卫生\x00差"}, "content"),
        ({"content": "差" * 4001}, "content"),
        ({"content": 12}, "content"),
        ({"region": "999999"}, "region"),
        ({"region": "110000"}, "region"),  # outside the operator's city
        ({"caller": "张先生"}, "caller"),
        ({"caller": {"name": "张", "phone": "call me"}}, "caller.phone"),
        ({"caller": {"name": "张\x00", "phone": PHONE}}, "caller.name"),
        ({"anonymous": True}, "anonymous"),  # only a 举报 may be anonymous
        ({"lat": "29.37"}, "long"),
        ({"lat": "north", "long": "113.1"}, "lat"),
        ({"item": "no-such-item"}, "item"),
        ({"department": "no-such"}, "department"),
        ({"redirect": "gossip"}, "redirect"),
    ],
)
def test_bad_input_is_a_400_naming_the_field_and_writes_nothing(changes, field):
    before = Ticket.objects.count()
    response = post(client_for("jiexian"), "", {**COMPLAINT, **changes})
    assert response.status_code == 400, response.json()
    assert response.json()["error"]["field"] == field
    assert Ticket.objects.count() == before


def test_who_may_file():
    assert post(client_for(None), "", COMPLAINT).status_code == 401
    for staff in ("chengban_shichang", "ducha"):
        response = post(client_for(staff), "", COMPLAINT)
        assert response.status_code == 403, (staff, response.json())
    window = file("chuangkou", channel="window", category="not_done", complexity="complex", region="430600")
    ticket = Ticket.objects.get(number=window["number"])
    assert ticket.hall.code == "yueyang-city-hall" and ticket.complexity == "complex"
    refused = post(client_for("chuangkou"), "", COMPLAINT)  # a window files on its own channel
    assert refused.status_code == 400 and refused.json()["error"]["field"] == "channel"
    mine = file("zhangsan", channel="web", caller=None, received_at=None)
    ticket = Ticket.objects.get(number=mine["number"])
    assert ticket.caller.username == "zhangsan" and ticket.channel == "web"
    refused = post(client_for("zhangsan"), "", COMPLAINT)
    assert refused.status_code == 400 and refused.json()["error"]["field"] == "channel"


# ------------------------------------------------------------------------------ detail and queue


def test_detail_is_scoped_and_masks_for_non_owners():
    content = f"身份证号{ID_NUMBER}，被拒办"
    number = file("zhangsan", channel="web", caller={"name": "张三", "phone": PHONE}, content=content)[
        "number"
    ]
    own = client_for("zhangsan").get(f"{API}/{number}").json()
    assert own["content"] == content and own["caller"] == {"name": "张三", "phone": PHONE}
    assert own["actions"] == []
    centre = client_for("jiexian").get(f"{API}/{number}").json()
    assert centre["caller"]["phone"] == PHONE  # the hotline centre calls back
    assert ID_NUMBER not in centre["content"] and "4306021990" not in centre["content"]
    assert centre["status_name"] == "已受理，待派单" and "dispatch" in centre["actions"]
    assert "sign" not in centre["actions"]
    supervisor = client_for("ducha").get(f"{API}/{number}").json()
    assert supervisor["caller"]["phone"] != PHONE and supervisor["caller"]["phone"].startswith("138")
    for outsider in ("lisi", "chengban_shichang"):  # not dispatched to that department (yet)
        assert client_for(outsider).get(f"{API}/{number}").status_code == 404
    assert client_for("jiexian").get(f"{API}/12345-20260101-999999").status_code == 404
    assert client_for(None).get(f"{API}/{number}").status_code == 401
    post(client_for("jiexian"), f"/{number}/dispatch", {"department": department_of("chengban_shichang")})
    handler = client_for("chengban_shichang").get(f"{API}/{number}").json()
    assert handler["caller"]["phone"] == PHONE and handler["actions"] == ["sign", "return"]


@pytest.fixture
def only_ours():
    """The baseline may hold demo tickets; the queue's order is asserted on ours alone (the
    rows come back when the test's transaction is rolled back)."""
    Ticket.objects.update(primary=None)
    Ticket.objects.all().delete()


def test_the_queue_is_scoped_filtered_and_ordered_by_urgency(only_ours):
    a, b, c = (file(content=f"诉求{i}")["number"] for i in range(3))
    d = file("zhangsan", channel="web", caller=None, received_at=None, category="consult")["number"]
    Ticket.objects.filter(number=b).update(warning="red")
    Ticket.objects.filter(number=c).update(warning="yellow")
    centre = client_for("jiexian")
    listed = centre.get(API).json()
    numbers = [t["number"] for t in listed["results"]]
    assert numbers[:2] == [b, c] and set(numbers[2:]) == {a, d} and listed["count"] == 4
    assert listed["results"][0]["warning"] == "red" and listed["results"][0]["due"]["finish_date"]
    assert [t["number"] for t in centre.get(f"{API}?warning=yellow").json()["results"]] == [c]
    assert {t["number"] for t in centre.get(f"{API}?category=consult").json()["results"]} == {d}
    assert [t["number"] for t in client_for("zhangsan").get(API).json()["results"]] == [d]
    assert client_for("lisi").get(API).json()["results"] == []
    page = centre.get(f"{API}?page_size=2&page=2").json()
    assert (
        page["page"] == 2
        and page["page_size"] == 2
        and [t["number"] for t in page["results"]] == numbers[2:4]
    )
    bad = centre.get(f"{API}?status=lost")
    assert bad.status_code == 400 and bad.json()["error"]["field"] == "status"
    assert centre.get(f"{API}?page_size=101").status_code == 422
    dept = department_of("chengban_shichang")
    post(centre, f"/{a}/dispatch", {"department": dept})
    assert [t["number"] for t in centre.get(f"{API}?assigned={dept}").json()["results"]] == [a]
    assert [t["number"] for t in client_for("chengban_shichang").get(API).json()["results"]] == [a]


# ------------------------------------------------------------------------------ transitions


def test_an_action_round_trip_with_roles_and_states_refused():
    filed = file(caller={"name": "张先生", "phone": PHONE})
    number = filed["number"]
    centre, handler = client_for("jiexian"), client_for("chengban_shichang")
    dept = department_of("chengban_shichang")

    missing = post(centre, f"/{number}/dispatch", {})
    assert missing.status_code == 400 and missing.json()["error"]["field"] == "department"
    assert post(handler, f"/{number}/dispatch", {"department": dept}).status_code == 404  # cannot read it yet
    done = post(centre, f"/{number}/dispatch", {"department": dept, "note": "请核查"})
    assert done.status_code == 200 and done.json()["status"] == "dispatched"
    assert done.json()["assigned"]["code"] == dept and done.json()["due"]["sign_date"]
    again = post(centre, f"/{number}/dispatch", {"department": dept})
    assert again.status_code == 409, again.json()
    assert post(centre, f"/{number}/sign").status_code == 403  # the department signs
    assert post(handler, f"/{number}/sign").json()["status"] == "handling"
    blank = post(handler, f"/{number}/answer", {"reply": "  "})
    assert blank.status_code == 400 and blank.json()["error"]["field"] == "reply"
    answered = post(handler, f"/{number}/answer", {"reply": "已责令整改"})
    assert answered.json()["status"] == "answered" and answered.json()["reply"] == "已责令整改"
    assert post(handler, f"/{number}/finish").status_code == 403
    assert post(centre, f"/{number}/send_back", {"reason": "未说明整改期限"}).json()["status"] == "handling"
    post(handler, f"/{number}/answer", {"reply": "已责令整改，三日内复查"})
    finished = post(centre, f"/{number}/finish").json()
    assert finished["status"] == "finished" and "revisit" in finished["actions"]
    assert finished["on_time"] is False  # received 2026-09-30, due 2026-10-13, finished today
    bad = post(centre, f"/{number}/revisit", {"satisfaction": "meh", "note": "x"})
    assert bad.status_code == 400 and bad.json()["error"]["field"] == "satisfaction"
    closed = post(centre, f"/{number}/revisit", {"satisfaction": "satisfied", "note": "电话回访满意"})
    assert closed.json()["status"] == "closed" and closed.json()["satisfaction"] == "satisfied"
    assert post(centre, f"/{number}/rate", {"score": 5}).status_code == 403  # only the caller rates

    # the caller without an account follows it and rates the reply once
    code = filed["lookup_code"]
    anyone = client_for(None)
    followed = anyone.get(f"{API}/follow?number={number}&code={code.lower()}").json()
    assert followed["status"] == "closed" and followed["reply"] == "已责令整改，三日内复查"
    assert followed["can_rate"] is True and followed["finish_date"] == "2026-10-13"
    assert "caller" not in followed and "content" not in followed
    assert anyone.get(f"{API}/follow?number={number}&code=WRONG1").status_code == 404
    unhappy = post(anyone, "/follow/rate", {"number": number, "code": code, "score": 2})
    assert unhappy.status_code == 400 and unhappy.json()["error"]["field"] == "comment"
    rated = post(anyone, "/follow/rate", {"number": number, "code": code, "score": 4, "comment": "还行"})
    assert rated.status_code == 200 and rated.json()["score"] == 4 and rated.json()["can_rate"] is False
    assert post(anyone, "/follow/rate", {"number": number, "code": code, "score": 5}).status_code == 409


def test_a_consult_is_resolved_on_the_spot_and_only_a_consult():
    consult = file(category="consult")["number"]
    complaint = file()["number"]
    centre = client_for("jiexian")
    refused = post(centre, f"/{complaint}/resolve", {"reply": "按指南办理"})
    assert refused.status_code == 409
    done = post(centre, f"/{consult}/resolve", {"reply": "请携带身份证原件办理", "source": "办事指南"})
    assert done.status_code == 200 and done.json()["status"] == "closed"


def test_merge_and_unmerge():
    head, member = file()["number"], file(content="同一店铺卫生差")["number"]
    centre = client_for("jiexian")
    assert post(centre, f"/{head}/merge", {"members": ["12345-20260101-999999"]}).status_code == 404
    merged = post(centre, f"/{head}/merge", {"members": [member], "reason": "同一事项"})
    assert merged.status_code == 200 and merged.json()["members"] == [member]
    one = centre.get(f"{API}/{member}").json()
    assert one["status"] == "merged" and one["primary"] == head
    assert post(centre, f"/{member}/unmerge", {}).json()["error"]["field"] == "reason"
    back = post(centre, f"/{member}/unmerge", {"reason": "并非同一事项"})
    assert back.json()["status"] == "received" and centre.get(f"{API}/{head}").json()["members"] == []


def test_an_extension_is_requested_and_decided():
    number = file()["number"]
    centre, handler = client_for("jiexian"), client_for("chengban_shichang")
    post(centre, f"/{number}/dispatch", {"department": department_of("chengban_shichang")})
    post(handler, f"/{number}/sign")
    before = dt.date.fromisoformat(centre.get(f"{API}/{number}").json()["due"]["finish_date"])
    bad = post(handler, f"/{number}/extensions", {"days": 99, "reason": "需现场核查"})
    assert bad.status_code == 400 and bad.json()["error"]["field"] == "days"
    asked = post(handler, f"/{number}/extensions", {"days": 3, "reason": "需现场核查"})
    assert asked.status_code == 201 and asked.json()["status"] == "pending"
    extension = asked.json()["id"]
    assert post(handler, f"/extensions/{extension}/approve", {}).status_code == 403
    assert post(client_for("lisi"), f"/extensions/{extension}/approve", {}).status_code == 404
    approved = post(centre, f"/extensions/{extension}/approve", {"note": "同意"})
    assert approved.status_code == 200 and approved.json()["status"] == "approved"
    after = dt.date.fromisoformat(centre.get(f"{API}/{number}").json()["due"]["finish_date"])
    assert after > before and Extension.objects.get(pk=extension).decided_by.username == "jiexian"
    assert post(centre, f"/extensions/{extension}/refuse", {"note": "改主意"}).status_code == 409


def test_field_names_are_12345s_on_its_api_and_the_cases_elsewhere():
    """``address`` is where the matter happened here (地址), where a result is mailed in a
    case (邮寄地址): each surface names its own fields, and neither renames the other's."""
    from onething.core import text

    response = post(client_for("jiexian"), "", {**COMPLAINT, "address": "路" * 201})
    assert response.status_code == 400
    assert response.json()["error"]["message"].startswith("“地址”不能超过200个字符")
    assert response.json()["error"]["field"] == "address"
    assert text.label("address") == "邮寄地址" and text.label("code") == "短信验证码"
    with text.labelled(rules.LABELS):
        assert text.label("address") == "地址" and text.label("code") == "查询码"
    assert text.label("content") == "诉求内容"  # a name no other app uses is the default
