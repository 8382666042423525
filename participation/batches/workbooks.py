"""The workbooks of the 报送意见 area: the template a point fills in for a draft, and the
feedback sheet (点对点反馈) of a stored batch, each row with its receipt code, status and
disposition."""
from __future__ import annotations

import re

from flask_babel import gettext as _

from participation import labels, queries, spreadsheets
from participation.batches.citations import VersionClauses
from participation.batches.reading import reading_limits
from participation.batches.rows import max_rows
from participation.batches.uploads import read_file
from participation.batches.vocabulary import CATEGORY_CHOICES, FIELDS, HEADERS, STANCE_CHOICES, is_header_row
from participation.errors import NotFound
from participation.extensions import db
from participation.models import Batch, Disposition, Draft, ModerationState, Opinion
from participation.services import feedback
from participation.services.opinions import MAX_BODY_LENGTH, MAX_PROPOSED_TEXT_LENGTH, MAX_REASON_LENGTH


# --- 点对点反馈: each row's status and disposition ---------------------------------------------

FEEDBACK_HEADERS = ("回执码", "处理状态", "采纳情况", "采纳理由")


def row_status(opinion: Opinion) -> str:
    label = labels.label(labels.MODERATION_STATE, opinion.moderation_state)
    if opinion.moderation_state == ModerationState.HIDDEN.value and opinion.hidden_reason:
        return _("%(state)s：%(reason)s", state=label, reason=opinion.hidden_reason)
    return label


def row_disposition(opinion: Opinion, draft: Draft | None) -> tuple[str, str]:
    """(采纳情况, 理由) of a batch row: the disposition and its reason once ``draft``'s
    feedback is published, 待处理 and no reason before (staff may still revise them).
    Never the internal note."""
    released = feedback.released_disposition(opinion, draft)
    if released is None:
        return labels.label(labels.DISPOSITION, Disposition.PENDING.value), ""
    return released.label, released.reason


def _feedback_values(opinion: Opinion | None, draft: Draft | None) -> list[str]:
    if opinion is None:
        return ["", "", "", ""]
    disposition, reason = row_disposition(opinion, draft)
    return [opinion.receipt_code, row_status(opinion), disposition, reason]


def feedback_workbook(batch: Batch) -> bytes:
    """The batch as the point sent it, each row with its receipt code, status and
    disposition added: the uploaded sheet itself when it is kept (same columns, same
    rows, extra columns such as 序号 included), else the template's layout."""
    if batch.plan_call_id is not None:
        from participation.batches import proposal_rows

        return proposal_rows.feedback_workbook(batch)
    opinions = queries.batch_opinions(batch)
    # Whether the dispositions are released is the draft's (loaded by id: the batch may
    # come without its relationships).
    draft = db.session.get(Draft, batch.draft_id) if batch.draft_id else None
    data = read_file(batch.stored_file)
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
        return _canonical_feedback(batch, draft, opinions)
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
            rows.append((row_number, padded + _feedback_values(opinions.get(row_number), draft)))
    widths = {width + i: w for i, w in enumerate((16, 12, 12, 40))}
    workbook = spreadsheets.write_feedback(sheet_title=_sheet_title(table.sheet), rows=rows, header_row=header_row,
                                           added_from=width, widths=widths)
    return spreadsheets.workbook_bytes(workbook)


def _sheet_title(title: str) -> str:
    title = re.sub(r"[\[\]:*?/\\]", "", title or "")[:31]
    return title or "意见建议汇总表"


def _canonical_feedback(batch: Batch, draft: Draft | None, opinions: dict[int, Opinion]) -> bytes:
    clauses = VersionClauses(batch.version_id) if batch.version_id else None
    header = [HEADERS[name] for name in FIELDS]
    rows: list[tuple[int, list]] = [(1, header + list(FEEDBACK_HEADERS))]
    for number, (_row, opinion) in enumerate(sorted(opinions.items()), start=2):
        rows.append((number, [
            clauses.citation(opinion.provision_key) if clauses else (opinion.provision_key or "总体意见"),
            opinion.body, labels.label(labels.STANCE, opinion.stance), opinion.proposed_text, opinion.reason,
            labels.label(labels.SUBMITTER_CATEGORY, opinion.category), opinion.submitter_name, opinion.region,
            opinion.represented_count, *_feedback_values(opinion, draft),
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
        _("7. 反映群众人数：持相同意见的群众人数，留空记为 1。"),
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
