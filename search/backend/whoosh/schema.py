"""The Whoosh schema of the index, its version, and what a document puts in each field.

One index holds every kind of document (opinions, provisions and plan proposals;
dispositions later) with a common set of fields:

* filter fields are untokenized IDs (one term each; ``clause`` has one per clause the
  document belongs to); the query code reads their postings as bitsets, which also
  give the facet counts;
* ``words``: jieba's words (search-mode sub-words included), with their frequencies;
* ``grams``: every pair of neighbouring characters (and each part's last character),
  with their frequencies — any run of two or more characters of the text contains
  the bigrams of a query phrase, so looking them up finds every candidate;
* ``text`` (a column, not indexed): the document's compact text (folded, only the
  characters bigrams are made of; ``search.analysis.compact``). A phrase is in a
  document exactly when its compact form is in this text, so candidates are checked
  here. It replaces word positions: neither text field stores positions, which made up
  most of the index and of the time to write it (``bench/bench_search.py``);
* columns: ``doc_id`` (document number → id), ``article`` (its facet counts are taken
  per document), ``created`` (sorting newest first, date ranges).

The document id is the only stored identifier: titles, labels and the texts shown are
read from the database when results are shown. The ``text`` column holds the words of
an opinion the way the postings already do (a hidden opinion's words are in the index
too, for staff); never contact details, which are not indexed at all.

``index_terms`` is the one place that turns a document's field values into terms,
lengths and column values: the fields' formats call it when Whoosh's own writer adds a
document (the indexer), and ``writing.SegmentBuilder`` calls it directly (a
rebuild), so both write the same thing.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from whoosh.analysis import Token, Tokenizer
from whoosh.fields import COLUMN, ID, KEYWORD, TEXT, Schema
from whoosh.formats import Format

from search.analysis import compact, fingerprint, gram_counts, gram_tokens, word_counts, word_tokens
from search.backend.whoosh.codec import Int64Column, StringColumn, TextColumn

#: Bump whenever a field is added, removed or changes type, the codec changes, or what
#: documents put in a field changes; with the analyzer's fingerprint it decides whether
#: an existing index can be kept (see ``schema_id``). 6: citations in the indexed text
#: leave out 第一款 of a one-paragraph article (``participation.citations``). 7: proposals
#: (立法项目建议) and their ``call`` field.
SCHEMA_VERSION = 7

#: Filter fields with facet counts (from their postings; ``article`` from its column).
FACET_FIELDS = ("kind", "draft", "article", "stance", "category", "liaison", "state")


# --- Whoosh tokenizers over search.analysis's token streams ---------------------------

class _StreamTokenizer(Tokenizer):
    """A Whoosh tokenizer over one of ``search.analysis``'s token streams. Instances
    are pickled into the index's schema, so they hold no state."""

    def _stream(self, text: str, mode: str):
        raise NotImplementedError

    def __eq__(self, other):
        return type(self) is type(other)

    def __hash__(self):
        return hash(type(self).__name__)

    def __call__(self, value, positions=False, chars=False, keeporiginal=False, removestops=True,
                 start_pos=0, start_char=0, tokenize=True, mode="", **kwargs):
        token = Token(positions, chars, removestops=removestops, mode=mode, **kwargs)
        for text, position, start, end in self._stream(value, mode):
            token.text = text
            token.boost = 1.0
            token.stopped = False
            if keeporiginal:
                token.original = text
            if positions:
                token.pos = start_pos + position
            if chars:
                token.startchar = start_char + start
                token.endchar = start_char + end
            yield token


class WordTokenizer(_StreamTokenizer):
    def _stream(self, text, mode):
        return word_tokens(text, subwords=mode != "query")


class GramTokenizer(_StreamTokenizer):
    def _stream(self, text, mode):
        return gram_tokens(text)


class CountedTerms(Format):
    """Terms with their frequencies, no positions, counted by ``search.analysis``
    (``word_counts`` or ``gram_counts``) rather than through Whoosh's token objects.
    Picklable (it is stored in the index's schema): it names its counter."""

    posting_size = 0

    def __init__(self, counter: str, field_boost: float = 1.0):
        self.counter = counter
        self.field_boost = field_boost
        self.options = {}

    def __eq__(self, other):
        return type(self) is type(other) and self.counter == other.counter

    def __hash__(self):
        return hash((type(self).__name__, self.counter))

    def supports(self, name):
        return name in ("frequency", "weight")

    def counts(self, value: str) -> tuple[dict[str, int], int]:
        if self.counter == "words":
            return word_counts(value)
        return gram_counts(compact(value))

    def word_values(self, value, analyzer, **kwargs):
        boost = self.field_boost
        counts, _length = self.counts(value)
        for term, count in counts.items():
            yield term, count, count * boost, b""

    def encode(self, value):
        return b""

    def decode_frequency(self, valuestring):
        return 1

    def decode_weight(self, valuestring):
        return self.field_boost


