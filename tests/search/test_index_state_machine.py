"""The index against a brute-force model: this project's posting format, columns and
query code, through every way Whoosh changes an index.

A Hypothesis state machine (and a deterministic run of about 500 commits) adds,
updates and deletes documents, commits them (Whoosh's automatic merge policy, the
normal commit; or no merge), merges chosen segments, optimizes, rebuilds a
generation with ``SegmentBuilder`` (the rebuild's path), reopens the index from disk,
and searches. Every search runs through the real entry points (``parse_query`` and
``search.backend.search`` on ``current_searcher`` or a searcher of the index, and
Whoosh's own ``Searcher.search`` over the codec's matchers) and is compared with a
model held in Python: the documents committed so far. Totals, the hit set, facet
counts (``FACET_FIELDS``), filters, AND / OR / NOT, newest-first ordering and pages
are checked exactly; relevance ordering as a set, with non-increasing scores and pages
that are slices of the whole ordering.

Matching in the model: the vocabulary is ideographs, Latin letters and digits (any
width or case) with punctuation and spaces between words. For such terms an unquoted
word and a quoted phrase pick the same documents: those whose compact text
(``search.analysis.compact``: folded, only letters, digits and ideographs, parts kept
apart) contains the term's compact form. The jieba word field only adds documents
the bigram field also finds (a jieba word is a run of the document's own text) and
changes the score, so the word semantics need no model beyond that; the word field
itself is checked through Whoosh's own search with ``search.analysis.word_counts``.

A batch (what one commit writes) applies its ``delete_where`` deletions first, then one
operation per document id (the last one asked for), as the indexer does: Whoosh's
deletions in a writer only reach documents committed before it.

The run must merge segments that were themselves made by merges (issue 13: a merge
of the custom postings failed, and no test kept an index alive long enough to merge);
``MergeStats`` counts it and the tests assert it.

Failing examples it found are kept as plain tests in ``test_index_regressions.py``
(a segment without a column's file; excluded words with filters alone).
"""
from __future__ import annotations

import random
import shutil
import tempfile
from collections import Counter
from dataclasses import dataclass, field, replace
from functools import cached_property
from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import HealthCheck, settings, strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, precondition, rule, run_state_machine_as_test
from whoosh.query import Term

from search.analysis import PART_SEPARATOR, compact, fold, gram_counts, word_counts
from search.backend import (
    FACET_FIELDS,
    IndexStore,
    SegmentBuilder,
    Writer,
    commit_segments,
    current_searcher,
    forget_searchers,
    search,
)
from search.backend.whoosh.codec import column
from search.backend.whoosh.postings import _DENSE, _blob, decode_postings
from search.query import Filters, parse_query

# --- documents and the model ------------------------------------------------------------------

EPOCH = datetime(2027, 1, 1, tzinfo=timezone.utc)
#: Few distinct times, so newest-first ordering has ties.
HOURS = 12

# Words sharing characters (停车位 / 停车 / 车位 / 出租车), so a query hits many documents.
WORDS = ["停车位", "停车", "车位", "出租车", "小区", "物业", "服务", "物业服务", "噪声", "扰民", "垃圾分类",
         "垃圾", "养老", "电梯", "加装电梯", "补贴", "标准", "公开", "不足", "的", "和", "ABC", "ａｂｃ", "x1", "２０２７"]
FILLERS = ["，", "。", "、", " ", "；", "（", "）"]
# Query terms: words, runs across word boundaries, single characters, Latin in any
# width or case. None contains whitespace, a quote, or starts with a minus sign.
QUERY_TERMS = sorted(set(WORDS) | {"车", "位", "物", "噪", "a", "Ｘ1", "abc", "2027", "停车位不足", "车位不",
                                   "服务标准", "物业服务标准", "电梯补贴", "出租车位", "养老服务", "区物", "公开的",
                                   "小区物业", "声扰"})
QUOTES = [('"', '"'), ("“", "”"), ("「", "」"), ("『", "』")]

