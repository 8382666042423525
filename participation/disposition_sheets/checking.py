"""Checking an uploaded disposition sheet against a draft, every row, every error at
once: what would change, what stays, and why nothing may change yet.

A row is: an opinion id, a disposition word, a reason and a note. A blank disposition
leaves the row's opinion as it is; the row then may not carry a reason or note other
than the recorded ones (typed text that would be silently dropped is an error). A
missing 处理理由 or 内部备注 column keeps what is recorded.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

from flask import current_app
from flask_babel import gettext as _
from openpyxl.utils import get_column_letter
from sqlalchemy import select

from participation import spreadsheets
from participation.batches.rows import RowError
from participation.disposition_sheets.columns import (
    HEADERS, READ_FIELDS, REQUIRED_FIELDS, WRITTEN_FIELDS, disposition_lookup, disposition_of, disposition_words,
    field_of_header, is_header_row, max_rows,
)
from participation.errors import ValidationFailed
from participation.extensions import db
from participation.models import Draft, Opinion
from participation.queries import MAX_ID
from participation.services import dispositions
from participation.services.dispositions import DispositionInput, OpinionChange
from participation.text import clean_text

#: Errors listed for one upload; a sheet wrong throughout says so in its first thousand.
MAX_ERRORS = 1000
_CHUNK = 900  # ids per IN (…): under every database's limit on bound parameters


@dataclass(frozen=True)
class SheetChange:
    row: int
    opinion_id: int
    receipt_code: str
    old: DispositionInput
    new: DispositionInput


@dataclass
class SheetCheck:
    """What ``check`` found. Nothing may be applied while ``refused`` or ``errors``."""

    draft_id: int
    filename: str
    digest: str
    format: str = ""
    rows: int = 0                         # rows of opinions read
    changes: list[SheetChange] = field(default_factory=list)
    unchanged: int = 0
    errors: list[RowError] = field(default_factory=list)
    error_count: int = 0
    refused: str | None = None            # the file could not be read at all

    @property
    def ok(self) -> bool:
        return self.refused is None and not self.error_count

    def fingerprint(self) -> str:
        """Names exactly the changes found: the confirmation applies what was shown, or
        nothing (the opinions changed in between)."""
        digest = hashlib.sha256(self.digest.encode())
        for change in self.changes:
            digest.update("\x1f".join((str(change.opinion_id), change.new.disposition, change.new.reason,
                                       change.new.note, change.old.disposition, change.old.reason,
                                       change.old.note)).encode("utf-8", "surrogatepass"))
            digest.update(b"\x1e")
        return digest.hexdigest()[:32]

    def opinion_changes(self) -> list[OpinionChange]:
        return [OpinionChange(change.opinion_id, change.new) for change in self.changes]


def reading_limits() -> spreadsheets.Limits:
    base = spreadsheets.Limits()
    return spreadsheets.Limits(max_rows=max_rows() + base.header_search_rows,
                               max_unpacked_bytes=current_app.config["BATCH_MAX_UNPACKED_BYTES"])


def file_digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def check(data: bytes, filename: str | None, draft: Draft) -> SheetCheck:
    """Read the uploaded .xlsx or CSV and check every row against ``draft``. Never
    raises for what was sent: a file that cannot be read is ``refused``, row errors
    are listed (by row, then column)."""
    result = SheetCheck(draft_id=draft.id, filename=spreadsheets.display_filename(filename),
                        digest=file_digest(data or b""))
    try:
        table = spreadsheets.read_table(data, filename, limits=reading_limits(), is_header=is_header_row,
                                        refuse_formulas=True)
    except spreadsheets.TooManyRows:
        result.refused = _("表格超过 %(max)d 行的上限，请按条款等条件筛选后分批下载、填写和上传。", max=max_rows())
        return result
    except spreadsheets.SpreadsheetRefused as exc:
        result.refused = exc.message
        return result
    result.format = table.format
    header_index = next((index for index, (_n, cells) in enumerate(table.rows[:spreadsheets.Limits().header_search_rows])
                         if is_header_row(cells)), None)
    if header_index is None:
        result.refused = _("没有找到表头：表格前几行中应有“意见编号”和“处理情况”两列。请使用从平台下载的处理情况表。")
        return result
    header_row, headers = table.rows[header_index]
    columns, errors = _columns(header_row, headers)
    if errors:
        return _finish(result, errors)
    _RowChecker(result, draft, table, header_row, columns).run()
    return result


def _columns(header_row: int, headers: list[str]) -> tuple[dict[str, int], list[RowError]]:
    columns: dict[str, int] = {}
    errors = []
    for index, header in enumerate(headers):
        name = field_of_header(header)
        if name is None:
            continue
        if name in columns:
            errors.append(RowError(header_row, HEADERS[name], header, _(
                "表头“%(header)s”重复（第 %(first)s 列和第 %(second)s 列），请只保留一列。", header=HEADERS[name],
                first=get_column_letter(columns[name] + 1), second=get_column_letter(index + 1)),
                letter=get_column_letter(index + 1), field=name))
            continue
        columns[name] = index
    return columns, errors


def _finish(result: SheetCheck, errors: list[RowError]) -> SheetCheck:
    order = {name: index for index, name in enumerate(READ_FIELDS)}
    errors.sort(key=lambda error: (error.row or 0, order.get(error.field, -1)))
    result.error_count = len(errors)
    result.errors = errors[:MAX_ERRORS]
    if errors:
        result.changes = []
    return result


@dataclass
class _Row:
    row: int
    opinion_id: int | None
    word: str
    reason: str | None   # None: no such column
    note: str | None
    receipt_code: str
    unreadable: bool     # a cell already reported (a formula, an error value): nothing more to say


class _RowChecker:
    """The rows below the header, checked in three passes: the cells themselves, the
    opinions they name (loaded a few hundred at a time), then each disposition."""

    def __init__(self, result: SheetCheck, draft: Draft, table: spreadsheets.Table, header_row: int,
                 columns: dict[str, int]):
        self.result, self.draft, self.table, self.header_row, self.columns = result, draft, table, header_row, columns
        self.errors: list[RowError] = []
        self.lookup = disposition_lookup()

    def error(self, row: int, name: str, value: str, message: str) -> None:
        index = self.columns.get(name)
        shown = value if len(value) <= 50 else value[:50] + "…"
        self.errors.append(RowError(row, HEADERS[name], shown, message,
                                    letter=get_column_letter(index + 1) if index is not None else "", field=name))

    def run(self) -> None:
        rows = self._read_rows()
        self.result.rows = len(rows)
        if len(rows) > max_rows():
            self.result.refused = _("表格超过 %(max)d 行的上限，请按条款等条件筛选后分批下载、填写和上传。", max=max_rows())
            return
        stored = self._stored({row.opinion_id for row in rows if row.opinion_id is not None})
        for row in rows:
            self._check_row(row, stored)
        _finish(self.result, self.errors)

    def _read_rows(self) -> list[_Row]:
        by_index = {index: name for name, index in self.columns.items()}
        bad_cells = set()
        for problem in self.table.problems:
            name = by_index.get(problem.column)
            if name is not None and problem.row > self.header_row:
                self.error(problem.row, name, problem.value, problem.message)
                bad_cells.add((problem.row, name))
        rows: list[_Row] = []
        first_row_of: dict[int, int] = {}
        header_seen = False
        for row_number, cells in self.table.rows:
            if not header_seen:
                header_seen = row_number == self.header_row
                continue
            values = {name: (cells[index] if index < len(cells) else "") for name, index in self.columns.items()}
            if not any(value.strip() for value in values.values()) and not any(
                    (row_number, name) in bad_cells for name in self.columns):
                continue
            unreadable = any((row_number, name) in bad_cells for name in self.columns)
            if self.table.format == "csv":
                unreadable = self._csv_formulas(row_number, values) or unreadable
            opinion_id = None if (row_number, "id") in bad_cells else \
                self._opinion_id(row_number, values.get("id", ""), first_row_of)
            rows.append(_Row(
                row_number, opinion_id, values.get("disposition", ""),
                clean_text(values["disposition_reason"]) if "disposition_reason" in values else None,
                clean_text(values["note"]) if "note" in values else None,
                clean_text(values.get("receipt_code", ""), multiline=False), unreadable,
            ))
        return rows

    def _csv_formulas(self, row: int, values: dict[str, str]) -> bool:
        """A CSV holds no formulas, but Excel makes one of a cell that begins with "="
        when the file is opened: refused in the columns written back, like a workbook's."""
        found = False
        for name in WRITTEN_FIELDS:
            if values.get(name, "").lstrip().startswith("="):
                self.error(row, name, values[name], _(
                    "这是公式，不接受公式。请直接填写文字，或在 Excel 中将该列“粘贴为数值”。"))
                found = True
        return found

    def _opinion_id(self, row: int, text: str, first_row_of: dict[int, int]) -> int | None:
        cleaned = clean_text(text, multiline=False)
        if not cleaned:
            self.error(row, "id", "", _("缺少意见编号。"))
            return None
        if not cleaned.isdigit() or not 0 < int(cleaned) <= MAX_ID:
            self.error(row, "id", cleaned, _("意见编号应为正整数，请使用下载的处理情况表中的编号。"))
            return None
        opinion_id = int(cleaned)
        if opinion_id in first_row_of:
            self.error(row, "id", cleaned, _("意见编号 %(id)d 与第 %(row)d 行重复，每条意见只能填写一行。",
                                             id=opinion_id, row=first_row_of[opinion_id]))
            return None
        first_row_of[opinion_id] = row
        return opinion_id

    def _stored(self, ids: set[int]) -> dict[int, tuple]:
        found: dict[int, tuple] = {}
        ordered = sorted(ids)
        for start in range(0, len(ordered), _CHUNK):
            found.update((row.id, row) for row in db.session.execute(
                select(Opinion.id, Opinion.draft_id, Opinion.receipt_code, Opinion.disposition,
                       Opinion.disposition_reason, Opinion.disposition_note)
                .where(Opinion.id.in_(ordered[start:start + _CHUNK]))))
        return found

    def _check_row(self, row: _Row, stored: dict[int, tuple]) -> None:
        word_ok = self._word_ok(row)
        if row.opinion_id is None:
            return
        opinion = stored.get(row.opinion_id)
        if opinion is None:
            self.error(row.row, "id", str(row.opinion_id), _("没有编号为 %(id)d 的意见。", id=row.opinion_id))
            return
        if opinion.draft_id != self.draft.id:
            self.error(row.row, "id", str(row.opinion_id), _(
                "意见 %(id)d 不是本草案的意见（属于另一部草案），请在该草案的处理情况表中填写。", id=row.opinion_id))
            return
        if row.receipt_code and row.receipt_code != opinion.receipt_code:
            self.error(row.row, "receipt_code", row.receipt_code, _(
                "回执码与意见编号 %(id)d 不符（应为 %(code)s）：可能只对部分列排序或改动了编号。",
                id=row.opinion_id, code=opinion.receipt_code))
            return
        if row.unreadable:
            return
        old = DispositionInput(opinion.disposition, opinion.disposition_reason or "", opinion.disposition_note or "")
        reason = old.reason if row.reason is None else row.reason
        note = old.note if row.note is None else row.note
        if not row.word.strip():
            if (reason, note) != (old.reason, old.note):
                self.error(row.row, "disposition", "", _(
                    "处理情况为空的行不作修改。如要修改处理理由或内部备注，请同时选择处理情况。"))
            else:
                self.result.unchanged += 1
            return
        if not word_ok:
            return
        self._dispose(row, opinion, old, DispositionInput(disposition_of(row.word, self.lookup), reason, note))

    def _word_ok(self, row: _Row) -> bool:
        if row.word.strip() and disposition_of(row.word, self.lookup) is None:
            self.error(row.row, "disposition", clean_text(row.word, multiline=False), _(
                "无法识别处理情况。请从下拉列表选择：%(words)s。", words="、".join(disposition_words())))
            return False
        return True

    def _dispose(self, row: _Row, opinion, old: DispositionInput, data: DispositionInput) -> None:
        try:
            new = dispositions.check(data)
        except ValidationFailed as exc:
            for name, messages in exc.fields.items():
                column = {"reason": "disposition_reason", "note": "note"}.get(name, "disposition")
                value = {"disposition_reason": data.reason, "note": data.note}.get(column, data.disposition)
                for message in messages:
                    self.error(row.row, column, value, message)
            return
        if new == old:
            self.result.unchanged += 1
        else:
            self.result.changes.append(SheetChange(row.row, row.opinion_id, opinion.receipt_code, old, new))
