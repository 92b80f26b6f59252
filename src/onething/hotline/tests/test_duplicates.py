"""Possible duplicates of a ticket being typed: caller, item, address and the words."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from onething.accounts.models import User
from onething.directory.models import Region
from onething.hotline import duplicates, intake, merging, rules
from onething.hotline.models import Ticket
from onething.kernel.errors import Invalid

pytestmark = pytest.mark.django_db
TZ = dt.timezone(dt.timedelta(hours=8))
NOW = dt.datetime(2026, 9, 30, 16, 0, tzinfo=TZ)
PHONE = "13800000000"
RATS = "南湖大道88号那家餐馆卫生很差，厨房里有老鼠"


@pytest.fixture
def operator():
    return User.objects.get(username="jiexian")


def _file(
    operator, content, *, phone=PHONE, region="430602", address="", item="", category="complaint", at=NOW
):
    data = {
        "category": category,
        "channel": "hotline",
        "content": content,
        "region": region,
        "caller": {"name": "张先生", "phone": phone} if phone else None,
        "address": address,
        "item": item,
        "received_at": (at - dt.timedelta(minutes=5)).isoformat(),
    }
    return intake.file(data, actor=operator, role="operator", now=at).ticket


def _numbers(found):
    return [s.ticket.number for s in found]


def test_same_caller_and_similar_words_are_suggested_first(operator):
    same = _file(operator, RATS)
    other_matter = _file(operator, "社保卡丢了想问怎么补办")
    stranger = _file(operator, "我家楼下路灯坏了一个月没人修", phone="13900000001")
    found = duplicates.suggest(
        region="430602", content="南湖大道的餐馆厨房有老鼠，卫生太差了", caller_phone=PHONE, now=NOW
    )
    assert _numbers(found)[:2] == [same.number, other_matter.number]
    best, second = found[0], found[1]
    assert best.score > second.score
    assert "同一来电号码" in best.reasons and any(r.startswith("内容相似") for r in best.reasons)
    assert second.reasons == ["同一来电号码"]
    assert stranger.number not in _numbers(found)
    assert all(0 < s.score <= 1 for s in found)


def test_words_alone_suggest_another_callers_report_of_the_same_matter(operator):
    first = _file(operator, RATS, phone="13900000002")
    found = duplicates.suggest(region="430602", content="南湖大道88号餐馆卫生很差，厨房里有老鼠", now=NOW)
    assert _numbers(found) == [first.number]
    assert found[0].reasons[0].startswith("内容相似") and found[0].score >= rules.DUPLICATE_MIN_SCORE


def test_item_and_address_count(operator):
    ticket = _file(
        operator,
        "食品经营许可申请提交后一直没人审核",
        phone="",
        address="岳阳楼区巴陵中路1号",
        item="430602-SCJG-0103-01",
        category="not_done",
    )
    found = duplicates.suggest(
        region="430602",
        content="申请材料交了没有回音",
        item_code="430602-SCJG-0103-01",
        address="岳阳楼区 巴陵中路1号",
        now=NOW,
    )
    assert _numbers(found) == [ticket.number]
    assert {"同一事项", "同一地址"} <= set(found[0].reasons)
    assert found[0].score >= duplicates.ITEM_WEIGHT + duplicates.ADDRESS_WEIGHT


def test_closed_merged_old_excluded_and_other_city_tickets_are_not_suggested(operator):
    closed = _file(operator, RATS)
    Ticket.objects.filter(pk=closed.pk).update(status=Ticket.Status.CLOSED)
    primary = _file(operator, RATS)
    member = _file(operator, RATS)
    merging.merge(primary, [member.number], operator, roles={"operator"}, now=NOW)
    old = _file(operator, RATS, at=NOW - dt.timedelta(days=rules.DUPLICATE_DAYS + 1))
    county = _file(operator, RATS, region="430626")  # another district of the same city
    Region.objects.create(code="430100", name="长沙市", level="city", parent_id="430000")
    elsewhere = _file(operator, RATS, region="430100")
    found = _numbers(duplicates.suggest(region="430602", content=RATS, caller_phone=PHONE, now=NOW))
    assert primary.number in found and county.number in found
    assert closed.number not in found and member.number not in found and old.number not in found
    assert elsewhere.number not in found
    assert primary.number not in _numbers(
        duplicates.suggest(region="430602", content=RATS, caller_phone=PHONE, exclude=primary.pk, now=NOW)
    )
    assert len(duplicates.suggest(region="430602", content=RATS, caller_phone=PHONE, now=NOW, limit=1)) == 1


def test_nothing_to_compare_and_bad_region(operator):
    _file(operator, RATS)
    assert duplicates.suggest(region="430602", content="  ", now=NOW) == []
    with pytest.raises(Invalid) as caught:
        duplicates.suggest(region="", content=RATS, now=NOW)
    assert caught.value.field == "region"
    with pytest.raises(Invalid):
        duplicates.suggest(region="999999", content=RATS, now=NOW)


def test_similarity_of_chinese_texts():
    assert duplicates.similarity(RATS, RATS) == pytest.approx(1.0)
    assert duplicates.similarity(RATS, "南湖大道的餐馆厨房有老鼠") > 0.4
    assert duplicates.similarity(RATS, "社保卡怎么补办") == 0.0
    # traditional characters fold to the same words
    assert duplicates.similarity("餐館廚房有老鼠", "餐馆厨房有老鼠") == pytest.approx(1.0)
    assert duplicates.similarity("", RATS) == 0.0


def test_panel_and_api(client, operator):
    ticket = _file(operator, RATS)
    # the panel compares with the tickets of the last days before the real now
    Ticket.objects.filter(pk=ticket.pk).update(received_at=timezone.now() - dt.timedelta(hours=1))
    handler = User.objects.get(username="chengban_shichang")
    params = {"region": "430602", "content": RATS, "caller_phone": PHONE}
    assert client.get("/api/v1/hotline/duplicates", params).status_code == 401
    client.force_login(handler)
    assert client.get("/api/v1/hotline/duplicates", params).status_code == 403
    assert client.get("/hotline/duplicates/panel/", params).status_code == 404
    client.force_login(operator)
    html = client.get("/hotline/duplicates/panel/", params).content.decode()
    assert ticket.number in html and f"/hotline/tickets/{ticket.number}/" in html
    assert "同一来电号码" in html and "投诉" in html and "%" in html
    assert PHONE not in html
    body = client.get("/api/v1/hotline/duplicates", params).json()
    assert [s["number"] for s in body["suggestions"]] == [ticket.number]
    assert body["suggestions"][0]["reasons"][0] == "同一来电号码"
    bad = client.get("/api/v1/hotline/duplicates", {"region": "999999", "content": RATS})
    assert bad.status_code == 400 and bad.json()["error"]["field"] == "region"
    assert client.get("/hotline/duplicates/panel/", {"region": "999999"}).status_code == 400
    assert client.get("/hotline/duplicates/panel/").status_code == 200
