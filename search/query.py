"""User text → a parsed query (and filters) that the search backend runs.

The query language is small and never passed to the search engine's own parser, so no
input can reach an operator, a field name or a wildcard:

* words separated by spaces must all match (AND);
* ``"…"`` (or “…”, 「…」, 『…』) is an exact phrase: those characters in that order,
  ignoring spaces and punctuation; an unclosed quote runs to the end;
* ``-word`` or ``-"…"`` excludes;
* ``OR`` (or ``|``) between two words accepts either.

An unquoted word matches a jieba word (停车位 → 停车位/停车/车位) or, failing that, the
same characters in a row anywhere (the bigram field). Everything else (``*``, ``?``,
``field:value``, brackets) is just text. Input is cut to ``MAX_INPUT_CHARS`` and
``MAX_TERMS`` terms of ``MAX_TERM_CHARS`` characters, with a notice.

``Filters`` says which documents a search may return, in index terms. Both are plain
data: ``search.backend`` runs them (``search(searcher, parsed, filters, …)``) and
returns document ids, totals and facet counts.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from search.analysis import fold, gram_char, query_words

MAX_INPUT_CHARS = 500
MAX_TERMS = 10
MAX_TERM_CHARS = 40
#: Deepest result a page may reach (page × per_page).
MAX_RESULT_WINDOW = 1000

_QUOTES = {'"': '"', "“": "”", "”": "”", "「": "」", "『": "』", "＂": "＂"}
_OR_WORDS = frozenset({"OR", "|", "｜"})
_AND_WORDS = frozenset({"AND", "&", "&&"})
_NOT_WORDS = frozenset({"NOT"})


@dataclass(frozen=True)
class QueryTerm:
    text: str
    phrase: bool = False
    negated: bool = False


@dataclass
class ParsedQuery:
    #: AND of groups; each group is an OR of terms.
    groups: list[list[QueryTerm]] = field(default_factory=list)
    excluded: list[QueryTerm] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)

    @property
    def is_empty(self) -> bool:
        return not self.groups

    @property
    def only_exclusions(self) -> bool:
        return not self.groups and bool(self.excluded)

    def highlight_needles(self) -> list[str]:
        """Strings to mark in result texts: each positive term, and the words of
        unquoted ones."""
        needles: list[str] = []
        for group in self.groups:
            for term in group:
                needles.append(term.text)
                if not term.phrase:
                    needles.extend(word for word in query_words(term.text) if len(word) > 1)
        seen = set()
        unique = []
        for needle in needles:
            key = fold(needle)
            if key not in seen:
                seen.add(key)
                unique.append(needle)
        return unique


def _searchable(text: str) -> str:
    """Characters of ``text`` that can match (letters, digits, ideographs, symbols)."""
    return "".join(char for char in text if gram_char(fold(char)))


def parse_query(text: str | None) -> ParsedQuery:
    from flask_babel import gettext as _

    parsed = ParsedQuery()
    text = text or ""
    if len(text) > MAX_INPUT_CHARS:
        text = text[:MAX_INPUT_CHARS]
        parsed.notices.append(_("搜索内容过长，只使用了前 %(n)d 个字符。", n=MAX_INPUT_CHARS))
    raw_terms: list[tuple[str, bool, bool]] = []  # (text, phrase, negated)
    i, n = 0, len(text)
    while i < n:
        char = text[i]
        if char.isspace():
            i += 1
            continue
        negated = False
        if char in "-－" and i + 1 < n and not text[i + 1].isspace():
            negated = True
            i += 1
            char = text[i]
        if char in _QUOTES:
            closing = _QUOTES[char]
            end = text.find(closing, i + 1)
            if end < 0:
                end = n
            raw_terms.append((text[i + 1:end], True, negated))
            i = end + 1
            continue
        start = i
        while i < n and not text[i].isspace() and text[i] not in _QUOTES:
            i += 1
        raw_terms.append((text[start:i], False, negated))

    pending_or = False
    pending_not = False
    truncated = False
    count = 0
    for raw, phrase, negated in raw_terms:
        if not phrase and not negated and raw in _OR_WORDS:
            pending_or = bool(parsed.groups)
            continue
        if not phrase and not negated and raw in _AND_WORDS:
            continue  # the default
        if not phrase and not negated and raw in _NOT_WORDS:
            pending_not = True
            continue
        if pending_not:
            negated, pending_not = True, False
        searchable = _searchable(raw)
        if not searchable:
            pending_or = False
            continue
        if count >= MAX_TERMS:
            parsed.notices.append(_("搜索词太多，只使用了前 %(n)d 个。", n=MAX_TERMS))
            break
        if len(searchable) > MAX_TERM_CHARS:
            raw = _cut_searchable(raw, MAX_TERM_CHARS)
            truncated = True
        term = QueryTerm(raw.strip(), phrase, negated)
        count += 1
        if negated:
            parsed.excluded.append(term)
        elif pending_or:
            parsed.groups[-1].append(term)
        else:
            parsed.groups.append([term])
        pending_or = False
    if truncated:
        parsed.notices.append(_("单个搜索词最多 %(n)d 个字，过长的部分已略去。", n=MAX_TERM_CHARS))
    return parsed


def _cut_searchable(text: str, limit: int) -> str:
    kept = 0
    for index, char in enumerate(text):
        if gram_char(fold(char)):
            kept += 1
            if kept > limit:
                return text[:index]
    return text


@dataclass
class Filters:
    """Restrictions on the documents a search may return, in index terms."""

    kinds: tuple[str, ...] = ()
    drafts: tuple[int, ...] = ()
    #: Legislative-plan calls (their proposals).
    calls: tuple[int, ...] = ()
    clause: str | None = None
    stances: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    liaison_points: tuple[int, ...] = ()
    states: tuple[str, ...] = ()
    created_from: datetime | None = None
    created_to: datetime | None = None  # exclusive
    #: Visibility (public searches): documents of these drafts are never shown.
    hidden_provision_drafts: tuple[int, ...] = ()
    hidden_opinion_drafts: tuple[int, ...] = ()
    #: Visibility (public searches): proposals of these calls are never shown.
    hidden_proposal_calls: tuple[int, ...] = ()
    #: Opinion and proposal moderation states that are never shown (public: pending, hidden).
    hidden_states: tuple[str, ...] = ()

    def is_restrictive(self) -> bool:
        """Whether the filters alone pick documents (dates alone do not: they are
        checked on matches, not looked up)."""
        return bool(self.kinds or self.drafts or self.calls or self.clause or self.stances or self.categories
                    or self.liaison_points or self.states)
