"""Read a .docx into lines for the text parser.

Body paragraphs and table cells become lines in document order (each cell's paragraphs
in row order, nested tables included); manual line breaks split lines.  Text inside
tracked insertions counts, tracked deletions and moved-away text do not, and neither
do text boxes (Word stores each twice, and they hold no provisions in practice).

Structure is recognised from the text like any other input.  Word's Title and
"heading 1" styles mark the line as a ``#`` title candidate, so a styled title is
found even when other lines precede it.  Word automatic numbering (``w:numPr`` on the
paragraph or inherited from its style) produces numbers that are not in the text —
an auto-numbered "第一条" is lost — so such paragraphs raise one ``docx_autonumber``
warning for the document.
"""

from __future__ import annotations

import io
import re
import zipfile

from docx import Document
from docx.oxml.ns import qn
from flask_babel import gettext as _

from .errors import UnsupportedFormat
from .text_parser import parse_lines
from .tree import Issue, ParsedDocument

# Reject archives that would inflate beyond this before python-docx loads them.
MAX_UNCOMPRESSED_BYTES = 128 * 1024 * 1024

_P, _TBL, _TR, _TC = qn("w:p"), qn("w:tbl"), qn("w:tr"), qn("w:tc")
_SDT, _SDT_CONTENT, _CUSTOM_XML = qn("w:sdt"), qn("w:sdtContent"), qn("w:customXml")
_T, _TAB, _BR, _CR = qn("w:t"), qn("w:tab"), qn("w:br"), qn("w:cr")
_SKIPPED = {qn("w:del"), qn("w:moveFrom"), qn("w:txbxContent"), qn("w:pPr"),
            qn("w:rPr")}
_HEADING_STYLE_RE = re.compile(r"(?:heading|标题)\s*([1-9])", re.IGNORECASE)
_TITLE_STYLES = {"title", "标题"}


def _paragraph_text(element) -> str:
    parts = []
    for child in element:
        tag = child.tag
        if tag in _SKIPPED:
            continue
        if tag == _T:
            parts.append(child.text or "")
        elif tag == _TAB:
            parts.append("\t")
        elif tag in (_BR, _CR):
            parts.append("\n")
        else:
            parts.append(_paragraph_text(child))
    return "".join(parts)


class _Styles:
    """Style names and numbering, following ``w:basedOn`` chains."""

    def __init__(self, document):
        self.styles = {s.styleId: s for s in document.styles.element.style_lst}

    def name(self, style_id: str | None) -> str:
        style = self.styles.get(style_id)
        return (style.name_val or "") if style is not None else ""

    def numbered(self, style_id: str | None) -> bool:
        seen = set()
        while style_id and style_id not in seen:
            seen.add(style_id)
            style = self.styles.get(style_id)
            if style is None:
                return False
            num_id = _num_id(style.pPr)
            if num_id is not None:
                return num_id != 0
            style_id = style.basedOn_val
        return False


def _num_id(ppr) -> int | None:
    if ppr is None or ppr.numPr is None or ppr.numPr.numId is None:
        return None
    return ppr.numPr.numId.val


def _open(data: bytes):
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            if sum(info.file_size for info in archive.infolist()) > MAX_UNCOMPRESSED_BYTES:
                raise UnsupportedFormat(_("文件解压后过大，无法读取"))
        return Document(io.BytesIO(data))
    except UnsupportedFormat:
        raise
    except Exception as exc:  # any failure on untrusted input means "not a .docx"
        raise UnsupportedFormat(_("文件不是有效的 Word（.docx）文档")) from exc


def parse_docx(data: bytes) -> ParsedDocument:
    """Parse the bytes of a .docx file; ``UnsupportedFormat`` if it is not one."""
    document = _open(data)
    styles = _Styles(document)
    lines: list[str] = []
    numbered_lines: list[int] = []

    def paragraph(p) -> None:
        text = _paragraph_text(p)
        ppr = p.pPr
        style_id = ppr.style if ppr is not None else None
        name = styles.name(style_id).strip().lower()
        heading = _HEADING_STYLE_RE.fullmatch(name)
        prefix = ("# " if name in _TITLE_STYLES
                  else "#" * int(heading.group(1)) + " " if heading else "")
        num_id = _num_id(ppr)
        if text.strip() and (num_id != 0 if num_id is not None
                             else styles.numbered(style_id)):
            numbered_lines.append(len(lines) + 1)
        for i, part in enumerate(text.split("\n")):
            lines.append(prefix + part if i == 0 and part.strip() else part)

    def container(element) -> None:
        for child in element.iterchildren():
            if child.tag == _P:
                paragraph(child)
            elif child.tag == _TBL:
                for row in child.iterchildren(_TR):
                    for cell in row.iterchildren(_TC):
                        container(cell)
            elif child.tag == _SDT:
                for content in child.iterchildren(_SDT_CONTENT):
                    container(content)
            elif child.tag == _CUSTOM_XML:
                container(child)

    container(document.element.body)
    issues = []
    if numbered_lines:
        shown = "、".join(str(n) for n in numbered_lines[:5])
        more = "等" if len(numbered_lines) > 5 else ""
        issues.append(Issue(
            "warning", "docx_autonumber",
            f"第{shown}行{more}共{len(numbered_lines)}个段落使用了 Word 自动编号，自动生成的编号"
            "（如“第一条”“（一）”）不在文字中，可能导致条文缺失或错位；请先将自动编号转换为"
            "普通文字再上传",
            numbered_lines[0], None))
    return parse_lines(lines, issues)
