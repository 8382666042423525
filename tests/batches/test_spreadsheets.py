"""Reading uploaded tables safely, and writing the template and the feedback sheet."""
from __future__ import annotations

import io
import time
import zipfile

import pytest
from openpyxl import Workbook, load_workbook

from bench.batch_data import HEADERS, csv_bytes, excel_like_xlsx, openpyxl_xlsx
from participation.spreadsheets import Limits, SpreadsheetRefused, TooManyRows, display_filename, read_table
from participation.spreadsheets.reading import decode_text
from participation.spreadsheets.writing import write_feedback, workbook_bytes
from tests.batches.conftest import row

pytestmark = pytest.mark.usefixtures("app")

ROWS = [row("第三条第（三）项", "停车难，建议增加车位。", "修改", category="居民", name="王芳", represented=3),
        row("总体意见", "总体赞成。\n第二行。", "赞成", category="律师")]


def _texts(table):
    return [cells for _number, cells in table.rows]


@pytest.mark.parametrize("writer", [excel_like_xlsx, openpyxl_xlsx])
def test_workbooks_as_excel_and_as_openpyxl_write_them(writer):
    table = read_table(writer(ROWS), "意见.xlsx")
    assert table.format == "xlsx" and table.sheet == "意见建议汇总表"
    assert [number for number, _cells in table.rows] == [1, 2, 3]
    assert _texts(table)[0] == HEADERS
    assert _texts(table)[1] == ["第三条第（三）项", "停车难，建议增加车位。", "修改", "", "", "居民", "王芳", "", "3"]
    assert _texts(table)[2][1] == "总体赞成。\n第二行。"


@pytest.mark.parametrize("encoding, codec, delimiter", [
    ("utf-8", "utf-8", ","),
    ("utf-8-sig", "utf-8-sig", ","),      # Excel's "CSV UTF-8"
    ("gbk", "gb18030", ","),              # Excel's "CSV" on Chinese Windows
    ("gb18030", "gb18030", ","),
    ("utf-16", "utf-16", "\t"),           # Excel's "Unicode text": UTF-16 with a BOM, tabs
])
def test_csv_in_every_encoding_chinese_excel_writes(encoding, codec, delimiter):
    rows = [*ROWS, row("第四条", "𠮷野家旁的停车场（GB18030 四字节字）", "反对")] if encoding in ("utf-8", "gb18030") else ROWS
    table = read_table(csv_bytes(rows, encoding=encoding, delimiter=delimiter), "意见.csv")
    assert table.format == "csv" and table.encoding == codec
    assert _texts(table)[0] == HEADERS
    assert _texts(table)[1][:3] == ["第三条第（三）项", "停车难，建议增加车位。", "修改"]
    assert _texts(table)[2][1] == "总体赞成。\n第二行。"  # a quoted cell spanning lines is one cell
    assert [number for number, _cells in table.rows][:3] == [1, 2, 3]


def test_utf16_without_bom_and_excels_sep_line():
    data = csv_bytes(ROWS, encoding="utf-16-le", delimiter="\t")
    assert decode_text(data)[1] == "utf-16"
    assert _texts(read_table(data))[0] == HEADERS
    table = read_table("sep=;\r\n".encode() + csv_bytes(ROWS, delimiter=";"))
    assert _texts(table)[0] == HEADERS and table.rows[0][0] == 1


def test_a_file_name_is_only_a_hint_never_a_path():
    assert display_filename("../../etc/passwd") == "passwd"
    assert display_filename("C:\\Users\\x\\意见\x00汇总.xlsx") == "意见汇总.xlsx"
    # The content decides: a CSV named .xlsx is read as CSV.
    assert read_table(csv_bytes(ROWS), "意见.xlsx").format == "csv"


def test_empty_rows_are_skipped_and_row_numbers_kept():
    data = excel_like_xlsx([ROWS[0], ["", "", ""], ROWS[1]])
    assert [number for number, _cells in read_table(data).rows] == [1, 2, 4]


# --- formulas --------------------------------------------------------------------------

def _sheet_xml(cells_xml: str) -> bytes:
    """A workbook whose sheet is the given row XML (for cases writers never make)."""
    good = excel_like_xlsx([row()])
    source = zipfile.ZipFile(io.BytesIO(good))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            content = source.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                content = (b'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/'
                           b'spreadsheetml/2006/main"><sheetData>' + cells_xml.encode() + b"</sheetData></worksheet>")
            target.writestr(item.filename, content)
    return buffer.getvalue()


