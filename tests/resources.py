"""Optional test resources (the shared regulations folder, a real browser, PostgreSQL).

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
