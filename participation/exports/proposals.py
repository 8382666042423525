"""Staff exports of a legislative-plan call's proposals, run as jobs like the opinion
exports (``participation.exports.jobs``): an Excel sheet with every field (contact
details and the staff note included: staff only) and the Word 立法项目建议汇总表,
grouped by proposed regulation.

Both honour the staff list's filter (``queries.ProposalFilters``, through
``queries.proposals_query``), kept in ``Job.params["filter"]``; the call's id is in
``Job.params["call_id"]`` (a job row names a draft, not a call). Text cells are written
as the opinion workbook writes them (never a formula); times in the configured zone
(Beijing time)."""
from __future__ import annotations

import unicodedata
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

from flask_babel import gettext as _
from openpyxl import Workbook
from openpyxl.utils import get_column_letter
from sqlalchemy import func, select

from participation import clock, jobs, labels, queries
from participation.exports import documents
from participation.exports.jobs import _finish
from participation.exports.workbook import _HEADER_FILL, _HEADER_FONT, _clean
from participation.extensions import db
from participation.jobs.queue import files_folder
from participation.models import Job, LiaisonPoint, PlanCall, PlanProject, Proposal, ProposalGroup, User
from participation.queries import ProposalFilters
from participation.spreadsheets.writing import needs_quote_prefix, text_cell
from participation.unit_of_work import reading

XLSX = "exports.proposals_xlsx"
DOCX = "exports.proposals_docx"
FORMATS = {"xlsx": XLSX, "docx": DOCX}
PROGRESS_EVERY = 1_000
#: 序号 | 建议内容摘要 | 提出方 | 处理情况: 16.6 cm, A4 less the margins; 处理情况 holds
#: the reason and the plan project, so it is the widest after the summary.
COLUMN_WIDTHS_CM = [1.4, 7.4, 3.2, 4.6]
#: Each part of a summary (必要性, 主要问题, 主要措施) is cut to this many characters.
SUMMARY_PART_CHARS = 200
_INTEGER_FILTERS = ("assignee_id", "group_id")
_TEXT_FILTERS = ("classification", "moderation_state", "category", "area", "channel", "text")


# --- the filter ------------------------------------------------------------------------------

def describe(filters: ProposalFilters) -> dict:
    """The filter's given values (for ``Job.params`` and the document's 筛选条件)."""
    return {name: value for name, value in asdict(filters).items() if value not in (None, "")}


def filters_from_params(params: dict) -> ProposalFilters:
    """The filter kept in ``Job.params["filter"]``; anything unknown is left out."""
    raw = params.get("filter") or {}
    values = {name: str(raw[name]) for name in _TEXT_FILTERS if isinstance(raw.get(name), str)}
    values.update({name: raw[name] for name in _INTEGER_FILTERS if isinstance(raw.get(name), int)})
    return ProposalFilters(**values)


# --- what the rows refer to ------------------------------------------------------------------

@dataclass
class Context:
    """Names of the things proposals point at, read once per export."""

    groups: dict[int, str] = field(default_factory=dict)
    projects: dict[int, str] = field(default_factory=dict)
    users: dict[int, str] = field(default_factory=dict)
    points: dict[int, str] = field(default_factory=dict)


def load_context(call_id: int) -> Context:
    subquery = select(Proposal.id).where(Proposal.call_id == call_id)
    context = Context()
    context.groups = dict(db.session.execute(
        select(ProposalGroup.id, ProposalGroup.title).where(ProposalGroup.call_id == call_id)).all())
    context.projects = dict(db.session.execute(
        select(PlanProject.id, PlanProject.title).join(Proposal, Proposal.project_id == PlanProject.id)
        .where(Proposal.id.in_(subquery)).distinct()).all())
    context.users = {row.id: row.display_name or row.email for row in db.session.execute(
        select(User.id, User.display_name, User.email).join(Proposal, Proposal.assignee_id == User.id)
        .where(Proposal.id.in_(subquery)).distinct())}
    context.points = dict(db.session.execute(
        select(LiaisonPoint.id, LiaisonPoint.name).join(Proposal, Proposal.liaison_point_id == LiaisonPoint.id)
        .where(Proposal.id.in_(subquery)).distinct()).all())
    return context


def count(call_id: int, filters: ProposalFilters) -> int:
    query = queries.proposals_query(call_id, filters).order_by(None)
    return db.session.scalar(select(func.count()).select_from(query.subquery())) or 0


def iter_proposals(call_id: int, filters: ProposalFilters):
    return db.session.scalars(queries.proposals_query(call_id, filters).execution_options(yield_per=500))


def _labels(mapping: dict) -> dict[str, str]:
    return {key: str(value) for key, value in mapping.items()}


# --- Excel -----------------------------------------------------------------------------------------

