"""How the index is stored: Whoosh's W3 codec with postings the query code can read
whole, and columns it can load at once.

Whoosh's own posting format cuts every posting list into blocks of 128 postings, each
pickled and compressed; reading a term that is in 40% of a million opinions means
unpickling thousands of blocks, and writing one handles every posting several times in
Python. This codec keeps Whoosh's segments, term index, per-document columns, deletions
and merging, and changes the postings only:

* a **posting list** is one blob per term: the documents as a *bitset* (one bit per
  document of the segment) when the term is in at least one document in 64, otherwise
  as an array of 32-bit document numbers; and the few documents where the term occurs
  more than once, with their counts (every other document counts once). No positions:
  phrases are checked against the ``text`` column (see ``schema``).
* the query code (``reading``) reads a posting list straight into a Python integer
  used as a bitset (``postings_bits``), so AND, OR and NOT over a million documents,
  and counting the result, are single C operations;
* Whoosh's own readers (``searcher.search``, deleting by term, merging segments) get a
  ``PostingsMatcher`` (a ``ListMatcher``) over the same data.

``SegmentBuilder`` writes a whole segment from documents without Whoosh's per-posting
path (a rebuild's worker processes use it); ``StringColumn``, ``Int64Column`` and
``TextColumn`` are columns that load in one read.
"""
from __future__ import annotations

import re
import struct
import sys
from array import array
from collections import defaultdict
from itertools import compress

from whoosh import columns
from whoosh.codec import base
from whoosh.codec.whoosh3 import (
    LENGTHS_COLUMN,
    W3Codec,
    W3FieldWriter,
    W3PerDocWriter,
    W3PostingsWriter,
    W3TermInfo,
    _lenfield,
)
from whoosh.filedb.structfile import BufferFile
from whoosh.matching import ListMatcher
from whoosh.reading import TermNotFound
from whoosh.system import pack_ushort
from whoosh.util.numeric import length_to_byte

_BIG_ENDIAN = sys.byteorder == "big"

# --- posting lists ------------------------------------------------------------------------

POSTINGS_MAGIC = b"SPb1"
#: magic, flags, document count, bytes of the document part, number of counted documents
_HEADER = struct.Struct("<4sBIII")
_DENSE = 1
#: A term in at least one document in DENSE_RATIO is stored as a bitset (at most twice
#: the size of the array it replaces, and read without decoding).
DENSE_RATIO = 64
_MAX_COUNT = 0xFFFF


def _le(values: array) -> bytes:
    if _BIG_ENDIAN:
        values = array(values.typecode, values)
        values.byteswap()
    return values.tobytes()


def _from_le(typecode: str, data) -> array:
    values = array(typecode)
    values.frombytes(data)
    if _BIG_ENDIAN:
        values.byteswap()
    return values


_BIT = (1, 2, 4, 8, 16, 32, 64, 128)


def ids_to_bitset_bytes(ids, size_bytes: int) -> bytearray:
    """Little-endian bitset bytes (bit d of byte d // 8 = document d) of ``ids``."""
    bits = bytearray(size_bytes)
    bit = _BIT
    for docnum in ids:
        bits[docnum >> 3] |= bit[docnum & 7]
    return bits


def ids_to_bits(ids) -> int:
    """The bitset (a Python integer) of a collection of document numbers."""
    if not ids:
        return 0
    return int.from_bytes(ids_to_bitset_bytes(ids, (max(ids) >> 3) + 1), "little")


_NONZERO = re.compile(rb"[^\x00]")
_BYTE_BITS = tuple(tuple(k for k in range(8) if value >> k & 1) for value in range(256))


_ZERO_ONE = bytes.maketrans(b"01", b"\x00\x01")


def bits_to_ids(bits: int, limit: int | None = None) -> list[int]:
    """The document numbers in a bitset, ascending (the first ``limit`` of them)."""
    if not bits:
        return []
    if limit is None and bits.bit_count() * 20 > bits.bit_length():
        # Dense (over 1 in 20): one flag byte per document, all in C; about 15 ms a
        # million documents, against twice that and more byte by byte below.
        flags = bin(bits)[:1:-1].encode("ascii").translate(_ZERO_ONE)
        return list(compress(range(len(flags)), flags))
    data = bits.to_bytes((bits.bit_length() + 7) >> 3, "little")
    found: list[int] = []
    byte_bits = _BYTE_BITS
    for match in _NONZERO.finditer(data):
        index = match.start()
        base_docnum = index << 3
        found.extend([base_docnum + k for k in byte_bits[data[index]]])
        if limit is not None and len(found) >= limit:
            return found[:limit]
    return found


