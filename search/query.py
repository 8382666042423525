"""User text → Whoosh query → document ids, totals, facet counts and highlight terms.

The query language is small and never passed to Whoosh's parser, so no input can
reach an operator, a field name or a wildcard:

* words separated by spaces must all match (AND);
* ``"…"`` (or “…”, 「…」, 『…』) is an exact phrase: those characters in that order,
  ignoring spaces and punctuation; an unclosed quote runs to the end;
* ``-word`` or ``-"…"`` excludes;
* ``OR`` (or ``|``) between two words accepts either.

An unquoted word matches a jieba word (停车位 → 停车位/停车/车位) or, failing that, the
same characters in a row anywhere (the bigram field). Everything else (``*``, ``?``,
``field:value``, brackets) is just text. Input is cut to ``MAX_INPUT_CHARS`` and
``MAX_TERMS`` terms of ``MAX_TERM_CHARS`` characters, with a notice.

Results come from ``search()``: every matching document is visited once (for the exact
total and the facet counts) and the requested page is picked by score or by time.
Facet values are counted from per-segment columns cached in memory.
"""
from __future__ import annotations

import heapq
import math
import threading
import time
from array import array
from collections import Counter, OrderedDict
from dataclasses import dataclass, field
from datetime import datetime, timezone

from whoosh.query import And, Or, Phrase, Prefix, Term
from whoosh.searching import Searcher

from search.analysis import MAX_WORD_LENGTH, fold, gram_char, query_grams, query_words
from search.engine import IndexStore, IndexUnavailable, OpenIndex

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


# --- Whoosh queries --------------------------------------------------------------------

def _term_query(term: QueryTerm):
    grams = query_grams(term.text)
    if not grams:
        return None
    if len(grams) == 1 and len(grams[0]) == 1:
        # One character: the bigram (or last character) that starts with it.
        gram_query = Prefix("grams", grams[0])
    elif len(grams) == 1:
        gram_query = Term("grams", grams[0])
    else:
        gram_query = Phrase("grams", grams)
    if term.phrase:
        return gram_query
    words = [word[:MAX_WORD_LENGTH] for word in query_words(term.text)]
    if not words:
        return gram_query
    word_query = Term("words", words[0], boost=2.0) if len(words) == 1 else Phrase("words", words, boost=2.0)
    return Or([word_query, gram_query])


def text_query(parsed: ParsedQuery):
    """The Whoosh query for the positive terms (None when there are none)."""
    clauses = []
    for group in parsed.groups:
        alternatives = [q for q in (_term_query(term) for term in group) if q is not None]
        if alternatives:
            clauses.append(alternatives[0] if len(alternatives) == 1 else Or(alternatives))
    if not clauses:
        return None
    return clauses[0] if len(clauses) == 1 else And(clauses)


def exclusion_query(parsed: ParsedQuery):
    alternatives = [q for q in (_term_query(term) for term in parsed.excluded) if q is not None]
    if not alternatives:
        return None
    return alternatives[0] if len(alternatives) == 1 else Or(alternatives)


@dataclass
class Filters:
    """Restrictions on the documents a search may return, in index terms."""

    kinds: tuple[str, ...] = ()
    drafts: tuple[int, ...] = ()
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
    #: Opinion moderation states that are never shown (public: pending, hidden).
    hidden_states: tuple[str, ...] = ()

    def is_restrictive(self) -> bool:
        """Whether the filters alone pick documents (dates alone do not: they are
        checked on matches, not looked up)."""
        return bool(self.kinds or self.drafts or self.clause or self.stances or self.categories
                    or self.liaison_points or self.states)


def _any_of(field_name: str, values) -> object | None:
    values = [str(value) for value in values]
    if not values:
        return None
    if len(values) == 1:
        return Term(field_name, values[0])
    return Or([Term(field_name, value) for value in values])


def _epoch(value: datetime) -> int:
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    return int(value.timestamp())