KINDS = ("opinion", "provision")
DRAFTS = (1, 2, 3)
STANCES = ("", "amend", "support", "oppose")
CATEGORIES = ("", "citizen", "expert")
LIAISONS = ("", "5", "7")
STATES = ("published", "pending", "hidden")
ARTICLES = ("", "_draft", "art.1", "art.2", "art.10")
#: clause keys for each article: the article, its paragraphs and its chapter.
CLAUSES = {"": (), "_draft": (), "art.1": ("art.1.1", "art.1", "ch.1"), "art.2": ("art.2.1", "art.2", "ch.1"),
           "art.10": ("art.10.2", "art.10", "ch.2")}
ALL_CLAUSES = sorted({key for keys in CLAUSES.values() for key in keys})


@dataclass(frozen=True)
class Doc:
    doc_id: str
    kind: str
    draft: str
    stance: str
    category: str
    liaison: str
    state: str
    article: str
    hour: int | None  # None: no creation time (the column's default, 0)
    parts: tuple[str, ...]

    @property
    def clause(self) -> tuple[str, ...]:
        return CLAUSES[self.article]

    @property
    def created(self) -> int:
        return 0 if self.hour is None else int((EPOCH + timedelta(hours=self.hour)).timestamp())

    @cached_property
    def compact_text(self) -> str:
        return compact(PART_SEPARATOR.join(self.parts))

    def document(self) -> dict:
        """What ``search.documents`` would hand the engine."""
        return {"doc_id": self.doc_id, "kind": self.kind, "draft": self.draft, "version": f"v{self.draft}",
                "clause": list(self.clause), "article": self.article, "stance": self.stance,
                "category": self.category, "liaison": self.liaison, "state": self.state,
                "created": None if self.hour is None else EPOCH + timedelta(hours=self.hour),
                "parts": list(self.parts)}

    @cached_property
    def words(self) -> dict[str, int]:
        return word_counts(PART_SEPARATOR.join(self.parts))[0]

    def facet(self, name: str) -> str:
        return getattr(self, name)


def make_doc(doc_id: str, kind: str, rng_fields: dict, parts) -> Doc:
    return Doc(doc_id=doc_id, kind=kind, parts=tuple(parts), **rng_fields)


def term_matches(text: str, doc: Doc) -> bool:
    needle = compact(text)
    return bool(needle) and needle in doc.compact_text


@dataclass
class QuerySpec:
    """A query as the model sees it: AND of groups (each an OR of (text, quoted)), and
    excluded terms; ``render`` writes it in the search syntax, in one of its forms."""

    groups: list[list[tuple[str, bool]]]
    excluded: list[tuple[str, bool]]
    style: int = 0

    def render(self) -> str:
        rng = random.Random(self.style)

        def one(text, quoted):
            if not quoted:
                return text
            opening, closing = rng.choice(QUOTES)
            return f"{opening}{text}{closing}"

        pieces = []
        for number, group in enumerate(self.groups):
            if number and rng.random() < 0.3:
                pieces.append(rng.choice(["AND", "&&"]))
            alternatives = []
            for text, quoted in group:
                if alternatives:
                    alternatives.append(rng.choice(["OR", "|", "｜"]))
                alternatives.append(one(text, quoted))
            pieces.extend(alternatives)
        for text, quoted in self.excluded:
            form = rng.randrange(3)
            if form == 0:
                pieces.append("NOT " + one(text, quoted))
            else:
                pieces.append(("-" if form == 1 else "－") + one(text, quoted))
        return " ".join(pieces)

    def matches(self, doc: Doc) -> bool:
        return (all(any(term_matches(text, doc) for text, _quoted in group) for group in self.groups)
                and not any(term_matches(text, doc) for text, _quoted in self.excluded))


