"""The Excel export of a draft's opinions (openpyxl write-only mode: rows are streamed
to the file as they are read, so 100,000 opinions take little memory).

Sheet 1 lists every opinion the staff filter selects, in the staff list's order, with
every field (contact details included: staff only). Sheet 2 is the tally of those same
rows by clause, stance and disposition, so its total is the first sheet's row count.

Text is written as text: a string beginning with "=", "+", "-", "@", a tab or a carriage
return gets a cell of type string with the quote prefix (``spreadsheets.text_cell``),
never a formula; other strings are plain shared strings, which openpyxl never reads as
formulas either."""
from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from flask_babel import gettext as _
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter
from sqlalchemy import select, tuple_

from participation import clock, labels
from participation.extensions import db
from participation.exports import rows as export_rows
from participation.models import Provision
from participation.queries import StaffOpinionFilters
from participation.spreadsheets.writing import needs_quote_prefix, text_cell

_HEADER_FONT = Font(bold=True)
_HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")
PROGRESS_EVERY = 5_000


def headers() -> list[tuple[str, int]]:
    """(header, column width) of the opinion sheet, in order."""
    return [
        (_("回执码"), 18), (_("条款"), 24), (_("条款键"), 14), (_("态度"), 8), (_("意见内容"), 60),
        (_("修改建议条文"), 40), (_("理由"), 40), (_("提出人类别"), 12), (_("姓名"), 12), (_("地区"), 12),
        (_("联系方式"), 20), (_("代表团"), 12), (_("渠道"), 10), (_("联系点"), 20), (_("活动"), 24),
        (_("反映群众人数"), 8), (_("状态"), 8), (_("屏蔽理由"), 24), (_("处理情况"), 12), (_("处理理由"), 40),
        (_("承办人"), 12), (_("提交时间"), 20), (_("审核时间"), 20), (_("处理时间"), 20),
    ]


def _clean(value: str) -> str:
    # Control characters are not allowed in the file format (openpyxl refuses them).
    return ILLEGAL_CHARACTERS_RE.sub("", value) if value else value


@dataclass
class ExportTally:
    """Counts of the exported rows by clause: (version id, key or None) → counters."""

    totals: Counter = field(default_factory=Counter)
    stances: dict = field(default_factory=dict)
    dispositions: dict = field(default_factory=dict)
    represented: Counter = field(default_factory=Counter)

    def add(self, row) -> None:
        key = (row.version_id, row.provision_key) if row.provision_key else (None, None)
        self.totals[key] += 1
        self.stances.setdefault(key, Counter())[row.stance] += 1
        self.dispositions.setdefault(key, Counter())[row.disposition] += 1
        self.represented[key] += row.represented_count or 0

    def ordered_keys(self) -> list:
        """总体意见 first, then the clauses in document order (of their version)."""
        pairs = [key for key in self.totals if key[1] is not None]
        positions: dict = {}
        for start in range(0, len(pairs), 400):
            chunk = pairs[start:start + 400]
            positions.update({(v, k): p for v, k, p in db.session.execute(
                select(Provision.version_id, Provision.key, Provision.position)
                .where(tuple_(Provision.version_id, Provision.key).in_(chunk)))})
        whole = [key for key in self.totals if key[1] is None]
        return whole + sorted(pairs, key=lambda key: (key[0], positions.get(key, 1 << 30), key[1]))


