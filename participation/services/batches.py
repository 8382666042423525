"""Liaison-point batches (批次): a point's opinion table (意见建议汇总表), read from a
spreadsheet or sent as JSON, checked row by row, and stored whole or not at all.

The flow, whatever the channel (web upload, API multipart, API JSON):

1. the rows are read (``read_upload`` for files, ``rows_from_json`` for JSON) into
   ``RowInput``s with the row number the sender sees;
2. ``validate_rows`` checks every row against the draft's current version and reports
   every error in one pass, by row and column, in Chinese;
3. ``import_batch`` stores the batch and all its rows as opinions in the caller's
   transaction (one INSERT of many rows), or nothing: any invalid row refuses the whole
   batch. The caller commits once.

"Never twice": the same file (its SHA-256) for the same point and draft, or the same
API idempotency key, gives back the batch stored the first time. Unique constraints on
``liaison_batches`` decide, so two simultaneous uploads of one file store one batch.

Attribution: a batch's opinions belong to the liaison point (``liaison_point_id``), not
to whoever typed them in (``author_id`` is NULL; the batch records who entered it and
whether staff entered it on the point's behalf). Each row keeps the speaker's own
category, so the tally counts it under that category and "via liaison point X".
"""
from __future__ import annotations

import hashlib
import json
import os
import re
import secrets
import time
import unicodedata
from collections import Counter
from dataclasses import asdict, dataclass, field
from datetime import date, datetime
from pathlib import Path

from flask import current_app
from flask_babel import gettext as _
from openpyxl.utils import get_column_letter
from sqlalchemy import func, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from participation import labels, spreadsheets
from participation.citations import nodes_from_rows, parse_citation, write_citation
from participation.errors import Conflict, IdempotencyKeyConflict, NotFound, ValidationFailed
from participation.extensions import db
from participation.models import (
    ActivityKind, Batch, BatchSource, Draft, DraftStatus, LiaisonPoint, ModerationMode, ModerationState,
    Opinion, Provision, Stance, SubmitterCategory, User,
)
from participation.models.provisions import COMMENTABLE_KINDS
from participation.parsing.tree import Node, ParsedDocument
from participation.services.opinions import (
    MAX_BODY_LENGTH, MAX_NAME_LENGTH, MAX_PROPOSED_TEXT_LENGTH, MAX_REASON_LENGTH,
    MAX_REGION_LENGTH,
)
from participation.receipts import receipt_codes
from participation.text import clean_text, is_storable_text

DEFAULT_MAX_ROWS = 20_000
DEFAULT_MAX_UNPACKED_BYTES = 100 * 1024 * 1024
MAX_REPRESENTED = 100_000
MAX_PARTICIPANTS = 100_000
MAX_PLACE_LENGTH = 200
MAX_NOTES_LENGTH = 2000
MAX_LATE_REASON_LENGTH = 500
# Errors listed for one upload; a table wrong throughout says so in its first thousand.
MAX_ERRORS = 1000
# Uploads previewed but never confirmed are deleted after this long.
PENDING_UPLOAD_HOURS = 24

# --- Columns ---------------------------------------------------------------------------

#: Row fields, in the template's column order.
FIELDS = ("provision", "body", "stance", "proposed_text", "reason", "category", "name", "region", "represented")
#: The canonical headers (the spreadsheet format: never translated).
HEADERS = {
    "provision": "条款", "body": "意见内容", "stance": "态度", "proposed_text": "修改建议", "reason": "理由",
    "category": "提出人类别", "name": "提出人", "region": "地区", "represented": "代表人数",
}
# What people put in the header row instead, and the API's field names.
_HEADER_ALIASES = {
    "provision": ("条款", "条文", "条款序号", "涉及条款", "所提条款", "对应条款", "条款号", "条目", "provision"),
    "body": ("意见内容", "意见", "意见建议", "意见建议内容", "具体意见", "意见和建议", "body"),
    "stance": ("态度", "意见类型", "意见态度", "stance"),
    "proposed_text": ("修改建议", "修改建议条文", "建议条文", "修改意见", "建议修改为", "proposed_text"),
    "reason": ("理由", "修改理由", "理由说明", "依据", "reason"),
    "category": ("提出人类别", "类别", "提出人身份", "身份", "人员类别", "category"),
    "name": ("提出人", "姓名", "提出人姓名", "name"),
    "region": ("地区", "所在地区", "区域", "所在地", "region"),
    "represented": ("代表人数", "人数", "附议人数", "represented"),
}
_HEADER_NOTE = re.compile(r"[（(【\[].*?[）)】\]]")


def _header_key(value: str) -> str:
    text = unicodedata.normalize("NFKC", value or "")
    text = _HEADER_NOTE.sub("", text)
    return re.sub(r"[\s*＊:：\ufeff]", "", text).lower()


_HEADER_LOOKUP = {_header_key(alias): name for name, aliases in _HEADER_ALIASES.items() for alias in aliases}
_BODY_HEADERS = frozenset(_header_key(alias) for alias in _HEADER_ALIASES["body"])


def is_header_row(cells: list[str]) -> bool:
    """A row holding the opinion column's header (the one column a table must have)."""
    return any(_header_key(cell) in _BODY_HEADERS for cell in cells if cell)


# --- Words accepted in the stance and category columns ---------------------------------

