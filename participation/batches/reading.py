"""Reading what a point sends into rows: an uploaded .xlsx or CSV (any of the
encodings people save in; the cells are read by ``participation.spreadsheets``) or the
API's JSON rows. Reading finds the header row and maps the columns to the row fields;
it checks nothing against a draft (that is ``checking``)."""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field

from flask import current_app
from flask_babel import gettext as _
from openpyxl.utils import get_column_letter

from participation import spreadsheets
from participation.batches.rows import BatchRejected, RowError, RowInput, max_rows
from participation.batches.vocabulary import (
    CATEGORY_WORDS, FIELDS, HEADERS, JSON_TEXT_LIMITS, MAX_REPRESENTED, OPINIONS, STANCE_WORDS, Layout,
)
from participation.services.opinions import MAX_BODY_LENGTH
from participation.text import clean_text, is_storable_text


def reading_limits() -> spreadsheets.Limits:
    """How much of a file is read (BATCH_MAX_ROWS, BATCH_MAX_UNPACKED_BYTES)."""
    base = spreadsheets.Limits()
    return spreadsheets.Limits(
        max_rows=max_rows() + base.header_search_rows,
        max_unpacked_bytes=current_app.config["BATCH_MAX_UNPACKED_BYTES"],
    )


@dataclass
class ParsedUpload:
    """An uploaded file read into rows (not yet checked against a draft)."""

    format: str
    encoding: str
    sheet: str
    digest: str
    filename: str
    header_row: int | None
    headers: list[str]
    columns: dict[str, int]
    rows: list[RowInput]
    problems: list[RowError] = field(default_factory=list)
    canonical: dict[str, str] = field(default_factory=lambda: HEADERS)

    @property
    def names(self) -> dict[str, str]:
        return {name: clean_text(self.headers[index], multiline=False) or self.canonical[name]
                for name, index in self.columns.items()}

    @property
    def letters(self) -> dict[str, str]:
        return {name: get_column_letter(index + 1) for name, index in self.columns.items()}

    @property
    def ignored_headers(self) -> list[str]:
        used = set(self.columns.values())
        return [clean_text(h, multiline=False) for index, h in enumerate(self.headers) if index not in used and h.strip()]


def file_digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def read_upload(data: bytes, filename: str | None, layout: Layout = OPINIONS) -> ParsedUpload:
    """Read an uploaded .xlsx or CSV into rows. Raises BatchRejected when the file
    cannot be read at all or has no usable header; problems in single cells (a
    formula without its value, an error value, an over-long cell) are kept in
    ``problems`` and reported with the rows' own errors."""
    shown_name = spreadsheets.display_filename(filename)
    try:
        table = spreadsheets.read_table(data, filename, limits=reading_limits(), is_header=layout.is_header_row)
    except spreadsheets.TooManyRows:
        raise _file_rejected(shown_name, _("表格超过 %(max)d 行的上限，请分成几批上传。", max=max_rows())) from None
    except spreadsheets.SpreadsheetRefused as exc:
        raise _file_rejected(shown_name, exc.message) from None

    header_index = None
    for index, (_row_number, cells) in enumerate(table.rows[:spreadsheets.Limits().header_search_rows]):
        if layout.is_header_row(cells):
            header_index = index
            break
    if header_index is None:
        raise _file_rejected(shown_name, layout.no_header_message())
    header_row, headers = table.rows[header_index]
    columns: dict[str, int] = {}
    errors: list[RowError] = []
    for index, header in enumerate(headers):
        name = layout.field_of_header(header)
        if name is None:
            continue
        if name in columns:
            errors.append(RowError(header_row, clean_text(header, multiline=False), header, _(
                "表头“%(header)s”重复（第 %(first)s 列和第 %(second)s 列），请只保留一列。", header=layout.headers[name],
                first=get_column_letter(columns[name] + 1), second=get_column_letter(index + 1)),
                letter=get_column_letter(index + 1)))
            continue
        columns[name] = index
    if errors:
        raise BatchRejected(errors, message=errors[0].message, fields={"file": [error.message for error in errors]})

    upload = ParsedUpload(
        format=table.format, encoding=table.encoding, sheet=table.sheet, digest=file_digest(data),
        filename=shown_name, header_row=header_row, headers=headers, columns=columns, rows=[],
        canonical=layout.headers,
    )
    for row_number, cells in table.rows[header_index + 1:]:
        values = {name: (cells[index] if index < len(cells) else "") for name, index in columns.items()}
        # A row with nothing in the known columns (only a pre-printed 序号, say) is empty.
        if any(value.strip() for value in values.values()):
            upload.rows.append(RowInput(row_number, values))
    by_index = {index: name for name, index in columns.items()}
    names, letters = upload.names, upload.letters
    for problem in table.problems:
        name = by_index.get(problem.column)
        if name is not None and problem.row > header_row:
            upload.problems.append(RowError(problem.row, names[name], problem.value, problem.message, letters[name], name))
    return upload


