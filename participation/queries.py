"""Read helpers: listings with pagination and the provision tree of a version.

Everything a template needs is loaded here, so that templates never trigger lazy loads.
"""
from __future__ import annotations

import bisect
from dataclasses import dataclass, field
from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import and_, func, or_, select

from participation.citations import cited_keys, nodes_from_rows, write_citation
from participation.extensions import db
from participation.models import Draft, DraftVersion, Provision

STRUCTURAL_KINDS = ("part", "subpart", "chapter", "section")
# Above this many articles a draft is read one top-level division (编, or 章 without
# 编) at a time: the Civil Code on one page would be megabytes of HTML.
LARGE_DRAFT_ARTICLES = 200
# A division with more articles than this is split into its sub-divisions, so that a
# page stays a few hundred kilobytes at most.
MAX_ARTICLES_PER_PAGE = 300
# Articles outside any heading in a large draft are paged in runs of this many.
LOOSE_ARTICLES_PER_PAGE = 100
# Order of the kinds in structure reports (编/分编/章/节/条/款/项/目, then the rest).
KIND_ORDER = ("part", "subpart", "chapter", "section", "article", "paragraph", "item", "subitem",
              "preamble", "annex")


@dataclass
class ProvisionNode:
    """A provision with its children, assembled in memory from one ordered query."""

    row: Provision
    children: list["ProvisionNode"] = field(default_factory=list)

    def __getattr__(self, name):
        # Templates read node.key, node.label … straight through to the row.
        if name.startswith("__"):
            raise AttributeError(name)
        return getattr(self.row, name)

    def walk(self):
        yield self
        for child in self.children:
            yield from child.walk()

    @property
    def marker(self) -> str:
        """How an item or sub-item is numbered in the text: （三）, 2. or 乙、."""
        label = self.row.label
        if self.row.kind == "item":
            return label.removeprefix("第").removesuffix("项")
        if self.row.kind == "subitem":
            if label.startswith("第"):
                return f"{self.row.number}."
            return label.removesuffix("目") + "、"
        return ""

    def excerpt(self, limit: int = 40) -> str:
        text = " ".join((self.row.heading or self.row.text or "").split())
        if not text and self.children and self.row.kind == "article":
            text = " ".join((self.children[0].row.text or "").split())
        return text if len(text) <= limit else text[:limit] + "…"

    def as_dict(self) -> dict:
        """The API shape: {key, kind, label, heading, text, children}."""
        return {
            "key": self.row.key,
            "kind": self.row.kind,
            "label": self.row.label,
            "heading": self.row.heading,
            "text": self.row.text,
            "children": [child.as_dict() for child in self.children],
        }


def _assemble(rows) -> list[ProvisionNode]:
    """Nodes in document order; a row whose parent is not among ``rows`` is a root."""
    nodes: dict[int, ProvisionNode] = {}
    roots: list[ProvisionNode] = []
    for row in rows:
        node = ProvisionNode(row)
        nodes[row.id] = node
        parent = nodes.get(row.parent_id) if row.parent_id is not None else None
        if parent is None:
            roots.append(node)
        else:
            parent.children.append(node)
    return roots


def provision_rows(version_id: int, start: int | None = None, end: int | None = None) -> list[Provision]:
    """Rows of a version in document order, optionally only positions [start, end)."""
    query = select(Provision).where(Provision.version_id == version_id)
    if start is not None:
        query = query.where(Provision.position >= start)
    if end is not None:
        query = query.where(Provision.position < end)
    return list(db.session.scalars(query.order_by(Provision.position)))


def provision_tree(version_id: int, start: int | None = None, end: int | None = None) -> list[ProvisionNode]:
    """Top-level nodes of a version in document order (of positions [start, end) when
    given: a division and everything under it)."""
    return _assemble(provision_rows(version_id, start, end))


def find_provision(version_id: int, key: str) -> Provision | None:
    return db.session.scalar(select(Provision).where(Provision.version_id == version_id, Provision.key == key))


def kind_counts(version_id: int) -> dict[str, int]:
    rows = db.session.execute(
        select(Provision.kind, func.count()).where(Provision.version_id == version_id).group_by(Provision.kind)
    )
    return {kind: count for kind, count in rows}


