"""统计概览: the leadership's figures across every draft for a period of local dates.

Opinions count in the period of their receipt (``Opinion.created_at``), as the committee
reports count "本年度收到意见 N 条"; hidden opinions (已屏蔽) are left out, as in the
feedback report and the tally. Every figure is summed by the database (GROUP BY over
the period's rows): Python sees a few rows per group, never one per opinion.

The period is ``[from 00:00, to + 1 day 00:00)`` in the configured time zone, so an
opinion sent at 23:30 Beijing time on 31 December belongs to December even though it is
stored as 15:30 UTC. Months are cut the same way.

Legislative-plan proposals (立法项目建议) are one more block of ``Overview``
(``ProposalCounts``, counted in the period of their receipt, hidden ones left out like
opinions) with its own queries and one more part of ``summary_parts``.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from flask_babel import gettext as _
from sqlalchemy import and_, case, distinct, func, or_, select
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.expression import ColumnElement
from sqlalchemy.sql.visitors import InternalTraversal

from participation import clock, labels
from participation.extensions import db
from participation.models import Batch, Disposition, Draft, LiaisonPoint, ModerationState, Opinion, PlanCall, Proposal

#: A period longer than this is refused (a month bucket per month: 10 years = 120).
MAX_PERIOD_DAYS = 3660
TOP_DRAFTS = 10
TOP_POINTS = 10
ADOPTED = (Disposition.ADOPTED.value, Disposition.PARTLY_ADOPTED.value)
_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


class PeriodError(ValueError):
    """Bad ``from``/``to``: ``fields`` maps each parameter to its messages (translated)."""

    def __init__(self, fields: dict[str, list[str]]):
        super().__init__("; ".join(m for messages in fields.values() for m in messages))
        self.fields = fields


@dataclass(frozen=True)
class Period:
    """Local calendar dates, both included."""

    start: date
    end: date

    @classmethod
    def calendar_year(cls, today: date) -> "Period":
        return cls(date(today.year, 1, 1), date(today.year, 12, 31))

    def utc_bounds(self) -> tuple[datetime, datetime]:
        """[start, end) as aware UTC datetimes."""
        return _local_midnight(self.start), _local_midnight(self.end + timedelta(days=1))

    def months(self) -> list[tuple[str, datetime, datetime]]:
        """("YYYY-MM", start, end) of each calendar month the period touches, clipped to
        it, as UTC bounds."""
        months = []
        first = self.start
        while first <= self.end:
            following = date(first.year + (first.month == 12), first.month % 12 + 1, 1)
            last = min(self.end, following - timedelta(days=1))
            months.append((f"{first.year:04d}-{first.month:02d}", _local_midnight(first),
                           _local_midnight(last + timedelta(days=1))))
            first = following
        return months


def _local_midnight(day: date) -> datetime:
    return clock.local_to_utc(datetime(day.year, day.month, day.day))


def parse_period(raw_from: str | None, raw_to: str | None, today: date, *, blank_is_default: bool = True) -> Period:
    """The period named by two ``YYYY-MM-DD`` texts (either may be missing — or empty,
    as a cleared date field sends it, when ``blank_is_default`` — for the start or end
    of ``today``'s calendar year). Raises PeriodError naming ``from``/``to``."""
    default = Period.calendar_year(today)
    errors: dict[str, list[str]] = {}

    def read(name: str, raw: str | None, fallback: date) -> date:
        if raw is None or (blank_is_default and not raw.strip()):
            return fallback
        raw = raw.strip() if blank_is_default else raw
        try:
            if not _ISO_DATE.fullmatch(raw):
                raise ValueError(raw)
            value = date.fromisoformat(raw)
            if not 1900 <= value.year <= 9998:
                raise ValueError(raw)
            return value
        except ValueError:
            errors.setdefault(name, []).append(_("日期格式应为 YYYY-MM-DD（例如 2026-01-31），且为真实存在的日期。"))
            return fallback

    start = read("from", raw_from, default.start)
    end = read("to", raw_to, default.end)
    if not errors:
        if start > end:
            errors["to"] = [_("结束日期不能早于开始日期。")]
        elif (end - start).days >= MAX_PERIOD_DAYS:
            errors["to"] = [_("统计期间不能超过十年。")]
    if errors:
        raise PeriodError(errors)
    return Period(start, end)


@dataclass
class PointRow:
    id: int
    name: str
    is_active: bool
    opinions: int = 0
    represented: int = 0
    batches: int = 0
    participants: int = 0


@dataclass
class DelegationRow:
    delegation: str
    opinions: int
    deputies: int


@dataclass
class DraftRow:
    id: int
    title: str
    opinions: int
    disposed: int
    adopted: int


@dataclass
class DraftCounts:
    """Drafts by what happened to them in the period (one draft may count in each)."""

    opened: int = 0              # comment period began (公开征求意见)
    closed: int = 0              # comment period ended
    feedback_published: int = 0  # 意见采纳情况 published


@dataclass
class CallRow:
    id: int
    title: str
    year: int
    proposals: int


@dataclass
class ProposalCounts:
    """立法项目建议 received in the period: by call, proposer category, classification
    and channel (every known value listed, zeros included, except calls)."""

    total: int = 0
    by_call: list[CallRow] = field(default_factory=list)
    by_category: dict[str, int] = field(default_factory=dict)
    by_classification: dict[str, int] = field(default_factory=dict)
    by_channel: dict[str, int] = field(default_factory=dict)


@dataclass
class Overview:
    period: Period
    total: int = 0
    represented: int = 0
    by_month: list[tuple[str, int]] = field(default_factory=list)
    by_channel: dict[str, int] = field(default_factory=dict)
    by_category: dict[str, int] = field(default_factory=dict)
    by_disposition: dict[str, int] = field(default_factory=dict)
    points: list[PointRow] = field(default_factory=list)  # every point that sent something, most first
    silent_points: list[PointRow] = field(default_factory=list)  # active points that sent nothing
    by_delegation: list[DelegationRow] = field(default_factory=list)
    top_drafts: list[DraftRow] = field(default_factory=list)
    drafts: DraftCounts = field(default_factory=DraftCounts)
    proposals: ProposalCounts = field(default_factory=ProposalCounts)

    @property
    def from_points(self) -> int:
        return sum(point.opinions for point in self.points)

    @property
    def from_deputies(self) -> int:
        return self.by_category.get("deputy", 0)

    @property
    def disposed(self) -> int:
        return self.total - self.by_disposition.get(Disposition.PENDING.value, 0)

    @property
    def adopted(self) -> int:
        return sum(self.by_disposition.get(key, 0) for key in ADOPTED)

    @property
    def top_points(self) -> list[PointRow]:
        return self.points[:TOP_POINTS]

    def share(self, count: int) -> float | None:
        """``count`` as a percentage of the opinions received, one decimal; None when
        nothing was received."""
        return round(100 * count / self.total, 1) if self.total else None

    def summary_parts(self) -> list[str]:
        """The committee-report sentence, clause by clause (a later block adds its own)."""
        parts = [_("本期共公开征求 %(drafts)d 部法规草案意见", drafts=self.drafts.opened),
                 _("收到意见 %(total)d 条（其中基层立法联系点报送 %(points)d 条、人大代表提出 %(deputies)d 条）",
                   total=self.total, points=self.from_points, deputies=self.from_deputies)]
        if self.total:
            parts.append(_("已处理 %(disposed)d 条（%(disposed_share)s%%），其中采纳和部分采纳 %(adopted)d 条（%(adopted_share)s%%）",
                           disposed=self.disposed, disposed_share=self.share(self.disposed),
                           adopted=self.adopted, adopted_share=self.share(self.adopted)))
        parts.append(_("发布意见采纳情况反馈 %(feedback)d 部", feedback=self.drafts.feedback_published))
        if self.proposals.total:
            parts.append(_("征集立法项目建议 %(n)d 件", n=self.proposals.total))
        return parts

    @property
    def summary(self) -> str:
        return _("，").join(self.summary_parts()) + _("。")


class _Unindexed(ColumnElement):
    """A column SQLite must not look up through an index (``+column``; elsewhere the
    column itself). SQLite's planner answered a period with a skip-scan of
    ``ix_opinions_draft_created`` and then fetched every row by its id, ten times slower
    than reading the table once (bench/bench_overview.py: 350 ms against 30 ms a query
    on 100,000 opinions); a period is most of the rows, and the counts need the table."""

    inherit_cache = True
    _traverse_internals = [("column", InternalTraversal.dp_clauseelement)]

    def __init__(self, column):
        self.column = column
        self.type = column.type


@compiles(_Unindexed)
def _compile_unindexed(element, compiler, **kw):
    return compiler.process(element.column, **kw)


@compiles(_Unindexed, "sqlite")
def _compile_unindexed_sqlite(element, compiler, **kw):
    # SQLite's unary + leaves any value as it is and keeps the planner off the indexes.
    return "+" + compiler.process(element.column, **kw)


def _received(start: datetime, end: datetime) -> list:
    created_at = _Unindexed(Opinion.created_at)
    return [created_at >= start, created_at < end, Opinion.moderation_state != ModerationState.HIDDEN.value]


def overview_figures(period: Period, now: datetime) -> Overview:
    """Every figure of the overview for ``period`` (drafts' closing counted only once it
    has happened by ``now``)."""
    start, end = period.utc_bounds()
    received = _received(start, end)
    result = Overview(period=period)
    _add_breakdowns(result, received)
    result.by_month = _by_month(period, received)
    _add_points(result, received, start, end)
    result.by_delegation = [
        DelegationRow(delegation, opinions, deputies) for delegation, opinions, deputies in db.session.execute(
            select(Opinion.delegation, func.count(), func.count(distinct(Opinion.submitter_key)))
            .where(*received, Opinion.delegation.is_not(None), Opinion.delegation != "")
            .group_by(Opinion.delegation).order_by(func.count().desc(), Opinion.delegation))]
    result.top_drafts = _top_drafts(received)
    result.drafts = _draft_counts(start, min(end, max(now, start)), end)
    result.proposals = proposal_counts(start, end)
    return result


def proposal_counts(start: datetime, end: datetime) -> ProposalCounts:
    """立法项目建议 received in ``[start, end)`` (hidden ones left out): one GROUP BY per
    figure, as the opinions' tables."""
    received = [Proposal.created_at >= start, Proposal.created_at < end,
                Proposal.moderation_state != ModerationState.HIDDEN.value]
    counts = ProposalCounts()

    def grouped(column, names: dict) -> dict[str, int]:
        found = dict.fromkeys(names, 0)
        for value, count in db.session.execute(select(column, func.count()).where(*received).group_by(column)):
            found[value] = found.get(value, 0) + count
        return found

    counts.by_category = grouped(Proposal.category, labels.PROPOSER_CATEGORY)
    counts.by_classification = grouped(Proposal.classification, labels.CLASSIFICATION)
    counts.by_channel = grouped(Proposal.channel, labels.CHANNEL)
    counts.total = sum(counts.by_channel.values())
    per_call = (select(Proposal.call_id, func.count().label("proposals")).where(*received)
                .group_by(Proposal.call_id).subquery())
    counts.by_call = [CallRow(call_id, title, year, proposals) for call_id, title, year, proposals in db.session.execute(
        select(per_call.c.call_id, PlanCall.title, PlanCall.year, per_call.c.proposals)
        .join(PlanCall, PlanCall.id == per_call.c.call_id)
        .order_by(per_call.c.proposals.desc(), PlanCall.year.desc(), per_call.c.call_id))]
    return counts


def _add_breakdowns(result: Overview, received: list) -> None:
    """Total, people represented, and counts by channel, category and disposition, from
    one GROUP BY (at most channels × categories × dispositions rows)."""
    by_channel = dict.fromkeys(labels.CHANNEL, 0)
    by_category = dict.fromkeys(labels.SUBMITTER_CATEGORY, 0)
    by_disposition = dict.fromkeys(labels.DISPOSITION, 0)
    rows = db.session.execute(
        select(Opinion.channel, Opinion.category, Opinion.disposition, func.count(),
               func.coalesce(func.sum(Opinion.represented_count), 0))
        .where(*received).group_by(Opinion.channel, Opinion.category, Opinion.disposition))
    for channel, category, disposition, count, represented in rows:
        result.total += count
        result.represented += int(represented)  # a NUMERIC sum on PostgreSQL
        by_channel[channel] = by_channel.get(channel, 0) + count
        by_category[category] = by_category.get(category, 0) + count
        by_disposition[disposition] = by_disposition.get(disposition, 0) + count
    result.by_channel, result.by_category, result.by_disposition = by_channel, by_category, by_disposition


def _by_month(period: Period, received: list) -> list[tuple[str, int]]:
    months = period.months()
    # Month number by a CASE over the local months' UTC bounds (the same SQL on both
    # databases, right across daylight-saving changes), grouped in a subquery: the
    # bound parameters of the CASE would not match between SELECT and GROUP BY.
    bucket = case(*[(Opinion.created_at < month_end, index) for index, (_key, _s, month_end) in enumerate(months)],
                  else_=len(months)).label("bucket")
    inner = select(bucket).where(*received).subquery()
    counts = dict(db.session.execute(select(inner.c.bucket, func.count()).group_by(inner.c.bucket)).all())
    return [(key, counts.get(index, 0)) for index, (key, _s, _e) in enumerate(months)]


def _add_points(result: Overview, received: list, start: datetime, end: datetime) -> None:
    points = {point_id: PointRow(point_id, name, is_active) for point_id, name, is_active in db.session.execute(
        select(LiaisonPoint.id, LiaisonPoint.name, LiaisonPoint.is_active))}
    for point_id, count, represented in db.session.execute(
            select(Opinion.liaison_point_id, func.count(), func.coalesce(func.sum(Opinion.represented_count), 0))
            .where(*received, Opinion.liaison_point_id.is_not(None)).group_by(Opinion.liaison_point_id)):
        points[point_id].opinions, points[point_id].represented = count, int(represented)
    for point_id, count, participants in db.session.execute(
            select(Batch.liaison_point_id, func.count(), func.coalesce(func.sum(Batch.participants), 0))
            .where(Batch.created_at >= start, Batch.created_at < end).group_by(Batch.liaison_point_id)):
        points[point_id].batches, points[point_id].participants = count, int(participants)
    rows = sorted(points.values(), key=lambda p: (-p.opinions, -p.batches, p.name))
    result.points = [p for p in rows if p.opinions or p.batches]
    result.silent_points = [p for p in rows if not (p.opinions or p.batches) and p.is_active]


def _top_drafts(received: list) -> list[DraftRow]:
    count = func.count().label("opinions")
    disposed = func.sum(case((Opinion.disposition != Disposition.PENDING.value, 1), else_=0))
    adopted = func.sum(case((Opinion.disposition.in_(ADOPTED), 1), else_=0))
    # Grouped without the index on draft_id (SQLite would read the rows in its order,
    # one look-up each, three times slower than a scan and a sort).
    inner = (select(Opinion.draft_id, count, disposed.label("disposed"), adopted.label("adopted"))
             .where(*received).group_by(_Unindexed(Opinion.draft_id)).order_by(count.desc(), Opinion.draft_id)
             .limit(TOP_DRAFTS).subquery())
    rows = db.session.execute(
        select(inner.c.draft_id, Draft.title, inner.c.opinions, inner.c.disposed, inner.c.adopted)
        .join(Draft, Draft.id == inner.c.draft_id).order_by(inner.c.opinions.desc(), inner.c.draft_id))
    return [DraftRow(draft_id, title, opinions, int(disposed), int(adopted))
            for draft_id, title, opinions, disposed, adopted in rows]


def _draft_counts(start: datetime, happened_by: datetime, end: datetime) -> DraftCounts:
    """Drafts whose comment period began, ended, or whose feedback was published in the
    period; a beginning or an end counts once it has happened (``happened_by``)."""
    published = Draft.published_at.is_not(None)

    def within(column, until):
        return func.sum(case((and_(published, column >= start, column < until), 1), else_=0))

    opened, closed, feedback = db.session.execute(select(
        within(Draft.opens_at, happened_by), within(Draft.closes_at, happened_by),
        within(Draft.feedback_published_at, end),
    ).where(or_(Draft.opens_at >= start, Draft.closes_at >= start, Draft.feedback_published_at >= start))).one()
    return DraftCounts(int(opened or 0), int(closed or 0), int(feedback or 0))
