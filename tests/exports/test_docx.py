"""The Word 意见汇总表 and the feedback report .docx read back with python-docx."""
from __future__ import annotations

from docx.oxml.ns import qn
from docx.shared import Cm

from participation.exports.summary import normalised, write_summary
from participation.extensions import db
from participation.models import Draft
from participation.queries import StaffOpinionFilters
from tests.exports.conftest import read_docx

HEADER = ["序号", "意见内容", "修改建议", "提出方", "处理情况"]


def _summary(tmp_path, draft, filters=StaffOpinionFilters()):
    path = tmp_path / "summary.docx"
    count = write_summary(path, db.session.get(Draft, draft.id), filters)
    return count, read_docx(path.read_bytes())


def _sections(document):
    """(heading 2 text, the table that follows it) in document order."""
    body = document.element.body
    result, heading = [], None
    for child in body.iterchildren():
        if child.tag == qn("w:p"):
            style = child.find(qn("w:pPr") + "/" + qn("w:pStyle"))
            if style is not None and style.get(qn("w:val")) == "Heading2":
                heading = "".join(t.text or "" for t in child.iter(qn("w:t")))
        elif child.tag == qn("w:tbl"):
            result.append((heading, child))
    tables = {table._tbl: table for table in document.tables}
    return [(heading, tables[element]) for heading, element in result]


def _rows(table):
    return [[cell.text for cell in row.cells] for row in table.rows]


def test_summary_lists_clauses_in_order_whole_draft_first(app, export_world, tmp_path):
    count, document = _summary(tmp_path, export_world["draft"])
    sections = _sections(document)
    headings = [heading for heading, _table in sections]
    assert headings[0] == "总体意见"
    articles = [heading.split("（")[0] for heading in headings[1:]]
    assert articles == ["第一条", "第二条", "第三条", "第四条", "第五条"]
    for _heading, table in sections:
        assert _rows(table)[0] == HEADER
    # Every opinion is in a table, the three identical ones once (2 rows fewer).
    listed = sum(len(table.rows) - 1 for _h, table in sections)
    assert listed == count - 2
    # Page setup, fonts and the page number field.
    section = document.sections[0]
    assert (round(section.page_width / Cm(1), 1), round(section.page_height / Cm(1), 1)) == (21.0, 29.7)
    normal = document.styles["Normal"].element.rPr.find(qn("w:rFonts"))
    assert normal.get(qn("w:eastAsia")) == "仿宋"
    heading = document.styles["Heading 2"].element.rPr.find(qn("w:rFonts"))
    assert heading.get(qn("w:eastAsia")) == "黑体"
    # No theme font left to override the named ones.
    assert heading.get(qn("w:eastAsiaTheme")) is None
    defaults = document.styles.element.find(qn("w:docDefaults")).find(".//" + qn("w:rFonts"))
    assert defaults.get(qn("w:eastAsia")) == "仿宋" and defaults.get(qn("w:eastAsiaTheme")) is None
    footer = section.footer._element
    assert any("PAGE" in (node.text or "") for node in footer.iter(qn("w:instrText")))
    text = "\n".join(p.text for p in document.paragraphs)
    assert "《某市示例管理条例（草案）》意见汇总表" in text and "征求意见期" in text
    assert f"本表收录意见 {count} 条" in text


def test_identical_opinions_are_listed_once_with_their_count(app, export_world, tmp_path):
    _count, document = _summary(tmp_path, export_world["draft"], StaffOpinionFilters(clause="art.2"))
    ((heading, table),) = _sections(document)
    assert heading.startswith("第二条")
    rows = _rows(table)[1:]
    merged = [row for row in rows if "共 3 条相同意见" in row[3]]
    assert len(merged) == 1 and "建议删除本条" in merged[0][1]
    assert len(rows) == 2  # the merged line and 网站意见2
    assert normalised(" 建议 删除本条！") == normalised("建议删除本条。")


def test_sub_clause_opinions_under_their_article_and_text_shown(app, export_world, tmp_path):
    _count, document = _summary(tmp_path, export_world["draft"], StaffOpinionFilters(clause="art.3"))
    ((heading, table),) = _sections(document)
    assert heading.startswith("第三条")
    cells = "\n".join(row[1] for row in _rows(table))
    assert "【第三条第（二）项】留了联系方式的意见" in cells
    text = "\n".join(p.text for p in document.paragraphs)
    assert "第三条 主管部门履行下列职责：" in text and "\n（二）组织实施；\n" in text
    # Contact details are not in the committee's table.
    assert "13800000000" not in cells


def test_filter_leaves_opinions_out(app, export_world, tmp_path):
    count, document = _summary(tmp_path, export_world["draft"], StaffOpinionFilters(clause="general"))
    sections = _sections(document)
    assert [heading for heading, _t in sections] == ["总体意见"]
    assert len(sections[0][1].rows) - 1 == count == 3


def test_feedback_report_docx_public_after_publication(app, client, login, export_world, make_user):
    from participation import clock
    from participation.services.feedback import publish_feedback

    draft = export_world["draft"]
    url = f"/drafts/{draft.id}/feedback.docx"
    assert client.get(url).status_code == 404        # not published: not for the public
    login(export_world["staff"])
    preview = client.get(url)
    assert preview.status_code == 200
    assert "filename*=UTF-8''" in preview.headers["Content-Disposition"]
    assert "【预览】" in "\n".join(p.text for p in read_docx(preview.data).paragraphs)
    client.get("/logout")
    client.post("/logout")
    publish_feedback(db.session.get(Draft, draft.id), by=export_world["staff"], now=clock.now())
    db.session.commit()
    anonymous = client.application.test_client()
    page = anonymous.get(f"/drafts/{draft.id}/feedback").get_data(as_text=True)
    assert f'data-docx href="{url}"' in page
    response = anonymous.get(url)
    assert response.status_code == 200
    document = read_docx(response.data)
    text = "\n".join(p.text for p in document.paragraphs)
    assert "《某市示例管理条例（草案）》意见采纳情况" in text and "【预览】" not in text
    assert "内部备注" not in text and "13800000000" not in text
    assert document.tables, "a table of clauses per section"