def filter_query(filters: Filters):
    parts = [
        _any_of("kind", filters.kinds),
        _any_of("draft", filters.drafts),
        Term("clause", filters.clause) if filters.clause else None,
        _any_of("stance", filters.stances),
        _any_of("category", filters.categories),
        _any_of("liaison", filters.liaison_points),
        _any_of("state", filters.states),
    ]
    # Dates are not terms: they are checked on the "created" column while collecting.
    parts = [part for part in parts if part is not None]
    if not parts:
        return None
    return parts[0] if len(parts) == 1 else And(parts)


def mask_query(filters: Filters, exclusions=None):
    """Documents never to return: invisible ones and excluded words."""
    parts = []
    if filters.hidden_states:
        parts.append(And([Term("kind", "opinion"), _any_of("state", filters.hidden_states)]))
    if filters.hidden_opinion_drafts:
        parts.append(And([Term("kind", "opinion"), _any_of("draft", filters.hidden_opinion_drafts)]))
    if filters.hidden_provision_drafts:
        parts.append(And([Term("kind", "provision"), _any_of("draft", filters.hidden_provision_drafts)]))
    if exclusions is not None:
        parts.append(exclusions)
    if not parts:
        return None
    return parts[0] if len(parts) == 1 else Or(parts)


# --- searchers, one per thread ------------------------------------------------------------

class _Local(threading.local):
    def __init__(self):
        self.open: OrderedDict[str, tuple[OpenIndex, Searcher]] = OrderedDict()


_local = _Local()
_MAX_OPEN_PER_THREAD = 4


def _close(searcher) -> None:
    try:
        searcher.close()
    except Exception:
        pass


def current_searcher(store: IndexStore) -> tuple[OpenIndex, Searcher]:
    """A searcher on the live generation, reused by this thread while it is current
    and refreshed when the indexer has committed since. IndexUnavailable when there
    is no usable index."""
    key = str(store.base)
    cached = _local.open.get(key)
    name = store.current_name()
    if cached is not None:
        opened, searcher = cached
        if name == opened.name:
            try:
                if searcher.up_to_date():
                    _local.open.move_to_end(key)
                    return opened, searcher
            except Exception:
                pass  # damaged since: reopen below, which reports it
        # Never Searcher.refresh(): whoosh-reloaded 2.7.5 reuses the readers of
        # unchanged segments with their cached set of deleted documents, so a replaced
        # or deleted document would go on matching. A new searcher reads deletions
        # afresh (the facet columns stay cached by segment).
        _close(searcher)
        del _local.open[key]
    opened = store.open()
    try:
        searcher = opened.index.searcher()
    except Exception as exc:
        raise IndexUnavailable("corrupt", f"{type(exc).__name__}: {exc}") from exc
    _local.open[key] = (opened, searcher)
    while len(_local.open) > _MAX_OPEN_PER_THREAD:
        _old_key, (_old, old_searcher) = _local.open.popitem(last=False)
        _close(old_searcher)
    return opened, searcher


def forget_searchers() -> None:
    """Close this thread's cached searchers (tests; after deleting an index)."""
    while _local.open:
        _key, (_opened, searcher) = _local.open.popitem()
        _close(searcher)


# --- column cache for facets and sorting ----------------------------------------------------

class _Column:
    """A segment's values of one sortable field as small integer codes."""

    __slots__ = ("codes", "values")

    def __init__(self, codes, values):
        self.codes = codes
        self.values = values


_columns: OrderedDict[tuple, object] = OrderedDict()
_columns_lock = threading.Lock()
_MAX_COLUMNS = 256


_scope = threading.local()


def _segment_key(reader, name: str) -> tuple | None:
    """Identifies a segment's data: the index folder (set by ``search``), the segment's
    id and its size. Segment ids are random names, so the folder is needed; the size
    guards against an id drawn twice."""
    segment = getattr(reader, "segment", None)
    segment = segment() if callable(segment) else None
    folder = getattr(_scope, "folder", None)
    if segment is None or folder is None:
        return None
    return folder, segment.segment_id(), reader.doc_count_all(), name


