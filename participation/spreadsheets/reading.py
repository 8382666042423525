"""Reading an uploaded table: an .xlsx workbook, or delimited text as Chinese Excel saves
it (CSV in UTF-8, UTF-8 with BOM or GBK/GB18030; "Unicode text", tab-separated UTF-16).

The result is a ``Table``: the non-empty rows of one sheet as text cells, each with the
row number Excel shows, plus the cells that could not be read (an Excel error value, a
formula saved without its value), so that the caller reports them by row and column.
A file that cannot be read at all raises ``SpreadsheetRefused`` with a message for the
user.
"""
from __future__ import annotations

import codecs
import csv
import io
import re
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from flask_babel import gettext as _

from participation.text import clean_filename

XLSX = "xlsx"
CSV = "csv"

#: Encodings reported for text files (the codec that decoded them).
UTF8 = "utf-8"
UTF8_BOM = "utf-8-sig"
GB18030 = "gb18030"
UTF16 = "utf-16"

_MACRO_EXTENSIONS = (".xlsm", ".xltm", ".xlam", ".xlsb")
_OLD_EXCEL_EXTENSIONS = (".xls", ".xlt", ".et")
_OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
# Files people upload by mistake, recognised by their first bytes.
_OTHER_MAGIC = (
    (b"%PDF", "PDF"),
    (b"\x89PNG", "PNG"),
    (b"\xff\xd8\xff", "JPEG"),
    (b"GIF8", "GIF"),
    (b"{\\rtf", "RTF"),
    (b"Rar!", "RAR"),
    (b"7z\xbc\xaf", "7z"),
    (b"\x1f\x8b", "gzip"),
)
_WORKBOOK_CONTENT_TYPES = re.compile(rb"spreadsheetml\.(?:sheet|template)\.main\+xml")
_CONTROL_CHARS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_SEP_LINE = re.compile(r"sep=(.)\r?\n?")


