"""The posting lists of this project's codec: one blob per term, read whole as a bitset.

Whoosh's own posting format cuts every posting list into blocks of 128 postings, each
pickled and compressed; reading a term that is in 40% of a million opinions means
unpickling thousands of blocks, and writing one handles every posting several times in
Python. Here:

* a **posting list** is one blob per term: the documents as a *bitset* (one bit per
  document of the segment) when the term is in at least one document in 64, otherwise
  as an array of 32-bit document numbers; and the few documents where the term occurs
  more than once, with their counts (every other document counts once). No positions:
  phrases are checked against the ``text`` column (see ``schema``).
* the query code (``reading``) reads a posting list straight into a Python integer
  used as a bitset (``postings_bits``), so AND, OR and NOT over a million documents,
  and counting the result, are single C operations;
* Whoosh's own readers (``searcher.search``, deleting by term, merging segments) get a
  ``PostingsMatcher`` (a ``ListMatcher``) over the same data, and Whoosh's writer
  writes through ``SearchPostingsWriter`` (``codec.SearchCodec`` hands out both).
"""
from __future__ import annotations

import re
import struct
import sys
from array import array
from itertools import compress

from whoosh.codec import base
from whoosh.matching import ListMatcher
from whoosh.reading import TermNotFound

_BIG_ENDIAN = sys.byteorder == "big"

POSTINGS_MAGIC = b"SPb1"
#: magic, flags, document count, bytes of the document part, number of counted documents
_HEADER = struct.Struct("<4sBIII")
_DENSE = 1
#: A term in at least one document in DENSE_RATIO is stored as a bitset (at most twice
#: the size of the array it replaces, and read without decoding).
DENSE_RATIO = 64
_MAX_COUNT = 0xFFFF


def le_bytes(values: array) -> bytes:
    """The bytes of an array in little-endian order (the order every file of this codec uses)."""
    if _BIG_ENDIAN:
        values = array(values.typecode, values)
        values.byteswap()
    return values.tobytes()


def le_array(typecode: str, data) -> array:
    """An array read from little-endian bytes (the inverse of ``le_bytes``)."""
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
        body = le_bytes(ids if isinstance(ids, array) and ids.typecode == "I" else array("I", ids))
    if counts:
        counted = sorted(counts)
        tail = le_bytes(array("I", counted)) + le_bytes(array("H", [min(counts[d], _MAX_COUNT) for d in counted]))
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
        docs = le_array("I", data[at:at + 4 * counted])
        values = le_array("H", data[at + 4 * counted:at + 6 * counted])
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
    offset, length = extent(terminfo)
    return reader._terms._postfile.get(offset, length)


def extent(terminfo) -> tuple[int, int]:
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
        ids = le_array("I", body)
        bits = int.from_bytes(ids_to_bitset_bytes(ids, (ids[-1] >> 3) + 1), "little") if ids else 0
    return Postings(bits, df, counts)


def decode_ids(flags: int, body) -> list[int]:
    """The document numbers of a posting list's document part (``decode_postings``)."""
    if flags & _DENSE:
        return bits_to_ids(int.from_bytes(body, "little"))
    return le_array("I", body).tolist()


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
        fill_terminfo(terminfo, self._ids, self._weight, self._maxweight, self._minlength, self._maxlength)
        blob = encode_postings(self._ids, self._counts)
        offset = self._postfile.tell()
        self._postfile.write(blob)
        terminfo.set_extent(offset, len(blob))
        self._terminfo = None
        return terminfo


def fill_terminfo(terminfo, ids, weight, maxweight, minlength, maxlength) -> None:
    terminfo._weight = float(weight)
    terminfo._df = len(ids)
    terminfo._minlength = minlength
    terminfo._maxlength = maxlength or 0
    terminfo._maxweight = float(maxweight)
    terminfo._minid = ids[0] if len(ids) else None
    terminfo._maxid = ids[-1] if len(ids) else None
