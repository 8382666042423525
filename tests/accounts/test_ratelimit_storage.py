"""The default rate-limit storage (``local://``) counts like ``memory://`` but starts no
thread per request, and still forgets counters whose window has passed."""
from __future__ import annotations

import threading
import time

import pytest
from limits import RateLimitItemPerSecond, strategies
from limits.storage import storage_from_string

from participation.web import ratelimit_storage
from participation.extensions import limiter
from participation.web.ratelimit_storage import LocalMemoryStorage


@pytest.fixture
def app_config(app_config):
    app_config["RATELIMIT_ENABLED"] = True
    return app_config


def test_the_app_uses_the_local_storage(app):
    assert app.config["RATELIMIT_STORAGE_URI"] == "local://"
    assert isinstance(limiter.storage, LocalMemoryStorage)


def test_counts_and_refuses_without_starting_threads(monkeypatch):
    storage = storage_from_string("local://")
    started = []
    monkeypatch.setattr(threading.Thread, "start", lambda self: started.append(self))
    limiter_strategy = strategies.FixedWindowRateLimiter(storage)
    per_second = RateLimitItemPerSecond(3)
    answers = [limiter_strategy.hit(per_second, "client") for _ in range(5)]
    assert answers == [True, True, True, False, False]
    assert started == []


def test_expired_counters_are_swept(monkeypatch):
    storage = LocalMemoryStorage()
    storage.incr("old", expiry=0.01)
    storage.incr("other", expiry=60)
    time.sleep(0.02)
    monkeypatch.setattr(ratelimit_storage, "SWEEP_INTERVAL_SECONDS", 0)
    storage._next_sweep = 0  # the next change sweeps
    storage.incr("other", expiry=60)
    assert "old" not in storage.storage and "old" not in storage.expirations
    assert storage.get("other") == 2