def _load_codes(reader, field_name: str) -> _Column:
    values: list[str] = []
    index_of: dict[str, int] = {}
    codes = array("I")
    if reader.has_column(field_name):
        column = reader.column_reader(field_name)
        for value in column:
            code = index_of.get(value)
            if code is None:
                code = index_of[value] = len(values)
                values.append(value)
            codes.append(code)
    else:
        codes = array("I", bytes(4 * reader.doc_count_all()))
        values = [""]
    return _Column(codes, values)


def _load_numbers(reader, field_name: str):
    if reader.has_column(field_name):
        return array("q", reader.column_reader(field_name))
    return array("q", bytes(8 * reader.doc_count_all()))


_MISSING = object()


def _fits(value, reader) -> bool:
    size = reader.doc_count_all()
    if isinstance(value, _Column):
        return len(value.codes) == size
    if value is None:
        return True
    return len(value) == size


def _cached(reader, field_name: str, loader):
    """``loader(reader, field_name)``, kept per segment (segments never change, only
    their deletions, which are handled apart)."""
    key = _segment_key(reader, f"{loader.__name__}:{field_name}")
    if key is None:
        return loader(reader, field_name)
    with _columns_lock:
        value = _columns.get(key, _MISSING)
        if value is not _MISSING and _fits(value, reader):
            _columns.move_to_end(key)
            return value
    value = loader(reader, field_name)
    with _columns_lock:
        _columns[key] = value
        while len(_columns) > _MAX_COLUMNS:
            _columns.popitem(last=False)
    return value


# --- running a search -----------------------------------------------------------------------
#
# Whoosh's matchers visit documents one at a time in Python (and-ing, or-ing and scoring
# each), which costs several microseconds per matching document. To answer with an exact
# total and exact facet counts, every match must be visited; so matches are gathered per
# segment as sets instead, with C-speed set algebra:
#
# * each term's postings are read a block at a time (document numbers and term
#   frequencies), a phrase through Whoosh's phrase matcher;
# * AND / OR / NOT of terms are intersections, unions and differences;
# * filters with a facet column (type, draft, stance, category, liaison point, state)
#   and dates are checked against per-segment columns cached in memory; a clause filter
#   is one more posting list;
# * scores are BM25 (k1 1.2, b 0.75) on both text fields, the jieba word field counting
#   double, as the Whoosh query ``text_query`` would rank them.

K1 = 1.2
B = 0.75
WORD_BOOST = 2.0


@dataclass
class RawHit:
    doc_id: str
    score: float


@dataclass
class RawResults:
    total: int
    hits: list[RawHit]
    facets: dict[str, dict[str, int]]
    #: The time budget ran out: ``total`` and the facets count only what was seen.
    truncated: bool = False


class _Budget:
    def __init__(self, seconds: float | None):
        self.deadline = time.perf_counter() + seconds if seconds else None
        self.exceeded = False

    def check(self) -> bool:
        if self.deadline is not None and not self.exceeded and time.perf_counter() > self.deadline:
            self.exceeded = True
        return self.exceeded


def _deleted(reader) -> frozenset:
    if not reader.has_deletions():
        return frozenset()
    return frozenset(reader.deleted_docs_set) if hasattr(reader, "deleted_docs_set") else frozenset(
        d for d in range(reader.doc_count_all()) if reader.is_deleted(d))


