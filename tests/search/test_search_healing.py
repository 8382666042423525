"""Self-healing and the degraded state, as the README promises: an indexer that fails
on the same change again and again records it and rebuilds the index aside from the
database (with a backoff when the rebuild fails too); a damaged or half-written index
is detected and rebuilt or cleaned; ``/readyz`` and ``flask search status`` say which
part is degraded."""
from __future__ import annotations

import gc
import json
import os
import time
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select, update
from whoosh import index as whoosh_index
from whoosh import writing as whoosh_writing

import search
from participation.database import utcnow
from participation.extensions import db
from search import healing as healing_module
from search import healthcheck as healthcheck_module
from search import indexer as indexer_module
from search import rebuilding as rebuilding_module
from search import settings as settings_module
from search.backend import IndexStore, check_files
from search.models import SearchOutboxEntry
from search.backend import forget_searchers
from tests.search.conftest import hit_ids
from tests.search.test_search_faults import _make_unwritable


def _outbox_count() -> int:
    count = db.session.scalar(select(func.count()).select_from(SearchOutboxEntry))
    db.session.commit()
    return count


def _store(app) -> IndexStore:
    return IndexStore(app.config["SEARCH_INDEX_PATH"])


def _live(app) -> Path:
    store = _store(app)
    return store.base / store.current_name()


def _drain(app) -> indexer_module.DrainResult:
    db.session.commit()  # as a request would end: SQLite's write lock is the indexer's
    return search.drain(app)


def _readyz(client) -> tuple[int, dict]:
    response = client.get("/readyz")
    return response.status_code, response.get_json()


def _failing_merges(monkeypatch):
    """Every commit of the live index fails as the merges of issue 13 did (a rebuild
    writes its segments without a merge, so it still works)."""
    def merge(self, *args, **kwargs):
        raise AssertionError("vbytes=''")

    monkeypatch.setattr(whoosh_writing.SegmentWriter, "_merge_segments", merge)


class FakeClock:
    def __init__(self):
        self.now = 1_900_000_000.0

    def __call__(self):
        return self.now


@pytest.fixture
def clock(monkeypatch):
    fake = FakeClock()
    monkeypatch.setattr(healing_module, "_now", fake)
    return fake


@pytest.fixture
def indexed(public_draft, make_opinion, drain):
    first = make_opinion(public_draft, "已经索引的意见：公园开放时间。")
    drain()
    return first


# --- failing on the same change -----------------------------------------------------------

def _fail_twice(app, client, store, stuck_on) -> None:
    for attempt in (1, 2):
        result = _drain(app)
        assert result.error == "AssertionError: vbytes=''" and not result.busy, result
        assert result.failures == attempt and result.stuck_on == stuck_on
        status = store.read_status()
        assert status["state"] == "error" and status["error"] == "AssertionError: vbytes=''"
        assert status["failures"] == attempt and status["stuck_on"] == stuck_on and status["since"]
        code, body = _readyz(client)
        assert code == 200 and body["status"] == "degraded"
        check = body["checks"]["search"]
        assert check["state"] == "degraded" and check["reason"] == "error"
        assert check["detail"] == "AssertionError: vbytes=''" and check["failures"] == attempt
        assert check["stuck_on"] == stuck_on and check["backlog"] == 1


def test_a_change_that_keeps_failing_is_healed_by_a_rebuild(app, client, indexed, public_draft, make_opinion,
                                                            search_api, monkeypatch, clock):
    store = _store(app)
    before = store.current_name()
    waiting = make_opinion(public_draft, "反复失败的意见：路口红绿灯太短。")
    stuck_on = db.session.scalar(select(func.min(SearchOutboxEntry.id)))
    _failing_merges(monkeypatch)
    # Whoosh's writer keeps its lock after a failed commit until the garbage collector
    # frees it: with the collector off, the second cycle must fail again, not be "busy"
    # (which is not counted, so the index would never be healed).
    gc.disable()
    try:
        _fail_twice(app, client, store, stuck_on)
    finally:
        gc.enable()
    assert _outbox_count() == 1

    result = _drain(app)  # the third failure in a row: rebuilt aside from the database
    assert result.ok and result.rebuilt, result
    assert store.current_name() != before
    assert _outbox_count() == 0
    assert store.read_status()["state"] == "idle" and "failures" not in store.read_status()
    assert hit_ids(search_api(q="红绿灯")) == [waiting.id]
    assert hit_ids(search_api(q="公园开放")) == [indexed.id]
    code, body = _readyz(client)
    assert code == 200 and body["status"] == "ok" and body["checks"]["search"]["state"] == "ok"


