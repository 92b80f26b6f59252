"""The knowledge base: item guides through the portal's search, the centre's articles, the
pages and the API, and who may use them."""

from __future__ import annotations

import json

import pytest

from onething.accounts.models import User
from onething.directory.models import Region
from onething.hotline import knowledge
from onething.hotline.models import Article
from onething.kernel.errors import Invalid

pytestmark = pytest.mark.django_db
PASSWORD = "onething-demo"


@pytest.fixture
def operator():
    return User.objects.get(username="jiexian")


@pytest.fixture
def handler():
    return User.objects.get(username="chengban_shichang")


@pytest.fixture
def citizen():
    return User.objects.get(username="zhangsan")


def _article(**fields) -> Article:
    data = {"title": "新生儿医保参保缴费口径", "body": "新生儿出生后90天内参保的，自出生之日起享受医保待遇。"}
    data.update(fields)
    return Article.objects.create(**data)


def _signed_in(client, user):
    client.force_login(user)
    return client


# ------------------------------------------------------------------------------ search


def test_a_colloquial_question_finds_the_item_guide():
    # an article touching the question in its title and body ranks below the guide itself
    article = _article(title="新生儿出生一件事怎么办", body="出生医学证明、户口登记、医保参保一次办。")
    answers = knowledge.search("生孩子了怎么办出生证", region="430602")
    assert f"article:{article.pk}" in [a.key for a in answers]
    first = answers[0]
    assert first.kind == "item" and first.key == "item:430602-WJ-2001-01"
    assert first.title == "出生医学证明办理" and first.region_name == "岳阳楼区"
    assert first.link == "/guide/items/430602-WJ-2001-01/guide/"


def test_traditional_characters_find_the_guide_with_what_the_operator_reads_out():
    answers = knowledge.search("開飯店要辦什麼手續", region="430602")
    first = answers[0]
    assert first.key == "item:430602-SCJG-0103-01" and first.title == "食品经营许可"
    summary = first.summary
    assert "岳阳楼区市场监督管理局" in summary
    assert "食品经营许可申请书" in summary and "营业执照（复印件1份" in summary
    assert "承诺5个工作日办结" in summary and "不收费" in summary
    assert "可网上申请" in summary
    assert len(summary) <= knowledge.SUMMARY_MAX


def test_a_charged_instant_item_says_so():
    answer = knowledge.item_answer("430600-GA-0101-01")
    assert "即办件" in answer.summary and "收费 10 元" in answer.summary
    assert "全程网办" in answer.summary


def test_region_scopes_items_like_the_portal():
    mine = {a.key for a in knowledge.search("出生医学证明", region="430626")}
    assert "item:430626-WJ-2001-01" in mine
    assert "item:430602-WJ-2001-01" not in mine
    everywhere = knowledge.search("出生医学证明")
    assert everywhere[0].key == "item:430600-WJ-2001-01"  # the higher level first, one per item


def test_an_article_is_found_by_its_keyword():
    article = _article(
        title="停车收费投诉口径", body="占道停车收费标准由市发改委核定。", keywords="停车费 乱收费"
    )
    answers = knowledge.search("乱收费怎么投诉", region="430602")
    keys = [a.key for a in answers]
    assert f"article:{article.pk}" in keys
    found = answers[keys.index(f"article:{article.pk}")]
    assert found.kind == "article" and found.link == f"/hotline/knowledge/{article.pk}/"
    assert found.summary.startswith("占道停车收费标准") and found.region_name == "全省"


def test_articles_are_matched_after_folding_and_synonyms():
    article = _article(title="生育津贴发放时间", body="生育津贴按月发放。")
    assert f"article:{article.pk}" in {a.key for a in knowledge.search("生育津貼")}
    # 生孩子 → 出生、生育、新生儿 (the portal's synonym table)
    assert f"article:{article.pk}" in {a.key for a in knowledge.search("生孩子有补贴吗")}


def test_articles_of_another_region_or_unpublished_are_not_found():
    region = Region.objects.get(code="430626")
    local = _article(title="平江县停车收费口径", keywords="停车费", region=region)
    hidden = _article(title="停车费草稿口径", keywords="停车费", published=False)
    city = _article(title="岳阳市停车费口径", keywords="停车费", region=Region.objects.get(code="430600"))
    in_district = {a.key for a in knowledge.search("停车费", region="430602")}
    assert f"article:{city.pk}" in in_district
    assert f"article:{local.pk}" not in in_district and f"article:{hidden.pk}" not in in_district
    assert f"article:{local.pk}" in {a.key for a in knowledge.search("停车费", region="430626")}


