"""Record every change that affects search as an outbox row, in the same transaction.

The domain never imports this package: the listeners below watch every SQLAlchemy
session instead. What they catch:

* ORM flushes (add, change, delete of opinions, provisions, versions, drafts, proposals;
  delete of legislative-plan calls, whose proposals go with them by database cascade);
* bulk ``UPDATE`` / ``DELETE`` statements on those tables run through a session (the
  affected ids are selected first, with the statement's own WHERE clause);
* bulk ``INSERT`` statements into opinions or proposals run through a session (recorded
  as "every opinion (proposal) after the highest id seen before the insert");
* opinions stored by the submission service with a Core INSERT on the session's
  connection: it calls the outbox port (``participation.outbox.record_opinion_stored``),
  for which ``install`` registers ``_record_opinion``.

Not caught: SQL sent around the ORM session (raw connections, ``text()`` updates), and
database-side cascades, which is why deleting a draft or a version is recorded for the
whole draft or version. ``flask search rebuild`` repairs anything missed.

After a commit that wrote outbox rows, the in-process indexer (if any) is woken at once
rather than at its next poll.
"""
from __future__ import annotations

from sqlalchemy import event, func, insert, select
from sqlalchemy.orm import Session

from participation import outbox
from participation.database import utcnow
from participation.models import Draft, DraftVersion, Opinion, PlanCall, Proposal, Provision
from search.models import (
    ENTITY_ALL,
    ENTITY_BATCH,
    ENTITY_DRAFT,
    ENTITY_OPINION,
    ENTITY_PLAN_CALL,
    ENTITY_PROPOSAL,
    ENTITY_VERSION,
    SearchOutboxEntry,
)

#: Pseudo-entity: every opinion whose id is greater than ``entity_id``.
ENTITY_OPINIONS_AFTER = "opinions_after"
#: Pseudo-entity: every proposal whose id is greater than ``entity_id``.
ENTITY_PROPOSALS_AFTER = "proposals_after"

_outbox = SearchOutboxEntry.__table__
_INSERT_OUTBOX = insert(_outbox)
_opinions = Opinion.__table__
_provisions = Provision.__table__
_versions = DraftVersion.__table__
_drafts = Draft.__table__
_proposals = Proposal.__table__
_calls = PlanCall.__table__
#: Liaison-point batches (issue 4): their opinions go with them by database cascade.
BATCH_TABLE = "liaison_batches"
_SEEN_KEY = "search_outbox_seen"
_WROTE_KEY = "search_outbox_wrote"

_installed = False
_wake_callbacks: list = []


def on_outbox_commit(callback) -> None:
    """Call ``callback()`` after each commit that wrote outbox rows (to wake an
    indexer thread)."""
    if callback not in _wake_callbacks:
        _wake_callbacks.append(callback)


def remove_outbox_callback(callback) -> None:
    if callback in _wake_callbacks:
        _wake_callbacks.remove(callback)


def _tracking_enabled() -> bool:
    from flask import current_app, has_app_context

    if not has_app_context():
        return True
    return bool(current_app.config.get("SEARCH_ENABLED", True)) and "search" in current_app.extensions


def _entry_for(obj, deleted: bool) -> tuple[str, int] | None:
    if isinstance(obj, Opinion):
        return (ENTITY_OPINION, obj.id) if obj.id is not None else None
    if isinstance(obj, Proposal):
        return (ENTITY_PROPOSAL, obj.id) if obj.id is not None else None
    if isinstance(obj, PlanCall) and deleted:
        # Its proposals go with it by database cascade; whether a call is public is
        # read at query time, like a draft's.
        return (ENTITY_PLAN_CALL, obj.id) if obj.id is not None else None
    if isinstance(obj, Provision):
        return (ENTITY_VERSION, obj.version_id) if obj.version_id is not None else None
    if isinstance(obj, DraftVersion):
        return (ENTITY_DRAFT, obj.draft_id) if obj.draft_id is not None else None
    if isinstance(obj, Draft) and deleted:
        # Its versions, provisions and opinions go with it by database cascade.
        return (ENTITY_DRAFT, obj.id) if obj.id is not None else None
    if deleted and getattr(obj, "__tablename__", None) == BATCH_TABLE:
        return (ENTITY_BATCH, obj.id) if getattr(obj, "id", None) is not None else None
    # Other draft changes (title, dates, visibility settings) are read from the
    # database at query time: nothing in the index depends on them.
    return None


def _record(session: Session, entries) -> None:
    seen: set = session.info.setdefault(_SEEN_KEY, set())
    fresh = sorted({entry for entry in entries if entry is not None} - seen)
    if not fresh:
        return
    seen.update(fresh)
    now = utcnow()
    rows = [{"entity": entity, "entity_id": entity_id, "created_at": now} for entity, entity_id in fresh]
    # One row (a submission) as a plain execute of a statement built once; several
    # as one executemany.
    session.connection().execute(_INSERT_OUTBOX, rows[0] if len(rows) == 1 else rows)
    session.info[_WROTE_KEY] = True


