"""What a batch of outbox rows means for the index (``load_changes``, read from the
database) and how it is written (``apply_changes``): the indexer's drain and the
catch-up after a rebuild both come here."""
from __future__ import annotations

import logging
from dataclasses import dataclass, field

from search import documents
from search.backend import Writer
from search.models import (
    ENTITY_ALL,
    ENTITY_BATCH,
    ENTITY_DRAFT,
    ENTITY_OPINION,
    ENTITY_PLAN_CALL,
    ENTITY_PROPOSAL,
    ENTITY_VERSION,
)
from search.tracking import ENTITY_OPINIONS_AFTER, ENTITY_PROPOSALS_AFTER

logger = logging.getLogger("search.indexer")


@dataclass
class Changes:
    """What a batch of outbox rows means for the index, read from the database."""

    upserts: list[dict] = field(default_factory=list)
    deletes: list[str] = field(default_factory=list)
    drafts_replaced: dict[int, list[dict]] = field(default_factory=dict)
    drafts_deleted: list[int] = field(default_factory=list)
    versions_deleted: list[int] = field(default_factory=list)
    batches_deleted: list[int] = field(default_factory=list)
    calls_deleted: list[int] = field(default_factory=list)
    opinions_after: int | None = None
    everything: bool = False


def load_changes(connection, batch) -> Changes:
    changes = Changes()
    opinion_ids: set[int] = set()
    proposal_ids: set[int] = set()
    draft_ids: set[int] = set()
    for _id, entity, entity_id in batch:
        if entity == ENTITY_OPINION:
            opinion_ids.add(entity_id)
        elif entity == ENTITY_PROPOSAL:
            proposal_ids.add(entity_id)
        elif entity == ENTITY_PLAN_CALL:
            # A call deleted takes its proposals with it (database cascade).
            if documents.call_exists(connection, entity_id):
                proposal_ids.update(documents.call_proposal_ids(connection, entity_id))
            else:
                changes.calls_deleted.append(entity_id)
        elif entity == ENTITY_PROPOSALS_AFTER:
            # Bulk inserts (a liaison batch of proposals): few enough to list.
            proposal_ids.update(documents.proposal_ids_after(connection, entity_id))
        elif entity == ENTITY_DRAFT:
            draft_ids.add(entity_id)
        elif entity == ENTITY_VERSION:
            draft_id = documents.draft_id_of_version(connection, entity_id)
            if draft_id is None:
                changes.versions_deleted.append(entity_id)
            else:
                draft_ids.add(draft_id)
        elif entity == ENTITY_BATCH:
            members = documents.batch_opinion_ids(connection, entity_id)
            if members is None:
                changes.batches_deleted.append(entity_id)
            else:
                opinion_ids.update(members)
                proposal_ids.update(documents.batch_proposal_ids(connection, entity_id))
        elif entity == ENTITY_OPINIONS_AFTER:
            if changes.opinions_after is None or entity_id < changes.opinions_after:
                changes.opinions_after = entity_id
        elif entity == ENTITY_ALL:
            changes.everything = True
        else:
            logger.warning("unknown search outbox entity %r (row ignored)", entity)
    if changes.everything:
        return changes
    trees = documents.VersionTrees(connection)
    found = documents.opinion_documents(connection, opinion_ids, trees)
    changes.upserts.extend(found.values())
    changes.deletes.extend(documents.doc_id(documents.OPINION, pk) for pk in sorted(opinion_ids - found.keys()))
    found_proposals = documents.proposal_documents(connection, proposal_ids)
    changes.upserts.extend(found_proposals.values())
    changes.deletes.extend(documents.doc_id(documents.PROPOSAL, pk)
                           for pk in sorted(proposal_ids - found_proposals.keys()))
    for draft_id in sorted(draft_ids):
        if documents.draft_exists(connection, draft_id):
            changes.drafts_replaced[draft_id] = documents.provision_documents(connection, draft_id)
        else:
            changes.drafts_deleted.append(draft_id)
    return changes


def apply_changes(writer: Writer, changes: Changes, connection=None) -> None:
    for draft_id in changes.drafts_deleted:
        writer.delete_where(draft=str(draft_id))
    for version_id in changes.versions_deleted:
        writer.delete_where(version=str(version_id))
    for batch_id in changes.batches_deleted:
        writer.delete_where(batch=str(batch_id))
    for call_id in changes.calls_deleted:
        writer.delete_where(kind=documents.PROPOSAL, call=str(call_id))
    for draft_id, docs in changes.drafts_replaced.items():
        writer.delete_where(kind=documents.PROVISION, draft=str(draft_id))
        for document in docs:
            writer.add(document)
    for doc_id in changes.deletes:
        writer.delete(doc_id)
    for document in changes.upserts:
        writer.upsert(document)
    if changes.opinions_after is not None and connection is not None:
        # Writer.upsert replaces documents of committed segments only, not one this
        # writer added (see search.backend): an opinion both inserted in bulk and
        # changed later in the same batch is written once, from the upserts above.
        written = {document["doc_id"] for document in changes.upserts}
        written.update(changes.deletes)
        low, high, _count = documents.opinion_id_bounds(connection)
        for document in documents.iter_opinion_documents(connection, changes.opinions_after + 1, high):
            if document["doc_id"] not in written:
                writer.upsert(document)
