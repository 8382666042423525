"""Canonical plain text of a provision tree.

``parse_text(render_text(doc))`` gives back the same title, notes and nodes for any
tree the parser can produce.  Not representable, hence not round-tripped: notes
without a title (the first note would become the title), and an article whose first
paragraph is empty but not its only one.
"""

from __future__ import annotations

from .numerals import TIANGAN, int_to_chinese
from .tree import Node, ParsedDocument


def _marker(node: Node) -> str:
    if node.kind == "item":
        return f"（{int_to_chinese(node.number)}）"
    if node.label.startswith("第"):  # numeric sub-item ('第1目')
        # '1.5倍' would read as a number, not as sub-item 1 followed by '5倍'.
        sep = ". " if node.text[:1].isdigit() or node.text[:1] in ".．" else "."
        return f"{node.number}{sep}"
    return f"{TIANGAN[node.number - 1]}、"


def _emit(node: Node, out: list[str]) -> None:
    kind = node.kind
    if kind == "article":
        head = node.label + (f"【{node.heading}】" if node.heading else "")
        first, *rest = node.children
        out.append(f"{head} {first.text}" if first.text else head)
        for child in first.children:
            _emit(child, out)
        for child in rest:
            _emit(child, out)
        return
    if kind in ("paragraph", "item", "subitem"):
        prefix = "" if kind == "paragraph" else _marker(node)
        out.extend((prefix + node.text).split("\n"))
    elif node.heading and node.heading != node.label:
        out.append(f"{node.label} {node.heading}")
    else:
        out.append(node.label)
    for child in node.children:
        _emit(child, out)


def render_text(doc: ParsedDocument) -> str:
    """Title as ``# title``, then notes, then one line per heading, article, paragraph,
    item and sub-item, with a blank line between lines."""
    out: list[str] = []
    if doc.title:
        out.append(f"# {doc.title}")
    out.extend(doc.notes)
    for node in doc.nodes:
        _emit(node, out)
    return "\n\n".join(out) + "\n"