def encode_postings(ids: array, counts: dict[int, int] | None) -> bytes:
    """One posting list: ``ids`` ascending; ``counts`` the documents where the term
    occurs more than once (every other one counts once)."""
    size = len(ids)
    if size and size * DENSE_RATIO >= ids[-1] + 1:
        flags = _DENSE
        body = bytes(ids_to_bitset_bytes(ids, (ids[-1] >> 3) + 1))
    else:
        flags = 0
        body = _le(ids if isinstance(ids, array) and ids.typecode == "I" else array("I", ids))
    if counts:
        counted = sorted(counts)
        tail = _le(array("I", counted)) + _le(array("H", [min(counts[d], _MAX_COUNT) for d in counted]))
    else:
        counted = ()
        tail = b""
    return _HEADER.pack(POSTINGS_MAGIC, flags, size, len(body), len(counted)) + body + tail


class Postings:
    """A decoded posting list: ``bits`` (a bitset integer), ``df`` and ``counts``
    ({docnum: count} for the documents where the term occurs more than once)."""

    __slots__ = ("bits", "df", "counts")

    def __init__(self, bits: int, df: int, counts: dict[int, int]):
        self.bits = bits
        self.df = df
        self.counts = counts


def decode_postings(data) -> tuple[int, int, bytes | array, dict[int, int]]:
    """(flags, df, body, counts) of a posting-list blob."""
    magic, flags, df, body_size, counted = _HEADER.unpack_from(data, 0)
    if magic != POSTINGS_MAGIC:
        raise ValueError("not a posting list of this codec")
    start = _HEADER.size
    body = data[start:start + body_size]
    counts: dict[int, int] = {}
    if counted:
        at = start + body_size
        docs = _from_le("I", data[at:at + 4 * counted])
        values = _from_le("H", data[at + 4 * counted:at + 6 * counted])
        counts = dict(zip(docs, values))
    return flags, df, body, counts


def _blob(reader, fieldname: str, text) -> bytes | None:
    """The posting-list blob of a term in a segment reader, or None."""
    try:
        terminfo = reader.term_info(fieldname, text)
    except TermNotFound:
        return None
    if terminfo.is_inlined():  # never written by this codec; Whoosh's own format
        return None
    offset, length = _extent(terminfo)
    return reader._terms._postfile.get(offset, length)


def _extent(terminfo) -> tuple[int, int]:
    offset, length = terminfo.extent()
    # W3TermInfo.from_bytes reads the length as a 1-tuple (Whoosh's own reader never
    # uses it).
    return offset, length[0] if isinstance(length, tuple) else length


def postings_bits(reader, fieldname: str, text) -> Postings | None:
    """The postings of a term in one segment as a bitset, or None when the segment
    does not have the term. Deleted documents are still in it."""
    data = _blob(reader, fieldname, text)
    if data is None:
        return None
    flags, df, body, counts = decode_postings(data)
    if flags & _DENSE:
        bits = int.from_bytes(body, "little")
    else:
        ids = _from_le("I", body)
        bits = int.from_bytes(ids_to_bitset_bytes(ids, (ids[-1] >> 3) + 1), "little") if ids else 0
    return Postings(bits, df, counts)


def _decode_ids(flags: int, body) -> list[int]:
    if flags & _DENSE:
        return bits_to_ids(int.from_bytes(body, "little"))
    return _from_le("I", body).tolist()


