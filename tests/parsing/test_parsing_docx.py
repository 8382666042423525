"""Word documents, built in the tests with python-docx."""

from __future__ import annotations

import io
import zipfile

import docx
import pytest
from docx.oxml import OxmlElement

from participation.parsing import UnsupportedFormat, parse_docx, parse_text, parse_upload


def to_bytes(document) -> bytes:
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def autonumber(paragraph, num_id: int = 1) -> None:
    """Give a paragraph Word automatic numbering (w:numPr) directly."""
    num_pr = paragraph._p.get_or_add_pPr().get_or_add_numPr()
    num_pr.get_or_add_ilvl().val = 0
    num_pr.get_or_add_numId().val = num_id


def draft_document():
    document = docx.Document()
    document.add_paragraph("附件1")                         # a label above the title
    document.add_heading("某市停车管理条例（草案）", level=0)  # Title style
    document.add_paragraph("2024年4月1日 某市人民代表大会常务委员会公布")
    document.add_heading("第一章\u3000总\u3000则", level=1)
    document.add_paragraph("第一条\u3000为了规范停车秩序，制定本条例。")
    document.add_paragraph("第二条 停车场分为下列类型：")
    document.add_paragraph("（一）公共停车场；")
    paragraph = document.add_paragraph("（二）专用停车场。")
    paragraph.add_run().add_break()
    paragraph.add_run("第三条 收费标准见下表。")           # soft line break splits lines
    document.add_paragraph("第二章 附则")                    # plain style, found by its text
    table = document.add_table(rows=2, cols=2)
    table.cell(0, 0).text = "第四条 本条例自2025年1月1日起施行。"
    table.cell(0, 1).text = "车型"
    table.cell(1, 0).text = "小型车"
    table.cell(1, 1).text = "每小时五元。"
    return document


def test_paragraphs_headings_and_tables():
    doc = parse_docx(to_bytes(draft_document()))
    assert doc.title == "某市停车管理条例（草案）"
    assert doc.notes == ["附件1", "2024年4月1日 某市人民代表大会常务委员会公布"]
    assert [(n.key, n.heading) for n in doc.nodes] == [("ch.1", "总则"), ("ch.2", "附则")]
    assert [a.key for a in doc.articles] == ["art.1", "art.2", "art.3", "art.4"]
    assert [i.text for i in doc.walk() if i.kind == "item"] == ["公共停车场；", "专用停车场。"]
    assert doc.find("art.3.1").text == "收费标准见下表。"
    # Table cells follow as lines, row by row.
    assert [p.text for p in doc.find("art.4").children] == [
        "本条例自2025年1月1日起施行。", "车型", "小型车", "每小时五元。"]
    assert doc.issues == []


def test_same_tree_as_the_plain_text():
    text = ("# 某市停车管理条例（草案）\n附件1\n2024年4月1日 某市人民代表大会常务委员会公布\n"
            "第一章 总则\n第一条 为了规范停车秩序，制定本条例。\n第二条 停车场分为下列类型：\n"
            "（一）公共停车场；\n（二）专用停车场。\n第三条 收费标准见下表。\n第二章 附则\n"
            "第四条 本条例自2025年1月1日起施行。\n车型\n小型车\n每小时五元。\n")
    from_docx, from_text = parse_docx(to_bytes(draft_document())), parse_text(text)
    assert from_docx.nodes == from_text.nodes and from_docx.title == from_text.title


def test_heading_styles_are_not_needed():
    document = docx.Document()
    for line in ["某办法", "第一章 总则", "第一条 甲。"]:
        document.add_paragraph(line)
    doc = parse_docx(to_bytes(document))
    assert doc.title == "某办法" and [n.key for n in doc.walk()] == ["ch.1", "art.1", "art.1.1"]


def test_direct_autonumber_warns():
    document = docx.Document()
    document.add_paragraph("某办法")
    document.add_paragraph("第一条 甲。")
    autonumber(document.add_paragraph("为了规范管理，制定本办法。"))
    doc = parse_docx(to_bytes(document))
    [issue] = doc.issues
    assert (issue.severity, issue.code, issue.line) == ("warning", "docx_autonumber", 3)
    assert "自动编号" in issue.message
    assert doc.find("art.1.2").text == "为了规范管理，制定本办法。"  # text is still kept


def test_style_autonumber_warns_and_num_id_zero_does_not():
    document = docx.Document()
    document.add_paragraph("某办法")
    document.add_paragraph("第一条 甲。")
    document.add_paragraph("乙。", style="List Number")     # numbering from the style
    switched_off = document.add_paragraph("丙。", style="List Number")
    autonumber(switched_off, num_id=0)                       # numId 0 removes numbering
    doc = parse_docx(to_bytes(document))
    assert [(i.code, i.line) for i in doc.issues] == [("docx_autonumber", 3)]
    assert "共1个段落" in doc.issues[0].message


def test_tracked_changes():
    document = docx.Document()
    document.add_paragraph("第一条 甲。")
    paragraph = document.add_paragraph()
    for tag, text in (("w:ins", "新增的"), ("w:del", "删除的")):
        wrapper = OxmlElement(tag)
        run = OxmlElement("w:r")
        element = OxmlElement("w:t" if tag == "w:ins" else "w:delText")
        element.text = text
        run.append(element)
        wrapper.append(run)
        paragraph._p.append(wrapper)
    paragraph.add_run("文字。")
    doc = parse_docx(to_bytes(document))
    assert doc.find("art.1.2").text == "新增的文字。"


@pytest.mark.parametrize("data", [b"", b"not a zip", b"PK\x03\x04garbage"])
def test_invalid_docx(data):
    with pytest.raises(UnsupportedFormat) as info:
        parse_docx(data)
    assert "docx" in str(info.value)


def test_zip_that_is_not_a_word_document():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("hello.txt", "hi")
    with pytest.raises(UnsupportedFormat):
        parse_upload("draft.docx", buffer.getvalue())


def test_docx_by_upload():
    doc = parse_upload("C:\\Users\\x\\草案.DOCX", to_bytes(draft_document()))
    assert len(doc.articles) == 4