def _after_flush(session: Session, flush_context) -> None:
    if not _tracking_enabled():
        return
    entries = []
    for obj in session.new:
        entries.append(_entry_for(obj, deleted=False))
    for obj in session.dirty:
        if isinstance(obj, (Opinion, Proposal, Provision, DraftVersion)) and session.is_modified(
                obj, include_collections=False):
            entries.append(_entry_for(obj, deleted=False))
            if isinstance(obj, (Provision, DraftVersion)):
                # Moved to another version or draft: the old one changes too.
                entries.extend(_previous_owner(obj))
    for obj in session.deleted:
        entries.append(_entry_for(obj, deleted=True))
    _record(session, entries)


def _previous_owner(obj):
    from sqlalchemy import inspect

    state = inspect(obj)
    column, entity = ("version_id", ENTITY_VERSION) if isinstance(obj, Provision) else ("draft_id", ENTITY_DRAFT)
    history = state.attrs[column].history
    return [(entity, old) for old in (history.deleted or ()) if old is not None]


def _do_orm_execute(orm_execute_state) -> None:
    state = orm_execute_state
    if not (state.is_update or state.is_delete or state.is_insert):
        return
    table = getattr(state.statement, "table", None)
    name = getattr(table, "name", None)
    if name not in (_opinions.name, _provisions.name, _versions.name, _drafts.name, BATCH_TABLE,
                    _proposals.name, _calls.name):
        return
    if not _tracking_enabled():
        return
    session = state.session
    where = getattr(state.statement, "whereclause", None)
    entries: list[tuple[str, int]] = []
    if state.is_insert:
        if name == _opinions.name:
            highest = session.execute(select(func.max(_opinions.c.id))).scalar() or 0
            entries.append((ENTITY_OPINIONS_AFTER, highest))
        elif name == _proposals.name:
            highest = session.execute(select(func.max(_proposals.c.id))).scalar() or 0
            entries.append((ENTITY_PROPOSALS_AFTER, highest))
        elif name == _provisions.name:
            entries.append((ENTITY_ALL, 0))  # bulk provision inserts: rare; re-index all provisions
        # A draft or version without provisions changes nothing in the index.
        _record(session, entries)
        return
    if name == BATCH_TABLE:
        if state.is_delete:
            entries += _matching(session, table.c.id, where, ENTITY_BATCH)
    elif name == _calls.name:
        if state.is_delete:
            entries += _matching(session, _calls.c.id, where, ENTITY_PLAN_CALL)
    elif name == _proposals.name:
        # Without a WHERE clause: every call's proposals.
        entries += _matching(session, _proposals.c.id, where, ENTITY_PROPOSAL)
    elif name == _drafts.name:
        if state.is_delete:
            entries += _matching(session, _drafts.c.id, where, ENTITY_DRAFT)
    elif name == _versions.name:
        entries += _matching(session, _versions.c.draft_id, where, ENTITY_DRAFT)
    elif name == _provisions.name:
        entries += _matching(session, _provisions.c.version_id, where, ENTITY_VERSION)
    else:
        if where is None:
            entries.append((ENTITY_ALL, 0))
        else:
            entries += _matching(session, _opinions.c.id, where, ENTITY_OPINION)
    _record(session, entries)


def _matching(session: Session, column, where, entity: str) -> list[tuple[str, int]]:
    query = select(column).distinct()
    if where is not None:
        query = query.where(where)
    return [(entity, value) for value in session.execute(query).scalars() if value is not None]


def _record_opinion(session: Session, opinion_id: int) -> None:
    """The outbox port's recorder: the stored opinion's row, stamped with the time of
    writing (what the backlog's age is measured from), not the opinion's own time."""
    if _tracking_enabled():
        _record(session, [(ENTITY_OPINION, opinion_id)])


def _after_commit(session: Session) -> None:
    wrote = session.info.pop(_WROTE_KEY, False)
    session.info.pop(_SEEN_KEY, None)
    if wrote:
        for callback in list(_wake_callbacks):
            try:
                callback()
            except Exception:  # waking is an optimisation; the indexer polls anyway
                pass


def _after_rollback(session: Session, previous_transaction=None) -> None:
    session.info.pop(_WROTE_KEY, None)
    session.info.pop(_SEEN_KEY, None)


def install() -> None:
    """Listen on every ORM session (once per process)."""
    global _installed
    if _installed:
        return
    event.listen(Session, "after_flush", _after_flush)
    event.listen(Session, "do_orm_execute", _do_orm_execute)
    event.listen(Session, "after_commit", _after_commit)
    event.listen(Session, "after_soft_rollback", _after_rollback)
    outbox.register_opinion_recorder(_record_opinion)
    _installed = True
