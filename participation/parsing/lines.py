"""Classify the lines of a regulation text by their text alone (the parser's first pass).

Markdown ``#`` marks are stripped first and only decide which front line is the title.
Any Unicode whitespace (ASCII space, tab, NBSP, U+2002, U+3000) is accepted inside and
after headings and article numbers.

Line kinds
----------
- heading: ``第N编``, ``第N分编``, ``第N章``, ``第N节`` followed by whitespace and a
  title, or alone, or directly by a short title without punctuation (``第一章总则``).
  An unnumbered ``附则`` line is a heading too.  A numbered heading without a title
  takes the next line as its title when that line looks like one (Word documents
  often put ``第一章`` and ``总则`` on separate lines).
- article: ``第N条`` or ``第N条之M`` followed by whitespace, end of line or ``【`` (a
  bracketed article title, which becomes the article's ``heading``).  ``第三十条规定的…``
  is therefore paragraph text, and citations inside a line are never looked at.
- item: ``（一）`` (full- or half-width brackets, Chinese numerals).
- sub-item: ``1.`` ``1．`` ``1、`` ``（1）`` ``⑴`` ``①`` and ``甲、`` ``乙、`` …; only inside
  an item — elsewhere the line is ordinary paragraph text, kept with its marker.
- ``目录`` and ``序言`` (inner spacing ignored) before the body; ``附件`` ``附件一``
  ``附件1`` ``附：`` ``附件：标题`` after the first article.

Where a line sits (front matter, annex, inside an item) is the parser's business: see
``text_parser``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .numerals import NUMERAL_RE, TIANGAN, chinese_to_int

_N = NUMERAL_RE
_CN = "[零〇一二两三四五六七八九十百千]+"

HEADING_WORDS = {"编": "part", "分编": "subpart", "章": "chapter", "节": "section"}

_HEADING_RE = re.compile(rf"第({_N})(分编|编|章|节)(?:\s+(.*)|$)")
# A title glued to the number: short and without punctuation, so that
# '第三章规定的情形，……' stays text.
_HEADING_GLUED_RE = re.compile(
    rf"第({_N})(分编|编|章|节)([^\s，。；：、！？,.;:!?（）()《》“”\"]{{1,20}})")
_ARTICLE_RE = re.compile(rf"第({_N})条(?:之({_N}))?(?:\s+(.*)|(【.*)|$)")
ARTICLE_START_RE = re.compile(rf"第({_N})条(?:之({_N}))?")
_ITEM_RE = re.compile(rf"[（(]({_CN})[）)]\s*(.*)")
_SUBITEM_RES = (
    re.compile(r"([0-9０-９]{1,3})(?:[.．](?![0-9０-９])|、)\s*(.*)"),
    re.compile(r"[（(]([0-9０-９]{1,3})[）)]\s*(.*)"),
)
_CIRCLED = {chr(0x2474 + i): i + 1 for i in range(20)}        # ⑴ … ⒇
_CIRCLED.update({chr(0x2460 + i): i + 1 for i in range(20)})  # ① … ⑳
_TIANGAN_RE = re.compile(rf"([{TIANGAN}])、\s*(.*)")
_ANNEX_RE = re.compile(rf"附件({_N})?(?:\s*[：:]\s*(.*)|\s+(.*)|$)")
_ANNEX_SHORT_RE = re.compile(r"附\s*[：:]\s*(.*)")
_BRACKET_TITLE_RE = re.compile(r"【([^】]*)】\s*(.*)")
_MARKDOWN_RE = re.compile(r"(#{1,6})(?:\s+|$)")
_SPACE_RE = re.compile(r"\s+")
_INVISIBLE_RE = re.compile("[\u200b\u200c\u200d\ufeff]")
TOC_PAGE_RE = re.compile(r"[.．…·_\-—\s]*\d+$")
_TITLE_END = "。；;：:，,！!？?"
_MAX_NUMBER = 99_999


def squash(s: str) -> str:
    return _SPACE_RE.sub("", s)


def looks_like_title(s: str) -> bool:
    """A short line without sentence punctuation, usable as a heading or annex title."""
    return (0 < len(s) <= 40 and s[-1] not in _TITLE_END and "。" not in s
            and s[0] not in "（(")


@dataclass
class Line:
    """One non-blank source line, classified by its text alone."""
    kind: str               # heading supp article item subitem toc preamble annex plain
    lineno: int
    text: str               # without Markdown marks and outer whitespace
    h1: bool = False        # written as a '# ' Markdown line
    node_kind: str = ""     # part/subpart/chapter/section for headings
    number: int | None = None
    suffix: int | None = None
    heading: str = ""
    rest: str = ""          # text after the marker
    style: str = ""         # sub-item style: 'num' or 'tiangan'


def classify(lineno: int, raw: str) -> Line | None:
    """The classified line, or ``None`` for a blank (or only invisible) line."""
    s = _INVISIBLE_RE.sub("", raw).strip()
    h1 = False
    m = _MARKDOWN_RE.match(s)
    if m:
        h1 = len(m.group(1)) == 1
        s = s[m.end():].strip()
    if not s:
        return None
    try:
        return _mark(Line("plain", lineno, s, h1))
    except ValueError:  # a malformed numeral (第一二十条) makes no marker
        return Line("plain", lineno, s, h1)


def _number(text: str) -> int:
    """A marker's number; ``ValueError`` for malformed or absurdly large numerals."""
    n = chinese_to_int(text)
    if n > _MAX_NUMBER:
        raise ValueError(f"number too large: {text!r}")
    return n


