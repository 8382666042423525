"""Rate limits when several processes serve the app (issue 13: with per-process storage
each gunicorn worker counted alone, so 20 receipt look-ups a minute became 40).

With a shared storage (Redis) a limit is exact across the workers; with per-process
storage (local://, memory://) and more than one worker, gunicorn.conf.py says so at
start-up and the app's readiness check reports it."""
from __future__ import annotations

import logging
import os
import re
import runpy
import uuid

import pytest
import requests

from app import create_app
from participation.config import config_from_env
from participation.web.ratelimit_storage import SHARED_STORAGE_EXAMPLE
from tests.live_server import Gunicorn, server_env
from tests.resources import REPO_ROOT, redis_url

FIX = f"RATELIMIT_STORAGE_URI={SHARED_STORAGE_EXAMPLE}"
DEGRADED = {"state": "degraded", "reason": "per_process_storage", "processes": 2}


def _rate_limit_check(app_config, **settings):
    app = create_app({**app_config, **settings})
    return app.extensions["readiness_checks"]["rate_limits"]


@pytest.mark.parametrize(("settings", "expected"), [
    ({"RATELIMIT_STORAGE_URI": "local://", "WEB_PROCESSES": 2}, DEGRADED),
    ({"RATELIMIT_STORAGE_URI": "memory://", "WEB_PROCESSES": 2}, DEGRADED),
    ({"RATELIMIT_STORAGE_URI": "local://", "WEB_PROCESSES": 1}, None),
    ({"RATELIMIT_STORAGE_URI": "redis://127.0.0.1:6379/0", "WEB_PROCESSES": 4}, None),
    ({"RATELIMIT_STORAGE_URI": "local://", "WEB_PROCESSES": 2, "RATELIMIT_ENABLED": False}, None),
])
def test_the_readiness_check_reports_per_process_counters(app_config, settings, expected):
    check = _rate_limit_check(app_config, **{"RATELIMIT_ENABLED": True, **settings})
    assert check() == expected


def test_the_process_count_comes_from_the_environment(monkeypatch, tmp_path):
    monkeypatch.delenv("WEB_PROCESSES", raising=False)
    assert config_from_env(tmp_path)["WEB_PROCESSES"] == 1
    monkeypatch.setenv("WEB_PROCESSES", "3")
    assert config_from_env(tmp_path)["WEB_PROCESSES"] == 3


class _Server:
    def __init__(self, env=None):
        self.log = logging.getLogger("test.gunicorn")
        self.cfg = type("Config", (), {"env": env or {}})()


def test_the_gunicorn_hook_exports_the_worker_count_and_warns(monkeypatch, caplog):
    hooks = runpy.run_path(str(REPO_ROOT / "gunicorn.conf.py"))
    monkeypatch.delenv("RATELIMIT_STORAGE_URI", raising=False)
    monkeypatch.delenv("RATELIMIT_ENABLED", raising=False)
    monkeypatch.setenv("WEB_PROCESSES", "1")  # monkeypatch restores it afterwards
    with caplog.at_level(logging.WARNING, logger="test.gunicorn"):
        hooks["nworkers_changed"](_Server(), 3, None)
    assert os.environ["WEB_PROCESSES"] == "3"
    assert FIX in caplog.text and "3 processes" in caplog.text

    caplog.clear()
    monkeypatch.setenv("RATELIMIT_STORAGE_URI", "redis://127.0.0.1:6379/0")
    with caplog.at_level(logging.WARNING, logger="test.gunicorn"):
        hooks["nworkers_changed"](_Server(), 2, 3)
    assert os.environ["WEB_PROCESSES"] == "2"
    assert caplog.text == ""

    # Set with gunicorn's -e (applied to the environment after this hook): heeded, then
    # left to gunicorn.
    monkeypatch.setenv("RATELIMIT_STORAGE_URI", "local://")
    with caplog.at_level(logging.WARNING, logger="test.gunicorn"):
        hooks["nworkers_changed"](_Server({"RATELIMIT_STORAGE_URI": "redis://127.0.0.1:6379/0"}), 2, None)
    assert caplog.text == ""
    assert os.environ["RATELIMIT_STORAGE_URI"] == "local://"


# --- through gunicorn -------------------------------------------------------------------

ACCESS_ARGS = ("--access-logfile", "-", "--access-logformat", "ACCESS pid=%(p)s status=%(s)s path=%(U)s")


def _lookups(base_url: str, address: str, count: int) -> list[int]:
    """Receipt look-ups from ``address`` (as the trusted proxy reports it), each on a new
    connection so that both workers take some."""
    statuses = []
    for _ in range(count):
        response = requests.get(f"{base_url}/receipt", params={"code": "ABCD-EFGH-JKMN"},
                                headers={"X-Forwarded-For": address}, timeout=30)
        statuses.append(response.status_code)
    return statuses


def _serving_pids(log: str) -> set[str]:
    return set(re.findall(r"ACCESS pid=<?(\d+)>? status=\d+ path=/receipt", log))


@pytest.mark.slow
def test_a_limit_is_exact_across_workers_with_redis(database_url, tmp_path):
    import redis

    url = redis_url(14)
    # An address of this run alone keys the counters: nothing another run (or a
    # concurrent test process) counts can mix in, and its keys are deleted afterwards.
    address = f"2001:db8::{uuid.uuid4().hex[:4]}:{uuid.uuid4().hex[:4]}"
    env = server_env(database_url=database_url, instance=tmp_path / "instance", secret_key="rate-limit-test",
                     SEARCH_ENABLED="0", RATELIMIT_STORAGE_URI=url, PROXY_FIX_X_FOR="1",
                     RECEIPT_LOOKUP_RATE_LIMIT="5 per minute")
    client = redis.Redis.from_url(url)
    try:
        with Gunicorn(env, tmp_path / "gunicorn.log", workers=2, extra_args=ACCESS_ARGS) as server:
            server.wait_until_serving()
            # Which worker accepts a connection is up to them: go on (a bounded while)
            # until both have answered look-ups.
            statuses: list[int] = []
            while len(statuses) < 200:
                statuses += _lookups(server.base_url, address, 10)
                if len(_serving_pids(server.log())) == 2 and len(statuses) >= 30:
                    break
            log = server.log()
    finally:
        keys = list(client.scan_iter(match=f"*{address}*"))
        if keys:
            client.delete(*keys)
        client.close()
    assert len(_serving_pids(log)) == 2, log[-3000:]  # both workers counted
    assert statuses[:5] == [404] * 5  # an unknown code, looked up
    assert statuses[5:] == [429] * (len(statuses) - 5)
    assert FIX not in log
    assert keys  # the counters were in Redis


@pytest.mark.slow
def test_gunicorn_warns_at_start_up_about_per_process_counters(database_url, tmp_path):
    env = server_env(database_url=database_url, instance=tmp_path / "instance", secret_key="rate-limit-test",
                     SEARCH_ENABLED="0", RATELIMIT_STORAGE_URI="local://")
    with Gunicorn(env, tmp_path / "gunicorn.log", workers=2) as server:
        server.wait_until_serving()
        # Each worker knows it is one of two (WEB_PROCESSES, exported before the fork)
        # and says so in /readyz, still ready: 200.
        response = requests.get(f"{server.base_url}/readyz", timeout=30)
        log = server.log()
    warnings = [line for line in log.splitlines() if FIX in line]
    assert len(warnings) == 1 and "[WARNING]" in warnings[0], log[-3000:]
    assert "2 processes" in warnings[0]
    assert response.status_code == 200
    assert response.json()["checks"]["rate_limits"] == DEGRADED
