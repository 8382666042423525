"""A row's clause cell resolved against the version's clauses, and clauses cited back
the way a person writes them. The citation grammar (第二条第（一）项) has one writer and
one parser, ``participation.citations``; this module only loads the version's tree once
per batch and caches what thousands of rows repeat."""
from __future__ import annotations

from collections import Counter

from flask_babel import gettext as _
from sqlalchemy import select

from participation import labels, spreadsheets
from participation.citations import nodes_from_rows, parse_citation, write_citation
from participation.extensions import db
from participation.models import Provision
from participation.models.provisions import COMMENTABLE_KINDS
from participation.parsing.tree import Node, ParsedDocument
from participation.text import clean_text


class VersionClauses:
    """The provision tree of one version, loaded once, to resolve what people write in
    the clause column (第十一条第（三）项 → art.11.1.3, against the real tree: an item
    cited without its paragraph is found in the paragraph that holds items) and to cite
    clauses back the way a person writes them."""

    def __init__(self, version_id: int):
        self.version_id = version_id
        self.rows = db.session.execute(
            select(Provision.id, Provision.parent_id, Provision.key, Provision.kind, Provision.label,
                   Provision.number, Provision.suffix, Provision.heading, Provision.text)
            .where(Provision.version_id == version_id).order_by(Provision.position)
        ).all()
        nodes: dict[int, Node] = {}
        roots: list[Node] = []
        for row in self.rows:
            node = Node(kind=row.kind, key=row.key, label=row.label, number=row.number,
                        heading=row.heading or "", suffix=row.suffix)
            nodes[row.id] = node
            parent = nodes.get(row.parent_id)
            (parent.children if parent is not None else roots).append(node)
        self.document = ParsedDocument(nodes=roots)
        self.by_key = {row.key: row for row in self.rows}
        self.position = {row.key: index for index, row in enumerate(self.rows)}
        self._paragraphs = Counter(row.parent_id for row in self.rows if row.kind == "paragraph")
        self._by_id = {row.id: row for row in self.rows}
        self._resolved: dict[str, tuple] = {}
        self._citations: dict[str | None, str] = {}
        self._cited = nodes_from_rows(self.rows, self._paragraphs)

    def resolve(self, text: str):
        """(provision row or None for the whole draft, error message or None)."""
        cached = self._resolved.get(text)
        if cached is None:
            cached = self._resolved[text] = self._resolve(text)
        return cached

    def _resolve(self, text: str):
        cleaned = clean_text(text, multiline=False)
        key = parse_citation(cleaned, self.document)
        if key == "":
            return None, None
        if key is None:
            loose = parse_citation(cleaned, None)
            if not loose:
                return None, _("无法识别条款“%(value)s”。请写成“第十一条”“第11条第2款”“第十一条第（三）项”，"
                               "或留空、填“总体意见”表示对草案整体的意见。", value=cleaned)
            article = ".".join(loose.split(".")[:2]) if loose.startswith("art.") else None
            if article in self.by_key and "项" in cleaned and "款" not in cleaned:
                return None, _("“%(value)s”不明确：该条有几款都列有项，请写明是第几款的第几项，"
                               "例如“第四条第二款第（一）项”。", value=cleaned)
            return None, _("草案中没有“%(value)s”。请对照模板中的“条款列表”填写。", value=cleaned)
        row = self.by_key.get(key)
        if row is None:
            return None, _("草案中没有“%(value)s”。请对照模板中的“条款列表”填写。", value=cleaned)
        if row.kind not in COMMENTABLE_KINDS:
            return None, _("“%(value)s”是%(kind)s标题，请填写具体的条、款、项；对草案整体的意见请填“总体意见”。",
                           value=cleaned, kind=labels.label(labels.PROVISION_KIND, row.kind))
        return row, None

    def citation(self, key: str | None) -> str:
        """The canonical citation (``participation.citations.write_citation``);
        '' (the draft as a whole) gives 总体意见."""
        cached = self._citations.get(key)
        if cached is None:
            cached = self._citations[key] = self._citation(key)
        return cached

    def _citation(self, key: str | None) -> str:
        return write_citation(key, self._cited) if key else _("总体意见")

    def choices(self) -> list[spreadsheets.ClauseChoice]:
        """Every clause an opinion can aim at, in document order, with the citation the
        clause column accepts (checked to resolve back to the same clause)."""
        result = [spreadsheets.ClauseChoice(citation="总体意见", key="", excerpt=_("对草案整体的意见"))]
        for row in self.rows:
            if row.kind not in COMMENTABLE_KINDS:
                continue
            parent = self._by_id.get(row.parent_id)
            if row.kind == "paragraph" and parent is not None and self._paragraphs.get(parent.id, 0) <= 1:
                continue  # the article's only paragraph: choosing the article says the same
            citation = self.citation(row.key)
            if parse_citation(citation, self.document) != row.key:
                citation = row.key
            text = " ".join((row.heading or row.text or "").split())
            result.append(spreadsheets.ClauseChoice(citation=citation, key=row.key,
                                                    excerpt=text if len(text) <= 60 else text[:60] + "…"))
        return result

