"""render_text and parse_text are inverse on random valid trees.

The trees are built here with keys and labels derived from the rules in the
text_parser docstring, independently of the parser's own bookkeeping.
"""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from participation.parsing import Node, ParsedDocument, int_to_chinese, parse_text, render_text

TIANGAN = "甲乙丙丁戊己庚辛壬癸"
# Line starts that can never be a marker, so generated text is never misread.
SAFE_START = "本各应对其在有关经县市区省"
BODY = ("的一是在不了有和人这中大为上个国以要时来用们生到作地于出就分对成会可主发年动同工也能"
        "下过子说产种面而方后多定行学法所民得经十三之进着等部度家电力里如水化高自二理起小物"
        "现实加量都两体制机当使点从业本去把性好应开它合还因由其些然前外天政四日那社义事平形")
CITATIONS = ["第十一条第（一）项", "第三十条", "第二章", "第一千二百六十条", "第十条之一",
             "前款第（二）项", "第五条第二款"]
ENDINGS = "。；："

zh = int_to_chinese


@st.composite
def sentence(draw, end=True, cite_first=True):
    """CJK text, possibly citing provisions at its start or in its middle."""
    if cite_first and draw(st.integers(0, 4)) == 0:
        parts = [draw(st.sampled_from(CITATIONS))]
    else:
        parts = [draw(st.sampled_from(SAFE_START))]
    for _ in range(draw(st.integers(0, 2))):
        parts.append(draw(st.text(st.sampled_from(BODY), min_size=1, max_size=6)))
        if draw(st.booleans()):
            parts.append(draw(st.sampled_from(CITATIONS + ["1.5倍", "，", "、"])))
    if end:
        parts.append(draw(st.sampled_from(ENDINGS)))
    return "".join(parts)


title_text = st.text(st.sampled_from(BODY), min_size=1, max_size=10).map(lambda s: "本" + s)


@st.composite
def subitems(draw, item_key):
    style = draw(st.sampled_from(["num", "tiangan"]))
    nodes = []
    for n in range(1, draw(st.integers(0, 2)) + 1):
        text = draw(st.sampled_from(["1.5倍以下；", "2024年以前；"])) if (
            style == "num" and draw(st.integers(0, 5)) == 0) else draw(sentence())
        label = f"第{n}目" if style == "num" else f"{TIANGAN[n - 1]}目"
        nodes.append(Node("subitem", f"{item_key}.{n}", label, n, "", text, [], None))
    return nodes


@st.composite
def items(draw, paragraph_key):
    nodes = []
    for n in range(1, draw(st.integers(0, 2)) + 1):
        key = f"{paragraph_key}.{n}"
        text = "" if draw(st.integers(0, 9)) == 0 else draw(sentence())
        nodes.append(Node("item", key, f"第（{zh(n)}）项", n, "", text, draw(subitems(key)),
                          None))
    return nodes


@st.composite
def paragraphs(draw, block_key, word, min_size=1):
    nodes = []
    for i in range(1, draw(st.integers(min_size, 3)) + 1):
        key = f"{block_key}.{i}"
        children = draw(items(key))
        # Only an article's first paragraph may be empty, and only as a lead-in to items.
        text = "" if (i == 1 and word == "款" and children and draw(st.booleans())) \
            else draw(sentence())
        nodes.append(Node("paragraph", key, f"第{zh(i)}{word}", None, "", text, children,
                          None))
    return nodes


class Numbering:
    """Articles are numbered through the whole text, with 之一 insertions."""

    def __init__(self):
        self.number, self.suffix = 0, 0

    def next(self, inserted: bool) -> tuple[int, int | None]:
        if inserted and self.number:
            self.suffix += 1
            return self.number, self.suffix
        self.number, self.suffix = self.number + 1, 0
        return self.number, None


@st.composite
def articles(draw, numbering):
    nodes = []
    for _ in range(draw(st.integers(1, 2))):
        number, suffix = numbering.next(draw(st.integers(0, 4)) == 0)
        key = f"art.{number}-{suffix}" if suffix else f"art.{number}"
        label = f"第{zh(number)}条" + (f"之{zh(suffix)}" if suffix else "")
        heading = draw(title_text) if draw(st.integers(0, 6)) == 0 else ""
        nodes.append(Node("article", key, label, number, heading, "",
                          draw(paragraphs(key, "款")), None, suffix))
    return nodes


