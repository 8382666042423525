"""Domain rows → index documents: the only module that knows both sides.

A document is a plain dict (engine-neutral; ``search.backend`` maps it onto the
index's fields)::

    {"doc_id": "opinion:12", "kind": "opinion", "draft": "3", "version": "4",
     "clause": ["art.12.2", "art.12", "ch.2"], "article": "art.12",
     "stance": "amend", "category": "citizen", "liaison": "5", "batch": "",
     "state": "published", "region": "…", "created": datetime,
     "parts": ["opinion text", "proposed wording", "reason", "public name"]}

What goes in: the opinion's text, proposed wording and reason, the submitter's name
only when it is public, the clause's citation (第十二条第二款) and key with its ancestors, draft, version, stance,
category, region, liaison point, batch (when the column exists), moderation state and
time. Never the contact details, the author account or the submitter key.

Proposals (立法项目建议, ``"kind": "proposal"`` with a ``"call"`` id instead of a
draft): the project name, necessity, problems, measures and focus area,
the proposer's name and unit only when the name is public; the call (``call``),
category, liaison point, batch, moderation state, region and time. Never the contact
details, the staff's note, the reason a proposal was hidden, the author account.

Provisions are indexed as one document per article (its paragraphs, items and
sub-items included, so "which article talks about 噪声" finds the article), plus one
per preamble, annex and heading (编、章、节 titles) of each draft's current version.

Rows are read with SQLAlchemy Core on a plain connection, so the same code serves the
indexer (inside the app) and the rebuild's worker processes (outside it).
"""
from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field

from sqlalchemy import func, select
from sqlalchemy.engine import Connection

from participation.citations import Cited, write_citation
from participation.models import Draft, DraftVersion, Opinion, PlanCall, Proposal, Provision

OPINION = "opinion"
PROVISION = "provision"
#: 立法项目建议 (answers to a legislative-plan call).
PROPOSAL = "proposal"
KINDS = (OPINION, PROVISION, PROPOSAL)

#: ``article`` of opinions on the draft as a whole (总体意见).
WHOLE_DRAFT = "_draft"
#: Provision kinds that make a document of their own, with everything below them.
BLOCK_KINDS = frozenset({"article", "preamble", "annex"})
HEADING_KINDS = frozenset({"part", "subpart", "chapter", "section"})

_opinions = Opinion.__table__
_provisions = Provision.__table__
_versions = DraftVersion.__table__
_drafts = Draft.__table__
_proposals = Proposal.__table__
_calls = PlanCall.__table__
#: Liaison batches (a later issue) add ``opinions.batch_id``; filled when present.
_BATCH_COLUMN = _opinions.c.get("batch_id")

_OPINION_COLUMNS = [
    _opinions.c.id, _opinions.c.draft_id, _opinions.c.version_id, _opinions.c.provision_id,
    _opinions.c.provision_key, _opinions.c.stance, _opinions.c.body, _opinions.c.proposed_text,
    _opinions.c.reason, _opinions.c.category, _opinions.c.region, _opinions.c.submitter_name,
    _opinions.c.is_name_public, _opinions.c.liaison_point_id, _opinions.c.moderation_state,
    _opinions.c.created_at,
] + ([_BATCH_COLUMN] if _BATCH_COLUMN is not None else [])


def doc_id(kind: str, pk: int) -> str:
    return f"{kind}:{pk}"


def split_doc_id(value: str) -> tuple[str, int] | None:
    kind, _sep, pk = value.partition(":")
    if kind not in KINDS or not pk.isdigit():
        return None
    return kind, int(pk)


def _text(value) -> str:
    return value if isinstance(value, str) else ""


def _id(value) -> str:
    return "" if value is None else str(value)


# --- provisions ----------------------------------------------------------------------