def filters_pass(doc: Doc, filters: Filters) -> bool:
    checks = [
        (filters.kinds, doc.kind), (filters.drafts, doc.draft), (filters.stances, doc.stance),
        (filters.categories, doc.category), (filters.liaison_points, doc.liaison), (filters.states, doc.state),
    ]
    for wanted, value in checks:
        if wanted and value not in {str(v) for v in wanted}:
            return False
    if filters.clause and filters.clause not in doc.clause:
        return False
    if filters.created_from is not None and doc.created < int(filters.created_from.timestamp()):
        return False
    if filters.created_to is not None and doc.created >= int(filters.created_to.timestamp()):
        return False
    if doc.kind == "opinion" and (doc.state in filters.hidden_states
                                  or doc.draft in {str(d) for d in filters.hidden_opinion_drafts}):
        return False
    if doc.kind == "provision" and doc.draft in {str(d) for d in filters.hidden_provision_drafts}:
        return False
    return True


# --- merges of merged segments ------------------------------------------------------------------

@dataclass
class MergeStats:
    """Merges seen through the segment ids of the table of contents: a commit that
    drops segments merged them into the segment it adds."""

    merges: Counter = field(default_factory=Counter)            # by how: auto, chosen, optimize
    merges_of_merged: Counter = field(default_factory=Counter)  # consumed a merge's product
    merged_builder_segments: int = 0                            # consumed a SegmentBuilder segment


# --- the index and the model side by side ----------------------------------------------------------

