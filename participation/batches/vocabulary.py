"""The words of a point's opinion table (意见建议汇总表): its columns and what people
write in their headers, and the words accepted in the stance, category and activity
columns, with the limits of each field.

The canonical headers are the spreadsheet format and are never translated. People write
many other headers and words; each is looked up after NFKC normalisation, without
spaces and notes in brackets, so ``意见（必填）`` and ``意 见`` both name the opinion
column.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Callable

from participation.models import ActivityKind, Stance, SubmitterCategory
from participation.services.opinions import (
    MAX_BODY_LENGTH, MAX_NAME_LENGTH, MAX_PROPOSED_TEXT_LENGTH, MAX_REASON_LENGTH, MAX_REGION_LENGTH,
)

MAX_REPRESENTED = 100_000
MAX_PARTICIPANTS = 100_000
MAX_PLACE_LENGTH = 200
MAX_NOTES_LENGTH = 2000
MAX_LATE_REASON_LENGTH = 500
MAX_PROVISION_LENGTH = 200

# --- Columns ---------------------------------------------------------------------------

#: Row fields, in the template's column order.
FIELDS = ("provision", "body", "stance", "proposed_text", "reason", "category", "name", "region", "represented")
#: The canonical headers (the spreadsheet format: never translated).
HEADERS = {
    "provision": "条款", "body": "意见内容", "stance": "态度", "proposed_text": "修改建议", "reason": "理由",
    "category": "提出人类别", "name": "提出人", "region": "地区", "represented": "反映群众人数",
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
    "represented": ("反映群众人数", "代表人数", "人数", "附议人数", "represented"),
}
_HEADER_NOTE = re.compile(r"[（(【\[].*?[）)】\]]")


def _header_key(value: str) -> str:
    text = unicodedata.normalize("NFKC", value or "")
    text = _HEADER_NOTE.sub("", text)
    return re.sub(r"[\s*＊:：\ufeff]", "", text).lower()


_HEADER_LOOKUP = {_header_key(alias): name for name, aliases in _HEADER_ALIASES.items() for alias in aliases}
_BODY_HEADERS = frozenset(_header_key(alias) for alias in _HEADER_ALIASES["body"])


def field_of_header(header: str) -> str | None:
    """The row field a header names (one of FIELDS), or None for a column to ignore."""
    return _HEADER_LOOKUP.get(_header_key(header))


def is_header_row(cells: list[str]) -> bool:
    """A row holding the opinion column's header (the one column a table must have)."""
    return any(_header_key(cell) in _BODY_HEADERS for cell in cells if cell)


# --- Words accepted in the stance, category and activity columns ---------------------------

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

#: The words the JSON rows and the API's activity accept: exactly these (the API is a
#: machine interface and its schema lists them), or null / "" for the default.
STANCE_WORDS = tuple(_STANCE_WORDS)
CATEGORY_WORDS = tuple(_CATEGORY_WORDS)
ACTIVITY_WORDS = tuple(_ACTIVITY_WORDS)


def _word_key(value: str) -> str:
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", value or "")).lower()


_STANCE_LOOKUP = {_word_key(word): stance for word, stance in _STANCE_WORDS.items()}
_CATEGORY_LOOKUP = {_word_key(word): category for word, category in _CATEGORY_WORDS.items()}
_ACTIVITY_LOOKUP = {_word_key(word): kind for word, kind in _ACTIVITY_WORDS.items()}


def stance_of(word: str) -> Stance | None:
    """The stance a cell names (blank: DEFAULT_STANCE); None when unknown."""
    key = _word_key(word)
    return _STANCE_LOOKUP.get(key) if key else DEFAULT_STANCE


def category_of(word: str) -> SubmitterCategory | None:
    """The submitter category a cell names (blank: DEFAULT_CATEGORY); None when unknown."""
    key = _word_key(word)
    return _CATEGORY_LOOKUP.get(key) if key else DEFAULT_CATEGORY


def activity_kind_of(word: str) -> ActivityKind | None:
    return _ACTIVITY_LOOKUP.get(_word_key(word))


# --- Field limits ----------------------------------------------------------------------------

#: Text fields a row checks for length, and their limits (the web form's own).
TEXT_LIMITS = {
    "body": MAX_BODY_LENGTH, "proposed_text": MAX_PROPOSED_TEXT_LENGTH, "reason": MAX_REASON_LENGTH,
    "name": MAX_NAME_LENGTH, "region": MAX_REGION_LENGTH,
}
#: Lengths the JSON rows accept (the clause cell too, before it is resolved).
JSON_TEXT_LIMITS = {"provision": MAX_PROVISION_LENGTH, **TEXT_LIMITS}


# --- Layouts: which table a batch reads ------------------------------------------------------

@dataclass(frozen=True)
class Layout:
    """The columns of one kind of table (opinions, or proposals: ``proposal_rows``):
    what reading needs to find the header row and map the columns to row fields."""

    kind: str
    fields: tuple[str, ...]
    headers: dict[str, str]
    field_of_header: Callable[[str], str | None]
    is_header_row: Callable[[list[str]], bool]
    no_header_message: Callable[[], str]


def _no_opinion_header() -> str:
    from flask_babel import gettext as _

    return _("没有找到表头：表格前几行中应有“意见内容”一列。请使用平台提供的模板，"
             "或把表头写成：条款、意见内容、态度、修改建议、理由、提出人类别、提出人、地区、反映群众人数。")


OPINIONS = Layout("opinions", FIELDS, HEADERS, field_of_header, is_header_row, _no_opinion_header)
