"""Parse the text of a Chinese regulation into a provision tree.

Lines are first classified by their text alone (``lines`` documents the line kinds:
heading, article, item, sub-item, table of contents, preamble, annex marker), so the
same text with or without Markdown ``#`` gives the same tree; this module places the
classified lines in the tree and checks their numbering.

Tree and keys
-------------
- Articles are numbered through the whole text: ``art.12``; ``第十条之一`` is ``art.10-1``
  with ``suffix`` 1.  Articles hang under the innermost open heading.
- Paragraphs (款) are the article's lines, keyed by position: ``art.12.2``.  Every
  article has at least one paragraph; an article line without text gets an empty
  first paragraph when items follow it (or when it stays empty: ``empty_article``).
- Items belong to the paragraph they follow: ``art.12.2.3`` (keyed by their number, so
  a citation of 第（三）项 finds the item labelled （三） even if numbering is broken).
  A non-item line after items starts the next paragraph, except that plain lines
  between item （N） and item （N+1） continue item （N） (joined with ``\\n``, warning
  ``item_continuation``): the official text of the national flag law has such a
  second line inside an item.
- Sub-items: ``art.12.2.3.1``; labels ``第1目`` for numeric styles, ``甲目`` for 甲、乙、….
- Headings: ``part.2``, ``part.2.subpart.1``, chapters skip the sub-part because
  chapter numbers run on across 分编 and restart per 编 (``part.2.ch.4``, ``ch.3``
  without parts), sections ``part.2.ch.4.sec.1`` / ``ch.3.sec.2``; a section outside
  any chapter is ``sec.N`` under its part (``part.1.sec.2``), a sub-part outside any
  part ``subpart.N``.
- An unnumbered ``附则`` heading is a part (``part.supp``) in a text that has parts
  (the Civil Code), otherwise a chapter (``ch.supp``, or ``part.N.ch.supp``).
- ``序言`` is the top-level ``preamble`` with paragraphs ``preamble.1`` …
- An annex is top-level: ``annex.1``, ``annex.2`` in order of appearance; its title is
  the text after the marker or, failing that, the next line if it looks like a title.
  Everything up to the next annex marker is annex content (paragraphs ``annex.1.1``
  with items and sub-items); article and heading lines there are ordinary text,
  because an annex is not part of the article numbering.
- A key that would repeat (a repeated article or item number) gets ``~2``, ``~3`` …
- Labels are rebuilt from the numbers: ``第12条`` is labelled ``第十二条``.  Paragraph
  labels are ``第二款`` in articles and ``第二段`` in the preamble and annexes.

Title and notes
---------------
Lines before the first heading, article, ``序言`` or ``目录`` are the front matter: the
first ``# `` line, or else the first line, is the title; the others are notes (题注).
A ``目录`` and the heading lines after it are skipped up to the first line that is not
a heading or that repeats the first entry (where the body starts).

Issue codes (``error`` unless marked ``warning``)
------------------------------------------------
article_gap       article number skips ahead (also: the first article is not 第一条)
article_repeat    article number already used
article_order     article number lower than one before it
item_order        items of a paragraph not numbered （一）（二）… (gap, repeat, restart)
subitem_order     sub-items of an item not numbered 1, 2, … / 甲, 乙, …
empty_article     article without any text
unplaced_text     text that belongs to no article (after a heading, before its first
                  article); kept in ``ParsedDocument.unplaced``
no_articles       no article found at all
heading_order     (warning) 编/分编/章/节 numbers not consecutive within their scope
empty_heading     (warning) 编/分编/章/节 without any article
toc_skipped       (warning) a table of contents was skipped
toc_mismatch      (warning) a table of contents entry matches no heading of the body
item_continuation (warning) a line between two items was joined to the first
subitem_without_item (warning) a numbered sub-item line outside any item, kept as text
article_no_space  (warning) a line starts with the next article's number without the
                  whitespace an article line needs; it was kept as paragraph text
docx_autonumber   (warning, .docx only) Word automatic numbering, whose numbers are
                  not part of the text
"""

from __future__ import annotations

from .lines import (ARTICLE_START_RE, HEADING_WORDS, TOC_PAGE_RE, Line, classify,
                    looks_like_title, squash)