class CountedText(TEXT):
    """A scorable text field in the CountedTerms format. The analyzer (jieba words or
    bigrams, with ordinal positions) is kept for Whoosh's own tools; indexing goes
    through the format."""

    def __init__(self, counter: str, analyzer):
        super().__init__(analyzer=analyzer, phrase=False)
        self.format = CountedTerms(counter)


def build_schema() -> Schema:
    return Schema(
        doc_id=ID(unique=True, sortable=StringColumn()),  # "opinion:12", "provision:345"
        kind=ID(),                                          # opinion | provision | proposal
        draft=ID(),
        call=ID(),                                          # a proposal's legislative-plan call
        version=ID(),
        # Every clause the document belongs to: its own key and its ancestors' keys
        # (art.12.2.3 → art.12.2.3, art.12.2, art.12, ch.2), so filtering by an article
        # includes its paragraphs and items.
        clause=KEYWORD(lowercase=False, scorable=False),
        # The article (or preamble, annex, whole draft "_draft"); a column as well, for
        # its facet counts (hundreds of values in a draft).
        article=ID(sortable=StringColumn()),
        stance=ID(),
        category=ID(),
        liaison=ID(),
        batch=ID(),
        state=ID(),                                         # moderation state; "published" for provisions
        region=ID(),
        # Seconds since the epoch (UTC): sorts "newest first", checks date ranges.
        created=COLUMN(Int64Column()),
        text=COLUMN(TextColumn()),
        words=CountedText("words", WordTokenizer()),
        grams=CountedText("grams", GramTokenizer()),
    )


def schema_id() -> str:
    """What an index was built with; an index with another id is rebuilt."""
    return f"schema={SCHEMA_VERSION};analyzer={fingerprint()}"


# --- a document's terms ----------------------------------------------------------------------

@dataclass
class IndexPlan:
    """How each field of a schema is filled (see ``index_terms``)."""

    #: indexed field → "id", "keyword", "words" or "grams"
    indexed: dict[str, str] = field(default_factory=dict)
    #: scorable fields (their lengths are kept)
    scorable: tuple[str, ...] = ()
    #: column fields → default value
    columns: dict[str, object] = field(default_factory=dict)
    #: fields whose terms may occur more than once in a document
    frequencies: dict[str, bool] = field(default_factory=dict)


def index_plan(schema: Schema) -> IndexPlan:
    plan = IndexPlan()
    scorable = []
    for name in schema.names():
        fieldobj = schema[name]
        if fieldobj.indexed:
            if isinstance(fieldobj.format, CountedTerms):
                plan.indexed[name] = fieldobj.format.counter
                plan.frequencies[name] = True
            elif isinstance(fieldobj, KEYWORD):
                plan.indexed[name] = "keyword"
            elif isinstance(fieldobj, ID):
                plan.indexed[name] = "id"
            else:
                raise TypeError(f"field {name!r}: no term counting for {type(fieldobj).__name__}")
            if fieldobj.scorable:
                scorable.append(name)
        if fieldobj.column_type is not None:
            plan.columns[name] = fieldobj.column_type.default_value()
    plan.scorable = tuple(scorable)
    return plan


def index_terms(fields: dict, plan: IndexPlan) -> tuple[dict[str, dict[str, int]], dict[str, int], dict[str, object]]:
    """(terms by field {term: frequency}, lengths of scorable fields, column values)
    of a document given as Whoosh field values (``writing.whoosh_fields``)."""
    terms: dict[str, dict[str, int]] = {}
    lengths: dict[str, int] = {}
    for name, how in plan.indexed.items():
        value = fields.get(name)
        if value is None or value == "":
            if name in plan.scorable:
                lengths[name] = 0
            continue
        if how == "id":
            terms[name] = {value: 1}
        elif how == "keyword":
            counted: dict[str, int] = {}
            for term in value.split():
                counted[term] = counted.get(term, 0) + 1
            terms[name] = counted
        elif how == "words":
            terms[name], lengths[name] = word_counts(value)
        else:
            compacted = fields.get("text")
            if compacted is None:
                compacted = compact(value)
            terms[name], lengths[name] = gram_counts(compacted)
    column_values = {}
    for name, default in plan.columns.items():
        value = fields.get(name, default)
        if isinstance(value, str) and name != "text":
            value = value.encode("utf-8")  # as Whoosh passes ID fields' column values
        column_values[name] = value
    return terms, lengths, column_values
