"""Turn what people write in a "clause" column into a node key.

Accepted (whitespace anywhere, full- or half-width brackets and digits)::

    第十一条 / 十一条 / 第11条 / art.11            -> art.11
    第十条之一                                      -> art.10-1
    第十一条第二款 / 第11条第2款 / art.11.2         -> art.11.2
    第十一条第二款第（三）项 / 第11条第2款第3项     -> art.11.2.3
    第十一条第（三）项                              -> art.11.1.3 (see below)
    第十一条第二款第（三）项第1目                   -> art.11.2.3.1
    第三章 / 第二编第一章 / 第三章第二节 / 第一编   -> ch.3 / part.2.ch.1 / ch.3.sec.2 / part.1
    序言 / 附件 / 附件二                            -> preamble / annex.1 / annex.2
    序言第二段 / 附件二第一段第（三）项             -> preamble.2 / annex.2.1.3
    附则 (with a document only)                     -> the heading titled 附则
    (blank) 总体 总体意见 全文 整体 整体意见        -> '' (the draft as a whole)

An item cited without its paragraph (第十一条第（三）项) is, by drafting convention, in
the one paragraph of the article that has items.  Without a document that is assumed
to be paragraph 1.  With a document the key is resolved against the tree: the only
paragraph with items, else the only paragraph with an item of that number; a citation
that names nothing in the document (or is ambiguous) gives ``None``, as does anything
that is not a citation.  A sub-item may be written 第1目 or 甲目 (the label of 甲、乙、…
sub-items).  ``participation.citations.write_citation`` writes the canonical form; every
form it writes is read back here.
"""

from __future__ import annotations

import re
import unicodedata

from .numerals import NUMERAL_RE, TIANGAN, chinese_to_int
from .tree import STRUCTURAL_KINDS, Node, ParsedDocument

WHOLE_DRAFT = frozenset({"", "总体", "总体意见", "全文", "整体", "整体意见"})

_N = NUMERAL_RE
_SUBITEM = rf"(?:第?({_N}|[{TIANGAN}])目)?"
_ARTICLE_RE = re.compile(
    rf"第?({_N})条(?:之({_N}))?(?:第({_N})款)?(?:第?\(?({_N})\)?项)?{_SUBITEM}")
# The preamble and annexes: paragraphs are 段, never left out.
_BLOCK_RE = re.compile(rf"(序言|附件({_N})?)(?:第({_N})段)?(?:第?\(?({_N})\)?项)?{_SUBITEM}")
_STRUCTURE_RE = re.compile(
    rf"(?:第({_N})编)?(?:第({_N})分编)?(?:第({_N})章)?(?:第({_N})节)?")
_KEY_RE = re.compile(
    r"art\.\d+(?:-\d+)?(?:\.\d+){0,3}(?:~\d+)?"
    r"|preamble(?:\.\d+){0,3}|annex\.\d+(?:\.\d+){0,3}"
    r"|(?:part\.(?:\d+|supp)(?:\.subpart\.\d+)?)"
    r"|(?:part\.\d+\.)?(?:subpart\.\d+|ch\.(?:\d+|supp)(?:\.sec\.\d+)?|sec\.\d+)")


def _normalise(s: str) -> str:
    # NFKC folds full-width digits, brackets and U+3000; then drop all whitespace.
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", s))


def parse_citation(s: str, doc_or_none: ParsedDocument | None = None) -> str | None:
    """Key of the cited node, ``''`` for the draft as a whole, ``None`` if not a citation
    (or, with a document, if the cited node does not exist)."""
    doc = doc_or_none
    c = _normalise(s or "")
    if c in WHOLE_DRAFT:
        return ""
    if _KEY_RE.fullmatch(c.lower()):
        key = c.lower()
        return key if doc is None or doc.find(key) is not None else None
    try:
        m = _ARTICLE_RE.fullmatch(c)
        if m:
            return _article_key(*(_number(g) for g in m.groups()), doc=doc)
        m = _BLOCK_RE.fullmatch(c)
        if m:
            block = "preamble" if m.group(1) == "序言" else f"annex.{_number(m.group(2)) or 1}"
            paragraph, item, subitem = (_number(g) for g in m.groups()[2:])
            if item is not None and paragraph is None:
                return None  # a preamble or annex item is always cited with its 段
            return _clause_key(block, paragraph, item, subitem, doc=doc)
        m = _STRUCTURE_RE.fullmatch(c)
        if m and any(m.groups()):
            return _structure_key(*(chinese_to_int(g) if g else None for g in m.groups()),
                                  doc=doc)
    except ValueError:  # malformed numeral such as 一二十
        return None
    if c == "附则" and doc is not None:  # the 附则 heading, numbered or not
        matches = [n.key for n in doc.walk()
                   if n.kind in STRUCTURAL_KINDS and n.heading == "附则"]
        return matches[0] if len(matches) == 1 else None
    return None