def _file_rejected(filename: str, message: str) -> BatchRejected:
    return BatchRejected([RowError(None, "file", filename, message)], message=message, fields={"file": [message]})


def rows_from_json(items) -> tuple[list[RowInput], list[RowError]]:
    """The ``rows`` of an API request, read strictly: types, lengths and the stance and
    category words exactly as documented. Returns the rows and the problems found (by
    row and field; unknown fields are refused, not ignored), which ``check``
    reports together with the rows' other errors. Raises BatchRejected when ``rows`` is
    not a list or too long."""
    if not isinstance(items, list):
        message = _("rows 必须是数组。")
        raise BatchRejected([RowError(None, "rows", "", message)], message=message, fields={"rows": [message]})
    if len(items) > max_rows():
        message = _("一个批次最多 %(max)d 行，请分成几批提交。", max=max_rows())
        raise BatchRejected([RowError(None, "rows", str(len(items)), message)], message=message,
                            fields={"rows": [message]})
    rows: list[RowInput] = []
    errors: list[RowError] = []
    for number, item in enumerate(items, start=1):
        if not isinstance(item, dict):
            errors.append(RowError(number, "rows", _short(item), _("每一行必须是 JSON 对象。")))
            continue
        values: dict[str, str] = {}

        def fail(name: str, value, message: str) -> None:
            errors.append(RowError(number, name, _short(value), message, field=name if name in FIELDS else ""))

        for name, value in item.items():
            if name not in FIELDS:
                fail(str(name)[:50], value, _("不接受此字段。可用字段：%(fields)s。", fields=_("、").join(FIELDS)))
            elif name == "represented":
                if value is None:
                    values[name] = ""
                elif isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= MAX_REPRESENTED:
                    values[name] = str(value)
                else:
                    fail(name, value, _("必须是 1 到 %(max)d 之间的整数，或 null（记为 1）。", max=MAX_REPRESENTED))
            elif value is None:
                values[name] = ""
            elif not isinstance(value, str):
                fail(name, value, _("必须是字符串。"))
            elif not is_storable_text(value):
                fail(name, "", _("含有无效的字符（不成对的代理项）。"))
            elif name == "stance" and value and value not in STANCE_WORDS:
                fail(name, value, _("无法识别态度。请填写：%(choices)s。", choices="、".join(STANCE_WORDS)))
            elif name == "category" and value and value not in CATEGORY_WORDS:
                fail(name, value, _("无法识别提出人类别。请填写：%(choices)s。", choices="、".join(CATEGORY_WORDS)))
            elif len(value) > JSON_TEXT_LIMITS.get(name, MAX_BODY_LENGTH):
                fail(name, value, _("不能超过 %(limit)d 个字（现有 %(count)d 个字）。",
                                    limit=JSON_TEXT_LIMITS.get(name, MAX_BODY_LENGTH), count=len(value)))
            else:
                values[name] = value
        rows.append(RowInput(number, {name: values.get(name, "") for name in FIELDS}))
    return rows, errors


def json_digest(items) -> str:
    canonical = json.dumps(items, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8", "surrogatepass")).hexdigest()


def _short(value, limit: int = 50) -> str:
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)
    text = text if is_storable_text(text) else ""
    return text if len(text) <= limit else text[:limit] + "…"
