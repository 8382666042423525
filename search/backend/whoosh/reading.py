"""Searching an index: a searcher per thread on the live generation, per-segment data
kept between searches, and ``search()``, which visits every matching document once
(for the exact total and the facet counts) and picks the requested page by score or by
time. Facet values are counted from per-segment columns cached in memory.
"""
from __future__ import annotations

import heapq
import math
import threading
import time
from array import array
from collections import Counter, OrderedDict
from dataclasses import dataclass
from datetime import datetime, timezone

from whoosh.searching import Searcher
from whoosh.util.numeric import byte_to_length

from search.analysis import MAX_WORD_LENGTH, fold, gram_char, query_grams, query_words
from search.backend.whoosh.codec import column, lengths_array
from search.backend.whoosh.postings import bits_to_ids, ids_to_bits, postings_bits
from search.backend.whoosh.store import IndexStore, IndexUnavailable, OpenIndex
from search.query import Filters, ParsedQuery, QueryTerm


def _epoch(value: datetime) -> int:
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    return int(value.timestamp())


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


# --- per-segment data kept between searches ----------------------------------------------------
#
# Segments never change once written (only their set of deleted documents, which is
# read afresh for each search), so what is derived from a segment alone is kept, keyed
# by the index folder, the segment's id and its size, within a memory limit: the
# bitsets of filter values (a draft, a state …), of the documents of each length, the
# ``article`` codes, the ``created`` times and the document-id and text columns.

_cache: OrderedDict[tuple, tuple[object, int]] = OrderedDict()
_cache_bytes = [0]
_cache_lock = threading.Lock()
#: Memory for the cache above, per process.
CACHE_BYTES = 192 * 2**20

_scope = threading.local()


def _segment_key(reader, name) -> tuple | None:
    """Identifies a segment's data: the index folder (set by ``search``), the segment's
    id and its size. Segment ids are random names, so the folder is needed; the size
    guards against an id drawn twice."""
    segment = getattr(reader, "segment", None)
    segment = segment() if callable(segment) else None
    folder = getattr(_scope, "folder", None)
    if segment is None or folder is None:
        return None
    return folder, segment.segment_id(), reader.doc_count_all(), name


def _size_of(value) -> int:
    if isinstance(value, int):
        return value.bit_length() // 8 + 32
    if isinstance(value, (array, bytes, bytearray)):
        return len(value) * getattr(value, "itemsize", 1) + 64
    if isinstance(value, dict):
        return sum(_size_of(v) for v in value.values()) + 64 * len(value)
    return 4096


def _cached(reader, name, loader):
    """``loader()``, kept per segment under ``name``."""
    key = _segment_key(reader, name)
    if key is None:
        return loader()
    with _cache_lock:
        found = _cache.get(key)
        if found is not None:
            _cache.move_to_end(key)
            return found[0]
    value = loader()
    size = _size_of(value)
    with _cache_lock:
        if key not in _cache:
            _cache[key] = (value, size)
            _cache_bytes[0] += size
        while _cache_bytes[0] > CACHE_BYTES and len(_cache) > 1:
            _old_key, (_old, old_size) = _cache.popitem(last=False)
            _cache_bytes[0] -= old_size
    return value


def _term_bits(reader, field_name: str, value: str) -> int:
    """The documents of a filter term (cached: filter values recur)."""
    def load():
        found = postings_bits(reader, field_name, value)
        return found.bits if found is not None else 0

    return _cached(reader, ("term", field_name, value), load)


def _field_values(reader, field_name: str) -> list[str]:
    def load():
        return [text.decode("utf-8") if isinstance(text, bytes) else text for text in reader.lexicon(field_name)]

    return _cached(reader, ("lexicon", field_name), load)


def _length_codes(reader) -> bytes:
    return _cached(reader, ("lengths", "grams"), lambda: lengths_array(reader, "grams"))


def _code_bits(reader, code: int) -> int:
    """The documents whose bigram-field length byte is ``code``."""
    def load():
        lengths = _length_codes(reader)
        table = bytes(0x31 if value == code else 0x30 for value in range(256))
        digits = lengths.translate(table)[::-1]
        return int(digits, 2) if digits else 0

    return _cached(reader, ("length-code", code), load)


def _present_codes(reader) -> list[int]:
    return _cached(reader, ("length-code-list",), lambda: sorted(set(_length_codes(reader))))


def _created(reader) -> array:
    return _cached(reader, ("created",), lambda: column(reader, "created").array())