def test_the_threshold_is_configurable(app, indexed, public_draft, make_opinion, monkeypatch, clock):
    app.config["SEARCH_HEAL_AFTER_FAILURES"] = 1
    make_opinion(public_draft, "一次失败就重建：楼道堆物。")
    _failing_merges(monkeypatch)
    result = _drain(app)
    assert result.ok and result.rebuilt
    assert _outbox_count() == 0


def test_the_merge_failure_of_issue_13_no_longer_stops_indexing(app, public_draft, make_opinion, search_api,
                                                                 monkeypatch, clock):
    """The codec defect itself, put back: every automatic merge fails. Drained one
    opinion at a time, search keeps up anyway (a rebuild every few commits)."""
    from search.backend.whoosh import postings

    monkeypatch.setattr(postings.PostingsMatcher, "value", lambda self: "")
    monkeypatch.setattr(postings.PostingsMatcher, "all_items", lambda self: ((d, "") for d in self._ids))
    made = []
    rebuilds = 0
    for n in range(16):
        made.append(make_opinion(public_draft, f"第{n}号意见：加装电梯补贴标准应当公开。").id)
        for _cycle in range(settings_module.Settings.from_app(app).heal_after + 1):
            result = _drain(app)
            rebuilds += result.rebuilt
            if _outbox_count() == 0:
                break
        assert _outbox_count() == 0, result
        assert result.ok, result
    assert rebuilds >= 2  # the first rebuild builds the index; merges failed after
    assert set(hit_ids(search_api(q="电梯补贴", per_page=50))) == set(made)
    assert search.health(app)["state"] == "ok"


def test_the_indexer_thread_heals_the_same_way(app, indexed, public_draft, make_opinion, search_api, monkeypatch):
    app.config["SEARCH_POLL_SECONDS"] = 0.05
    waiting = make_opinion(public_draft, "后台线程自愈：小区门禁故障。")
    _failing_merges(monkeypatch)
    db.session.commit()
    worker = search.ensure_thread(app)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not hit_ids(search_api(q="门禁故障")):
            time.sleep(0.1)
        assert hit_ids(search_api(q="门禁故障")) == [waiting.id]
        assert worker.is_running
    finally:
        search.stop_thread(app)
    assert _outbox_count() == 0
    assert _store(app).read_status()["state"] == "idle"


# --- when the rebuild fails too: backoff ----------------------------------------------------

def test_backoff_delays():
    delays = [healing_module.backoff_delay(attempt, 5, 60) for attempt in range(1, 8)]
    assert delays == [0, 5, 10, 20, 40, 60, 60]


