"""What every step of a batch passes on: the rows as sent, the rows as checked, and the
errors found, by row and column, with the refusal that carries them."""
from __future__ import annotations

from dataclasses import dataclass

from flask import current_app
from flask_babel import gettext as _

from participation.batches.vocabulary import FIELDS
from participation.errors import ValidationFailed

# Errors listed for one upload; a table wrong throughout says so in its first thousand.
MAX_ERRORS = 1000


def max_rows() -> int:
    """BATCH_MAX_ROWS: opinion rows one batch may hold."""
    return current_app.config["BATCH_MAX_ROWS"]


@dataclass
class RowInput:
    """One row as sent: the text of each field ('' when absent)."""

    row: int
    values: dict[str, str]


@dataclass
class RowError:
    row: int | None   # None: about the file or the request as a whole
    column: str       # the header as written in the file, or the JSON field
    value: str
    message: str
    letter: str = ""  # the spreadsheet's column letter, for files
    field: str = ""   # the row field, for ordering a row's errors as its columns

    def as_dict(self) -> dict:
        return {"row": self.row, "column": self.column, "value": self.value, "message": self.message}


class BatchRejected(ValidationFailed):
    """Nothing was stored: ``errors`` lists every problem found, by row and column."""

    def __init__(self, errors: list[RowError], *, message: str | None = None, fields: dict | None = None):
        shown = errors[:MAX_ERRORS]
        self.errors = shown
        self.more_errors = len(errors) - len(shown)
        if message is None:
            message = _("表格中有 %(count)d 处错误，整批未导入。请改正后重新上传。", count=len(errors))
        super().__init__(message, fields=fields or {})


@dataclass
class CleanRow:
    row: int
    provision_id: int | None
    provision_key: str | None
    citation: str
    stance: str
    body: str
    proposed_text: str
    reason: str
    category: str
    name: str
    region: str
    represented: int


def error_order(error: RowError) -> tuple[int, int]:
    """By row, then by column in the template's order (file-level errors first)."""
    return error.row or 0, FIELDS.index(error.field) if error.field in FIELDS else -1
