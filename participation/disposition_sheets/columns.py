"""The columns of the disposition sheet (处理情况表) and the words of its 处理情况 column.

The headers are the spreadsheet format and are never translated (like the batch
template's). Columns are found by their header, in any order, after NFKC normalisation
without spaces and notes in brackets: ``处理情况（必填）`` names the disposition column.
"""
from __future__ import annotations

import re
import unicodedata

from flask import current_app
from flask_babel import force_locale

from participation import labels

#: Every column, in the order the download writes them; the last three are filled in.
FIELDS = ("id", "receipt_code", "clause", "stance", "body", "proposed_text", "reason", "category", "point", "state",
          "disposition", "disposition_reason", "note")
HEADERS = {
    "id": "意见编号", "receipt_code": "回执码", "clause": "条款", "stance": "态度", "body": "意见内容",
    "proposed_text": "修改建议", "reason": "理由", "category": "提出人类别", "point": "联系点", "state": "状态",
    "disposition": "处理情况", "disposition_reason": "处理理由", "note": "内部备注",
}
WIDTHS = (10, 16, 22, 8, 50, 30, 30, 12, 16, 10, 16, 40, 30)
EDITABLE_FROM = FIELDS.index("disposition")
#: What an upload reads (everything else is for reading in Excel); the first two must be there.
READ_FIELDS = ("id", "disposition", "disposition_reason", "note", "receipt_code")
REQUIRED_FIELDS = ("id", "disposition")
#: The columns whose cells are written back to the opinion: no formulas there.
WRITTEN_FIELDS = ("disposition", "disposition_reason", "note")

_ALIASES = {
    "id": ("意见编号", "编号", "意见id", "id"),
    "receipt_code": ("回执码", "receipt_code"),
    "disposition": ("处理情况", "采纳情况", "disposition"),
    # Not "理由": that is the opinion's own reason, a column to read only.
    "disposition_reason": ("处理理由", "采纳理由", "答复意见", "disposition_reason"),
    "note": ("内部备注", "备注", "note"),
}
_HEADER_NOTE = re.compile(r"[（(【\[].*?[）)】\]]")


def _key(value: str) -> str:
    text = unicodedata.normalize("NFKC", value or "")
    text = _HEADER_NOTE.sub("", text)
    return re.sub(r"[\s*＊:：\ufeff]", "", text).lower()


_HEADER_LOOKUP = {_key(alias): name for name, aliases in _ALIASES.items() for alias in aliases}


def field_of_header(header: str) -> str | None:
    """The field (one of READ_FIELDS) a header names, or None for a column to ignore."""
    return _HEADER_LOOKUP.get(_key(header)) if isinstance(header, str) else None


def is_header_row(cells: list[str]) -> bool:
    """A row naming both the id and the disposition columns."""
    fields = {field_of_header(cell) for cell in cells if cell}
    return all(name in fields for name in REQUIRED_FIELDS)


def max_rows() -> int:
    """Opinions one sheet may hold (DISPOSITION_SHEET_MAX_ROWS, default 50,000): a larger
    draft is downloaded and filled in by clause or by filter."""
    return int(current_app.config["DISPOSITION_SHEET_MAX_ROWS"])


def disposition_words() -> tuple[str, ...]:
    """The words of the drop-down: ``labels.DISPOSITION`` in Chinese, the sheet's language."""
    with force_locale("zh_CN"):
        return tuple(str(label) for label in labels.DISPOSITION.values())


def disposition_lookup() -> dict[str, str]:
    """Word → disposition value: the Chinese labels, the values (``not_adopted``) and
    the English labels, compared without spaces and case."""
    lookup = {_word(value): value for value in labels.DISPOSITION}
    for locale in ("en", "zh_CN"):
        with force_locale(locale):
            lookup.update({_word(str(label)): value for value, label in labels.DISPOSITION.items()})
    return lookup


def _word(value: str) -> str:
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", value or "")).lower()


def disposition_of(word: str, lookup: dict[str, str]) -> str | None:
    """The disposition a non-blank cell names, or None when unknown."""
    return lookup.get(_word(word))
