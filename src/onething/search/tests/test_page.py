"""The results page: one result per item with other regions folded, the person's region first
(header chooser, session, signed-in default), and suggestions instead of an empty page."""

from __future__ import annotations

import re
from urllib.parse import unquote

import pytest

from onething.search.engine import find
from onething.search.regions import SESSION_KEY, scope

pytestmark = pytest.mark.django_db
SOCIAL_CARD = "社会保障卡申领"  # RS2002, implemented by 岳阳市, 岳阳楼区 and 平江县


def titles(html: str, list_id: str = "results") -> list[str]:
    block = re.search(rf'<ol class="result-list" id="{list_id}"[^>]*>(.*?)</ol>', html, re.S)
    return re.findall(r'class="result-title" href="[^"]+">([^<]+)</a>', block.group(1)) if block else []


def first_region(html: str) -> str:
    return re.search(
        r'class="result-title"[^>]*>[^<]+</a>\s*<p class="meta">[^·]*· ([^<·]+?)[ <·]', html
    ).group(1)


# ------------------------------------------------------------------------------- one per item


def test_each_item_once_the_persons_region_first(demo):
    page = find("社会保障卡", preferred=scope("430602"))
    names = [r["name"] for r in page.results]
    assert names.count(SOCIAL_CARD) == 1
    card = page.results[names.index(SOCIAL_CARD)]
    assert card["region"] == "430602" and card["local"]
    assert [o["region"] for o in card["others"]] == ["430600", "430626"]  # the city above, then the rest
    assert card["other_count"] == 2


def test_without_a_region_the_highest_level_comes_first(demo):
    card = next(r for r in find("社会保障卡").results if r["name"] == SOCIAL_CARD)
    assert card["region"] == "430600" and not card["local"]
    assert {o["region"] for o in card["others"]} == {"430602", "430626"}


def test_a_townships_person_sees_their_county_before_the_city(demo):
    card = next(
        r for r in find("社会保障卡", preferred=scope("430626101000")).results if r["name"] == SOCIAL_CARD
    )
    assert card["region"] == "430626"
    assert [o["region"] for o in card["others"]] == ["430600", "430602"]


def test_the_region_parameter_still_filters(demo):
    page = find("社会保障卡", scope=scope("430626"), preferred=scope("430626"))
    card = next(r for r in page.results if r["name"] == SOCIAL_CARD)
    assert card["region"] == "430626"
    assert [o["region"] for o in card["others"]] == ["430600"]  # 岳阳楼区 is outside 平江县


def test_results_page_folds_other_regions(demo, client):
    html = client.get("/search/", {"q": "社保卡"}).content.decode()
    assert titles(html).count(SOCIAL_CARD) == 1
    assert "其他地区（2）" in html and '<details class="other-regions">' in html
    assert "<script>" not in html and "style=" not in html


def test_implementations_with_different_texts_are_still_one_result(demo):
    """The same basic item with its own keywords in one county (a different text): one result."""
    from onething.catalog.models import Revision
    from onething.catalog.publishing import record_revision

    data = Revision.objects.get(kind="item", code="430626-RS-2002-01", current=True).data
    record_revision("item", {**data, "keywords": ["平江社保卡"]})
    page = find("社会保障卡申领", preferred=scope("430626"))
    cards = [r for r in page.results if r["name"] == SOCIAL_CARD]
    assert len(cards) == 1 and cards[0]["region"] == "430626" and cards[0]["other_count"] == 2


# ------------------------------------------------------------------------------- the region chooser


def test_header_region_chooser_is_remembered_and_used_by_search(demo, client):
    html = client.get("/").content.decode()
    assert 'action="/search/region"' in html and 'name="region"' in html
    assert '<option value="430626">平江县</option>' in html
    response = client.post("/search/region", {"region": "430626", "next": "/search/?q=社保卡"})
    assert response.status_code == 302 and unquote(response.url) == "/search/?q=社保卡"
    assert client.session[SESSION_KEY] == "430626"
    html = client.get("/search/", {"q": "社保卡"}).content.decode()
    assert '<option value="430626" selected>平江县</option>' in html
    assert first_region(html) == "平江县"
    assert "优先显示平江县" in html
    client.post("/search/region", {"region": "", "next": "/"})
    html = client.get("/search/", {"q": "社保卡"}).content.decode()
    assert " selected>" not in html and first_region(html) == "岳阳市"


