"""Chinese analysis: folding, jieba words with ordinal positions, bigrams, the user
dictionary, and jieba's cache in the instance folder."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from whoosh import index as whoosh_index
from whoosh.fields import ID, TEXT, Schema
from whoosh.query import Phrase, Term

from search import analysis
from search.analysis import fold, gram_tokens, query_grams, query_words, word_tokens
from search.backend.whoosh.schema import GramTokenizer, WordTokenizer

PROJECT_ROOT = Path(__file__).resolve().parents[2]


def test_fold_keeps_length_and_folds_width_and_case():
    text = "ＡＢＣ１２３　Ｘｙ停车"
    folded = fold(text)
    assert len(folded) == len(text)
    assert folded == "abc123 xy停车"
    # A character whose folding would be longer (ß → ss in NFKC casefold) stays one character.
    assert fold("Straße①") == "straße1"


def _words(text, **kwargs):
    return [(word, position) for word, position, _start, _end in word_tokens(text, **kwargs)]


def test_words_have_ordinal_positions_and_search_mode_subwords_share_them():
    tokens = _words("关于小区停车位的归属")
    positions = {}
    for word, position in tokens:
        positions.setdefault(word, position)
    # Ordinal positions: 关于 0, 小区 1, 停车位 2 …, not character offsets.
    assert positions["关于"] == 0
    assert positions["小区"] == 1
    assert positions["停车位"] == 2
    # Search-mode sub-words at the position of the word that contains them.
    assert positions["停车"] == 2 and positions["车位"] == 2
    assert positions["归属"] == positions["停车位"] + 2  # 的 in between


def test_query_words_leave_out_subwords():
    assert query_words("停车位") == ["停车位"]
    assert "车位" not in query_words("停车位")


def test_offsets_point_into_the_original_text():
    text = "ＡＢＣ停车位，１２３"
    for word, _position, start, end in word_tokens(text):
        assert fold(text[start:end]) == word


def test_user_dictionary_keeps_legislative_terms_whole():
    for term in ("基层立法联系点", "物业服务企业", "人大代表", "专项维修资金"):
        words = [word for word, _p in _words(f"关于{term}的规定")]
        assert term in words, (term, words)


def test_latin_and_digits_are_case_folded_and_single_digits_kept():
    words = [word for word, _p in _words("iPhone和ABC在2024年拨打12345，5号楼")]
    assert "iphone" in words and "abc" in words
    assert "2024" in words and "12345" in words
    assert "5" in words


def test_punctuation_and_spaces_are_not_words():
    words = [word for word, _p in _words("噪声，扰民！ ...  —— ")]
    assert words == ["噪声", "扰民"]


def test_bigrams_cover_every_neighbouring_pair_ignoring_spaces_and_punctuation():
    grams = [(gram, position) for gram, position, _s, _e in gram_tokens("出租车位，AB c")]
    assert grams == [("出租", 0), ("租车", 1), ("车位", 2), ("位a", 3), ("ab", 4), ("bc", 5), ("c", 6)]
    assert query_grams("车位") == ["车位"]
    assert query_grams("出租车 位") == ["出租", "租车", "车位"]
    assert query_grams("车") == ["车"]
    assert query_grams("，。") == []


def test_parts_never_make_a_phrase_across_them():
    text = analysis.PART_SEPARATOR.join(["停车", "位置"])
    grams = [gram for gram, *_ in gram_tokens(text)]
    assert "车位" not in grams


def test_phrase_queries_match_over_ordinal_positions(tmp_path):
    schema = Schema(id=ID(stored=True), words=TEXT(analyzer=WordTokenizer(), phrase=True),
                    grams=TEXT(analyzer=GramTokenizer(), phrase=True))
    ix = whoosh_index.create_in(str(tmp_path), schema)
    with ix.writer() as writer:
        text = "建议明确小区车位归属问题"
        writer.add_document(id="1", words=text, grams=text)
        text = "车位在小区外"
        writer.add_document(id="2", words=text, grams=text)
    with ix.searcher() as searcher:
        found = {hit["id"] for hit in searcher.search(Phrase("words", ["小区", "车位"]))}
        assert found == {"1"}
        found = {hit["id"] for hit in searcher.search(Phrase("grams", query_grams("区车位归")))}
        assert found == {"1"}
        found = {hit["id"] for hit in searcher.search(Term("words", "车位"))}
        assert found == {"1", "2"}


def test_jieba_cache_lives_in_the_instance_folder_and_loads_once(tmp_path):
    instance = tmp_path / "instance"
    script = f"""
import json, os, tempfile, time
from search import analysis
analysis.configure({str(instance)!r})
start = time.perf_counter()
first = analysis.warm()
second = analysis.warm()
print(json.dumps({{"same": first is second, "files": sorted(os.listdir({str(instance)!r}))}}))
"""
    result = subprocess.run([sys.executable, "-c", script], cwd=PROJECT_ROOT, capture_output=True, text=True,
                            timeout=120, env={**os.environ, "TMPDIR": str(tmp_path / "tmp")})
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert report["same"] is True
    assert analysis.CACHE_FILE_NAME in report["files"]
    assert not (tmp_path / "tmp").exists() or not any((tmp_path / "tmp").iterdir())


def test_fingerprint_changes_with_the_user_dictionary(monkeypatch, tmp_path):
    before = analysis.fingerprint()
    other = tmp_path / "terms.txt"
    other.write_text(analysis.USER_DICTIONARY.read_text(encoding="utf-8") + "新的术语\n", encoding="utf-8")
    monkeypatch.setattr(analysis, "USER_DICTIONARY", other)
    assert analysis.fingerprint() != before