@dataclass
class VersionTree:
    """The provisions of one version, enough to name an opinion's clause and its
    ancestors without touching the database again."""

    parents: dict[int, int | None] = field(default_factory=dict)
    keys: dict[int, str] = field(default_factory=dict)
    kinds: dict[int, str] = field(default_factory=dict)
    labels: dict[int, str] = field(default_factory=dict)
    #: Built on the first citation, once the tree is loaded.
    _cited: dict[str, Cited] | None = field(default=None, repr=False)

    def ancestry(self, provision_id: int | None) -> list[int]:
        chain = []
        seen = set()
        while provision_id is not None and provision_id in self.keys and provision_id not in seen:
            seen.add(provision_id)
            chain.append(provision_id)
            provision_id = self.parents.get(provision_id)
        return chain

    def clause_keys(self, provision_id: int | None) -> list[str]:
        return [self.keys[pid] for pid in self.ancestry(provision_id)]

    def citation(self, provision_id: int | None) -> str:
        """The canonical citation of the provision (第二条第（一）项), written by
        ``participation.citations.write_citation`` like everywhere else."""
        if provision_id not in self.keys:
            return ""
        if self._cited is None:
            paragraphs = Counter(self.parents[pid] for pid, kind in self.kinds.items() if kind == "paragraph")
            self._cited = {key: Cited(self.kinds[pid], self.labels.get(pid, ""), paragraphs.get(pid, 0))
                           for pid, key in self.keys.items()}
        return write_citation(self.keys[provision_id], self._cited)

    def block_key(self, provision_id: int | None) -> str | None:
        """The key of the article (or preamble, annex) holding the provision."""
        for pid in self.ancestry(provision_id):
            if self.kinds[pid] in BLOCK_KINDS:
                return self.keys[pid]
        return None


class VersionTrees:
    """Loads and keeps the provision trees of the versions met while indexing."""

    def __init__(self, connection: Connection):
        self.connection = connection
        self._trees: dict[int, VersionTree] = {}

    def get(self, version_id: int) -> VersionTree:
        tree = self._trees.get(version_id)
        if tree is None:
            tree = VersionTree()
            rows = self.connection.execute(
                select(_provisions.c.id, _provisions.c.parent_id, _provisions.c.key, _provisions.c.kind,
                       _provisions.c.label)
                .where(_provisions.c.version_id == version_id)
            )
            for pid, parent_id, key, kind, label in rows:
                tree.parents[pid] = parent_id
                tree.keys[pid] = key
                tree.kinds[pid] = kind
                tree.labels[pid] = label
            self._trees[version_id] = tree
        return tree


# --- opinions ------------------------------------------------------------------------

def opinion_document(row: Mapping, tree: VersionTree | None) -> dict:
    provision_id = row["provision_id"]
    citation = ""
    if provision_id is not None and tree is not None and provision_id in tree.keys:
        clause = tree.clause_keys(provision_id)
        article = tree.block_key(provision_id) or clause[0]
        citation = tree.citation(provision_id)
    elif row["provision_key"]:
        # The tree lost the provision (should not happen: opinions are deleted with it).
        clause = [row["provision_key"]]
        article = row["provision_key"]
    else:
        clause = [WHOLE_DRAFT]
        article = WHOLE_DRAFT
    parts = [_text(row["body"]), _text(row["proposed_text"]), _text(row["reason"])]
    if row["is_name_public"] and row["submitter_name"]:
        parts.append(row["submitter_name"])
    if citation:
        parts.append(citation)  # so 第十二条 finds what was said on it
    batch = row.get("batch_id")
    return {
        "doc_id": doc_id(OPINION, row["id"]),
        "kind": OPINION,
        "draft": _id(row["draft_id"]),
        "version": _id(row["version_id"]),
        "clause": clause,
        "article": article,
        "stance": _text(row["stance"]),
        "category": _text(row["category"]),
        "liaison": _id(row["liaison_point_id"]),
        "batch": _id(batch),
        "state": _text(row["moderation_state"]),
        "region": _text(row["region"]),
        "created": row["created_at"],
        "parts": parts,
    }


def opinion_rows(connection: Connection, ids: Iterable[int]) -> list[Mapping]:
    ids = list(ids)
    if not ids:
        return []
    result = connection.execute(select(*_OPINION_COLUMNS).where(_opinions.c.id.in_(ids)))
    return [row._mapping for row in result]


def opinion_documents(connection: Connection, ids: Iterable[int], trees: VersionTrees | None = None) -> dict[int, dict]:
    """Documents of the opinions that exist, by id (missing ids were deleted)."""
    trees = trees or VersionTrees(connection)
    documents = {}
    for row in opinion_rows(connection, ids):
        documents[row["id"]] = opinion_document(row, trees.get(row["version_id"]))
    return documents


