"""Structure rules of the text parser, on invented fixture texts."""

from __future__ import annotations

import pytest

from participation.parsing import Node, int_to_chinese, parse_markdown, parse_text


def keys(doc, kind=None):
    return [n.key for n in doc.walk() if kind is None or n.kind == kind]


def codes(doc, severity=None):
    return [i.code for i in doc.issues if severity is None or i.severity == severity]


def strip_markdown(text: str) -> str:
    return "\n".join(line.lstrip("#").lstrip() for line in text.splitlines())


# -- 编 / 分编 / 章 / 节, 目录, 序言, 附则 ------------------------------------------------

def test_hierarchy_fixture(fixture_text):
    doc = parse_text(fixture_text("hierarchy.md"))
    assert doc.title == "某市城市治理示范条例（试拟稿）"
    assert doc.notes == ["（2024年5月10日某市第一届人民代表大会常务委员会第三次会议通过）",
                         "2024年6月1日 施行"]
    assert [n.key for n in doc.nodes] == ["preamble", "part.1", "part.2", "part.supp"]
    assert keys(doc, "chapter") == ["part.1.ch.1", "part.2.ch.1", "part.2.ch.2"]
    assert keys(doc, "subpart") == ["part.2.subpart.1", "part.2.subpart.2"]
    assert keys(doc, "section") == ["part.2.ch.1.sec.1", "part.2.ch.1.sec.2"]
    assert keys(doc, "article") == [f"art.{n}" for n in range(1, 7)]
    assert codes(doc) == ["toc_skipped"]
    assert doc.counts() == {"preamble": 1, "paragraph": 8, "part": 3, "chapter": 3,
                            "article": 6, "subpart": 2, "section": 2}


def test_hierarchy_nesting(fixture_text):
    doc = parse_text(fixture_text("hierarchy.md"))
    part2 = doc.find("part.2")
    assert (part2.label, part2.heading, part2.number) == ("第二编", "分则", 2)
    subpart = part2.children[0]
    chapter = subpart.children[0]
    assert (chapter.key, chapter.label, chapter.heading) == ("part.2.ch.1", "第一章", "街巷管理")
    section = chapter.children[1]
    assert section.label == "第二节" and section.heading == "路灯"
    assert [c.key for c in section.children] == ["art.4"]
    supp = doc.find("part.supp")
    assert (supp.kind, supp.label, supp.heading, supp.number) == ("part", "附则", "附则", None)
    assert doc.find("art.6") in supp.children
    assert doc.find("part.1").heading == "通则"  # U+3000 between number and title


def test_preamble(fixture_text):
    doc = parse_text(fixture_text("hierarchy.md"))
    preamble = doc.nodes[0]
    assert (preamble.kind, preamble.label, preamble.number) == ("preamble", "序言", None)
    assert [(c.key, c.label) for c in preamble.children] == [
        ("preamble.1", "第一段"), ("preamble.2", "第二段")]
    assert preamble.children[0].text.startswith("本市历来重视")


def test_toc_is_skipped_and_reported(fixture_text):
    text = fixture_text("hierarchy.md")
    doc = parse_text(text)
    toc = [i for i in doc.issues if i.code == "toc_skipped"]
    assert len(toc) == 1 and toc[0].severity == "warning" and "11个条目" in toc[0].message
    # Without the TOC the tree is the same.
    start, end = text.index("目　　录"), text.index("序　言")
    assert parse_text(text[:start] + text[end:]).nodes == doc.nodes


def test_toc_entry_without_heading_is_reported():
    doc = parse_text("# 某办法\n\n目录\n\n第一章 总则\n\n第二章 罚则\n\n"
                     "第一章 总则\n\n第一条 为了管理，制定本办法。\n")
    assert [i.message for i in doc.issues if i.code == "toc_mismatch"] == [
        "目录条目“第二章罚则”在正文中没有对应的标题"]
    assert keys(doc) == ["ch.1", "art.1", "art.1.1"]


def test_markdown_marks_are_only_hints(fixture_text):
    text = fixture_text("hierarchy.md")
    with_marks, without = parse_markdown(text), parse_text(strip_markdown(text))
    assert (with_marks.title, with_marks.notes, with_marks.nodes) == (
        without.title, without.notes, without.nodes)
    # Wrong levels change nothing either.
    shuffled = text.replace("## 第一编", "#### 第一编").replace("##### 第一节", "# 第一节")
    assert parse_text(shuffled).nodes == with_marks.nodes


