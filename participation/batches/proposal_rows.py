"""The second kind of row a batch takes: 立法项目建议 a liaison point gathered for a
legislative-plan call (立法项目建议汇总表). Its columns and words, the JSON rows of the
API, the row checking (``services.proposals.check_fields``, any of the six proposer
categories), the rows as stored, and the template.

The rest of the pipeline (reading files, "never twice", all or nothing, keeping the
file) is the opinions' own (``pipeline``, ``reading``, ``storing``)."""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import insert

from participation import spreadsheets
from participation.batches.checking import _represented
from participation.batches.rows import RowError, RowInput, max_rows
from participation.batches.vocabulary import MAX_REPRESENTED, Layout, _header_key
from participation.extensions import db
from participation.models import ModerationMode, ModerationState, PlanCall, Proposal, ProposerCategory
from participation.receipts import receipt_codes
from participation.services import proposals as service
from participation.text import is_storable_text

#: Row fields, in the template's column order.
FIELDS = ("title", "necessity", "problems", "measures", "area", "category", "name", "unit", "region", "contact",
          "publish_name", "represented")
#: The canonical headers (the spreadsheet format: never translated).
HEADERS = {
    "title": "项目名称", "necessity": "立法的必要性和可行性", "problems": "需要解决的主要问题",
    "measures": "拟规定的主要制度和措施", "area": "重点领域", "category": "提出人类别", "name": "姓名", "unit": "单位",
    "region": "地区", "contact": "联系方式", "publish_name": "是否公开姓名", "represented": "反映群众人数",
}
_ALIASES = {
    "title": ("项目名称", "法规名称", "建议项目名称", "立法项目名称", "title"),
    "necessity": ("立法的必要性和可行性", "必要性和可行性", "必要性", "立法必要性", "necessity"),
    "problems": ("需要解决的主要问题", "主要问题", "problems"),
    "measures": ("拟规定的主要制度和措施", "主要制度和措施", "主要措施", "measures"),
    "area": ("重点领域", "领域", "area"),
    "category": ("提出人类别", "类别", "提出人身份", "身份", "category"),
    "name": ("姓名", "提出人", "提出人姓名", "name"),
    "unit": ("单位", "工作单位", "单位名称", "unit"),
    "region": ("地区", "所在地区", "region"),
    "contact": ("联系方式", "联系电话", "电话", "contact"),
    "publish_name": ("是否公开姓名", "公开姓名", "publish_name"),
    "represented": ("反映群众人数", "代表人数", "人数", "represented"),
}
_LOOKUP = {_header_key(alias): name for name, aliases in _ALIASES.items() for alias in aliases}
_TITLE_HEADERS = frozenset(_header_key(alias) for alias in _ALIASES["title"])

CATEGORY_CHOICES = ("公民", "人大代表", "基层立法联系点", "单位", "政府部门", "专家")
_CATEGORY_WORDS = {
    "公民": ProposerCategory.CITIZEN, "居民": ProposerCategory.CITIZEN, "市民": ProposerCategory.CITIZEN,
    "群众": ProposerCategory.CITIZEN, "个人": ProposerCategory.CITIZEN, "村民": ProposerCategory.CITIZEN,
    "人大代表": ProposerCategory.DEPUTY, "代表": ProposerCategory.DEPUTY,
    "基层立法联系点": ProposerCategory.LIAISON_POINT, "联系点": ProposerCategory.LIAISON_POINT,
    "单位": ProposerCategory.ORGANISATION, "企业": ProposerCategory.ORGANISATION,
    "社会组织": ProposerCategory.ORGANISATION, "事业单位": ProposerCategory.ORGANISATION,
    "政府部门": ProposerCategory.GOVERNMENT, "部门": ProposerCategory.GOVERNMENT, "机关": ProposerCategory.GOVERNMENT,
    "专家": ProposerCategory.EXPERT, "学者": ProposerCategory.EXPERT, "专家学者": ProposerCategory.EXPERT,
    **{category.value: category for category in ProposerCategory},
}
CATEGORY_WORDS = tuple(_CATEGORY_WORDS)
YES_WORDS = ("是", "公开", "同意", "yes", "true", "1")
NO_WORDS = ("否", "不公开", "不同意", "no", "false", "0")
#: Row fields → the service's ``ProposalInput`` names (errors come back by these).
_SERVICE_NAMES = {"name": "submitter_name", "publish_name": "is_name_public"}
_ROW_NAMES = {value: key for key, value in _SERVICE_NAMES.items()}
_TEXT_LIMITS = {
    "title": service.MAX_TITLE_LENGTH, "necessity": service.MAX_TEXT_LENGTH, "problems": service.MAX_TEXT_LENGTH,
    "measures": service.MAX_TEXT_LENGTH, "area": 50, "name": service.MAX_NAME_LENGTH,
    "unit": service.MAX_UNIT_LENGTH, "region": service.MAX_REGION_LENGTH, "contact": service.MAX_CONTACT_LENGTH,
}


