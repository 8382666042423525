"""A Whoosh writer that fails while it starts gives its lock back at once.

Whoosh's ``SegmentWriter`` takes the index's WRITELOCK first, then creates its
temporary storage (a ``MAIN.tmp`` folder) in the index directory. In an unwritable
directory that second step fails, and the half-made writer kept the lock: its file
descriptor stayed open until the garbage collector happened to free the object. The
indexer of that process then found the index "busy" on every cycle, long after the
directory had become writable again — found by the soak and by
tests/search/test_search_live_faults.py, where an idle server stayed "busy" for
minutes. The garbage collector is disabled here, so the test does not depend on when
it runs.
"""
from __future__ import annotations

import gc

import pytest

from search.backend import IndexStore, Writer, WriterBusy
from tests.search.test_search_faults import _make_unwritable


@pytest.fixture
def no_garbage_collection():
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def test_a_writer_that_cannot_start_leaves_the_index_unlocked(tmp_path, no_garbage_collection):
    store = IndexStore(tmp_path / "search")
    name, path, ix = store.create_generation()
    first = Writer(ix)  # creates the lock file while the directory is writable
    first.commit()
    undo = _make_unwritable(path)
    if undo is None:
        pytest.skip("cannot make a directory unwritable here")
    try:
        with pytest.raises(OSError):
            Writer(ix)
    finally:
        undo()
    try:
        writer = Writer(ix)
    except WriterBusy:
        pytest.fail("the failed writer kept the index's lock")
    writer.upsert({"doc_id": "opinion:1", "kind": "opinion", "parts": ["目录恢复可写之后的意见"]})
    writer.commit()