class Harness:
    """A real index (``IndexStore`` generation, ``Writer``) and the model of what it
    holds. Changes wait in a batch until ``commit``; searches compare with the model."""

    def __init__(self, stats: MergeStats, root=None):
        self.base = tempfile.mkdtemp(prefix="index-model-", dir=root)
        self.store = IndexStore(self.base)
        name, path, self.ix = self.store.create_generation()
        self.store.write_meta(path)
        self.store.publish(name)
        self.committed: dict[str, Doc] = {}
        self.pending: dict[str, tuple[str, Doc | None]] = {}
        self.pending_where: list[dict[str, str]] = []
        self.stats = stats
        self.merge_products: set[str] = set()
        self.builder_segments: set[str] = set()
        self.next_number = 1
        self.commits = 0

    def close(self):
        forget_searchers()
        shutil.rmtree(self.base, ignore_errors=True)

    # --- changes -----------------------------------------------------------------------

    def new_id(self, kind: str) -> str:
        number = self.next_number
        self.next_number += 1
        return f"{kind}:{number}"

    def known_ids(self) -> list[str]:
        ids = set(self.committed)
        ids.update(doc_id for doc_id, (op, _doc) in self.pending.items() if op != "delete")
        return sorted(ids)

    def add(self, doc: Doc):
        assert doc.doc_id not in self.committed and doc.doc_id not in self.pending
        self.pending[doc.doc_id] = ("add", doc)

    def update(self, doc: Doc):
        op = self.pending.get(doc.doc_id, ("upsert", None))[0]
        # A document added in this batch and changed again is still an add.
        self.pending[doc.doc_id] = ("add" if op == "add" else "upsert", doc)

    def delete(self, doc_id: str):
        if self.pending.get(doc_id, ("",))[0] == "add":
            del self.pending[doc_id]
        else:
            self.pending[doc_id] = ("delete", None)

    def delete_where(self, **terms: str):
        self.pending_where.append(terms)

    def _segment_ids(self) -> set[str]:
        return {segment.segment_id() for segment in self.ix._segments()}

    def commit(self, how: str = "auto"):
        """``auto``: Whoosh's normal commit (MERGE_SMALL); ``none``: no merge;
        ``optimize``; or a list of segment ids to merge (a merge policy of our own)."""
        before = self._segment_ids()
        writer = Writer(self.ix)
        try:
            for terms in self.pending_where:
                writer.delete_where(**terms)
            for doc_id, (op, doc) in self.pending.items():
                if op == "add":
                    writer.add(doc.document())
                elif op == "upsert":
                    writer.upsert(doc.document())
                else:
                    writer.delete(doc_id)
            # The engine's Writer commits with Whoosh's default policy; the other
            # policies go to the Whoosh writer underneath.
            if how == "auto":
                writer.commit()
            elif how == "none":
                writer._writer.commit(merge=False)
            elif how == "optimize":
                writer._writer.commit(optimize=True)
            else:
                writer._writer.commit(mergetype=_merge_chosen(set(how)))
        except BaseException:
            writer.cancel()
            raise
        for terms in self.pending_where:
            self.committed = {key: doc for key, doc in self.committed.items()
                              if not all(getattr(doc, name) == value for name, value in terms.items())}
        for doc_id, (op, doc) in self.pending.items():
            if op == "delete":
                self.committed.pop(doc_id, None)
            else:
                self.committed[doc_id] = doc
        self.pending.clear()
        self.pending_where.clear()
        self.commits += 1
        self._note_merges(before, "chosen" if isinstance(how, (list, tuple, set)) else how)

    def _note_merges(self, before: set[str], how: str):
        after = self._segment_ids()
        consumed = before - after
        if not consumed:
            return
        self.stats.merges[how] += 1
        if consumed & self.merge_products:
            self.stats.merges_of_merged[how] += 1
        if consumed & self.builder_segments:
            self.stats.merged_builder_segments += 1
        self.merge_products |= after - before

    def reopen(self):
        """Open the live generation from disk again (a new process would)."""
        self.ix = self.store.open().index

    def rebuild(self, pieces: int):
        """A new generation written by ``SegmentBuilder``s from the model's documents
        (the rebuild's path), made live; the batch must be empty."""
        assert not self.pending and not self.pending_where
        name, path, _ix = self.store.create_generation()
        docs = sorted(self.committed.values(), key=lambda doc: doc.doc_id)
        segments = []
        for k in range(pieces):
            builder = SegmentBuilder(path)
            for doc in docs[k::pieces]:
                builder.add(doc.document())
            segments.append(builder.finish())
        commit_segments(path, segments)
        self.store.write_meta(path)
        self.store.publish(name)
        self.reopen()
        self.merge_products = set()
        self.builder_segments = self._segment_ids()

    def segment_count(self) -> int:
        return len(self.ix._segments())

    # --- searching ---------------------------------------------------------------------

    def _searcher(self, fresh: bool):
        if fresh:
            return self.ix.searcher(), True
        _opened, searcher = current_searcher(self.store)
        return searcher, False

    def check_search(self, spec: QuerySpec, filters: Filters, sort: str, offset: int, limit: int,
                     fresh: bool = False):
        text = spec.render()
        parsed = parse_query(text)
        assert [[(t.text, t.phrase) for t in group] for group in parsed.groups] == \
            [[(t.strip(), q) for t, q in group] for group in spec.groups], text
        assert [(t.text, t.phrase) for t in parsed.excluded] == [(t.strip(), q) for t, q in spec.excluded], text

        if parsed.is_empty and not filters.is_restrictive():
            expected: list[Doc] = []
        else:
            expected = [doc for doc in self.committed.values() if filters_pass(doc, filters) and spec.matches(doc)]
        expected_ids = {doc.doc_id for doc in expected}
        expected_facets = {name: dict(Counter(doc.facet(name) for doc in expected if doc.facet(name)))
                           for name in FACET_FIELDS}
        context = (text, filters, sort)

        searcher, close = self._searcher(fresh)
        try:
            assert searcher.doc_count() == len(self.committed)
            whole = search(searcher, parsed, filters, sort=sort, offset=0, limit=1000, facet_fields=FACET_FIELDS)
            page = search(searcher, parsed, filters, sort=sort, offset=offset, limit=limit)
        finally:
            if close:
                searcher.close()
        ids = [hit.doc_id for hit in whole.hits]
        assert not whole.truncated
        assert whole.total == len(expected), context
        assert len(ids) == len(set(ids)), context
        assert set(ids) == expected_ids, (context, sorted(set(ids) ^ expected_ids))
        if parsed.is_empty and not filters.is_restrictive():
            assert whole.facets == {name: {} for name in FACET_FIELDS}
        else:
            assert whole.facets == expected_facets, context
        # Pages are slices of the whole ordering (ties are broken the same way).
        assert page.total == whole.total
        assert [hit.doc_id for hit in page.hits] == ids[offset:offset + limit], context
        if sort == "newest" or parsed.is_empty:
            created = [self.committed[doc_id].created for doc_id in ids]
            assert created == sorted((doc.created for doc in expected), reverse=True), context
        else:
            scores = [hit.score for hit in whole.hits]
            assert scores == sorted(scores, reverse=True), context
        return whole.total

    def check_whoosh(self, field_name: str, value: str, fresh: bool = True):
        """Whoosh's own search over the codec's matchers (``PostingsMatcher``) finds
        the documents that have the term, deleted ones left out."""
        if field_name == "words":
            expected = {d.doc_id for d in self.committed.values()
                        if value in d.words}
        elif field_name == "grams":
            expected = {d.doc_id for d in self.committed.values() if value in gram_counts(d.compact_text)[0]}
        elif field_name == "clause":
            expected = {d.doc_id for d in self.committed.values() if value in d.clause}
        else:
            expected = {d.doc_id for d in self.committed.values() if getattr(d, field_name) == value}
        searcher, close = self._searcher(fresh)
        try:
            doc_ids = []
            for leaf, _base in searcher.leaf_searchers():
                reader = leaf.reader()
                if not reader.doc_count_all():
                    continue  # an index without segments has one empty reader
                ids = column(reader, "doc_id")
                doc_ids.extend(ids[d].decode("utf-8") for d in range(reader.doc_count_all()))
            results = searcher.search(Term(field_name, value), limit=None)
            found = [doc_ids[docnum] for docnum in results.docs()]
            assert len(results) == len(expected), (field_name, value)
            # The document count the scorer sees matches the model too.
            assert searcher.doc_count() == len(self.committed)
        finally:
            if close:
                searcher.close()
        assert sorted(found) == sorted(expected), (field_name, value)


