"""Read helpers for a version's provision tree: the tree itself (assembled in memory
from one ordered query), the outline and text pages of large drafts, subtrees, and the
canonical citations of clauses (written by ``participation.citations``).

Everything a template needs is loaded here, so that templates never trigger lazy loads.
"""
from __future__ import annotations

import bisect
from dataclasses import dataclass, field

from flask_babel import gettext as _
from sqlalchemy import func, or_, select

from participation.citations import cited_keys, nodes_from_rows, write_citation
from participation.extensions import db
from participation.models import Provision

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


def provision_positions(version_id: int) -> dict[str, int]:
    """Key → position of every provision of a version (to cut a tally into the
    division pages of a large draft)."""
    return dict(db.session.execute(
        select(Provision.key, Provision.position).where(Provision.version_id == version_id)
    ).all())
