"""The Whoosh schema of the index, and its version.

One index holds every kind of document (opinions and provisions now; plan proposals
and dispositions later) with a common set of fields. Filter fields are untokenized IDs;
those with facet counts are sortable (Whoosh keeps a column per document for them).
Only the document id is stored: texts, titles and labels are read from the database
when results are shown, so the index never holds contact details or anything else a
page must not show.
"""
from __future__ import annotations

import struct
from itertools import accumulate

from whoosh.columns import NumericColumn
from whoosh.fields import COLUMN, ID, KEYWORD, TEXT, Schema
from whoosh.formats import Positions
from whoosh.system import unpack_uint

from search.analysis import GramTokenizer, WordTokenizer, _StreamTokenizer, fingerprint

#: Bump whenever a field is added, removed or changes type; with the analyzer's
#: fingerprint it decides whether an existing index can be kept (see ``schema_id``).
SCHEMA_VERSION = 4


_SINGLE = struct.Struct(">II")


class PackedPositions(Positions):
    """Whoosh's Positions format, faster to write and read: position deltas packed as
    unsigned 32-bit integers instead of a pickled list, and token streams from our
    tokenizers read directly rather than through Token objects. Indexing spends most of
    its time per posting, so this matters for rebuild throughput."""

    def word_values(self, value, analyzer, **kwargs):
        if not isinstance(analyzer, _StreamTokenizer):
            yield from super().word_values(value, analyzer, **kwargs)
            return
        positions: dict[str, list[int]] = {}
        for text, position, _start, _end in analyzer._stream(value, kwargs.get("mode", "index")):
            found = positions.get(text)
            if found is None:
                positions[text] = [position]
            else:
                found.append(position)
        boost = self.field_boost
        encode = self.encode
        for text, found in positions.items():
            yield text, len(found), len(found) * boost, encode(found)

    def encode(self, poslist):
        # The count first, big-endian, as Whoosh's own formats do (decode_frequency
        # reads it), then the deltas; most postings have a single position.
        count = len(poslist)
        if count == 1:
            return _SINGLE.pack(1, poslist[0])
        deltas = [poslist[0]] + [b - a for a, b in zip(poslist, poslist[1:])] if count else []
        return struct.pack(f">I{count}I", count, *deltas)

    def decode_positions(self, valuestring):
        count = unpack_uint(valuestring[:4])[0]
        return list(accumulate(struct.unpack_from(f">{count}I", valuestring, 4)))

    def combine(self, vs):
        merged = set()
        for v in vs:
            merged.update(self.decode_positions(v))
        return self.encode(sorted(merged))


class PackedText(TEXT):
    """A TEXT field with phrase support in the PackedPositions format."""

    def __init__(self, analyzer):
        super().__init__(analyzer=analyzer, phrase=True)
        self.format = PackedPositions(field_boost=self.format.field_boost)

#: Fields with facet counts; each is a sortable ID.
FACET_FIELDS = ("kind", "draft", "article", "stance", "category", "liaison", "state")


def build_schema() -> Schema:
    return Schema(
        doc_id=ID(unique=True, stored=True),   # "opinion:12", "provision:345"
        kind=ID(sortable=True),                # opinion | provision
        draft=ID(sortable=True),
        version=ID(),
        # Every clause the document belongs to: its own key and its ancestors' keys
        # (art.12.2.3 → art.12.2.3, art.12.2, art.12, ch.2), so filtering by an article
        # includes its paragraphs and items.
        clause=KEYWORD(lowercase=False, scorable=False),
        article=ID(sortable=True),             # the article (or preamble, annex, whole draft "_draft")
        stance=ID(sortable=True),
        category=ID(sortable=True),
        liaison=ID(sortable=True),
        batch=ID(),
        state=ID(sortable=True),               # moderation state of opinions; "published" for provisions
        region=ID(),
        # Seconds since the epoch (UTC); a column only, not indexed: date ranges are
        # checked on it while matches are collected, and it sorts "newest first".
        created=COLUMN(NumericColumn("q", default=0)),
        words=PackedText(WordTokenizer()),
        grams=PackedText(GramTokenizer()),
    )


def schema_id() -> str:
    """What an index was built with; an index with another id is rebuilt."""
    return f"schema={SCHEMA_VERSION};analyzer={fingerprint()}"