def article_counts(version_ids) -> dict[int, int]:
    """Number of articles per version, for listings."""
    version_ids = list(version_ids)
    if not version_ids:
        return {}
    rows = db.session.execute(
        select(Provision.version_id, func.count())
        .where(Provision.version_id.in_(version_ids), Provision.kind == "article")
        .group_by(Provision.version_id)
    )
    return {version_id: count for version_id, count in rows}


@dataclass
class TextPage:
    """One page of a large draft: a top-level division (or a run of loose articles, the
    preamble, an annex) covering the positions [start, end). ``context`` names the
    divisions it sits in when an oversized division was split (第三编 合同 for a
    chapter of it)."""

    key: str
    label: str
    heading: str
    start: int
    end: int | None
    context: list[str] = field(default_factory=list)

    @property
    def title(self) -> str:
        if self.heading and self.heading != self.label:
            return f"{self.label}\u3000{self.heading}"
        return self.label


@dataclass
class DraftOutline:
    """What a reading page or report needs besides the text itself: counts by kind,
    the 编/章/节 table of contents and, for large drafts, the division pages."""

    counts: dict[str, int]
    toc: list[ProvisionNode]
    pages: list[TextPage]

    @property
    def is_paged(self) -> bool:
        return bool(self.pages)

    def page(self, key: str) -> TextPage | None:
        return next((page for page in self.pages if page.key == key), None)

    def page_for_position(self, position: int) -> TextPage | None:
        if not self.pages:
            return None
        starts = [page.start for page in self.pages]
        index = bisect.bisect_right(starts, position) - 1
        return self.pages[max(index, 0)]

    def neighbours(self, page: TextPage) -> tuple[TextPage | None, TextPage | None]:
        index = self.pages.index(page)
        previous = self.pages[index - 1] if index > 0 else None
        following = self.pages[index + 1] if index + 1 < len(self.pages) else None
        return previous, following

    def counts_in_order(self) -> list[tuple[str, int]]:
        return [(kind, self.counts.get(kind, 0)) for kind in KIND_ORDER
                if kind in self.counts or kind in ("chapter", "article", "paragraph", "item")]


def draft_outline(version_id: int) -> DraftOutline:
    counts = kind_counts(version_id)
    rows = list(db.session.scalars(
        select(Provision)
        .where(Provision.version_id == version_id,
               or_(Provision.kind.in_(STRUCTURAL_KINDS), Provision.depth == 0))
        .order_by(Provision.position)
    ))
    toc = _assemble([row for row in rows if row.kind in STRUCTURAL_KINDS or row.kind in ("preamble", "annex")])
    pages: list[TextPage] = []
    if counts.get("article", 0) > LARGE_DRAFT_ARTICLES:
        article_positions = list(db.session.scalars(
            select(Provision.position)
            .where(Provision.version_id == version_id, Provision.kind == "article")
            .order_by(Provision.position)
        ))
        pages = _division_pages(_assemble(rows), article_positions)
    return DraftOutline(counts=counts, toc=toc, pages=pages)


def _division_pages(top: list[ProvisionNode], article_positions: list[int]) -> list[TextPage]:
    """Pages of a large draft: one per top-level division; a division with more than
    ``MAX_ARTICLES_PER_PAGE`` articles is split into its sub-divisions (分编, then 章 …)
    so that no page grows without bound (the Civil Code's book of contracts has 526
    articles). Loose top-level articles are paged in runs."""

    def articles_between(start: int, end: int | None) -> int:
        high = bisect.bisect_left(article_positions, end) if end is not None else len(article_positions)
        return high - bisect.bisect_left(article_positions, start)

    pages: list[TextPage] = []

    def add(node: ProvisionNode, start: int, end: int | None, context: list[str]) -> None:
        subdivisions = [child for child in node.children if child.row.kind in STRUCTURAL_KINDS]
        if not subdivisions or articles_between(start, end) <= MAX_ARTICLES_PER_PAGE:
            pages.append(TextPage(key=node.row.key, label=node.row.label, heading=node.row.heading or "",
                                  start=start, end=end, context=context))
            return
        inner = context + [_title(node.row)]
        group: list[ProvisionNode] = []  # consecutive sub-divisions sharing a page
        group_start = group_end = start

        def flush():
            if not group:
                return
            first, last = group[0].row, group[-1].row
            if len(group) == 1:
                label, heading = first.label, first.heading or ""
            else:
                label, heading = _("%(first)s至%(last)s", first=first.label, last=last.label), ""
            pages.append(TextPage(key=first.key, label=label, heading=heading, start=group_start, end=group_end,
                                  context=inner))
            group.clear()

        for index, child in enumerate(subdivisions):
            # The first sub-division's page also shows the division's own heading and
            # any articles that precede that sub-division.
            child_start = start if index == 0 else child.row.position
            child_end = subdivisions[index + 1].row.position if index + 1 < len(subdivisions) else end
            if articles_between(child_start, child_end) > MAX_ARTICLES_PER_PAGE:
                flush()
                add(child, child_start, child_end, inner)
                continue
            if group and articles_between(group_start, child_end) > MAX_ARTICLES_PER_PAGE:
                flush()
            if not group:
                group_start = child_start
            group.append(child)
            group_end = child_end
        flush()

    run: list[Provision] = []  # loose articles of the page being filled
    for index, node in enumerate(top):
        row = node.row
        end = top[index + 1].row.position if index + 1 < len(top) else None
        if row.kind == "article":
            if run and len(run) < LOOSE_ARTICLES_PER_PAGE:
                run.append(row)
                pages[-1].label = _("%(first)s至%(last)s", first=run[0].label, last=row.label)
                pages[-1].end = end
                continue
            run = [row]
            pages.append(TextPage(key=row.key, label=row.label, heading="", start=row.position, end=end))
            continue
        run = []
        add(node, row.position, end, [])
    return pages