def opinion_id_bounds(connection: Connection) -> tuple[int, int, int]:
    """(lowest id, highest id, count) of all opinions; (0, -1, 0) when there are none."""
    low, high, count = connection.execute(
        select(func.min(_opinions.c.id), func.max(_opinions.c.id), func.count())
    ).one()
    if not count:
        return 0, -1, 0
    return low, high, count


def iter_opinion_documents(connection: Connection, low: int, high: int, *, chunk: int = 2000,
                           trees: VersionTrees | None = None, end_transactions: bool = False) -> Iterator[dict]:
    """Every opinion with ``low <= id <= high``, in id order, read in chunks.

    ``end_transactions``: end the read transaction after each chunk, so a long
    rebuild never holds one snapshot open (SQLite could not checkpoint its WAL)."""
    trees = trees or VersionTrees(connection)
    after = low - 1
    while after < high:
        rows = connection.execute(
            select(*_OPINION_COLUMNS)
            .where(_opinions.c.id > after, _opinions.c.id <= high)
            .order_by(_opinions.c.id)
            .limit(chunk)
        ).all()
        if end_transactions:
            connection.rollback()
        if not rows:
            return
        for row in rows:
            mapping = row._mapping
            yield opinion_document(mapping, trees.get(mapping["version_id"]))
        after = rows[-1].id


# --- provisions ----------------------------------------------------------------------

def current_version(connection: Connection, draft_id: int):
    """(id, created_at) of the draft's current (highest-numbered) version, or None."""
    return connection.execute(
        select(_versions.c.id, _versions.c.created_at).where(_versions.c.draft_id == draft_id)
        .order_by(_versions.c.number.desc()).limit(1)
    ).first()


def draft_id_of_version(connection: Connection, version_id: int) -> int | None:
    return connection.execute(select(_versions.c.draft_id).where(_versions.c.id == version_id)).scalar()


def draft_exists(connection: Connection, draft_id: int) -> bool:
    return connection.execute(select(_drafts.c.id).where(_drafts.c.id == draft_id)).scalar() is not None


def batch_opinion_ids(connection: Connection, batch_id: int) -> list[int] | None:
    """The opinions of a liaison-point batch; None when the batch does not exist."""
    batches = _opinions.metadata.tables.get("liaison_batches")
    if batches is None or _BATCH_COLUMN is None:
        return None
    if connection.execute(select(batches.c.id).where(batches.c.id == batch_id)).scalar() is None:
        return None
    return list(connection.execute(select(_opinions.c.id).where(_BATCH_COLUMN == batch_id)).scalars())


def batch_proposal_ids(connection: Connection, batch_id: int) -> list[int]:
    """The proposals of a liaison-point batch (a batch answers a draft or a call)."""
    return list(connection.execute(select(_proposals.c.id).where(_proposals.c.batch_id == batch_id)).scalars())


def all_draft_ids(connection: Connection) -> list[int]:
    return list(connection.execute(select(_drafts.c.id).order_by(_drafts.c.id)).scalars())


def provision_documents(connection: Connection, draft_id: int) -> list[dict]:
    """The documents of the draft's current version: one per article (with everything
    under it), preamble and annex, and one per heading."""
    version = current_version(connection, draft_id)
    if version is None:
        return []
    version_id, created_at = version
    rows = connection.execute(
        select(_provisions.c.id, _provisions.c.parent_id, _provisions.c.kind, _provisions.c.key,
               _provisions.c.label, _provisions.c.heading, _provisions.c.text)
        .where(_provisions.c.version_id == version_id)
        .order_by(_provisions.c.position)
    ).all()
    tree = VersionTree()
    labels = {}
    for row in rows:
        labels[row.id] = row.label
        tree.parents[row.id] = row.parent_id
        tree.keys[row.id] = row.key
        tree.kinds[row.id] = row.kind
    blocks: dict[int, dict] = {}
    documents = []
    for row in rows:
        if row.kind in HEADING_KINDS:
            documents.append(_provision_document(draft_id, version_id, row.id, tree, [f"{row.label} {row.heading}".strip()],
                                                 created_at))
            continue
        chain = tree.ancestry(row.id)
        block_id = next((pid for pid in chain if tree.kinds[pid] in BLOCK_KINDS), None)
        if block_id is None:
            # Text outside any article (should not happen in a parsed draft): its own document.
            documents.append(_provision_document(draft_id, version_id, row.id, tree, [row.heading, row.text], created_at))
            continue
        document = blocks.get(block_id)
        if document is None:
            document = _provision_document(draft_id, version_id, block_id, tree, [labels[block_id]], created_at)
            # Every clause inside the article is a clause of its document.
            document["clause"] = list(document["clause"])
            blocks[block_id] = document
            documents.append(document)
        elif tree.keys[row.id] not in document["clause"]:
            document["clause"].append(tree.keys[row.id])
        text = " ".join(part for part in (row.heading, row.text) if part)
        if text:
            document["parts"].append(text)
    return documents


