"""Search over the demo catalog: colloquial phrasing, short queries, regions and ranking."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db


def names(results: list[dict]) -> list[str]:
    return [r["name"] for r in results]


def test_index_is_populated_from_the_demo_catalog(demo):
    from onething.catalog.models import Revision
    from onething.search.models import SearchDocument

    published = Revision.objects.filter(kind__in=["item", "bundle"], current=True, withdrawn=False).count()
    assert SearchDocument.objects.count() == published > 100


def test_colloquial_birth_finds_the_birth_bundle_first(no_keywords, find):
    results = find("生孩子")
    assert results[0]["kind"] == "bundle"
    assert results[0]["name"] == "新生儿出生一件事"
    assert any("出生医学证明" in n for n in names(results))


@pytest.mark.parametrize("q", ["開飯館", "开饭店", "开餐馆", "我想开个饭店需要办什么执照"])
def test_restaurant_phrasing_finds_catering(no_keywords, find, q):
    results = find(q)
    assert results, q
    assert results[0]["name"] == "开办餐饮店一件事"
    assert "食品经营许可" in names(results)


def test_driving_licence_colloquial(no_keywords, find):
    assert names(find("驾照"))[0] == "机动车驾驶证补领"
    assert names(find("驾照丢了"))[0] == "机动车驾驶证补领"


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ("税", "税务登记信息确认"),
        ("社保", "社会保险单位参保登记"),
        ("户口", "出生登记（户口登记）"),
        ("结婚", "内地居民结婚登记"),
        ("過戶", "不动产转移登记"),
        ("退休金", "基本养老保险待遇申领"),
        ("公积金", "住房公积金单位登记开户"),
    ],
)
def test_short_and_colloquial_queries_return_results(no_keywords, find, q, expected):
    assert expected in names(find(q, limit=50))


@pytest.mark.parametrize(
    ("q", "bundle"),
    [("老人走了", "身后一件事"), ("公司不开了", "企业注销一件事"), ("开幼儿园", "民办幼儿园开办一件事")],
)
def test_life_events_lead_to_their_bundle(no_keywords, find, q, bundle):
    assert names(find(q))[0] == bundle


def test_exact_name_comes_first(find):
    assert names(find("企业设立登记"))[0] == "企业设立登记"
    assert names(find("出生登记"))[0] == "出生登记（户口登记）"
    first = find("食品经营许可")[0]
    assert first["name"] == "食品经营许可" and first["kind"] == "item"


def test_bundle_first_when_it_matches_comparably(find):
    results = find("退休")
    assert results[0] == {**results[0], "kind": "bundle", "name": "退休一件事"}
    scores = [r["score"] for r in results]
    assert scores == sorted(scores, reverse=True)


def test_region_filter_keeps_ancestors_self_and_descendants(find):
    allowed = {"430000", "430600", "430626", "430626101000", "430626200000", None}
    results = find("城乡居民基本医疗保险参保登记", region="430626", limit=100)
    regions = {r["region"] for r in results}
    assert regions <= allowed
    assert {"430600", "430626", "430626101000"} <= regions
    assert "430602" not in {r["region"] for r in find("社保", region="430626", limit=100)}


def test_region_filter_on_a_township_sees_county_city_and_province(find):
    regions = {r["region"] for r in find("社保", region="430602001000", limit=100)}
    assert regions <= {"430000", "430600", "430602", "430602001000", None}
    assert "430602001000" in regions and "430000" in regions


def test_results_carry_department_and_region(find):
    first = find("发票")[0]
    assert first["department"].endswith("税务局")
    assert first["region_name"]


def test_only_published_records_are_found(demo, find):
    from onething.catalog.models import Item

    item = Item.objects.get(pk="430600-GA-0101-01")
    Item.objects.filter(pk=item.pk).update(name="机动车驾驶证补领（草稿改名）")
    assert "机动车驾驶证补领（草稿改名）" not in names(find("草稿改名"))
