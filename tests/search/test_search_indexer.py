"""The indexer: the background thread, leader election between processes, the worker
command, rebuild beside the live index with a swap, and rebuild on a schema or analyzer
change."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

import search
from participation.extensions import db
from search import indexer as indexer_module
from search import rebuilding as rebuilding_module
from search.backend import IndexStore
from search.indexer import Indexer
from search.settings import Settings
from tests.search.conftest import hit_ids

PROJECT_ROOT = Path(__file__).resolve().parents[2]


def _wait_for(predicate, timeout=10.0, interval=0.05):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return predicate()


def test_the_background_thread_indexes_committed_opinions(app, public_draft, make_opinion, search_api):
    app.config["SEARCH_POLL_SECONDS"] = 0.1
    worker = search.ensure_thread(app)
    try:
        assert _wait_for(lambda: worker.cycles > 0)  # built the index from the database
        opinion = make_opinion(public_draft, "后台线程索引的意见：社区食堂。")
        assert _wait_for(lambda: hit_ids(search_api(q="社区食堂")) == [opinion.id])
        assert worker.is_leader and worker.is_running
    finally:
        search.stop_thread(app)
    assert not worker.is_running


def test_the_thread_starts_on_the_first_request_in_thread_mode(app_config, tmp_path):
    from app import create_app

    app = create_app({**app_config, "SEARCH_INDEXER": "thread"})
    try:
        app.test_client().get("/search")
        indexer = indexer_module._indexers.get(id(app))
        assert indexer is not None and indexer.is_running
    finally:
        search.stop_thread(app)
        with app.app_context():
            db.engine.dispose()


def test_only_one_leader_per_instance(app):
    first = Indexer(app)
    second = Indexer(app)
    first.settings.standby_seconds = second.settings.standby_seconds = 0.1
    first.start()
    try:
        assert _wait_for(lambda: first.is_leader)
        second.start()
        time.sleep(0.5)
        assert not second.is_leader and second.cycles == 0  # standing by
        first.stop()
        assert _wait_for(lambda: second.is_leader)  # takes over
    finally:
        first.stop()
        second.stop()


def test_worker_command_runs_until_terminated(app_config, public_draft, make_opinion, search_api):
    """`flask --app app search worker`, configured from the environment as in production."""
    opinion = make_opinion(public_draft, "独立索引进程处理的意见：雨水管网。")
    env = {**os.environ, "INSTANCE_PATH": app_config["INSTANCE_PATH"],
           "DATABASE_URL": app_config["SQLALCHEMY_DATABASE_URI"], "SECRET_KEY": "worker-test",
           "SEARCH_INDEXER": "external", "SEARCH_POLL_SECONDS": "0.1"}
    process = subprocess.Popen([sys.executable, "-m", "flask", "--app", "app", "search", "worker"], cwd=PROJECT_ROOT,
                               env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert _wait_for(lambda: hit_ids(search_api(q="雨水管网")) == [opinion.id], timeout=60)
    finally:
        process.send_signal(signal.SIGTERM)
        out, err = process.communicate(timeout=30)
    assert process.returncode == 0, err
    assert "已退出" in out


def test_rebuild_builds_aside_and_swaps(app, public_draft, make_opinion, drain, search_api, client):
    first = make_opinion(public_draft, "重建之前的意见：老旧管线。")
    drain()
    store = IndexStore(app.config["SEARCH_INDEX_PATH"])
    before = store.current_name()
    seen_during = []

    def progress(_n):
        # The live index keeps answering while the new one is built.
        seen_during.append(store.current_name())
        seen_during.append(hit_ids(search_api(q="老旧管线")))

    for i in range(3):
        make_opinion(public_draft, f"第{i}条重建时存在的意见：老旧管线改造。")
    result = search.rebuild(app, procs=1, progress=progress)
    assert seen_during[0] == before and first.id in seen_during[1]
    after = store.current_name()
    assert after != before and after == result.generation
    assert search_api(q="老旧管线")["total"] == 4
    # The previous generation is kept a while for readers that still have it open.
    assert (store.base / before).exists()


def test_changes_made_during_a_rebuild_are_caught_up(app, public_draft, make_opinion, drain, search_api, monkeypatch):
    make_opinion(public_draft, "重建前。")
    drain()
    made = []
    draft_id, version_id = public_draft.id, public_draft.current_version.id
    db.session.commit()  # the test's session must not hold SQLite's write lock meanwhile
    original_write_meta = IndexStore.write_meta

    def write_meta_then_change(self, path, **values):
        # A submission that commits after the build read the database, before the swap.
        if not made:
            from sqlalchemy.orm import Session

            from participation.models import Opinion
            with Session(db.engine) as session:
                row = Opinion(draft_id=draft_id, version_id=version_id, stance="amend",
                              body="重建期间提交的意见：电梯维保。", category="citizen", submitter_key="u:during",
                              receipt_code="DURING1", proposed_text="", reason="", region="", submitter_name="",
                              contact="")
                session.add(row)
                session.commit()
                made.append(row.id)
        return original_write_meta(self, path, **values)

    monkeypatch.setattr(IndexStore, "write_meta", write_meta_then_change)
    result = search.rebuild(app, procs=1)
    assert result.caught_up >= 1
    assert hit_ids(search_api(q="电梯维保")) == made


def test_parallel_rebuild_with_worker_processes(app, public_draft, make_opinion, search_api, monkeypatch):
    monkeypatch.setattr(rebuilding_module, "PARALLEL_THRESHOLD", 1)
    ids = [make_opinion(public_draft, f"并行重建的第{i}条意见：地下管廊。", commit=False) for i in range(40)]
    db.session.commit()
    result = search.rebuild(app, procs=2)
    store = IndexStore(app.config["SEARCH_INDEX_PATH"])
    assert store.open().meta["procs"] == 2
    assert result.opinions == 40
    found = search_api(q="地下管廊", per_page=50)
    assert found["total"] == 40 and set(hit_ids(found)) == {o.id for o in ids}


def test_a_schema_or_analyzer_change_triggers_a_rebuild(app, public_draft, make_opinion, drain, search_api,
                                                        monkeypatch, runner):
    opinion = make_opinion(public_draft, "版本变化后的意见：社区医院。")
    drain()
    store = IndexStore(app.config["SEARCH_INDEX_PATH"])
    old = store.current_name()
    import search.backend.whoosh.schema as schema_module
    import search.backend.whoosh.store as store_module

    monkeypatch.setattr(schema_module, "SCHEMA_VERSION", schema_module.SCHEMA_VERSION + 1)
    new_id = schema_module.schema_id()
    monkeypatch.setattr(store_module, "schema_id", lambda: new_id)
    status = runner.invoke(args=["search", "status"])
    assert "过期" in status.output
    body = search_api(q="社区医院")
    assert body["complete"] is False  # the stale index still answers, with a notice
    assert hit_ids(body) == [opinion.id]
    result = drain()
    assert result.rebuilt and store.current_name() != old
    assert store.open().meta["schema"] == new_id
    assert search_api(q="社区医院")["complete"] is True


def test_cli_rebuild_drain_and_status(app, public_draft, make_opinion, runner):
    make_opinion(public_draft, "命令行测试意见。")
    result = runner.invoke(args=["search", "rebuild", "--procs", "1"])
    assert result.exit_code == 0, result.output
    assert "完成" in result.output and "1 条意见" in result.output
    make_opinion(public_draft, "又一条。")
    result = runner.invoke(args=["search", "drain"])
    assert result.exit_code == 0 and "已处理 1 项变更" in result.output
    result = runner.invoke(args=["search", "status"])
    assert result.exit_code == 0 and "待索引的变更：0 项" in result.output


def test_cli_rebuild_waits_for_the_writer_lock(app, runner):
    lock = Settings.from_app(app).writer_lock
    assert lock.acquire()
    try:
        result = runner.invoke(args=["search", "rebuild", "--wait", "0"])
    finally:
        lock.release()
    assert result.exit_code != 0 and "另一个进程正在写索引" in result.output


def test_search_disabled(app_config):
    from app import create_app

    app = create_app({**app_config, "SEARCH_ENABLED": False})
    client = app.test_client()
    body = client.get("/api/v1/search", query_string={"q": "车位"}).get_json()
    assert body["complete"] is False and body["message"]
    assert "未启用" in client.get("/search", query_string={"q": "车位"}).get_data(as_text=True)
    with app.app_context():
        db.engine.dispose()


def test_unknown_indexer_mode_is_refused(app_config):
    from app import create_app

    with pytest.raises(RuntimeError, match="SEARCH_INDEXER"):
        create_app({**app_config, "SEARCH_INDEXER": "sometimes"})
