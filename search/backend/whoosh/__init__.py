"""The search backend on Whoosh (the Whoosh-Reloaded fork): the only package that
imports ``whoosh``.

Modules:

``store``    the index folder (generations, the ``CURRENT`` pointer, meta.json,
             status.json), opening an index, checking its files against its table of
             contents, removing what an interrupted commit left
``writing``  documents as field values, ``Writer`` (upsert, add, delete, delete_where,
             commit, cancel), the bulk path of a rebuild (``SegmentBuilder``,
             ``commit_segments``)
``reading``  a searcher per thread, per-segment data kept between searches,
             ``search()`` (filters, exclusions, facet counts, scoring, the page)
``postings`` the posting lists: one blob per term, read whole as a bitset; the matcher
             and posting writer Whoosh's own code gets over them
``codec``    how the index is stored: Whoosh's W3 codec with those posting lists, and
             columns that load at once
``schema``   the fields, their version (``schema_id``), the tokenizers over
             ``search.analysis``'s token streams, what a document puts in each field
``queries``  a parsed query and filters as Whoosh query objects

Checked against **Whoosh-Reloaded 2.7.5** (``CHECKED_WHOOSH_VERSION``; pinned in
requirements.txt). ``tests/search/test_search_backend_seam.py`` fails when another
version is installed: before changing the pin, read each internal below in the new
version's source, run tests/search, then update ``CHECKED_WHOOSH_VERSION``.

Whoosh internals this package relies on (private names, or public ones whose
behaviour it depends on beyond their documentation):

postings
  * ``SegmentReader._terms._postfile`` (``_blob``): the term index's postings file, to
    read a posting list's blob whole at the extent its ``W3TermInfo`` gives;
    ``W3TermInfo.extent()`` returning the length as a 1-tuple (``extent``).
  * ``W3TermInfo._weight, _df, _minlength, _maxlength, _maxweight, _minid, _maxid``
    (``fill_terminfo``): filled directly, as Whoosh's own posting writer does.
  * ``ListMatcher._ids, _weights, _format, _scorer, _i, _all_weights, _term,
    _terminfo`` (``PostingsMatcher.copy``, ``all_items``), and that merging segments
    hands ``Matcher.value()`` to ``PostingPool.add``, which asserts bytes.
codec
  * ``SegmentReader._perdoc`` and its ``has_column``, ``column_reader`` and private
    ``_get_column_file`` (``lengths_array``, ``column``): a segment's columns and
    field-length bytes read in one piece, and the fallback to default values for a
    column whose file the segment lacks.
  * ``whoosh.codec.whoosh3._lenfield`` and ``LENGTHS_COLUMN`` (also in ``writing``):
    the name and type of the hidden length column of a scorable field.
  * ``W3Codec._blocklimit, _compression, _inlinelimit``: passed on to Whoosh's own
    posting writer for term vectors (unused by the schema).
  * ``BufferFile._buf`` (``TextColumn.Reader``): the mapped compound file, searched in
    place.
store
  * ``FileIndex._read_toc()`` and ``TOC._pattern`` / ``TOC._segment_pattern``
    (``check_files``): the table of contents, and which files in the folder belong to
    it; the temporary TOC name ``_<index>_<gen>.toc.<time>`` that Whoosh never removes.
  * ``CompoundStorage._dir`` / ``_diroffset`` (``check_files``): a compound segment's
    directory, to catch a file cut short.
  * ``FileIndex.lock("WRITELOCK")`` / the storage lock ``<index>_WRITELOCK``
    (``remove_leftovers``, ``Writer``): Whoosh's writer lock.
writing
  * ``SegmentWriter(ix, _lk=False)`` with ``writelock`` set afterwards (``Writer``):
    the lock is taken here, because a writer whose constructor fails keeps Whoosh's
    lock until garbage-collected.
  * ``SegmentWriter._tempstorage`` and ``is_closed`` (``Writer._abandon``): a failed
    commit or cancel keeps its lock and temporary folder; released here.
  * ``SegmentWriter._close_segment()``, ``_commit_toc(segments)``, ``_finish()``
    (``commit_segments``): list segments built elsewhere in the table of contents, as
    Whoosh's multiprocessing writer does.
  * ``update_document`` replaces documents of committed segments only, not one the
    same writer added (``search.indexer._apply`` writes each document once per batch).
  * ``W3PerDocWriter._create_column, _get_column, _fieldlengths, _doccount, _indoc``
    and ``W3FieldWriter._postfile, _fieldid, _tindex`` (``SegmentBuilder.finish``):
    a whole segment written with Whoosh's own file layout, without its per-posting
    path.
reading
  * ``SegmentReader._perdoc.deleted_docs()`` (``_deleted_bits``): a segment's deleted
    documents, as a set of numbers.
  * ``Searcher._ix`` and ``FileStorage.folder`` (``search``): the index folder, part
    of the key of the per-segment cache.
  * ``Searcher.refresh()`` is never used: 2.7.5 reuses the readers of unchanged
    segments with their cached deletions (``current_searcher``).

The tests reach further in for fault injection and white-box checks (``ix._segments()``,
``SegmentWriter._merge_segments``, ``TOC.write``, ``whoosh.index.clean_files``).

Pickles: an index's table of contents pickles its schema and segments, which name
classes of this package (``search.backend.whoosh.schema``; ``.codec``: the codec and
the column types) by module path; moving or renaming one of them makes older
generations unreadable (they are then rebuilt from the database: ``search.indexer``).
"""
from __future__ import annotations

from search.backend.whoosh.reading import RawHit, RawResults, current_searcher, forget_searchers, search
from search.backend.whoosh.schema import FACET_FIELDS, SCHEMA_VERSION, schema_id
from search.backend.whoosh.store import (
    FileCheck,
    IndexStore,
    IndexUnavailable,
    OpenIndex,
    WriterBusy,
    check_files,
    check_readable,
    remove_leftovers,
)
from search.backend.whoosh.writing import SegmentBuilder, Writer, commit_segments

#: The Whoosh-Reloaded release the internals listed above were read in.
CHECKED_WHOOSH_VERSION = "2.7.5"

__all__ = [
    "CHECKED_WHOOSH_VERSION", "FACET_FIELDS", "SCHEMA_VERSION", "FileCheck", "IndexStore", "IndexUnavailable",
    "OpenIndex", "RawHit", "RawResults", "SegmentBuilder", "Writer", "WriterBusy", "check_files",
    "check_readable", "commit_segments", "current_searcher", "forget_searchers", "remove_leftovers",
    "schema_id", "search",
]
