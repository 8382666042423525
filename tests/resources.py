"""Optional test resources (the shared regulations folder, a real browser, PostgreSQL,
a Redis server).

A fresh clone may have none of them, so tests that need one skip — except where
``REQUIRE_TEST_RESOURCES=1`` is set (CI sets it), where a missing resource fails the test
instead, so that a broken install cannot hide behind a skip.
"""
from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent
SHARED_REGULATIONS = (REPO_ROOT.parent / "shared" / "data" / "regulations").resolve()
CHROMIUM_CANDIDATES = ("/usr/bin/chromium", "/usr/bin/chromium-browser")


def strict() -> bool:
    return os.environ.get("REQUIRE_TEST_RESOURCES") == "1"


def require(available: bool, reason: str) -> None:
    if available:
        return
    if strict():
        pytest.fail(f"{reason} (REQUIRE_TEST_RESOURCES=1 forbids skipping)")
    pytest.skip(reason)


def regulations_dir() -> Path:
    require(SHARED_REGULATIONS.is_dir(), f"shared regulations folder {SHARED_REGULATIONS} is absent")
    return SHARED_REGULATIONS


def chromium_path() -> str:
    for candidate in CHROMIUM_CANDIDATES:
        if Path(candidate).exists():
            return candidate
    found = shutil.which("chromium")
    require(found is not None, "Debian's chromium is not installed")
    return found


DEFAULT_TEST_REDIS = "redis://127.0.0.1:6379"


def redis_url(db: int = 15) -> str:
    """URL of database ``db`` of the Redis server the tests may use (``TEST_REDIS_URL``,
    default 127.0.0.1:6379; .ci/run starts one there). Tests keep their keys apart (a
    database number or keys of their own) and delete what they wrote."""
    from urllib.parse import urlsplit, urlunsplit

    parts = urlsplit(os.environ.get("TEST_REDIS_URL") or DEFAULT_TEST_REDIS)
    url = urlunsplit(parts._replace(path=f"/{db}"))
    try:
        import redis
    except ImportError:
        require(False, "the redis package is not installed")
    try:
        redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=2).ping()
    except (redis.RedisError, OSError) as exc:
        require(False, f"no Redis server answers at {url}: {exc}")
    return url
