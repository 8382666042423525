"""Citations of clauses: one function writes them, one reads them.

``write_citation(key, nodes)`` writes what a person writes for a clause::

    art.12            第十二条
    art.12.2.3        第十二条第二款第（三）项   (article with several paragraphs)
    art.2.1.1         第二条第（一）项           (article with one paragraph)
    art.2.1           第二条第一款               (the only paragraph, cited itself)
    art.10-1          第十条之一
    art.2.2.2.1       第二条第二款第（二）项第1目
    preamble.2        序言第二段
    annex.1.1.2       附件一第一段第（二）项
    ch.3.sec.2        第三章第二节

The rule: the labels of the clause and its ancestors named by its key, outermost first;
the paragraph is left out when its article has a single paragraph and something inside
it is cited (by drafting convention a one-paragraph article is cited without 款). The
paragraphs of a preamble or an annex (第二段) are always named. A key whose nodes are not
known cites as itself; the whole draft (``None`` or ``''``) gives ``''`` — the caller
words it (总体意见).

``parse_citation(text, document)`` reads it back (see ``participation.parsing.citations``
for every accepted form); for every node of a well-formed document
``parse_citation(write_citation(key, document_nodes(doc)), doc) == key``.

The writer is a pure function over plain data: callers fetch the rows (``queries``,
``search``, the batch importer) and hand over, for each key on the way down, a ``Cited``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import NamedTuple

from participation.parsing.citations import parse_citation
from participation.parsing.tree import ParsedDocument

__all__ = ["Cited", "cited_keys", "document_nodes", "nodes_from_rows", "parse_citation", "write_citation"]


class Cited(NamedTuple):
    """What the writer needs of one provision."""

    kind: str
    label: str
    #: For an article: how many paragraphs it has (decides whether 款 is written).
    paragraphs: int = 0


def cited_keys(key: str) -> list[str]:
    """The keys whose nodes a citation of ``key`` may name, outermost first (keys are
    hierarchical: ``art.12.2.3`` lies under ``art.12.2`` and ``art.12``). Callers fetch
    these rows; prefixes that are no node (``art``) are simply absent."""
    parts = key.split(".")
    return [".".join(parts[:n]) for n in range(1, len(parts) + 1)]


def write_citation(key: str | None, nodes: Mapping[str, Cited]) -> str:
    """The canonical citation of the clause ``key``; ``nodes`` maps (at least) the keys
    of ``cited_keys(key)`` to their ``Cited`` (extra entries are ignored)."""
    if not key:
        return ""
    parts: list[str] = []
    parent: Cited | None = None
    for prefix in cited_keys(key):
        node = nodes.get(prefix)
        if node is None:
            continue
        omitted = (node.kind == "paragraph" and prefix != key and parent is not None
                   and parent.kind == "article" and parent.paragraphs <= 1)
        if not omitted:
            parts.append(node.label)
        parent = node
    return "".join(parts) or key


def nodes_from_rows(rows: Iterable, paragraphs: Mapping) -> dict[str, Cited]:
    """``Cited`` by key from provision rows (anything with ``id``, ``key``, ``kind``,
    ``label``) of one version and the number of paragraph children by parent id."""
    return {row.key: Cited(row.kind, row.label, paragraphs.get(row.id, 0)) for row in rows}


def document_nodes(doc: ParsedDocument) -> dict[str, Cited]:
    """``Cited`` by key for every node of a parsed document."""
    return {node.key: Cited(node.kind, node.label,
                            sum(1 for child in node.children if child.kind == "paragraph"))
            for node in doc.walk()}
