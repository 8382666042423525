"""Writing workbooks: the template a liaison point fills in, the feedback sheet (its
upload with the dispositions added), and tables staff fill in and upload back.

Every text is written as text: a value beginning with "=" stays the characters typed,
never becomes a formula in the recipient's Excel (formula injection). A text that a
spreadsheet would take for a formula if it were typed in (it begins with "=", "+", "-",
"@", a tab or a carriage return) also gets the cell's quote prefix (``quotePrefix="1"``
on its style, what Excel's leading apostrophe sets): the cell stays marked as typed text
when someone edits it, copies it or re-saves the sheet in another format.
"""
from __future__ import annotations

import io
from collections.abc import Iterable
from dataclasses import dataclass

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

_HEADER_FONT = Font(bold=True)
_HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")
_ADDED_FILL = PatternFill("solid", fgColor="FFF2CC")
_WRAP = Alignment(wrap_text=True, vertical="top")
# A drop-down's items are written into the validation itself, which Excel limits to
# 255 characters; the clause list lives on a sheet of its own instead.
_MAX_INLINE_LIST = 255
#: First characters that make a typed cell a formula (OWASP "CSV injection").
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def needs_quote_prefix(value) -> bool:
    return isinstance(value, str) and value.startswith(FORMULA_TRIGGERS)


@dataclass(frozen=True)
class TemplateColumn:
    header: str
    width: int = 16
    prompt: str = ""                     # shown by Excel when the cell is selected
    choices: tuple[str, ...] = ()        # drop-down that only accepts these
    clause_list: bool = False            # drop-down of the clause sheet, free text allowed
    whole_number_min: int | None = None  # whole numbers from this value


@dataclass(frozen=True)
class ClauseChoice:
    citation: str  # what the operator picks or types: 第十一条第一款第（三）项
    key: str       # the platform's key: art.11.1.3
    excerpt: str


def text_cell(sheet, value, *, font=None, fill=None, alignment=None) -> WriteOnlyCell:
    """A write-only cell holding ``value``; strings always as text."""
    cell = WriteOnlyCell(sheet, value=value)
    if isinstance(value, str):
        cell.data_type = "s"
        cell.quotePrefix = needs_quote_prefix(value)
    if font is not None:
        cell.font = font
    if fill is not None:
        cell.fill = fill
    if alignment is not None:
        cell.alignment = alignment
    return cell


def _set_text(cell, value) -> None:
    cell.value = value
    if isinstance(value, str):
        cell.data_type = "s"
        cell.quotePrefix = needs_quote_prefix(value)


def write_template(*, document_title: str, sheet_title: str, columns: list[TemplateColumn], data_rows: int,
                   clause_sheet_title: str, clause_headers: tuple[str, str, str], clauses: list[ClauseChoice],
                   instructions_title: str, instructions: list[str]) -> Workbook:
    """The batch template: the sheet to fill (headers, drop-downs), the clause list the
    drop-down of the clause column reads, and the instructions."""
    workbook = Workbook()
    workbook.properties.title = document_title
    sheet = workbook.active
    sheet.title = sheet_title
    for index, column in enumerate(columns, start=1):
        cell = sheet.cell(row=1, column=index)
        _set_text(cell, column.header)
        cell.font = _HEADER_FONT
        cell.fill = _HEADER_FILL
        cell.alignment = Alignment(vertical="center")
        sheet.column_dimensions[get_column_letter(index)].width = column.width
    sheet.freeze_panes = "A2"
    last_row = data_rows + 1

    clause_sheet = workbook.create_sheet(clause_sheet_title)
    for index, header in enumerate(clause_headers, start=1):
        cell = clause_sheet.cell(row=1, column=index)
        _set_text(cell, header)
        cell.font = _HEADER_FONT
        cell.fill = _HEADER_FILL
    for row, clause in enumerate(clauses, start=2):
        for index, value in enumerate((clause.citation, clause.key, clause.excerpt), start=1):
            _set_text(clause_sheet.cell(row=row, column=index), value)
    clause_sheet.column_dimensions["A"].width = 30
    clause_sheet.column_dimensions["B"].width = 16
    clause_sheet.column_dimensions["C"].width = 80
    clause_sheet.freeze_panes = "A2"

    for index, column in enumerate(columns, start=1):
        letter = get_column_letter(index)
        target = f"{letter}2:{letter}{last_row}"
        validation = None
        if column.choices:
            items = ",".join(column.choices)
            if len(items) + 2 <= _MAX_INLINE_LIST:
                validation = DataValidation(type="list", formula1=f'"{items}"', allow_blank=True)
                validation.showErrorMessage = True
                validation.errorTitle = column.header
                validation.error = column.prompt or column.header
        elif column.clause_list and clauses:
            source = f"'{clause_sheet_title}'!$A$2:$A${len(clauses) + 1}"
            validation = DataValidation(type="list", formula1=source, allow_blank=True)
            # A suggestion list: people also type 第11条 or 第十一条第二款 themselves.
            validation.showErrorMessage = False
        elif column.whole_number_min is not None:
            validation = DataValidation(type="whole", operator="greaterThanOrEqual",
                                        formula1=str(column.whole_number_min), allow_blank=True)
            validation.showErrorMessage = True
            validation.errorTitle = column.header
            validation.error = column.prompt or column.header
        if validation is None and column.prompt:
            validation = DataValidation(type=None, allow_blank=True)
        if validation is not None:
            if column.prompt:
                validation.showInputMessage = True
                validation.promptTitle = column.header[:32]
                validation.prompt = column.prompt[:255]
            sheet.add_data_validation(validation)
            validation.add(target)

    help_sheet = workbook.create_sheet(instructions_title)
    help_sheet.column_dimensions["A"].width = 110
    for row, line in enumerate(instructions, start=1):
        cell = help_sheet.cell(row=row, column=1)
        _set_text(cell, line)
        cell.alignment = _WRAP
        if row == 1:
            cell.font = Font(bold=True, size=14)
    workbook.active = 0
    return workbook