from .numerals import TIANGAN, chinese_to_int, int_to_chinese
from .tree import Issue, Node, ParsedDocument

_LEVEL = {"part": 0, "subpart": 1, "chapter": 2, "section": 3}
_KEY_WORD = {"part": "part", "subpart": "subpart", "chapter": "ch", "section": "sec"}
_LABEL_WORD = {v: k for k, v in HEADING_WORDS.items()}


def _article_label(number: int, suffix: int | None) -> str:
    base = f"第{int_to_chinese(number)}条"
    return f"{base}之{int_to_chinese(suffix)}" if suffix else base


def _brief(text: str, limit: int = 30) -> str:
    return text if len(text) <= limit else text[:limit] + "…"


class _Parser:
    def __init__(self, lines: list[Line]):
        self.lines = lines
        self.doc = ParsedDocument()
        self.used_keys: set[str] = set()
        self.stack: list[Node] = []        # open headings, outermost first
        self.block: Node | None = None     # open article, preamble or annex
        self.paragraph: Node | None = None
        self.item: Node | None = None
        self.subitem: Node | None = None
        self.subitem_style = ""
        self.continuation_end = 0          # plain lines before this index continue an item
        self.in_annex = False
        self.annexes = 0
        self.has_parts = False
        self.last_article: tuple[int, int] | None = None
        self.article_lines: dict[tuple[int, int], int] = {}
        self.last_heading: dict[tuple[str, str], int] = {}
        self.toc_entries: list[tuple[int, str]] = []

    # -- helpers --------------------------------------------------------------------

    def issue(self, severity: str, code: str, message: str, line: int | None,
              key: str | None = None) -> None:
        self.doc.issues.append(Issue(severity, code, message, line, key))

    def unique_key(self, key: str) -> str:
        candidate, n = key, 1
        while candidate in self.used_keys:
            n += 1
            candidate = f"{key}~{n}"
        self.used_keys.add(candidate)
        return candidate

    def effective_kind(self, line: Line) -> str:
        """The line's kind in the current context (annex content is text)."""
        if line.kind in ("toc", "preamble"):
            return "plain"  # only meaningful in the front matter
        if self.in_annex and line.kind in ("heading", "supp", "article"):
            return "plain"
        if line.kind == "annex" and self.last_article is None:
            return "plain"
        return line.kind

    def next_title(self, i: int) -> str | None:
        """Title text on line i+1, if that line is plain and looks like a title."""
        if i + 1 < len(self.lines):
            nxt = self.lines[i + 1]
            if self.effective_kind(nxt) == "plain" and looks_like_title(nxt.text):
                return squash(nxt.text)
        return None

    def expected_articles(self) -> list[tuple[int, int]]:
        if self.last_article is None:
            return [(1, 0)]
        n, s = self.last_article
        return [(n, s + 1), (n + 1, 0)]

    # -- front matter -----------------------------------------------------------------

    def parse(self) -> ParsedDocument:
        i = self.front_matter()
        while i < len(self.lines):
            i = self.body_line(i) + 1
        self.finish()
        return self.doc

    def front_matter(self) -> int:
        """Title, notes and a table of contents; returns the index of the body start."""
        front: list[Line] = []
        i = 0
        while i < len(self.lines):
            line = self.lines[i]
            if line.kind in ("heading", "supp", "article", "preamble"):
                break
            if line.kind == "toc":
                i = self.skip_toc(i)
                break
            front.append(line)
            i += 1
        title = next((ln for ln in front if ln.h1), None)
        if title is None and front and front[0].kind not in ("item", "subitem"):
            title = front[0]
        for line in front:
            if line is title:
                self.doc.title = line.text
            elif line.kind == "item":
                self.place_nowhere(line)
            else:
                self.check_no_space(line)
                self.doc.notes.append(line.text)
        if i < len(self.lines) and self.lines[i].kind == "preamble":
            self.open_block(self.lines[i], "preamble", "preamble", "序言", None)
            i += 1
        return i

    def skip_toc(self, i: int) -> int:
        start = self.lines[i].lineno
        j = i + 1
        while j < len(self.lines):
            line = self.lines[j]
            if line.kind not in ("heading", "supp", "preamble"):
                break
            entry = TOC_PAGE_RE.sub("", squash(line.text))
            if self.toc_entries and entry == self.toc_entries[0][1]:
                break
            self.toc_entries.append((line.lineno, entry))
            j += 1
        end = self.lines[j - 1].lineno
        self.issue("warning", "toc_skipped",
                   f"已跳过目录（第{start}行至第{end}行，共{len(self.toc_entries)}个条目）",
                   start)
        return j

    # -- body -------------------------------------------------------------------------

    def body_line(self, i: int) -> int:
        """Handle line i; returns the index of the last line consumed."""
        line = self.lines[i]
        kind = self.effective_kind(line)
        if kind in ("heading", "supp"):
            return self.open_heading(i)
        if kind == "article":
            self.open_article(line)
        elif kind == "annex":
            return self.open_annex(i)
        elif kind == "item":
            self.add_item(line)
        elif kind == "subitem" and self.item is not None:
            self.add_subitem(line)
        else:
            self.add_plain(i)
        return i

    def close_block(self) -> None:
        block = self.block
        if block is not None and block.kind == "article" and not block.children:
            block.children.append(self.new_paragraph(block, "", block.line))
            self.issue("error", "empty_article", f"{block.label}没有内容", block.line,
                       block.key)
        self.block = self.paragraph = self.item = self.subitem = None

    def open_heading(self, i: int) -> int:
        line = self.lines[i]
        self.close_block()
        if line.kind == "supp":
            kind = "part" if self.has_parts else "chapter"
            number, label, heading = None, "附则", "附则"
        else:
            kind, number = line.node_kind, line.number
            label = f"第{int_to_chinese(number)}{_LABEL_WORD[kind]}"
            heading = line.heading
        level = _LEVEL[kind]
        while self.stack and _LEVEL[self.stack[-1].kind] >= level:
            self.stack.pop()
        consumed = i
        if not heading and number is not None:
            title = self.next_title(i)
            if title is not None:
                heading, consumed = title, i + 1
        node = Node(kind, self.heading_key(kind, number), label, number, heading,
                    line=line.lineno)
        if number is not None:
            self.check_heading_number(node)
        self.attach(node)
        self.stack.append(node)
        self.has_parts = self.has_parts or kind == "part"
        return consumed

    def heading_key(self, kind: str, number: int | None) -> str:
        scope = {"part": (), "subpart": ("part",), "chapter": ("part",),
                 "section": ("chapter", "part")}[kind]
        prefix = next((n.key for n in reversed(self.stack) if n.kind in scope), None)
        own = f"{_KEY_WORD[kind]}.{number if number is not None else 'supp'}"
        return self.unique_key(f"{prefix}.{own}" if prefix else own)

    def check_heading_number(self, node: Node) -> None:
        scope_kind = {"part": None, "subpart": "part", "chapter": "part",
                      "section": "chapter"}[node.kind]
        scope = next((n.key for n in reversed(self.stack) if n.kind == scope_kind), "")
        last = self.last_heading.get((node.kind, scope), 0)
        if node.number != last + 1:
            word = _LABEL_WORD[node.kind]
            before = f"第{int_to_chinese(last)}{word}之后" if last else "首个"
            self.issue("warning", "heading_order",
                       f"{before}应为第{int_to_chinese(last + 1)}{word}，实际为{node.label}",
                       node.line, node.key)
        self.last_heading[(node.kind, scope)] = max(last, node.number)

    def attach(self, node: Node) -> None:
        (self.stack[-1].children if self.stack else self.doc.nodes).append(node)

    def open_block(self, line: Line, kind: str, key: str, label: str,
                   number: int | None, heading: str = "", suffix: int | None = None) -> Node:
        self.close_block()
        node = Node(kind, self.unique_key(key), label, number, heading, line=line.lineno,
                    suffix=suffix)
        if kind == "article":
            self.attach(node)
        else:  # preamble and annexes stand outside the heading hierarchy
            self.stack.clear()
            self.doc.nodes.append(node)
        self.block = node
        return node

    def open_article(self, line: Line) -> None:
        number, suffix = line.number, line.suffix
        key = f"art.{number}-{suffix}" if suffix else f"art.{number}"
        article = self.open_block(line, "article", key, _article_label(number, suffix),
                                  number, line.heading, suffix)
        self.check_article_number(article)
        if line.rest:
            self.paragraph = self.new_paragraph(article, line.rest, line.lineno)
            article.children.append(self.paragraph)

    def check_article_number(self, article: Node) -> None:
        current = (article.number, article.suffix or 0)
        seen = self.article_lines.get(current)
        expected = self.expected_articles()
        if seen is not None:
            self.issue("error", "article_repeat",
                       f"{article.label}重复出现（前次在第{seen}行）", article.line, article.key)
        elif current not in expected:
            want = expected[0] if current[0] == expected[0][0] else expected[-1]
            message = f"应为{_article_label(want[0], want[1])}，实际为{article.label}"
            if self.last_article is not None:
                message = f"{_article_label(*self.last_article)}之后" + message
            else:
                message = "首条" + message
            if current < (self.last_article or (0, 0)):
                self.issue("error", "article_order", message, article.line, article.key)
            else:
                if current[1] == 0 and current[0] > want[0] + 1:
                    message += (f"（缺少{_article_label(want[0], None)}至"
                                f"{_article_label(current[0] - 1, None)}）")
                elif current[1] == 0 and current[0] == want[0] + 1:
                    message += f"（缺少{_article_label(want[0], None)}）"
                self.issue("error", "article_gap", message, article.line, article.key)
        self.article_lines.setdefault(current, article.line)
        self.last_article = max(current, self.last_article or current)

    def open_annex(self, i: int) -> int:
        line = self.lines[i]
        self.annexes += 1
        label = f"附件{int_to_chinese(line.number)}" if line.number else "附件"
        heading, consumed = line.heading, i
        if not heading:
            title = self.next_title(i)
            if title is not None:
                heading, consumed = title, i + 1
        self.open_block(line, "annex", f"annex.{self.annexes}", label, line.number, heading)
        self.in_annex = True
        return consumed

    def new_paragraph(self, block: Node, text: str, lineno: int | None) -> Node:
        index = len(block.children) + 1
        word = "款" if block.kind == "article" else "段"
        return Node("paragraph", self.unique_key(f"{block.key}.{index}"),
                    f"第{int_to_chinese(index)}{word}", None, "", text, line=lineno)

    def add_item(self, line: Line) -> None:
        if self.block is None:
            self.place_nowhere(line)
            return
        if self.paragraph is None:  # items straight after a bare article line
            self.paragraph = self.new_paragraph(self.block, "", line.lineno)
            self.block.children.append(self.paragraph)
        para = self.paragraph
        label = f"第（{int_to_chinese(line.number)}）项"
        item = Node("item", self.unique_key(f"{para.key}.{line.number}"), label,
                    line.number, "", line.rest, line=line.lineno)
        self.check_sequence(para.children, item, "item_order", para.label)
        para.children.append(item)
        self.item, self.subitem = item, None

    def add_subitem(self, line: Line) -> None:
        item = self.item
        if line.style == "tiangan":
            label = f"{TIANGAN[line.number - 1]}目"
        else:
            label = f"第{line.number}目"
        sub = Node("subitem", self.unique_key(f"{item.key}.{line.number}"), label,
                   line.number, "", line.rest, line=line.lineno)
        self.check_sequence(item.children, sub, "subitem_order", item.label)
        item.children.append(sub)
        self.subitem, self.subitem_style = sub, line.style

    def check_sequence(self, siblings: list[Node], node: Node, code: str,
                       parent_label: str) -> None:
        last = max((s.number for s in siblings), default=0)
        if node.number == last + 1:
            return
        where = f"{self.block.label}{parent_label}" if self.block else parent_label
        if node.number == 1:
            message = f"{where}的{node.label}重新从头编号"
        elif node.number <= last:
            message = f"{where}中{node.label}的顺序有误（前面已有编号更大的{node.label[-1]}）"
        else:
            if node.kind == "item":
                want = f"第（{int_to_chinese(last + 1)}）项"
            elif node.label.startswith("第") or last >= len(TIANGAN):
                want = f"第{last + 1}目"
            else:
                want = f"{TIANGAN[last]}目"
            message = f"{where}中{node.label}的编号不连续（应为{want}）"
        self.issue("error", code, message, node.line, node.key)

    def continues_items(self, i: int) -> bool:
        """Whether the plain lines from i on are followed by the next item or sub-item."""
        if i < self.continuation_end:
            return True
        j = i
        while j < len(self.lines) and self.effective_kind(self.lines[j]) == "plain":
            j += 1
        if j == len(self.lines):
            return False
        nxt = self.lines[j]
        kind = self.effective_kind(nxt)
        if kind == "item":
            continues = nxt.number == self.item.number + 1
        else:
            continues = (kind == "subitem" and self.subitem is not None
                         and nxt.style == self.subitem_style
                         and nxt.number == self.subitem.number + 1)
        if continues:  # the rest of the run continues too: don't scan it again
            self.continuation_end = j
        return continues

    def add_plain(self, i: int) -> None:
        line = self.lines[i]
        if self.block is None:
            self.place_nowhere(line)
            return
        if line.kind == "subitem" and line.style == "num":
            self.issue("warning", "subitem_without_item",
                       f"第{line.lineno}行“{_brief(line.text)}”像是目，但前面没有项，已作为普通段落",
                       line.lineno, self.block.key)
        if self.item is not None and self.continues_items(i):
            target = self.subitem or self.item
            target.text = f"{target.text}\n{line.text}"
            self.issue("warning", "item_continuation",
                       f"第{line.lineno}行“{_brief(line.text)}”位于两项之间，已并入"
                       f"{self.block.label}{target.label}", line.lineno, target.key)
            return
        if self.block.kind == "article":
            self.check_no_space(line)
        self.paragraph = self.new_paragraph(self.block, line.text, line.lineno)
        self.block.children.append(self.paragraph)
        self.item = self.subitem = None

    def check_no_space(self, line: Line) -> None:
        m = ARTICLE_START_RE.match(line.text)
        if not m:
            return
        try:
            number = (chinese_to_int(m.group(1)),
                      chinese_to_int(m.group(2)) if m.group(2) else 0)
        except ValueError:
            return
        if number in self.expected_articles():
            self.issue("warning", "article_no_space",
                       f"第{line.lineno}行以“{m.group(0)}”开头但编号后没有空格，未作为新的一条；"
                       "如果是新的一条，请在编号后加空格", line.lineno)

    def place_nowhere(self, line: Line) -> None:
        self.doc.unplaced.append(line.text)
        self.issue("error", "unplaced_text",
                   f"第{line.lineno}行的文字“{_brief(line.text)}”不属于任何条文", line.lineno)

    # -- end --------------------------------------------------------------------------

    def finish(self) -> None:
        self.close_block()
        for node in self.doc.walk():
            if node.kind in _LEVEL and not any(c.kind in _LEVEL or c.kind == "article"
                                               for c in node.children):
                self.issue("warning", "empty_heading", f"{node.label}下没有条文",
                           node.line, node.key)
        if self.last_article is None:
            self.issue("error", "no_articles", "未识别到任何条文（条文应以“第一条”加空格开头）",
                       None)
        if self.toc_entries:
            headings = {squash(n.label + n.heading) for n in self.doc.walk()
                        if n.kind in _LEVEL or n.kind == "preamble"}
            headings |= {n.heading for n in self.doc.walk() if n.kind in _LEVEL}
            for lineno, entry in self.toc_entries:
                if entry not in headings:
                    self.issue("warning", "toc_mismatch",
                               f"目录条目“{entry}”在正文中没有对应的标题", lineno)
        self.doc.issues.sort(key=lambda issue: issue.line or 0)


def parse_lines(lines: list[str], extra_issues: list[Issue] | None = None) -> ParsedDocument:
    """Parse already split lines (line numbers are 1-based positions in ``lines``)."""
    classified = [c for n, raw in enumerate(lines, 1) if (c := classify(n, raw))]
    doc = _Parser(classified).parse()
    if extra_issues:
        doc.issues = sorted(doc.issues + extra_issues, key=lambda issue: issue.line or 0)
    return doc


def parse_text(text: str) -> ParsedDocument:
    """Parse plain text or Markdown."""
    return parse_lines(text.splitlines())


parse_markdown = parse_text