def test_chapters_and_sections_without_parts():
    doc = parse_text("第一章 总则\n第一条 甲。\n第二章 管理\n第一节 登记\n第二条 乙。\n"
                     "第二节 检验\n第三条 丙。\n第三章 附则\n第四条 丁。\n")
    assert keys(doc, "chapter") == ["ch.1", "ch.2", "ch.3"]
    assert keys(doc, "section") == ["ch.2.sec.1", "ch.2.sec.2"]
    assert doc.title is None and not doc.issues


def test_unnumbered_supplementary_chapter_without_parts():
    doc = parse_text("第一章 总则\n第一条 甲。\n附　则\n第二条 乙。\n")
    supp = doc.nodes[1]
    assert (supp.kind, supp.key, supp.label) == ("chapter", "ch.supp", "附则")


def test_heading_title_on_next_line():
    doc = parse_text("第一章\n总则\n第一条 为了管理，制定本办法。\n")
    assert doc.nodes[0].heading == "总则" and not doc.issues


def test_heading_glued_to_number_but_not_a_citation():
    doc = parse_text("第一章总则\n第一条 甲。\n第二章规定的情形，适用本条。\n")
    assert doc.nodes[0].heading == "总则"
    assert doc.find("art.1.2").text == "第二章规定的情形，适用本条。"


# -- whitespace --------------------------------------------------------------------------

WHITESPACE = {"space": " ", "two spaces": "  ", "en space": "\u2002\u2002",
              "ideographic": "\u3000", "tab": "\t", "nbsp": "\u00a0"}


@pytest.mark.parametrize("ws", WHITESPACE.values(), ids=WHITESPACE.keys())
def test_any_whitespace_in_headings_and_articles(ws):
    text = (f"第一编{ws}总{ws}则\n第一分编{ws}通{ws}{ws}则\n第一章{ws}总{ws}则\n"
            f"第一节{ws}监{ws}{ws}护\n{ws}第一条{ws}为了{ws}规范。{ws}\n"
            f"第一条之一{ws}补充。\n{ws}（一）甲项；\n")
    doc = parse_text(text)
    assert [(n.label, n.heading) for n in doc.walk() if n.heading] == [
        ("第一编", "总则"), ("第一分编", "通则"), ("第一章", "总则"), ("第一节", "监护")]
    assert doc.find("art.1.1").text == f"为了{ws}规范。"  # inner text is kept as is
    assert doc.find("art.1-1.1.1").text == "甲项；"
    assert not doc.issues


# -- articles ----------------------------------------------------------------------------

def test_inserted_articles_and_items(fixture_text):
    doc = parse_text(fixture_text("provisions.txt"))
    assert keys(doc, "article") == ["art.1", "art.2", "art.3", "art.3-1", "art.3-2", "art.4"]
    inserted = doc.find("art.3-1")
    assert (inserted.label, inserted.number, inserted.suffix) == ("第三条之一", 3, 1)
    assert doc.find("art.3-2").label == "第三条之二"
    assert not doc.has_errors


def test_bracketed_article_title(fixture_text):
    doc = parse_text(fixture_text("provisions.txt"))
    first = doc.find("art.1")
    assert first.heading == "立法目的" and first.text == ""
    assert first.children[0].text.startswith("为了规范养犬行为")


def test_items_and_subitems(fixture_text):
    doc = parse_text(fixture_text("provisions.txt"))
    art2 = doc.find("art.2")
    assert [p.key for p in art2.children] == ["art.2.1", "art.2.2"]
    lead_in = art2.children[0]
    assert lead_in.text == "养犬人应当遵守下列规定："
    assert [(i.key, i.label, i.text) for i in lead_in.children] == [
        ("art.2.1.1", "第（一）项", "携犬出户时，为犬只佩戴犬牌并束犬链；"),
        ("art.2.1.2", "第（二）项", "携犬乘坐电梯的，应当避开高峰时段；"),
        ("art.2.1.3", "第（三）项", "不得携犬进入下列场所："),
    ]
    subitems = lead_in.children[2].children
    assert [(s.key, s.label, s.text) for s in subitems] == [
        ("art.2.1.3.1", "第1目", "学校、幼儿园；"),
        ("art.2.1.3.2", "第2目", "医院的诊疗区域；"),
        ("art.2.1.3.3", "第3目", "室内公共场所。"),
    ]


