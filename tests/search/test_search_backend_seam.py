"""The search backend's seam: Whoosh is imported only inside ``search.backend.whoosh``,
and only with the Whoosh-Reloaded version whose internals that package was checked
against (its docstring lists them)."""
from __future__ import annotations

import ast
import importlib.metadata
import re
from pathlib import Path

import pytest

from search.backend.whoosh import CHECKED_WHOOSH_VERSION

PROJECT_ROOT = Path(__file__).resolve().parents[2]
BACKEND = PROJECT_ROOT / "search" / "backend" / "whoosh"


def test_the_installed_whoosh_reloaded_is_the_version_the_backend_was_checked_against():
    installed = importlib.metadata.version("Whoosh-Reloaded")
    if installed != CHECKED_WHOOSH_VERSION:
        pytest.fail(
            f"Whoosh-Reloaded {installed} is installed, but search/backend/whoosh relies on private "
            f"internals of Whoosh-Reloaded {CHECKED_WHOOSH_VERSION} (listed in its __init__ docstring). "
            f"Check each of them in {installed}'s source, run tests/search, then set "
            f"CHECKED_WHOOSH_VERSION and the pin in requirements.txt to {installed}.",
            pytrace=False,
        )


def test_requirements_pin_the_checked_version():
    pins = re.findall(r"^Whoosh-Reloaded==(\S+)\s*$", (PROJECT_ROOT / "requirements.txt").read_text(encoding="utf-8"),
                      flags=re.MULTILINE | re.IGNORECASE)
    assert pins == [CHECKED_WHOOSH_VERSION], (
        f"requirements.txt pins Whoosh-Reloaded {pins or 'nowhere'}; search/backend/whoosh was checked against "
        f"{CHECKED_WHOOSH_VERSION}")


def _imports_whoosh(path: Path) -> list[int]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    lines = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and not node.level:
            names = [node.module or ""]
        else:
            continue
        if any(name == "whoosh" or name.startswith("whoosh.") for name in names):
            lines.append(node.lineno)
    return lines


def test_only_the_backend_imports_whoosh():
    outside = {}
    for path in sorted([*(PROJECT_ROOT / "search").rglob("*.py"), *(PROJECT_ROOT / "participation").rglob("*.py")]):
        if BACKEND in path.parents:
            continue
        lines = _imports_whoosh(path)
        if lines:
            outside[str(path.relative_to(PROJECT_ROOT))] = lines
    assert not outside, f"Whoosh imported outside search/backend/whoosh: {outside}"
    assert _imports_whoosh(BACKEND / "codec.py"), "the check itself finds nothing"