def test_a_failing_rebuild_is_retried_with_a_growing_capped_backoff(app, client, indexed, public_draft,
                                                                     make_opinion, search_api, monkeypatch, clock):
    app.config["SEARCH_HEAL_BACKOFF_SECONDS"] = 5
    app.config["SEARCH_HEAL_BACKOFF_MAX_SECONDS"] = 30
    waiting = make_opinion(public_draft, "重建也失败时的意见：公交站台无遮阳。")
    _failing_merges(monkeypatch)
    attempts = []
    real_commit_segments = rebuilding_module.commit_segments

    def broken_commit_segments(path, segments):
        attempts.append(clock.now)
        raise OSError(28, "No space left on device", str(path))

    monkeypatch.setattr(rebuilding_module, "commit_segments", broken_commit_segments)
    for _ in range(3):
        result = _drain(app)
    assert len(attempts) == 1 and result.error.startswith("rebuild failed: OSError")
    status = _store(app).read_status()
    assert status["state"] == "error" and status["failures"] == 3 and status["rebuilds_failed"] == 1
    delays = [result.retry_in]
    for _ in range(5):
        # Before the delay is over, a cycle neither drains nor rebuilds.
        clock.now += result.retry_in - 0.5
        early = _drain(app)
        assert early.error and early.retry_in == pytest.approx(0.5)
        assert len(attempts) == len(delays)
        clock.now += 0.5
        result = _drain(app)
        assert len(attempts) == len(delays) + 1
        delays.append(result.retry_in)
    assert delays == [5, 10, 20, 30, 30, 30]
    status = _store(app).read_status()
    assert status["rebuilds_failed"] == 6 and status["retry_in"] == 30
    code, body = _readyz(client)
    check = body["checks"]["search"]
    assert code == 200 and check["reason"] == "error" and check["rebuilds_failed"] == 6
    # No path in what anyone may read (the OSError named the generation's folder).
    assert "OSError" in check["detail"] and app.config["SEARCH_INDEX_PATH"] not in json.dumps(body)
    assert "/" not in check["detail"]

    monkeypatch.setattr(rebuilding_module, "commit_segments", real_commit_segments)
    clock.now += 30
    result = _drain(app)
    assert result.ok and result.rebuilt
    assert _outbox_count() == 0
    assert hit_ids(search_api(q="公交站台")) == [waiting.id]
    assert search.health(app)["state"] == "ok"


# --- a damaged or half-written index --------------------------------------------------------

def _segment_files(app) -> list[Path]:
    return sorted(p for p in _live(app).iterdir() if p.suffix == ".seg")


