"""The index's faults while opinions arrive through the real server.

tests/search/test_search_faults.py drives the indexer itself (``search.drain``) around
each fault. Here gunicorn serves the app with its indexer thread running, as deployed,
and citizens submit through the API while the fault lasts:

* the index writer lock (``INSTANCE_PATH/search-writer.lock``) or Whoosh's own
  ``WRITELOCK`` in the live generation held by another process (this test process);
* the live generation's directory made unwritable (immutable, even for root).

Every submission answers 201 and is stored once; while the fault lasts the changes wait
in the outbox (or are indexed already, never neither); once it ends every opinion is
searchable and the outbox is empty, with no restart and nothing done by hand. (The
unwritable case once left the indexer "busy" for minutes after the directory was
writable again: see tests/search/test_search_writer_lock_release.py.)
"""
from __future__ import annotations

import time
import urllib.parse

import pytest

from search.backend import IndexStore
from search.locks import FileLock
from search.settings import WRITER_LOCK_FILE
from tests.live_opinions import (
    Server,
    searchable_opinion_ids,
    seed,
    stored_opinions,
    submit_concurrently,
    wait_until_indexed,
    wait_until_searchable,
    waiting_opinion_ids,
)
from tests.search.test_search_faults import _make_unwritable

pytestmark = pytest.mark.slow

CLIENTS, PER_CLIENT = 4, 5
TEXT = "路灯维修意见：第{c}组第{n}条，夜间照明不足。"
QUERY = "路灯维修"


@pytest.fixture
def live(app, database_url, tmp_path, make_draft, make_user):
    """(server, seeded data, index path): gunicorn over the test's database and instance
    folder, its indexer caught up with the fresh instance."""
    seeded = seed(make_draft, make_user, submitters=CLIENTS)
    instance = app.instance_path
    with Server(database_url, instance, tmp_path / "gunicorn.log") as server:
        index_path = app.config["SEARCH_INDEX_PATH"]
        wait_until_indexed(server, index_path)
        yield server, seeded, index_path


def _submit_during_fault(server, seeded) -> set[int]:
    """Submit while the fault lasts; the ids stored, each answered 201 exactly once."""
    answers = submit_concurrently(server, seeded["draft"], seeded["tokens"], PER_CLIENT, TEXT)
    receipts = [body["receipt"] for _status, _headers, body in answers]
    stored = stored_opinions()
    assert len(answers) == CLIENTS * PER_CLIENT
    assert sorted(receipts) == sorted(receipt for _id, receipt, _body, _token in stored)
    assert {body["id"] for _s, _h, body in answers} == {row[0] for row in stored}
    return {row[0] for row in stored}


def _nothing_lost_meanwhile(server, seeded, ids: set[int]) -> set[int]:
    """Every opinion waits in the outbox or is searchable already (read in that order,
    so one indexed in between is still seen); the ids still waiting."""
    time.sleep(1.5)  # several indexer cycles (SEARCH_POLL_SECONDS=0.2) meet the fault
    waiting = waiting_opinion_ids()
    found, _complete = searchable_opinion_ids(server, QUERY, seeded["staff"])
    assert ids <= waiting | found, sorted(ids - waiting - found)
    return waiting & ids


@pytest.mark.parametrize("lock", ["search-writer.lock", "whoosh WRITELOCK"])
def test_submissions_while_another_process_holds_the_index_lock(live, lock):
    server, seeded, index_path = live
    if lock == "search-writer.lock":
        holder = FileLock(server.instance_path / WRITER_LOCK_FILE)
        assert holder.acquire(timeout=30)
        release = holder.release
    else:
        writer = IndexStore(index_path).open().index.writer()  # takes the live generation's WRITELOCK
        release = writer.cancel
    try:
        ids = _submit_during_fault(server, seeded)
        still_waiting = _nothing_lost_meanwhile(server, seeded, ids)
        # The lock is held: no indexer got to them (they all still wait).
        assert still_waiting == ids
    finally:
        release()
    wait_until_searchable(server, QUERY, seeded["staff"], ids)


def test_submissions_while_the_index_directory_is_not_writable(live):
    server, seeded, index_path = live
    store = IndexStore(index_path)
    undo = _make_unwritable(store.base / store.current_name())
    if undo is None:
        pytest.skip("cannot make a directory unwritable here")
    try:
        ids = _submit_during_fault(server, seeded)
        _nothing_lost_meanwhile(server, seeded, ids)
        # Searching still answers (what was indexed before), never a 500.
        status, _headers, body = server.request("GET", "/search?q=" + urllib.parse.quote(QUERY))
        assert status == 200
    finally:
        undo()
    wait_until_searchable(server, QUERY, seeded["staff"], ids)

