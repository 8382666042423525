"""How the index is stored: Whoosh's W3 codec with this project's posting lists
(``postings``), and columns that load at once.

This codec keeps Whoosh's segments, term index, per-document columns, deletions and
merging, and changes the postings only. ``StringColumn``, ``Int64Column`` and
``TextColumn`` are columns that load in one read; the writer of a whole segment
(``writing.SegmentBuilder``) fills them in bulk.

An index's table of contents pickles its segments (with their ``SearchCodec``) and its
schema (with these column types) by module path: they stay in this module, or older
generations become unreadable (and are then rebuilt, ``search.indexer``).
"""
from __future__ import annotations

import re
import struct
from array import array

from whoosh import columns
from whoosh.codec.whoosh3 import W3Codec, W3PostingsWriter, _lenfield
from whoosh.filedb.structfile import BufferFile

from search.backend.whoosh.postings import (
    PostingsMatcher,
    SearchPostingsWriter,
    decode_ids,
    decode_postings,
    extent,
    le_array,
    le_bytes,
)

class SearchCodec(W3Codec):
    """Whoosh's W3 codec with the posting lists of ``postings``.

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
        offset, length = extent(terminfo)
        flags, _df, body, counts = decode_postings(dbfile.get(offset, length))
        ids = decode_ids(flags, body)
        weights = array("f", [float(counts.get(d, 1)) for d in ids]) if counts else array("f", [1.0]) * len(ids)
        return PostingsMatcher(ids, weights, None, format_, scorer=scorer, term=term, terminfo=terminfo)


def codec() -> SearchCodec:
    return SearchCodec()


# --- columns that load whole ---------------------------------------------------------------

_COLUMN_MAGIC = b"SPc1"


class BulkColumnWriter(columns.ColumnWriter):
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
        return BulkColumnWriter(dbfile, self)


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
        return head + le_bytes(offsets) + b"".join(table) + le_bytes(codes)

    def reader(self, dbfile, basepos, length, doccount):
        return StringColumn.Reader(dbfile.get(basepos, length), doccount)

    class Reader(columns.ColumnReader):
        def __init__(self, data: bytes, doccount: int):
            if data[:4] != _COLUMN_MAGIC:
                raise ValueError("not a string column of this codec")
            typecode, size, count = struct.unpack_from("<cII", data, 4)
            at = 4 + struct.calcsize("<cII")
            offsets = le_array("I", data[at:at + 4 * (size + 1)])
            at += 4 * (size + 1)
            blob = data[at:at + offsets[-1]]
            at += offsets[-1]
            self._values = [blob[offsets[k]:offsets[k + 1]] for k in range(size)]
            self._codes = le_array(typecode.decode(), data[at:])
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
        return _COLUMN_MAGIC + le_bytes(array("q", values))

    def reader(self, dbfile, basepos, length, doccount):
        return Int64Column.Reader(dbfile.get(basepos, length), doccount)

    class Reader(columns.ColumnReader):
        def __init__(self, data: bytes, doccount: int):
            if data[:4] != _COLUMN_MAGIC:
                raise ValueError("not an integer column of this codec")
            self._values = le_array("q", data[4:])
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
        return _COLUMN_MAGIC + struct.pack("<I", len(values)) + le_bytes(offsets) + b"".join(values)

    def reader(self, dbfile, basepos, length, doccount):
        return TextColumn.Reader(dbfile, basepos, length, doccount)

    class Reader(columns.ColumnReader):
        def __init__(self, dbfile, basepos: int, length: int, doccount: int):
            head = dbfile.get(basepos, 8)
            if head[:4] != _COLUMN_MAGIC:
                raise ValueError("not a text column of this codec")
            count = struct.unpack_from("<I", head, 4)[0]
            self._offsets = le_array("Q", dbfile.get(basepos + 8, 8 * (count + 1)))
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
