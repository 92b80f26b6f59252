"""Pinyin typed without switching the input method: read as the Chinese words the index knows."""

from __future__ import annotations

from collections import Counter

import pytest

from onething.search.pinyin import Lexicon, convert, read, vocabulary


@pytest.fixture(scope="module")
def lex() -> Lexicon:
    names = ["社会保障卡申领", "社会保障卡注销", "机动车驾驶证补领", "食品经营许可"]
    return Lexicon.build(vocabulary(names, ["社保 生育"]))


@pytest.mark.parametrize("typed", ["shebaoka", "she bao ka", "shebao ka", "sbk", "s b k"])
def test_full_pinyin_with_or_without_spaces_and_initials(lex, typed):
    assert read(typed, lex) == "社保卡"


def test_long_unspaced_pinyin_is_cut_into_known_words(lex):
    assert read("shehuibaozhangkashenling", lex) == "社会保障卡申领"
    assert read("jiashizheng", lex) == "驾驶证"
    assert read("kaifandian", lex) == "开饭店"  # a colloquial phrase of the synonym table


def test_spaces_typed_fall_between_syllables():
    lex = Lexicon.build(Counter({"县": 3, "西": 1, "安": 1}))
    assert read("xian", lex) == "县"
    assert read("xi an", lex) == "西安"


def test_fewer_longer_words_beat_single_characters():
    lex = Lexicon.build(Counter({"社": 9, "保": 9, "卡": 9, "社保卡": 1}))
    assert read("shebaoka", lex) == "社保卡"


def test_english_codes_and_unknown_letters_stay_as_typed(lex):
    for folded in ("pdf", "hello", "x", "430600-ga-0101-01", "abc123", "qqq"):
        assert convert(folded, lex) is None, folded


def test_pinyin_next_to_chinese_and_filler(lex):
    assert convert("社保ka", lex) == "社保卡"
    assert convert("wo xiang ban shebaoka", lex) == "我想办社保卡"


@pytest.mark.django_db
@pytest.mark.parametrize("typed", ["shebaoka", "she bao ka", "SheBaoKa", "ｓｈｅｂａｏｋａ", "sbk"])
def test_pinyin_finds_the_same_items_as_the_chinese_query(demo, find, typed):
    chinese = find("社保卡", limit=50)
    assert chinese and "社会保障卡申领" in [r["name"] for r in chinese]
    assert [r["code"] for r in find(typed, limit=50)] == [r["code"] for r in chinese]


@pytest.mark.django_db
def test_pinyin_of_colloquial_phrases(demo, find):
    assert [r["code"] for r in find("kaifandian")] == [r["code"] for r in find("开饭店")]
    assert find("jiazhao")[0]["name"] == "机动车驾驶证补领"  # 驾照 → 驾驶证


@pytest.mark.django_db
def test_the_vocabulary_follows_publication(demo, find):
    from onething.catalog.models import Revision
    from onething.catalog.publishing import record_revision

    assert not find("motuoche")
    data = Revision.objects.get(kind="item", code="430600-GA-0101-01", current=True).data
    record_revision(
        "item", {**data, "code": "430626-GA-0101-99", "region": "430626", "name": "摩托车驾驶证审验"}
    )
    assert find("motuoche")[0]["code"] == "430626-GA-0101-99"


@pytest.mark.django_db
def test_api_reads_pinyin(demo, api_client):
    results = api_client.get("/api/v1/catalog/search", {"q": "shebaoka"}).json()["results"]
    assert results and results[0]["name"] == "社会保障卡申领"


@pytest.mark.django_db
def test_chinese_queries_never_build_the_lexicon(demo, find, monkeypatch):
    from onething.search import pinyin

    def refuse():
        raise AssertionError("a Chinese query built the pinyin lexicon")

    monkeypatch.setattr(pinyin, "lexicon", refuse)
    assert find("社保卡") and find("出生登记 2024")