def _article_codes(reader):
    def load():
        found = column(reader, "article")
        return found.codes(), [value.decode("utf-8") for value in found.values()]

    return _cached(reader, ("article",), load)


def _text_column(reader):
    return _cached(reader, ("text-column",), lambda: column(reader, "text"))


def _doc_ids(reader):
    return _cached(reader, ("doc-id-column",), lambda: column(reader, "doc_id"))


# --- running a search -----------------------------------------------------------------------
#
# Matches are computed per segment as bitsets (Python integers, one bit per document):
# a term's postings are read into one (``codec.postings_bits``), AND / OR / NOT
# of terms and filters are single integer operations, and ``bit_count`` counts a result
# or a facet value. Nothing is visited a document at a time except:
#
# * the candidates of a phrase of several bigrams that the jieba word field cannot
#   confirm, checked against their compact text (``TextColumn.matching``);
# * the page of results: relevance scores depend only on which terms a document
#   matches, how often, and its length, so documents with the same terms and length
#   (one Whoosh length byte) share a score; the best groups are taken first, and only
#   the documents that make the page are listed.
#
# Scores are BM25 (k1 1.2, b 0.75): for each term, the bigram field (idf of its rarest
# bigram) plus, when the term's jieba words are all in the document, the word field
# counting double; one length (the bigram count) normalises both.

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


def _deleted_bits(reader) -> int:
    if not reader.has_deletions():
        return 0
    return ids_to_bits(list(reader._perdoc.deleted_docs()))


@dataclass
class _Unit:
    """One scored part of a term in a segment: the documents, their counts where more
    than one, and the weight (boost × idf)."""

    bits: int
    counts: dict
    weight: float


def _needle(text: str) -> str:
    return "".join(char for char in fold(text) if gram_char(char))


class _TermMatcher:
    """Matches of one query term in one segment."""

    def __init__(self, searcher, reader, term: QueryTerm, budget: _Budget, within: int = -1):
        self.searcher = searcher
        self.reader = reader
        self.term = term
        self.budget = budget
        # The documents still in the running (filters and the terms before): the caller
        # ANDs the match into them, so a match is only needed right within them.
        self.within = within

    def _bits(self, field_name: str, text: str):
        return postings_bits(self.reader, field_name, text)

    def match(self, scoring: bool) -> tuple[int, list[_Unit]]:
        """(documents matching the term, its scoring units)."""
        term = self.term
        searcher = self.searcher
        grams = query_grams(term.text)
        if not grams:
            return 0, []
        words = [word[:MAX_WORD_LENGTH] for word in query_words(term.text)]
        units: list[_Unit] = []
        # The jieba word field: a match in its own right for an unquoted term of one
        # word; for a longer term, a document with all its words matches only if the
        # term's characters are also in a row (the bigram field says). For a quoted
        # term, it only spares checking the text of the documents it confirms.
        word_bits = 0
        word_counts: dict = {}
        if words:
            found = [self._bits("words", word) for word in dict.fromkeys(words)]
            if all(found):
                word_bits = found[0].bits
                for other in found[1:]:
                    word_bits &= other.bits
                if len(words) == 1:
                    word_counts = found[0].counts
        exact_word = word_bits if len(words) == 1 else 0
        # The bigram field.
        gram_counts: dict = {}
        if len(grams) == 1 and len(grams[0]) == 1:
            gram_bits = 0
            for text in self.reader.expand_prefix("grams", grams[0]):
                found = self._bits("grams", text.decode("utf-8") if isinstance(text, bytes) else text)
                if found is not None:
                    gram_bits |= found.bits
                if self.budget.check():
                    break
            gram_df = gram_bits.bit_count()
        elif len(grams) == 1:
            found = self._bits("grams", grams[0])
            gram_bits = found.bits if found is not None else 0
            gram_counts = found.counts if found is not None else {}
            gram_df = searcher.doc_frequency("grams", grams[0])
        else:
            gram_bits = self._phrase(grams, term.text, exact_word, words)
            gram_df = min(searcher.doc_frequency("grams", gram) for gram in set(grams))
        matched = gram_bits if term.phrase else gram_bits | exact_word
        if scoring and matched:
            units.append(_Unit(gram_bits, gram_counts, _idf(searcher, gram_df)))
            if word_bits and not term.phrase:
                word_df = min(searcher.doc_frequency("words", word) for word in words)
                units.append(_Unit(word_bits, word_counts, WORD_BOOST * _idf(searcher, word_df)))
        return matched, units

    def _phrase(self, grams: list[str], text: str, exact_word: int, words: list[str]) -> int:
        """Documents with the bigrams of ``text`` in a row: those with all of them, less
        those whose compact text does not contain it (unless the word field already
        says it does)."""
        candidates = None
        found_by_gram = {}
        for gram in dict.fromkeys(grams):
            found = self._bits("grams", gram)
            if found is None:
                return 0
            found_by_gram[gram] = found
        for found in sorted(found_by_gram.values(), key=lambda p: p.df):
            candidates = found.bits if candidates is None else candidates & found.bits
            if not candidates:
                return 0
        needle = _needle(text)
        sure = 0
        if exact_word and len(words) == 1 and words[0] == needle and len(needle) < MAX_WORD_LENGTH:
            sure = candidates & exact_word
        # Only the candidates still in the running need their text checked.
        unsure = candidates & ~sure & self.within
        if not unsure:
            return sure
        texts = _text_column(self.reader)
        confirmed = texts.matching(bits_to_ids(unsure), needle.encode("utf-8"), budget=self.budget.check)
        return sure | ids_to_bits(confirmed)


