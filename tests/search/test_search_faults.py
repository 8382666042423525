"""The fault cases: the indexer killed mid-commit, the writer lock held by another
process, a missing or corrupt index, an index directory that is not writable.

In every case opinions are still accepted, the outbox keeps every change, the search
page and the API say that results may be incomplete (never a 500), and the index
recovers by itself (the next drain) or by rebuild. The killers and lock holders are
real processes."""
from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import func, select

from participation.extensions import db
from search.backend import IndexStore
from search.models import SearchOutboxEntry
from search.backend import forget_searchers
from tests.search.conftest import hit_ids

PROJECT_ROOT = Path(__file__).resolve().parents[2]

CHILD = r"""
import json, os, sys, time
config = json.loads(os.environ["SEARCH_TEST_CONFIG"])
mode, signal_file = sys.argv[1], sys.argv[2]

def paused():
    with open(signal_file, "w") as handle:
        handle.write(str(os.getpid()))
    time.sleep(300)

from app import create_app
app = create_app(config)
import search
from search import backend, settings

if mode == "before-toc":
    # Segment files written, table of contents not yet: the middle of Whoosh's commit.
    import whoosh.index
    original_write = whoosh.index.TOC.write
    def write(self, storage, indexname):
        paused()
        original_write(self, storage, indexname)
    whoosh.index.TOC.write = write
elif mode == "after-index-commit":
    # The index is committed, the outbox rows are not deleted yet.
    original_commit = backend.Writer.commit
    def commit(self):
        original_commit(self)
        paused()
    backend.Writer.commit = commit
elif mode == "hold-writer-lock":
    lock = settings.Settings.from_app(app).writer_lock
    assert lock.acquire()
    paused()
elif mode == "hold-whoosh-lock":
    opened = backend.IndexStore(app.config["SEARCH_INDEX_PATH"]).open()
    writer = opened.index.writer()
    paused()

print(search.drain(app))
"""


@pytest.fixture
def app_config(app_config):
    # Any waiting change counts as "behind", so the notice shows at once.
    app_config["SEARCH_STALE_SECONDS"] = 0
    return app_config


class Child:
    def __init__(self, app_config, mode: str, tmp_path: Path):
        self.signal_file = tmp_path / f"{mode}.signal"
        env = {**os.environ, "SEARCH_TEST_CONFIG": json.dumps(app_config), "PYTHONPATH": str(PROJECT_ROOT)}
        self.process = subprocess.Popen([sys.executable, "-c", CHILD, mode, str(self.signal_file)], cwd=PROJECT_ROOT,
                                        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)

    def wait_until_paused(self, timeout: float = 90.0) -> None:
        deadline = time.monotonic() + timeout
        while not self.signal_file.exists():
            if self.process.poll() is not None:
                out, err = self.process.communicate()
                raise AssertionError(f"child exited early ({self.process.returncode}):\n{out}\n{err}")
            if time.monotonic() > deadline:
                self.kill()
                raise AssertionError("child never reached the pause point")
            time.sleep(0.05)

    def kill(self) -> None:
        if self.process.poll() is None:
            os.kill(self.process.pid, signal.SIGKILL)
        self.process.wait(30)
        assert self.process.returncode in (-signal.SIGKILL, 0, 1) or self.process.returncode is not None


def _outbox_count() -> int:
    count = db.session.scalar(select(func.count()).select_from(SearchOutboxEntry))
    db.session.commit()
    return count


def _assert_incomplete(client, q: str) -> None:
    body = client.get("/api/v1/search", query_string={"q": q}).get_json()
    assert body["complete"] is False and body["notices"], body
    page = client.get("/search", query_string={"q": q})
    assert page.status_code == 200
    assert "结果可能不完整" in page.get_data(as_text=True)


def _accept_an_opinion(frozen_now, draft, make_user) -> int:
    """Opinions are still accepted through the real submission service."""
    from participation.models import Opinion
    from participation.services.opinions import OpinionInput, submit_opinion

    submitted = submit_opinion(draft, OpinionInput(body="故障期间提交的意见：公共厕所不足。"),
                                      author=make_user("citizen"), now=frozen_now.now)
    opinion = db.session.get(Opinion, submitted.id)
    created = submitted.created
    db.session.commit()
    assert created
    return opinion.id


@pytest.fixture
def indexed(frozen_now, public_draft, make_opinion, drain):
    """A draft with one indexed opinion."""
    first = make_opinion(public_draft, "已经索引的意见：公园开放时间。")
    drain()
    return first


@pytest.mark.parametrize("pause", ["before-toc", "after-index-commit"])
def test_indexer_killed_mid_commit_loses_nothing(app, app_config, tmp_path, indexed, public_draft, make_opinion,
                                                  make_user, frozen_now, drain, search_api, client, pause):
    waiting = make_opinion(public_draft, "等待索引的意见：健身器材老化。")
    child = Child(app_config, pause, tmp_path)
    child.wait_until_paused()
    child.kill()

    assert _outbox_count() >= 1  # nothing lost: the row is still there
    accepted = _accept_an_opinion(frozen_now, public_draft, make_user)
    if pause == "before-toc":
        assert search_api(q="健身器材")["total"] == 0
    _assert_incomplete(client, "健身器材")

    result = drain()  # the killed writer's locks died with it
    assert result.processed >= 2
    assert hit_ids(search_api(q="健身器材")) == [waiting.id]
    assert hit_ids(search_api(q="公共厕所")) == [accepted]
    assert hit_ids(search_api(q="公园开放")) == [indexed.id]  # once, not twice
    assert _outbox_count() == 0
    assert search_api(q="健身器材")["complete"] is True


