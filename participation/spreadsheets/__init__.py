"""Spreadsheets exchanged with liaison points: reading uploaded tables safely (.xlsx and
CSV in the encodings Chinese Excel writes) and writing workbooks (the batch template,
the feedback sheet). Pure functions over bytes: no database, no request.

Reading never trusts the file: its type is decided by its content, never by its name;
zip archives are checked (entries, declared sizes, macros, encryption) before any part
is parsed; XML is streamed with lxml without DTDs or entity expansion; formulas are read
as the values Excel saved with them and never evaluated; every limit ends in a message
for the user. Workbooks are written with openpyxl.
"""
from participation.spreadsheets.reading import (
    CellProblem,
    Limits,
    SpreadsheetRefused,
    Table,
    TooManyRows,
    display_filename,
    read_table,
)
from participation.spreadsheets.writing import (
    XLSX_MIMETYPE,
    ClauseChoice,
    TemplateColumn,
    text_cell,
    workbook_bytes,
    write_feedback,
    write_table,
    write_template,
)

__all__ = [
    "CellProblem", "ClauseChoice", "Limits", "SpreadsheetRefused", "Table", "TemplateColumn", "TooManyRows",
    "XLSX_MIMETYPE",
    "display_filename", "read_table", "text_cell", "workbook_bytes", "write_feedback", "write_table",
    "write_template",
]