def _title(row: Provision) -> str:
    if row.heading and row.heading != row.label:
        return f"{row.label}\u3000{row.heading}"
    return row.label


def published_drafts_query():
    return select(Draft).where(Draft.published_at.is_not(None))


def open_drafts(now: datetime, limit: int | None = None) -> list[Draft]:
    """Drafts taking opinions now, soonest deadline first."""
    query = (
        published_drafts_query()
        .where(Draft.opens_at <= now, Draft.closes_at > now, Draft.feedback_published_at.is_(None))
        .order_by(Draft.closes_at, Draft.id)
    )
    if limit is not None:
        query = query.limit(limit)
    return list(db.session.scalars(query))


def upcoming_drafts(now: datetime, limit: int | None = None) -> list[Draft]:
    query = (
        published_drafts_query()
        .where(Draft.opens_at > now, Draft.feedback_published_at.is_(None))
        .order_by(Draft.opens_at, Draft.id)
    )
    if limit is not None:
        query = query.limit(limit)
    return list(db.session.scalars(query))


def recently_closed_drafts(now: datetime, limit: int = 10) -> list[Draft]:
    return list(db.session.scalars(
        published_drafts_query()
        .where(or_(Draft.closes_at <= now, Draft.feedback_published_at.is_not(None)))
        .order_by(Draft.closes_at.desc(), Draft.id.desc())
        .limit(limit)
    ))


def drafts_with_status_query(status: str | None, now: datetime, *, include_unpublished: bool):
    """A select of drafts filtered by a computed status (the same rules as
    ``Draft.status_at``), newest first."""
    query = select(Draft) if include_unpublished else published_drafts_query()
    conditions = {
        "draft": Draft.published_at.is_(None),
        "scheduled": and_(Draft.published_at.is_not(None), Draft.feedback_published_at.is_(None), Draft.opens_at > now),
        "open": and_(Draft.published_at.is_not(None), Draft.feedback_published_at.is_(None),
                     Draft.opens_at <= now, Draft.closes_at > now),
        "closed": and_(Draft.published_at.is_not(None), Draft.feedback_published_at.is_(None), Draft.closes_at <= now),
        "feedback": Draft.feedback_published_at.is_not(None),
    }
    if status in conditions:
        query = query.where(conditions[status])
    return query.order_by(Draft.created_at.desc(), Draft.id.desc())


# Integer primary keys are 32-bit on PostgreSQL: a larger id in a URL cannot exist, and
# looking it up would be a database error rather than "not found".
MAX_ID = 2**31 - 1
# Beyond any real listing; keeps the OFFSET within what the database accepts.
MAX_PAGE = 100_000


def get_draft(draft_id: int) -> Draft | None:
    if not 0 < draft_id <= MAX_ID:
        return None
    return db.session.get(Draft, draft_id)