class PostingsMatcher(ListMatcher):
    """Whoosh's ``ListMatcher`` over a posting list of this codec, whose postings carry
    no value: ``value()`` is ``b""``.

    A ``ListMatcher`` built without values answers ``value()`` with the *text* ``""``.
    Searching never asks for it, but merging segments does: ``SegmentReader.iter_postings``
    hands ``m.value()`` to the writer's ``PostingPool.add``, which asserts bytes. Every
    automatic merge (Whoosh merges small segments on most commits after the first few)
    failed with ``AssertionError: vbytes=''`` and left the index unwritable for good."""

    def value(self):
        return b""

    def all_items(self):
        return ((docnum, b"") for docnum in self._ids)

    def copy(self):
        return self.__class__(self._ids, self._weights, None, self._format, self._scorer, self._i,
                              self._all_weights, term=self._term, terminfo=self._terminfo)


class SearchPostingsWriter(base.PostingsWriter):
    """Whoosh's posting-writer interface over ``encode_postings``: collects one term's
    postings, writes the blob when the term is finished."""

    def __init__(self, postfile):
        self._postfile = postfile
        self._terminfo = None
        self._ids = array("I")
        self._counts: dict[int, int] = {}
        self._weight = 0.0
        self._maxweight = 0.0
        self._minlength = None
        self._maxlength = 0

    def written(self):
        return False

    def start_postings(self, format_, terminfo):
        if self._terminfo is not None:
            raise Exception("Called start in a term")
        self._terminfo = terminfo
        self._ids = array("I")
        self._counts = {}
        self._weight = 0.0
        self._maxweight = 0.0
        self._minlength = None
        self._maxlength = 0

    def add_posting(self, id_, weight, vbytes, length=None):
        self._ids.append(id_)
        count = int(round(weight)) or 1
        if count > 1:
            self._counts[id_] = count
        self._weight += weight
        if weight > self._maxweight:
            self._maxweight = weight
        if length:
            if self._minlength is None or length < self._minlength:
                self._minlength = length
            if length > self._maxlength:
                self._maxlength = length

    def finish_postings(self):
        terminfo = self._terminfo
        _fill_terminfo(terminfo, self._ids, self._weight, self._maxweight, self._minlength, self._maxlength)
        blob = encode_postings(self._ids, self._counts)
        offset = self._postfile.tell()
        self._postfile.write(blob)
        terminfo.set_extent(offset, len(blob))
        self._terminfo = None
        return terminfo


def _fill_terminfo(terminfo, ids, weight, maxweight, minlength, maxlength) -> None:
    terminfo._weight = float(weight)
    terminfo._df = len(ids)
    terminfo._minlength = minlength
    terminfo._maxlength = maxlength or 0
    terminfo._maxweight = float(maxweight)
    terminfo._minid = ids[0] if len(ids) else None
    terminfo._maxid = ids[-1] if len(ids) else None


class SearchCodec(W3Codec):
    """Whoosh's W3 codec with this module's posting lists.

    Per-block length statistics are not gathered (``length_stats``): they only serve
    Whoosh's block-skipping top-N search, and gathering them reads the length column
    back once per posting."""

    length_stats = False

    def postings_writer(self, dbfile, byteids=False):
        if byteids:  # term vectors (not used by the schema): Whoosh's own format
            return W3PostingsWriter(dbfile, blocklimit=self._blocklimit, byteids=True,
                                    compression=self._compression, inlinelimit=self._inlinelimit)
        return SearchPostingsWriter(dbfile)

    def postings_reader(self, dbfile, terminfo, format_, term=None, scorer=None):
        if terminfo.is_inlined():
            return super().postings_reader(dbfile, terminfo, format_, term=term, scorer=scorer)
        offset, length = _extent(terminfo)
        flags, _df, body, counts = decode_postings(dbfile.get(offset, length))
        ids = _decode_ids(flags, body)
        weights = array("f", [float(counts.get(d, 1)) for d in ids]) if counts else array("f", [1.0]) * len(ids)
        return PostingsMatcher(ids, weights, None, format_, scorer=scorer, term=term, terminfo=terminfo)


def codec() -> SearchCodec:
    return SearchCodec()


# --- columns that load whole ---------------------------------------------------------------

_COLUMN_MAGIC = b"SPc1"