def _provision_document(draft_id: int, version_id: int, provision_id: int, tree: VersionTree, parts: list[str],
                        created_at) -> dict:
    return {
        "doc_id": doc_id(PROVISION, provision_id),
        "kind": PROVISION,
        "draft": str(draft_id),
        "version": str(version_id),
        "clause": tree.clause_keys(provision_id),
        "article": tree.block_key(provision_id) or tree.keys[provision_id],
        "stance": "",
        "category": "",
        "liaison": "",
        "batch": "",
        "state": "published",
        "region": "",
        "created": created_at,
        "parts": [part for part in parts if part],
    }


# --- proposals (立法项目建议) ---------------------------------------------------------------

#: What is read of a proposal: never ``contact``, ``classification_note``,
#: ``hidden_reason`` or the author (they cannot reach the index by mistake).
_PROPOSAL_COLUMNS = [
    _proposals.c.id, _proposals.c.call_id, _proposals.c.title, _proposals.c.necessity, _proposals.c.problems,
    _proposals.c.measures, _proposals.c.area, _proposals.c.category, _proposals.c.submitter_name,
    _proposals.c.unit, _proposals.c.is_name_public, _proposals.c.region, _proposals.c.liaison_point_id,
    _proposals.c.batch_id, _proposals.c.moderation_state, _proposals.c.created_at,
]


def proposal_document(row: Mapping) -> dict:
    parts = [_text(row["title"]), _text(row["necessity"]), _text(row["problems"]), _text(row["measures"]),
             _text(row["area"])]
    if row["is_name_public"]:
        parts += [_text(row["submitter_name"]), _text(row["unit"])]
    return {
        "doc_id": doc_id(PROPOSAL, row["id"]),
        "kind": PROPOSAL,
        "call": _id(row["call_id"]),
        "draft": "",
        "version": "",
        "clause": [],
        "article": "",
        "stance": "",
        "category": _text(row["category"]),
        "liaison": _id(row["liaison_point_id"]),
        "batch": _id(row["batch_id"]),
        "state": _text(row["moderation_state"]),
        "region": _text(row["region"]),
        "created": row["created_at"],
        "parts": [part for part in parts if part],
    }


def proposal_documents(connection: Connection, ids: Iterable[int]) -> dict[int, dict]:
    """Documents of the proposals that exist, by id (missing ids were deleted)."""
    ids = sorted(set(ids))
    documents = {}
    for start in range(0, len(ids), 500):
        rows = connection.execute(select(*_PROPOSAL_COLUMNS).where(_proposals.c.id.in_(ids[start:start + 500])))
        for row in rows:
            documents[row.id] = proposal_document(row._mapping)
    return documents


def call_exists(connection: Connection, call_id: int) -> bool:
    return connection.execute(select(_calls.c.id).where(_calls.c.id == call_id)).scalar() is not None


def call_proposal_ids(connection: Connection, call_id: int) -> list[int]:
    return list(connection.execute(select(_proposals.c.id).where(_proposals.c.call_id == call_id)).scalars())


def proposal_ids_after(connection: Connection, after: int) -> list[int]:
    return list(connection.execute(select(_proposals.c.id).where(_proposals.c.id > after)).scalars())


def iter_proposal_documents(connection: Connection, *, chunk: int = 2000,
                            end_transactions: bool = False) -> Iterator[dict]:
    """Every proposal, in id order, read in chunks (a plan call draws tens to hundreds)."""
    after = 0
    while True:
        rows = connection.execute(
            select(*_PROPOSAL_COLUMNS).where(_proposals.c.id > after).order_by(_proposals.c.id).limit(chunk)
        ).all()
        if end_transactions:
            connection.rollback()
        if not rows:
            return
        for row in rows:
            yield proposal_document(row._mapping)
        after = rows[-1].id