def _merge_chosen(chosen: set[str]):
    """A Whoosh merge policy merging the segments whose ids are in ``chosen``."""
    from whoosh.reading import SegmentReader

    def policy(writer, segments):
        kept = []
        for segment in segments:
            if segment.segment_id() in chosen:
                reader = SegmentReader(writer.storage, writer.schema, segment)
                writer.add_reader(reader)
                reader.close()
            else:
                kept.append(segment)
        return kept

    return policy


# --- strategies ------------------------------------------------------------------------------

def parts_strategy():
    part = st.lists(st.sampled_from(WORDS + FILLERS), min_size=1, max_size=6).map("".join)
    return st.lists(part, min_size=1, max_size=3)


FIELDS = st.fixed_dictionaries({
    "draft": st.sampled_from(DRAFTS).map(str), "stance": st.sampled_from(STANCES),
    "category": st.sampled_from(CATEGORIES), "liaison": st.sampled_from(LIAISONS),
    "state": st.sampled_from(STATES), "article": st.sampled_from(ARTICLES),
    "hour": st.sampled_from([*range(HOURS), None]),
})

TERM = st.tuples(st.sampled_from(QUERY_TERMS), st.booleans())
# Quoted phrases may hold spaces and punctuation, which they ignore.
PHRASE = st.lists(st.sampled_from(WORDS + [" ", "，"]), min_size=1, max_size=3).map("".join).filter(
    lambda text: bool(compact(text))).map(lambda text: (text, True))
QUERY = st.builds(
    QuerySpec,
    groups=st.lists(st.lists(st.one_of(TERM, TERM, PHRASE), min_size=1, max_size=2), max_size=3),
    excluded=st.lists(st.one_of(TERM, PHRASE), max_size=2),
    style=st.integers(0, 1000),
)