def drafts_page(status: str | None, now: datetime, *, include_unpublished: bool, page: int, per_page: int = 20):
    """One page (Flask-SQLAlchemy ``Pagination``) of ``drafts_with_status_query``; a page
    number past the end gives an empty page rather than a 404."""
    query = drafts_with_status_query(status, now, include_unpublished=include_unpublished)
    return db.paginate(query, page=min(max(page, 1), MAX_PAGE), per_page=per_page, error_out=False)


def current_version(draft_id: int) -> DraftVersion | None:
    return db.session.scalar(
        select(DraftVersion).where(DraftVersion.draft_id == draft_id).order_by(DraftVersion.number.desc()).limit(1)
    )


# --- Opinions (意见建议): citations, clause listings, staff lists, duty records ---------

from datetime import timezone  # noqa: E402

from participation.models import ModerationState, Opinion, User  # noqa: E402

# Kinds whose paragraph count the citation writer needs (a one-paragraph article's 款 is
# not written: "第十二条第（一）项", not "第十二条第一款第（一）项").
_CITED_FROM = ("article",)


def subtree_end(provision: Provision) -> int | None:
    """The position just past ``provision`` and everything below it (None: the end of
    the version)."""
    return db.session.scalar(
        select(func.min(Provision.position))
        .where(Provision.version_id == provision.version_id, Provision.position > provision.position,
               Provision.depth <= provision.depth)
    )


def provision_subtree(provision: Provision) -> ProvisionNode:
    """The provision with its paragraphs, items and sub-items, as one node."""
    roots = provision_tree(provision.version_id, provision.position, subtree_end(provision))
    return roots[0]


def subtree_ids(provision: Provision) -> list[int]:
    """Ids of the provision and of everything below it (an article's paragraphs and
    items), for listings that include what was said on the parts."""
    end = subtree_end(provision)
    query = select(Provision.id).where(Provision.version_id == provision.version_id,
                                       Provision.position >= provision.position)
    if end is not None:
        query = query.where(Provision.position < end)
    return list(db.session.scalars(query))


def clause_citations(pairs) -> dict[tuple[int, str], str]:
    """Canonical citations (第十二条第二款第（三）项, 附件一第一段) of (version id, key)
    pairs, in two queries whatever their number: the rows of the keys and their
    ancestors (``citations.cited_keys``) and the paragraph count of each article; the
    citation itself is written by ``citations.write_citation``. An unknown key cites as
    itself."""
    pairs = {(version_id, key) for version_id, key in pairs if key}
    if not pairs:
        return {}
    wanted: dict[int, set[str]] = {}
    for version_id, key in pairs:
        wanted.setdefault(version_id, set()).update(cited_keys(key))
    rows: dict[int, list] = {}
    for version_id, keys in wanted.items():
        keys = sorted(keys)
        for start in range(0, len(keys), 500):
            rows.setdefault(version_id, []).extend(db.session.execute(
                select(Provision.id, Provision.key, Provision.kind, Provision.label)
                .where(Provision.version_id == version_id, Provision.key.in_(keys[start:start + 500]))
            ))
    parent_ids = [row.id for version_rows in rows.values() for row in version_rows if row.kind in _CITED_FROM]
    paragraphs: dict[int, int] = {}
    for start in range(0, len(parent_ids), 500):
        paragraphs.update(db.session.execute(
            select(Provision.parent_id, func.count())
            .where(Provision.parent_id.in_(parent_ids[start:start + 500]), Provision.kind == "paragraph")
            .group_by(Provision.parent_id)
        ).all())
    nodes = {version_id: nodes_from_rows(version_rows, paragraphs)
             for version_id, version_rows in rows.items()}
    return {(version_id, key): write_citation(key, nodes.get(version_id, {}))
            for version_id, key in pairs}


def clause_citation(version_id: int, key: str | None) -> str:
    """The citation of one clause; None (the whole draft) gives ''."""
    if not key:
        return ""
    return clause_citations([(version_id, key)])[(version_id, key)]


@dataclass(frozen=True)
class OpinionCursor:
    """A position in a newest-first listing: the (created_at, id) of the last opinion
    shown. Keyset pagination: the next page starts strictly after it, so a page never
    repeats or skips rows when opinions arrive while someone reads."""

    created_at: datetime
    id: int

    def encode(self) -> str:
        stamp = self.created_at.astimezone(timezone.utc).strftime("%Y%m%d%H%M%S%f")
        return f"{stamp}-{self.id}"

    @classmethod
    def decode(cls, value: str | None) -> "OpinionCursor | None":
        """None for anything malformed (a hand-edited link starts from the newest)."""
        if not value or len(value) > 40:
            return None
        stamp, _sep, raw_id = value.partition("-")
        if not raw_id.isdigit() or not stamp.isdigit() or len(stamp) != 20:
            return None
        try:
            created_at = datetime.strptime(stamp, "%Y%m%d%H%M%S%f").replace(tzinfo=timezone.utc)
        except ValueError:
            return None
        opinion_id = int(raw_id)
        if not 0 < opinion_id <= MAX_ID:
            return None
        return cls(created_at, opinion_id)