class _BulkColumnWriter(columns.ColumnWriter):
    """Collects a column's values and writes them once at ``finish``."""

    def __init__(self, dbfile, column):
        self._dbfile = dbfile
        self._column = column
        self._values: list = []

    def fill(self, docnum):
        missing = docnum - len(self._values)
        if missing > 0:
            self._values.extend([self._column.default_value()] * missing)

    def add(self, docnum, value):
        self.fill(docnum)
        self._values.append(value)

    def extend(self, values) -> None:
        """Values of the next documents, in order (the bulk builder)."""
        self._values.extend(values)

    def finish(self, doccount):
        self.fill(doccount)
        self._dbfile.write(self._column.serialize(self._values[:doccount]))


class _BulkColumn(columns.Column):
    """A column written whole at the end of the segment (``serialize``) and read with
    one read (its ``Reader``)."""

    reversible = False
    empty_value = b""

    def default_value(self, reverse=False):
        return self.empty_value

    def writer(self, dbfile):
        return _BulkColumnWriter(dbfile, self)


class StringColumn(_BulkColumn):
    """A text value per document (UTF-8 bytes, as Whoosh gives ID fields' column
    values), kept as a table of distinct values and an array of codes: the facet
    fields, where a million documents have a few hundred distinct values, and the
    document ids. ``codes()`` and ``values()`` give the arrays at once."""

    def serialize(self, values) -> bytes:
        index_of: dict[bytes, int] = {}
        table: list[bytes] = []
        codes = array("I")
        for value in values:
            if isinstance(value, str):
                value = value.encode("utf-8")
            code = index_of.get(value)
            if code is None:
                code = index_of[value] = len(table)
                table.append(value)
            codes.append(code)
        if len(table) < 0x10000:
            codes = array("H", codes)
        offsets = array("I", [0])
        for value in table:
            offsets.append(offsets[-1] + len(value))
        head = _COLUMN_MAGIC + struct.pack("<cII", codes.typecode.encode(), len(table), len(codes))
        return head + _le(offsets) + b"".join(table) + _le(codes)

    def reader(self, dbfile, basepos, length, doccount):
        return StringColumn.Reader(dbfile.get(basepos, length), doccount)

    class Reader(columns.ColumnReader):
        def __init__(self, data: bytes, doccount: int):
            if data[:4] != _COLUMN_MAGIC:
                raise ValueError("not a string column of this codec")
            typecode, size, count = struct.unpack_from("<cII", data, 4)
            at = 4 + struct.calcsize("<cII")
            offsets = _from_le("I", data[at:at + 4 * (size + 1)])
            at += 4 * (size + 1)
            blob = data[at:at + offsets[-1]]
            at += offsets[-1]
            self._values = [blob[offsets[k]:offsets[k + 1]] for k in range(size)]
            self._codes = _from_le(typecode.decode(), data[at:])
            self._doccount = doccount

        def __len__(self):
            return self._doccount

        def __getitem__(self, docnum):
            if docnum < len(self._codes):
                return self._values[self._codes[docnum]]
            return b""

        def __iter__(self):
            values = self._values
            for code in self._codes:
                yield values[code]
            for _ in range(self._doccount - len(self._codes)):
                yield b""

        def codes(self) -> array:
            return self._codes

        def values(self) -> list[bytes]:
            return self._values

        def sort_key(self, docnum):
            return self[docnum]


class Int64Column(_BulkColumn):
    """A signed 64-bit integer per document; ``array()`` gives them all at once."""

    reversible = True
    empty_value = 0

    def serialize(self, values) -> bytes:
        return _COLUMN_MAGIC + _le(array("q", values))

    def reader(self, dbfile, basepos, length, doccount):
        return Int64Column.Reader(dbfile.get(basepos, length), doccount)

    class Reader(columns.ColumnReader):
        def __init__(self, data: bytes, doccount: int):
            if data[:4] != _COLUMN_MAGIC:
                raise ValueError("not an integer column of this codec")
            self._values = _from_le("q", data[4:])
            missing = doccount - len(self._values)
            if missing > 0:
                self._values.extend([0] * missing)

        def __len__(self):
            return len(self._values)

        def __getitem__(self, docnum):
            return self._values[docnum]

        def __iter__(self):
            return iter(self._values)

        def array(self) -> array:
            return self._values

        def sort_key(self, docnum):
            return self._values[docnum]