def test_formulas_are_read_as_their_cached_values_never_evaluated():
    data = _sheet_xml(
        '<row r="1"><c r="A1" t="inlineStr"><is><t>代表人数</t></is></c><c r="B1" t="inlineStr"><is><t>意见内容</t></is></c></row>'
        # The cached value is 7 although 1+1 is 2: the file's value is what is read.
        '<row r="2"><c r="A2"><f>1+1</f><v>7</v></c><c r="B2" t="str"><f>CONCAT("停车","难")</f><v>停车难</v></c></row>'
        # A formula saved without its value (written by a script) is refused, not read as empty.
        '<row r="3"><c r="A3"><f>SUM(A1:A2)</f><v></v></c><c r="B3" t="e"><v>#DIV/0!</v></c></row>'
        # A text formula whose result is empty is empty.
        '<row r="4"><c r="A4" t="str"><f>IF(1,"","x")</f><v></v></c><c r="B4" t="inlineStr"><is><t>有内容</t></is></c></row>'
    )
    table = read_table(data)
    assert _texts(table)[1] == ["7", "停车难"]
    # Row 3 reads as empty (its problems are reported); row 4 follows.
    assert table.rows[2] == (4, ["", "有内容"])
    problems = {(p.row, p.column): p.message for p in table.problems}
    assert "没有保存计算结果" in problems[(3, 0)] and "平台不会计算公式" in problems[(3, 0)]
    assert "#DIV/0!" in problems[(3, 1)]


def test_every_formula_is_a_problem_when_formulas_are_refused():
    """The disposition sheet writes its cells back to opinions: a formula is refused even
    with its value saved, a plain value is read as ever."""
    data = _sheet_xml(
        '<row r="1"><c r="A1" t="inlineStr"><is><t>意见内容</t></is></c><c r="B1" t="inlineStr"><is><t>理由</t></is></c></row>'
        '<row r="2"><c r="A2" t="str"><f>CONCAT("停车","难")</f><v>停车难</v></c><c r="B2"><v>3</v></c></row>'
    )
    assert not read_table(data).problems
    table = read_table(data, refuse_formulas=True)
    assert [(p.row, p.column) for p in table.problems] == [(2, 0)] and "公式" in table.problems[0].message
    assert table.rows[1] == (2, ["", "3"])


def test_text_beginning_with_an_equals_sign_is_written_as_text():
    workbook = write_feedback(sheet_title="反馈", rows=[(1, ["意见内容"]), (2, ['=HYPERLINK("http://x","点我")'])],
                              header_row=1)
    data = workbook_bytes(workbook)
    sheet = zipfile.ZipFile(io.BytesIO(data)).read("xl/worksheets/sheet1.xml").decode()
    assert "<f>" not in sheet and "HYPERLINK" in sheet
    assert load_workbook(io.BytesIO(data)).active["A2"].data_type == "s"


def test_text_that_would_be_a_formula_carries_the_quote_prefix():
    risky = ["=1+1", "+86 10 1234", "-2", "@SUM(A1)", "\tx", "\rx"]
    safe = ["意见内容", "art.1", "", "1-2"]
    workbook = write_feedback(sheet_title="反馈", rows=[(1, ["表头"] * 10), (2, risky + safe)], header_row=1)
    data = workbook_bytes(workbook)
    archive = zipfile.ZipFile(io.BytesIO(data))
    styles = archive.read("xl/styles.xml").decode()
    assert 'quotePrefix="1"' in styles
    sheet = load_workbook(io.BytesIO(data)).active
    assert [cell.quotePrefix for cell in sheet[2]][:len(risky)] == [True] * len(risky)
    assert [cell.value for cell in sheet[2]][:len(risky)] == risky
    assert not any(cell.quotePrefix for cell in sheet[2][len(risky):])
    assert not any(cell.quotePrefix for cell in sheet[1])


def test_the_batch_template_quotes_risky_text_too():
    from participation.spreadsheets.writing import ClauseChoice, TemplateColumn, write_template

    workbook = write_template(
        document_title="t", sheet_title="意见", columns=[TemplateColumn("-条款")], data_rows=3,
        clause_sheet_title="条款列表", clause_headers=("条款", "键", "摘录"),
        clauses=[ClauseChoice(citation="第一条", key="art.1", excerpt="=HYPERLINK(\"http://x\")")],
        instructions_title="说明", instructions=["说明"],
    )
    reread = load_workbook(io.BytesIO(workbook_bytes(workbook)))
    assert reread["意见"]["A1"].quotePrefix is True
    assert reread["条款列表"]["C2"].quotePrefix is True and reread["条款列表"]["A2"].quotePrefix is False


# --- refusals --------------------------------------------------------------------------

def _refused(data, filename=None, limits=None) -> str:
    with pytest.raises(SpreadsheetRefused) as caught:
        read_table(data, filename, limits=limits)
    return caught.value.message


def _zip(parts: dict[str, bytes], compression=zipfile.ZIP_DEFLATED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression) as archive:
        for name, content in parts.items():
            archive.writestr(name, content)
    return buffer.getvalue()


def _with_part(name: str, content: bytes, content_types_extra: bytes = b"") -> bytes:
    source = zipfile.ZipFile(io.BytesIO(excel_like_xlsx([row()])))
    parts = {item: source.read(item) for item in source.namelist()}
    parts[name] = content
    if content_types_extra:
        parts["[Content_Types].xml"] = parts["[Content_Types].xml"].replace(b"</Types>", content_types_extra + b"</Types>")
    return _zip(parts)