STANCE_CHOICES = ("赞成", "反对", "修改", "新增", "删除", "其他")
CATEGORY_CHOICES = ("公民", "人大代表", "企业", "律师", "专家", "单位", "基层立法联系点", "其他")
_STANCE_WORDS = {
    "赞成": Stance.SUPPORT, "同意": Stance.SUPPORT, "支持": Stance.SUPPORT,
    "反对": Stance.OPPOSE, "不同意": Stance.OPPOSE, "不赞成": Stance.OPPOSE,
    "修改": Stance.AMEND, "修改完善": Stance.AMEND, "建议修改": Stance.AMEND,
    "新增": Stance.ADD, "增加": Stance.ADD, "增设": Stance.ADD, "补充": Stance.ADD,
    "删除": Stance.DELETE, "删去": Stance.DELETE,
    "其他": Stance.OTHER, "其它": Stance.OTHER,
    **{stance.value: stance for stance in Stance},
}
_CATEGORY_WORDS = {
    "公民": SubmitterCategory.CITIZEN, "居民": SubmitterCategory.CITIZEN, "市民": SubmitterCategory.CITIZEN,
    "村民": SubmitterCategory.CITIZEN, "群众": SubmitterCategory.CITIZEN, "个人": SubmitterCategory.CITIZEN,
    "社会公众": SubmitterCategory.CITIZEN,
    "人大代表": SubmitterCategory.DEPUTY, "代表": SubmitterCategory.DEPUTY,
    "企业": SubmitterCategory.ENTERPRISE, "公司": SubmitterCategory.ENTERPRISE,
    "律师": SubmitterCategory.LAWYER,
    "专家": SubmitterCategory.EXPERT, "学者": SubmitterCategory.EXPERT, "专家学者": SubmitterCategory.EXPERT,
    "立法咨询专家": SubmitterCategory.EXPERT,
    "单位": SubmitterCategory.ORGANISATION, "机关": SubmitterCategory.ORGANISATION,
    "部门": SubmitterCategory.ORGANISATION, "社会组织": SubmitterCategory.ORGANISATION,
    "事业单位": SubmitterCategory.ORGANISATION,
    "基层立法联系点": SubmitterCategory.LIAISON_POINT, "联系点": SubmitterCategory.LIAISON_POINT,
    "其他": SubmitterCategory.OTHER, "其它": SubmitterCategory.OTHER,
    **{category.value: category for category in SubmitterCategory},
}
_ACTIVITY_WORDS = {
    "座谈会": ActivityKind.FORUM, "座谈": ActivityKind.FORUM,
    "走访": ActivityKind.VISIT, "入户走访": ActivityKind.VISIT,
    "问卷": ActivityKind.SURVEY, "问卷调查": ActivityKind.SURVEY,
    "其他": ActivityKind.OTHER, "其它": ActivityKind.OTHER,
    **{kind.value: kind for kind in ActivityKind},
}
#: Blank stance and category cells count as these (said in the template).
DEFAULT_STANCE = Stance.OTHER
DEFAULT_CATEGORY = SubmitterCategory.CITIZEN


def _word_key(value: str) -> str:
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", value or "")).lower()


_STANCE_LOOKUP = {_word_key(word): stance for word, stance in _STANCE_WORDS.items()}
_CATEGORY_LOOKUP = {_word_key(word): category for word, category in _CATEGORY_WORDS.items()}
_ACTIVITY_LOOKUP = {_word_key(word): kind for word, kind in _ACTIVITY_WORDS.items()}


# --- Configuration ----------------------------------------------------------------------

def _config_int(name: str, default: int) -> int:
    value = current_app.config.get(name) or os.environ.get(name)
    try:
        return int(value) if value not in (None, "") else default
    except (TypeError, ValueError):
        return default


def max_rows() -> int:
    """BATCH_MAX_ROWS: opinion rows one batch may hold."""
    return _config_int("BATCH_MAX_ROWS", DEFAULT_MAX_ROWS)


def reading_limits() -> spreadsheets.Limits:
    base = spreadsheets.Limits()
    return spreadsheets.Limits(
        max_rows=max_rows() + base.header_search_rows,
        max_unpacked_bytes=_config_int("BATCH_MAX_UNPACKED_BYTES", DEFAULT_MAX_UNPACKED_BYTES),
    )


