"""The numbers of the feedback report (意见采纳情况), read for the report alone.

The report shows per clause only the total and the counts by disposition, and for the
draft the total, the submitters, the people represented and the counts by channel,
category and disposition. ``compute_tally`` makes every breakdown of every provision
(by state, stance, category and liaison point too) from some 20,000 count rows summed in
Python; for the report the database sums the same trigger-kept rows (``tally_counts``,
``tally_dispositions``, ``tally_nodes``) by node, so Python sees a few rows per clause
and rolls them up the tree as ``compute_tally`` does. Same rows, same sums, same roll-up:
the same numbers as the tally page and the tally API (tests/feedback/test_report.py
compares them).
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from sqlalchemy import func, literal, null, or_, select, union_all

from participation.extensions import db
from participation.models import ModerationState, Provision
from participation.models.tally import EVERYTHING_NODE, WHOLE_DRAFT_NODE, TallyCount, TallyDisposition, TallyNode

HIDDEN = ModerationState.HIDDEN.value


@dataclass(slots=True)
class ClauseNumbers:
    """A clause's opinions not hidden, rolled up (an article counts its paragraphs and
    items, a chapter its articles): ``compute_tally``'s ``total`` and ``by_disposition``."""

    key: str | None          # None: the draft as a whole
    kind: str
    label: str
    heading: str = ""
    depth: int = 0
    total: int = 0
    by_disposition: Counter = field(default_factory=Counter)


@dataclass(slots=True)
class DraftNumbers(ClauseNumbers):
    """The whole draft, every opinion rolled up."""

    submitters: int = 0
    represented: int = 0
    by_channel: Counter = field(default_factory=Counter)
    by_category: Counter = field(default_factory=Counter)


@dataclass(slots=True)
class ProvisionRow:
    id: int
    parent_id: int | None
    numbers: ClauseNumbers


@dataclass
class ReportNumbers:
    overall: DraftNumbers
    whole_draft: ClauseNumbers             # 总体意见 only
    provisions: list[ProvisionRow]         # every provision, document order

    def by_key(self) -> dict[str, ClauseNumbers]:
        return {row.numbers.key: row.numbers for row in self.provisions}


def report_numbers(version_id: int) -> ReportNumbers:
    """The report's numbers of a version: one query for the provisions, one for the
    counts (one statement, so one snapshot even while opinions come in)."""
    provisions = [
        ProvisionRow(row.id, row.parent_id, ClauseNumbers(key=row.key, kind=row.kind, label=row.label,
                                                          heading=row.heading, depth=row.depth))
        for row in db.session.execute(
            select(Provision.id, Provision.parent_id, Provision.key, Provision.kind, Provision.label,
                   Provision.heading, Provision.depth)
            .where(Provision.version_id == version_id).order_by(Provision.position))
    ]
    numbers = ReportNumbers(overall=DraftNumbers(key=None, kind="draft", label=""),
                            whole_draft=ClauseNumbers(key=None, kind="draft", label=""), provisions=provisions)
    own = {row.id: row.numbers for row in provisions}
    own[WHOLE_DRAFT_NODE] = numbers.whole_draft
    rows = db.session.execute(_counts_statement(version_id, own_nodes_only=False)).all()
    if any(source in ("t", "d") and node not in own for source, node, *_ in rows):
        # Counts on a provision of another version (an opinion whose clause is not of its
        # version: nothing makes one, recompute_tally could not count it) count nowhere, as
        # in compute_tally; the draft-wide sums leave them out too, at the price of a
        # slower statement.
        rows = db.session.execute(_counts_statement(version_id, own_nodes_only=True)).all()
    overall = numbers.overall
    for source, node, key, count, represented in rows:
        if source == "n":
            overall.submitters = count
        elif source == "c":
            overall.by_category[key] += count
        elif source == "h":
            overall.by_channel[key] += count
        elif node in own:
            clause = own[node]
            if source == "t":
                clause.total += count
                overall.represented += int(represented)  # (a NUMERIC sum on PostgreSQL)
            else:  # "d"
                clause.by_disposition[key] += count
    _roll_up(numbers)
    return numbers


def _counts_statement(version_id: int, *, own_nodes_only: bool):
    """(source, node, key, count, represented) rows of not-hidden opinions aimed at each
    node: "t" totals by node, "d" by node and disposition; for the draft, "c" by category,
    "h" by channel and "n" the distinct submitters."""
    own_provisions = select(Provision.id).where(Provision.version_id == version_id)
    counted = [TallyCount.version_id == version_id, TallyCount.moderation_state != HIDDEN]
    disposed = [TallyDisposition.version_id == version_id, TallyDisposition.moderation_state != HIDDEN,
                TallyDisposition.opinions != 0]
    if own_nodes_only:
        counted.append(or_(TallyCount.node == WHOLE_DRAFT_NODE, TallyCount.node.in_(own_provisions)))
        disposed.append(or_(TallyDisposition.node == WHOLE_DRAFT_NODE, TallyDisposition.node.in_(own_provisions)))
    totals = select(literal("t"), TallyCount.node, null(), func.sum(TallyCount.opinions),
                    func.sum(TallyCount.represented)).where(*counted).group_by(TallyCount.node)
    by_category = select(literal("c"), null(), TallyCount.category, func.sum(TallyCount.opinions), null()) \
        .where(*counted).group_by(TallyCount.category)
    by_disposition = select(literal("d"), TallyDisposition.node, TallyDisposition.disposition,
                            func.sum(TallyDisposition.opinions), null()) \
        .where(*disposed).group_by(TallyDisposition.node, TallyDisposition.disposition)
    by_channel = select(literal("h"), null(), TallyDisposition.channel, func.sum(TallyDisposition.opinions), null()) \
        .where(*disposed).group_by(TallyDisposition.channel)
    submitters = select(literal("n"), null(), null(), TallyNode.submitters, null()) \
        .where(TallyNode.version_id == version_id, TallyNode.node == EVERYTHING_NODE)
    return union_all(totals, by_category, by_disposition, by_channel, submitters)


def _roll_up(numbers: ReportNumbers) -> None:
    """Children follow their parent in document order: in reverse order every node is
    complete before it is added to its parent."""
    own = {row.id: row.numbers for row in numbers.provisions}
    for row in reversed(numbers.provisions):
        parent = own[row.parent_id] if row.parent_id is not None else numbers.overall
        _add(parent, row.numbers)
    _add(numbers.overall, numbers.whole_draft)


def _add(parent: ClauseNumbers, child: ClauseNumbers) -> None:
    parent.total += child.total
    counts = parent.by_disposition
    for disposition, count in child.by_disposition.items():  # (quicker than Counter.update)
        counts[disposition] += count
