"""Word documents in the committee's house style (python-docx): A4, body text in
仿宋 (FangSong) with 宋体 as the table font, headings in 黑体 (SimHei), page numbers in
the footer.

Word picks the font of Chinese characters from the run's East-Asian font
(``w:rFonts/@w:eastAsia``), which python-docx's ``font.name`` does not set: ``_fonts``
writes both. Large tables are built as XML directly (``fast_table``): python-docx's
``add_row`` copies and re-reads the table for every row, which costs minutes for
10,000 rows."""
from __future__ import annotations

from docx import Document
from docx.enum.section import WD_ORIENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Pt

DOCX_MIMETYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
BODY_FONT = "仿宋"
TABLE_FONT = "宋体"
HEADING_FONT = "黑体"
LATIN_FONT = "Times New Roman"


def _fonts(style_or_run, east_asian: str, *, size: float | None = None, bold: bool | None = None) -> None:
    font = style_or_run.font
    font.name = LATIN_FONT
    if size is not None:
        font.size = Pt(size)
    if bold is not None:
        font.bold = bold
    properties = style_or_run.element.get_or_add_rPr()
    fonts = properties.find(qn("w:rFonts"))
    if fonts is None:
        fonts = OxmlElement("w:rFonts")
        properties.insert(0, fonts)
    _name_fonts(fonts, east_asian)


_THEME_ATTRIBUTES = ("w:asciiTheme", "w:eastAsiaTheme", "w:hAnsiTheme", "w:cstheme")


def _name_fonts(fonts, east_asian: str) -> None:
    # A theme font attribute wins over the named font beside it: drop them, or Word
    # would show the theme's East-Asian font (等线) instead of 仿宋 / 黑体.
    for name in _THEME_ATTRIBUTES:
        fonts.attrib.pop(qn(name), None)
    fonts.set(qn("w:eastAsia"), east_asian)
    fonts.set(qn("w:ascii"), LATIN_FONT)
    fonts.set(qn("w:hAnsi"), LATIN_FONT)


def new_document(title: str):
    """An empty A4 document with the house styles and a page-numbered footer."""
    document = Document()
    document.core_properties.title = title
    section = document.sections[0]
    section.orientation = WD_ORIENT.PORTRAIT
    section.page_width, section.page_height = Cm(21.0), Cm(29.7)
    section.top_margin = section.bottom_margin = Cm(2.54)
    section.left_margin = section.right_margin = Cm(2.2)
    styles = document.styles
    for defaults in styles.element.iter(qn("w:rPrDefault")):
        for fonts in defaults.iter(qn("w:rFonts")):
            _name_fonts(fonts, BODY_FONT)
    _fonts(styles["Normal"], BODY_FONT, size=12)
    for name, size in (("Title", 20), ("Heading 1", 16), ("Heading 2", 14), ("Heading 3", 12)):
        style = styles[name]
        _fonts(style, HEADING_FONT, size=size, bold=False)
        style.font.color.rgb = None
        for child in list(style.element.get_or_add_rPr()):
            if child.tag in (qn("w:color"), qn("w:i")):
                child.getparent().remove(child)
    _fonts(styles["Table Grid"], TABLE_FONT, size=10.5)
    _page_number_footer(section)
    return document


def _page_number_footer(section) -> None:
    """第 N 页 centred in the footer: a PAGE field, which Word fills in on each page."""
    paragraph = section.footer.paragraphs[0]
    paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
    paragraph.add_run("第 ")
    run = paragraph.add_run()
    for kind, text in (("begin", None), (None, " PAGE "), ("separate", None), (None, "1"), ("end", None)):
        if kind is not None:
            element = OxmlElement("w:fldChar")
            element.set(qn("w:fldCharType"), kind)
        elif text == " PAGE ":
            element = OxmlElement("w:instrText")
            element.set(qn("xml:space"), "preserve")
            element.text = text
        else:
            element = OxmlElement("w:t")
            element.text = text
        run._r.append(element)
    paragraph.add_run(" 页")


def heading(document, text: str, level: int):
    return document.add_heading(text, level=level)


def title(document, text: str, subtitle: str = "") -> None:
    paragraph = document.add_paragraph(text, style="Title")
    paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
    if subtitle:
        line = document.add_paragraph(subtitle)
        line.alignment = WD_ALIGN_PARAGRAPH.CENTER


def _clean(value: str) -> str:
    # XML 1.0 refuses most control characters; python-docx would raise on them.
    return "".join(ch for ch in value if ch in "\t\n" or ord(ch) >= 0x20) if value else ""


def _cell(text: str, width_twips: int, *, bold: bool = False):
    cell = OxmlElement("w:tc")
    properties = OxmlElement("w:tcPr")
    width = OxmlElement("w:tcW")
    width.set(qn("w:w"), str(width_twips))
    width.set(qn("w:type"), "dxa")
    properties.append(width)
    cell.append(properties)
    lines = _clean(text).split("\n") or [""]
    for line in lines:
        paragraph = OxmlElement("w:p")
        run = OxmlElement("w:r")
        if bold:
            run_properties = OxmlElement("w:rPr")
            run_properties.append(OxmlElement("w:b"))
            run.append(run_properties)
        text_element = OxmlElement("w:t")
        text_element.set(qn("xml:space"), "preserve")
        text_element.text = line
        run.append(text_element)
        paragraph.append(run)
        cell.append(paragraph)
    return cell


def fast_table(document, header: list[str], rows, widths_cm: list[float]):
    """A table with a repeated, bold header row and ``rows`` (lists of strings; a
    newline starts a new paragraph in the cell), built as XML in one pass."""
    table = document.add_table(rows=0, cols=len(header))
    table.style = document.styles["Table Grid"]
    element = table._tbl
    grid = element.tblGrid
    twips = [int(width * 567) for width in widths_cm]
    for column, width in zip(grid.findall(qn("w:gridCol")), twips):
        column.set(qn("w:w"), str(width))
    header_row = OxmlElement("w:tr")
    row_properties = OxmlElement("w:trPr")
    row_properties.append(OxmlElement("w:tblHeader"))  # repeated on every page
    header_row.append(row_properties)
    for text, width in zip(header, twips):
        header_row.append(_cell(text, width, bold=True))
    element.append(header_row)
    for values in rows:
        row = OxmlElement("w:tr")
        for text, width in zip(values, twips):
            row.append(_cell(text, width))
        element.append(row)
    return table


def paragraph(document, text: str, *, style: str | None = None):
    return document.add_paragraph(_clean(text), style=style)