def write_feedback(*, sheet_title: str, rows: Iterable[tuple[int, list]], header_row: int | None,
                   added_from: int | None = None, widths: dict[int, int] | None = None) -> Workbook:
    """A sheet with each row at its row number (``rows`` ascending; gaps stay empty, so
    the rows are where they were in the upload). The header row is bold; columns from
    ``added_from`` (0-based) on are shaded as the ones the platform added."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(sheet_title)
    for column, width in (widths or {}).items():
        sheet.column_dimensions[get_column_letter(column + 1)].width = width
    current = 0
    for row_number, values in rows:
        while current < row_number - 1:
            sheet.append([])
            current += 1
        header = row_number == header_row
        cells = []
        for index, value in enumerate(values):
            added = added_from is not None and index >= added_from
            cells.append(text_cell(
                sheet, value,
                font=_HEADER_FONT if header else None,
                fill=(_ADDED_FILL if added else _HEADER_FILL) if header else None,
            ))
        sheet.append(cells)
        current = row_number
    return workbook


def write_table(*, sheet_title: str, headers: list[str], rows: Iterable[list], widths: list[int],
                editable_from: int, choices: dict[int, tuple[str, ...]] | None = None, choice_error: str = "",
                instructions_title: str = "", instructions: list[str] | None = None) -> Workbook:
    """A table to fill in and upload back (streamed: tens of thousands of rows): the
    header row frozen, columns from ``editable_from`` (0-based) on shaded as the ones to
    fill, a drop-down on the columns of ``choices`` (0-based index → words), and an
    optional sheet of instructions."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(sheet_title)
    for index, width in enumerate(widths):
        sheet.column_dimensions[get_column_letter(index + 1)].width = width
    sheet.freeze_panes = "A2"
    for index, words in (choices or {}).items():
        letter = get_column_letter(index + 1)
        validation = DataValidation(type="list", formula1=f'"{",".join(words)}"', allow_blank=True)
        validation.showErrorMessage = True
        validation.errorTitle = headers[index][:32]
        validation.error = (choice_error or headers[index])[:255]
        validation.add(f"{letter}2:{letter}1048576")
        sheet.data_validations.append(validation)
    sheet.append([text_cell(sheet, header, font=_HEADER_FONT,
                            fill=_ADDED_FILL if index >= editable_from else _HEADER_FILL)
                  for index, header in enumerate(headers)])
    for values in rows:
        sheet.append([text_cell(sheet, value) for value in values])
    if instructions:
        help_sheet = workbook.create_sheet(instructions_title or "说明")
        help_sheet.column_dimensions["A"].width = 110
        for number, line in enumerate(instructions):
            help_sheet.append([text_cell(help_sheet, line, alignment=_WRAP,
                                         font=Font(bold=True, size=14) if number == 0 else None)])
    return workbook


def workbook_bytes(workbook: Workbook) -> bytes:
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