def _idf(searcher, df: int) -> float:
    count = max(searcher.doc_count_all(), 1)
    return math.log(1.0 + (count - df + 0.5) / (df + 0.5))


def _any_term(reader, field_name: str, values) -> int:
    bits = 0
    for value in values:
        bits |= _term_bits(reader, field_name, str(value))
    return bits


#: Filter fields and the Filters attribute holding their values.
_TERM_FILTERS = (("kind", "kinds"), ("draft", "drafts"), ("call", "calls"), ("stance", "stances"), ("category", "categories"),
                 ("liaison", "liaison_points"), ("state", "states"))


def _filter_bits(reader, filters: Filters, everything: int) -> int:
    bits = everything
    for field_name, attribute in _TERM_FILTERS:
        values = getattr(filters, attribute)
        if values:
            bits &= _any_term(reader, field_name, values)
            if not bits:
                return 0
    if filters.clause:
        bits &= _term_bits(reader, "clause", filters.clause)
    return bits


def _hidden_bits(reader, filters: Filters) -> int:
    """Documents never to return, whatever was asked (visibility)."""
    hidden = 0
    if filters.hidden_states or filters.hidden_opinion_drafts:
        opinions = _term_bits(reader, "kind", "opinion")
        hidden |= opinions & (_any_term(reader, "state", filters.hidden_states)
                              | _any_term(reader, "draft", filters.hidden_opinion_drafts))
    if filters.hidden_states or filters.hidden_proposal_calls:
        proposals = _term_bits(reader, "kind", "proposal")
        hidden |= proposals & (_any_term(reader, "state", filters.hidden_states)
                               | _any_term(reader, "call", filters.hidden_proposal_calls))
    if filters.hidden_provision_drafts:
        provisions = _term_bits(reader, "kind", "provision")
        hidden |= provisions & _any_term(reader, "draft", filters.hidden_provision_drafts)
    return hidden