def _word_key(value: str) -> str:
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", value or "")).lower()


_CATEGORY_LOOKUP = {_word_key(word): category for word, category in _CATEGORY_WORDS.items()}


def category_of(word: str) -> ProposerCategory | None:
    """The proposer category a cell names (blank: 公民); None when unknown."""
    key = _word_key(word)
    return _CATEGORY_LOOKUP.get(key) if key else ProposerCategory.CITIZEN


def publish_of(word: str) -> bool | None:
    key = _word_key(word)
    if not key or key in NO_WORDS:
        return False
    return True if key in YES_WORDS else None


def _no_header() -> str:
    return _("没有找到表头：表格前几行中应有“项目名称”一列。请使用平台提供的立法项目建议汇总表模板。")


LAYOUT = Layout("proposals", FIELDS, HEADERS, lambda header: _LOOKUP.get(_header_key(header)),
                lambda cells: any(_header_key(cell) in _TITLE_HEADERS for cell in cells if cell), _no_header)


# --- JSON rows ------------------------------------------------------------------------------

def rows_from_json(items) -> tuple[list[RowInput], list[RowError]]:
    """The API's ``rows`` of proposals, read strictly (as ``reading.rows_from_json``):
    texts are strings, ``publish_name`` a boolean, ``represented`` an integer."""
    from participation.batches.reading import _short, rows_from_json as read_list

    if not isinstance(items, list) or len(items) > max_rows():
        return read_list(items)  # refuses them as for opinions (BatchRejected)
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
                fail(str(name)[:50], value, _("不接受此字段。可用字段：%(fields)s。", fields="、".join(FIELDS)))
            elif value is None:
                values[name] = ""
            elif name == "publish_name":
                if isinstance(value, bool):
                    values[name] = "是" if value else "否"
                else:
                    fail(name, value, _("必须是 true 或 false。"))
            elif name == "represented":
                if isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= MAX_REPRESENTED:
                    values[name] = str(value)
                else:
                    fail(name, value, _("必须是 1 到 %(max)d 之间的整数，或 null（记为 1）。", max=MAX_REPRESENTED))
            elif not isinstance(value, str):
                fail(name, value, _("必须是字符串。"))
            elif not is_storable_text(value):
                fail(name, "", _("含有无效的字符（不成对的代理项）。"))
            elif name == "category" and value and value not in CATEGORY_WORDS:
                fail(name, value, _("无法识别提出人类别。请填写：%(choices)s。", choices="、".join(CATEGORY_CHOICES)))
            elif len(value) > _TEXT_LIMITS.get(name, service.MAX_TEXT_LENGTH):
                fail(name, value, _("不能超过 %(limit)d 个字（现有 %(count)d 个字）。",
                                    limit=_TEXT_LIMITS.get(name, service.MAX_TEXT_LENGTH), count=len(value)))
            else:
                values[name] = value
        rows.append(RowInput(number, {name: values.get(name, "") for name in FIELDS}))
    return rows, errors


# --- Checking ---------------------------------------------------------------------------------

@dataclass
class CleanProposalRow:
    row: int
    values: dict          # the service's cleaned fields (``check_fields``)
    represented: int


