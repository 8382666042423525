"""The one citation writer (participation.citations.write_citation): its rule on a table
of cases and on random articles, and parse_citation(write_citation(key)) == key over the
provisions of real parsed texts."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from participation.citations import Cited, cited_keys, document_nodes, parse_citation, write_citation
from participation.parsing import int_to_chinese, parse_text
from tests import resources

FIXTURES = Path(__file__).parent / "fixtures"

# A one-paragraph article (2), a multi-paragraph one (3), an inserted one (10-1), a
# preamble, an annex and headings: what a stored draft hands the writer.
NODES = {
    "preamble": Cited("preamble", "序言"),
    "preamble.2": Cited("paragraph", "第二段"),
    "ch.1": Cited("chapter", "第一章"),
    "ch.1.sec.2": Cited("section", "第二节"),
    "part.2": Cited("part", "第二编"),
    "part.2.subpart.1": Cited("subpart", "第一分编"),
    "part.2.ch.4": Cited("chapter", "第四章"),
    "ch.supp": Cited("chapter", "附则"),
    "art.2": Cited("article", "第二条", paragraphs=1),
    "art.2.1": Cited("paragraph", "第一款"),
    "art.2.1.1": Cited("item", "第（一）项"),
    "art.2.1.1.1": Cited("subitem", "第1目"),
    "art.2.1.1.2": Cited("subitem", "乙目"),
    "art.3": Cited("article", "第三条", paragraphs=2),
    "art.3.1": Cited("paragraph", "第一款"),
    "art.3.2": Cited("paragraph", "第二款"),
    "art.3.2.3": Cited("item", "第（三）项"),
    "art.3.2.3.1": Cited("subitem", "第1目"),
    "art.10-1": Cited("article", "第十条之一", paragraphs=1),
    "art.10-1.1": Cited("paragraph", "第一款"),
    "art.10-1.1.2": Cited("item", "第（二）项"),
    "annex.1": Cited("annex", "附件一"),
    "annex.1.1": Cited("paragraph", "第一段"),
    "annex.1.1.2": Cited("item", "第（二）项"),
}

TABLE = [
    ("art.2", "第二条"),
    ("art.2.1", "第二条第一款"),                    # the only paragraph, cited itself
    ("art.2.1.1", "第二条第（一）项"),              # one paragraph: no 款
    ("art.2.1.1.1", "第二条第（一）项第1目"),
    ("art.2.1.1.2", "第二条第（一）项乙目"),
    ("art.3.1", "第三条第一款"),
    ("art.3.2.3", "第三条第二款第（三）项"),        # several paragraphs: 款 kept
    ("art.3.2.3.1", "第三条第二款第（三）项第1目"),
    ("art.10-1", "第十条之一"),
    ("art.10-1.1.2", "第十条之一第（二）项"),
    ("preamble", "序言"),
    ("preamble.2", "序言第二段"),
    ("annex.1", "附件一"),
    ("annex.1.1", "附件一第一段"),
    ("annex.1.1.2", "附件一第一段第（二）项"),       # 段 is never left out
    ("ch.1", "第一章"),
    ("ch.1.sec.2", "第一章第二节"),
    ("part.2.subpart.1", "第二编第一分编"),
    ("part.2.ch.4", "第二编第四章"),
    ("ch.supp", "附则"),
    ("art.99", "art.99"),                           # unknown: cites as itself
    ("", ""), (None, ""),                           # the whole draft: the caller words it
]


@pytest.mark.parametrize("key, citation", TABLE)
def test_the_writer_on_every_kind_of_clause(key, citation):
    assert write_citation(key, NODES) == citation


@pytest.mark.parametrize("key, citation", [(k, c) for k, c in TABLE if k and k != "art.99" and k != "ch.supp"])
def test_what_it_writes_is_read_back_without_the_text(key, citation):
    # Without the text an item cited without 款 is taken to be in paragraph 1 — the very
    # case where the writer leaves 款 out.
    assert parse_citation(citation) == key


def test_cited_keys_are_the_key_and_its_ancestors():
    assert cited_keys("art.12.2.3") == ["art", "art.12", "art.12.2", "art.12.2.3"]
    assert cited_keys("part.2.ch.4") == ["part", "part.2", "part.2.ch", "part.2.ch.4"]


@given(paragraphs=st.integers(1, 5), data=st.data())
def test_kuan_is_written_exactly_when_the_article_has_several_paragraphs(paragraphs, data):
    article = data.draw(st.integers(1, 1300))
    paragraph = data.draw(st.integers(1, paragraphs))
    item = data.draw(st.integers(1, 30))
    zh = int_to_chinese
    base = f"art.{article}"
    nodes = {base: Cited("article", f"第{zh(article)}条", paragraphs)}
    nodes.update({f"{base}.{p}": Cited("paragraph", f"第{zh(p)}款") for p in range(1, paragraphs + 1)})
    key = f"{base}.{paragraph}.{item}"
    nodes[key] = Cited("item", f"第（{zh(item)}）项")
    citation = write_citation(key, nodes)
    if paragraphs == 1:
        assert citation == f"第{zh(article)}条第（{zh(item)}）项"
    else:
        assert citation == f"第{zh(article)}条第{zh(paragraph)}款第（{zh(item)}）项"
    # The paragraph cited itself is always named.
    assert write_citation(f"{base}.{paragraph}", nodes) == f"第{zh(article)}条第{zh(paragraph)}款"


def _round_trip_failures(doc):
    nodes = document_nodes(doc)
    return [(node.key, write_citation(node.key, nodes), parse_citation(write_citation(node.key, nodes), doc))
            for node in doc.walk()
            # A repeated number (art.5~2) is an error the parser reports; it has no citation.
            if "~" not in node.key
            and parse_citation(write_citation(node.key, nodes), doc) != node.key]


@pytest.mark.parametrize("name", ["hierarchy.md", "provisions.txt", "errors.txt"])
def test_parse_reads_back_what_write_wrote_for_every_provision_of_the_fixtures(name):
    doc = parse_text((FIXTURES / name).read_text(encoding="utf-8"))
    assert len(list(doc.walk())) > 10
    assert _round_trip_failures(doc) == []


def test_parse_reads_back_what_write_wrote_for_every_provision_of_the_real_regulations():
    files = sorted(path for path in resources.regulations_dir().glob("*.md") if path.name != "INDEX.md")
    assert len(files) == 12
    for path in files:
        doc = parse_text(path.read_text(encoding="utf-8"))
        assert _round_trip_failures(doc) == [], path.name


WITH_ANNEX = """# 某法
序言
第一段。
第二段：
（一）甲；
（二）乙。
第一条 本法。
第二条 丙：
（一）丁：
甲、子；
乙、丑。
附件一 清单
本清单包括：
（一）第一项；
（二）第二项。
附件二 另一清单
另一段。
"""


@pytest.mark.parametrize("text, key", [
    ("序言第二段", "preamble.2"), ("序言第二段第（二）项", "preamble.2.2"), ("附件一第一段第（二）项", "annex.1.1.2"),
    ("附件二第一段", "annex.2.1"), ("附件二第二段", None), ("附件三", None), ("序言第（一）项", None),
    ("第二条第（一）项乙目", "art.2.1.1.2"), ("第二条第（一）项第2目", "art.2.1.1.2"),
])
def test_parse_reads_preamble_and_annex_paragraphs_and_tiangan_sub_items(text, key):
    assert parse_citation(text, parse_text(WITH_ANNEX)) == key