def heading_node(kind, key, word, number, heading, children):
    return Node(kind, key, f"第{zh(number)}{word}", number, heading, "", children, None)


def heading_text(draw):
    return "" if draw(st.integers(0, 5)) == 0 else draw(title_text)


@st.composite
def chapters(draw, numbering, prefix, first):
    nodes = []
    for number in range(first, first + draw(st.integers(1, 2))):
        key = f"{prefix}ch.{number}"
        if draw(st.booleans()):
            children = [heading_node("section", f"{key}.sec.{s}", "节", s, heading_text(draw),
                                     draw(articles(numbering)))
                        for s in range(1, draw(st.integers(1, 2)) + 1)]
        else:
            children = draw(articles(numbering))
        nodes.append(heading_node("chapter", key, "章", number, heading_text(draw), children))
    return nodes


@st.composite
def parts(draw, numbering):
    nodes = []
    for p in range(1, draw(st.integers(1, 2)) + 1):
        key = f"part.{p}"
        if draw(st.booleans()):
            children, chapter = [], 1
            for s in range(1, draw(st.integers(1, 2)) + 1):
                # Chapter numbers run on across 分编 within a 编.
                inner = draw(chapters(numbering, f"{key}.", chapter))
                chapter += len(inner)
                children.append(heading_node("subpart", f"{key}.subpart.{s}", "分编", s,
                                             heading_text(draw), inner))
        else:
            children = draw(chapters(numbering, f"{key}.", 1))
        nodes.append(heading_node("part", key, "编", p, heading_text(draw), children))
    if draw(st.booleans()):
        nodes.append(Node("part", "part.supp", "附则", None, "附则", "",
                          draw(articles(numbering)), None))
    return nodes


@st.composite
def documents(draw):
    title = draw(st.none() | title_text)
    # A note is free text, but one that opens with 第三十条 would start the body.
    notes = draw(st.lists(sentence(end=False, cite_first=False), max_size=2)) if title else []
    nodes = []
    if draw(st.integers(0, 3)) == 0:
        nodes.append(Node("preamble", "preamble", "序言", None, "", "",
                          draw(paragraphs("preamble", "段")), None))
    numbering = Numbering()
    layout = draw(st.sampled_from(["flat", "chapters", "parts"]))
    if layout == "flat":
        nodes += draw(articles(numbering))
    elif layout == "chapters":
        nodes += draw(chapters(numbering, "", 1))
    else:
        nodes += draw(parts(numbering))
    for a in range(1, draw(st.integers(0, 2)) + 1):
        number = draw(st.none() | st.just(a))
        label = f"附件{zh(number)}" if number else "附件"
        nodes.append(Node("annex", f"annex.{a}", label, number, draw(title_text), "",
                          draw(paragraphs(f"annex.{a}", "段", min_size=0)), None))
    return ParsedDocument(title=title, notes=notes, nodes=nodes)


@settings(max_examples=60, deadline=None)
@given(documents())
def test_render_then_parse_gives_the_same_tree(doc):
    text = render_text(doc)
    parsed = parse_text(text)
    assert parsed.title == doc.title
    assert parsed.notes == doc.notes
    assert parsed.nodes == doc.nodes
    assert parsed.unplaced == []
    assert not parsed.has_errors, parsed.issues
    assert render_text(parsed) == text


# Characters that make up markers, plus whitespace and ordinary text.
MARKER_SOUP = list("第一二三十百千条之章节编分款项目（）()【】附件：:序言目录则甲乙.、1２⑴①#本的。；")
MARKER_SOUP += [" ", "\u3000", "\u2002", "\t", "\n", "\n\n"]


@settings(max_examples=200, deadline=None)
@given(text=st.lists(st.sampled_from(MARKER_SOUP), max_size=80).map("".join))
def test_arbitrary_text_never_fails_nor_loses_text(text, assert_no_text_lost):
    doc = parse_text(text)
    keys = [n.key for n in doc.walk()]
    assert len(keys) == len(set(keys))
    assert_no_text_lost(text, doc)
