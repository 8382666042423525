"""The disposition sheet to download: one row per opinion the staff list's filters
select, what was said and by whom, then the three columns to fill in (处理情况 with a
drop-down, 处理理由, 内部备注) holding what is recorded now."""
from __future__ import annotations

import re

from flask_babel import gettext as _
from sqlalchemy import func, select

from participation import labels, queries, spreadsheets
from participation.disposition_sheets.columns import (
    EDITABLE_FROM, FIELDS, HEADERS, WIDTHS, disposition_words, max_rows,
)
from participation.errors import ValidationFailed
from participation.extensions import db
from participation.models import Draft, LiaisonPoint, Opinion
from participation.services.dispositions import MAX_DISPOSITION_NOTE_LENGTH, MAX_DISPOSITION_REASON_LENGTH

SHEET_TITLE = "处理情况表"
_UNSAFE_FILENAME = re.compile(r'[\\/:*?"<>|\x00-\x1f]')
_COLUMNS = (Opinion.id, Opinion.version_id, Opinion.provision_key, Opinion.receipt_code, Opinion.stance,
            Opinion.body, Opinion.proposed_text, Opinion.reason, Opinion.category, Opinion.liaison_point_id,
            Opinion.moderation_state, Opinion.disposition, Opinion.disposition_reason, Opinion.disposition_note)


def selected_count(draft: Draft, filters: queries.StaffOpinionFilters) -> int:
    selection = queries.staff_opinions_query(draft.id, filters).order_by(None).subquery()
    return db.session.scalar(select(func.count()).select_from(selection)) or 0


def workbook(draft: Draft, filters: queries.StaffOpinionFilters) -> bytes:
    """The .xlsx of the opinions of ``draft`` that ``filters`` select (newest first, as
    the list shows them). Raises ValidationFailed when they are more than one sheet may
    hold (``max_rows``)."""
    count = selected_count(draft, filters)
    if count > max_rows():
        raise ValidationFailed(_("筛选出 %(count)d 条意见，超过一张处理情况表 %(max)d 条的上限。请按条款等条件筛选后分批下载。",
                                 count=count, max=max_rows()))
    rows = db.session.execute(queries.staff_opinions_query(draft.id, filters).with_only_columns(*_COLUMNS)).all()
    citations = queries.clause_citations((row.version_id, row.provision_key) for row in rows)
    point_ids = {row.liaison_point_id for row in rows if row.liaison_point_id}
    points = dict(db.session.execute(select(LiaisonPoint.id, LiaisonPoint.name)
                                     .where(LiaisonPoint.id.in_(point_ids))).all()) if point_ids else {}
    words = dict(zip(labels.DISPOSITION, disposition_words()))
    whole_draft = _("总体意见")
    # Translated once, not once a cell: a lazy label costs a gettext each time it is read.
    stances, categories, states = ({value: str(label) for value, label in mapping.items()} for mapping in (
        labels.STANCE, labels.SUBMITTER_CATEGORY, labels.MODERATION_STATE))

    def values(row) -> list:
        return [
            row.id, row.receipt_code, citations.get((row.version_id, row.provision_key)) or whole_draft,
            stances.get(row.stance, row.stance), row.body, row.proposed_text or "", row.reason or "",
            categories.get(row.category, row.category), points.get(row.liaison_point_id, ""),
            states.get(row.moderation_state, row.moderation_state),
            words.get(row.disposition, row.disposition), row.disposition_reason or "", row.disposition_note or "",
        ]

    book = spreadsheets.write_table(
        sheet_title=SHEET_TITLE, headers=[HEADERS[name] for name in FIELDS], rows=(values(row) for row in rows),
        widths=list(WIDTHS), editable_from=EDITABLE_FROM,
        choices={FIELDS.index("disposition"): disposition_words()},
        choice_error=_("请从下拉列表中选择处理情况。"), instructions_title="填写说明",
        instructions=_instructions(draft),
    )
    return spreadsheets.workbook_bytes(book)


def _instructions(draft: Draft) -> list[str]:
    return [
        _("《%(title)s》意见处理情况表 填写说明", title=draft.title),
        _("1. 每行一条意见。只填写浅黄色表头的“处理情况”“处理理由”“内部备注”三列；其他各列仅供阅读，改动不会生效。请勿修改“意见编号”。"),
        _("2. 处理情况：从下拉列表选择 %(words)s；留空表示该行不作修改。", words="、".join(disposition_words())),
        _("3. 选择“未采纳”或“部分采纳”时必须填写处理理由。处理理由在意见采纳情况反馈发布后告知提出人；内部备注只供工作人员查看，不会公开。"),
        _("4. 处理理由、内部备注各不超过 %(reason)d 字、%(note)d 字。不要使用公式。",
          reason=MAX_DISPOSITION_REASON_LENGTH, note=MAX_DISPOSITION_NOTE_LENGTH),
        _("5. 可以删去不需要处理的行、调整列的顺序，也可以另存为 CSV（UTF-8 或 GBK 编码）后上传。"),
        _("6. 上传后先逐行检查：有任何错误时不会修改任何意见，所有错误一次列出；确认后一次更新。同一文件重复上传不会重复修改。"),
    ]


def download_name(draft: Draft) -> str:
    name = _UNSAFE_FILENAME.sub("", draft.title).strip()[:80] or "draft"
    return f"{name}-{_('处理情况表')}.xlsx"