def test_items_and_articles_merge_by_score():
    article = _article(title="食品经营许可", keywords="开饭店 食品经营许可", body="食品经营许可的办理口径。")
    answers = knowledge.search("食品经营许可", region="430602", limit=5)
    assert len(answers) <= 5
    assert [a.score for a in answers] == sorted((a.score for a in answers), reverse=True)
    assert {answers[0].key, answers[1].key} == {f"article:{article.pk}", "item:430602-SCJG-0103-01"}


def test_blank_and_overlong_queries():
    assert knowledge.search("") == [] and knowledge.search("   ") == []
    with pytest.raises(Invalid) as caught:
        knowledge.search("办" * 101)
    assert caught.value.field == "q"
    with pytest.raises(Invalid) as caught:
        knowledge.search("出生", region="999999")
    assert caught.value.field == "region"


def test_use_resolves_keys_and_counts_article_uses():
    article = _article()
    assert knowledge.use(f"article:{article.pk}").title == article.title
    assert knowledge.use("item:430602-WJ-2001-01").title == "出生医学证明办理"
    assert knowledge.use("item:nope") is None and knowledge.use("article:999999") is None
    assert knowledge.use("nonsense") is None and knowledge.use("") is None
    knowledge.record_use(f"article:{article.pk}")
    knowledge.record_use(f"article:{article.pk}")
    knowledge.record_use("item:430602-WJ-2001-01")
    article.refresh_from_db()
    assert article.uses == 2


def test_save_article_validates_and_names_the_field(operator):
    saved = knowledge.save_article(
        {"title": " 新口径 ", "body": "内容", "keywords": "a  b", "region": "430602"}, operator
    )
    assert saved.title == "新口径" and saved.keywords == "a b" and saved.region_id == "430602"
    assert saved.published and saved.updated_by == operator
    for data, field in [
        ({"title": "", "body": "x"}, "title"),
        ({"title": "t", "body": ""}, "body"),
        ({"title": "t" * 121, "body": "x"}, "title"),
        ({"title": "t", "body": "x", "region": "123"}, "region"),
        ({"title": "t", "body": "x", "item_code": "no-such-item"}, "item_code"),
        ({"title": "t", "body": "x", "published": "maybe"}, "published"),
    ]:
        with pytest.raises(Exception) as caught:
            knowledge.save_article(data, operator, saved)
        assert caught.value.field == field
    saved.refresh_from_db()
    assert saved.title == "新口径"  # nothing half-written


def test_who_may_search_and_edit(operator, handler, citizen):
    admin = User.objects.get(username="admin")
    assert knowledge.may_search(operator) and knowledge.may_search(handler)
    assert not knowledge.may_search(citizen)
    assert knowledge.may_edit(operator) and knowledge.may_edit(admin)
    assert not knowledge.may_edit(handler) and not knowledge.may_edit(citizen)
    assert knowledge.home_region(operator) == "430600" and knowledge.home_region(citizen) == ""


# ------------------------------------------------------------------------------ pages


def test_pages_refuse_anonymous_and_non_staff(client, citizen):
    article = _article()
    for url in (
        "/hotline/knowledge/",
        f"/hotline/knowledge/{article.pk}/",
        "/hotline/knowledge/panel/?q=出生",
    ):
        response = client.get(url)
        assert response.status_code == 302 and "login" in response["Location"], url
    _signed_in(client, citizen)
    for url in (
        "/hotline/knowledge/",
        f"/hotline/knowledge/{article.pk}/",
        "/hotline/knowledge/panel/?q=出生",
        "/hotline/knowledge/new/",
        "/hotline/duplicates/panel/?region=430602&content=x",
    ):
        assert client.get(url).status_code == 404, url


def test_the_panel_lists_answers_with_the_use_button(client, handler):
    _signed_in(client, handler)
    response = client.get("/hotline/knowledge/panel/", {"q": "出生医学证明", "region": "430602"})
    html = response.content.decode()
    assert response.status_code == 200
    assert "出生医学证明办理" in html and "用此答复" in html
    assert 'data-answer-key="item:430602-WJ-2001-01"' in html and "data-answer-summary=" in html
    assert "<html" not in html  # a fragment
    bad = client.get("/hotline/knowledge/panel/", {"q": "办" * 101})
    assert bad.status_code == 400 and "搜索词" in bad.content.decode()