@dataclass
class OpinionPage:
    items: list[Opinion]
    next_cursor: OpinionCursor | None
    citations: dict[str, str]


def published_opinions_page(draft_id: int, version_id: int, *, provision_ids: list[int] | None = None,
                            whole_draft_only: bool = False, after: OpinionCursor | None = None,
                            limit: int = 20) -> OpinionPage:
    """One page of published opinions, newest first. ``provision_ids`` restricts to
    those clauses (a clause with its parts); ``whole_draft_only`` to 总体意见; neither:
    everything said on the draft's version."""
    query = select(Opinion).where(
        Opinion.draft_id == draft_id, Opinion.version_id == version_id,
        Opinion.moderation_state == ModerationState.PUBLISHED.value,
    )
    if provision_ids is not None:
        query = query.where(Opinion.provision_id.in_(provision_ids))
    elif whole_draft_only:
        query = query.where(Opinion.provision_id.is_(None))
    if after is not None:
        query = query.where(or_(
            Opinion.created_at < after.created_at,
            and_(Opinion.created_at == after.created_at, Opinion.id < after.id),
        ))
    rows = list(db.session.scalars(query.order_by(Opinion.created_at.desc(), Opinion.id.desc()).limit(limit + 1)))
    items = rows[:limit]
    next_cursor = OpinionCursor(items[-1].created_at, items[-1].id) if len(rows) > limit else None
    citations = clause_citations((version_id, o.provision_key) for o in items)
    return OpinionPage(items=items, next_cursor=next_cursor,
                       citations={key: value for (_v, key), value in citations.items()})


def published_counts(draft_id: int, version_id: int) -> tuple[dict[int, int], int]:
    """Published opinions per provision id, and the number of published 总体意见."""
    rows = db.session.execute(
        select(Opinion.provision_id, func.count())
        .where(Opinion.draft_id == draft_id, Opinion.version_id == version_id,
               Opinion.moderation_state == ModerationState.PUBLISHED.value)
        .group_by(Opinion.provision_id)
    ).all()
    counts = {provision_id: count for provision_id, count in rows if provision_id is not None}
    whole = sum(count for provision_id, count in rows if provision_id is None)
    return counts, whole


def rolled_up_counts(nodes: list[ProvisionNode], counts: dict[int, int]) -> dict[str, int]:
    """Key → count of the node and everything below it, for the nodes given (a page of
    a draft), leaving out zeros."""
    totals: dict[str, int] = {}

    def visit(node: ProvisionNode) -> int:
        total = counts.get(node.row.id, 0) + sum(visit(child) for child in node.children)
        if total:
            totals[node.row.key] = total
        return total

    for node in nodes:
        visit(node)
    return totals


@dataclass
class StaffOpinionFilters:
    """The staff list's filters; empty values filter nothing."""

    state: str = ""
    stance: str = ""
    category: str = ""
    clause: str = ""     # a key: that clause and everything below it; "general": 总体意见
    text: str = ""

    def as_args(self) -> dict[str, str]:
        return {name: value for name, value in vars(self).items() if value}


def _like_escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def staff_opinions_query(draft_id: int, filters: StaffOpinionFilters):
    """Every opinion of a draft matching the filters (hidden ones included), newest
    first."""
    query = select(Opinion).where(Opinion.draft_id == draft_id)
    if filters.state:
        query = query.where(Opinion.moderation_state == filters.state)
    if filters.stance:
        query = query.where(Opinion.stance == filters.stance)
    if filters.category:
        query = query.where(Opinion.category == filters.category)
    if filters.clause == "general":
        query = query.where(Opinion.provision_key.is_(None))
    elif filters.clause:
        query = query.where(or_(Opinion.provision_key == filters.clause,
                                Opinion.provision_key.like(_like_escape(filters.clause) + ".%", escape="\\")))
    if filters.text:
        pattern = f"%{_like_escape(filters.text)}%"
        query = query.where(or_(*(column.ilike(pattern, escape="\\") for column in (
            Opinion.body, Opinion.proposed_text, Opinion.reason, Opinion.submitter_name, Opinion.region,
            Opinion.contact, Opinion.receipt_code))))
    return query.order_by(Opinion.created_at.desc(), Opinion.id.desc())