def write_opinions_workbook(path: Path, draft_id: int, filters: StaffOpinionFilters, *,
                            progress: Callable[[int, int], None] | None = None) -> int:
    """Write the workbook to ``path``; returns the number of opinion rows. ``progress``
    is called with (rows written, rows expected) every few thousand rows."""
    total = export_rows.count(draft_id, filters)
    context = export_rows.load_context(draft_id, filters)
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(_("意见"))
    columns = headers()
    for index, (_header, width) in enumerate(columns, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    sheet.freeze_panes = "A2"
    sheet.append([text_cell(sheet, header, font=_HEADER_FONT, fill=_HEADER_FILL) for header, _w in columns])

    stance = {key: str(value) for key, value in labels.STANCE.items()}
    category = {key: str(value) for key, value in labels.SUBMITTER_CATEGORY.items()}
    channel = {key: str(value) for key, value in labels.CHANNEL.items()}
    state = {key: str(value) for key, value in labels.MODERATION_STATE.items()}
    disposition = {key: str(value) for key, value in labels.DISPOSITION.items()}
    activity_kind = {key: str(value) for key, value in labels.BATCH_ACTIVITY_KIND.items()}
    whole_draft = _("总体意见")

    def text(value):
        if not value:
            return None  # an empty cell is skipped, not written as an empty string
        value = _clean(value)
        return text_cell(sheet, value) if needs_quote_prefix(value) else value

    zone = clock.local_zone()

    def when(value):
        # Excel has no time zones: the configured zone's wall-clock time, without a zone
        # (openpyxl gives a datetime its date-and-time number format).
        return value.astimezone(zone).replace(tzinfo=None) if value is not None else None

    tally = ExportTally()
    written = 0
    for row in export_rows.iter_rows(draft_id, filters):
        batch = context.batches.get(row.batch_id) if row.batch_id else None
        activity = ""
        if batch is not None:
            activity = " ".join(part for part in (activity_kind.get(batch.kind, batch.kind),
                                                  batch.date.isoformat(), batch.place) if part)
        sheet.append([
            text(row.receipt_code),
            text(context.citation(row) or row.provision_key if row.provision_key else whole_draft),
            text(row.provision_key or ""),
            stance.get(row.stance, row.stance),
            text(row.body), text(row.proposed_text), text(row.reason),
            category.get(row.category, row.category),
            text(row.submitter_name), text(row.region), text(row.contact), text(row.delegation or ""),
            channel.get(row.channel, row.channel),
            text(context.points.get(row.liaison_point_id, "")) if row.liaison_point_id else "",
            text(activity),
            row.represented_count,
            state.get(row.moderation_state, row.moderation_state),
            text(row.hidden_reason),
            disposition.get(row.disposition, row.disposition),
            text(row.disposition_reason),
            text(context.assignee(row)),
            when(row.created_at), when(row.moderated_at), when(row.disposed_at),
        ])
        tally.add(row)
        written += 1
        if progress is not None and written % PROGRESS_EVERY == 0:
            progress(written, total)
    _write_tally(workbook, tally, context, whole_draft, stance, disposition)
    workbook.save(path)
    return written


def _write_tally(workbook, tally: ExportTally, context, whole_draft: str, stance: dict, disposition: dict) -> None:
    sheet = workbook.create_sheet(_("统计"))
    stances, dispositions = list(labels.STANCE), list(labels.DISPOSITION)
    header = [_("条款"), _("条款键"), _("意见数"), _("反映群众人数")] + [stance[s] for s in stances] + [
        disposition[d] for d in dispositions]
    sheet.column_dimensions["A"].width = 28
    sheet.column_dimensions["B"].width = 14
    sheet.freeze_panes = "C2"
    sheet.append([text_cell(sheet, value, font=_HEADER_FONT, fill=_HEADER_FILL) for value in header])

    class _Key:  # the citation lookup reads these two attributes
        def __init__(self, version_id, provision_key):
            self.version_id, self.provision_key = version_id, provision_key

    for key in tally.ordered_keys():
        label = context.citation(_Key(*key)) if key[1] else whole_draft
        sheet.append([text_cell(sheet, label or key[1]), text_cell(sheet, key[1] or ""), tally.totals[key],
                      tally.represented[key]] + [tally.stances[key][s] for s in stances]
                     + [tally.dispositions[key][d] for d in dispositions])
    all_stances = sum(tally.stances.values(), Counter())
    all_dispositions = sum(tally.dispositions.values(), Counter())
    sheet.append([text_cell(sheet, _("合计"), font=_HEADER_FONT), "", sum(tally.totals.values()),
                  sum(tally.represented.values())] + [all_stances[s] for s in stances]
                 + [all_dispositions[d] for d in dispositions])
