"""Read helpers of the staff's side of the feedback loop: counts by disposition, progress
(disposed / total, per chapter), who handles which clauses (承办), 我的待办, and the
reply templates (常用答复) of a draft.

Every count is one grouped statement, so that a draft of 100,000 opinions shows its
progress without reading the opinions one by one."""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import and_, case, exists, func, or_, select
from sqlalchemy.orm import aliased

from participation.extensions import db
from participation.models import (
    WHOLE_DRAFT_KEY, Assignment, Disposition, ModerationState, Opinion, Provision, ProvisionAncestor, ReplyTemplate,
    Role, User,
)

#: Lines of a clause's text shown above its opinions (a chapter shows its beginning).
MAX_CLAUSE_LINES = 60
_DISPOSED = func.sum(case((Opinion.disposition != Disposition.PENDING.value, 1), else_=0))
_NOT_HIDDEN = Opinion.moderation_state != ModerationState.HIDDEN.value


def assigned_to(user_id: int):
    """A condition on Opinion: the opinion belongs to ``user_id``'s assignment, that is
    the assignment of its clause's nearest assigned ancestor (the clause itself
    included), or the 总体意见 assignment for an opinion on the draft as a whole."""
    ancestry, node, assignment = aliased(ProvisionAncestor), aliased(Provision), aliased(Assignment)
    deeper_ancestry, deeper_node, deeper = aliased(ProvisionAncestor), aliased(Provision), aliased(Assignment)
    whole = aliased(Assignment)
    # Refers to the enclosing EXISTS only (its rows), which SQL correlates one level up.
    closer_assignment = exists().where(
        deeper_ancestry.provision_id == ancestry.provision_id, deeper_node.id == deeper_ancestry.ancestor_id,
        deeper.draft_id == assignment.draft_id, deeper.provision_key == deeper_node.key,
        deeper_node.depth > node.depth,
    )
    on_clause = exists().where(
        ancestry.provision_id == Opinion.provision_id, node.id == ancestry.ancestor_id,
        assignment.draft_id == Opinion.draft_id, assignment.provision_key == node.key,
        assignment.user_id == user_id, ~closer_assignment,
    )
    on_draft = and_(Opinion.provision_id.is_(None), exists().where(
        whole.draft_id == Opinion.draft_id, whole.provision_key == WHOLE_DRAFT_KEY, whole.user_id == user_id))
    return or_(on_clause, on_draft)


def disposition_counts(draft_id: int) -> dict[str, int]:
    """Opinions of a draft by disposition (every disposition present, zeros included)."""
    counts = {disposition.value: 0 for disposition in Disposition}
    counts.update(db.session.execute(
        select(Opinion.disposition, func.count()).where(Opinion.draft_id == draft_id).group_by(Opinion.disposition)
    ).all())
    return counts


@dataclass(frozen=True)
class Progress:
    disposed: int
    total: int

    @property
    def percent(self) -> int:
        return int(self.disposed * 100 / self.total) if self.total else 0


def draft_progress(draft_id: int) -> Progress:
    """Disposed / total of a draft's opinions (hidden ones are not counted: nobody
    answers spam)."""
    total, disposed = db.session.execute(
        select(func.count(), _DISPOSED).where(Opinion.draft_id == draft_id, _NOT_HIDDEN)).one()
    return Progress(disposed or 0, total or 0)


def division_rows(version_id: int) -> list[Provision]:
    """What staff assign and follow progress by: the chapters of a version, or its
    top-level provisions (articles, preamble, annexes) when it has no chapters."""
    chapters = list(db.session.scalars(select(Provision).where(
        Provision.version_id == version_id, Provision.kind == "chapter").order_by(Provision.position)))
    if chapters:
        return chapters
    return list(db.session.scalars(select(Provision).where(
        Provision.version_id == version_id, Provision.parent_id.is_(None)).order_by(Provision.position)))


def progress_by_key(draft_id: int, keys: list[str]) -> dict[str, Progress]:
    """Disposed / total per division key (its opinions and those of everything inside
    it, on any version of the draft), and WHOLE_DRAFT_KEY for 总体意见: two grouped
    statements."""
    node = aliased(Provision)
    rows = db.session.execute(
        select(node.key, func.count(), _DISPOSED).select_from(Opinion)
        .join(ProvisionAncestor, ProvisionAncestor.provision_id == Opinion.provision_id)
        .join(node, node.id == ProvisionAncestor.ancestor_id)
        .where(Opinion.draft_id == draft_id, _NOT_HIDDEN, node.key.in_(keys)).group_by(node.key)
    ).all() if keys else []
    result = {key: Progress(disposed or 0, total) for key, total, disposed in rows}
    total, disposed = db.session.execute(select(func.count(), _DISPOSED).where(
        Opinion.draft_id == draft_id, _NOT_HIDDEN, Opinion.provision_id.is_(None))).one()
    result[WHOLE_DRAFT_KEY] = Progress(disposed or 0, total or 0)
    return result


def assignments_of(draft_id: int) -> dict[str, int]:
    """Provision key → the assigned staff member's id."""
    return dict(db.session.execute(
        select(Assignment.provision_key, Assignment.user_id).where(Assignment.draft_id == draft_id)).all())


def staff_members() -> list[User]:
    """Who may be assigned clauses: enabled staff and administrators."""
    return list(db.session.scalars(select(User).where(
        User.role.in_((Role.STAFF.value, Role.ADMIN.value)), User.is_enabled.is_(True))
        .order_by(User.display_name, User.id)))


def queue_query(user_id: int):
    """我的待办: the undisposed opinions (not hidden) in the clauses assigned to
    ``user_id``, across drafts, oldest first (the first come are answered first)."""
    drafts = select(Assignment.draft_id).where(Assignment.user_id == user_id)
    return (select(Opinion)
            .where(Opinion.draft_id.in_(drafts), Opinion.disposition == Disposition.PENDING.value, _NOT_HIDDEN,
                   assigned_to(user_id))
            .order_by(Opinion.created_at, Opinion.id))


def reply_templates(draft_id: int) -> list[ReplyTemplate]:
    return list(db.session.scalars(select(ReplyTemplate).where(ReplyTemplate.draft_id == draft_id)
                                   .order_by(ReplyTemplate.disposition, ReplyTemplate.title, ReplyTemplate.id)))


def clause_lines(provision: Provision) -> list[dict]:
    """The text of a clause and of what is inside it, line by line, for the top of the
    staff's clause page (at most MAX_CLAUSE_LINES lines)."""
    end = db.session.scalar(select(func.min(Provision.position)).where(
        Provision.version_id == provision.version_id, Provision.position > provision.position,
        Provision.depth <= provision.depth))
    query = select(Provision).where(Provision.version_id == provision.version_id,
                                    Provision.position >= provision.position)
    if end is not None:
        query = query.where(Provision.position < end)
    rows = db.session.scalars(query.order_by(Provision.position).limit(MAX_CLAUSE_LINES + 1)).all()
    lines = [{"label": row.label, "heading": row.heading, "text": row.text, "depth": row.depth - provision.depth,
              "key": row.key} for row in rows[:MAX_CLAUSE_LINES]]
    return lines
