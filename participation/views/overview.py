"""统计概览 for leadership (staff and admins), on the staff blueprint: the figures of
``participation.queries.overview`` for a period, as tables each with a bar chart drawn
as inline SVG on the server (no script, no CDN), and the same tables as an Excel
workbook, one sheet per table.

The tables are built once (``overview_tables``, and ``proposal_tables`` for the
legislative-plan proposals) for both the page and the workbook, so they show the same
numbers. The proposal tables have no chart of their own and go on the workbook's 概要
sheet, below the summary (the sheets and charts of the opinion tables stay as they
were)."""
from __future__ import annotations

import io
from dataclasses import dataclass, field

from flask import redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user

from participation import clock, labels, policies
from participation.queries.overview import Overview, Period, PeriodError, overview_figures, parse_period
from participation.spreadsheets import XLSX_MIMETYPE, text_cell, workbook_bytes
from participation.unit_of_work import reads
from participation.views import require
from participation.views.staff import bp

# The chart's geometry (SVG user units; the SVG scales to the page's width).
CHART_WIDTH = 640
LABEL_WIDTH = 210
VALUE_WIDTH = 70
BAR_HEIGHT = 20
ROW_GAP = 6


@dataclass
class Table:
    """One table of the overview: its rows, and which of them the chart draws (the
    first column as the label, the second as the value)."""

    key: str
    title: str
    columns: list[str]
    rows: list[list]
    chart_rows: list[tuple[str, int]] | None = None
    note: str = ""
    bars: list[dict] = field(default_factory=list)


def _share(overview: Overview, count: int) -> str:
    share = overview.share(count)
    return "—" if share is None else f"{share}%"


def _counted(overview: Overview, mapping: dict, counts: dict, *, every: bool) -> list[list]:
    rows = [[labels.label(mapping, key), count, _share(overview, count)]
            for key, count in counts.items() if every or count]
    return rows


def overview_tables(overview: Overview) -> list[Table]:
    share = _("占比")
    point_rows = [[p.name, p.opinions, p.represented, p.batches, p.participants] for p in overview.points]
    tables = [
        Table("months", _("按月份"), [_("月份"), _("意见数")], [[month, count] for month, count in overview.by_month]),
        Table("channels", _("按渠道"), [_("渠道"), _("意见数"), share],
              _counted(overview, labels.CHANNEL, overview.by_channel, every=True)),
        Table("categories", _("按提出人类别"), [_("提出人类别"), _("意见数"), share],
              _counted(overview, labels.SUBMITTER_CATEGORY, overview.by_category, every=False)),
        Table("dispositions", _("按处理情况"), [_("处理情况"), _("意见数"), share],
              _counted(overview, labels.DISPOSITION, overview.by_disposition, every=True)),
        Table("points", _("基层立法联系点报送"), [_("联系点"), _("报送意见"), _("反映群众人数"), _("报送批次"), _("参加活动人数")],
              point_rows, chart_rows=[(p.name, p.opinions) for p in overview.top_points],
              note=_("图中为报送意见最多的 %(n)d 个联系点。", n=len(overview.top_points)) if point_rows else ""),
        Table("silent_points", _("本期未报送意见的联系点"), [_("联系点")], [[p.name] for p in overview.silent_points]),
        Table("delegations", _("人大代表意见（按代表团）"), [_("代表团"), _("意见数"), _("提出意见的代表")],
              [[row.delegation, row.opinions, row.deputies] for row in overview.by_delegation]),
        Table("drafts", _("意见最多的草案"), [_("草案"), _("意见数"), _("已处理"), _("采纳和部分采纳")],
              [[row.title, row.opinions, row.disposed, row.adopted] for row in overview.top_drafts]),
        Table("draft_counts", _("草案情况"), [_("事项"), _("草案数")], [
            [_("开始公开征求意见"), overview.drafts.opened], [_("征求意见期结束"), overview.drafts.closed],
            [_("发布意见采纳情况反馈"), overview.drafts.feedback_published]]),
    ]
    for table in tables:
        if table.chart_rows is None and table.key not in ("silent_points", "draft_counts"):
            table.chart_rows = [(str(row[0]), row[1]) for row in table.rows]
        table.bars = _bars(table.chart_rows or [])
    return tables