def _number(group: str | None) -> int | None:
    if not group:
        return None
    if group in TIANGAN:
        return TIANGAN.index(group) + 1
    return chinese_to_int(group)


def _article_key(article: int, suffix: int | None, paragraph: int | None,
                 item: int | None, subitem: int | None, *,
                 doc: ParsedDocument | None) -> str | None:
    if article < 1 or suffix == 0:
        return None
    key = f"art.{article}-{suffix}" if suffix else f"art.{article}"
    return _clause_key(key, paragraph, item, subitem, doc=doc)


def _clause_key(key: str, paragraph: int | None, item: int | None, subitem: int | None, *,
                doc: ParsedDocument | None) -> str | None:
    """The key of the clause below the article, preamble or annex ``key``."""
    if 0 in (paragraph, item, subitem) or (subitem is not None and item is None):
        return None
    if doc is None:
        if item is not None and paragraph is None:
            paragraph = 1
        parts = [key] + [str(n) for n in (paragraph, item, subitem) if n is not None]
        return ".".join(parts)
    node = doc.find(key)
    if node is None:
        return None
    if paragraph is not None:
        node = _child(node, "paragraph", paragraph)
    elif item is not None:
        node = _paragraph_for_item(node, item)
    for kind, number in (("item", item), ("subitem", subitem)):
        if node is not None and number is not None:
            node = _child(node, kind, number)
    return node.key if node is not None else None


def _child(node: Node, kind: str, number: int) -> Node | None:
    if kind == "paragraph":
        paragraphs = [c for c in node.children if c.kind == "paragraph"]
        return paragraphs[number - 1] if number <= len(paragraphs) else None
    return next((c for c in node.children if c.kind == kind and c.number == number), None)


def _paragraph_for_item(article: Node, item: int) -> Node | None:
    with_items = [p for p in article.children if any(c.kind == "item" for c in p.children)]
    if len(with_items) == 1:
        return with_items[0]
    holding = [p for p in with_items if _child(p, "item", item) is not None]
    return holding[0] if len(holding) == 1 else None


def _structure_key(part: int | None, subpart: int | None, chapter: int | None,
                   section: int | None, *, doc: ParsedDocument | None) -> str | None:
    if 0 in (part, subpart, chapter, section):
        return None
    if doc is None:
        if section is not None and chapter is None:
            return None  # 第二节 means nothing without knowing the text
        keys = []
        if part is not None:
            keys.append(f"part.{part}")
        if chapter is not None:
            keys.append(f"ch.{chapter}")
            if section is not None:
                keys.append(f"sec.{section}")
        elif subpart is not None:
            keys.append(f"subpart.{subpart}")
        return ".".join(keys)
    wanted = [(k, n) for k, n in (("part", part), ("subpart", subpart),
                                  ("chapter", chapter), ("section", section))
              if n is not None]
    matches = [path[-1] for path in _heading_paths(doc.nodes, [])
               if _path_matches(path, wanted)]
    return matches[0].key if len(matches) == 1 else None


def _heading_paths(nodes: list[Node], ancestors: list[Node]):
    """Every heading with its heading ancestors, outermost first."""
    for node in nodes:
        if node.kind in STRUCTURAL_KINDS:
            path = ancestors + [node]
            yield path
            yield from _heading_paths(node.children, path)


def _path_matches(path: list[Node], wanted: list[tuple[str, int]]) -> bool:
    """The path ends at the innermost wanted heading and includes all wanted ones."""
    if path[-1].kind != wanted[-1][0]:
        return False
    numbers = {n.kind: n.number for n in path}
    return all(numbers.get(kind) == number for kind, number in wanted)