# --- Rows and errors --------------------------------------------------------------------

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

    @property
    def names(self) -> dict[str, str]:
        return {name: clean_text(self.headers[index], multiline=False) or HEADERS[name]
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


def read_upload(data: bytes, filename: str | None) -> ParsedUpload:
    """Read an uploaded .xlsx or CSV into rows. Raises BatchRejected when the file
    cannot be read at all or has no usable header; problems in single cells (a
    formula without its value, an error value, an over-long cell) are kept in
    ``problems`` and reported with the rows' own errors."""
    shown_name = spreadsheets.display_filename(filename)
    try:
        table = spreadsheets.read_table(data, filename, limits=reading_limits(), is_header=is_header_row)
    except spreadsheets.TooManyRows:
        raise _file_rejected(shown_name, _("表格超过 %(max)d 行的上限，请分成几批上传。", max=max_rows())) from None
    except spreadsheets.SpreadsheetRefused as exc:
        raise _file_rejected(shown_name, exc.message) from None

    header_index = None
    for index, (_row_number, cells) in enumerate(table.rows[:spreadsheets.Limits().header_search_rows]):
        if is_header_row(cells):
            header_index = index
            break
    if header_index is None:
        raise _file_rejected(shown_name, _(
            "没有找到表头：表格前几行中应有“意见内容”一列。请使用平台提供的模板，"
            "或把表头写成：条款、意见内容、态度、修改建议、理由、提出人类别、提出人、地区、代表人数。"))
    header_row, headers = table.rows[header_index]
    columns: dict[str, int] = {}
    errors: list[RowError] = []
    for index, header in enumerate(headers):
        name = _HEADER_LOOKUP.get(_header_key(header))
        if name is None:
            continue
        if name in columns:
            errors.append(RowError(header_row, clean_text(header, multiline=False), header, _(
                "表头“%(header)s”重复（第 %(first)s 列和第 %(second)s 列），请只保留一列。", header=HEADERS[name],
                first=get_column_letter(columns[name] + 1), second=get_column_letter(index + 1)),
                letter=get_column_letter(index + 1)))
            continue
        columns[name] = index
    if errors:
        raise BatchRejected(errors, message=errors[0].message, fields={"file": [error.message for error in errors]})

    upload = ParsedUpload(
        format=table.format, encoding=table.encoding, sheet=table.sheet, digest=file_digest(data),
        filename=shown_name, header_row=header_row, headers=headers, columns=columns, rows=[],
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


JSON_ROW_FIELDS = FIELDS
#: The words the JSON rows accept for stance and category: exactly these (the API is a
#: machine interface and its schema lists them), or null / "" for the default.
STANCE_WORDS = tuple(_STANCE_WORDS)
CATEGORY_WORDS = tuple(_CATEGORY_WORDS)
ACTIVITY_WORDS = tuple(_ACTIVITY_WORDS)
MAX_PROVISION_LENGTH = 200
JSON_TEXT_LIMITS = {
    "provision": MAX_PROVISION_LENGTH, "body": MAX_BODY_LENGTH, "proposed_text": MAX_PROPOSED_TEXT_LENGTH,
    "reason": MAX_REASON_LENGTH, "name": MAX_NAME_LENGTH, "region": MAX_REGION_LENGTH,
}


def rows_from_json(items) -> tuple[list[RowInput], list[RowError]]:
    """The ``rows`` of an API request, read strictly: types, lengths and the stance and
    category words exactly as documented. Returns the rows and the problems found (by
    row and field; unknown fields are refused, not ignored), which ``import_batch``
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
            if name not in JSON_ROW_FIELDS:
                fail(str(name)[:50], value, _("不接受此字段。可用字段：%(fields)s。", fields=_("、").join(JSON_ROW_FIELDS)))
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


# --- Clauses of a version ----------------------------------------------------------------

class VersionClauses:
    """The provision tree of one version, loaded once, to resolve what people write in
    the clause column (第十一条第（三）项 → art.11.1.3, against the real tree: an item
    cited without its paragraph is found in the paragraph that holds items) and to cite
    clauses back the way a person writes them."""

    def __init__(self, version_id: int):
        self.version_id = version_id
        self.rows = db.session.execute(
            select(Provision.id, Provision.parent_id, Provision.key, Provision.kind, Provision.label,
                   Provision.number, Provision.suffix, Provision.heading, Provision.text)
            .where(Provision.version_id == version_id).order_by(Provision.position)
        ).all()
        nodes: dict[int, Node] = {}
        roots: list[Node] = []
        for row in self.rows:
            node = Node(kind=row.kind, key=row.key, label=row.label, number=row.number,
                        heading=row.heading or "", suffix=row.suffix)
            nodes[row.id] = node
            parent = nodes.get(row.parent_id)
            (parent.children if parent is not None else roots).append(node)
        self.document = ParsedDocument(nodes=roots)
        self.by_key = {row.key: row for row in self.rows}
        self.position = {row.key: index for index, row in enumerate(self.rows)}
        self._paragraphs = Counter(row.parent_id for row in self.rows if row.kind == "paragraph")
        self._by_id = {row.id: row for row in self.rows}
        self._resolved: dict[str, tuple] = {}
        self._citations: dict[str | None, str] = {}
        self._cited = nodes_from_rows(self.rows, self._paragraphs)

    def resolve(self, text: str):
        """(provision row or None for the whole draft, error message or None)."""
        cached = self._resolved.get(text)
        if cached is None:
            cached = self._resolved[text] = self._resolve(text)
        return cached

    def _resolve(self, text: str):
        cleaned = clean_text(text, multiline=False)
        key = parse_citation(cleaned, self.document)
        if key == "":
            return None, None
        if key is None:
            loose = parse_citation(cleaned, None)
            if not loose:
                return None, _("无法识别条款“%(value)s”。请写成“第十一条”“第11条第2款”“第十一条第（三）项”，"
                               "或留空、填“总体意见”表示对草案整体的意见。", value=cleaned)
            article = ".".join(loose.split(".")[:2]) if loose.startswith("art.") else None
            if article in self.by_key and "项" in cleaned and "款" not in cleaned:
                return None, _("“%(value)s”不明确：该条有几款都列有项，请写明是第几款的第几项，"
                               "例如“第四条第二款第（一）项”。", value=cleaned)
            return None, _("草案中没有“%(value)s”。请对照模板中的“条款列表”填写。", value=cleaned)
        row = self.by_key.get(key)
        if row is None:
            return None, _("草案中没有“%(value)s”。请对照模板中的“条款列表”填写。", value=cleaned)
        if row.kind not in COMMENTABLE_KINDS:
            return None, _("“%(value)s”是%(kind)s标题，请填写具体的条、款、项；对草案整体的意见请填“总体意见”。",
                           value=cleaned, kind=labels.label(labels.PROVISION_KIND, row.kind))
        return row, None

    def citation(self, key: str | None) -> str:
        """The canonical citation (``participation.citations.write_citation``);
        '' (the draft as a whole) gives 总体意见."""
        cached = self._citations.get(key)
        if cached is None:
            cached = self._citations[key] = self._citation(key)
        return cached

    def _citation(self, key: str | None) -> str:
        return write_citation(key, self._cited) if key else _("总体意见")

    def choices(self) -> list[spreadsheets.ClauseChoice]:
        """Every clause an opinion can aim at, in document order, with the citation the
        clause column accepts (checked to resolve back to the same clause)."""
        result = [spreadsheets.ClauseChoice(citation="总体意见", key="", excerpt=_("对草案整体的意见"))]
        for row in self.rows:
            if row.kind not in COMMENTABLE_KINDS:
                continue
            parent = self._by_id.get(row.parent_id)
            if row.kind == "paragraph" and parent is not None and self._paragraphs.get(parent.id, 0) <= 1:
                continue  # the article's only paragraph: choosing the article says the same
            citation = self.citation(row.key)
            if parse_citation(citation, self.document) != row.key:
                citation = row.key
            text = " ".join((row.heading or row.text or "").split())
            result.append(spreadsheets.ClauseChoice(citation=citation, key=row.key,
                                                    excerpt=text if len(text) <= 60 else text[:60] + "…"))
        return result


# --- Validation --------------------------------------------------------------------------

_MISSING = object()


def validate_rows(rows: list[RowInput], clauses: VersionClauses, *, names: dict[str, str] | None = None,
                  letters: dict[str, str] | None = None) -> tuple[list[CleanRow], list[RowError]]:
    """Check every row; returns the cleaned rows and every error found (all rows are
    checked, so one upload reports everything)."""
    names = {**{name: name for name in FIELDS}, **(names or {})}
    letters = letters or {}
    clean: list[CleanRow] = []
    errors: list[RowError] = []
    # The same few words recur in thousands of rows: look each up once.
    stances: dict[str, Stance | None] = {}
    categories: dict[str, SubmitterCategory | None] = {}
    counts: dict[str, int | None] = {}
    limits = (("body", MAX_BODY_LENGTH), ("proposed_text", MAX_PROPOSED_TEXT_LENGTH), ("reason", MAX_REASON_LENGTH),
              ("name", MAX_NAME_LENGTH), ("region", MAX_REGION_LENGTH))
    for row in rows:
        found: list[RowError] = []
        values = row.values

        def fail(name: str, message: str, value: str | None = None) -> None:
            raw = values.get(name, "") if value is None else value
            found.append(RowError(row.row, names[name], raw if len(raw) <= 50 else raw[:50] + "…", message,
                                  letters.get(name, ""), name))

        texts = {
            "body": clean_text(values.get("body")), "proposed_text": clean_text(values.get("proposed_text")),
            "reason": clean_text(values.get("reason")), "name": clean_text(values.get("name"), multiline=False),
            "region": clean_text(values.get("region"), multiline=False),
        }
        if not texts["body"]:
            fail("body", _("请填写意见内容。"))
        for name, limit in limits:
            if len(texts[name]) > limit:
                fail(name, _("不能超过 %(limit)d 个字（现有 %(count)d 个字）。", limit=limit, count=len(texts[name])))

        raw_stance = values.get("stance", "")
        stance = stances.get(raw_stance, _MISSING)
        if stance is _MISSING:
            key = _word_key(raw_stance)
            stance = stances[raw_stance] = _STANCE_LOOKUP.get(key) if key else DEFAULT_STANCE
        if stance is None:
            fail("stance", _("无法识别态度。请填写：%(choices)s。", choices="、".join(STANCE_CHOICES)))
        raw_category = values.get("category", "")
        category = categories.get(raw_category, _MISSING)
        if category is _MISSING:
            key = _word_key(raw_category)
            category = categories[raw_category] = _CATEGORY_LOOKUP.get(key) if key else DEFAULT_CATEGORY
        if category is None:
            fail("category", _("无法识别提出人类别。请填写：%(choices)s。", choices="、".join(CATEGORY_CHOICES)))
        raw_count = values.get("represented", "")
        represented = counts.get(raw_count, _MISSING)
        if represented is _MISSING:
            represented = counts[raw_count] = _represented(raw_count)
        if represented is None:
            fail("represented", _("代表人数应为 1 到 %(max)d 之间的整数（留空记为 1）。", max=MAX_REPRESENTED))
        provision, problem = clauses.resolve(values.get("provision", ""))
        if problem:
            fail("provision", problem)

        if found:
            errors.extend(sorted(found, key=lambda error: FIELDS.index(error.field)))
            continue
        key = provision.key if provision is not None else None
        clean.append(CleanRow(
            row=row.row, provision_id=provision.id if provision is not None else None, provision_key=key,
            citation=clauses.citation(key), stance=stance.value, body=texts["body"],
            proposed_text=texts["proposed_text"], reason=texts["reason"], category=category.value,
            name=texts["name"], region=texts["region"], represented=represented,
        ))
    return clean, errors


def error_order(error: RowError) -> tuple[int, int]:
    """By row, then by column in the template's order (file-level errors first)."""
    return error.row or 0, FIELDS.index(error.field) if error.field in FIELDS else -1


def check_rows(rows: list[RowInput], clauses: VersionClauses, *, names: dict[str, str] | None = None,
               letters: dict[str, str] | None = None,
               problems: list[RowError] | None = None) -> tuple[list[CleanRow], list[RowError]]:
    """``validate_rows`` plus what concerns the batch as a whole (no rows, too many)
    and the cell problems found while reading the file, in one ordered list."""
    clean, errors = validate_rows(rows, clauses, names=names, letters=letters)
    # A cell already reported while reading (a formula without its value, a wrong JSON
    # type) is not reported a second time as, say, empty.
    reported = {(problem.row, problem.field) for problem in problems or ()}
    errors = [error for error in errors if (error.row, error.field) not in reported]
    errors = sorted([*(problems or []), *errors], key=error_order)
    rows_with_problems = {problem.row for problem in problems or () if problem.row is not None}
    clean = [row for row in clean if row.row not in rows_with_problems]
    if not rows and not errors:
        errors.append(RowError(None, "rows", "", _("表格中没有意见：表头下面至少要有一行意见。")))
    if len(rows) > max_rows():
        errors.insert(0, RowError(None, "rows", str(len(rows)), _("一个批次最多 %(max)d 行，请分成几批上传。",
                                                                   max=max_rows())))
    return clean, errors


_COUNT = re.compile(r"([0-9]{1,9})(?:\.0+)?")


def _represented(value: str) -> int | None:
    text = re.sub(r"\s+", "", unicodedata.normalize("NFKC", value or ""))
    text = text.removesuffix("人")
    if not text:
        return 1
    match = _COUNT.fullmatch(text)
    if not match:
        return None
    number = int(match.group(1))
    return number if 1 <= number <= MAX_REPRESENTED else None


# --- The tally a batch adds --------------------------------------------------------------

@dataclass
class PreviewClause:
    key: str | None
    citation: str
    count: int = 0
    represented: int = 0
    by_stance: Counter = field(default_factory=Counter)
    by_category: Counter = field(default_factory=Counter)


@dataclass
class PreviewTally:
    total: int
    represented: int
    by_stance: Counter
    by_category: Counter
    clauses: list[PreviewClause]  # the clauses rows aim at, whole draft first, then document order


def preview_tally(rows: list[CleanRow], clauses: VersionClauses) -> PreviewTally:
    """What confirming adds to the draft's tally, clause by clause (each row counted on
    the clause it names; the draft's tally also rolls it up into the article and
    chapter)."""
    per_clause: dict[str | None, PreviewClause] = {}
    by_stance: Counter = Counter()
    by_category: Counter = Counter()
    for row in rows:
        entry = per_clause.get(row.provision_key)
        if entry is None:
            entry = per_clause[row.provision_key] = PreviewClause(row.provision_key, row.citation)
        entry.count += 1
        entry.represented += row.represented
        entry.by_stance[row.stance] += 1
        entry.by_category[row.category] += 1
        by_stance[row.stance] += 1
        by_category[row.category] += 1
    ordered = sorted(per_clause.values(), key=lambda c: -1 if c.key is None else clauses.position.get(c.key, 0))
    return PreviewTally(total=len(rows), represented=sum(row.represented for row in rows),
                        by_stance=by_stance, by_category=by_category, clauses=ordered)


# --- Activity -----------------------------------------------------------------------------

@dataclass
class Activity:
    """The event the opinions were gathered at."""

    kind: str
    date: date
    place: str = ""
    participants: int | None = None
    notes: str = ""
    late_reason: str = ""

    def as_json(self) -> dict:
        data = asdict(self)
        data["date"] = self.date.isoformat()
        return data


def parse_activity(raw: dict, *, today: date) -> Activity:
    """The activity fields as sent (form, multipart or JSON). Raises ValidationFailed
    with every field at fault."""
    errors: dict[str, list[str]] = {}

    def fail(name: str, message: str) -> None:
        errors.setdefault(name, []).append(message)

    kind_value = raw.get("kind")
    kind = _ACTIVITY_LOOKUP.get(_word_key(kind_value)) if isinstance(kind_value, str) else None
    if kind is None:
        fail("kind", _("请选择活动形式：座谈会、走访、问卷或其他。"))

    day = raw.get("date")
    if isinstance(day, str):
        try:
            day = date.fromisoformat(unicodedata.normalize("NFKC", day).strip())
        except ValueError:
            day = None
            fail("date", _("请按“年-月-日”填写活动日期，例如 2026-03-15。"))
    elif isinstance(day, datetime):
        day = day.date()
    elif day is not None and not isinstance(day, date):
        day = None
        fail("date", _("请按“年-月-日”填写活动日期，例如 2026-03-15。"))
    if day is None and "date" not in errors:
        fail("date", _("请填写活动日期。"))
    elif day is not None and day > today:
        fail("date", _("活动日期不能晚于今天。"))

    def text(name: str, limit: int, multiline: bool = False) -> str:
        value = raw.get(name)
        if value is None:
            return ""
        if not isinstance(value, str) or not is_storable_text(value):
            fail(name, _("必须是文字。"))
            return ""
        value = clean_text(value, multiline=multiline)
        if len(value) > limit:
            fail(name, _("不能超过 %(limit)d 个字（现有 %(count)d 个字）。", limit=limit, count=len(value)))
        return value

    place = text("place", MAX_PLACE_LENGTH)
    notes = text("notes", MAX_NOTES_LENGTH, multiline=True)
    late_reason = text("late_reason", MAX_LATE_REASON_LENGTH, multiline=True)

    participants = raw.get("participants")
    if participants in (None, ""):
        participants = None
    else:
        if isinstance(participants, str):
            digits = unicodedata.normalize("NFKC", participants).strip().removesuffix("人")
            participants = int(digits) if digits.isascii() and digits.isdigit() and len(digits) <= 9 else -1
        if isinstance(participants, bool) or not isinstance(participants, int) \
                or not 1 <= participants <= MAX_PARTICIPANTS:
            fail("participants", _("参加人数应为 1 到 %(max)d 之间的整数，不清楚可留空。", max=MAX_PARTICIPANTS))
            participants = None
    if errors:
        raise ValidationFailed(_("请修改标出的活动信息。"), fields=errors)
    return Activity(kind=kind.value, date=day, place=place, participants=participants, notes=notes,
                    late_reason=late_reason)


# --- Storing a batch ----------------------------------------------------------------------

@dataclass
class SourceInfo:
    format: str            # BatchSource
    digest: str
    encoding: str = ""
    filename: str = ""
    stored_file: str = ""


def check_accepting_batch(draft: Draft, now: datetime, *, allow_late: bool, late_reason: str) -> str:
    """Whether the draft takes a batch now; returns the late reason to record ('' when
    the comment period is open). Operators hand in while it is open, like everybody;
    staff may enter a batch after it closed, giving a reason."""
    status = draft.status_at(now)
    if status == DraftStatus.OPEN:
        return ""
    if status == DraftStatus.CLOSED and allow_late:
        if not late_reason:
            message = _("该草案的征求意见期已经结束。代为录入逾期报送的意见时，请填写逾期原因。")
            raise ValidationFailed(message, fields={"late_reason": [message]})
        return late_reason
    if status == DraftStatus.CLOSED:
        raise Conflict(_("该草案的征求意见期已经结束，不能再报送。如有在期限内收集、逾期送达的意见，请联系法工委工作人员代为录入。"))
    if status == DraftStatus.FEEDBACK:
        raise Conflict(_("该草案已发布意见采纳情况反馈，不再接收意见。"))
    if status == DraftStatus.SCHEDULED:
        raise Conflict(_("该草案尚未开始征求意见。"))
    raise Conflict(_("该草案尚未发布。"))


def find_existing(point: LiaisonPoint, draft: Draft, digest: str) -> Batch | None:
    return db.session.scalar(select(Batch).where(
        Batch.liaison_point_id == point.id, Batch.draft_id == draft.id, Batch.source_digest == digest))


def _by_idempotency_key(key: str) -> Batch | None:
    return db.session.scalar(select(Batch).where(Batch.idempotency_key == key))


def _replay_for_key(existing: Batch, point: LiaisonPoint, draft: Draft, digest: str) -> Batch:
    """The batch stored under an idempotency key, when this request is the same one:
    the point, the draft and the file (or JSON rows, by their digest) define it. Another
    request under the same key is refused (422), never answered with the first batch."""
    if existing.liaison_point_id != point.id or existing.draft_id != draft.id or existing.source_digest != digest:
        message = _("这个 Idempotency-Key 已用于另一个批次（文件或内容不同）。重试时请原样发送第一次的请求，新的批次请换一个键。")
        raise IdempotencyKeyConflict(message, fields={"Idempotency-Key": [_("已用于内容不同的请求。")]})
    return existing


def import_batch(
    point: LiaisonPoint, draft: Draft, activity: Activity, rows: list[RowInput], *, source: SourceInfo,
    entered_by: User, now: datetime, allow_late: bool = False, idempotency_key: str | None = None,
    names: dict[str, str] | None = None, letters: dict[str, str] | None = None,
    problems: list[RowError] | None = None,
) -> tuple[Batch, bool]:
    """Store a batch and its rows as opinions, or nothing. Returns (batch, created):
    the same file for the same point and draft, or the same idempotency key, returns
    the batch stored the first time (created False) without looking at the rows again.

    ``problems`` are cell problems found while reading the file; with the rows' own
    errors they refuse the batch (BatchRejected). Access is the caller's check
    (policies.can_submit_batch); ``allow_late`` is policies.can_enter_late_batch.
    """
    if idempotency_key is not None:
        existing = _by_idempotency_key(idempotency_key)
        if existing is not None:
            return _replay_for_key(existing, point, draft, source.digest), False
    existing = find_existing(point, draft, source.digest)
    if existing is not None:
        return existing, False
    if not point.is_active:
        raise Conflict(_("该联系点已停用，不能再报送意见。"))
    late_reason = check_accepting_batch(draft, now, allow_late=allow_late, late_reason=activity.late_reason)
    version = draft.current_version
    if version is None:
        raise NotFound(_("草案没有可用的文本版本。"))

    clean, errors = check_rows(rows, VersionClauses(version.id), names=names, letters=letters, problems=problems)
    if errors:
        raise BatchRejected(errors)

    batch = Batch(
        liaison_point_id=point.id, draft_id=draft.id, version_id=version.id,
        activity_kind=activity.kind, activity_date=activity.date, activity_place=activity.place,
        participants=activity.participants, notes=activity.notes,
        entered_by_id=entered_by.id, is_entered_by_staff=bool(entered_by.is_staff), late_reason=late_reason,
        source_format=source.format, source_encoding=source.encoding, source_filename=source.filename[:255],
        source_digest=source.digest, stored_file=source.stored_file, idempotency_key=idempotency_key,
        row_count=len(clean), represented_total=sum(row.represented for row in clean), created_at=now,
    )
    try:
        # The unique constraints decide "never twice"; in a savepoint so that losing
        # the race leaves the transaction usable for reading the winner.
        with db.session.begin_nested():
            db.session.add(batch)
            db.session.flush()
    except IntegrityError:
        winner = _by_idempotency_key(idempotency_key) if idempotency_key is not None else None
        if winner is not None:
            return _replay_for_key(winner, point, draft, source.digest), False
        winner = find_existing(point, draft, source.digest)
        if winner is not None:
            return winner, False
        raise

    state = (ModerationState.PENDING if draft.moderation_mode == ModerationMode.PRE.value
             else ModerationState.PUBLISHED).value
    for attempt in range(3):
        values = _opinion_rows(batch, draft, version.id, point, clean, state, now)
        try:
            with db.session.begin_nested():
                # One executemany of plain rows: the ORM's bulk path would split it
                # wherever consecutive rows differ in which values are NULL. RETURNING
                # makes SQLAlchemy send multi-row INSERTs (1,000 rows per statement)
                # with psycopg rather than one statement per row, so PostgreSQL's
                # per-statement tally trigger runs 10 times for 10,000 rows, not 10,000.
                db.session.execute(insert(Opinion.__table__).returning(Opinion.__table__.c.id), values).all()
            break
        except IntegrityError:
            # Only a receipt code colliding with a stored one can fail here (60 random
            # bits each): draw them again.
            if attempt == 2:
                raise
    db.session.flush()
    return batch, True


def _opinion_rows(batch: Batch, draft: Draft, version_id: int, point: LiaisonPoint, rows: list[CleanRow],
                  state: str, now: datetime) -> list[dict]:
    common = {
        "draft_id": draft.id, "version_id": version_id, "is_name_public": False, "contact": "", "author_id": None,
        "delegation": None, "liaison_point_id": point.id, "batch_id": batch.id, "moderation_state": state,
        "hidden_reason": "", "submission_token": None, "created_at": now,
    }
    point_id = point.id
    values = []
    for row, receipt in zip(rows, receipt_codes(len(rows))):
        values.append({
            **common, "provision_id": row.provision_id, "provision_key": row.provision_key, "stance": row.stance,
            "body": row.body, "proposed_text": row.proposed_text, "reason": row.reason, "category": row.category,
            "region": row.region, "submitter_name": row.name, "submitter_key": submitter_key(point_id, row.name, receipt),
            "represented_count": row.represented, "batch_row": row.row, "receipt_code": receipt,
        })
    return values


def submitter_key(point_id: int, name: str, receipt: str) -> str:
    """Who said it, for counting distinct submitters: a named speaker is the same
    person wherever the name recurs at the same point; an unnamed one is counted once
    per row. The name itself is not kept in the key."""
    if name:
        normalized = re.sub(r"\s+", "", unicodedata.normalize("NFKC", name)).casefold()
        return f"lp:{point_id}:n:{hashlib.sha256(normalized.encode('utf-8')).hexdigest()[:32]}"
    return f"lp:{point_id}:r:{receipt}"


# --- Stored uploads ------------------------------------------------------------------------

_STORED_NAME = re.compile(r"[0-9a-f]{64}\.(?:xlsx|csv)")
_UPLOAD_ID = re.compile(r"[A-Za-z0-9_-]{20,40}")


def uploads_dir() -> Path:
    """INSTANCE_PATH/uploads/batches: uploaded tables, named by their SHA-256 (the
    uploaded file name is never part of a path)."""
    path = Path(current_app.config["INSTANCE_PATH"]) / "uploads" / "batches"
    path.mkdir(parents=True, exist_ok=True)
    return path


def _pending_dir() -> Path:
    path = uploads_dir() / "pending"
    path.mkdir(exist_ok=True)
    return path


def store_upload(data: bytes, fmt: str) -> str:
    """Keep an uploaded file; returns its stored name ("<sha256>.<xlsx|csv>")."""
    name = f"{file_digest(data)}.{'xlsx' if fmt == BatchSource.XLSX.value else 'csv'}"
    target = uploads_dir() / name
    if not target.exists():
        temporary = target.with_name(f".{secrets.token_hex(8)}.tmp")
        temporary.write_bytes(data)
        os.replace(temporary, target)
    return name


def read_stored_upload(name: str) -> bytes | None:
    if not name or not _STORED_NAME.fullmatch(name):
        return None
    try:
        return (uploads_dir() / name).read_bytes()
    except OSError:
        return None


@dataclass
class PendingUpload:
    """An upload previewed but not yet confirmed (kept as a small JSON file beside the
    stored table; a database row would outlive the many that are never confirmed)."""

    id: str
    point_id: int
    draft_id: int
    user_id: int
    activity: dict
    filename: str
    stored_file: str
    created_at: str

    def activity_value(self) -> Activity:
        data = dict(self.activity)
        data["date"] = date.fromisoformat(data["date"])
        return Activity(**data)


def save_pending_upload(*, point: LiaisonPoint, draft: Draft, user: User, activity: Activity, filename: str,
                        stored_file: str, now: datetime, upload_id: str | None = None) -> PendingUpload:
    pending = PendingUpload(
        id=upload_id or secrets.token_urlsafe(18), point_id=point.id, draft_id=draft.id, user_id=user.id,
        activity=activity.as_json(), filename=filename, stored_file=stored_file, created_at=now.isoformat(),
    )
    target = _pending_dir() / f"{pending.id}.json"
    temporary = target.with_name(f".{secrets.token_hex(8)}.tmp")
    temporary.write_text(json.dumps(asdict(pending), ensure_ascii=False), encoding="utf-8")
    os.replace(temporary, target)
    return pending


def load_pending_upload(upload_id: str) -> PendingUpload | None:
    if not upload_id or not _UPLOAD_ID.fullmatch(upload_id):
        return None
    try:
        data = json.loads((_pending_dir() / f"{upload_id}.json").read_text(encoding="utf-8"))
        return PendingUpload(**data)
    except (OSError, ValueError, TypeError):
        return None


def discard_pending_upload(upload_id: str) -> None:
    if upload_id and _UPLOAD_ID.fullmatch(upload_id):
        try:
            (_pending_dir() / f"{upload_id}.json").unlink()
        except OSError:
            pass


def purge_stale_uploads() -> int:
    """Delete previews older than PENDING_UPLOAD_HOURS and stored tables that no batch
    and no live preview refer to. Returns the number of files deleted. (Ages are the
    files' own, against the wall clock, not the application's clock.)"""
    cutoff = time.time() - PENDING_UPLOAD_HOURS * 3600
    deleted = 0
    live: set[str] = set()
    for path in _pending_dir().glob("*.json"):
        try:
            if path.stat().st_mtime < cutoff:
                path.unlink()
                deleted += 1
                continue
            live.add(json.loads(path.read_text(encoding="utf-8")).get("stored_file", ""))
        except (OSError, ValueError, AttributeError):
            continue
    candidates = []
    for path in uploads_dir().iterdir():
        try:
            if path.is_file() and _STORED_NAME.fullmatch(path.name) and path.name not in live \
                    and path.stat().st_mtime < cutoff:
                candidates.append(path)
        except OSError:
            continue
    names = [path.name for path in candidates]
    referenced: set[str] = set()
    for start in range(0, len(names), 500):
        referenced.update(db.session.scalars(select(Batch.stored_file).where(Batch.stored_file.in_(names[start:start + 500]))))
    for path in candidates:
        if path.name not in referenced:
            try:
                path.unlink()
                deleted += 1
            except OSError:
                pass
    return deleted


# --- Reading batches ------------------------------------------------------------------------

def get_batch(batch_id: int) -> Batch | None:
    if not 0 < batch_id <= 2**31 - 1:
        return None
    return db.session.scalar(
        select(Batch).where(Batch.id == batch_id)
        .options(joinedload(Batch.draft), joinedload(Batch.liaison_point), joinedload(Batch.entered_by))
    )


def batches_page(*, point_id: int | None, page: int, per_page: int = 20):
    """Batches newest first (of one point, or all), with their draft, point and
    enterer loaded."""
    query = (select(Batch)
             .options(joinedload(Batch.draft), joinedload(Batch.liaison_point), joinedload(Batch.entered_by))
             .order_by(Batch.created_at.desc(), Batch.id.desc()))
    if point_id is not None:
        query = query.where(Batch.liaison_point_id == point_id)
    return db.paginate(query, page=min(max(page, 1), 100_000), per_page=per_page, error_out=False)


def batch_rows_page(batch: Batch, *, page: int, per_page: int = 50):
    query = select(Opinion).where(Opinion.batch_id == batch.id).order_by(Opinion.batch_row)
    return db.paginate(query, page=min(max(page, 1), 100_000), per_page=per_page, error_out=False)


def batch_state_counts(batch: Batch) -> dict[str, int]:
    return dict(db.session.execute(
        select(Opinion.moderation_state, func.count()).where(Opinion.batch_id == batch.id)
        .group_by(Opinion.moderation_state)
    ).all())


def receipts_of(batch: Batch) -> list[tuple[int, str]]:
    return list(db.session.execute(
        select(Opinion.batch_row, Opinion.receipt_code).where(Opinion.batch_id == batch.id).order_by(Opinion.batch_row)
    ).all())


def open_drafts_for_batches(now: datetime, *, include_closed: bool) -> list[Draft]:
    """Drafts a batch can be handed in for: open ones; with ``include_closed`` (staff
    entering late batches) also closed ones whose feedback is not yet published."""
    from participation import queries

    drafts = queries.open_drafts(now)
    if include_closed:
        closed = db.session.scalars(
            queries.drafts_with_status_query("closed", now, include_unpublished=False).limit(50))
        drafts += [draft for draft in closed if draft not in drafts]
    return drafts


# --- 点对点反馈: each row's status and disposition ---------------------------------------------

FEEDBACK_HEADERS = ("回执码", "处理状态", "采纳情况", "采纳理由")


def row_status(opinion: Opinion) -> str:
    label = labels.label(labels.MODERATION_STATE, opinion.moderation_state)
    if opinion.moderation_state == ModerationState.HIDDEN.value and opinion.hidden_reason:
        return _("%(state)s：%(reason)s", state=label, reason=opinion.hidden_reason)
    return label


def row_disposition(opinion: Opinion) -> tuple[str, str]:
    """(采纳情况, 理由). Opinions carry no disposition yet (staff record it in a later
    issue, as ``disposition`` and ``disposition_reason``); until then every row is
    pending, and the feedback sheet fills in by itself once they exist."""
    value = getattr(opinion, "disposition", None) or "pending"
    reason = getattr(opinion, "disposition_reason", None) or ""
    return labels.label(labels.DISPOSITION, value), reason


def _feedback_values(opinion: Opinion | None) -> list[str]:
    if opinion is None:
        return ["", "", "", ""]
    disposition, reason = row_disposition(opinion)
    return [opinion.receipt_code, row_status(opinion), disposition, reason]


def feedback_workbook(batch: Batch) -> bytes:
    """The batch as the point sent it, each row with its receipt code, status and
    disposition added: the uploaded sheet itself when it is kept (same columns, same
    rows, extra columns such as 序号 included), else the template's layout."""
    opinions = {opinion.batch_row: opinion for opinion in db.session.scalars(
        select(Opinion).where(Opinion.batch_id == batch.id).order_by(Opinion.batch_row))}
    data = read_stored_upload(batch.stored_file)
    table = None
    if data is not None:
        try:
            table = spreadsheets.read_table(data, batch.stored_file, limits=reading_limits(), is_header=is_header_row,
                                            typed=True)
        except spreadsheets.SpreadsheetRefused:
            table = None
    if table is not None:
        header_index = next((i for i, (_n, cells) in enumerate(table.rows[:spreadsheets.Limits().header_search_rows])
                             if is_header_row([cell for cell in cells if isinstance(cell, str)])), None)
    if table is None or header_index is None:
        return _canonical_feedback(batch, opinions)
    header_row, header_cells = table.rows[header_index]
    width = max(len(cells) for _n, cells in table.rows[header_index:])
    rows: list[tuple[int, list]] = []
    for index, (row_number, cells) in enumerate(table.rows):
        padded = list(cells) + [""] * (width - len(cells))
        if index < header_index:
            rows.append((row_number, list(cells)))
        elif index == header_index:
            rows.append((row_number, padded + list(FEEDBACK_HEADERS)))
        else:
            rows.append((row_number, padded + _feedback_values(opinions.get(row_number))))
    widths = {width + i: w for i, w in enumerate((16, 12, 12, 40))}
    workbook = spreadsheets.write_feedback(sheet_title=_sheet_title(table.sheet), rows=rows, header_row=header_row,
                                           added_from=width, widths=widths)
    return spreadsheets.workbook_bytes(workbook)


def _sheet_title(title: str) -> str:
    title = re.sub(r"[\[\]:*?/\\]", "", title or "")[:31]
    return title or "意见建议汇总表"


def _canonical_feedback(batch: Batch, opinions: dict[int, Opinion]) -> bytes:
    clauses = VersionClauses(batch.version_id) if batch.version_id else None
    header = [HEADERS[name] for name in FIELDS]
    rows: list[tuple[int, list]] = [(1, header + list(FEEDBACK_HEADERS))]
    for number, (_row, opinion) in enumerate(sorted(opinions.items()), start=2):
        rows.append((number, [
            clauses.citation(opinion.provision_key) if clauses else (opinion.provision_key or "总体意见"),
            opinion.body, labels.label(labels.STANCE, opinion.stance), opinion.proposed_text, opinion.reason,
            labels.label(labels.SUBMITTER_CATEGORY, opinion.category), opinion.submitter_name, opinion.region,
            opinion.represented_count, *_feedback_values(opinion),
        ]))
    widths = {0: 20, 1: 50, 2: 8, 3: 40, 4: 30, 5: 12, 6: 10, 7: 10, 8: 8, 9: 16, 10: 12, 11: 12, 12: 40}
    workbook = spreadsheets.write_feedback(sheet_title="意见建议汇总表", rows=rows, header_row=1,
                                           added_from=len(header), widths=widths)
    return spreadsheets.workbook_bytes(workbook)


# --- The template ---------------------------------------------------------------------------

def template_workbook(draft: Draft) -> bytes:
    """The .xlsx a point fills in for ``draft``: the canonical headers with drop-downs
    for stance and category, a clause list (the clause column's drop-down), and the
    instructions."""
    version = draft.current_version
    if version is None:
        raise NotFound(_("草案没有可用的文本版本。"))
    clauses = VersionClauses(version.id)
    columns = [
        spreadsheets.TemplateColumn(HEADERS["provision"], 22, _(
            "从下拉列表选择，或直接填写，如：第十一条、第11条第2款、第十一条第（三）项；对草案整体的意见填“总体意见”或留空。"),
            clause_list=True),
        spreadsheets.TemplateColumn(HEADERS["body"], 50, _("必填。一行一条意见。")),
        spreadsheets.TemplateColumn(HEADERS["stance"], 10, _("从下拉列表选择；留空记为“其他”。"),
                                            choices=STANCE_CHOICES),
        spreadsheets.TemplateColumn(HEADERS["proposed_text"], 40, _("建议修改后的条文（可不填）。")),
        spreadsheets.TemplateColumn(HEADERS["reason"], 30, _("可不填。")),
        spreadsheets.TemplateColumn(HEADERS["category"], 14, _("从下拉列表选择；留空记为“公民”。"),
                                            choices=CATEGORY_CHOICES),
        spreadsheets.TemplateColumn(HEADERS["name"], 12, _("可不填。不会公开。")),
        spreadsheets.TemplateColumn(HEADERS["region"], 12, _("可不填。")),
        spreadsheets.TemplateColumn(HEADERS["represented"], 10, _("持相同意见的人数，整数；留空记为 1。"),
                                            whole_number_min=1),
    ]
    instructions = [
        _("《%(title)s》意见建议汇总表 填写说明", title=draft.title),
        _("1. 在“意见建议汇总表”工作表中每行填写一条意见，第一行表头请勿修改。可以增加“序号”等其他列，导入时会忽略。"),
        _("2. 条款：从下拉列表选择，或直接填写“第十一条”“第11条”“第十一条第二款”“第十一条第（三）项”“第11条第2款第3项”等；"
          "对草案整体的意见填“总体意见”或留空。可选条款见“条款列表”工作表。"),
        _("3. 意见内容必填，不超过 %(limit)d 字；修改建议不超过 %(proposed)d 字；理由不超过 %(reason)d 字。",
          limit=MAX_BODY_LENGTH, proposed=MAX_PROPOSED_TEXT_LENGTH, reason=MAX_REASON_LENGTH),
        _("4. 态度：%(choices)s；留空记为“其他”。", choices="、".join(STANCE_CHOICES)),
        _("5. 提出人类别：%(choices)s（“居民”“市民”也可，记为“公民”）；留空记为“公民”。", choices="、".join(CATEGORY_CHOICES)),
        _("6. 提出人、地区可不填；提出人姓名只供工作人员和本联系点查看，不会公开。同一联系点同名的提出人按同一人统计。"),
        _("7. 代表人数：持相同意见的人数，留空记为 1。"),
        _("8. 一次最多 %(max)d 行。单元格中的公式只读取 Excel 保存的计算结果，平台不会计算公式；请勿使用宏。", max=max_rows()),
        _("9. 也可以在 Excel 中另存为 CSV（UTF-8 或 GBK 编码均可）或“Unicode 文本”后上传。"),
        _("10. 上传后会先显示预览和错误提示，确认后整批导入；任何一行有错误时整批都不会导入。同一文件重复上传不会重复导入。"),
    ]
    workbook = spreadsheets.write_template(
        document_title=draft.title, sheet_title="意见建议汇总表", columns=columns, data_rows=max_rows(),
        clause_sheet_title="条款列表", clause_headers=("条款", "编号", "内容摘要"), clauses=clauses.choices(),
        instructions_title="填写说明", instructions=instructions,
    )
    return spreadsheets.workbook_bytes(workbook)