def test_region_chooser_refuses_bad_input_and_foreign_addresses(demo, client):
    assert client.get("/search/region").status_code == 405
    assert client.post("/search/region", {"region": "abc"}).status_code == 400
    assert client.post("/search/region", {"region": "999999"}).status_code == 400
    assert SESSION_KEY not in client.session
    assert client.post("/search/region", {"region": "430602\x00"}).status_code == 400
    assert SESSION_KEY not in client.session
    for target in ("https://evil.example/", "//evil.example/x", "javascript:alert(1)", "/" + "a" * 3000):
        response = client.post("/search/region", {"region": "430602", "next": target})
        assert response.status_code == 302 and response.url == "/", target


def test_the_header_chooser_returns_to_the_page_it_was_on(demo, client):
    """The header form carries no address of its own (a 404 page must not print the path it
    was asked for): it goes back by the Referer, same site only."""
    assert 'name="next"' not in client.get("/").content.decode()
    back = client.post("/search/region", {"region": "430626"}, HTTP_REFERER="http://testserver/bundles/?x=1")
    assert back.status_code == 302 and back.url == "/bundles/?x=1"
    away = client.post("/search/region", {"region": "430626"}, HTTP_REFERER="https://evil.example/x")
    assert away.url == "/"


def test_a_signed_in_person_defaults_to_their_own_region(demo, client):
    from onething.accounts.models import User

    client.force_login(User.objects.get(username="lisi"))  # ID number 430626…: 平江县
    html = client.get("/search/", {"q": "社保卡"}).content.decode()
    assert '<option value="430626" selected>平江县</option>' in html
    assert first_region(html) == "平江县"
    client.post("/search/region", {"region": "430602"})  # a choice wins over the default
    assert first_region(client.get("/search/", {"q": "社保卡"}).content.decode()) == "岳阳楼区"


# ------------------------------------------------------------------------------- never empty


def test_no_exact_match_says_so_and_offers_the_closest(demo, client):
    q = "我要办个火箭发射证"
    html = client.get("/search/", {"q": q}).content.decode()
    assert f"没有找到与“{q}”完全匹配的结果" in html
    suggested = titles(html, "suggestions")
    assert suggested and all(set(name) & set(q) - set("的我要办个") for name in suggested)
    popular = titles(html, "popular")
    assert popular and all(name.endswith("一件事") for name in popular)
    assert not set(suggested) & set(popular)


def test_even_a_query_of_nothing_meaningful_offers_life_events(demo, client):
    for q in ("！！？", "量子纠缠", "zzzz", "qwerty"):
        html = client.get("/search/", {"q": q}).content.decode()
        assert "完全匹配的结果" in html, q
        assert titles(html, "popular"), q


def test_popular_life_events_of_the_persons_area_come_first(demo):
    from onething.search import suggest

    names = [b["name"] for b in suggest.popular(preferred=scope("430626"))]
    assert len(names) == suggest.POPULAR
    served = [b["local"] for b in suggest.popular(preferred=scope("430626"))]
    assert served == sorted(served, reverse=True) and served[0]
    assert "身后一件事" in [b["name"] for b in suggest.popular(preferred=scope("430626"), limit=8)]


def test_similar_ranks_by_characters_in_the_name(demo):
    from onething.search import suggest

    assert suggest.characters("我要办个火箭发射证") == ["火", "箭", "发", "射", "证"]
    names = [r["name"] for r in suggest.similar("驾驶证火箭")]
    assert names[0] == "机动车驾驶证补领"
    assert len(names) == len(set(names))


# ------------------------------------------------------------------------------- 孩子上学


@pytest.fixture
def enrolment(demo):
    """The demo catalog's enrolment item (岳阳楼区 and 平江县 education bureaus)."""
    from onething.catalog.models import Revision

    return Revision.objects.get(kind="item", code="430602-JY-0201-01", current=True).data


@pytest.mark.parametrize("q", ["孩子上学", "小孩上学", "上小学", "haizishangxue"])
def test_school_enrolment_not_a_kindergarten_licence(enrolment, find, q):
    results = find(q, limit=50)
    assert results and results[0]["name"] == "义务教育阶段新生入学登记", q
    assert not [r["name"] for r in results if "幼儿园" in r["name"]], q


def test_going_to_school_is_not_any_education_item(demo):
    from onething.search.query import parse

    for q in ("孩子上学", "上学"):
        alternatives = {a for c in parse(q).concepts for a in c.alternatives}
        assert {"入学", "义务教育"} <= alternatives and "教育" not in alternatives, q
    names = [r["name"] for r in find("孩子上学").results]
    assert names[0] == "义务教育阶段新生入学登记" and not [n for n in names if "幼儿园" in n]