def _subset(values):
    return st.lists(st.sampled_from(values), max_size=2, unique=True).map(tuple)


def _hour(hours):
    return EPOCH + timedelta(hours=hours)


FILTERS = st.builds(
    Filters,
    kinds=st.one_of(st.just(()), _subset(KINDS)),
    drafts=st.one_of(st.just(()), _subset(DRAFTS)),
    clause=st.one_of(st.none(), st.sampled_from(ALL_CLAUSES)),
    stances=st.one_of(st.just(()), _subset(STANCES[1:])),
    categories=st.one_of(st.just(()), _subset(CATEGORIES[1:])),
    liaison_points=st.one_of(st.just(()), _subset((5, 7))),
    states=st.one_of(st.just(()), _subset(STATES)),
    created_from=st.one_of(st.none(), st.integers(0, HOURS).map(_hour)),
    created_to=st.one_of(st.none(), st.integers(0, HOURS).map(_hour)),
    hidden_provision_drafts=st.one_of(st.just(()), _subset(DRAFTS)),
    hidden_opinion_drafts=st.one_of(st.just(()), _subset(DRAFTS)),
    hidden_states=st.one_of(st.just(()), st.just(("pending", "hidden"))),
)


class IndexMachine(RuleBasedStateMachine):
    stats = MergeStats()
    root = None  # where the examples' indexes go (the test's tmp_path)

    @initialize()
    def start(self):
        self.h = Harness(self.stats, self.root)

    def teardown(self):
        if hasattr(self, "h"):
            self.h.close()

    # --- changes -----------------------------------------------------------------------

    @rule(kind=st.sampled_from(KINDS), fields=FIELDS, parts=parts_strategy(), then_commit=st.booleans())
    def add(self, kind, fields, parts, then_commit):
        self.h.add(make_doc(self.h.new_id(kind), kind, fields, parts))
        if then_commit:
            self.h.commit()

    @precondition(lambda self: self.h.known_ids())
    @rule(data=st.data(), fields=FIELDS, parts=parts_strategy(), then_commit=st.booleans())
    def update(self, data, fields, parts, then_commit):
        doc_id = data.draw(st.sampled_from(self.h.known_ids()), label="doc_id")
        self.h.update(make_doc(doc_id, doc_id.partition(":")[0], fields, parts))
        if then_commit:
            self.h.commit()

    @precondition(lambda self: self.h.known_ids())
    @rule(data=st.data(), then_commit=st.booleans())
    def delete(self, data, then_commit):
        self.h.delete(data.draw(st.sampled_from(self.h.known_ids()), label="doc_id"))
        if then_commit:
            self.h.commit()

    @rule(where=st.one_of(st.fixed_dictionaries({"draft": st.sampled_from(DRAFTS).map(str)}),
                          st.fixed_dictionaries({"kind": st.just("provision"),
                                                 "draft": st.sampled_from(DRAFTS).map(str)})))
    def delete_where(self, where):
        self.h.delete_where(**where)

    # Mostly Whoosh's normal commit, so that its own policy gets to merge what it merged
    # before; sometimes no merge (segments pile up), optimize, or segments of our choice.
    @rule(how=st.sampled_from(["auto", "auto", "auto", "none", "none", "optimize", "chosen"]), data=st.data())
    def commit(self, how, data):
        if how == "chosen":
            ids = sorted(self.h._segment_ids())
            if len(ids) < 2:
                how = "auto"
            else:
                how = data.draw(st.lists(st.sampled_from(ids), min_size=2, max_size=len(ids), unique=True),
                                label="merge")
        self.h.commit(how)

    # Reopen from disk (this thread's cached searchers kept or closed), or now and then
    # rebuild a generation with SegmentBuilders (it starts the merge history afresh).
    @rule(how=st.sampled_from(["reopen", "forget", "reopen", "forget", "rebuild"]), pieces=st.integers(1, 3))
    def reopen(self, how, pieces):
        if how == "rebuild" and not self.h.pending and not self.h.pending_where:
            self.h.rebuild(pieces)
            return
        self.h.reopen()
        if how == "forget":
            forget_searchers()

    # --- searching ---------------------------------------------------------------------

    @rule(spec=QUERY, filters=FILTERS, sort=st.sampled_from(["relevance", "newest"]),
          offset=st.integers(0, 6), limit=st.integers(1, 5), fresh=st.booleans())
    def search(self, spec, filters, sort, offset, limit, fresh):
        self.h.check_search(spec, filters, sort, offset, limit, fresh)

    @precondition(lambda self: self.h.committed)
    @rule(data=st.data(), quoted=st.booleans(), sort=st.sampled_from(["relevance", "newest"]))
    def search_a_piece_of_a_document(self, data, quoted, sort):
        """A run of some document's text finds it (and whatever else holds it)."""
        doc = self.h.committed[data.draw(st.sampled_from(sorted(self.h.committed)), label="doc")]
        texts = [part for part in doc.compact_text.split(PART_SEPARATOR) if part]
        if not texts:
            return  # only punctuation and spaces: nothing to search for
        text = data.draw(st.sampled_from(texts), label="part")
        start = data.draw(st.integers(0, len(text) - 1), label="start")
        piece = text[start:start + data.draw(st.integers(1, 6), label="length")]
        total = self.h.check_search(QuerySpec([[(piece, quoted)]], []), Filters(), sort, 0, 3)
        assert total >= 1

    @rule(data=st.data(), fresh=st.booleans())
    def whoosh_term(self, data, fresh):
        field_name = data.draw(st.sampled_from(["words", "grams", "draft", "state", "clause", "doc_id"]))
        if field_name == "words":
            value = data.draw(st.sampled_from(sorted({fold(word) for word in WORDS})))
        elif field_name == "grams":
            value = data.draw(st.sampled_from(["停车", "车位", "物业", "服务", "噪声", "abc", "x1", "27", "的"]))
        elif field_name == "draft":
            value = data.draw(st.sampled_from(DRAFTS).map(str))
        elif field_name == "state":
            value = data.draw(st.sampled_from(STATES))
        elif field_name == "clause":
            value = data.draw(st.sampled_from(ALL_CLAUSES))
        else:
            value = data.draw(st.sampled_from(self.h.known_ids() or ["opinion:1"]))
        self.h.check_whoosh(field_name, value, fresh)