def _date_bits(reader, bits: int, low, high) -> int:
    created = _created(reader)
    low = low if low is not None else -(2**62)
    high = high if high is not None else 2**62
    return ids_to_bits([d for d in bits_to_ids(bits) if low <= created[d] < high])


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
    low = _epoch(filters.created_from) if filters.created_from else None
    high = _epoch(filters.created_to) if filters.created_to else None  # exclusive
    average = (searcher.field_length("grams") / max(searcher.doc_count_all(), 1)) or 1.0
    norms = [K1 * (1 - B + B * byte_to_length(code) / average) for code in range(256)]

    top: list = []
    total = 0
    counters = {name: Counter() for name in facet_fields}
    for leaf, base in searcher.leaf_searchers():
        if budget.check():
            break
        reader = leaf.reader()
        size = reader.doc_count_all()
        everything = ((1 << size) - 1) & ~_deleted_bits(reader)
        # 1. Filters (cheap: cached bitsets), then the words.
        bits = _filter_bits(reader, filters, everything)
        if bits:
            bits &= ~_hidden_bits(reader, filters)
        groups_units: list[_Unit] = []
        # Exclusions apply without positive terms too (filters and ``-word`` alone).
        if bits:
            for group in parsed.groups:
                group_bits = 0
                for term in group:
                    matched, units = _TermMatcher(searcher, reader, term, budget, bits).match(sort == "relevance")
                    group_bits |= matched
                    groups_units.extend(units)
                bits &= group_bits
                if not bits:
                    break
            for term in parsed.excluded:
                if not bits:
                    break
                matched, _units = _TermMatcher(searcher, reader, term, budget, bits).match(False)
                bits &= ~matched
        if bits and (low is not None or high is not None):
            bits = _date_bits(reader, bits, low, high)
        if not bits:
            continue
        total += bits.bit_count()
        # 2. Facet counts.
        for name in facet_fields:
            counter = counters[name]
            if name == "article":
                codes, values = _article_codes(reader)
                counted = Counter(map(codes.__getitem__, bits_to_ids(bits)))
                for code, count in counted.items():
                    counter[values[code]] += count
            else:
                for value in _field_values(reader, name):
                    count = (bits & _term_bits(reader, name, value)).bit_count()
                    if count:
                        counter[value] += count
        # 3. This segment's best, then the best of all.
        if sort == "relevance" and groups_units:
            for score, docnum in _best_by_score(reader, bits, groups_units, norms, want):
                top.append((score, -(base + docnum), reader, docnum))
        else:
            created = _created(reader)
            for docnum in heapq.nlargest(want, bits_to_ids(bits), key=lambda d: (created[d], -d)):
                top.append((created[docnum], -(base + docnum), reader, docnum))
    ordered = heapq.nlargest(want, top, key=lambda item: (item[0], item[1]))[offset:want]
    hits = []
    for key, _negative, reader, docnum in ordered:
        doc_id = _doc_ids(reader)[docnum].decode("utf-8")
        hits.append(RawHit(doc_id, float(key) if sort == "relevance" else 0.0))
    facets = {name: {value: count for value, count in counter.items() if value} for name, counter in counters.items()}
    return RawResults(total, hits, facets, budget.exceeded)


def _best_by_score(reader, bits: int, units: list[_Unit], norms: list[float], want: int) -> list[tuple[float, int]]:
    """The ``want`` best (score, docnum) of a segment's matches ``bits``, best first
    (ties: lower docnum first)."""
    lengths = _length_codes(reader)
    # Documents where a term occurs more than once: scored one by one (few).
    repeated = set()
    for unit in units:
        repeated.update(unit.counts)
    exact: list[tuple[float, int]] = []
    if repeated:
        repeated_bits = ids_to_bits(sorted(repeated)) & bits
        members = bits_to_ids(repeated_bits)
        views = [unit.bits.to_bytes((unit.bits.bit_length() + 7) >> 3, "little") for unit in units]
        for docnum in members:
            norm = norms[lengths[docnum]]
            score = 0.0
            for unit, view in zip(units, views):
                if docnum >> 3 < len(view) and view[docnum >> 3] >> (docnum & 7) & 1:
                    tf = unit.counts.get(docnum, 1)
                    score += unit.weight * tf * (K1 + 1) / (tf + norm)
            exact.append((score, docnum))
        bits &= ~repeated_bits
    # Everything else counts each matched term once: the score is the sum of the
    # matched units' weights times a function of the length. Group by matched units.
    classes = [(bits, 0.0)] if bits else []
    for unit in units:
        split = []
        for members, weight in classes:
            inside = members & unit.bits
            if inside:
                split.append((inside, weight + unit.weight))
            outside = members ^ inside
            if outside:
                split.append((outside, weight))
        classes = split
        if len(classes) > 256:
            break
    codes = _present_codes(reader)
    # Best-first over (class, length code) cells: within a class, shorter is better.
    factor = [(K1 + 1) / (1 + norms[code]) for code in codes]
    frontier = [(-weight * factor[0], index, 0) for index, (_members, weight) in enumerate(classes)]
    heapq.heapify(frontier)
    found: list[tuple[float, int]] = list(exact)
    found.sort(key=lambda item: (-item[0], item[1]))
    found = found[:want]
    while frontier:
        negative, index, position = heapq.heappop(frontier)
        score = -negative
        if len(found) >= want and score < found[want - 1][0]:
            break
        members, weight = classes[index]
        cell = members & _code_bits(reader, codes[position])
        if cell:
            found.extend((score, docnum) for docnum in bits_to_ids(cell, want))
            found.sort(key=lambda item: (-item[0], item[1]))
            del found[want:]
        if position + 1 < len(codes):
            heapq.heappush(frontier, (-weight * factor[position + 1], index, position + 1))
    return found