def opinion_state_counts(draft_id: int) -> dict[str, int]:
    """Opinions of a draft by moderation state (every state present, zeros included)."""
    counts = {state.value: 0 for state in ModerationState}
    counts.update(db.session.execute(
        select(Opinion.moderation_state, func.count()).where(Opinion.draft_id == draft_id)
        .group_by(Opinion.moderation_state)
    ).all())
    return counts


def opinion_counts_by_draft(draft_ids) -> dict[int, dict[str, int]]:
    """For listings: draft id → {state: count} (drafts without opinions are absent)."""
    draft_ids = list(draft_ids)
    if not draft_ids:
        return {}
    result: dict[int, dict[str, int]] = {}
    for draft_id, state, count in db.session.execute(
        select(Opinion.draft_id, Opinion.moderation_state, func.count())
        .where(Opinion.draft_id.in_(draft_ids)).group_by(Opinion.draft_id, Opinion.moderation_state)
    ):
        result.setdefault(draft_id, {})[state] = count
    return result


def get_opinion(opinion_id: int) -> Opinion | None:
    if not 0 < opinion_id <= MAX_ID:
        return None
    return db.session.get(Opinion, opinion_id)


def opinion_citations(opinions) -> dict[int, str]:
    """Opinion id → citation of its clause ('' for 总体意见)."""
    opinions = list(opinions)
    citations = clause_citations((o.version_id, o.provision_key) for o in opinions)
    return {o.id: citations.get((o.version_id, o.provision_key), "") for o in opinions}


def duty_record_query(user_id: int):
    """A deputy's own opinions (履职记录), newest first (``drafts_by_id`` loads their
    drafts)."""
    return select(Opinion).where(Opinion.author_id == user_id).order_by(Opinion.created_at.desc(), Opinion.id.desc())


def published_count(draft_id: int, version_id: int, *, provision_ids: list[int] | None = None,
                    whole_draft_only: bool = False) -> int:
    """How many opinions ``published_opinions_page`` lists over all its pages."""
    query = select(func.count()).select_from(Opinion).where(
        Opinion.draft_id == draft_id, Opinion.version_id == version_id,
        Opinion.moderation_state == ModerationState.PUBLISHED.value,
    )
    if provision_ids is not None:
        query = query.where(Opinion.provision_id.in_(provision_ids))
    elif whole_draft_only:
        query = query.where(Opinion.provision_id.is_(None))
    return db.session.scalar(query) or 0


def provision_positions(version_id: int) -> dict[str, int]:
    """Key → position of every provision of a version (to cut a tally into the
    division pages of a large draft)."""
    return dict(db.session.execute(
        select(Provision.key, Provision.position).where(Provision.version_id == version_id)
    ).all())


def duty_record_summary(user_id: int) -> dict[str, int]:
    row = db.session.execute(
        select(func.count(), func.count(func.distinct(Opinion.draft_id))).where(Opinion.author_id == user_id)
    ).one()
    return {"opinions": row[0], "drafts": row[1]}


def get_user(user_id: int) -> User | None:
    if not 0 < user_id <= MAX_ID:
        return None
    return db.session.get(User, user_id)


def drafts_by_id(draft_ids) -> dict[int, Draft]:
    draft_ids = list(set(draft_ids))
    if not draft_ids:
        return {}
    return {draft.id: draft for draft in db.session.scalars(select(Draft).where(Draft.id.in_(draft_ids)))}


# --- Opinions API (participation/api/opinions.py) ------------------------------------

def published_opinion_total(draft_id: int, version_id: int, provision_ids: list[int]) -> int:
    """Published opinions on the given provisions (a clause and its parts: the "共 N 条"
    of a listing)."""
    return db.session.scalar(
        select(func.count()).select_from(Opinion).where(
            Opinion.draft_id == draft_id, Opinion.version_id == version_id,
            Opinion.provision_id.in_(provision_ids),
            Opinion.moderation_state == ModerationState.PUBLISHED.value,
        )
    )