# Steps per example: enough commits for automatic merges of merged segments (Whoosh
# merges when about five small segments have piled up).
STATE_MACHINE_SETTINGS = settings(
    max_examples=20, stateful_step_count=150, deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much, HealthCheck.data_too_large],
)


@pytest.mark.slow
def test_index_state_machine_against_the_model(tmp_path):
    stats = IndexMachine.stats = MergeStats()
    IndexMachine.root = tmp_path
    run_state_machine_as_test(IndexMachine, settings=STATE_MACHINE_SETTINGS)
    if not settings().derandomize:
        # Random sequences (a developer's run without HYPOTHESIS_PROFILE=ci) may, rarely,
        # all fall short of one kind of merge; CI's derandomized sequences are fixed and
        # checked below, and the 500-commit test asserts merges of merged segments always.
        return
    # Long enough to merge what merges made, automatically and by the other policies.
    assert stats.merges_of_merged["auto"] >= 1, stats
    assert sum(stats.merges_of_merged.values()) >= 3, stats
    assert stats.merged_builder_segments >= 1, stats


# --- a long deterministic run --------------------------------------------------------------------

#: In about one document in a hundred: its posting lists are arrays of document
#: numbers, not bitsets (``search.backend.whoosh.postings.DENSE_RATIO``).
RARE = "鲜见"