class SpreadsheetRefused(Exception):
    """The file cannot be read as a table. ``message`` is for the user (translated)."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class TooManyRows(SpreadsheetRefused):
    """More rows than ``Limits.max_rows``; the caller words the limit its own way."""


@dataclass(frozen=True)
class Limits:
    max_rows: int = 20_000            # non-empty rows read, title and header rows included
    max_cell_chars: int = 32_767      # Excel's own limit for one cell
    max_columns: int = 64             # columns read; anything further right is ignored
    max_unpacked_bytes: int = 100 * 1024 * 1024  # an .xlsx's parts, as their sizes are declared
    max_zip_entries: int = 1000
    header_search_rows: int = 10      # non-empty rows of each sheet searched for the header

    @property
    def max_physical_rows(self) -> int:
        """Rows present in the file, empty ones included (Excel writes a row element for
        a formatted empty row): bounds the work a file full of nothing can cause."""
        return self.max_rows * 5 + 1000


@dataclass
class CellProblem:
    row: int
    column: int  # 0-based
    value: str
    message: str


@dataclass
class Table:
    format: str                    # XLSX or CSV
    encoding: str = ""             # text files: the codec that decoded them
    sheet: str = ""                # workbooks: the title of the sheet read
    rows: list[tuple[int, list[str]]] = field(default_factory=list)
    problems: list[CellProblem] = field(default_factory=list)


def display_filename(name: str | None, limit: int = 200) -> str:
    """The uploaded file's name, for display only (it is never used as a path): its last
    path component, NFC, without control or bidirectional characters, at most ``limit``
    characters (``participation.text.clean_filename``)."""
    return clean_filename(name, limit)


def _extension(filename: str | None) -> str:
    name = display_filename(filename).lower()
    dot = name.rfind(".")
    return name[dot:] if dot > 0 else ""


def read_table(data: bytes, filename: str | None = None, *, limits: Limits | None = None,
               is_header: Callable[[list[str]], bool] | None = None, typed: bool = False,
               refuse_formulas: bool = False) -> Table:
    """Read the table in ``data``. The type is decided by the content; the name only
    refuses macro-enabled and old-format workbooks early with a precise message.

    For a workbook, the sheet read is the first whose first rows hold a header
    (``is_header``), else the first sheet. With ``typed`` a workbook's cells keep their
    values (numbers, dates) instead of their text, for writing the table back. With
    ``refuse_formulas`` a workbook's every formula cell is a problem, even with its value.
    """
    limits = limits or Limits()
    extension = _extension(filename)
    if extension in _MACRO_EXTENSIONS:
        raise SpreadsheetRefused(_("不接受启用宏的工作簿（%(ext)s）。请在 Excel 中“另存为”普通的 .xlsx 工作簿后再上传。",
                                   ext=extension))
    if not data:
        raise SpreadsheetRefused(_("上传的文件是空的。"))
    if data.startswith(_OLE2_MAGIC) or extension in _OLD_EXCEL_EXTENSIONS:
        raise SpreadsheetRefused(_("这是旧版 Excel（.xls）或设置了密码的工作簿，无法读取。"
                                   "请在 Excel 中“另存为” .xlsx 格式（不设密码）后再上传。"))
    for magic, kind in _OTHER_MAGIC:
        if data.startswith(magic):
            raise SpreadsheetRefused(_("这是 %(kind)s 文件，不是电子表格。请上传 .xlsx 工作簿或 CSV 文件。", kind=kind))
    if data.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        return _read_workbook(data, limits, is_header, typed, refuse_formulas)
    return _read_delimited(data, limits)


# --- .xlsx -----------------------------------------------------------------------------

def _check_archive(data: bytes, limits: Limits) -> None:
    """Refuse what openpyxl should never be handed: damaged or encrypted archives, zip
    bombs (declared sizes; zipfile never inflates an entry past its declared size),
    macros, and archives that are not workbooks (a .docx, an .ods)."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        infos = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, OSError, EOFError):
        raise SpreadsheetRefused(_("文件已损坏，或不是 .xlsx 工作簿。")) from None
    with archive:
        if len(infos) > limits.max_zip_entries:
            raise SpreadsheetRefused(_("工作簿的内部结构异常（部件过多），拒绝读取。"))
        unpacked = 0
        names = set()
        for info in infos:
            if info.flag_bits & 0x1:
                raise SpreadsheetRefused(_("工作簿已加密，请取消密码后再上传。"))
            if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
                raise SpreadsheetRefused(_("工作簿的压缩方式不受支持，请在 Excel 中重新保存后再上传。"))
            unpacked += info.file_size
            names.add(info.filename)
            if "vbaproject" in info.filename.lower():
                raise SpreadsheetRefused(_("工作簿中含有宏，不能导入。请在 Excel 中“另存为”普通的 .xlsx 工作簿后再上传。"))
        if unpacked > limits.max_unpacked_bytes:
            raise SpreadsheetRefused(_("工作簿解压后过大（超过 %(mb)d MB），拒绝读取。请删去无关的工作表、图片后再上传。",
                                       mb=limits.max_unpacked_bytes // (1024 * 1024)))
        if "[Content_Types].xml" not in names:
            raise SpreadsheetRefused(_("这不是 Excel 工作簿（.xlsx）。请上传 .xlsx 或 CSV 文件。"))
        try:
            content_types = archive.read("[Content_Types].xml")
        except (zipfile.BadZipFile, ValueError, OSError, EOFError, RuntimeError):
            raise SpreadsheetRefused(_("文件已损坏，或不是 .xlsx 工作簿。")) from None
    if b"macroEnabled" in content_types or b"vbaProject" in content_types:
        raise SpreadsheetRefused(_("工作簿中含有宏，不能导入。请在 Excel 中“另存为”普通的 .xlsx 工作簿后再上传。"))
    if not _WORKBOOK_CONTENT_TYPES.search(content_types):
        raise SpreadsheetRefused(_("这不是 Excel 工作簿（.xlsx）。请上传 .xlsx 或 CSV 文件。"))


def _read_workbook(data: bytes, limits: Limits, is_header, typed: bool = False, refuse_formulas: bool = False) -> Table:
    _check_archive(data, limits)
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            package = _Package(archive, limits)
            sheets = package.sheets()
            if not sheets:
                raise SpreadsheetRefused(_("工作簿中没有工作表。"))
            chosen = sheets[0]
            if is_header is not None and len(sheets) > 1:
                for sheet in sheets:
                    if _sheet_has_header(package, sheet, limits, is_header):
                        chosen = sheet
                        break
            table = Table(format=XLSX, sheet=chosen[0])
            for row_number, cells, problems in package.rows(chosen[1], typed=typed, refuse_formulas=refuse_formulas):
                table.problems.extend(problems)
                if any(cell.strip() if isinstance(cell, str) else cell is not None for cell in cells):
                    if len(table.rows) >= limits.max_rows:
                        raise TooManyRows(_("表格超过 %(max)d 行的上限。", max=limits.max_rows))
                    table.rows.append((row_number, cells))
            return table
    except SpreadsheetRefused:
        raise
    except Exception:  # a malformed part fails in any of a dozen ways; all mean the same
        raise SpreadsheetRefused(_("无法读取这个工作簿：文件可能已损坏。请在 Excel 中打开并重新保存后再上传。")) from None


def _sheet_has_header(package: "_Package", sheet: tuple[str, str], limits: Limits, is_header) -> bool:
    seen = 0
    for _row_number, cells, _problems in package.rows(sheet[1]):
        if any(cell.strip() for cell in cells):
            if is_header(cells):
                return True
            seen += 1
            if seen >= limits.header_search_rows:
                return False
    return False


_MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PKG_REL_NS = "http://schemas.openxmlformats.org/package/2006/relationships"
_CT_NS = "http://schemas.openxmlformats.org/package/2006/content-types"
_ROW = f"{{{_MAIN_NS}}}row"
_CELL = f"{{{_MAIN_NS}}}c"
_VALUE = f"{{{_MAIN_NS}}}v"
_FORMULA = f"{{{_MAIN_NS}}}f"
_INLINE = f"{{{_MAIN_NS}}}is"
_TEXT = f"{{{_MAIN_NS}}}t"
_RUN = f"{{{_MAIN_NS}}}r"
_SI = f"{{{_MAIN_NS}}}si"
_CELL_REF = re.compile(r"([A-Z]{1,3})([0-9]{1,7})")
_ESCAPED = re.compile(r"_x([0-9A-Fa-f]{4})_")
_DTD = re.compile(rb"<!DOCTYPE|<!ENTITY", re.IGNORECASE)


def _unescape(text: str) -> str:
    """OOXML writes characters XML cannot hold (a carriage return) as _xHHHH_."""
    return _ESCAPED.sub(lambda m: chr(int(m.group(1), 16)), text) if "_x" in text else text


def _column_index(letters: str) -> int:
    index = 0
    for letter in letters:
        index = index * 26 + ord(letter) - 64
    return index - 1


class _Package:
    """A minimal, streaming reader of a workbook's parts with lxml (no DTDs, no entity
    expansion, no network): the sheets, the shared strings, which styles are dates.

    openpyxl writes the platform's workbooks, but its reader costs tens of
    microseconds a cell and parses a sheet without a <dimension> twice; a 10,000-row
    table must be read, checked and stored in well under five seconds."""

    def __init__(self, archive: zipfile.ZipFile, limits: Limits):
        self.archive = archive
        self.limits = limits
        self.workbook_path = self._workbook_part()
        self.relationships = self._relationships(self.workbook_path)
        self._strings: list[str] | None = None
        self._date_styles: set[int] | None = None
        self.epoch = None

    # XML, safely
    def _parse(self, name: str):
        from lxml import etree

        with self.archive.open(name) as source:
            head = source.read(4096)
        if _DTD.search(head):
            raise SpreadsheetRefused(_("工作簿中含有不允许的 XML 声明（DTD），拒绝读取。"))
        parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)
        with self.archive.open(name) as source:
            return etree.parse(source, parser).getroot()

    def _iterparse(self, name: str, tag: str):
        from lxml import etree

        with self.archive.open(name) as source:
            head = source.read(4096)
        if _DTD.search(head):
            raise SpreadsheetRefused(_("工作簿中含有不允许的 XML 声明（DTD），拒绝读取。"))
        with self.archive.open(name) as source:
            for _event, element in etree.iterparse(source, events=("end",), tag=tag, resolve_entities=False,
                                                   no_network=True, load_dtd=False, huge_tree=False):
                yield element
                # Free what was read: memory stays flat however long the sheet.
                element.clear()
                while element.getprevious() is not None:
                    del element.getparent()[0]

    def _workbook_part(self) -> str:
        root = self._parse("[Content_Types].xml")
        for override in root.iter(f"{{{_CT_NS}}}Override"):
            if _WORKBOOK_CONTENT_TYPES.search(override.get("ContentType", "").encode()):
                return override.get("PartName", "").lstrip("/")
        return "xl/workbook.xml"

    def _relationships(self, part: str) -> dict[str, tuple[str, str]]:
        folder, _sep, base = part.rpartition("/")
        rels = f"{folder}/_rels/{base}.rels" if folder else f"_rels/{base}.rels"
        if rels not in self.archive.namelist():
            return {}
        result = {}
        for rel in self._parse(rels).iter(f"{{{_PKG_REL_NS}}}Relationship"):
            target = rel.get("Target", "")
            if target.startswith("/"):
                path = target.lstrip("/")
            else:
                parts = (folder.split("/") if folder else []) + target.split("/")
                stack: list[str] = []
                for piece in parts:
                    if piece == "..":
                        if stack:
                            stack.pop()
                    elif piece and piece != ".":
                        stack.append(piece)
                path = "/".join(stack)
            result[rel.get("Id", "")] = (rel.get("Type", "").rsplit("/", 1)[-1], path)
        return result

    def sheets(self) -> list[tuple[str, str]]:
        """(title, part name) of the worksheets, in workbook order (chart sheets and
        sheets whose part is missing are left out)."""
        from openpyxl.utils.datetime import MAC_EPOCH, WINDOWS_EPOCH

        root = self._parse(self.workbook_path)
        properties = root.find(f"{{{_MAIN_NS}}}workbookPr")
        date1904 = properties is not None and properties.get("date1904", "").lower() in ("1", "true")
        self.epoch = MAC_EPOCH if date1904 else WINDOWS_EPOCH
        names = set(self.archive.namelist())
        result = []
        for sheet in root.iter(f"{{{_MAIN_NS}}}sheet"):
            kind, path = self.relationships.get(sheet.get(f"{{{_REL_NS}}}id", ""), ("", ""))
            if kind == "worksheet" and path in names:
                result.append((sheet.get("name", ""), path))
        return result

    def _part_of_type(self, kind: str) -> str | None:
        names = set(self.archive.namelist())
        for rel_kind, path in self.relationships.values():
            if rel_kind == kind and path in names:
                return path
        return None

    @property
    def strings(self) -> list[str]:
        if self._strings is None:
            self._strings = []
            path = self._part_of_type("sharedStrings")
            if path is not None:
                for item in self._iterparse(path, _SI):
                    self._strings.append(_unescape(_rich_text(item)))
        return self._strings

    @property
    def date_styles(self) -> set[int]:
        """Indexes of the cell formats that show a number as a date or time."""
        if self._date_styles is None:
            from openpyxl.styles.numbers import BUILTIN_FORMATS, is_date_format

            self._date_styles = set()
            path = self._part_of_type("styles")
            if path is not None:
                root = self._parse(path)
                custom = {}
                formats = root.find(f"{{{_MAIN_NS}}}numFmts")
                if formats is not None:
                    for item in formats:
                        if item.get("numFmtId", "").isdigit():
                            custom[int(item.get("numFmtId"))] = item.get("formatCode", "")
                xfs = root.find(f"{{{_MAIN_NS}}}cellXfs")
                for index, xf in enumerate(xfs if xfs is not None else ()):
                    number = xf.get("numFmtId", "0")
                    number = int(number) if number.isdigit() else 0
                    code = custom.get(number, BUILTIN_FORMATS.get(number, ""))
                    if code and is_date_format(code):
                        self._date_styles.add(index)
        return self._date_styles

    def rows(self, path: str, typed: bool = False,
             refuse_formulas: bool = False) -> Iterator[tuple[int, list, list[CellProblem]]]:
        """(row number, cell texts, problems) for every row element of a sheet. Rows
        not in the file are not made up (a sheet claiming a million rows in its
        dimension yields the rows it has)."""
        limits = self.limits
        strings = None
        row_number = 0
        for physical, row in enumerate(self._iterparse(path, _ROW), start=1):
            if physical > limits.max_physical_rows:
                raise SpreadsheetRefused(_("工作表中的行数过多（含空行超过 %(max)d 行），请删除多余的空行后再上传。",
                                           max=limits.max_physical_rows))
            declared = row.get("r")
            row_number = int(declared) if declared and declared.isdigit() else row_number + 1
            cells: list[str] = []
            problems: list[CellProblem] = []
            column = -1
            for cell in row:
                if cell.tag != _CELL:
                    continue
                reference = _CELL_REF.fullmatch(cell.get("r") or "")
                column = _column_index(reference.group(1)) if reference else column + 1
                if column >= limits.max_columns:
                    continue
                kind = cell.get("t", "n")
                raw = None
                formula = False
                inline = None
                for child in cell:  # one pass over <v>, <f>, <is>
                    tag = child.tag
                    if tag == _VALUE:
                        raw = child.text
                    elif tag == _FORMULA:
                        formula = True
                    elif tag == _INLINE:
                        inline = child
                value: object = None
                if formula and refuse_formulas:
                    problems.append(CellProblem(row_number, column, "", _(
                        "这是公式，不接受公式。请直接填写文字，或在 Excel 中将该列“粘贴为数值”。")))
                elif formula and not raw and kind != "str":
                    problems.append(CellProblem(row_number, column, "", _(
                        "这是公式，但文件中没有保存计算结果（平台不会计算公式）。请在 Excel 中打开并保存，或将该列“粘贴为数值”。")))
                elif kind == "s":
                    if strings is None:
                        strings = self.strings
                    value = strings[int(raw)] if raw is not None and raw.strip().isdigit() \
                        and int(raw) < len(strings) else None
                    if value is None:
                        raise SpreadsheetRefused(_("工作簿的共享字符串表有误，无法读取。请在 Excel 中重新保存后再上传。"))
                elif kind == "inlineStr":
                    value = _unescape(_rich_text(inline)) if inline is not None else ""
                elif kind == "str":
                    value = _unescape(raw or "")
                elif kind == "e":
                    problems.append(CellProblem(row_number, column, raw or "", _(
                        "单元格显示为错误值 %(value)s，请改正。", value=raw or "")))
                elif kind == "b":
                    value = raw in ("1", "true")
                elif kind == "d":
                    value = raw or ""
                elif raw is not None and raw.strip():
                    value = _number(raw, cell.get("s"), self)
                text = cell_text(value)
                if len(text) > limits.max_cell_chars:
                    problems.append(CellProblem(row_number, column, text[:20] + "…", _(
                        "单元格内容过长（%(count)d 字，上限 %(max)d 字）。", count=len(text), max=limits.max_cell_chars)))
                    text = ""
                if column >= len(cells):
                    cells.extend([""] * (column + 1 - len(cells)))
                cells[column] = value if typed and text and not isinstance(value, str) else text
            yield row_number, cells, problems


def _rich_text(element) -> str:
    """The text of a string item: its own <t>, or its runs' <t>s; phonetic guides
    (<rPh>) are not part of the text."""
    own = element.find(_TEXT)
    if own is not None:
        return own.text or ""
    return "".join(run.findtext(_TEXT) or "" for run in element.iterchildren(_RUN))


def _number(raw: str, style: str | None, package: _Package):
    text = raw.strip()
    number = float(text) if any(ch in text for ch in ".eE") else int(text)
    if style and style.isdigit() and int(style) in package.date_styles:
        from openpyxl.utils.datetime import from_excel

        try:
            return from_excel(number, package.epoch)
        except (OverflowError, ValueError):
            return number
    return number


def cell_text(value) -> str:
    """A cell's value as the text a person reads in it."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e16:
            return str(int(value))
        return repr(value)
    if isinstance(value, datetime):
        if value.time() == time(0):
            return value.date().isoformat()
        return value.isoformat(sep=" ", timespec="minutes")
    if isinstance(value, (date, time)):
        return value.isoformat()
    if isinstance(value, timedelta):
        return str(value)
    return str(value)


# --- CSV and Excel's "Unicode text" -----------------------------------------------------

def decode_text(data: bytes) -> tuple[str, str]:
    """(text, codec) of a text file, without asking the user: a BOM decides (UTF-8,
    UTF-16); else UTF-8 if it decodes strictly, else GB18030 (a superset of GBK, what
    Chinese Excel writes for "CSV"). UTF-16 without a BOM is recognised by its zero
    bytes."""
    if data.startswith(codecs.BOM_UTF8):
        return _decode(data, UTF8_BOM), UTF8_BOM
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)) and not data.startswith(codecs.BOM_UTF32_LE):
        return _decode(data, UTF16), UTF16
    head = data[:4096]
    if head.count(0):
        even_zeros = head[0::2].count(0)
        odd_zeros = head[1::2].count(0)
        half = len(head) // 2
        if odd_zeros > half * 0.3 and even_zeros < half * 0.05:
            return _decode(data, "utf-16-le"), UTF16
        if even_zeros > half * 0.3 and odd_zeros < half * 0.05:
            return _decode(data, "utf-16-be"), UTF16
        raise SpreadsheetRefused(_("这不是表格文件（含有二进制内容）。请上传 .xlsx 工作簿或 CSV 文件。"))
    try:
        return data.decode(UTF8), UTF8
    except UnicodeDecodeError:
        pass
    try:
        return data.decode(GB18030), GB18030
    except UnicodeDecodeError:
        raise SpreadsheetRefused(_("无法识别文件的文字编码。请在 Excel 中另存为 .xlsx 工作簿，"
                                   "或另存为“CSV UTF-8（逗号分隔）”后再上传。")) from None


def _decode(data: bytes, codec: str) -> str:
    try:
        return data.decode(codec)
    except UnicodeDecodeError:
        raise SpreadsheetRefused(_("文件的文字编码有误（%(codec)s），无法读取。请在 Excel 中重新保存后再上传。",
                                   codec=codec.upper())) from None


def _read_delimited(data: bytes, limits: Limits) -> Table:
    text, encoding = decode_text(data)
    sample = text[:65536]
    if "\x00" in sample or len(_CONTROL_CHARS.findall(sample)) > max(10, len(sample) // 100):
        raise SpreadsheetRefused(_("这不是表格文件（含有二进制内容）。请上传 .xlsx 工作簿或 CSV 文件。"))
    delimiter = None
    sep = _SEP_LINE.match(text)
    if sep:  # Excel's "sep=;" hint line, not a row of the table
        delimiter = sep.group(1)
        text = text[sep.end():]
    if delimiter is None:
        first_line = next((line for line in text.splitlines() if line.strip()), "")
        delimiter = "\t" if first_line.count("\t") > first_line.count(",") else ","
    table = Table(format=CSV, encoding=encoding)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    record = 0
    try:
        for record, cells in enumerate(reader, start=1):
            if record > limits.max_physical_rows:
                raise SpreadsheetRefused(_("文件中的行数过多（含空行超过 %(max)d 行），请删除多余的空行后再上传。",
                                           max=limits.max_physical_rows))
            if not any(cell.strip() for cell in cells):
                continue
            if len(table.rows) >= limits.max_rows:
                raise TooManyRows(_("表格超过 %(max)d 行的上限。", max=limits.max_rows))
            cells = cells[:limits.max_columns]
            for column, value in enumerate(cells):
                if len(value) > limits.max_cell_chars:
                    table.problems.append(CellProblem(record, column, value[:20] + "…", _(
                        "单元格内容过长（%(count)d 字，上限 %(max)d 字）。", count=len(value), max=limits.max_cell_chars)))
                    cells[column] = ""
            table.rows.append((record, cells))
    except csv.Error:
        raise SpreadsheetRefused(_("第 %(row)d 行附近的格式有误（引号不成对，或单元格过长），无法读取。",
                                   row=record + 1)) from None
    return table
