"""The seam between the search package and the engine that keeps the index.

The rest of ``search`` (the outbox, the indexer, the query language, hydration) uses
only the names below, and nothing outside ``search.backend.whoosh`` imports Whoosh.
Documents go in as plain dicts (``search.documents``); queries as a
``search.query.ParsedQuery`` with ``search.query.Filters``; document ids come out.

The index files
    ``IndexStore(path)``: ``open()`` the live generation (an ``OpenIndex``: ``name``,
    ``path``, ``meta``, ``is_stale``, ``document_count()``; its ``index`` is the
    engine's handle, passed back to ``Writer``), ``create_generation()``,
    ``write_meta``, ``publish`` (swap the live generation), ``remove_old_generations``,
    ``read_status`` / ``write_status``. ``check_files`` / ``remove_leftovers`` /
    ``check_readable``: is the live generation whole, and clean what an interrupted
    commit left. ``IndexUnavailable`` (``reason``: missing, corrupt) when it cannot be
    used. ``schema_id()``: what an index must have been built with to be kept.
Changing an index
    ``Writer(index)``: ``upsert``, ``add``, ``delete(doc_id)``, ``delete_where(**terms)``,
    ``commit``, ``cancel`` (a context manager); ``WriterBusy`` when another writer
    holds the engine's lock. ``upsert`` replaces a document of a committed segment,
    not one the same writer added before (write each document once per writer).
Rebuilding by segments
    ``SegmentBuilder(path)`` per worker (``add``, ``finish()`` → a picklable segment),
    then ``commit_segments(path, segments)``.
Searching
    ``current_searcher(store)`` → (OpenIndex, searcher), kept per thread;
    ``search(searcher, parsed, filters, sort=, offset=, limit=, facet_fields=,
    time_budget=)`` → ``RawResults`` (total, hits of ``RawHit(doc_id, score)``, facet
    counts, truncated); ``forget_searchers()``.
"""
from __future__ import annotations

from search.backend.whoosh import (  # noqa: F401  (the interface, re-exported)
    FACET_FIELDS,
    FileCheck,
    IndexStore,
    IndexUnavailable,
    OpenIndex,
    RawHit,
    RawResults,
    SegmentBuilder,
    Writer,
    WriterBusy,
    check_files,
    check_readable,
    commit_segments,
    current_searcher,
    forget_searchers,
    remove_leftovers,
    schema_id,
    search,
)