def validate_rows(rows: list[RowInput], call: PlanCall, *, names: dict[str, str] | None = None,
                  letters: dict[str, str] | None = None) -> tuple[list[CleanProposalRow], list[RowError]]:
    """Check every row with the web form's and the API's own rules; every error found."""
    names = {**{name: name for name in FIELDS}, **(names or {})}
    letters = letters or {}
    clean: list[CleanProposalRow] = []
    errors: list[RowError] = []
    for row in rows:
        values = row.values
        found: list[RowError] = []

        def fail(name: str, message: str) -> None:
            raw = values.get(name, "")
            found.append(RowError(row.row, names.get(name, name), raw if len(raw) <= 50 else raw[:50] + "…", message,
                                  letters.get(name, ""), name))

        category = category_of(values.get("category", ""))
        if category is None:
            fail("category", _("无法识别提出人类别。请填写：%(choices)s。", choices="、".join(CATEGORY_CHOICES)))
        publish = publish_of(values.get("publish_name", ""))
        if publish is None:
            fail("publish_name", _("请填写“是”或“否”（留空记为“否”）。"))
        represented = _represented(values.get("represented", ""))
        if represented is None:
            fail("represented", _("反映群众人数应为 1 到 %(max)d 之间的整数（留空记为 1）。", max=MAX_REPRESENTED))
        data = service.ProposalInput(
            title=values.get("title", ""), necessity=values.get("necessity", ""), problems=values.get("problems", ""),
            measures=values.get("measures", ""), area=values.get("area", ""),
            category=category.value if category else None, submitter_name=values.get("name", ""),
            unit=values.get("unit", ""), region=values.get("region", ""), contact=values.get("contact", ""),
            is_name_public=bool(publish))
        checked = service.check_fields(call, data, fixed_category=None, any_category=True)
        for name, messages in checked.errors.items():
            field = _ROW_NAMES.get(name, name)
            if field == "category" and category is None:
                continue
            for message in messages:
                fail(field if field in FIELDS else "title", message)
        if found:
            errors.extend(sorted(found, key=lambda error: FIELDS.index(error.field)))
            continue
        clean.append(CleanProposalRow(row.row, checked.values, represented))
    return clean, errors


# --- Storing ----------------------------------------------------------------------------------

def insert_rows(batch, call: PlanCall, point_id: int, rows: list[CleanProposalRow], now) -> None:
    """The batch's rows as proposals, in one statement: channel "batch", the point's,
    moderated as the call says, each with its receipt code."""
    state = (ModerationState.PENDING if call.moderation_mode == ModerationMode.PRE.value
             else ModerationState.PUBLISHED).value
    values = [{
        **row.values, "call_id": call.id, "author_id": None, "liaison_point_id": point_id, "batch_id": batch.id,
        "batch_row": row.row, "represented_count": row.represented, "channel": "batch", "moderation_state": state,
        "hidden_reason": "", "classification": "pending", "classification_reason": "", "classification_note": "",
        "submission_token": None, "created_at": now, "receipt_code": receipt,
    } for row, receipt in zip(rows, receipt_codes(len(rows)))]
    if values:
        db.session.execute(insert(Proposal.__table__), values)


def receipts_of(batch) -> list[tuple[int, str]]:
    from sqlalchemy import select

    return list(db.session.execute(select(Proposal.batch_row, Proposal.receipt_code)
                                   .where(Proposal.batch_id == batch.id).order_by(Proposal.batch_row)).all())


# --- 点对点反馈 of a batch of proposals --------------------------------------------------------