def _random_doc(rng: random.Random, doc_id: str) -> Doc:
    parts = ["".join(rng.choice(WORDS + FILLERS) for _ in range(rng.randint(1, 6))) for _ in range(rng.randint(1, 3))]
    if rng.random() < 0.01:
        parts[-1] += RARE
    return Doc(doc_id=doc_id, kind=doc_id.partition(":")[0], draft=str(rng.choice(DRAFTS)),
               stance=rng.choice(STANCES), category=rng.choice(CATEGORIES), liaison=rng.choice(LIAISONS),
               state=rng.choice(STATES), article=rng.choice(ARTICLES), hour=rng.randrange(HOURS), parts=tuple(parts))


def _random_query(rng: random.Random) -> QuerySpec:
    def term():
        return rng.choice(QUERY_TERMS + [RARE, "见"]), rng.random() < 0.4

    groups = [[term() for _ in range(rng.randint(1, 2))] for _ in range(rng.randint(0, 2))]
    excluded = [term() for _ in range(rng.randint(0, 1))]
    return QuerySpec(groups, excluded, style=rng.randrange(1000))


@pytest.mark.slow
def test_five_hundred_commits_with_deletes_and_updates_match_the_model(tmp_path):
    """One to three changes per commit, as the indexer makes them, through Whoosh's
    automatic merges (and an occasional optimize and reopen); every 25 commits a set of
    searches is compared with the model."""
    _long_run(random.Random(13), tmp_path)


def _long_run(rng: random.Random, root=None) -> None:
    stats = MergeStats()
    h = Harness(stats, root)
    try:
        for number in range(1, 501):
            for _ in range(rng.randint(1, 3)):
                roll = rng.random()
                known = h.known_ids()
                if roll < 0.5 or not known:
                    kind = "opinion" if rng.random() < 0.8 else "provision"
                    h.add(_random_doc(rng, h.new_id(kind)))
                elif roll < 0.75:
                    h.update(_random_doc(rng, rng.choice(known)))
                elif roll < 0.97:
                    h.delete(rng.choice(known))
                else:
                    h.delete_where(kind="provision", draft=str(rng.choice(DRAFTS)))
            h.commit("optimize" if number % 200 == 0 else "auto")
            if number % 60 == 0:
                h.reopen()
            if number % 25 == 0:
                for k in range(12):
                    filters = Filters(drafts=(rng.choice(DRAFTS),)) if k % 3 == 0 else Filters()
                    if k % 4 == 1:
                        filters = replace(filters, hidden_states=("pending", "hidden"))
                    h.check_search(_random_query(rng), filters, rng.choice(["relevance", "newest"]),
                                   rng.randrange(5), rng.randint(1, 5), fresh=k % 2 == 0)
                h.check_search(QuerySpec([], []), Filters(kinds=("opinion",)), "newest", 0, 10)
                h.check_whoosh("words", "停车")
                h.check_whoosh("grams", "车位")
                h.check_whoosh("state", "pending")
        assert h.commits == 500
        assert stats.merges_of_merged["auto"] >= 5, stats
        # The index stays small: merges keep up with one commit after another.
        assert h.segment_count() < 20
        # Both encodings of a posting list were written, merged and searched.
        encodings = _posting_encodings(h.ix)
        assert encodings["bitset"] and encodings["array"], encodings
        h.check_whoosh("words", RARE)
        h.check_search(QuerySpec([[(RARE, False)]], []), Filters(), "newest", 0, 5)
    finally:
        h.close()


def _posting_encodings(ix) -> Counter:
    """How the posting lists of the text fields and document ids are stored."""
    found = Counter()
    with ix.searcher() as searcher:
        for leaf, _base in searcher.leaf_searchers():
            reader = leaf.reader()
            for field_name in ("words", "grams", "doc_id"):
                for term in reader.lexicon(field_name):
                    blob = _blob(reader, field_name, term.decode("utf-8"))
                    flags = decode_postings(blob)[0]
                    found["bitset" if flags & _DENSE else "array"] += 1
    return found
