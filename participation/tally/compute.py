"""意见统计: per-provision counts of opinions with roll-ups.

An article counts what was said on it and on its paragraphs, items and sub-items; a
chapter counts its articles; the draft counts everything, whole-draft opinions included.
Hidden opinions are not in ``total`` or the breakdowns; they are counted in ``hidden``.

Two readings of the same counts: staff see every opinion received (pending review
included, counted again in ``pending``); the public tally (``published_only``) counts
published opinions only, so that under 先审核、后公开 unreviewed opinions (possibly spam)
do not move the public numbers. Its distinct submitters are kept by the triggers too.

``compute_tally`` is the one source of these numbers (tally page, API, exports). It reads
counts that database triggers keep in the same transaction as every change of an opinion
(participation.models.tally, participation.tally.upkeep): a few thousand rows for a
draft of any size, instead of every opinion. ``recompute_tally`` makes the same numbers
from the opinion rows themselves; ``flask tally check`` compares the two.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from sqlalchemy import func, literal, null, select, union_all

from participation.extensions import db
from participation.models import ModerationState, Opinion, Provision
from participation.models.tally import (
    EVERYTHING_NODE, NO_LIAISON_POINT, WHOLE_DRAFT_NODE, TallyCount, TallyDisposition, TallyNode,
)

HIDDEN = ModerationState.HIDDEN.value
PENDING = ModerationState.PENDING.value
PUBLISHED = ModerationState.PUBLISHED.value


@dataclass
class ClauseTally:
    key: str | None          # None: the draft as a whole
    kind: str
    label: str
    heading: str = ""
    total: int = 0           # opinions not hidden, this node and everything below it
    own_total: int = 0       # opinions aimed at this node itself
    pending: int = 0
    hidden: int = 0
    represented: int = 0     # people behind the opinions (反映群众人数 of liaison batches)
    submitters: int = 0      # distinct submitters
    by_stance: Counter = field(default_factory=Counter)
    by_category: Counter = field(default_factory=Counter)
    depth: int = 0
    # Opinions that came via a liaison point (its batches, its operators), by point id;
    # they are in by_category under their speakers' own categories as well.
    by_liaison_point: Counter = field(default_factory=Counter)
    # 处理情况: opinions not hidden by disposition (pending included), rolled up.
    by_disposition: Counter = field(default_factory=Counter)
    # How they reached us (Opinion.channel: web, api, batch), not hidden, rolled up.
    by_channel: Counter = field(default_factory=Counter)

    def as_dict(self) -> dict:
        return {
            "key": self.key, "kind": self.kind, "label": self.label, "total": self.total,
            "own_total": self.own_total, "pending": self.pending, "hidden": self.hidden,
            "represented": self.represented, "submitters": self.submitters,
            "by_stance": dict(sorted(self.by_stance.items())),
            "by_category": dict(sorted(self.by_category.items())),
            "by_liaison_point": {str(point): count for point, count in sorted(self.by_liaison_point.items())},
            "by_disposition": dict(sorted(self.by_disposition.items())),
            "by_channel": dict(sorted(self.by_channel.items())),
        }


@dataclass
class DraftTally:
    draft_id: int
    version_id: int
    overall: ClauseTally                 # the whole draft, every opinion rolled up
    whole_draft: ClauseTally             # 总体意见 only
    provisions: list[ClauseTally]        # every provision, document order
    published_only: bool = False         # the public reading: pending opinions left out

    @property
    def total(self) -> int:
        return self.overall.total

    def by_key(self) -> dict[str, ClauseTally]:
        return {clause.key: clause for clause in self.provisions}

    def most_discussed(self, limit: int = 10, kinds=("article",)) -> list[ClauseTally]:
        """Clauses with the most opinions (rolled up), most first, then document order."""
        ranked = [c for c in self.provisions if c.kind in kinds and c.total > 0]
        return sorted(ranked, key=lambda c: -c.total)[:limit]

    def as_dict(self) -> dict:
        return {
            "total": self.overall.total,
            "pending": self.overall.pending,
            "hidden": self.overall.hidden,
            "represented": self.overall.represented,
            "submitters": self.overall.submitters,
            "by_stance": dict(sorted(self.overall.by_stance.items())),
            "by_category": dict(sorted(self.overall.by_category.items())),
            "by_liaison_point": {str(point): count for point, count in sorted(self.overall.by_liaison_point.items())},
            "by_disposition": dict(sorted(self.overall.by_disposition.items())),
            "by_channel": dict(sorted(self.overall.by_channel.items())),
            "whole_draft": self.whole_draft.as_dict(),
            "provisions": [clause.as_dict() for clause in self.provisions],
        }


def _empty_tally(draft_id: int, version_id: int, published_only: bool = False):
    """The version's provisions as empty ClauseTally objects: (tally, clauses by id,
    provision rows in document order)."""
    provisions = db.session.execute(
        select(Provision.id, Provision.parent_id, Provision.key, Provision.kind, Provision.label,
               Provision.heading, Provision.depth)
        .where(Provision.version_id == version_id).order_by(Provision.position)
    ).all()
    clauses = {
        row.id: ClauseTally(key=row.key, kind=row.kind, label=row.label, heading=row.heading, depth=row.depth)
        for row in provisions
    }
    tally = DraftTally(draft_id=draft_id, version_id=version_id, overall=ClauseTally(key=None, kind="draft", label=""),
                       whole_draft=ClauseTally(key=None, kind="draft", label=""), provisions=list(clauses.values()),
                       published_only=published_only)
    return tally, clauses, provisions


def _roll_up(tally: DraftTally, clauses: dict, provisions) -> None:
    """Sum the counts (not the distinct submitters) up the tree, bottom-up. Children follow
    their parent in document order, so in reverse order every node is complete before
    it is added to its parent."""
    for row in reversed(provisions):
        parent = clauses[row.parent_id] if row.parent_id is not None else tally.overall
        _add(parent, clauses[row.id])
    _add(tally.overall, tally.whole_draft)


def compute_tally(draft_id: int, version_id: int, *, published_only: bool = False) -> DraftTally:
    """Every count of the draft's version, from the counts the triggers keep;
    ``published_only``: the public tally, without the opinions pending review (they are
    still counted in ``pending``, which only staff are shown).

    One query returns the counts per clause (by state, stance, category and liaison
    point: at most a few rows per clause and combination, however many opinions), the
    counts per clause by disposition, and the distinct submitters of every clause's
    subtree, already rolled up. All come from one statement, so they are from one
    snapshot even while opinions come in.
    """
    tally, clauses, provisions = _empty_tally(draft_id, version_id, published_only)
    counts = select(literal("c"), TallyCount.node, TallyCount.moderation_state, TallyCount.stance,
                    TallyCount.category, TallyCount.liaison_point, TallyCount.opinions, TallyCount.represented) \
        .where(TallyCount.version_id == version_id)
    submitters = select(literal("n"), TallyNode.node, null(), null(), null(), literal(NO_LIAISON_POINT),
                        TallyNode.published_submitters if published_only else TallyNode.submitters, null()) \
        .where(TallyNode.version_id == version_id)
    # Disposition rows: the disposition and the channel where stance and category go.
    # (Summed over the states shown: hidden opinions are in no breakdown.)
    dispositions = select(literal("d"), TallyDisposition.node, literal(""), TallyDisposition.disposition,
                          TallyDisposition.channel, literal(NO_LIAISON_POINT), func.sum(TallyDisposition.opinions),
                          null()) \
        .where(TallyDisposition.version_id == version_id,
               TallyDisposition.moderation_state == PUBLISHED if published_only
               else TallyDisposition.moderation_state != HIDDEN,
               TallyDisposition.opinions != 0) \
        .group_by(TallyDisposition.node, TallyDisposition.disposition, TallyDisposition.channel)
    rows = db.session.execute(union_all(counts, submitters, dispositions)).all()
    whole_draft, overall = tally.whole_draft, tally.overall
    for source, node, state, stance, category, point, count, represented in rows:
        if source == "d":  # a tally_dispositions row
            clause = clauses.get(node) if node != WHOLE_DRAFT_NODE else whole_draft
            if clause is not None:
                clause.by_disposition[stance] += count
                clause.by_channel[category] += count
            continue
        if state is None:  # a tally_nodes row: distinct submitters, rolled up
            if node == EVERYTHING_NODE:
                overall.submitters = count
            else:
                clause = clauses.get(node) if node != WHOLE_DRAFT_NODE else whole_draft
                if clause is not None:
                    clause.submitters = count
            continue
        clause = clauses.get(node) if node != WHOLE_DRAFT_NODE else whole_draft
        if clause is None or not count:
            continue
        if state == HIDDEN:
            clause.hidden += count
            continue
        if state == PENDING:
            clause.pending += count
            if published_only:
                continue
        clause.own_total += count
        clause.total += count
        clause.represented += represented
        clause.by_stance[stance] += count
        clause.by_category[category] += count
        if point != NO_LIAISON_POINT:
            clause.by_liaison_point[point] += count
    _roll_up(tally, clauses, provisions)
    return tally


def recompute_tally(draft_id: int, version_id: int, *, published_only: bool = False) -> DraftTally:
    """The same numbers as ``compute_tally``, counted from the opinion rows (about a
    second for 100,000 opinions): the reference ``flask tally check`` compares with.

    Three grouped queries: counts per provision (by moderation state, stance and
    category), liaison points per provision, and the distinct (submitter, provision)
    pairs with, for each, the submitter's previous provision in document order. The
    roll-ups are sums over the provision tree, made bottom-up in one pass; distinct
    submitters roll up by the classic subtree trick (see ``_submitter_contributions``).
    """
    tally, clauses, provisions = _empty_tally(draft_id, version_id, published_only)
    whole_draft = tally.whole_draft
    # The states in total and the breakdowns.
    shown = Opinion.moderation_state == PUBLISHED if published_only else Opinion.moderation_state != HIDDEN
    parent_of: dict[int, int | None] = {row.id: row.parent_id for row in provisions}

    def own(provision_id: int | None) -> ClauseTally:
        return clauses[provision_id] if provision_id is not None else whole_draft

    scope = (Opinion.draft_id == draft_id, Opinion.version_id == version_id)
    grouped = db.session.execute(
        select(Opinion.provision_id, Opinion.moderation_state, Opinion.stance, Opinion.category,
               func.count(), func.coalesce(func.sum(Opinion.represented_count), 0))
        .where(*scope)
        .group_by(Opinion.provision_id, Opinion.moderation_state, Opinion.stance, Opinion.category)
    )
    for provision_id, state, stance, category, count, represented in grouped:
        clause = own(provision_id)
        if state == HIDDEN:
            clause.hidden += count
            continue
        if state == PENDING:
            clause.pending += count
            if published_only:
                continue
        clause.own_total += count
        clause.total += count
        clause.represented += int(represented)
        clause.by_stance[stance] += count
        clause.by_category[category] += count
    by_point = db.session.execute(
        select(Opinion.provision_id, Opinion.liaison_point_id, func.count())
        .where(*scope, shown, Opinion.liaison_point_id.is_not(None))
        .group_by(Opinion.provision_id, Opinion.liaison_point_id)
    )
    for provision_id, liaison_point_id, count in by_point:
        own(provision_id).by_liaison_point[liaison_point_id] += count
    by_disposition = db.session.execute(
        select(Opinion.provision_id, Opinion.disposition, Opinion.channel, func.count())
        .where(*scope, shown)
        .group_by(Opinion.provision_id, Opinion.disposition, Opinion.channel)
    )
    for provision_id, disposition, channel, count in by_disposition:
        own(provision_id).by_disposition[disposition] += count
        own(provision_id).by_channel[channel] += count

    contributions = _submitter_contributions((*scope, shown), parent_of, whole_draft)
    for provision_id, clause in clauses.items():
        clause.submitters = contributions.get(provision_id, 0)
    # The root's own share (-1 for consecutive pairs that meet only at the root); the
    # roll-up adds the subtrees and the whole-draft opinions.
    tally.overall.submitters = contributions.get(None, 0)
    for row in reversed(provisions):
        parent = clauses[row.parent_id] if row.parent_id is not None else tally.overall
        parent.submitters += clauses[row.id].submitters
    tally.overall.submitters += whole_draft.submitters
    _roll_up(tally, clauses, provisions)
    return tally


def _add(parent: ClauseTally, child: ClauseTally) -> None:
    parent.total += child.total
    parent.pending += child.pending
    parent.hidden += child.hidden
    parent.represented += child.represented
    # Counter.update loops in Python: skip the empty ones (most clauses have no
    # liaison-point opinions, many none at all).
    if child.by_stance:
        parent.by_stance.update(child.by_stance)
    if child.by_category:
        parent.by_category.update(child.by_category)
    if child.by_liaison_point:
        parent.by_liaison_point.update(child.by_liaison_point)
    if child.by_disposition:
        parent.by_disposition.update(child.by_disposition)
        parent.by_channel.update(child.by_channel)


# recompute_tally: tests turn this off to exercise the join on positions.
USE_ID_ORDER = True


def _submitter_contributions(scope, parent_of: dict[int, int | None], whole_draft: ClauseTally) -> dict:
    """Per provision, a number whose sum over a provision's subtree is the number of
    distinct submitters in that subtree (key None: the draft root's own share).

    For each submitter, take the provisions they spoke on in document order
    v1 < v2 < … < vk: +1 at every vi and -1 at the lowest common ancestor of each
    consecutive pair. Any subtree then sums to 1 if the submitter spoke inside it and
    0 if not (the pairs inside a subtree are consecutive, and their k-1 ancestors lie
    inside it too). Opinions on the whole draft sit on a leaf of the root placed
    before every provision. The database does the per-submitter work (DISTINCT, then
    LAG over the submitter's provisions); Python sees one row per (provision, previous
    provision) pair. Ids follow document order within a version (rows are inserted in
    order by the import), which is checked: otherwise positions are joined in.
    """
    ids = list(parent_of)
    in_order = USE_ID_ORDER and all(a < b for a, b in zip(ids, ids[1:]))
    pairs = (
        select(Opinion.submitter_key, Opinion.provision_id)
        .where(*scope)
        .distinct()
        .subquery()
    )
    if in_order:
        # 0 (no provision id is 0) stands for the whole draft and sorts first.
        place = func.coalesce(pairs.c.provision_id, 0)
        source = pairs
    else:
        source = pairs.outerjoin(Provision, Provision.id == pairs.c.provision_id)
        place = func.coalesce(Provision.position, -1)
    previous = func.lag(func.coalesce(pairs.c.provision_id, 0)).over(
        partition_by=pairs.c.submitter_key, order_by=place)
    steps = select(func.coalesce(pairs.c.provision_id, 0).label("provision_id"),
                   previous.label("previous")).select_from(source).subquery()
    rows = db.session.execute(
        select(steps.c.provision_id, steps.c.previous, func.count()).group_by(steps.c.provision_id, steps.c.previous)
    )
    depth: dict[int | None, int] = {None: -1}
    for provision_id, parent_id in parent_of.items():  # parents first (document order)
        depth[provision_id] = depth.get(parent_id, -1) + 1

    def lowest_common_ancestor(a: int | None, b: int | None) -> int | None:
        while depth[a] > depth[b]:
            a = parent_of[a]
        while depth[b] > depth[a]:
            b = parent_of[b]
        while a != b:
            a, b = parent_of[a], parent_of[b]
        return a

    contributions: dict[int | None, int] = {}
    for provision_id, previous_id, count in rows:
        provision_id = provision_id or None
        if provision_id is None:
            whole_draft.submitters += count
        else:
            contributions[provision_id] = contributions.get(provision_id, 0) + count
        if previous_id is not None:
            meeting = lowest_common_ancestor(provision_id, previous_id or None) if provision_id and previous_id else None
            contributions[meeting] = contributions.get(meeting, 0) - count
    return contributions


# --- Heat map of the table of contents ----------------------------------------------

HEAT_LEVELS = 5


def heat_level(count: int, maximum: int) -> int:
    """0 for no opinion, else 1…HEAT_LEVELS in proportion to the most discussed
    clause (so the hottest article of any draft is level 5)."""
    if count <= 0 or maximum <= 0:
        return 0
    return min(HEAT_LEVELS, -(-HEAT_LEVELS * count // maximum))


def heat_legend(maximum: int) -> list[tuple[int, int, int]]:
    """(level, lowest count, highest count) of every level that some count can reach,
    for the legend; level 0 (no opinions) is left to the template."""
    legend = []
    for level in range(1, HEAT_LEVELS + 1):
        low = (level - 1) * maximum // HEAT_LEVELS + 1
        high = level * maximum // HEAT_LEVELS
        if maximum > 0 and low <= high:
            legend.append((level, low, high))
    return legend