def feedback_workbook(batch) -> bytes:
    """The batch's proposals in the template's layout, each with its receipt code, status
    and, once the year's plan is published, its classification and reason (never the
    internal note)."""
    from sqlalchemy import select

    from participation import labels, queries

    call = db.session.get(PlanCall, batch.plan_call_id)
    plan = queries.plan_of_year(call.year)
    released = plan is not None and plan.published_at is not None
    added = ("回执码", "处理状态", "处理情况", "理由")
    rows: list[tuple[int, list]] = [(1, [HEADERS[name] for name in FIELDS] + list(added))]
    proposals = db.session.scalars(select(Proposal).where(Proposal.batch_id == batch.id).order_by(Proposal.batch_row))
    for number, proposal in enumerate(proposals, start=2):
        classification = proposal.classification if released else "pending"
        rows.append((number, [
            proposal.title, proposal.necessity, proposal.problems, proposal.measures, proposal.area,
            labels.label(labels.PROPOSER_CATEGORY, proposal.category), proposal.submitter_name, proposal.unit,
            proposal.region, proposal.contact, "是" if proposal.is_name_public else "否", proposal.represented_count,
            proposal.receipt_code, labels.label(labels.MODERATION_STATE, proposal.moderation_state),
            labels.label(labels.CLASSIFICATION, classification), proposal.classification_reason if released else "",
        ]))
    widths = {0: 24, 1: 40, 2: 30, 3: 30, 12: 16, 13: 12, 14: 14, 15: 40}
    workbook = spreadsheets.write_feedback(sheet_title="立法项目建议汇总表", rows=rows, header_row=1,
                                           added_from=len(FIELDS), widths=widths)
    return spreadsheets.workbook_bytes(workbook)


# --- The template ------------------------------------------------------------------------------

def template_workbook(call: PlanCall) -> bytes:
    """The .xlsx a point fills in for ``call``: the canonical headers, drop-downs for the
    category and publish columns, the call's focus areas as the area column's list."""
    T = spreadsheets.TemplateColumn
    columns = [
        T(HEADERS["title"], 24, _("必填。建议制定的法规名称，如“某市电动自行车管理条例”。")),
        T(HEADERS["necessity"], 40, _("必填。")),
        T(HEADERS["problems"], 30, _("可不填。")),
        T(HEADERS["measures"], 30, _("可不填。")),
        T(HEADERS["area"], 14, _("从下拉列表选择本次征集的重点领域。"), clause_list=bool(call.focus_areas)),
        T(HEADERS["category"], 14, _("从下拉列表选择；留空记为“公民”。"), choices=CATEGORY_CHOICES),
        T(HEADERS["name"], 10, _("可不填。")),
        T(HEADERS["unit"], 20, _("单位、政府部门提出时必填。")),
        T(HEADERS["region"], 12, _("可不填。")),
        T(HEADERS["contact"], 16, _("只供工作人员联系，不会公开。")),
        T(HEADERS["publish_name"], 10, _("是或否；留空记为“否”。"), choices=("是", "否")),
        T(HEADERS["represented"], 10, _("反映同一建议的群众人数，整数；留空记为 1。"), whole_number_min=1),
    ]
    instructions = [
        _("《%(title)s》立法项目建议汇总表 填写说明", title=call.title),
        _("1. 每行填写一件立法项目建议，第一行表头请勿修改。可以增加“序号”等其他列，导入时会忽略。"),
        _("2. 项目名称、立法的必要性和可行性必填；项目名称不超过 %(title)d 字，其他文字不超过 %(text)d 字。",
          title=service.MAX_TITLE_LENGTH, text=service.MAX_TEXT_LENGTH),
        _("3. 重点领域：%(areas)s。", areas="、".join(call.focus_areas) if call.focus_areas else _("可自由填写")),
        _("4. 提出人类别：%(choices)s；留空记为“公民”。单位、政府部门须填写单位名称。", choices="、".join(CATEGORY_CHOICES)),
        _("5. 联系方式只供工作人员查看，不会公开；是否公开姓名填“是”时公开姓名（或单位）。"),
        _("6. 一次最多 %(max)d 行。上传后先预览，确认后整批导入；任何一行有错误时整批都不会导入。同一文件重复上传不会重复导入。",
          max=max_rows()),
    ]
    workbook = spreadsheets.write_template(
        document_title=call.title, sheet_title="立法项目建议汇总表", columns=columns, data_rows=max_rows(),
        clause_sheet_title="重点领域", clause_headers=("重点领域", "", ""),
        clauses=[spreadsheets.ClauseChoice(area, "", "") for area in call.focus_areas or []],
        instructions_title="填写说明", instructions=instructions,
    )
    return spreadsheets.workbook_bytes(workbook)