class TextColumn(_BulkColumn):
    """A document's compact text (``search.analysis.compact``) as UTF-8: phrases are
    checked against it (``contains``) without copying it out of the segment file."""

    def serialize(self, values) -> bytes:
        values = [value.encode("utf-8") if isinstance(value, str) else value for value in values]
        offsets = array("Q", [0])
        total = 0
        for value in values:
            total += len(value)
            offsets.append(total)
        return _COLUMN_MAGIC + struct.pack("<I", len(values)) + _le(offsets) + b"".join(values)

    def reader(self, dbfile, basepos, length, doccount):
        return TextColumn.Reader(dbfile, basepos, length, doccount)

    class Reader(columns.ColumnReader):
        def __init__(self, dbfile, basepos: int, length: int, doccount: int):
            head = dbfile.get(basepos, 8)
            if head[:4] != _COLUMN_MAGIC:
                raise ValueError("not a text column of this codec")
            count = struct.unpack_from("<I", head, 4)[0]
            self._offsets = _from_le("Q", dbfile.get(basepos + 8, 8 * (count + 1)))
            self._count = count
            self._doccount = doccount
            self._base = basepos + 8 + 8 * (count + 1)
            self._dbfile = dbfile
            # A compound segment opened with mmap: search the mapped file in place.
            self._buffer = dbfile._buf if isinstance(dbfile, BufferFile) else None

        def __len__(self):
            return self._doccount

        def __getitem__(self, docnum):
            if docnum >= self._count:
                return b""
            start = self._offsets[docnum]
            end = self._offsets[docnum + 1]
            return self._dbfile.get(self._base + start, end - start)

        def __iter__(self):
            for docnum in range(self._doccount):
                yield self[docnum]

        def matching(self, docnums, needle: bytes, budget=None) -> list[int]:
            """The documents among ``docnums`` whose text contains ``needle``."""
            found = []
            offsets = self._offsets
            count = self._count
            base = self._base
            buffer = self._buffer
            if buffer is not None:
                search = re.compile(re.escape(needle)).search
                for k, docnum in enumerate(docnums):
                    if docnum < count and search(buffer, base + offsets[docnum], base + offsets[docnum + 1]):
                        found.append(docnum)
                    if budget is not None and not k & 1023 and budget():
                        break
            else:
                get = self._dbfile.get
                for k, docnum in enumerate(docnums):
                    if docnum < count:
                        start = offsets[docnum]
                        if needle in get(base + start, offsets[docnum + 1] - start):
                            found.append(docnum)
                    if budget is not None and not k & 1023 and budget():
                        break
            return found


def lengths_array(reader, fieldname: str) -> bytes:
    """The length byte (Whoosh's encoding, ``byte_to_length``) of a field in every
    document of a segment, read in one piece."""
    perdoc = reader._perdoc
    doccount = reader.doc_count_all()
    name = _lenfield(fieldname)
    if not perdoc.has_column(name):
        return bytes(doccount)
    colfile, offset, length = perdoc._get_column_file(name)
    try:
        data = colfile.get(offset, length)
    finally:
        colfile.close()
    if len(data) < doccount:
        data += bytes(doccount - len(data))
    return data[:doccount]


def column(reader, fieldname: str):
    """This codec's reader of a column (StringColumn, Int64Column, TextColumn); every
    document has the column's default value in a segment without the column's file.

    Whoosh's writer makes a column's file only when a document of the segment has a
    value for it (an ``article`` or ``created`` left out), and its own
    ``SegmentReader.column_reader`` falls back to default values; reading the file
    regardless failed with FileNotFoundError (a search's facet counts or ordering)."""
    column_type = reader.schema[fieldname].column_type
    perdoc = reader._perdoc
    if not perdoc.has_column(fieldname):
        doccount = reader.doc_count_all()
        data = column_type.serialize([column_type.default_value()] * doccount)
        return column_type.reader(BufferFile(data), 0, len(data), doccount)
    return perdoc.column_reader(fieldname, column_type)


# --- writing a whole segment -------------------------------------------------------------