def _mark(line: Line) -> Line:
    """Fill in the kind and marker fields of a plain line."""
    s = line.text
    squashed = squash(s)
    if squashed in ("目录", "序言", "附则"):
        line.kind = {"目录": "toc", "序言": "preamble", "附则": "supp"}[squashed]
        return line
    m = _HEADING_RE.match(s) or _HEADING_GLUED_RE.fullmatch(s)
    if m:
        line.kind, line.node_kind = "heading", HEADING_WORDS[m.group(2)]
        line.number, line.heading = _number(m.group(1)), squash(m.group(3) or "")
        return line
    m = _ARTICLE_RE.match(s)
    if m:
        line.kind, line.number = "article", _number(m.group(1))
        line.suffix = _number(m.group(2)) if m.group(2) else None
        rest = (m.group(3) or m.group(4) or "").strip()
        bracket = _BRACKET_TITLE_RE.match(rest)
        if bracket:
            line.heading, rest = squash(bracket.group(1)), bracket.group(2)
        line.rest = rest
        return line
    m = _ANNEX_RE.fullmatch(s)
    if m:
        line.kind = "annex"
        line.number = _number(m.group(1)) if m.group(1) else None
        line.heading = squash(m.group(2) or m.group(3) or "")
        return line
    m = _ANNEX_SHORT_RE.fullmatch(s)
    if m:
        line.kind, line.heading = "annex", squash(m.group(1))
        return line
    m = _ITEM_RE.match(s)
    if m:
        line.kind, line.number, line.rest = "item", _number(m.group(1)), m.group(2)
        return line
    for regex in _SUBITEM_RES:
        m = regex.match(s)
        if m:
            line.kind, line.style = "subitem", "num"
            line.number, line.rest = int(m.group(1)), m.group(2)
            return line
    if s[0] in _CIRCLED:
        line.kind, line.style = "subitem", "num"
        line.number, line.rest = _CIRCLED[s[0]], s[1:].strip()
        return line
    m = _TIANGAN_RE.match(s)
    if m:
        line.kind, line.style = "subitem", "tiangan"
        line.number, line.rest = TIANGAN.index(m.group(1)) + 1, m.group(2)
        return line
    return line