def test_citations_are_text(fixture_text):
    doc = parse_text(fixture_text("provisions.txt"))
    # Mid-sentence: a paragraph after the items, not a new article or item.
    assert doc.find("art.2.2").text == "违反本条例第十一条第（一）项的，由公安机关责令改正。"
    # At the start of a line: no whitespace after 第三十条, so it is a paragraph.
    assert doc.find("art.3.2").text == "第三十条规定的情形，不适用本条。"
    assert doc.find("art.30") is None


def test_article_without_space_is_text_but_warned():
    doc = parse_text("第一条 甲。\n第二条乙。\n")
    assert keys(doc, "article") == ["art.1"]
    assert doc.find("art.1.2").text == "第二条乙。"
    assert codes(doc) == ["article_no_space"]


def test_article_one_thousand_two_hundred_sixty():
    body = "".join(f"第{int_to_chinese(n)}条 第{n}条的内容。\n" for n in range(1, 1260))
    doc = parse_text(body + "第一千二百六十条\u3000本法自2021年1月1日起施行。\n")
    last = doc.find("art.1260")
    assert (last.label, last.number) == ("第一千二百六十条", 1260)
    assert last.children[0].text == "本法自2021年1月1日起施行。"
    assert len(doc.articles) == 1260 and not doc.issues


def test_arabic_article_numbers_get_chinese_labels():
    doc = parse_text("第1条 甲。\n第2条 乙。\n")
    assert [a.label for a in doc.articles] == ["第一条", "第二条"]


def test_every_article_has_a_paragraph():
    doc = parse_text("第一条\n（一）甲；\n（二）乙。\n第二条\n丙。\n")
    assert [(p.key, p.text) for p in doc.find("art.1").children] == [("art.1.1", "")]
    assert doc.find("art.1.1.2").text == "乙。"
    assert doc.find("art.2.1").text == "丙。"
    assert not doc.issues


def test_item_continuation_line():
    doc = parse_text("第一条 下列机构：\n（一）甲；\n（二）乙；\n丙；\n（三）丁。\n")
    assert doc.find("art.1.1.2").text == "乙；\n丙；"
    assert [c.key for c in doc.find("art.1").children] == ["art.1.1"]
    assert codes(doc) == ["item_continuation"]


def test_items_of_a_second_paragraph():
    doc = parse_text("第一条 甲：\n（一）子；\n（二）丑。\n乙：\n（一）寅；\n（二）卯。\n")
    assert keys(doc, "item") == ["art.1.1.1", "art.1.1.2", "art.1.2.1", "art.1.2.2"]
    assert not doc.issues


def test_subitem_outside_item_is_kept_as_text():
    doc = parse_text("第一条 有下列情形之一的：\n1.甲；\n2.乙。\n")
    assert [p.text for p in doc.find("art.1").children] == [
        "有下列情形之一的：", "1.甲；", "2.乙。"]
    assert codes(doc) == ["subitem_without_item", "subitem_without_item"]


# -- annexes -----------------------------------------------------------------------------

def test_annexes(fixture_text):
    doc = parse_text(fixture_text("provisions.txt"))
    first, second = doc.nodes[-2:]
    assert (first.kind, first.key, first.label, first.heading) == (
        "annex", "annex.1", "附件", "犬只分类目录")
    assert (second.key, second.label, second.number, second.heading) == (
        "annex.2", "附件二", 2, "某市重点管理区范围")
    assert [c.key for c in second.children] == ["annex.2.1"]
    lead_in = first.children[0]
    assert [i.key for i in lead_in.children] == ["annex.1.1.1", "annex.1.1.2"]
    assert [(s.key, s.label, s.text) for s in lead_in.children[0].children] == [
        ("annex.1.1.1.1", "甲目", "藏獒；"), ("annex.1.1.1.2", "乙目", "比特犬。")]
    # Nothing after the last article became part of it.
    assert [c.key for c in doc.find("art.4").children] == ["art.4.1"]


def test_annex_content_is_not_numbered_as_articles():
    doc = parse_text("第一条 甲。\n附：\n细则\n第一条 附件中的条文。\n")
    assert keys(doc, "article") == ["art.1"]
    assert doc.find("annex.1").heading == "细则"
    assert doc.find("annex.1.1").text == "第一条 附件中的条文。"
    assert not doc.issues


def test_annex_marker_before_any_article_is_a_note():
    doc = parse_text("附件1\n# 某条例\n第一条 甲。\n")
    assert doc.title == "某条例" and doc.notes == ["附件1"]


# -- validation --------------------------------------------------------------------------