class SegmentBuilder:
    """Writes one segment of an index from documents, without Whoosh's per-posting
    path: terms are counted per document by ``schema.index_terms`` (the same
    function the schema's fields use when Whoosh's writer adds a document), gathered
    per term in arrays, and written term by term when the segment is finished.

    The segment is not part of the index until it is listed in the index's table of
    contents (``writing.commit_segments``)."""

    def __init__(self, ix):
        from search.backend.whoosh.schema import index_plan

        self.codec = SearchCodec()
        self.storage = ix.storage
        self.indexname = ix.indexname
        self.schema = ix.schema
        self.segment = self.codec.new_segment(self.storage, self.indexname)
        self.plan = index_plan(self.schema)
        self.count = 0
        self._postings: dict[str, dict[str, array]] = {name: {} for name in self.plan.indexed}
        self._counts: dict[str, dict[str, dict[int, int]]] = {name: defaultdict(dict) for name in self.plan.indexed}
        self._columns: dict[str, list] = {name: [] for name in self.plan.columns}
        self._lengths: dict[str, bytearray] = {name: bytearray() for name in self.plan.scorable}
        self._totals: dict[str, int] = {name: 0 for name in self.plan.scorable}

    def add(self, fields: dict) -> None:
        from search.backend.whoosh.schema import index_terms

        docnum = self.count
        terms, lengths, column_values = index_terms(fields, self.plan)
        postings = self._postings
        for fieldname, counted in terms.items():
            table = postings[fieldname]
            for term in counted:
                found = table.get(term)
                if found is None:
                    found = table[term] = array("I")
                found.append(docnum)
            if self.plan.frequencies.get(fieldname):
                repeated = [term for term, count in counted.items() if count > 1]
                if repeated:
                    extra = self._counts[fieldname]
                    for term in repeated:
                        extra[term][docnum] = counted[term]
        for fieldname, length in lengths.items():
            self._lengths[fieldname].append(length_to_byte(length))
            self._totals[fieldname] += length
        for fieldname, value in column_values.items():
            self._columns[fieldname].append(value)
        self.count += 1

    def finish(self):
        """Write the segment's files; the segment (picklable), or None when empty."""
        if not self.count:
            return None
        storage = self.storage
        segment = self.segment
        # Per-document data: Whoosh's writer for the layout, filled column by column.
        perdoc = W3PerDocWriter(self.codec, storage, segment)
        for fieldname, values in self._columns.items():
            fieldobj = self.schema[fieldname]
            perdoc._create_column(fieldname, fieldobj.column_type)
            writer = perdoc._get_column(fieldname)
            if isinstance(writer, _BulkColumnWriter):
                writer.extend(values)
            else:
                for docnum, value in enumerate(values):
                    writer.add(docnum, value)
        for fieldname, lengths in self._lengths.items():
            name = _lenfield(fieldname)
            perdoc._create_column(name, LENGTHS_COLUMN)
            writer = perdoc._get_column(name)
            for docnum, code in enumerate(lengths):
                if code:
                    writer.add(docnum, code)
            perdoc._fieldlengths[fieldname] = self._totals[fieldname]
        perdoc._doccount = self.count
        perdoc._indoc = None
        perdoc.close()
        # Terms and postings, field by field in name order (the term index's key order).
        fields = W3FieldWriter(self.codec, storage, segment)
        postfile = fields._postfile
        for fieldname in sorted(self._postings):
            table = self._postings.pop(fieldname)
            extra = self._counts.pop(fieldname)
            fields.start_field(fieldname, self.schema[fieldname])
            fieldid = fields._fieldid
            add = fields._tindex.add
            for term in sorted(table):
                ids = table[term]
                counts = extra.get(term)
                weight = len(ids) + (sum(counts.values()) - len(counts) if counts else 0)
                maxweight = max(counts.values()) if counts else 1
                terminfo = W3TermInfo()
                _fill_terminfo(terminfo, ids, weight, maxweight, None, 0)
                blob = encode_postings(ids, counts)
                terminfo.set_extent(postfile.tell(), len(blob))
                postfile.write(blob)
                add(pack_ushort(fieldid) + term.encode("utf-8"), terminfo.to_bytes())
            fields.finish_field()
        fields.close()
        segment.set_doc_count(self.count)
        segment.create_compound_file(storage)
        return segment