def _postings(reader, field_name: str, text: str, deleted, budget: _Budget) -> dict[int, float]:
    """{docnum: term frequency} of one term in one segment, read a block at a time."""
    from whoosh.codec.whoosh3 import W3LeafMatcher
    from whoosh.matching.wrappers import FilterMatcher

    try:
        matcher = reader.postings(field_name, text)
    except Exception:  # TermNotFound
        return {}
    if isinstance(matcher, FilterMatcher):
        matcher = matcher.child  # deletions are removed below
    found: dict[int, float] = {}
    if isinstance(matcher, W3LeafMatcher):
        while matcher.is_active():
            if matcher._ids is None:
                matcher._read_ids()
            if matcher._weights is None:
                matcher._read_weights()
            found.update(zip(matcher._ids, matcher._weights))
            matcher._next_block()
            if budget.check():
                break
    else:
        while matcher.is_active():
            found[matcher.id()] = matcher.weight()
            matcher.next()
    for docnum in deleted.intersection(found) if deleted else ():
        del found[docnum]
    return found


def _query_docs(leaf, query) -> dict[int, float]:
    """{docnum: 1.0} for a phrase (presence: Whoosh's matcher checks the positions)."""
    return dict.fromkeys(query.matcher(leaf, leaf.context()).all_ids(), 1.0)


class _Scorer:
    """BM25 of a field, with the collection statistics of the whole searcher."""

    def __init__(self, searcher, field_name: str):
        self.searcher = searcher
        self.field_name = field_name
        count = max(searcher.doc_count_all(), 1)
        self.count = count
        self.average = (searcher.field_length(field_name) / count) or 1.0

    def idf(self, df: int) -> float:
        return math.log(1.0 + (self.count - df + 0.5) / (df + 0.5))

    def add(self, scores: dict[int, float], frequencies: dict[int, float], idf: float, boost: float,
            lengths) -> None:
        k1, b, average = K1, B, self.average
        if lengths is None:
            for docnum, tf in frequencies.items():
                scores[docnum] = scores.get(docnum, 0.0) + boost * idf * tf * (k1 + 1) / (tf + k1)
        else:
            for docnum, tf in frequencies.items():
                norm = k1 * (1 - b + b * lengths[docnum] / average)
                scores[docnum] = scores.get(docnum, 0.0) + boost * idf * tf * (k1 + 1) / (tf + norm)


def _load_lengths(reader, field_name: str):
    """The field length of every document of a segment (Whoosh stores one byte each)."""
    try:
        from whoosh.codec.whoosh3 import LENGTHS_COLUMN, _lenfield
        from whoosh.util.numlists import byte_to_length  # noqa: F401  (sanity: the codec's encoding)

        perdoc = reader._perdoc
        column = perdoc.column_reader(_lenfield(field_name), LENGTHS_COLUMN)
        table = [byte_to_length(code) for code in range(256)]
        return array("I", (table[code] for code in column))
    except Exception:
        return None


def _term_scores(searcher, leaf, reader, deleted, term: QueryTerm, scorers, budget: _Budget) -> dict[int, float]:
    """{docnum: score} of the documents of one segment matching one term."""
    scores: dict[int, float] = {}
    grams = query_grams(term.text)
    if not grams:
        return scores
    gram_scorer, word_scorer = scorers
    gram_lengths = _cached(reader, "grams", _lengths_loader)
    if len(grams) == 1 and len(grams[0]) == 1:
        # One character: every bigram starting with it (and the text's last character).
        found: dict[int, float] = {}
        for text in reader.expand_prefix("grams", grams[0]):
            text = text.decode("utf-8") if isinstance(text, bytes) else text
            for docnum, tf in _postings(reader, "grams", text, deleted, budget).items():
                found[docnum] = found.get(docnum, 0.0) + tf
        gram_scorer.add(scores, found, gram_scorer.idf(len(found)), 1.0, gram_lengths)
    elif len(grams) == 1:
        found = _postings(reader, "grams", grams[0], deleted, budget)
        gram_scorer.add(scores, found, gram_scorer.idf(searcher.doc_frequency("grams", grams[0])), 1.0, gram_lengths)
    else:
        found = _query_docs(leaf, Phrase("grams", grams))
        rarest = min(searcher.doc_frequency("grams", gram) for gram in grams)
        gram_scorer.add(scores, found, gram_scorer.idf(rarest), 1.0, gram_lengths)
    if term.phrase:
        return scores
    words = [word[:MAX_WORD_LENGTH] for word in query_words(term.text)]
    if not words:
        return scores
    word_lengths = _cached(reader, "words", _lengths_loader)
    if len(words) == 1:
        found = _postings(reader, "words", words[0], deleted, budget)
        idf = word_scorer.idf(searcher.doc_frequency("words", words[0]))
    else:
        found = _query_docs(leaf, Phrase("words", words))
        idf = word_scorer.idf(min(searcher.doc_frequency("words", word) for word in words))
    word_scorer.add(scores, found, idf, WORD_BOOST, word_lengths)
    return scores