@pytest.mark.parametrize("lock", ["hold-writer-lock", "hold-whoosh-lock"])
def test_writer_lock_held_by_another_process(app, app_config, tmp_path, indexed, public_draft, make_opinion, make_user,
                                             frozen_now, drain, search_api, client, lock):
    import search

    child = Child(app_config, lock, tmp_path)
    try:
        child.wait_until_paused()
        waiting = make_opinion(public_draft, "锁被占用时的意见：路灯不亮。")
        db.session.commit()
        result = search.drain(app)
        assert result.busy and not result.processed
        assert _outbox_count() == 1
        accepted = _accept_an_opinion(frozen_now, public_draft, make_user)
        _assert_incomplete(client, "路灯")
        assert hit_ids(search_api(q="公园开放")) == [indexed.id]  # searching still works
    finally:
        child.kill()
    drain()
    assert hit_ids(search_api(q="路灯")) == [waiting.id]
    assert hit_ids(search_api(q="公共厕所")) == [accepted]


def test_missing_index_directory(app, indexed, public_draft, make_opinion, make_user, frozen_now, drain, search_api,
                                 client):
    forget_searchers()
    shutil.rmtree(app.config["SEARCH_INDEX_PATH"])
    _assert_incomplete(client, "公园开放")
    accepted = _accept_an_opinion(frozen_now, public_draft, make_user)
    result = drain()
    assert result.rebuilt
    assert hit_ids(search_api(q="公园开放")) == [indexed.id]
    assert hit_ids(search_api(q="公共厕所")) == [accepted]
    assert search_api(q="公园开放")["complete"] is True


def _live_path(app) -> Path:
    store = IndexStore(app.config["SEARCH_INDEX_PATH"])
    return store.base / store.current_name()


@pytest.mark.parametrize("damage", ["toc", "segment", "pointer", "meta"])
def test_corrupt_index(app, indexed, public_draft, make_user, frozen_now, drain, search_api, client, damage):
    forget_searchers()
    live = _live_path(app)
    if damage == "toc":
        for toc in live.glob("_MAIN_*.toc"):
            toc.write_bytes(b"\x00garbage" * 10)
    elif damage == "segment":
        segments = [p for p in live.iterdir() if p.suffix in (".seg", ".trm", ".pst")]
        assert segments
        for segment in segments:
            segment.unlink()
    elif damage == "pointer":
        (live.parent / "CURRENT").write_text("../../etc\n")
    else:
        (live / "meta.json").write_text("{not json")
    _assert_incomplete(client, "公园开放")
    accepted = _accept_an_opinion(frozen_now, public_draft, make_user)
    assert drain().rebuilt
    assert hit_ids(search_api(q="公园开放")) == [indexed.id]
    assert hit_ids(search_api(q="公共厕所")) == [accepted]


def _make_unwritable(path: Path):
    """Make ``path`` unwritable, even for root (the immutable flag); returns the undo,
    or None when this system cannot do it."""
    if os.geteuid() == 0:
        if shutil.which("chattr") and subprocess.run(["chattr", "+i", str(path)], capture_output=True).returncode == 0:
            undo = lambda: subprocess.run(["chattr", "-i", str(path)], check=True)  # noqa: E731
        else:
            return None
    else:
        mode = path.stat().st_mode
        path.chmod(0o555)
        undo = lambda: path.chmod(mode)  # noqa: E731
    try:
        (path / "probe").touch()
    except OSError:
        return undo
    (path / "probe").unlink()
    undo()
    return None


def test_index_directory_not_writable(app, indexed, public_draft, make_opinion, make_user, frozen_now, drain,
                                      search_api, client):
    import search

    live = _live_path(app)
    undo = _make_unwritable(live)
    if undo is None:
        pytest.skip("cannot make a directory unwritable here")
    try:
        waiting = make_opinion(public_draft, "索引目录只读时的意见：井盖松动。")
        accepted = _accept_an_opinion(frozen_now, public_draft, make_user)
        result = search.drain(app)
        assert result.error and not result.processed
        assert _outbox_count() == 2
        _assert_incomplete(client, "井盖")
        assert hit_ids(search_api(q="公园开放")) == [indexed.id]  # reading still works
        # The operator's monitor sees it; the load balancer keeps the instance.
        response = client.get("/readyz")
        check = response.get_json()["checks"]["search"]
        assert response.status_code == 200 and response.get_json()["status"] == "degraded"
        assert check["reason"] == "unwritable" and "error" in check["reasons"] and check["backlog"] == 2
    finally:
        undo()
    drain()
    assert hit_ids(search_api(q="井盖")) == [waiting.id]
    assert hit_ids(search_api(q="公共厕所")) == [accepted]
