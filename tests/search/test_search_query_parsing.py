"""The query language: anything typed is read as words, phrases, exclusions and OR,
never as Whoosh syntax."""
from __future__ import annotations

import pytest

from search.backend.whoosh.queries import text_query
from search.query import MAX_INPUT_CHARS, MAX_TERM_CHARS, MAX_TERMS, QueryTerm, parse_query


@pytest.fixture(autouse=True)
def _context(app):
    with app.test_request_context():
        yield


def test_words_phrases_exclusions_and_or():
    parsed = parse_query('车位  "物业服务企业" -收费 噪声 OR 扰民')
    assert parsed.groups == [
        [QueryTerm("车位")],
        [QueryTerm("物业服务企业", phrase=True)],
        [QueryTerm("噪声"), QueryTerm("扰民")],
    ]
    assert parsed.excluded == [QueryTerm("收费", negated=True)]
    assert parse_query("车位 AND 噪声 NOT 收费").excluded == [QueryTerm("收费", negated=True)]


def test_chinese_quotes_and_unbalanced_quotes():
    assert parse_query("“停车位”").groups == [[QueryTerm("停车位", phrase=True)]]
    assert parse_query("「停车」").groups == [[QueryTerm("停车", phrase=True)]]
    assert parse_query('"停车 位').groups == [[QueryTerm("停车 位", phrase=True)]]
    assert parse_query('车位"').groups == [[QueryTerm("车位")]]


@pytest.mark.parametrize("text", ["*", "?", "OR", "AND", "NOT", "&&", "||", "+", "-", '"', "()", "[]", "{}", ":", "~", "^", "\\", "，。！",
                                  " ", "", "\x00", "OR OR", "- -"])
def test_operators_alone_are_not_searches(text):
    parsed = parse_query(text)
    assert parsed.is_empty
    assert text_query(parsed) is None


def test_field_syntax_wildcards_and_brackets_are_plain_text():
    parsed = parse_query("body:车位 停车* (噪声) contact:138")
    assert [group[0].text for group in parsed.groups] == ["body:车位", "停车*", "(噪声)", "contact:138"]
    # No Whoosh wildcard is built, and only the two text fields are ever searched.
    query = text_query(parsed)
    assert "Wildcard" not in repr(query)
    assert {term[0] for term in query.iter_all_terms()} <= {"words", "grams"}


def test_exclusion_only():
    parsed = parse_query("-车位")
    assert parsed.only_exclusions


def test_long_input_is_cut_with_notices():
    parsed = parse_query("车" * 10_000)
    assert parsed.notices and len(parsed.groups) == 1
    assert len(parsed.groups[0][0].text) == MAX_TERM_CHARS
    many = parse_query(" ".join(f"词{i}" for i in range(50)))
    assert len(many.groups) == MAX_TERMS and many.notices
    assert len(parse_query("a " * MAX_INPUT_CHARS).notices) >= 1


def test_emoji_and_other_planes_are_text():
    parsed = parse_query("😀车位 𠀀")
    assert [group[0].text for group in parsed.groups] == ["😀车位", "𠀀"]
    assert text_query(parsed) is not None


def test_highlight_needles_include_words_of_unquoted_terms():
    needles = parse_query("小区车位 \"物业 服务\"").highlight_needles()
    assert "小区车位" in needles and "小区" in needles and "车位" in needles
    assert "物业 服务" in needles
