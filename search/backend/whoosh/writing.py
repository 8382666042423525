"""Changing an index: documents as Whoosh field values, a writer that adds, replaces and
deletes them by document id, and the bulk path of a rebuild (whole segments written by
``SegmentBuilder``, then listed in the index's table of contents at once).
"""
from __future__ import annotations

import os
from array import array
from collections import defaultdict
from datetime import timezone

from whoosh import index as whoosh_index
from whoosh.codec.whoosh3 import LENGTHS_COLUMN, W3FieldWriter, W3PerDocWriter, W3TermInfo, _lenfield
from whoosh.query import And, Term
from whoosh.system import pack_ushort
from whoosh.util.numeric import length_to_byte

from search.analysis import PART_SEPARATOR, compact
from search.backend.whoosh.codec import BulkColumnWriter, codec
from search.backend.whoosh.postings import encode_postings, fill_terminfo
from search.backend.whoosh.schema import index_plan, index_terms
from search.backend.whoosh.store import WriterBusy


def _epoch(value) -> int | None:
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    return int(value.timestamp())


def whoosh_fields(document: dict) -> dict:
    """A document (see ``search.documents``) as Whoosh field values."""
    # A separator typed inside a text must not split it.
    text = PART_SEPARATOR.join(part.replace(PART_SEPARATOR, " ") for part in document.get("parts") or ())
    fields = {
        "doc_id": document["doc_id"],
        "kind": document["kind"],
        "clause": " ".join(document.get("clause") or ()),
        "words": text,
        "grams": text,
        "text": compact(text),
    }
    for name in ("draft", "call", "version", "article", "stance", "category", "liaison", "batch", "state", "region"):
        value = document.get(name)
        if value:
            # IDs are single terms; whitespace would be kept inside the term anyway.
            fields[name] = str(value)
    created = _epoch(document.get("created"))
    if created is not None:
        fields["created"] = created
    return fields


class Writer:
    """One Whoosh writer on an index: add or replace documents, delete them, commit.

    Updates are by document id, so applying the same change twice is harmless.
    """

    def __init__(self, ix, *, timeout: float = 1.0, limitmb: int = 64):
        from whoosh.util.filelock import try_for
        from whoosh.writing import SegmentWriter

        # The lock is taken here rather than by Whoosh: its writer takes the lock, then
        # creates its temporary folder in the index directory, and when that fails (an
        # unwritable directory) the half-made writer kept the lock until the garbage
        # collector freed it, so this process's indexer found the index "busy" long
        # after the directory was writable again.
        lock = ix.lock("WRITELOCK")
        if not try_for(lock.acquire, timeout=timeout, delay=0.1):
            raise WriterBusy("the index is locked by another writer")
        try:
            self._writer = SegmentWriter(ix, _lk=False, limitmb=limitmb, codec=codec())
        except BaseException:
            lock.release()
            raise
        self._writer.writelock = lock  # released by its commit or cancel, as Whoosh's own
        self.changes = 0

    def upsert(self, document: dict) -> None:
        self._writer.update_document(**whoosh_fields(document))
        self.changes += 1

    def add(self, document: dict) -> None:
        """Add without looking for an older copy (for documents known to be absent)."""
        self._writer.add_document(**whoosh_fields(document))
        self.changes += 1

    def delete(self, doc_id: str) -> None:
        self._writer.delete_by_term("doc_id", doc_id)
        self.changes += 1

    def delete_where(self, **terms: str) -> None:
        """Delete every document whose fields have these values (for example
        ``kind="provision", draft="3"``)."""
        query = And([Term(name, str(value)) for name, value in terms.items()])
        self._writer.delete_by_query(query)
        self.changes += 1

    def commit(self) -> None:
        try:
            self._writer.commit()
        except BaseException:
            # Whoosh releases its write lock only at the end of a commit that worked:
            # after a failed one (a failing merge) this process kept the lock, and its
            # every later cycle found the index "busy" instead of failing again.
            self._abandon()
            raise

    def cancel(self) -> None:
        try:
            self._writer.cancel()
        except Exception:
            self._abandon()

    def _abandon(self) -> None:
        """Release what a failed commit or cancel left held; the files it wrote are not
        in the table of contents (``check_files`` reports them as leftovers)."""
        writer = self._writer
        try:
            writer._tempstorage.destroy()
        except Exception:
            pass
        lock = getattr(writer, "writelock", None)
        if lock is not None:
            try:
                lock.release()
            except Exception:
                pass
        writer.is_closed = True

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb):
        if exc_type is None:
            self.commit()
        else:
            self.cancel()


# --- bulk building (rebuild) ----------------------------------------------------------

class SegmentBuilder:
    """Writes one segment of a new generation from documents, in a worker process of a
    parallel rebuild or in the rebuilding process itself, without Whoosh's per-posting
    path: terms are counted per document by ``schema.index_terms`` (the same function
    the schema's fields use when Whoosh's writer adds a document), gathered per term in
    arrays, and written term by term when the segment is finished.

    The segment is not part of the index until ``commit_segments`` lists it in the
    index's table of contents, as Whoosh's own multiprocessing writer does."""

    def __init__(self, path: str | os.PathLike):
        ix = whoosh_index.open_dir(str(path))
        self.codec = codec()
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

    def add(self, document: dict) -> None:
        docnum = self.count
        terms, lengths, column_values = index_terms(whoosh_fields(document), self.plan)
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
        """Write the segment's files; the finished segment (picklable), or None when
        nothing was added."""
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
            if isinstance(writer, BulkColumnWriter):
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
                fill_terminfo(terminfo, ids, weight, maxweight, None, 0)
                blob = encode_postings(ids, counts)
                terminfo.set_extent(postfile.tell(), len(blob))
                postfile.write(blob)
                add(pack_ushort(fieldid) + term.encode("utf-8"), terminfo.to_bytes())
            fields.finish_field()
        fields.close()
        segment.set_doc_count(self.count)
        segment.create_compound_file(storage)
        return segment


def commit_segments(path: str | os.PathLike, segments: list) -> None:
    """Make ``segments`` (from SegmentBuilders) the content of the index at ``path``."""
    ix = whoosh_index.open_dir(str(path))
    writer = ix.writer(codec=codec())
    try:
        writer._close_segment()
        writer._commit_toc([segment for segment in segments if segment is not None])
    except BaseException:
        writer.cancel()
        raise
    writer._finish()