def test_macro_enabled_workbooks_are_refused_by_name_and_by_content():
    assert "启用宏" in _refused(excel_like_xlsx([row()]), "意见.xlsm")
    assert "宏" in _refused(_with_part("xl/vbaProject.bin", b"\x00" * 64), "意见.xlsx")
    macro_type = b'<Override PartName="/xl/x.xml" ContentType="application/vnd.ms-excel.sheet.macroEnabled.main+xml"/>'
    assert "宏" in _refused(_with_part("xl/x.xml", b"<x/>", macro_type), "意见.xlsx")


@pytest.mark.parametrize("data, expected", [
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600, ".xls"),
    (b"%PDF-1.7\n" + b"x" * 100, "PDF"),
    (b"\x89PNG\r\n\x1a\n" + b"\x00" * 100, "PNG"),
    (b"\x00\x01\x02\x03binary\xff\xfe\x00" * 50, "二进制"),
    (b"", "空"),
    (b"PK\x03\x04 not really a zip", "损坏"),
])
def test_non_spreadsheets_are_refused(data, expected):
    assert expected in _refused(data, "意见.xlsx")


def test_a_word_document_is_not_a_workbook():
    docx = _zip({"[Content_Types].xml": b'<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
                 b'<Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.'
                 b'wordprocessingml.document.main+xml"/></Types>', "word/document.xml": b"<w/>"})
    assert "不是 Excel 工作簿" in _refused(docx, "意见.docx")


def test_zip_bombs_are_refused_before_inflating():
    bomb = _with_part("xl/media/padding.bin", b"\x00" * (30 * 1024 * 1024))
    assert len(bomb) < 200_000  # 30 MiB of zeros deflate to almost nothing
    started = time.perf_counter()
    message = _refused(bomb, "意见.xlsx", limits=Limits(max_unpacked_bytes=10 * 1024 * 1024))
    assert "解压后过大" in message
    assert time.perf_counter() - started < 1
    many = _zip({f"xl/f{n}.xml": b"<x/>" for n in range(30)} | {"[Content_Types].xml": b"<Types/>"})
    assert "部件过多" in _refused(many, limits=Limits(max_zip_entries=20))


def test_xml_entity_declarations_are_refused():
    laughs = (b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;">]>'
              b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
              b'<row r="1"><c r="A1" t="inlineStr"><is><t>&lol2;</t></is></c></row></sheetData></worksheet>')
    assert "DTD" in _refused(_with_part("xl/worksheets/sheet1.xml", laughs))


def test_a_sheet_claiming_a_million_rows_yields_the_rows_it_has():
    data = _sheet_xml('<row r="1"><c r="A1" t="inlineStr"><is><t>意见内容</t></is></c></row>'
                      '<row r="1048576"><c r="XFD1048576" t="inlineStr"><is><t>远处</t></is></c>'
                      '<c r="A1048576" t="inlineStr"><is><t>最后一行</t></is></c></row>')
    started = time.perf_counter()
    table = read_table(data)
    assert time.perf_counter() - started < 1
    assert [(number, cells) for number, cells in table.rows] == [(1, ["意见内容"]), (1048576, ["最后一行"])]


def test_row_and_cell_limits():
    with pytest.raises(TooManyRows):
        read_table(excel_like_xlsx([row()] * 30), limits=Limits(max_rows=10))
    with pytest.raises(TooManyRows):
        read_table(csv_bytes([row()] * 30), limits=Limits(max_rows=10))
    empty_rows = "".join(f'<row r="{n}"><c r="A{n}" t="inlineStr"><is><t> </t></is></c></row>' for n in range(1, 1100))
    assert "行数过多" in _refused(_sheet_xml(empty_rows), limits=Limits(max_rows=10))
    long_text = "长" * 40
    table = read_table(excel_like_xlsx([row(body=long_text)]), limits=Limits(max_cell_chars=30))
    assert table.problems and "过长" in table.problems[0].message and table.problems[0].row == 2
    table = read_table(csv_bytes([row(body=long_text)]), limits=Limits(max_cell_chars=30))
    assert table.problems and table.problems[0].column == 1


def test_dates_and_numbers_read_as_people_see_them():
    workbook = Workbook()
    sheet = workbook.active
    from datetime import datetime

    sheet.append(["意见内容", "日期", "人数", "比例"])
    sheet.append(["x", datetime(2026, 3, 15), 12.0, 0.25])
    buffer = io.BytesIO()
    workbook.save(buffer)
    assert _texts(read_table(buffer.getvalue()))[1] == ["x", "2026-03-15", "12", "0.25"]


def test_the_sheet_with_the_header_is_chosen():
    workbook = Workbook()
    workbook.active.title = "说明"
    workbook.active.append(["请在第二个工作表填写"])
    data_sheet = workbook.create_sheet("汇总")
    data_sheet.append(["序号", "意见内容"])
    data_sheet.append([1, "意见"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    from participation.batches.vocabulary import is_header_row

    table = read_table(buffer.getvalue(), is_header=is_header_row)
    assert table.sheet == "汇总" and _texts(table)[1] == ["1", "意见"]
