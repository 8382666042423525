"""意见统计: per-provision counts of opinions with roll-ups.

An article counts what was said on it and on its paragraphs, items and sub-items; a
chapter counts its articles; the draft counts everything, whole-draft opinions included.
Counts come straight from the opinion rows in two grouped queries, so they are right
under any mix of concurrent submissions, moderation changes and deletions. Hidden
opinions are not in ``total`` or the breakdowns; they are counted in ``hidden``.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from sqlalchemy import func, select

from participation.extensions import db
from participation.models import ModerationState, Opinion, Provision

HIDDEN = ModerationState.HIDDEN.value
PENDING = ModerationState.PENDING.value


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
    represented: int = 0     # people behind the opinions (代表人数 of liaison batches)
    submitters: int = 0      # distinct submitters
    by_stance: Counter = field(default_factory=Counter)
    by_category: Counter = field(default_factory=Counter)
    depth: int = 0

    def as_dict(self) -> dict:
        return {
            "key": self.key, "kind": self.kind, "label": self.label, "total": self.total,
            "own_total": self.own_total, "pending": self.pending, "hidden": self.hidden,
            "represented": self.represented, "submitters": self.submitters,
            "by_stance": dict(sorted(self.by_stance.items())),
            "by_category": dict(sorted(self.by_category.items())),
        }


@dataclass
class DraftTally:
    draft_id: int
    version_id: int
    overall: ClauseTally                 # the whole draft, every opinion rolled up
    whole_draft: ClauseTally             # 总体意见 only
    provisions: list[ClauseTally]        # every provision, document order

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
            "whole_draft": self.whole_draft.as_dict(),
            "provisions": [clause.as_dict() for clause in self.provisions],
        }


def compute_tally(draft_id: int, version_id: int) -> DraftTally:
    provisions = db.session.execute(
        select(Provision.id, Provision.parent_id, Provision.key, Provision.kind, Provision.label,
               Provision.heading, Provision.depth)
        .where(Provision.version_id == version_id).order_by(Provision.position)
    ).all()
    overall = ClauseTally(key=None, kind="draft", label="")
    whole_draft = ClauseTally(key=None, kind="draft", label="")
    clauses: dict[int, ClauseTally] = {}
    parent_of: dict[int, int | None] = {}
    for row in provisions:
        clauses[row.id] = ClauseTally(key=row.key, kind=row.kind, label=row.label, heading=row.heading, depth=row.depth)
        parent_of[row.id] = row.parent_id

    ancestry_cache: dict[int | None, list[ClauseTally]] = {None: []}

    def chain(provision_id: int | None) -> list[ClauseTally]:
        """The clause and all its ancestors (memoised: the tree is small, rows many)."""
        if provision_id not in ancestry_cache:
            ancestry_cache[provision_id] = [clauses[provision_id], *chain(parent_of[provision_id])]
        return ancestry_cache[provision_id]

    scope = (Opinion.draft_id == draft_id, Opinion.version_id == version_id)
    grouped = db.session.execute(
        select(Opinion.provision_id, Opinion.stance, Opinion.category, Opinion.moderation_state,
               func.count(), func.coalesce(func.sum(Opinion.represented_count), 0))
        .where(*scope)
        .group_by(Opinion.provision_id, Opinion.stance, Opinion.category, Opinion.moderation_state)
    ).all()
    for provision_id, stance, category, state, count, represented in grouped:
        own = clauses[provision_id] if provision_id is not None else whole_draft
        targets = [*chain(provision_id), overall] + ([whole_draft] if provision_id is None else [])
        if state == HIDDEN:
            for clause in targets:
                clause.hidden += count
            continue
        own.own_total += count
        for clause in targets:
            clause.total += count
            clause.represented += int(represented)
            clause.by_stance[stance] += count
            clause.by_category[category] += count
            if state == PENDING:
                clause.pending += count

    submitter_sets: dict[int, set] = {}
    overall_submitters: set = set()
    whole_draft_submitters: set = set()
    pairs = db.session.execute(
        select(Opinion.provision_id, Opinion.submitter_key)
        .where(*scope, Opinion.moderation_state != HIDDEN)
        .distinct()
    )
    for provision_id, submitter_key in pairs:
        overall_submitters.add(submitter_key)
        if provision_id is None:
            whole_draft_submitters.add(submitter_key)
            continue
        for clause in chain(provision_id):
            submitter_sets.setdefault(id(clause), set()).add(submitter_key)
    for clause in clauses.values():
        clause.submitters = len(submitter_sets.get(id(clause), ()))
    overall.submitters = len(overall_submitters)
    whole_draft.submitters = len(whole_draft_submitters)

    return DraftTally(draft_id=draft_id, version_id=version_id, overall=overall,
                      whole_draft=whole_draft, provisions=list(clauses.values()))