def test_the_search_page_and_the_article_page(client, handler):
    article = _article(title="停车收费投诉口径", keywords="停车费", body="身份证 430602199001011234 的来电人")
    draft = _article(title="草稿", published=False)
    _signed_in(client, handler)
    page = client.get("/hotline/knowledge/", {"q": "停车费"}).content.decode()
    assert "停车收费投诉口径" in page and "新建答复口径" not in page
    shown = client.get(f"/hotline/knowledge/{article.pk}/").content.decode()
    assert "430602199001011234" not in shown  # personal numbers masked
    assert client.get(f"/hotline/knowledge/{draft.pk}/").status_code == 404
    assert client.get(f"/hotline/knowledge/{article.pk}/edit/").status_code == 404
    assert client.get("/hotline/knowledge/99999999999999999999/").status_code == 404


def test_an_operator_writes_and_changes_an_article(client, operator):
    _signed_in(client, operator)
    assert client.get("/hotline/knowledge/new/").status_code == 200
    before = Article.objects.count()
    bad = client.post("/hotline/knowledge/new/", {"title": "", "body": "x"})
    assert bad.status_code == 400 and "标题" in bad.content.decode()
    bad = client.post("/hotline/knowledge/new/", {"title": "t", "body": ""})
    assert bad.status_code == 400 and "“答复口径”必填" in bad.content.decode()
    assert Article.objects.count() == before
    done = client.post(
        "/hotline/knowledge/new/",
        {"title": "燃气报修口径", "body": "请拨打燃气公司热线。", "published": "on"},
    )
    article = Article.objects.get(title="燃气报修口径")
    assert done.status_code == 302 and done["Location"] == f"/hotline/knowledge/{article.pk}/"
    changed = client.post(f"/hotline/knowledge/{article.pk}/edit/", {"title": "燃气报修", "body": "新口径"})
    article.refresh_from_db()
    assert changed.status_code == 302 and article.title == "燃气报修" and not article.published


# ------------------------------------------------------------------------------ API


def test_api_knowledge_needs_hotline_staff(client, citizen, handler):
    assert client.get("/api/v1/hotline/knowledge", {"q": "出生"}).status_code == 401
    _signed_in(client, citizen)
    assert client.get("/api/v1/hotline/knowledge", {"q": "出生"}).status_code == 403
    _signed_in(client, handler)
    response = client.get("/api/v1/hotline/knowledge", {"q": "出生医学证明", "region": "430602"})
    assert response.status_code == 200
    first = response.json()["answers"][0]
    assert first["key"] == "item:430602-WJ-2001-01" and first["kind"] == "item" and first["summary"]
    bad = client.get("/api/v1/hotline/knowledge", {"q": "办" * 101})
    assert bad.status_code == 400 and bad.json()["error"]["field"] == "q"


def test_api_articles_for_operators_and_admins(client, operator, handler):
    body = {"title": "燃气报修口径", "body": "请拨打燃气公司热线。", "keywords": "燃气 漏气"}
    assert (
        client.post("/api/v1/hotline/knowledge/articles", body, content_type="application/json").status_code
        == 401
    )
    _signed_in(client, handler)
    refused = client.post("/api/v1/hotline/knowledge/articles", body, content_type="application/json")
    assert refused.status_code == 403 and not Article.objects.filter(title="燃气报修口径").exists()
    _signed_in(client, operator)
    made = client.post("/api/v1/hotline/knowledge/articles", body, content_type="application/json")
    assert made.status_code == 201
    pk = made.json()["id"]
    changed = client.put(
        f"/api/v1/hotline/knowledge/articles/{pk}",
        json.dumps({**body, "region": "430626", "published": False}),
        content_type="application/json",
    )
    assert (
        changed.status_code == 200
        and changed.json()["region"] == "430626"
        and not changed.json()["published"]
    )
    bad = client.put(
        f"/api/v1/hotline/knowledge/articles/{pk}",
        json.dumps({**body, "region": "000000"}),
        content_type="application/json",
    )
    assert bad.status_code == 400 and bad.json()["error"]["field"] == "region"
    missing = client.put("/api/v1/hotline/knowledge/articles/99999", body, content_type="application/json")
    assert missing.status_code == 404