def test_validation_issues(fixture_text):
    doc = parse_text(fixture_text("errors.txt"))
    found = [(i.severity, i.code, i.message) for i in doc.issues]
    assert found == [
        ("error", "unplaced_text", "第5行的文字“这一行放错了位置，没有条文编号。”不属于任何条文"),
        ("error", "article_gap", "第二条之后应为第三条，实际为第五条（缺少第三条至第四条）"),
        ("error", "article_order", "第五条之后应为第六条，实际为第四条"),
        ("error", "article_repeat", "第五条重复出现（前次在第11行）"),
        ("error", "empty_article", "第六条没有内容"),
        ("error", "item_order", "第七条第一款中第（三）项的编号不连续（应为第（二）项）"),
        ("error", "item_order", "第七条第一款的第（一）项重新从头编号"),
        ("warning", "empty_heading", "第二章下没有条文"),
    ]
    assert doc.unplaced == ["这一行放错了位置，没有条文编号。"]
    assert doc.has_errors
    assert [i.line for i in doc.issues][:2] == [5, 11]
    assert doc.find("art.5~2") is not None  # the repeated article keeps a unique key
    assert doc.find("art.6.1").text == ""


def test_single_missing_article_and_missing_first_article():
    doc = parse_text("第二条 甲。\n第四条 乙。\n")
    assert [i.message for i in doc.issues] == [
        "首条应为第一条，实际为第二条（缺少第一条）",
        "第二条之后应为第三条，实际为第四条（缺少第三条）",
    ]


def test_inserted_article_out_of_place():
    doc = parse_text("第一条 甲。\n第二条之二 乙。\n第三条 丙。\n")
    assert [(i.code, i.message) for i in doc.issues] == [
        ("article_gap", "第一条之后应为第二条，实际为第二条之二")]


def test_heading_number_gap_is_a_warning():
    doc = parse_text("第一章 甲\n第一条 甲。\n第三章 乙\n第二条 乙。\n")
    assert [(i.severity, i.message) for i in doc.issues] == [
        ("warning", "第一章之后应为第二章，实际为第三章")]


def test_no_articles_is_an_error():
    doc = parse_text("关于某事的通知\n请各单位认真执行。\n")
    assert doc.title == "关于某事的通知" and doc.notes == ["请各单位认真执行。"]
    assert codes(doc) == ["no_articles"]


def test_item_before_any_article_is_unplaced():
    doc = parse_text("# 某办法\n（一）无处安放；\n第一条 甲。\n")
    assert doc.unplaced == ["（一）无处安放；"] and codes(doc) == ["unplaced_text"]


# -- invariants --------------------------------------------------------------------------

@pytest.mark.parametrize("name", ["hierarchy.md", "provisions.txt", "errors.txt"])
def test_no_text_lost_and_keys_unique_and_stable(name, fixture_text, assert_no_text_lost):
    text = fixture_text(name)
    doc = parse_text(text)
    assert_no_text_lost(text, doc)
    all_keys = keys(doc)
    assert len(all_keys) == len(set(all_keys))
    assert all(k.isascii() for k in all_keys)
    assert keys(parse_text(text)) == all_keys


def test_walk_find_counts():
    doc = parse_text("第一章 总则\n第一条 甲：\n（一）乙。\n")
    assert [n.kind for n in doc.walk()] == ["chapter", "article", "paragraph", "item"]
    assert doc.find("art.1.1.1").text == "乙。" and doc.find("art.9") is None
    assert doc.counts() == {"chapter": 1, "article": 1, "paragraph": 1, "item": 1}
    # The index follows changes to the tree.
    doc.find("art.1").children.append(
        Node("paragraph", "art.1.2", "第二款", None, "", "丙。", [], None))
    assert doc.find("art.1.2").text == "丙。"


def test_line_numbers_do_not_affect_equality():
    assert parse_text("第一条 甲。\n").nodes == parse_text("\n\n\n第一条 甲。\n").nodes


def test_item_and_subitem_order():
    doc = parse_text("第一条 甲：\n（一）乙；\n（三）丙；\n（二）丁：\n甲、子；\n丙、丑。\n")
    assert [(i.code, i.message) for i in doc.issues] == [
        ("item_order", "第一条第一款中第（三）项的编号不连续（应为第（二）项）"),
        ("item_order", "第一条第一款中第（二）项的顺序有误（前面已有编号更大的项）"),
        ("subitem_order", "第一条第（二）项中丙目的编号不连续（应为乙目）"),
    ]
    assert [n.key for n in doc.walk() if n.kind in ("item", "subitem")] == [
        "art.1.1.1", "art.1.1.3", "art.1.1.2", "art.1.1.2.1", "art.1.1.2.3"]