def _lengths_loader(reader, field_name):
    return _load_lengths(reader, field_name)


def _allowed_codes(column: _Column, values) -> set[int]:
    wanted = {str(value) for value in values}
    return {code for code, value in enumerate(column.values) if value in wanted}


def search(searcher: Searcher, parsed: ParsedQuery, filters: Filters, *, sort: str = "relevance",
           offset: int = 0, limit: int = 20, facet_fields: tuple[str, ...] = (),
           time_budget: float | None = None) -> RawResults:
    """Run a search. ``parsed`` may have no terms when ``filters`` restrict the
    documents (browsing one draft's hidden opinions, say); with neither, nothing is
    searched (the caller asks for a search word).

    ``time_budget`` (seconds): stop gathering matches when it runs out, and say so
    (``truncated``), rather than keep a visitor waiting on a very broad query."""
    budget = _Budget(time_budget)
    index = getattr(searcher, "_ix", None)
    _scope.folder = str(getattr(getattr(index, "storage", None), "folder", "")) or None
    if parsed.is_empty and not filters.is_restrictive():
        return RawResults(0, [], {name: {} for name in facet_fields})
    if parsed.is_empty:
        sort = "newest"
    want = offset + limit
    scorers = (_Scorer(searcher, "grams"), _Scorer(searcher, "words"))
    low = _epoch(filters.created_from) if filters.created_from else None
    high = _epoch(filters.created_to) if filters.created_to else None  # exclusive

    top: list = []
    total = 0
    counters = {name: Counter() for name in facet_fields}
    for leaf, base in searcher.leaf_searchers():
        if budget.check():
            break
        reader = leaf.reader()
        deleted = _deleted(reader)
        # 1. Matches of the text (or of the most selective filter term).
        if parsed.is_empty:
            scores = _filter_driver(leaf, reader, filters, deleted, budget)
        else:
            scores = None
            for group in parsed.groups:
                group_scores: dict[int, float] = {}
                for term in group:
                    for docnum, score in _term_scores(searcher, leaf, reader, deleted, term, scorers, budget).items():
                        group_scores[docnum] = group_scores.get(docnum, 0.0) + score
                if scores is None:
                    scores = group_scores
                else:
                    if len(group_scores) < len(scores):
                        scores, group_scores = group_scores, scores
                    scores = {docnum: score + group_scores[docnum] for docnum, score in scores.items()
                              if docnum in group_scores}
                if not scores:
                    break
            scores = scores or {}
            for term in parsed.excluded:
                if not scores:
                    break
                for docnum in _term_scores(searcher, leaf, reader, deleted, term, scorers, budget):
                    scores.pop(docnum, None)
        if not scores:
            continue
        # 2. Filters, visibility and dates on columns; a clause is a posting list.
        docnums = _apply_filters(reader, filters, scores, low, high, deleted, budget)
        total += len(docnums)
        # 3. Facet counts.
        for name in facet_fields:
            column = _cached(reader, name, _load_codes)
            counts = Counter(map(column.codes.__getitem__, docnums))
            values = column.values
            counter = counters[name]
            for code, count in counts.items():
                counter[values[code]] += count
        # 4. This segment's best, then the best of all.
        if sort == "relevance":
            best = heapq.nlargest(want, docnums, key=scores.__getitem__)
            top.extend((scores[d], -(base + d)) for d in best)
        else:
            created = _cached(reader, "created", _load_numbers)
            best = heapq.nlargest(want, docnums, key=created.__getitem__)
            top.extend((created[d], -(base + d)) for d in best)
    ordered = heapq.nlargest(want, top)[offset:want]
    hits = []
    for key, negative_docnum in ordered:
        stored = searcher.stored_fields(-negative_docnum)
        hits.append(RawHit(stored.get("doc_id", ""), float(key) if sort == "relevance" else 0.0))
    facets = {name: {value: count for value, count in counter.items() if value} for name, counter in counters.items()}
    return RawResults(total, hits, facets, budget.exceeded)


