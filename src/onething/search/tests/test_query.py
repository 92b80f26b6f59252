"""Query understanding without a database: folding, segmentation, synonyms, parsing."""

from __future__ import annotations

from onething.search import synonyms
from onething.search.normalize import fold
from onething.search.query import parse
from onething.search.segmentation import glossary, grams, index_tokens, phrase_of, words


def test_fold_traditional_full_width_and_case():
    assert fold("開飯館") == "开饭馆"
    assert fold("駕照　ＡＢＣ１２３") == "驾照 abc123"
    assert fold("  社保\x00卡 ") == "社保 卡"


def test_glossary_keeps_official_terms_whole():
    assert "社会保障卡" in words(fold("社会保障卡申领"), search_mode=False)
    assert "食品经营许可" in words(fold("食品经营许可变更"), search_mode=False)
    assert len(glossary()) > 100


def test_index_tokens_have_bigrams_in_order_and_unigrams():
    bigrams, unigrams = grams("驾驶证补领")
    assert bigrams == ["驾驶", "驶证", "证补", "补领"]
    assert unigrams == list("驾驶证补领")
    tokens = index_tokens(["机动车驾驶证补领"]).split()
    assert "驾驶 驶证" in " ".join(tokens)
    assert "税" in index_tokens(["清税证明开具"]).split()


def test_phrase_of_long_terms_is_a_bigram_chain():
    assert phrase_of("税") == ["税"]
    assert phrase_of("社保") == ["社保"]
    assert phrase_of("驾驶证") == ["驾驶", "驶证"]
    assert phrase_of("abc") == ["abc"]


def test_synonym_table_is_data_with_enough_entries():
    table = synonyms.table()
    assert len(table) >= 80
    assert "驾驶证" in table["驾照"]
    assert "餐饮" in table["饭馆"]
    assert "出生" in table["生孩子"]


def test_longest_colloquial_phrase_wins():
    found = synonyms.find(fold("社保卡丢了"))
    assert [m.phrase for m in found] == ["社保卡", "丢了"]


def test_parse_expands_colloquial_and_drops_filler():
    query = parse("我想开个饭店需要办什么执照")
    texts = [c.text for c in query.concepts]
    assert "饭店" in texts and "执照" in texts
    assert not {"我", "想", "什么", "需要"} & set(texts)
    assert any("餐饮" in c.alternatives for c in query.concepts)


def test_parse_traditional_colloquial():
    query = parse("開飯館")
    assert any("餐饮" in c.alternatives for c in query.concepts)


def test_parse_keeps_single_character_queries():
    assert [c.text for c in parse("税").concepts] == ["税"]
    assert not parse("！！？")