def proposal_tables(overview: Overview) -> list[Table]:
    """立法项目建议 received in the period, by call, proposer category, classification
    and channel."""
    counts = overview.proposals
    number = _("建议数")
    return [
        Table("proposal_calls", _("立法项目建议（按征集）"), [_("征集"), _("年度"), number],
              [[row.title, row.year, row.proposals] for row in counts.by_call]),
        Table("proposal_categories", _("立法项目建议（按提出人类别）"), [_("提出人类别"), number],
              [[labels.label(labels.PROPOSER_CATEGORY, key), n] for key, n in counts.by_category.items() if n]),
        Table("proposal_classifications", _("立法项目建议（按处理情况）"), [_("处理情况"), number],
              [[labels.label(labels.CLASSIFICATION, key), n] for key, n in counts.by_classification.items()]),
        Table("proposal_channels", _("立法项目建议（按渠道）"), [_("渠道"), number],
              [[labels.label(labels.CHANNEL, key), n] for key, n in counts.by_channel.items()]),
    ]


def _bars(rows: list[tuple[str, int]]) -> list[dict]:
    """Each bar's place and length in the SVG (a zero count draws no bar)."""
    largest = max((value for _label, value in rows), default=0)
    span = CHART_WIDTH - LABEL_WIDTH - VALUE_WIDTH
    return [{"label": label, "value": value, "y": index * (BAR_HEIGHT + ROW_GAP),
             "width": round(span * value / largest, 1) if largest else 0}
            for index, (label, value) in enumerate(rows)]


def _period_args() -> tuple[Period, dict[str, list[str]]]:
    today = clock.utc_to_local(clock.now()).date()
    try:
        return parse_period(request.args.get("from"), request.args.get("to"), today), {}
    except PeriodError as exc:
        return Period.calendar_year(today), exc.fields


@bp.get("/overview")
@reads
def overview_page():
    require(policies.can_view_overview(current_user))
    period, errors = _period_args()
    overview = overview_figures(period, clock.now())
    form = {"from": request.args.get("from", period.start.isoformat()) if errors else period.start.isoformat(),
            "to": request.args.get("to", period.end.isoformat()) if errors else period.end.isoformat()}
    return render_template(
        "staff/overview.html", overview=overview, tables=overview_tables(overview), errors=errors, form=form,
        proposal_tables=proposal_tables(overview),
        chart={"width": CHART_WIDTH, "label_width": LABEL_WIDTH, "bar_height": BAR_HEIGHT, "gap": ROW_GAP},
        time_zone=clock.local_zone().key,
    ), (422 if errors else 200)


@bp.get("/overview.xlsx")
@reads
def overview_workbook():
    require(policies.can_view_overview(current_user))
    period, errors = _period_args()
    if errors:
        # The page says what is wrong with the dates.
        return redirect(url_for("staff.overview_page", **request.args.to_dict()), 303)
    overview = overview_figures(period, clock.now())
    response = send_file(io.BytesIO(workbook_bytes(_workbook(overview))), mimetype=XLSX_MIMETYPE, as_attachment=True,
                         max_age=0, download_name=f"统计概览_{period.start.isoformat()}_{period.end.isoformat()}.xlsx")
    response.headers["Cache-Control"] = "no-store"
    return response


def _workbook(overview: Overview):
    """One sheet for the period and the summary, then one per table. Every text cell
    (point names and draft titles come from people) is written as text."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    bold = Font(bold=True)
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(_("概要"))
    sheet.column_dimensions["A"].width = 24
    sheet.column_dimensions["B"].width = 90
    start, end = overview.period.start.isoformat(), overview.period.end.isoformat()
    for label, value in ((_("统计期间"), f"{start} — {end}"), (_("时区"), clock.local_zone().key),
                         (_("收到意见"), overview.total), (_("反映群众人数"), overview.represented),
                         (_("已处理"), overview.disposed), (_("采纳和部分采纳"), overview.adopted),
                         (_("概述"), overview.summary), (_("征集立法项目建议"), overview.proposals.total)):
        sheet.append([text_cell(sheet, label, font=bold), text_cell(sheet, value)])
    for table in proposal_tables(overview):
        sheet.append([])
        sheet.append([text_cell(sheet, table.title, font=bold)])
        sheet.append([text_cell(sheet, column, font=bold) for column in table.columns])
        for row in table.rows:
            sheet.append([text_cell(sheet, value) for value in row])
    for table in overview_tables(overview):
        sheet = workbook.create_sheet(_sheet_title(table.title))
        sheet.column_dimensions["A"].width = 40
        sheet.append([text_cell(sheet, column, font=bold) for column in table.columns])
        for row in table.rows:
            sheet.append([text_cell(sheet, value) for value in row])
    return workbook


def _sheet_title(title: str) -> str:
    """Excel's rules for sheet names: at most 31 characters, none of []:*?/\\."""
    for character in "[]:*?/\\":
        title = title.replace(character, " ")
    return title[:31]