def headers() -> list[tuple[str, int]]:
    """(header, column width) of the proposal sheet, in order."""
    return [
        (_("回执码"), 18), (_("项目名称"), 28), (_("重点领域"), 12), (_("立法的必要性和可行性"), 50),
        (_("需要解决的主要问题"), 40), (_("拟规定的主要制度和措施"), 40), (_("提出人类别"), 12), (_("姓名"), 12),
        (_("单位"), 20), (_("地区"), 12), (_("联系方式"), 20), (_("公开姓名"), 8), (_("议案/建议编号"), 14),
        (_("渠道"), 10), (_("联系点"), 20), (_("反映群众人数"), 8), (_("状态"), 8), (_("屏蔽理由"), 24),
        (_("处理情况"), 12), (_("处理理由"), 40), (_("内部备注"), 30), (_("合并处理"), 24), (_("列入项目"), 24),
        (_("承办人"), 12), (_("提交时间"), 20), (_("审核时间"), 20), (_("处理时间"), 20),
    ]


def write_workbook(path: Path, call_id: int, filters: ProposalFilters, *,
                   progress: Callable[[int, int], None] | None = None) -> int:
    """Write the workbook to ``path``; returns the number of proposal rows."""
    total = count(call_id, filters)
    context = load_context(call_id)
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(_("立法项目建议"))
    columns = headers()
    for index, (_header, width) in enumerate(columns, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    sheet.freeze_panes = "A2"
    sheet.append([text_cell(sheet, header, font=_HEADER_FONT, fill=_HEADER_FILL) for header, _w in columns])
    category, channel = _labels(labels.PROPOSER_CATEGORY), _labels(labels.CHANNEL)
    state, classification = _labels(labels.MODERATION_STATE), _labels(labels.CLASSIFICATION)
    yes, no = _("是"), _("否")
    zone = clock.local_zone()

    def text(value):
        if not value:
            return None
        value = _clean(value)
        return text_cell(sheet, value) if needs_quote_prefix(value) else value

    def when(value):
        return value.astimezone(zone).replace(tzinfo=None) if value is not None else None

    written = 0
    for row in iter_proposals(call_id, filters):
        sheet.append([
            text(row.receipt_code), text(row.title), text(row.area), text(row.necessity), text(row.problems),
            text(row.measures), category.get(row.category, row.category), text(row.submitter_name), text(row.unit),
            text(row.region), text(row.contact), yes if row.is_name_public else no, text(row.motion_number),
            channel.get(row.channel, row.channel), text(context.points.get(row.liaison_point_id, "")),
            row.represented_count, state.get(row.moderation_state, row.moderation_state), text(row.hidden_reason),
            classification.get(row.classification, row.classification), text(row.classification_reason),
            text(row.classification_note), text(context.groups.get(row.group_id, "")),
            text(context.projects.get(row.project_id, "")), text(context.users.get(row.assignee_id, "")),
            when(row.created_at), when(row.moderated_at), when(row.classified_at),
        ])
        written += 1
        if progress is not None and written % PROGRESS_EVERY == 0:
            progress(written, total)
    workbook.save(path)
    return written


# --- Word: 立法项目建议汇总表 ---------------------------------------------------------------------------

def _normalised(title: str) -> str:
    text = unicodedata.normalize("NFKC", title or "").casefold()
    return "".join(ch for ch in text if unicodedata.category(ch)[0] not in "PZSC")


@dataclass
class Regulation:
    """One proposed regulation: a merge group, or proposals of the same title."""

    title: str
    proposals: list = field(default_factory=list)


def group_by_regulation(rows, context: Context) -> list[Regulation]:
    """Proposals of one ``ProposalGroup`` under the group's title; the others under
    their own title, identical titles (ignoring spaces, punctuation, width) together.
    In the order the first proposal of each came in."""
    regulations: dict[tuple, Regulation] = {}
    for row in rows:
        if row.group_id is not None and row.group_id in context.groups:
            key, title = ("group", row.group_id), context.groups[row.group_id]
        else:
            key, title = ("title", _normalised(row.title)), row.title
        regulations.setdefault(key, Regulation(title)).proposals.append(row)
    return list(regulations.values())


def _cut(text: str) -> str:
    text = (text or "").strip()
    return text if len(text) <= SUMMARY_PART_CHARS else text[:SUMMARY_PART_CHARS] + "……"


def _summary(row) -> str:
    lines = []
    if row.title:
        lines.append(_("【%(title)s】", title=row.title))
    for label, value in ((_("必要性"), row.necessity), (_("主要问题"), row.problems), (_("主要措施"), row.measures)):
        if value:
            lines.append(f"{label}：{_cut(value)}")
    return "\n".join(lines)


def _proposer(row, context: Context, category: dict) -> str:
    parts = [category.get(row.category, row.category), row.submitter_name, row.unit, row.region]
    who = "，".join(part for part in parts if part)
    if row.liaison_point_id in context.points:
        who += "\n" + context.points[row.liaison_point_id]
    if row.motion_number:
        who += "\n" + _("依据议案/建议：%(number)s", number=row.motion_number)
    return who


def _handling(row, context: Context, classification: dict) -> str:
    lines = [classification.get(row.classification, row.classification)]
    if row.project_id in context.projects:
        lines.append(_("列入项目：%(title)s", title=context.projects[row.project_id]))
    if row.classification_reason:
        lines.append(row.classification_reason)
    return "\n".join(lines)


def file_title(call: PlanCall) -> str:
    return _("%(year)d年度立法计划项目建议汇总表", year=call.year)


def write_summary(path: Path, call: PlanCall, filters: ProposalFilters, *,
                  progress: Callable[[int, int], None] | None = None) -> int:
    """Write the 立法项目建议汇总表 to ``path``; returns the number of proposals in it."""
    total = count(call.id, filters)
    context = load_context(call.id)
    rows = []
    for row in iter_proposals(call.id, filters):
        rows.append(row)
        if progress is not None and len(rows) % PROGRESS_EVERY == 0:
            progress(len(rows), total)
    regulations = group_by_regulation(rows, context)
    category, classification = _labels(labels.PROPOSER_CATEGORY), _labels(labels.CLASSIFICATION)
    document = documents.new_document(file_title(call))
    period = ""
    if call.opens_at is not None and call.closes_at is not None:
        period = _("征集期：%(start)s 至 %(end)s", start=clock.format_local(call.opens_at, "%Y年%m月%d日"),
                   end=clock.format_local(call.closes_at, "%Y年%m月%d日"))
    documents.title(document, file_title(call), call.title + ("\n" + period if period else ""))
    documents.heading(document, _("一、总体情况"), 1)
    documents.paragraph(document, _("本表收录立法项目建议 %(n)d 件，涉及拟制定（修改）的法规 %(m)d 项。",
                                    n=len(rows), m=len(regulations)))
    described = describe(filters)
    if described:
        documents.paragraph(document, _("筛选条件：%(filter)s。", filter="；".join(
            f"{name}={value}" for name, value in described.items())))
    by_class: dict[str, int] = {}
    for row in rows:
        by_class[row.classification] = by_class.get(row.classification, 0) + 1
    if by_class:
        documents.paragraph(document, _("处理情况：%(counts)s。", counts="，".join(
            f"{classification.get(key, key)} {by_class[key]} 件" for key in labels.CLASSIFICATION if key in by_class)))
    documents.heading(document, _("二、建议项目"), 1)
    if not regulations:
        documents.paragraph(document, _("没有符合条件的立法项目建议。"))
    header = [_("序号"), _("建议内容摘要"), _("提出方"), _("处理情况")]
    for number, regulation in enumerate(regulations, start=1):
        documents.heading(document, _("%(n)d. %(title)s（%(count)d 件）", n=number, title=regulation.title,
                                      count=len(regulation.proposals)), 2)
        documents.fast_table(document, header, [
            [str(index), _summary(row), _proposer(row, context, category), _handling(row, context, classification)]
            for index, row in enumerate(regulation.proposals, start=1)], COLUMN_WIDTHS_CM)
    document.save(str(path))
    return len(rows)


# --- the jobs -------------------------------------------------------------------------------------

def _call_of(job: Job) -> PlanCall:
    call_id = (job.params or {}).get("call_id")
    call = db.session.get(PlanCall, call_id) if isinstance(call_id, int) else None
    if call is None:
        raise jobs.JobFailed(_("征集公告已不存在，无法导出。"))
    return call


file_names = {
    "xlsx": lambda call: _("%(year)d年度立法项目建议.xlsx", year=call.year),
    "docx": lambda call: file_title(call) + ".docx",
}


def _run(job: Job, suffix: str, write) -> None:
    import secrets

    stored = f"{secrets.token_hex(16)}.{suffix}"
    path = files_folder() / stored
    try:
        with reading():  # one snapshot for the rows and the counts
            call = _call_of(job)
            name = file_names[suffix](call)
            write(path, call, filters_from_params(job.params), lambda done, total: jobs.report_progress(job, done, total))
            db.session.rollback()
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    _finish(job, name, stored, path)


@jobs.task(XLSX, retries=2, retry_delay=10)
def proposals_xlsx(job: Job) -> None:
    _run(job, "xlsx", lambda path, call, filters, progress: write_workbook(path, call.id, filters, progress=progress))


@jobs.task(DOCX, retries=2, retry_delay=10)
def proposals_docx(job: Job) -> None:
    _run(job, "docx", lambda path, call, filters, progress: write_summary(path, call, filters, progress=progress))