def _damage(app, how: str) -> None:
    live = _live(app)
    segment = _segment_files(app)[0]
    if how == "missing":
        segment.unlink()
    elif how == "truncated":
        os.truncate(segment, segment.stat().st_size // 2)
    elif how == "tail-cut":
        os.truncate(segment, segment.stat().st_size - 3)
    elif how == "empty":
        os.truncate(segment, 0)
    elif how == "toc-names-a-ghost":
        # A table of contents naming one segment more than the folder holds.
        ix = whoosh_index.open_dir(str(live))
        toc = ix._read_toc()
        ghost = toc.segments[0].__class__(toc.segments[0].codec(), ix.indexname, doccount=1)
        toc.segments.append(ghost)
        toc.generation += 1
        toc.write(ix.storage, ix.indexname)
    else:
        raise AssertionError(how)


@pytest.mark.parametrize("how", ["missing", "truncated", "tail-cut", "empty", "toc-names-a-ghost"])
def test_a_damaged_segment_is_detected_and_rebuilt_by_the_next_drain(app, indexed, public_draft, make_opinion,
                                                                     search_api, how):
    # Enough segments that the damaged one is one of several.
    for n in range(3):
        make_opinion(public_draft, f"多个段的意见{n}：人行道破损。")
        _drain(app)
    forget_searchers()
    old = _store(app).current_name()
    _damage(app, how)
    found = check_files(_store(app).open())
    assert found.problems, found
    waiting = make_opinion(public_draft, "损坏后提交的意见：垃圾分类。")
    result = _drain(app)
    assert result.ok and result.rebuilt, result
    assert _store(app).current_name() != old
    assert check_files(_store(app).open()).problems == []
    assert hit_ids(search_api(q="垃圾分类")) == [waiting.id]
    assert hit_ids(search_api(q="公园开放")) == [indexed.id]
    assert search_api(q="人行道", per_page=50)["total"] == 3


def test_leftovers_of_an_interrupted_commit_are_removed_without_a_rebuild(app, indexed, public_draft,
                                                                            make_opinion, search_api, monkeypatch):
    """Whoosh writes the new segment, then the table of contents to a temporary file
    renamed into place. Interrupted before the rename: the old TOC is intact, the new
    segment and the temporary TOC are left behind, never named by any TOC."""
    old = _store(app).current_name()
    waiting = make_opinion(public_draft, "中断提交后的意见：井盖缺失。")
    from whoosh.filedb.filestore import FileStorage

    real_rename = FileStorage.rename_file

    def crash(self, *args, **kwargs):
        raise OSError(5, "Input/output error")

    monkeypatch.setattr(FileStorage, "rename_file", crash)
    result = _drain(app)
    assert result.error and not result.processed
    monkeypatch.setattr(FileStorage, "rename_file", real_rename)
    found = check_files(_store(app).open())
    assert found.problems == []
    assert any(name.endswith(".seg") for name in found.leftovers)
    assert any(".toc." in name for name in found.leftovers)

    result = _drain(app)
    assert result.ok and not result.rebuilt and result.processed == 1
    assert _store(app).current_name() == old
    assert check_files(_store(app).open()).leftovers == []
    assert not [p.name for p in _live(app).iterdir() if ".toc." in p.name]
    assert hit_ids(search_api(q="井盖缺失")) == [waiting.id]
    assert _store(app).read_status()["state"] == "idle"


def test_leftovers_of_a_merge_whose_cleanup_never_ran(app, public_draft, make_opinion, search_api, monkeypatch):
    """Interrupted after the new TOC, before Whoosh deleted the merged-away segments:
    those are left over (and removed); the index is complete."""
    import whoosh.index

    made = []
    monkeypatch.setattr(whoosh.index, "clean_files", lambda *args, **kwargs: None)
    for n in range(8):  # enough commits for Whoosh to merge segments
        made.append(make_opinion(public_draft, f"合并后的意见{n}：共享单车乱停。").id)
        _drain(app)
    found = check_files(_store(app).open())
    assert found.problems == [] and found.leftovers
    monkeypatch.undo()
    made.append(make_opinion(public_draft, "合并后的意见：共享单车乱停放。").id)
    result = _drain(app)
    assert result.ok and not result.rebuilt
    assert check_files(_store(app).open()).leftovers == []
    assert set(hit_ids(search_api(q="共享单车", per_page=50))) == set(made)


# --- /readyz and flask search status --------------------------------------------------------

@pytest.mark.parametrize("how", ["truncated", "toc-names-a-ghost", "unreadable-toc"])
def test_readyz_and_status_say_corrupt_before_the_indexer_has_seen_it(app, client, indexed, runner, how):
    """A live index that searches cannot open (damaged, or written by an older layout of
    the engine code: its table of contents names classes this version does not have)
    is reported at once, not only after the indexer's next cycle."""
    forget_searchers()
    if how == "unreadable-toc":
        toc = next(p for p in _live(app).iterdir() if p.suffix == ".toc")
        toc.write_bytes(toc.read_bytes().replace(b"search.backend.whoosh.codec", b"search.codec"))
    else:
        _damage(app, how)
    code, body = _readyz(client)
    assert code == 200 and body["status"] == "degraded"
    assert body["checks"]["search"]["reason"] == "corrupt", body
    status = runner.invoke(args=["search", "status"])
    assert status.exit_code == 1, status.output
    assert _drain(app).rebuilt
    code, body = _readyz(client)
    assert body["checks"]["search"] == {"state": "ok", "backlog": 0, "oldest_age_seconds": None}, body


def test_readyz_says_missing_until_the_first_build(app, client):
    code, body = _readyz(client)
    assert code == 200 and body["status"] == "degraded"
    assert body["checks"]["database"] == {"state": "ok"}
    assert body["checks"]["search"]["reason"] == "missing"
    assert search.drain(app).ok
    code, body = _readyz(client)
    assert code == 200 and body["status"] == "ok"


def test_readyz_degraded_when_the_backlog_is_stale(app, client, indexed, public_draft, make_opinion, runner):
    app.config["SEARCH_STALE_SECONDS"] = 30
    make_opinion(public_draft, "等待中的意见：道路积水。")
    code, body = _readyz(client)
    assert code == 200 and body["status"] == "ok"  # waiting, not yet late
    assert body["checks"]["search"]["backlog"] == 1
    db.session.execute(update(SearchOutboxEntry).values(created_at=utcnow() - timedelta(seconds=90)))
    db.session.commit()
    code, body = _readyz(client)
    check = body["checks"]["search"]
    assert code == 200 and body["status"] == "degraded"
    assert check["state"] == "degraded" and check["reason"] == "stale" and check["reasons"] == ["stale"]
    assert check["backlog"] == 1 and check["oldest_age_seconds"] >= 89
    result = runner.invoke(args=["search", "status"])
    assert result.exit_code == 1, result.output
    assert "降级" in result.output and "stale" in result.output
    search.drain(app)
    assert _readyz(client)[1]["status"] == "ok"
    result = runner.invoke(args=["search", "status"])
    assert result.exit_code == 0 and "健康状况：正常" in result.output


@pytest.mark.parametrize("part", ["base", "live", "instance"])
def test_readyz_degraded_when_the_index_is_unwritable(app, client, indexed, runner, part):
    target = {"base": Path(app.config["SEARCH_INDEX_PATH"]), "live": _live(app),
              "instance": Path(app.instance_path)}[part]
    if part == "instance":
        (target / settings_module.WRITER_LOCK_FILE).unlink()  # it must be created
    undo = _make_unwritable(target)
    if undo is None:
        pytest.skip("cannot make a directory unwritable here")
    try:
        code, body = _readyz(client)
        check = body["checks"]["search"]
        assert code == 200 and body["status"] == "degraded"
        assert check["reason"] == "unwritable", check
        assert str(target) not in json.dumps(body)
        result = runner.invoke(args=["search", "status"])
        assert result.exit_code == 1 and "unwritable" in result.output
    finally:
        undo()
    assert _readyz(client)[1]["status"] == "ok"


def test_cli_status_exit_code_on_error(app, indexed, public_draft, make_opinion, runner, monkeypatch, clock):
    assert runner.invoke(args=["search", "status"]).exit_code == 0
    make_opinion(public_draft, "命令行看到的失败：电动车充电桩。")
    _failing_merges(monkeypatch)
    _drain(app)
    result = runner.invoke(args=["search", "status"])
    assert result.exit_code == 1
    assert "降级" in result.output and "error" in result.output and "vbytes" in result.output


def test_readiness_checks_are_extensible_and_never_break_readyz(app, client, indexed):
    checks = app.extensions["readiness_checks"]
    checks["fine"] = lambda: None
    checks["explicit"] = lambda: {"state": "ok", "storage": "redis"}
    code, body = _readyz(client)
    assert code == 200 and body["status"] == "ok"
    assert body["checks"]["fine"] == {"state": "ok"}
    assert body["checks"]["explicit"] == {"state": "ok", "storage": "redis"}

    def broken():
        raise RuntimeError("secret://user:password@db/secret")

    checks["rate_limits"] = lambda: {"state": "degraded", "reason": "per_process", "detail": "memory://"}
    checks["broken"] = broken
    checks["malformed"] = lambda: "fine"
    code, body = _readyz(client)
    assert code == 200 and body["status"] == "degraded"
    assert body["checks"]["rate_limits"]["reason"] == "per_process"
    assert body["checks"]["broken"] == {"state": "degraded", "reason": "check_failed", "detail": "RuntimeError"}
    assert body["checks"]["malformed"]["reason"] == "check_failed"
    assert "password" not in json.dumps(body)
    assert body["checks"]["search"]["state"] == "ok"


def test_the_search_check_never_raises(app, client, indexed, monkeypatch):
    def broken(*args, **kwargs):
        raise ValueError("boom")

    monkeypatch.setattr(healthcheck_module, "_backlog_head", broken)
    check = search.health(app)
    assert check["state"] == "degraded" and check["reason"] == "unknown"
    monkeypatch.setattr(healthcheck_module, "_unwritable", broken)
    assert search.health(app) == {"state": "degraded", "reason": "check_failed", "detail": "ValueError"}
    code, body = _readyz(client)
    assert code == 200 and body["checks"]["search"]["reason"] == "check_failed"


def test_search_disabled_registers_no_check(app_config):
    from app import create_app

    app = create_app({**app_config, "SEARCH_ENABLED": False})
    try:
        body = app.test_client().get("/readyz").get_json()
        assert "search" not in body["checks"]
        assert body == {"status": "ok", "checks": {"database": {"state": "ok"}, "rate_limits": {"state": "ok"}}}
    finally:
        with app.app_context():
            db.engine.dispose()