#: Filter fields with a facet column, in the order tried as the "driver" of a search
#: without words (the posting list the other filters are checked against).
_COLUMN_FILTERS = (("liaison", "liaison_points"), ("stance", "stances"), ("category", "categories"),
                   ("state", "states"), ("draft", "drafts"), ("kind", "kinds"))


def _filter_driver(leaf, reader, filters: Filters, deleted, budget: _Budget) -> dict[int, float]:
    """The documents of the most selective filter, for a search without words."""
    candidates = []
    if filters.clause:
        candidates.append(("clause", [filters.clause]))
    for field_name, attribute in _COLUMN_FILTERS:
        values = getattr(filters, attribute)
        if values:
            candidates.append((field_name, [str(value) for value in values]))
    if not candidates:
        return {}

    def frequency(candidate):
        field_name, values = candidate
        return sum(reader.doc_frequency(field_name, value) for value in values)

    field_name, values = min(candidates, key=frequency)
    found: dict[int, float] = {}
    for value in values:
        found.update(dict.fromkeys(_postings(reader, field_name, value, deleted, budget), 0.0))
    return found


def _apply_filters(reader, filters: Filters, scores: dict[int, float], low, high, deleted, budget) -> list[int]:
    docnums = list(scores)
    for field_name, attribute in _COLUMN_FILTERS:
        values = getattr(filters, attribute)
        if values:
            column = _cached(reader, field_name, _load_codes)
            allowed = _allowed_codes(column, values)
            codes = column.codes
            docnums = [d for d in docnums if codes[d] in allowed]
    if filters.clause:
        in_clause = _postings(reader, "clause", filters.clause, deleted, budget)
        docnums = [d for d in docnums if d in in_clause]
    if low is not None or high is not None:
        created = _cached(reader, "created", _load_numbers)
        low = low if low is not None else -(2**62)
        high = high if high is not None else 2**62
        docnums = [d for d in docnums if low <= created[d] < high]
    # Visibility: never return these, whatever was asked.
    if filters.hidden_states or filters.hidden_opinion_drafts or filters.hidden_provision_drafts:
        kinds = _cached(reader, "kind", _load_codes)
        opinion_codes = _allowed_codes(kinds, ["opinion"])
        provision_codes = _allowed_codes(kinds, ["provision"])
        states = _cached(reader, "state", _load_codes)
        drafts = _cached(reader, "draft", _load_codes)
        hidden_state_codes = _allowed_codes(states, filters.hidden_states)
        hidden_opinion_drafts = _allowed_codes(drafts, filters.hidden_opinion_drafts)
        hidden_provision_drafts = _allowed_codes(drafts, filters.hidden_provision_drafts)

        def visible(d):
            kind = kinds.codes[d]
            if kind in opinion_codes:
                return states.codes[d] not in hidden_state_codes and drafts.codes[d] not in hidden_opinion_drafts
            if kind in provision_codes:
                return drafts.codes[d] not in hidden_provision_drafts
            return True

        docnums = [d for d in docnums if visible(d)]
    return docnums
