"""The provision tree produced by the parsers (see text_parser for how it is keyed)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Iterator

#: Node kinds from outer to inner.  ``preamble`` and ``annex`` sit at the top level.
KINDS = ("part", "subpart", "chapter", "section", "article", "paragraph", "item",
         "subitem", "preamble", "annex")
#: Kinds that only group other nodes and carry a heading.
STRUCTURAL_KINDS = ("part", "subpart", "chapter", "section")


@dataclass
class Node:
    kind: str
    key: str
    label: str
    number: int | None
    heading: str = ""
    text: str = ""
    children: list["Node"] = field(default_factory=list)
    # Source line for reports only: the same text parsed from two sources is equal.
    line: int | None = field(default=None, compare=False)
    suffix: int | None = None

    def walk(self) -> Iterator["Node"]:
        """This node and its descendants, pre-order."""
        stack = [self]
        while stack:
            node = stack.pop()
            yield node
            stack.extend(reversed(node.children))


@dataclass
class Issue:
    severity: str  # 'error' | 'warning'
    code: str
    message: str
    line: int | None = None
    key: str | None = None


@dataclass
class ParsedDocument:
    title: str | None = None
    notes: list[str] = field(default_factory=list)
    nodes: list[Node] = field(default_factory=list)
    issues: list[Issue] = field(default_factory=list)
    unplaced: list[str] = field(default_factory=list)
    _index: dict[str, Node] | None = field(default=None, init=False, repr=False,
                                           compare=False)

    def walk(self) -> Iterator[Node]:
        """All nodes, pre-order, in document order."""
        for top in self.nodes:
            yield from top.walk()

    def find(self, key: str) -> Node | None:
        """The node with this key.

        The key index is built on first use and rebuilt when a lookup misses or finds a
        node whose key changed, so adding or re-keying nodes is picked up; a node removed
        from the tree may still be returned until the next rebuild.
        """
        if self._index is not None:
            node = self._index.get(key)
            if node is not None and node.key == key:
                return node
        self._index = {n.key: n for n in self.walk()}
        return self._index.get(key)

    def counts(self) -> dict[str, int]:
        """Number of nodes per kind (the unnumbered 附则 part counts as a part)."""
        return dict(Counter(n.kind for n in self.walk()))

    @property
    def has_errors(self) -> bool:
        return any(i.severity == "error" for i in self.issues)

    @property
    def articles(self) -> list[Node]:
        return [n for n in self.walk() if n.kind == "article"]
